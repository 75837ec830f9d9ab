"""The app as a public server: memory and files over many visitors, concurrency, disconnects, bursts, shutdown.

Shutdown starts ``python app.py`` as its own process on a free port and restarts it as a Space would; the others share
the suite's server (the same app, queue and sessions, in the test process: ``conftest.app_server``).
"""

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import CancelledError
from pathlib import Path

import httpx
import pytest
from gradio_client import Client

from devtools import ROOT, SHIPPED, SPACE_ENV, start_app

TINY_RUN = (
    1,
    200,
    "lstm",
    True,
    16,
    16,
    0.003,
    16,
    "random weights",
)  # /train: epochs, reviews, type, bidirectional, emb, hidden, lr, batch, start
REVIEW = "A wonderful, moving film with brilliant acting. I loved every minute."


@pytest.fixture
def server(imdb_path):
    """``python app.py`` on a free port; yields (process, url)."""
    process, url = start_app({"IMDB_DATA": str(imdb_path), "TRAIN_BUDGET_SECONDS": "1800"})  # a long run really is long
    yield process, url
    if process.poll() is None:
        process.terminate()
        process.wait(timeout=30)


def runs_root(pid: int) -> Path:
    return Path(tempfile.gettempdir()) / "sentiment-runs" / f"server-{pid}"


def fingerprint(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def wait_for_training(job, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while not any(isinstance(o[2], str) and o[2] for o in job.outputs()):  # the log's first line: the model is built
        assert not job.done(), f"the run ended early: {job.exception()}"
        assert time.monotonic() < deadline, "training did not start"
        time.sleep(0.2)


@pytest.mark.soak
@pytest.mark.skipif(not shutil.which("chromium"), reason="Debian's chromium package is not installed")
def test_short_memory_soak_leaves_no_run_folders_and_bounded_memory(imdb_path):
    """bench/soak.py at a small size: 3 visitors train and close their pages, then 300 predictions and
    300 plain-HTTP calls (300 new sessions).

    The bound is the issue's 100 MB after warm-up. What grows is Gradio's per-session state (SESSION_CAPACITY
    caps it), glibc's per-thread arenas (capped at two) and heap fragmentation (``webapp.memory.release_memory`` hands free pages back); the full
    soak's figures are in bench/README.md."""
    result = subprocess.run(
        [
            sys.executable,
            "bench/soak.py",
            "--visitors",
            "3",
            "--predictions",
            "300",
            "--http-calls",
            "300",
            "--http-rounds",
            "1",
            "--max-growth-mb",
            "100",
        ],
        cwd=ROOT,
        env=os.environ | {"IMDB_DATA": str(imdb_path)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    print(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    assert "run folders left on disk after every page closed: 0" in result.stdout


@pytest.mark.alone
def test_sigterm_mid_run_stops_within_5_s_removes_run_files_and_the_app_starts_again_as_a_space(
    server, imdb_path, long_run
):
    """A server stopped mid-run (as a Space stops it) exits at once and leaves no run files; the app then
    starts on the same port as a Space starts it (its variables, 0.0.0.0, no local IMDb copy) and answers."""
    process, url = server
    before = fingerprint(SHIPPED)
    client = Client(url, verbose=False)
    client.predict(*TINY_RUN, api_name="/train")  # a finished run: its checkpoint folder is on disk
    assert list(runs_root(process.pid).glob("visitor-*/run-*"))
    job = client.submit(*long_run, api_name="/train")
    wait_for_training(job)
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=5)  # raises if the server is still running after 5 s
    assert not runs_root(process.pid).exists()
    assert fingerprint(SHIPPED) == before  # the shipped checkpoint is never written
    port = int(url.rsplit(":", 1)[1].strip("/"))
    again, _ = start_app(SPACE_ENV | {"IMDB_DATA": ""}, port=port)  # the same port: the first process released it
    try:
        page = httpx.get(url, timeout=5)
        assert page.status_code == 200 and "IMDb sentiment" in page.text
        assert Client(url, verbose=False).predict(REVIEW, False, api_name="/predict")["label"] == "positive"
    finally:
        again.terminate()
        again.wait(timeout=30)


def test_one_client_per_thread_gets_every_answer_and_a_shared_one_can_lose_calls(app_server):
    """The README tells API users to make one Client per thread: 10 threads, each with its own, get all
    their answers. Sharing one Client between threads mostly works but its shared event stream can drop
    a call (measured: 2 of 1,000 raised CancelledError); a dropped call raises, it never returns a wrong answer."""
    url = app_server
    results = {"own": [], "shared": []}
    shared = Client(url, verbose=False)

    def worker(kind: str) -> None:
        client = Client(url, verbose=False) if kind == "own" else shared
        for _ in range(3):
            try:
                results[kind].append(client.predict(REVIEW, False, api_name="/predict")["label"])
            except CancelledError:
                results[kind].append("cancelled")

    for kind in ("own", "shared"):
        threads = [threading.Thread(target=worker, args=(kind,)) for _ in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert results["own"] == ["positive"] * 30
    assert len(results["shared"]) == 30 and set(results["shared"]) <= {"positive", "cancelled"}


def test_clients_leaving_while_queued_or_mid_prediction_do_not_stop_the_others(app_server):
    url = app_server
    long_review = "a fine film with a great cast but a weak ending " * 4  # explained: a tenth of a second or so each
    with httpx.Client(timeout=120) as http:
        events = [
            http.post(f"{url}gradio_api/call/predict", json={"data": [long_review, True]}).json()["event_id"]
            for _ in range(30)
        ]
        # ten callers hang up: they open the result stream and close it at once, while queued or being answered
        for event in events[:10]:
            with http.stream("GET", f"{url}gradio_api/call/predict/{event}") as stream:
                next(stream.iter_lines())
        answered = 0
        for event in events[10:]:
            with http.stream("GET", f"{url}gradio_api/call/predict/{event}") as stream:
                answered += "event: complete" in list(stream.iter_lines())
    assert answered == 20
    assert Client(url, verbose=False).predict(REVIEW, False, api_name="/predict")["label"] == "positive"


def test_a_burst_past_the_queue_limit_is_told_at_once_and_the_rest_are_answered(app_server):
    """120 explained predictions at once against a queue of 64: the extra calls get "Queue is full"
    while accepted ones are still being answered (they do not wait their turn), every accepted one is answered."""
    url = app_server
    long_review = "a fine film with a great cast but a weak ending " * 2
    outcomes, lock = [], threading.Lock()

    def caller() -> None:
        with httpx.Client(timeout=300) as http:
            response = http.post(f"{url}gradio_api/call/predict", json={"data": [long_review, True]})
            if response.status_code != 200:
                with lock:
                    outcomes.append(("refused", response.status_code, response.text, time.monotonic()))
                return
            with http.stream("GET", f"{url}gradio_api/call/predict/{response.json()['event_id']}") as stream:
                done = "event: complete" in list(stream.iter_lines())
            with lock:
                outcomes.append(("answered" if done else "lost", 200, "", time.monotonic()))

    threads = [threading.Thread(target=caller) for _ in range(120)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    refused = [o for o in outcomes if o[0] == "refused"]
    answered = [o for o in outcomes if o[0] == "answered"]
    assert refused and len(refused) + len(answered) == 120, [o[:3] for o in outcomes if o[0] == "lost"]
    assert all(o[1] == 503 and "Queue is full" in o[2] for o in refused)
    assert max(o[3] for o in refused) < max(o[3] for o in answered)
