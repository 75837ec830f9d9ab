"""Speed of the whole app, as a user meets it, against a localhost server started here.

    IMDB_DATA=../shared/data/imdb python bench/app_speed.py

Prints: start-up time of ``python app.py`` (process start to the first answered /predict call),
the median and 95th percentile of /predict calls through ``gradio_client`` with, as the
baseline in the same run, the time of the same call to the predictor inside the process; and
throughput of /predict from 20 concurrent clients (one per thread), label-only and explained,
through ``gradio_client`` and through plain HTTP (what ``curl`` does): calls/s, p50 and p95 and
the server's CPU time per call (the clients run on the same cores, so calls/s understates what
the server alone could answer: cores / CPU per call bounds that); and
the time from pressing Train (2,000 reviews, 1 epoch) to the first plot update, for a first
and a second run (the second finds the reviews already loaded). Label-only throughput of the JSON
route against in-process ``predict_batch`` is ``bench/http_speed.py``.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devtools import free_port  # noqa: E402
from devtools import gradio_predict as http_predict  # noqa: E402

REVIEW = (
    "I went in with low expectations and came out delighted. The cast is terrific, the dialogue is witty "
    "and the story never drags, although the final act leans a little too hard on coincidence."
)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Throughput:
    rate: float  # answered calls per second
    failed: int
    line: str  # what was measured, for printing

    def __str__(self) -> str:
        return self.line


def concurrent(
    url: str, way: str, explain: bool, clients: int = 20, calls: int = 25, server_pid: int | None = None
) -> Throughput:
    """``clients`` threads, each with its own client, each making ``calls`` calls at once; calls/s, p50, p95."""
    import httpx
    from gradio_client import Client

    latencies, failures, ready = [], [], threading.Barrier(clients + 1)

    def worker():
        client = Client(url, verbose=False) if way == "gradio_client" else httpx.Client(timeout=120)
        call = (
            (lambda: client.predict(REVIEW, explain, api_name="/predict"))
            if way == "gradio_client"
            else (lambda: http_predict(client, url, REVIEW, explain))
        )
        ready.wait()
        for _ in range(calls):
            t = time.perf_counter()
            try:
                call()
                latencies.append(1000 * (time.perf_counter() - t))
            except Exception as e:  # noqa: BLE001 - counted and reported
                failures.append(repr(e))

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for th in threads:
        th.start()
    ready.wait()
    start, cpu = time.perf_counter(), cpu_seconds(server_pid) if server_pid else 0.0
    for th in threads:
        th.join()
    seconds = time.perf_counter() - start
    server_cpu = (
        f", server CPU {1000 * (cpu_seconds(server_pid) - cpu) / max(1, len(latencies)):.1f} ms per call"
        if server_pid
        else ""
    )
    latencies.sort()
    p95 = latencies[int(0.95 * (len(latencies) - 1))] if latencies else float("nan")
    return Throughput(
        len(latencies) / seconds,
        len(failures),
        (
            f"{clients} clients x {calls} calls, {way}, {'explained' if explain else 'label only'}: "
            f"{len(latencies) / seconds:.1f} calls/s, p50 {statistics.median(latencies):.0f} ms, p95 {p95:.0f} ms, "
            f"{len(failures)} failed{server_cpu}"
        ),
    )


def main() -> None:
    from gradio_client import Client

    port = free_port()
    env = dict(os.environ, GRADIO_SERVER_PORT=str(port), GRADIO_ANALYTICS_ENABLED="False")
    start = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        client = None
        while client is None:
            try:
                client = Client(f"http://127.0.0.1:{port}/", verbose=False)
                client.predict(REVIEW, api_name="/predict")
            except Exception:
                client = None
                if server.poll() is not None or time.perf_counter() - start > 120:
                    raise SystemExit("the app did not start") from None
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
        print(
            f"/predict through gradio_client: median {statistics.median(samples):.1f} ms, p95 {samples[94]:.1f} ms "
            f"(the same prediction in-process: median {statistics.median(inproc):.1f} ms)"
        )

        url = f"http://127.0.0.1:{port}/"
        for way in ("gradio_client", "HTTP"):
            for explain in (False, True):
                print(concurrent(url, way, explain, server_pid=server.pid))

        for run in ("first", "second"):
            trainer = Client(f"http://127.0.0.1:{port}/", verbose=False)
            t = time.perf_counter()
            job = trainer.submit(1, 2000, "lstm", True, 32, 32, 0.003, 32, "random weights", api_name="/train")
            while not any(
                isinstance(o[0], dict) and (o[0].get("value") or {}).get("data") for o in job.outputs()
            ):  # a plot with points
                if job.done():
                    raise SystemExit(f"training ended without a plot: {job.exception()}")
                time.sleep(0.05)
            first_plot = time.perf_counter() - t
            job.result()
            print(
                f"Train pressed to first plot update ({run} run, 2,000 reviews): {first_plot:.1f} s; whole run {time.perf_counter() - t:.1f} s"
            )
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
