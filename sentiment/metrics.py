"""A classifier checkpoint's ``metrics.json``: one dataclass, written by ``train.py`` and the web app's
Train tab, read (schema-checked) by the web app's Model tab and the tests.

``Metrics.from_dict`` names the key that is missing or of the wrong type; keys it does not know are
kept in ``extra`` so an older or newer file still loads.
"""

from __future__ import annotations

import dataclasses
import json
import os
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path


class MetricsError(ValueError):
    """metrics.json does not hold what a classifier checkpoint's metrics must; the message names the key."""


@dataclass
class Metrics:
    valid_accuracy: float  # best accuracy on the held-out validation reviews (the weights kept)
    train_reviews: int  # labelled training reviews
    valid_reviews: int  # held-out validation reviews
    train_seconds: float  # training time, validation checks included
    history: list[dict]  # each validation check: epoch, step, train/valid loss and accuracy, seconds
    test_accuracy: float | None = None  # on the test reviews (train.py scores them once; Train tab runs do not)
    test_reviews: int | None = None
    test_seconds: float | None = None
    best_epoch: float | None = None  # when the kept weights were best on validation
    epochs: int | None = None
    unlabeled_reviews: int | None = None  # unlabeled reviews labelled by teachers (distillation)
    vocab_size: int | None = None
    parameters: int | None = None
    device: str | None = None
    seed: int | None = None
    train_config: dict | None = None  # the TrainConfig, as a dict
    versions: dict | None = None  # python and library versions
    command: str | None = None  # the train.py command that made it
    pretrained: dict | None = None  # the encoder it started from: path, heldout_perplexity
    teachers: list[dict] | None = None  # the teachers it learned from: path, test_accuracy
    init: dict | None = None  # the checkpoint it continued: path, test_accuracy
    earlier_rounds: list[dict] | None = None  # the rounds it continued, oldest first (see ``lineage``)
    augmented_examples: int | None = None  # edits of training reviews and labelled sentences added (train.py --augment)
    augment: dict | None = None  # the AugmentConfig they were made with
    trained_in: str | None = None  # "app Train tab" for a run trained in the web app
    run: str | None = None  # the Train tab run's name
    settings: dict | None = None  # the Train tab run's settings
    extra: dict = field(default_factory=dict)  # keys not named above, kept as they are

    @classmethod
    def from_dict(cls, raw: dict) -> Metrics:
        if not isinstance(raw, dict):
            raise MetricsError(f"metrics must be a JSON object, not {type(raw).__name__}")
        hints = typing.get_type_hints(cls)
        known = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        values = {}
        for f in dataclasses.fields(cls):
            if f.name == "extra":
                continue
            if f.name not in raw:
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                    raise MetricsError(f"metrics: {f.name!r} is missing")
                continue
            value = raw[f.name]
            if not _fits(value, hints[f.name]):
                raise MetricsError(f"metrics: {f.name!r} should be {_name(hints[f.name])}, not {value!r:.80}")
            values[f.name] = value
        return cls(**values, extra={k: v for k, v in raw.items() if k not in known})

    def to_dict(self) -> dict:
        """The JSON object written to metrics.json: fields left at None are left out."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "extra"}
        return {k: v for k, v in out.items() if v is not None} | self.extra

    @classmethod
    def read(cls, folder: str | os.PathLike) -> Metrics:
        return cls.from_dict(json.loads((Path(folder) / "metrics.json").read_text(encoding="utf-8")))


def lineage(m: Metrics) -> list[dict]:
    """The rounds a model continued from ``m`` stands on, oldest first: ``m``'s own earlier rounds, then ``m``,
    each as its command, accuracies, training time and the sentences it was taught."""
    this = {
        "command": m.command,
        "valid_accuracy": m.valid_accuracy,
        "test_accuracy": m.test_accuracy,
        "train_seconds": m.train_seconds,
        "augmented_examples": m.augmented_examples,
        "augment": m.augment,
    }
    return [*(m.earlier_rounds or []), {k: v for k, v in this.items() if v is not None}]


def _fits(value, hint) -> bool:
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        return any(_fits(value, h) for h in typing.get_args(hint))
    if hint is type(None):
        return value is None
    origin = typing.get_origin(hint) or hint
    if origin is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if origin is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, origin)


def _name(hint) -> str:
    return " or ".join(getattr(h, "__name__", str(h)) for h in typing.get_args(hint)) or getattr(
        hint, "__name__", str(hint)
    )
