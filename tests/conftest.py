"""Shared fixtures: the IMDb data (real, from IMDB_DATA or ../shared/data/imdb), the shipped checkpoint, the
built page and one server of the app (FastAPI with the JSON route and the Gradio app) shared by the tests
that need no process of their own."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from devtools import ROOT, SHIPPED, free_port, imdb_folder, start_app  # noqa: F401  (re-exported for the tests)


@pytest.fixture(scope="session")
def long_run() -> tuple:
    """The Train tab's inputs for a run of many minutes, far past any timeout in these tests."""
    return (5, 5000, "lstm", True, 128, 128, 0.003, 32, "random weights")


@pytest.fixture(scope="session")
def imdb_path():
    folder = imdb_folder()
    if folder is None:
        pytest.skip("IMDb data not found: set IMDB_DATA to a folder with train.parquet and test.parquet")
    os.environ["IMDB_DATA"] = str(folder)  # the app reads the training reviews from here, never the Hub
    return folder


@pytest.fixture(scope="session")
def imdb(imdb_path):
    from sentiment import load_imdb

    return load_imdb(imdb_path)


@pytest.fixture(scope="session")
def shipped():
    from sentiment import load_predictor

    return load_predictor(SHIPPED, device="cpu")


@pytest.fixture(scope="session")
def page_ui():
    """The page as app.py builds it (its components, to read handlers' results by name)."""
    import app

    return app.app_ui


@pytest.fixture(scope="session")
def app_server(page_ui, imdb_path):
    """The real app (JSON route and Gradio app on one FastAPI app, queue and sessions as app.py serves them)
    on a free localhost port, in this process; yields its URL."""
    from webapp import serving

    server = serving.Server(serving.create_app(page_ui.demo), "127.0.0.1", free_port()).start()
    yield server.url
    server.stop()


def alone_lock_path(tmp_path_factory) -> Path:
    """The lock of the ``alone`` marker, in the folder the workers' temporary folders share (pytest cleans it)."""
    return tmp_path_factory.getbasetemp().parent / "alone.lock"


@pytest.fixture(autouse=True)
def _alone_when_marked(request, tmp_path_factory):
    """Under pytest-xdist, a test marked ``alone`` (it checks wall-clock behaviour: a time budget, a run watched as
    it trains, a shutdown within seconds) runs with no other test beside it: it holds a lock exclusively that
    every other test holds shared. A turnstile lets it in between two tests of the other worker."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        yield
        return
    import fcntl

    path = alone_lock_path(tmp_path_factory)
    alone = request.node.get_closest_marker("alone") is not None
    with open(path, "a") as lock, open(path.with_suffix(".turnstile"), "a") as gate:
        fcntl.flock(gate, fcntl.LOCK_EX)
        fcntl.flock(lock, fcntl.LOCK_EX if alone else fcntl.LOCK_SH)
        fcntl.flock(gate, fcntl.LOCK_UN)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
