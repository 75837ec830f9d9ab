"""Memory soak: many visitors train and leave, then many predictions; does the server's memory stay put?

    IMDB_DATA=../shared/data/imdb python bench/soak.py      # 30 visitors, 2,000 predictions, 3 x 2,000 plain HTTP calls
    IMDB_DATA=../shared/data/imdb python bench/soak.py --visitors 3 --predictions 300 --http-calls 300 --http-rounds 1

Starts ``python app.py`` as its own process. Each visitor is a separate Chromium page (a real
session with Gradio's heartbeat) that trains one small run (200 reviews, 1 epoch) and then
closes. After the visitors come the predictions, through the API, 20 threads with one
``gradio_client.Client`` each, then label-only calls over plain HTTP as curl makes them (each
one a new Gradio session), in rounds. Prints the server's resident memory after a warm-up visitor
and 100 predictions, after all visitors, after the predictions and after each round of HTTP calls,
and how many run folders are left on disk once the pages have closed. Exits 1 if memory grew by
more than ``--max-growth-mb`` from the warm-up to the end of the predictions (the visitors and
predictions of the issue's soak), if a call failed or a run folder is left behind. The HTTP rounds
are reported, not bounded: Gradio keeps the state of the last SESSION_CAPACITY sessions and more
per-call records up to its own caps, so memory rises over the first rounds and should then level.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
REVIEW = "I went in with low expectations and came out delighted. The cast is terrific and the story never drags."


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def visit_and_train(browser, url: str) -> None:
    """One visitor: open the page, train 200 reviews for 1 epoch, wait for the run to finish, close the page."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(url)
    page.get_by_role("tab", name="Train").click()
    from devtools import set_number

    for label, value in (("Training reviews", "200"), ("Epochs", "1")):
        set_number(page, label, value)
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_text("Best validation accuracy").wait_for(timeout=180000)
    context.close()


def in_threads(total: int, threads: int, connect, call) -> int:
    """``total`` calls spread over ``threads`` threads, each with its own client from ``connect()``, given
    to ``call(client)``; how many failed."""
    failed = []

    def worker(n: int) -> None:
        client = connect()
        try:
            for _ in range(n):
                try:
                    call(client)
                except Exception as e:  # noqa: BLE001 - counted
                    failed.append(e)
        finally:
            client.close()

    per = [total // threads + (i < total % threads) for i in range(threads)]
    workers = [threading.Thread(target=worker, args=(n,)) for n in per if n]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return len(failed)


def predictions(url: str, total: int) -> int:
    """``total`` explained /predict calls through gradio_client, 20 threads; how many failed."""
    from gradio_client import Client

    return in_threads(
        total, 20, lambda: Client(url, verbose=False), lambda c: c.predict(REVIEW, True, api_name="/predict")
    )


def http_calls(url: str, total: int) -> int:
    """``total`` label-only /predict calls over plain HTTP, 20 threads; how many failed."""
    import httpx

    from devtools import gradio_predict as http_predict

    return in_threads(total, 20, lambda: httpx.Client(timeout=120), lambda http: http_predict(http, url, REVIEW, False))


def run_folders(pid: int) -> list[Path]:
    root = Path(tempfile.gettempdir()) / "sentiment-runs" / f"server-{pid}"
    return sorted(root.glob("visitor-*/run-*")) if root.exists() else []


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--visitors", type=int, default=30)
    ap.add_argument("--predictions", type=int, default=2000)
    ap.add_argument("--http-calls", type=int, default=2000)
    ap.add_argument("--http-rounds", type=int, default=3)
    ap.add_argument("--max-growth-mb", type=float, default=100.0)
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from playwright.sync_api import sync_playwright

    from devtools import start_app

    server, url = start_app()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM,
                args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            start = time.perf_counter()
            visit_and_train(browser, url)  # warm-up: the reviews are read, kernels and pools allocated
            predictions(url, 100)
            warm = rss_mb(server.pid)
            print(f"after warm-up (1 visitor, 100 predictions): {warm:.0f} MB resident")
            for _ in range(args.visitors):
                visit_and_train(browser, url)
            after_runs = rss_mb(server.pid)
            print(
                f"after {args.visitors} more visitors each trained a run and left: {after_runs:.0f} MB ({after_runs - warm:+.0f} MB)"
            )
            browser.close()
        failed = predictions(url, args.predictions)
        after_predictions = rss_mb(server.pid)
        print(
            f"after {args.predictions} predictions ({failed} failed): {after_predictions:.0f} MB ({after_predictions - warm:+.0f} MB since warm-up)"
        )
        for round_ in range(1, args.http_rounds + 1):
            failed += http_calls(url, args.http_calls)
            after_http = rss_mb(server.pid)
            print(
                f"after {round_ * args.http_calls} label-only calls over plain HTTP, each a new session: "
                f"{after_http:.0f} MB ({after_http - warm:+.0f} MB since warm-up; {failed} calls failed so far)"
            )
        time.sleep(5)  # Gradio notices a closed page when its heartbeat stops
        left = run_folders(server.pid)
        print(
            f"run folders left on disk after every page closed: {len(left)}; {time.perf_counter() - start:.0f} s in all"
        )
        growth = max(after_runs, after_predictions) - warm
        ok = growth <= args.max_growth_mb and not left and not failed
        print(
            "OK"
            if ok
            else f"FAILED: growth {growth:.0f} MB (bound {args.max_growth_mb:g}), {len(left)} folders left, {failed} failed"
        )
        return 0 if ok else 1
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
