"""Accuracy of a checkpoint on the IMDb test split.

    python -m sentiment.evaluate --checkpoint checkpoints/bilstm-imdb [--data PATH] [--limit N]

prints one JSON line: {"accuracy": ..., "n": ..., "seconds": ...}, plus each branch's accuracy
on its own ("branches") for a model with an n-gram branch. ``train.py`` records its test
accuracy with the same functions, so the two agree exactly.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import torch

from .data import DataUnavailableError, EncodedSplit, Split, load_imdb
from .model import SentimentRNN
from .predict import Predictor, load_predictor


def accuracy(predictor: Predictor, split: Split, batch_size: int = 128) -> float:
    predictions = predictor.predict_batch(split.texts, batch_size=batch_size)
    return sum((p.probability >= 0.5) == bool(y) for p, y in zip(predictions, split.labels)) / len(split)


def branch_accuracies(model: SentimentRNN, data: EncodedSplit, device: str | torch.device = "cpu", batch_size: int = 128) -> dict[str, float]:
    """Each branch's accuracy on its own logit, e.g. {"lstm": 0.89, "ngram": 0.91}; {} for a model with one branch."""
    if not model.config.ngram_buckets:
        return {}
    model.eval()
    correct = torch.zeros(2)
    with torch.inference_mode():
        for idx in data.batches(batch_size, shuffle=False):
            ids, lengths, labels = data.batch(idx)
            logits = torch.stack(model.branch_logits(ids.to(device), lengths.to(device))).float().cpu()  # (2, batch)
            correct += ((logits > 0).float() == labels).sum(1)
    return dict(zip((model.config.rnn_type, "ngram"), (correct / len(data)).tolist()))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--checkpoint", default="checkpoints/bilstm-imdb", help="checkpoint folder or Hugging Face Hub repo id")
    ap.add_argument("--data", default=None, help="local IMDb folder (parquet or aclImdb); default $IMDB_DATA, else the Hub")
    ap.add_argument("--limit", type=int, default=0, help="score only the first N test reviews (0 = all 25,000)")
    ap.add_argument("--device", default=None, help="cuda, mps or cpu (default: best available)")
    args = ap.parse_args(argv)
    try:
        test = load_imdb(args.data)["test"]
    except DataUnavailableError as e:
        print(e, file=sys.stderr)
        return 2
    if args.limit:
        test = test.take(range(min(args.limit, len(test))))
    predictor = load_predictor(args.checkpoint, device=args.device)
    start = time.perf_counter()
    result = {"accuracy": accuracy(predictor, test), "n": len(test), "seconds": round(time.perf_counter() - start, 2)}
    if branches := branch_accuracies(predictor.model, EncodedSplit.encode(test, predictor.vocab, predictor.max_tokens), predictor.device):
        result["branches"] = branches
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
