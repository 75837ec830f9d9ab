"""What the command-line scripts (train.py, pretrain.py) share: each config field's help text."""

from __future__ import annotations

import inspect
import io
import tokenize


def field_comments(cls) -> dict[str, str]:
    """The comment after each field of a config dataclass (``name: type = default  # help``), as its --help text.
    Read with Python's own tokenizer, so a ``#`` inside a string default is never taken for a comment."""
    out, line_tokens = {}, []
    for tok in tokenize.generate_tokens(io.StringIO(inspect.getsource(cls)).readline):
        if tok.type in (tokenize.NEWLINE, tokenize.NL):
            line_tokens = []
            continue
        if tok.type == tokenize.COMMENT and len(line_tokens) >= 2:
            first, second = line_tokens[0], line_tokens[1]
            if first.type == tokenize.NAME and second.string == ":" and first.start[1] > 0:
                out[first.string] = tok.string.lstrip("#").strip()
        if tok.type not in (tokenize.INDENT, tokenize.DEDENT):
            line_tokens.append(tok)
    return out
