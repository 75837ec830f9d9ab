"""Label-only throughput over HTTP against a fresh ``python app.py``, with in-process ``predict_batch`` as the base.

    IMDB_DATA=../shared/data/imdb python bench/http_speed.py [--reviews 1024] [--threads 8] [--batch 32]

Prints, in one run on the same machine: reviews/s of ``Predictor.predict_batch`` in this process (batches
of ``--batch``, torch's default threads); reviews/s of ``POST /api/v1/predict`` with batches of ``--batch``
from ``--threads`` client threads (one ``httpx.Client`` each), and its ratio to the in-process figure; and
calls/s of the Gradio API's ``/predict`` with ``explain`` false, one review per call, from the same number
of threads (a POST and an event-stream GET per call, as ``curl`` does). The clients share the cores with
the server. The reviews are IMDb test reviews (the first ``--reviews`` of test.parquet) when IMDB_DATA is
set, else one typical review repeated.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devtools import gradio_predict, imdb_folder, json_predict, start_app  # noqa: E402

REVIEW = (
    "I went in with low expectations and came out delighted. The cast is terrific, the dialogue is witty "
    "and the story never drags, although the final act leans a little too hard on coincidence."
)


def reviews(n: int) -> list[str]:
    folder = imdb_folder()
    if folder is None:
        return [REVIEW] * n
    from sentiment import load_imdb

    return load_imdb(folder, splits=("test",))["test"].texts[:n]


def in_threads(threads: int, jobs: list, work) -> tuple[float, int]:
    """Run ``work(http, job)`` over ``jobs`` from ``threads`` threads, each with its own client; (seconds, failures)."""
    import httpx

    lock, queue, failed = threading.Lock(), list(jobs), [0]

    def worker() -> None:
        with httpx.Client(timeout=300) as http:
            while True:
                with lock:
                    if not queue:
                        return
                    job = queue.pop()
                try:
                    work(http, job)
                except Exception:
                    with lock:
                        failed[0] += 1

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    start = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return time.perf_counter() - start, failed[0]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reviews", type=int, default=1024)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--gradio-calls", type=int, default=400, help="label-only Gradio API calls")
    ap.add_argument("--app-root", type=Path, default=ROOT, help="serve the app.py of another checkout (a before/after)")
    args = ap.parse_args(argv)
    texts = reviews(args.reviews)
    batches = [texts[i : i + args.batch] for i in range(0, len(texts), args.batch)]

    from sentiment import load_predictor

    predictor = load_predictor(ROOT / "checkpoints" / "bilstm-imdb", device="cpu")
    predictor.predict_batch(batches[0], batch_size=args.batch)  # warm-up
    start = time.perf_counter()
    for batch in batches:
        predictor.predict_batch(batch, batch_size=args.batch)
    base = len(texts) / (time.perf_counter() - start)
    print(
        f"in-process predict_batch, batches of {args.batch}: {base:,.0f} reviews/s ({len(texts):,} reviews)", flush=True
    )

    import httpx

    server, url = start_app(cwd=args.app_root)
    try:
        if httpx.post(f"{url}api/v1/predict", json={"texts": [REVIEW]}, timeout=60).status_code == 404:
            print(f"{args.app_root}: no JSON route on this app", flush=True)
        else:
            in_threads(args.threads, batches[:4], lambda http, b: json_predict(http, url, b))  # warm-up
            seconds, failed = in_threads(args.threads, batches, lambda http, b: json_predict(http, url, b))
            rate = len(texts) / seconds
            print(
                f"POST /api/v1/predict, batches of {args.batch} from {args.threads} threads: {rate:,.0f} reviews/s, "
                f"{len(batches) / seconds:.1f} requests/s, {failed} failed: {rate / base:.2f} x in-process",
                flush=True,
            )
        calls = [texts[i % len(texts)] for i in range(args.gradio_calls)]
        in_threads(args.threads, calls[:16], lambda http, t: gradio_predict(http, url, t, False))  # warm-up
        seconds, failed = in_threads(args.threads, calls, lambda http, t: gradio_predict(http, url, t, False))
        print(
            f"Gradio API /predict, label only, one review a call from {args.threads} threads: "
            f"{len(calls) / seconds:.1f} calls/s, {failed} failed: {len(calls) / seconds / base:.2f} x in-process",
            flush=True,
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
