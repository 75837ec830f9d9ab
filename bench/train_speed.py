"""Training speed: this project's loop against the textbook's, on the same reviews, in one run.

    python bench/train_speed.py --data ../shared/data/imdb [--reviews 2000] [--full-reviews 4000]

1. One epoch of the textbook BiLSTM (embedding 20, hidden 64, FC 64, batch 32, Adam 1e-3) with
   the textbook loop (``bench/textbook.py``) and with ``sentiment.training.fit``; prints both
   times, reviews and tokens per second, validation accuracy, and the ratio.
2. The whole ``train.py --preset textbook --epochs 1 --train-limit N`` run (data, vocabulary,
   epoch, validation, test) against the same run of the textbook loop, wall clock.

Each measurement runs in its own fresh Python process, so neither inherits the other's
thread pool or floating-point settings.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def ours_epoch(data: str, reviews: int, batch_size: int) -> dict:
    sys.path.insert(0, str(ROOT))
    import torch

    from sentiment import SentimentRNN, fit, load_imdb, prepare
    from sentiment.training import Step, Validation
    from train import build_parser, configs

    args = [
        "--preset",
        "textbook-bilstm",
        "--epochs",
        "1",
        "--batch-size",
        str(batch_size),
        "--train-limit",
        str(reviews),
    ]
    model_cfg, cfg = configs(build_parser().parse_args(args))
    prepared = prepare(load_imdb(data)["train"], cfg)
    model_cfg.vocab_size = len(prepared.vocab)
    torch.manual_seed(cfg.seed)
    model = SentimentRNN(model_cfg)
    for event in fit(model, prepared, cfg):
        if isinstance(event, Step):
            epoch_seconds = event.seconds
        elif isinstance(event, Validation):
            valid = event.valid_accuracy
            train_acc = event.train_accuracy
    return {
        "loop": f"sentiment (batch {batch_size})",
        "reviews": len(prepared.train),
        "tokens": prepared.train.n_tokens,
        "epoch_seconds": round(epoch_seconds, 2),
        "train_accuracy": train_acc,
        "valid_accuracy": valid,
    }


def run_json(cmd: list[str]) -> dict:
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT).stdout
    return json.loads(out.strip().splitlines()[-1])


def wall(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
    return time.perf_counter() - start


def show(r: dict) -> None:
    print(
        f"  {r['loop']:<24} {r['epoch_seconds']:8.1f} s   {r['reviews'] / r['epoch_seconds']:8.0f} reviews/s   "
        f"{r['tokens'] / r['epoch_seconds']:9.0f} tokens/s   validation accuracy {r['valid_accuracy']:.4f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True, help="folder with train.parquet and test.parquet")
    ap.add_argument("--reviews", type=int, default=2000, help="training reviews for the one-epoch comparison")
    ap.add_argument(
        "--full-reviews", type=int, default=4000, help="training reviews for the whole-run comparison (0 = skip it)"
    )
    ap.add_argument("--batch-sizes", default="32", help="comma-separated batch sizes for this project's loop")
    ap.add_argument("--ours", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--batch-size", type=int, default=32, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.ours:
        print(json.dumps(ours_epoch(args.data, args.reviews, args.batch_size)))
        return

    py = sys.executable
    print(f"One epoch of the textbook BiLSTM on {args.reviews:,} reviews:")
    base = run_json([py, "bench/textbook.py", "--data", args.data, "--reviews", str(args.reviews)])
    show(base)
    for bs in [int(b) for b in args.batch_sizes.split(",")]:
        ours = run_json(
            [
                py,
                "bench/train_speed.py",
                "--ours",
                "--data",
                args.data,
                "--reviews",
                str(args.reviews),
                "--batch-size",
                str(bs),
            ]
        )
        show(ours)
        print(
            f"  -> {base['epoch_seconds'] / ours['epoch_seconds']:.1f}x faster per epoch; "
            f"validation accuracy {100 * (ours['valid_accuracy'] - base['valid_accuracy']):+.2f} points"
        )

    if args.full_reviews:
        n = str(args.full_reviews)
        print(
            f"\nWhole run, textbook LSTM, 1 epoch on {args.full_reviews:,} reviews (data, vocabulary, epoch, validation, test):"
        )
        base_total = wall(
            [py, "bench/textbook.py", "--data", args.data, "--reviews", n, "--full", "--no-bidirectional"]
        )
        with tempfile.TemporaryDirectory() as tmp:
            ours_total = wall(
                [
                    py,
                    "train.py",
                    "--data",
                    args.data,
                    "--preset",
                    "textbook",
                    "--epochs",
                    "1",
                    "--train-limit",
                    n,
                    "--out",
                    tmp + "/ck",
                ]
            )
        print(
            f"  textbook loop {base_total:8.1f} s\n  train.py      {ours_total:8.1f} s\n  -> {base_total / ours_total:.1f}x faster"
        )


if __name__ == "__main__":
    main()
