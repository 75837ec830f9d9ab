"""Text pipeline: the textbook tokenizer and a frequency-ordered vocabulary.

The tokenizer strips HTML tags, lowercases, splits on non-word characters and keeps
emoticons such as ``:)``, ``;-)`` and ``=D`` as tokens, with the nose removed.
Unlike the textbook, emoticons stay where they occur instead of being appended at the
end, so a recurrent model sees them in context.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

PAD, UNK = "<pad>", "<unk>"
PAD_ID, UNK_ID = 0, 1

_HTML_TAG = re.compile(r"<[^>]*>")
# An emoticon (eyes, optional nose, mouth) or a run of word characters, in lowercased text.
_TOKEN = re.compile(r"[:;=]-?[()dp](?!\w)|\w+")


def _emoticon(token: str) -> str:
    token = token.replace("-", "")
    return token.upper() if token[-1] in "dp" else token


def tokenize(text: str, limit: int | None = None) -> list[str]:
    """Split a review into lowercase word tokens and nose-less emoticons (at most ``limit`` of them)."""
    tokens = _TOKEN.findall(_HTML_TAG.sub(" ", text).lower())
    if limit is not None:
        tokens = tokens[:limit]
    return [_emoticon(t) if t[0] in ":;=" else t for t in tokens]


class Vocab:
    """Maps tokens to integer ids: ``<pad>`` = 0, ``<unk>`` = 1, then by frequency."""

    def __init__(self, itos: Sequence[str]):
        if len(itos) < 2 or itos[PAD_ID] != PAD or itos[UNK_ID] != UNK:
            raise ValueError(f"a vocabulary must start with {PAD!r}, {UNK!r}")
        self.itos = list(itos)
        self.stoi = {tok: i for i, tok in enumerate(self.itos)}
        if len(self.stoi) != len(self.itos):
            raise ValueError("a vocabulary must not repeat a token")

    @classmethod
    def build(cls, token_lists: Iterable[Sequence[str]], min_freq: int = 1, max_size: int | None = None) -> Vocab:
        """Count tokens; keep those seen ``min_freq`` times, most frequent first, ties alphabetical."""
        counts = Counter()
        for tokens in token_lists:
            counts.update(tokens)
        kept = sorted((tok for tok, n in counts.items() if n >= min_freq), key=lambda t: (-counts[t], t))
        kept = [t for t in kept if t not in (PAD, UNK)]
        if max_size is not None:
            kept = kept[: max(0, max_size - 2)]
        return cls([PAD, UNK, *kept])

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, tokens: Sequence[str]) -> list[int]:
        get = self.stoi.get
        return [get(t, UNK_ID) for t in tokens]

    def decode(self, ids: Iterable[int]) -> list[str]:
        return [self.itos[i] for i in ids]

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.itos, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> Vocab:
        itos = json.loads(Path(path).read_text(encoding="utf-8"))
        if not isinstance(itos, list) or not all(isinstance(t, str) for t in itos):
            raise ValueError(f"{path}: expected a JSON list of token strings")
        return cls(itos)
