"""Word-level differences between two reviews, over the tokens the models read.

The two texts are tokenized as the models tokenize them (``sentiment.text.tokenize``: lowercase
words and emoticons, no punctuation, no HTML), and ``difflib.SequenceMatcher`` aligns the two
token lists. Each run of differing tokens is one ``Change``: words *inserted* (nothing before),
*removed* (nothing after) or *replaced*. An edit the models cannot see (punctuation, case, HTML,
spacing) is no change at all.

For display, ``marks`` give each token of either text its kind of change (or ``None``), and
``segments`` cut a text into its own pieces (original spelling, case and punctuation) with the
marks of the tokens they hold, ready for a highlighted-text view.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from .text import _HTML_TAG, _TOKEN, tokenize

INSERTED, REMOVED, REPLACED = "inserted", "removed", "replaced"


@dataclass(frozen=True)
class Change:
    """One run of differing tokens: the original's tokens ``index`` .. ``index + len(before)`` became ``after``.
    An insertion has ``before == []`` and goes in before the original's token ``index``."""

    index: int  # position in the original's tokens where the change starts
    before: tuple[str, ...]  # the original's tokens that went (empty: words were inserted)
    after: tuple[str, ...]  # the edited text's tokens that came in their place (empty: words were removed)
    edited_index: int  # position in the edited text's tokens where ``after`` starts

    @property
    def kind(self) -> str:
        return INSERTED if not self.before else REMOVED if not self.after else REPLACED

    def to_dict(self) -> dict:
        """``{"index", "before", "after"}``, the words joined by spaces ("" for none)."""
        return {"index": self.index, "before": " ".join(self.before), "after": " ".join(self.after)}


@dataclass(frozen=True)
class WordDiff:
    original: tuple[str, ...]  # the original's tokens
    edited: tuple[str, ...]  # the edited text's tokens
    changes: tuple[Change, ...]

    def marks(self) -> tuple[list[str | None], list[str | None]]:
        """Per token of the original (None, "removed" or "replaced") and of the edited text (None, "inserted" or
        "replaced")."""
        before: list[str | None] = [None] * len(self.original)
        after: list[str | None] = [None] * len(self.edited)
        for c in self.changes:
            before[c.index : c.index + len(c.before)] = [c.kind] * len(c.before)
            after[c.edited_index : c.edited_index + len(c.after)] = [c.kind] * len(c.after)
        return before, after


def diff_tokens(original: list[str] | tuple[str, ...], edited: list[str] | tuple[str, ...]) -> WordDiff:
    """Align two token lists and list the runs of tokens that differ, in order.

    ``difflib.SequenceMatcher`` aligns them, with ``autojunk`` off (with it, words frequent in a long review,
    "the", "and", are ignored when aligning, and a one-word edit of a 230-word review can come out as many
    changes). It matches the longest common runs first, so among repeated words it can pair a word with the
    wrong copy: "good good good" -> "good bad good" comes out as "bad" inserted and the last "good" removed.
    So wherever changes lie within ``NEAR`` tokens of each other, that stretch is aligned again by the fewest
    word edits (a replaced word counting as one edit, as an inserted or a removed one does), which reads it as
    "good" replaced by "bad".
    """
    a, b = tuple(original), tuple(edited)
    changes = tuple(Change(i1, a[i1:i2], b[j1:j2], j1) for op, i1, i2, j1, j2 in _opcodes(a, b) if op != "equal")
    return WordDiff(a, b, changes)


NEAR = 3  # changes at most this many tokens apart are re-aligned together
MAX_CELLS = 10_000  # ... when the stretch's two sides multiplied are at most this many (the alignment's table)


def _opcodes(a: tuple[str, ...], b: tuple[str, ...]) -> list[tuple[str, int, int, int, int]]:
    ops = SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    out: list[tuple[str, int, int, int, int]] = []
    k = 0
    while k < len(ops):
        if ops[k][0] == "equal":
            out.append(ops[k])
            k += 1
            continue
        end = k  # the stretch: changes separated by at most NEAR equal tokens
        while end + 2 < len(ops) and ops[end + 1][2] - ops[end + 1][1] <= NEAR:
            end += 2
        _, i1, _, j1, _ = ops[k]
        _, _, i2, _, j2 = ops[end]
        if end > k and (i2 - i1) * (j2 - j1) <= MAX_CELLS:
            out.extend((op, i1 + p, i1 + q, j1 + r, j1 + s) for op, p, q, r, s in _fewest_edits(a[i1:i2], b[j1:j2]))
        else:
            out.extend(ops[k : end + 1])
        k = end + 1
    return out


def _fewest_edits(a: tuple[str, ...], b: tuple[str, ...]) -> list[tuple[str, int, int, int, int]]:
    """Opcodes (as ``SequenceMatcher.get_opcodes``) of an alignment of ``a`` with ``b`` by the fewest word
    insertions, removals and replacements (Levenshtein's distance over words); of those, one that matches
    the most words."""
    n, m = len(a), len(b)
    edit = n + m + 1  # an edit costs more than all matched words can give back: fewest edits first, then most matches
    cost = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n + 1):
        cost[i][0] = i * edit
    for j in range(m + 1):
        cost[0][j] = j * edit
    for i in range(1, n + 1):
        row, above = cost[i], cost[i - 1]
        for j in range(1, m + 1):
            row[j] = min(above[j - 1] + (edit if a[i - 1] != b[j - 1] else -1), above[j] + edit, row[j - 1] + edit)
    steps = []  # backwards from the end: "equal", "replace", "delete" or "insert", one token each
    i, j = n, m
    while i or j:
        if i and j and cost[i][j] == cost[i - 1][j - 1] + (edit if a[i - 1] != b[j - 1] else -1):
            steps.append("equal" if a[i - 1] == b[j - 1] else "replace")
            i, j = i - 1, j - 1
        elif i and cost[i][j] == cost[i - 1][j] + edit:
            steps.append("delete")
            i -= 1
        else:
            steps.append("insert")
            j -= 1
    ops: list[list] = []
    i = j = 0
    for step in reversed(steps):
        di, dj = int(step != "insert"), int(step != "delete")
        kind = "equal" if step == "equal" else "change"
        if ops and ops[-1][0] == kind:
            ops[-1][2] += di
            ops[-1][4] += dj
        else:
            ops.append([kind, i, i + di, j, j + dj])
        i, j = i + di, j + dj
    return [
        (
            op if op == "equal" else "replace" if i2 > i1 and j2 > j1 else "delete" if i2 > i1 else "insert",
            i1,
            i2,
            j1,
            j2,
        )
        for op, i1, i2, j1, j2 in ops
    ]


def diff_texts(original: str, edited: str) -> WordDiff:
    """``diff_tokens`` of the two texts' tokens."""
    return diff_tokens(tokenize(original), tokenize(edited))


def token_spans(text: str) -> list[tuple[int, int]]:
    """Where each of ``tokenize(text)``'s tokens lies in ``text``: (start, end) character offsets, in order.

    Tokenization replaces an HTML tag with a space and lowercases; here a tag is blanked with as many
    spaces as it has characters and each character is lowercased on its own, remembering where it came
    from, so offsets in the lowercased text map back to the original's.
    """
    blanked = _HTML_TAG.sub(lambda m: " " * len(m.group()), text)
    lowered, origin = [], []
    for i, ch in enumerate(blanked):
        low = ch.lower()  # usually one character; a few (e.g. "İ") lowercase to two
        lowered.append(low)
        origin.extend([i] * len(low))
    origin.append(len(text))
    return [(origin[m.start()], origin[m.end() - 1] + 1) for m in _TOKEN.finditer("".join(lowered))]


def _in_word(text: str, i: int) -> bool:
    """Whether ``text[i]`` is part of a word as a reader sees it: a letter or digit, or an apostrophe between two."""
    if text[i] in "'’":
        return 0 < i < len(text) - 1 and text[i - 1].isalnum() and text[i + 1].isalnum()
    return text[i].isalnum()


def segments(text: str, marks: list[str | None]) -> list[tuple[str, str | None]]:
    """``text`` cut into consecutive pieces, each with the mark of the tokens it holds (None for unmarked text).

    ``marks`` has one entry per token of ``tokenize(text)`` (or fewer: the tokens past them are unmarked, as
    for a review cut to the models' length). A marked token is widened to the whole word it is part of
    ("I'm" when only its "m" changed), never over another marked token. Neighbouring marked tokens with the
    same mark share one piece, with the spaces between them; the pieces joined give ``text`` back.
    """
    marked = [(start, end, mark) for (start, end), mark in zip(token_spans(text), marks) if mark is not None]
    pieces: list[tuple[str, str | None]] = []
    at = 0
    for k, (start, end, mark) in enumerate(marked):
        until = marked[k + 1][0] if k + 1 < len(marked) else len(text)
        wordy = any(ch.isalnum() for ch in text[start:end])  # an emoticon's mark is not widened
        while wordy and start > at and _in_word(text, start - 1):
            start -= 1
        while wordy and end < until and _in_word(text, end):
            end += 1
        if pieces and pieces[-1][1] == mark and not re.search(r"\w", text[at:start]):
            pieces[-1] = (pieces[-1][0] + text[at:end], mark)  # same mark, only spaces or punctuation between
        else:
            if start > at:
                pieces.append((text[at:start], None))
            pieces.append((text[start:end], mark))
        at = end
    if at < len(text):
        pieces.append((text[at:], None))
    return pieces
