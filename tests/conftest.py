"""Shared fixtures: the IMDb data (real, from IMDB_DATA or ../shared/data/imdb) and the shipped checkpoint."""

from __future__ import annotations

import os
import socket
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


@pytest.fixture(scope="session")
def app_server(imdb_path):
    """The real app on a free localhost port, queue configured as in app.main(); yields its URL."""
    os.environ["IMDB_DATA"] = str(imdb_path)
    import app

    app.configure_queue(app.demo)
    _, url, _ = app.demo.launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True, show_error=True)
    yield url
    app.demo.close()
