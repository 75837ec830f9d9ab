"""Shared fixtures: the IMDb data (real, from IMDB_DATA or ../shared/data/imdb), the shipped checkpoint, the
built page and one server of the app (FastAPI with the JSON route and the Gradio app) shared by the tests
that need no process of their own."""

from __future__ import annotations

import os

import pytest

from devtools import ROOT, SHIPPED, free_port, imdb_folder, start_app  # noqa: F401  (re-exported for the tests)


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
