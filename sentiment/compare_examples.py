"""Examples for "Edit and compare": real IMDb test reviews, each with a small edit that flips its meaning.

They live in ``compare_examples.json`` beside this module, each with its claim: whether the BiLSTM and the
order-blind baseline *follow* the edit, i.e. are right on the review and give the opposite verdict on the
edited copy. The claims are what the shipped checkpoints do; ``bench/compare_examples.py`` checks them,
re-derives them when a checkpoint changes (``--write``) and proposes new edits (``--find``). The examples
must show at least one edit the BiLSTM follows and the baseline does not, and one that neither follows.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

from .predict import Comparison

EXAMPLES_FILE = Path(__file__).with_name("compare_examples.json")
NEEDED = {
    (True, False): "an edit the BiLSTM follows and the baseline does not",
    (False, False): "an edit neither model follows",
}


@dataclass(frozen=True)
class EditExample:
    name: str  # a short title
    test_index: int  # the review's position in the IMDb test split (as ``load_imdb`` reads it)
    gold: str  # the review's label, "positive" or "negative"
    original: str  # the review as published
    edited: str  # the review after the edit
    edit: str  # what the edit changed, in words
    model_follows: bool  # claim: the BiLSTM is right on the review and gives the opposite verdict on the edit
    baseline_follows: bool  # claim: the same of the baseline

    def with_claim(self, model_follows: bool, baseline_follows: bool) -> EditExample:
        return replace(self, model_follows=model_follows, baseline_follows=baseline_follows)


def outcome(c: Comparison, gold: str) -> tuple[bool, bool | None]:
    """(the BiLSTM follows the edit, the baseline follows it; None without a baseline): right on the original
    (``gold``) and the other label on the edited text."""
    flipped = "negative" if gold == "positive" else "positive"
    model = c.original.label == gold and c.edited.label == flipped
    if not (c.original.baseline and c.edited.baseline):
        return model, None
    return model, c.original.baseline["label"] == gold and c.edited.baseline["label"] == flipped


def load_examples(path: str | Path = EXAMPLES_FILE) -> list[EditExample]:
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    names = {f.name for f in fields(EditExample)}
    for n, item in enumerate(raw):
        if not isinstance(item, dict) or set(item) != names:
            raise ValueError(f"{path}: example {n} must have exactly the keys {sorted(names)}")
    return [EditExample(**item) for item in raw]


def save_examples(examples: list[EditExample], path: str | Path = EXAMPLES_FILE) -> None:
    text = json.dumps([asdict(e) for e in examples], indent=2, ensure_ascii=False) + "\n"
    Path(path).write_text(text, encoding="utf-8")


def coverage(examples: list[EditExample]) -> list[str]:
    """What the examples fail to show of ``NEEDED`` (empty when they show it all)."""
    shown = {(e.model_follows, e.baseline_follows) for e in examples}
    return [text for key, text in NEEDED.items() if key not in shown]
