"""The "Edit and compare" examples: check their claims against the models, re-derive them, or find new ones.

    python bench/compare_examples.py --data ../shared/data/imdb            # check each claim, print a table
    python bench/compare_examples.py --data ../shared/data/imdb --write    # re-derive the claims from the models
    python bench/compare_examples.py --data ../shared/data/imdb --find 40  # propose rule-made edits of test reviews

Each example (``sentiment/compare_examples.json``) is a real IMDb test review and a small edit of it that
flips its meaning; its claim says whether the BiLSTM and the order-blind baseline *follow* the edit (right on
the review, and the opposite verdict on the edited copy). When the shipped checkpoints change, ``--write``
sets the claims to what the new models do and says whether the examples still show both a case where the
BiLSTM follows and the baseline does not and one where neither follows; if not, ``--find`` proposes edits of
short test reviews by rules (sentiment words swapped for their opposites, a rating turned over), grouped by
what the models do with them, for a person to read and add (a rule edit does not always flip the meaning).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from sentiment import load_imdb, load_predictor, tokenize  # noqa: E402
from sentiment.compare_examples import EXAMPLES_FILE, coverage, load_examples, outcome, save_examples  # noqa: E402
from sentiment.diff import diff_texts  # noqa: E402

# Opposites for rule-made edits, both ways; a word is replaced with its case kept.
OPPOSITES = {
    "great": "terrible",
    "best": "worst",
    "excellent": "awful",
    "wonderful": "dreadful",
    "good": "bad",
    "loved": "hated",
    "love": "hate",
    "enjoyed": "hated",
    "brilliant": "dreadful",
    "beautiful": "ugly",
    "amazing": "awful",
    "fantastic": "horrible",
    "perfect": "pathetic",
    "superb": "abysmal",
    "masterpiece": "disaster",
    "entertaining": "boring",
    "interesting": "dull",
    "fun": "tedious",
    "enjoyable": "unbearable",
    "recommend": "avoid",
    "highly": "hardly",
    "funny": "unfunny",
    "strong": "weak",
    "better": "worse",
    "well": "badly",
    "favorite": "least favorite",
}
OPPOSITES |= {v: k for k, v in OPPOSITES.items() if " " not in v}
RATING = re.compile(r"\b(10|[0-9])(\s*/\s*10|\s+out\s+of\s+10)\b")


def rule_edits(text: str) -> list[tuple[str, str]]:
    """(what was done, edited text) for each rule that applies: the last sentiment word swapped, all of them
    swapped, a rating out of 10 turned over (7/10 -> 3/10)."""
    words = list(re.finditer(r"[A-Za-z]+", text))
    hits = [m for m in words if m.group().lower() in OPPOSITES]

    def swap(m):
        new = OPPOSITES[m.group().lower()]
        return new.capitalize() if m.group()[0].isupper() else new

    out = []
    if hits:
        last = hits[-1]
        out.append((f"'{last.group()}' -> '{swap(last)}'", text[: last.start()] + swap(last) + text[last.end() :]))
    if len(hits) > 1:
        edited, at = [], 0
        for m in hits:
            edited += [text[at : m.start()], swap(m)]
            at = m.end()
        out.append(
            (
                "every sentiment word swapped: " + ", ".join(f"{m.group()}->{swap(m)}" for m in hits),
                "".join(edited) + text[at:],
            )
        )
    rating = list(RATING.finditer(text))
    if rating:
        m = rating[-1]
        turned = str(10 - int(m.group(1)) if int(m.group(1)) > 0 else 10)
        out.append((f"rating {m.group(1)}/10 -> {turned}/10", text[: m.start(1)] + turned + text[m.end(1) :]))
    return out


def find(test, both, count: int, max_tokens: int) -> None:
    short = [i for i, t in enumerate(test.texts) if len(tokenize(t)) <= max_tokens]
    print(f"{len(short)} test reviews of at most {max_tokens} tokens")
    groups: dict[tuple[bool, bool], list] = {}
    for n, i in enumerate(short):
        if n % 500 == 0:
            print(f"{n} reviews read", file=sys.stderr, flush=True)
        gold = "positive" if test.labels[i] == 1 else "negative"
        for what, edited in rule_edits(test.texts[i]):
            c = both.compare(test.texts[i], edited, trajectory=False)
            if not c.changes or len(c.changes) > 4:
                continue
            key = outcome(c, gold)
            groups.setdefault(key, []).append((i, gold, what, edited, c))
    names = {
        (True, False): "BiLSTM follows, baseline does not",
        (False, False): "neither follows",
        (True, True): "both follow",
        (False, True): "baseline follows, BiLSTM does not",
    }
    for key, name in names.items():
        found = groups.get(key, [])
        print(f"\n=== {name}: {len(found)} candidates")
        for i, gold, what, edited, c in found[:count]:
            print(
                f"\n[test {i}, {gold}] {what}\n  {test.texts[i]}\n  -> {edited}\n  BiLSTM {c.original.probability:.3f} -> "
                f"{c.edited.probability:.3f}; baseline {c.original.baseline['probability']:.3f} -> "
                f"{c.edited.baseline['probability']:.3f}"
            )


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=None, help="local IMDb folder; default $IMDB_DATA, else the Hub")
    ap.add_argument("--checkpoint", default="checkpoints/bilstm-imdb")
    ap.add_argument("--baseline", default="checkpoints/ngram-imdb")
    ap.add_argument("--examples", default=str(EXAMPLES_FILE))
    ap.add_argument("--write", action="store_true", help="set each claim to what the models do and save")
    ap.add_argument("--find", type=int, default=0, metavar="N", help="print N rule-made candidates per outcome")
    ap.add_argument("--max-tokens", type=int, default=80, help="--find: reviews of at most this many tokens")
    ap.add_argument("--threads", type=int, default=1, help="CPU threads for torch (1 is fastest on a busy machine)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    both = load_predictor(args.checkpoint, device="cpu", baseline=args.baseline)
    test = load_imdb(args.data, splits=("test",))["test"]
    if args.find:
        find(test, both, args.find, args.max_tokens)
        return 0
    examples = load_examples(args.examples)
    wrong, derived = 0, []
    print(f"{'example':<28} {'BiLSTM':<22} {'baseline':<22} claim (BiLSTM, baseline follows)")
    for ex in examples:
        if test.texts[ex.test_index] != ex.original:
            print(f"{ex.name}: the text is not test review {ex.test_index}", file=sys.stderr)
            return 2
        c = both.compare(ex.original, ex.edited, trajectory=False)
        follows = outcome(c, ex.gold)
        ok = follows == (ex.model_follows, ex.baseline_follows)
        wrong += not ok
        derived.append(ex.with_claim(*follows))
        b0, b1 = c.original.baseline["probability"], c.edited.baseline["probability"]
        print(
            f"{ex.name:<28} {c.original.probability:.3f} -> {c.edited.probability:.3f}   "
            f"{b0:.3f} -> {b1:.3f}   {'' if ok else 'WRONG: '}{follows}  {len(diff_texts(ex.original, ex.edited).changes)} change(s)"
        )
    missing = coverage(derived)
    if args.write:
        save_examples(derived, args.examples)
        print(f"claims written to {args.examples} ({wrong} changed)")
    else:
        print(
            f"{len(examples) - wrong} of {len(examples)} claims hold"
            + ("" if not wrong else "; --write sets them to what the models do")
        )
    if missing:
        print("missing among the examples: " + "; ".join(missing) + " (--find proposes candidates)")
    return 1 if (wrong and not args.write) or missing else 0


if __name__ == "__main__":
    sys.exit(main())
