"""Process-wide caches: the shipped model and its baseline, the pretrained encoder, the training reviews,
the few trained runs last picked in Predict, and the run store. Each is loaded on first use."""

from __future__ import annotations

import functools
import sys
import threading
from pathlib import Path

from sentiment import CheckpointError, Predictor, load_checkpoint, load_imdb, load_predictor
from sentiment.pretrain import Pretrained, PretrainedError, load_pretrained

from . import settings
from .runs import RunStore, Visitor


@functools.cache
def baseline_predictor() -> Predictor | None:
    """The order-blind bag-of-n-grams baseline (BASELINE_PATH), or None when this server has none."""
    try:
        return load_predictor(settings.SETTINGS.baseline_path)
    except CheckpointError as e:
        print(f"No order-blind baseline, so the Predict tab will not compare with one: {e}", file=sys.stderr)
        return None


@functools.cache
def shipped_predictor() -> Predictor:
    """The shipped (or MODEL_PATH) model, compared with the baseline when explaining."""
    predictor = load_predictor(settings.SETTINGS.model_path)
    predictor.baseline = baseline_predictor()
    return predictor


@functools.cache
def pretrained_encoder() -> Pretrained | None:
    """The pretrained BiLSTM encoder that Train tab runs can start from, or None when this server has none."""
    try:
        return load_pretrained(settings.SETTINGS.pretrained_path)
    except PretrainedError:
        return None


def has_pretrained() -> bool:
    return (Path(settings.SETTINGS.pretrained_path) / "config.json").is_file()


_IMDB_TRAIN: dict = {}  # the training reviews once read (read-only afterwards)
_IMDB_LOCK = threading.Lock()


def imdb_train(notify=None):
    """The IMDb training reviews, read once per process (IMDB_DATA, else the Hub: that split only, downloaded
    once into the Hugging Face cache); ``notify`` is told what is downloaded and how large before it is."""
    with _IMDB_LOCK:
        if "train" not in _IMDB_TRAIN:
            _IMDB_TRAIN["train"] = load_imdb(splits=("train",), notify=notify)["train"]
        return _IMDB_TRAIN["train"]


@functools.lru_cache(maxsize=4)
def run_predictor(checkpoint: str) -> Predictor:
    """A trained run's checkpoint, loaded; the few last used stay loaded, whichever visitors they belong to."""
    return Predictor(load_checkpoint(checkpoint), "cpu", baseline=baseline_predictor())


@functools.cache
def run_store() -> RunStore:
    """This server's run files (settings.RUNS_ROOT), one store for every visitor."""
    return RunStore(settings.SETTINGS.runs_root, settings.MAX_RUNS, settings.RUN_FILES_TTL_S)


def chosen_predictor(choice: str, visitor: Visitor) -> tuple[Predictor, bool]:
    """The model picked in the Predict tab (the shipped one, or one of ``visitor``'s Train tab runs by name) and
    whether it is a run; a run no longer kept raises ``RunUnavailable`` saying so."""
    if choice == settings.SHIPPED:
        return shipped_predictor(), False
    return run_predictor(str(run_store().find(visitor, choice).checkpoint)), True
