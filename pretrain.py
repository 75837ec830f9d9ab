"""Pretrain the BiLSTM's encoder as a forward and a backward language model on IMDb text without labels.

    python pretrain.py --data PATH --out checkpoints/bilstm-imdb-lm   # the shipped encoder (36 min on 2 CPU cores)
    python train.py --pretrained checkpoints/bilstm-imdb-lm ...      # then fine-tune the classifier from it

Reads the training reviews (less the 5,000 held out for validation, as ``train.py`` splits them)
and the 50,000 unlabeled ones; test reviews are never read. Killed mid-way, the same command
continues from the state saved in ``--state``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import platform
import shlex
import sys
from importlib.metadata import version
from pathlib import Path

import torch
from tqdm import tqdm

from sentiment.cli import field_comments
from sentiment.data import DataUnavailableError, load_imdb, train_valid_split
from sentiment.device import pick_device
from sentiment.pretrain import (
    BiLanguageModel,
    LMHeldout,
    LMStep,
    PretrainConfig,
    PretrainedError,
    encoder_config,
    prepare_text,
    pretrain,
    save_pretrained_encoder,
)
from sentiment.text import tokenize
from sentiment.training import TrainConfig


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--data",
        default=None,
        help="local IMDb folder with train.parquet and unsupervised.parquet; default $IMDB_DATA, else the Hugging Face Hub",
    )
    ap.add_argument(
        "--out", default="checkpoints/bilstm-imdb-lm", help="pretrained encoder folder to write (default: %(default)s)"
    )
    ap.add_argument(
        "--state", default=None, help="folder for the resumable state (default: runs/pretrain-<out folder name>)"
    )
    ap.add_argument("--device", default=None, help="cuda, mps or cpu (default: best available, or $SENTIMENT_DEVICE)")
    ap.add_argument(
        "--limit",
        type=int,
        default=0,
        help="read only the first N training and N unlabeled reviews (0 = all), for a quick try",
    )
    docs = field_comments(PretrainConfig)
    for f in dataclasses.fields(PretrainConfig):
        flag = "--" + f.name.replace("_", "-")
        help_text = f"{docs.get(f.name, '')} (default: {f.default})"
        if f.name == "cutoffs":
            ap.add_argument(flag, type=int, nargs="+", default=f.default, help=help_text)
        else:
            ap.add_argument(flag, type=type(f.default), default=f.default, help=help_text)
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    cfg = PretrainConfig(
        **{
            f.name: (tuple(v) if f.name == "cutoffs" else v)
            for f in dataclasses.fields(PretrainConfig)
            if (v := getattr(args, f.name)) is not None
        }
    )
    device = pick_device(args.device)
    state = args.state or f"runs/pretrain-{args.out.rstrip('/').split('/')[-1]}"
    done_file = Path(state) / "state.json"
    if done_file.is_file() and (saved := json.loads(done_file.read_text()))["step"] >= saved.get(
        "total_steps", float("inf")
    ):
        print(f"this run already finished ({done_file}); delete {state} to pretrain again", file=sys.stderr)
        return 0
    try:
        splits = load_imdb(args.data, splits=("train", "unsupervised"))
    except DataUnavailableError as e:
        print(e, file=sys.stderr)
        return 2
    split = TrainConfig()
    train, _ = train_valid_split(splits["train"], split.valid_size, split.seed)  # validation reviews stay unseen
    unlabeled = splits["unsupervised"].texts
    if args.limit:
        train, unlabeled = train.take(range(min(args.limit, len(train)))), unlabeled[: args.limit]
    order = torch.randperm(len(unlabeled), generator=torch.Generator().manual_seed(cfg.seed)).tolist()
    heldout_n = min(cfg.heldout_reviews, len(unlabeled) // 10)
    heldout = [tokenize(unlabeled[i]) for i in order[:heldout_n]]
    tokens = [tokenize(t) for t in train.texts] + [tokenize(unlabeled[i]) for i in order[heldout_n:]]
    data = prepare_text(tokens, heldout, cfg)
    torch.manual_seed(cfg.seed)
    lm = BiLanguageModel(encoder_config(len(data.vocab), cfg), cfg)
    print(
        f"{len(train):,} training + {len(unlabeled) - heldout_n:,} unlabeled reviews ({data.train.n_tokens:,} tokens in "
        f"{len(data.train):,} pieces), {heldout_n} held out; vocabulary {len(data.vocab):,}; "
        f"{sum(p.numel() for p in lm.trained_parameters().values()):,} parameters; device {device}; state in {state}"
    )

    bar, perplexity, last = None, None, None
    try:
        for event in pretrain(lm, data, cfg, state, device=device):
            if isinstance(event, LMStep):
                if bar is None:
                    bar = tqdm(total=event.total_steps, initial=event.step - 1, unit="step", dynamic_ncols=True)
                bar.update(1)
                bar.set_postfix(
                    tok_s=f"{event.tokens / max(event.seconds, 1e-9):,.0f}",
                    ppl=f"{math.exp(event.loss):.0f}",
                    refresh=False,
                )
                last = event
            elif isinstance(event, LMHeldout):
                perplexity = event.perplexity
                tqdm.write(f"step {event.step}: held-out perplexity {perplexity:.1f} ({event.seconds / 60:.1f} min)")
    except PretrainedError as e:
        print(e, file=sys.stderr)
        return 2
    finally:
        if bar is not None:
            bar.close()
    if last is None or last.step < last.total_steps:
        print("stopped before the end; run the same command again to continue", file=sys.stderr)
        return 1
    metrics = {
        "heldout_perplexity": round(perplexity, 2),
        "heldout_reviews": heldout_n,
        "train_reviews": len(train),
        "unlabeled_reviews": len(unlabeled) - heldout_n,
        "tokens_per_epoch": data.train.n_tokens,
        "predicted_words": last.tokens,
        "steps": last.step,
        "seconds": round(last.seconds, 1),
        "tokens_per_second": round(data.train.n_tokens * cfg.epochs / last.seconds),
        "vocab_size": len(data.vocab),
        "device": device,
        "versions": {
            "python": platform.python_version(),
            **{p: version(p) for p in ("torch", "datasets", "safetensors")},
        },
        "command": "python " + shlex.join(sys.argv if argv is None else ["pretrain.py", *argv]),
    }
    out = save_pretrained_encoder(args.out, lm, data.vocab, cfg, metrics)
    print(
        f"held-out perplexity {perplexity:.1f}; {metrics['tokens_per_second']:,} tokens/s; {last.seconds / 60:.1f} min; saved {out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
