"""Prediction latency while a Train tab run holds the CPU, against the same load on an idle server.

    IMDB_DATA=../shared/data/imdb python bench/predict_while_training.py [--train-threads 1]

Starts ``python app.py``. Load: 4 threads, each with its own ``gradio_client.Client``, 50
explained ``/predict`` calls each (the Predict tab's work). Measured first on the idle server
(the baseline), then while a run of the Train tab's default settings trains. Prints p50 and p95
of both, the ratio of the p95s (target: at most 3), and how long the training run took with
and without the prediction load beside it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from devtools import start_app  # noqa: E402

REVIEW = (
    "I went in with low expectations and came out delighted. The cast is terrific, the dialogue is witty "
    "and the story never drags, although the final act leans a little too hard on coincidence."
)
DEFAULT_RUN = (3, 10000, "lstm", True, 32, 32, 0.005, 32, "random weights")  # the Train tab's defaults


def load(url: str, threads: int = 4, calls: int = 50) -> list[float]:
    from gradio_client import Client

    latencies: list[float] = []

    def worker() -> None:
        client = Client(url, verbose=False)
        for _ in range(calls):
            t = time.perf_counter()
            client.predict(REVIEW, True, api_name="/predict")
            latencies.append(1000 * (time.perf_counter() - t))

    workers = [threading.Thread(target=worker) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return sorted(latencies)


def p95(xs: list[float]) -> float:
    return xs[int(0.95 * (len(xs) - 1))]


def timed_run(url: str, during=None) -> tuple[float, list[float] | None]:
    """A default Train run; with ``during``, that load runs once the run has started. Returns the run's seconds."""
    from gradio_client import Client

    start = time.perf_counter()
    job = Client(url, verbose=False).submit(*DEFAULT_RUN, api_name="/train")
    result = None
    if during:
        while not any(isinstance(o[2], str) and o[2] for o in job.outputs()):
            time.sleep(0.1)
        result = during()
        if job.done():
            print("warning: the training run ended before the prediction load did")
    job.result(timeout=900)
    return time.perf_counter() - start, result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--train-threads", type=int, default=None, help="TRAIN_THREADS for the server (default: the app's)")
    args = ap.parse_args()
    if args.train_threads:
        os.environ["TRAIN_THREADS"] = str(args.train_threads)
    server, url = start_app()
    try:
        load(url, calls=5)  # warm-up
        idle = load(url)
        alone, _ = timed_run(url)
        with_load, busy = timed_run(url, during=lambda: load(url))
        print(f"TRAIN_THREADS={os.environ.get('TRAIN_THREADS', 'default')}")
        print(
            f"/predict idle: p50 {statistics.median(idle):.0f} ms, p95 {p95(idle):.0f} ms ({len(idle)} calls, 4 clients)"
        )
        print(
            f"/predict while training: p50 {statistics.median(busy):.0f} ms, p95 {p95(busy):.0f} ms: p95 ratio {p95(busy) / p95(idle):.2f}x (target <= 3)"
        )
        print(f"default Train run: {alone:.1f} s alone, {with_load:.1f} s with the prediction load beside it")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
