"""Shared fixtures: the IMDb data (real, from IMDB_DATA or ../shared/data/imdb) and the shipped checkpoint."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "checkpoints" / "bilstm-imdb"


def imdb_folder() -> Path | None:
    for candidate in (os.environ.get("IMDB_DATA"), ROOT.parent / "shared" / "data" / "imdb"):
        if candidate and (Path(candidate) / "train.parquet").is_file():
            return Path(candidate)
    return None


@pytest.fixture(scope="session")
def imdb_path() -> Path:
    folder = imdb_folder()
    if folder is None:
        pytest.skip("IMDb data not found: set IMDB_DATA to a folder with train.parquet and test.parquet")
    return folder


@pytest.fixture(scope="session")
def imdb(imdb_path):
    from sentiment import load_imdb

    return load_imdb(imdb_path)


@pytest.fixture(scope="session")
def shipped():
    from sentiment import load_predictor

    return load_predictor(SHIPPED, device="cpu")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(
    env: dict | None = None, port: int | None = None, timeout: float = 120, args: tuple[str, ...] = ("app.py",)
) -> tuple[subprocess.Popen, str]:
    """``python app.py`` (or ``python *args``) as its own process (``env`` added to this one's), on ``port`` or a
    free one; returns (process, url) once it serves its page. Its output goes to a temporary file, shown if it
    fails to start."""
    import httpx

    port = port or free_port()
    env = os.environ | {"GRADIO_SERVER_PORT": str(port), "GRADIO_ANALYTICS_ENABLED": "False"} | (env or {})
    log = tempfile.TemporaryFile(mode="w+")  # a file, not a pipe: a long-running server never blocks on a full pipe
    process = subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + timeout
    while True:
        try:
            httpx.get(url, timeout=5)
            return process, url
        except httpx.HTTPError:
            if process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.3)
                continue
            process.kill()
            log.seek(0)
            raise RuntimeError(f"the app did not start:\n{log.read()[-3000:]}") from None


@pytest.fixture(scope="session")
def app_server(imdb_path):
    """The real app on a free localhost port, queue and sessions configured as in app.main(); yields its URL."""
    os.environ["IMDB_DATA"] = str(imdb_path)
    import app

    app.configure_queue(app.demo)
    app.defer_session_configs()
    _, url, _ = app.demo.launch(
        server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True, show_error=True
    )
    yield url
    app.demo.close()
