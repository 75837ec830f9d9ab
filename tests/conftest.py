"""Shared fixtures: the IMDb data (real, from IMDB_DATA or ../shared/data/imdb) and the shipped checkpoint."""

from __future__ import annotations

import os
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
