"""Helpers shared by the tests and the benchmarks (neither owns them): free ports, the app as its own
process, the IMDb folder, one label-only call over each of the app's HTTP APIs, and typing into the page's number
boxes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "checkpoints" / "bilstm-imdb"


# The variables a Hugging Face Space sets for ``python app.py`` (bound to every interface, no analytics).
SPACE_ENV = {
    "SYSTEM": "spaces",
    "SPACE_ID": "someone/imdb-sentiment",
    "GRADIO_SERVER_NAME": "0.0.0.0",
    "GRADIO_ANALYTICS_ENABLED": "False",
}


def imdb_folder() -> Path | None:
    """IMDB_DATA, else ../shared/data/imdb, when it holds train.parquet."""
    for candidate in (os.environ.get("IMDB_DATA"), ROOT.parent / "shared" / "data" / "imdb"):
        if candidate and (Path(candidate) / "train.parquet").is_file():
            return Path(candidate)
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(
    env: dict | None = None,
    port: int | None = None,
    timeout: float = 120,
    args: tuple[str, ...] = ("app.py",),
    cwd: Path = ROOT,
) -> tuple[subprocess.Popen, str]:
    """``python app.py`` (or ``python *args``) in ``cwd`` as its own process (``env`` added to this one's), on
    ``port`` or a free one; returns (process, url) once it serves its page. Its output goes to a temporary file,
    shown if it fails to start."""
    import httpx

    port = port or free_port()
    env = os.environ | {"GRADIO_SERVER_PORT": str(port), "GRADIO_ANALYTICS_ENABLED": "False"} | (env or {})
    log = tempfile.TemporaryFile(mode="w+")  # a file, not a pipe: a long-running server never blocks on a full pipe
    process = subprocess.Popen([sys.executable, *args], cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
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


def gradio_predict(http, url: str, text: str, explain: bool) -> list[str]:
    """One Gradio API /predict call the way curl makes it: POST the inputs, then read the result's event stream."""
    event = http.post(f"{url}gradio_api/call/predict", json={"data": [text, explain]}).json()["event_id"]
    with http.stream("GET", f"{url}gradio_api/call/predict/{event}") as stream:
        lines = list(stream.iter_lines())
    if "event: complete" not in lines:
        raise RuntimeError(f"no result: {lines[:4]}")
    return lines


def json_predict(http, url: str, texts: list[str], explain: bool = False) -> list[dict]:
    """One ``POST /api/v1/predict`` call; its predictions."""
    response = http.post(f"{url}api/v1/predict", json={"texts": texts, "explain": explain})
    response.raise_for_status()
    return response.json()["predictions"]


def set_number(page, label: str, value: str) -> None:
    """Type ``value`` into the number box of the slider or number field labelled ``label`` (a Playwright page)."""
    box = (
        page.get_by_label(label, exact=False)
        .locator("xpath=ancestor::div[contains(@class,'block')][1]//input[@type='number']")
        .first
    )
    box.fill(value)
    box.press("Enter")
