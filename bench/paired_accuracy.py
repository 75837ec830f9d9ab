"""Whether two checkpoints really differ in accuracy on the same test reviews (McNemar's paired test).

    python bench/paired_accuracy.py --data ../shared/data/imdb --a checkpoints/bilstm-imdb --b runs/OTHER

Two models scored on the same 25,000 reviews agree on most of them; only the reviews exactly one of them gets
right say which is better. Their counts give McNemar's z (normal approximation) and a two-sided p: a
difference of a quarter point can be noise or not, depending on how many reviews the two models split.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sentiment import load_imdb, load_predictor  # noqa: E402
from sentiment.evaluate import right  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=None, help="local IMDb folder; default $IMDB_DATA, else the Hugging Face Hub")
    ap.add_argument("--a", default="checkpoints/bilstm-imdb", help="one checkpoint folder")
    ap.add_argument("--b", required=True, help="the checkpoint folder to compare it with")
    ap.add_argument("--device", default=None, help="cuda, mps or cpu (default: best available)")
    args = ap.parse_args()
    test = load_imdb(args.data, splits=("test",))["test"]
    correct = {}
    for name in (args.a, args.b):
        correct[name] = right(load_predictor(name, device=args.device), test)
        print(f"{name}: {sum(correct[name]) / len(test):.2%} of {len(test):,} test reviews")
    only_a = sum(a and not b for a, b in zip(correct[args.a], correct[args.b]))
    only_b = sum(b and not a for a, b in zip(correct[args.a], correct[args.b]))
    z = (only_a - only_b) / math.sqrt(only_a + only_b) if only_a + only_b else 0.0
    p = math.erfc(abs(z) / math.sqrt(2))
    print(f"right only by {args.a}: {only_a}; only by {args.b}: {only_b}; McNemar z = {z:.2f}, two-sided p = {p:.3f}")


if __name__ == "__main__":
    main()
