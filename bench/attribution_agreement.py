"""How often a BiLSTM's word pushes agree with a word counter's, on real test reviews, by both of the app's methods.

    python bench/attribution_agreement.py --data ../shared/data/imdb [--checkpoint DIR ...]

For each checkpoint, on 30 test reviews of under 300 words spread over the test set: the share of the
words the NBSVM baseline weighs most (its top fifth by the size of its exact per-word share) whose push
from the BiLSTM has the same sign, and the correlation of the two per review; the pushes measured by
occlusion (each word read as unknown in turn: the Predict tab's highlights) and by integrated gradients.
A model that reads context may rightly disagree with a word counter on some words; a model whose pushes
disagree on most of them explains itself badly.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from sentiment import load_imdb, load_predictor  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=None, help="local IMDb folder; default $IMDB_DATA, else the Hugging Face Hub")
    ap.add_argument("--checkpoint", nargs="+", default=["checkpoints/bilstm-imdb"])
    ap.add_argument("--baseline", default="checkpoints/ngram-imdb")
    args = ap.parse_args()
    test = load_imdb(args.data, splits=("test",))["test"]
    texts = [t for t in test.texts[::500] if len(t.split()) < 300][:30]
    counter = load_predictor(args.baseline, device="cpu")
    reference = [np.array(counter.attributions(counter.predict(t).ids)) for t in texts]
    for path in args.checkpoint:
        model = load_predictor(path, device="cpu")
        for method, pushes_of in (("occlusion", model.occlusion), ("integrated gradients", model.attributions)):
            agree, corr = [], []
            for text, ref in zip(texts, reference):
                pushes = np.array(pushes_of(model.predict(text).ids))
                top = np.abs(ref) > np.quantile(np.abs(ref), 0.8)
                agree.append(np.mean(np.sign(pushes[top]) == np.sign(ref[top])))
                corr.append(np.corrcoef(pushes, ref)[0, 1])
            print(
                f"{path}, {method}: same sign as the word counter on its weightiest words {np.mean(agree):.0%}, "
                f"correlation {np.mean(corr):.2f} ({len(texts)} test reviews)"
            )


if __name__ == "__main__":
    main()
