"""How closely integrated gradients' word shares add up to the score they explain, on real test reviews.

    python bench/ig_completeness.py --data ../shared/data/imdb [--checkpoint DIR ...] [--steps 48 96]

For each checkpoint and number of integration steps: on a short review and every 2,500th test review, the
miss ``|sum(shares) - (logit(review) - logit(all <unk>))|`` relative to that difference (at least 1,
``Predictor.completeness_miss``), its median and largest, and the time taken. tests/test_predict.py bounds the
shipped model's at the app's steps.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sentiment import load_imdb, load_predictor  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=None, help="local IMDb folder; default $IMDB_DATA, else the Hugging Face Hub")
    ap.add_argument("--checkpoint", nargs="+", default=["checkpoints/bilstm-imdb"])
    ap.add_argument("--steps", type=int, nargs="+", default=[48, 96])
    args = ap.parse_args()
    test = load_imdb(args.data, splits=("test",))["test"].texts
    texts = ["Not bad at all, a charming little film with a terrible ending."] + test[::2500]
    for checkpoint in args.checkpoint:
        predictor = load_predictor(checkpoint, device="cpu")
        for steps in args.steps:
            began = time.perf_counter()
            m = sorted(predictor.completeness_miss(predictor.predict(t).ids, steps) for t in texts)
            print(
                f"{checkpoint}, {steps} steps: median miss {m[len(m) // 2]:.1%}, largest {m[-1]:.1%} "
                f"({len(m)} reviews, {time.perf_counter() - began:.1f} s)"
            )


if __name__ == "__main__":
    main()
