"""Accuracy of a checkpoint on the IMDb test split.

    python -m sentiment.evaluate --checkpoint checkpoints/bilstm-imdb [--data PATH] [--limit N]

prints one JSON line: {"accuracy": ..., "n": ..., "seconds": ...}. ``train.py`` records its
test accuracy with the same function, so the two agree exactly; ``accuracy`` scores through the
public ``Predictor.predict_batch`` and agrees with both.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import torch

from .data import DataUnavailableError, EncodedSplit, Split, load_imdb
from .predict import Predictor, load_predictor
from .training import scores


def right(predictor: Predictor, split: Split, batch_size: int = 128) -> list[bool]:
    """Whether ``predictor`` labels each review of ``split`` as its label says."""
    predictions = predictor.predict_batch(split.texts, batch_size=batch_size)
    return [(p.probability >= 0.5) == bool(y) for p, y in zip(predictions, split.labels)]


def accuracy(predictor: Predictor, split: Split, batch_size: int = 128) -> float:
    return sum(right(predictor, split, batch_size)) / len(split)


def accuracies(
    model: torch.nn.Module, data: EncodedSplit, device: str | torch.device = "cpu", batch_size: int = 128
) -> dict:
    """{"accuracy": ...} of ``model`` on ``data``, from one pass. A review counts as positive as a
    ``Prediction`` labels it (probability >= 0.5), so this agrees with ``accuracy``."""
    logits, labels = scores(model, data, device, batch_size)
    return {"accuracy": ((torch.sigmoid(logits) >= 0.5).float() == labels).sum().item() / len(labels)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    ap.add_argument(
        "--checkpoint", default="checkpoints/bilstm-imdb", help="checkpoint folder or Hugging Face Hub repo id"
    )
    ap.add_argument(
        "--data", default=None, help="local IMDb folder (parquet or aclImdb); default $IMDB_DATA, else the Hub"
    )
    ap.add_argument(
        "--limit", type=int, default=0, help="score only N test reviews, spread evenly over the set (0 = all 25,000)"
    )
    ap.add_argument("--device", default=None, help="cuda, mps or cpu (default: best available)")
    args = ap.parse_args(argv)
    try:
        test = load_imdb(args.data)["test"]
    except DataUnavailableError as e:
        print(e, file=sys.stderr)
        return 2
    test = test.spread(args.limit)
    predictor = load_predictor(args.checkpoint, device=args.device)
    start = time.perf_counter()
    found = accuracies(
        predictor.model, EncodedSplit.encode(test, predictor.vocab, predictor.max_tokens), predictor.device
    )
    result = {"accuracy": found["accuracy"], "n": len(test), "seconds": round(time.perf_counter() - start, 2)}
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
