"""Speed of the whole app, as a user meets it, against a localhost server started here.

    IMDB_DATA=../shared/data/imdb python bench/app_speed.py

Prints: start-up time of ``python app.py`` (process start to the first answered /predict call),
the median and 95th percentile of /predict calls through ``gradio_client`` with, as the
baseline in the same run, the time of the same call to the predictor inside the process; and
the time from pressing Train (2,000 reviews, 1 epoch) to the first plot update, for a first
and a second run (the second finds the reviews already loaded).
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REVIEW = (
    "I went in with low expectations and came out delighted. The cast is terrific, the dialogue is witty "
    "and the story never drags, although the final act leans a little too hard on coincidence."
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    from gradio_client import Client

    port = free_port()
    env = dict(os.environ, GRADIO_SERVER_PORT=str(port), GRADIO_ANALYTICS_ENABLED="False")
    start = time.perf_counter()
    server = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        client = None
        while client is None:
            try:
                client = Client(f"http://127.0.0.1:{port}/", verbose=False)
                client.predict(REVIEW, api_name="/predict")
            except Exception:
                client = None
                if server.poll() is not None or time.perf_counter() - start > 120:
                    raise SystemExit("the app did not start")
                time.sleep(0.1)
        print(f"start-up: {time.perf_counter() - start:.1f} s from `python app.py` to the first answered /predict")

        samples = []
        for _ in range(100):
            t = time.perf_counter()
            client.predict(REVIEW, api_name="/predict")
            samples.append(1000 * (time.perf_counter() - t))
        samples.sort()
        sys.path.insert(0, str(ROOT))
        from sentiment import load_predictor

        p = load_predictor(ROOT / "checkpoints" / "bilstm-imdb", device="cpu")
        inproc = []
        for _ in range(100):
            t = time.perf_counter()
            p.predict(REVIEW, explain=True)
            inproc.append(1000 * (time.perf_counter() - t))
        print(f"/predict through gradio_client: median {statistics.median(samples):.1f} ms, p95 {samples[94]:.1f} ms "
              f"(the same prediction in-process: median {statistics.median(inproc):.1f} ms)")  # fmt: skip

        for run in ("first", "second"):
            trainer = Client(f"http://127.0.0.1:{port}/", verbose=False)
            t = time.perf_counter()
            job = trainer.submit(1, 2000, "lstm", True, 32, 32, 0.003, 32, "random weights", api_name="/train")
            while not any(o[0] is not None and o[0].get("data") for o in job.outputs()):
                if job.done():
                    raise SystemExit(f"training ended without a plot: {job.exception()}")
                time.sleep(0.05)
            first_plot = time.perf_counter() - t
            job.result()
            print(f"Train pressed to first plot update ({run} run, 2,000 reviews): {first_plot:.1f} s; whole run {time.perf_counter() - t:.1f} s")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
