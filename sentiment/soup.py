"""Weight interpolation of two checkpoints of the same model (Wortsman et al., "Robust fine-tuning of
zero-shot models", CVPR 2022: WiSE-FT): ``(1 - alpha) * A + alpha * B``, for a model fine-tuned (B)
from another (A), often keeps most of what each is good at.

    python -m sentiment.soup --a checkpoints/bilstm-imdb --b runs/reads --data PATH --out runs/soup

scores each ``alpha`` on the IMDb validation reviews (the ones both runs held out, read from their
metrics: 5,000 of the training split unless they were trained with another ``--valid-size`` or
``--seed``) and on labelled sentences made by the training augmentation's generator with adjectives
that no training sentence uses (and never the behaviour suite's templates or words), then writes the
interpolation with the best sentence accuracy among those whose validation accuracy is within
``--max-drop`` of A's (or of ``--floor-from``'s), and scores the test reviews once for its metrics.
"""

from __future__ import annotations

import argparse
import random
import shlex
import sys

import torch

from .augment import DEV_NEGATIVE, DEV_POSITIVE, sentence
from .checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from .data import DataUnavailableError, EncodedSplit, Split, load_imdb, train_valid_split
from .evaluate import accuracies
from .metrics import Metrics
from .predict import MAX_TOKENS
from .training import TrainConfig

DEV_SEED = 7  # the development sentences' seed (the training run used the augmentation's own seed)


def interpolate(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor], alpha: float) -> dict[str, torch.Tensor]:
    if a.keys() != b.keys() or any(a[k].shape != b[k].shape for k in a):
        raise CheckpointError("the two checkpoints are not the same model: their weights differ in names or shapes")
    return {k: ((1 - alpha) * a[k].float() + alpha * b[k].float()).to(a[k].dtype) for k in a}


def held_out(metrics: dict) -> tuple[int, int]:
    """How many training reviews a run held out for validation, and the seed that chose them."""
    config = metrics.get("train_config") or {}
    return metrics.get("valid_reviews", TrainConfig.valid_size), config.get("seed", TrainConfig.seed)


def dev_sentences(n: int = 2000) -> Split:
    rng = random.Random(DEV_SEED)
    made = [sentence(rng, DEV_POSITIVE, DEV_NEGATIVE) for _ in range(n)]
    return Split([t for t, _ in made], [y for _, y in made])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--a", required=True, help="the starting checkpoint")
    ap.add_argument("--b", required=True, help="the checkpoint fine-tuned from it")
    ap.add_argument("--alphas", type=float, nargs="+", default=[0.3, 0.4, 0.5, 0.6, 0.7, 0.8])
    ap.add_argument("--max-drop", type=float, default=0.005, help="largest validation accuracy given up against A")
    ap.add_argument(
        "--floor-from",
        metavar="CHECKPOINT",
        help="measure --max-drop from this checkpoint's validation accuracy instead of A's (e.g. the model before "
        "a chain of averages, so that the drops do not add up)",
    )
    ap.add_argument("--data", default=None, help="local IMDb folder; default $IMDB_DATA, else the Hugging Face Hub")
    ap.add_argument("--out", required=True, help="checkpoint folder to write")
    args = ap.parse_args(argv)
    try:
        a, b = load_checkpoint(args.a), load_checkpoint(args.b)
        if held_out(a.metrics) != held_out(b.metrics):
            raise CheckpointError("the two checkpoints held out different validation reviews (--valid-size, --seed)")
        splits = load_imdb(args.data, splits=("train", "test"))
    except (CheckpointError, DataUnavailableError) as e:
        print(e, file=sys.stderr)
        return 2
    if a.vocab.itos != b.vocab.itos:
        print("the two checkpoints have different vocabularies", file=sys.stderr)
        return 2
    valid = EncodedSplit.encode(train_valid_split(splits["train"], *held_out(b.metrics))[1], a.vocab, MAX_TOKENS)
    dev = EncodedSplit.encode(dev_sentences(), a.vocab, MAX_TOKENS)
    state_a = {k: v.detach().clone() for k, v in a.model.state_dict().items()}  # load_state_dict writes into a.model
    state_b = b.model.state_dict()
    model = a.model.eval()
    scored = []
    for alpha in [0.0, *args.alphas, 1.0]:
        model.load_state_dict(interpolate(state_a, state_b, alpha))
        v, d = accuracies(model, valid)["accuracy"], accuracies(model, dev)["accuracy"]
        scored.append((alpha, v, d))
        print(f"alpha {alpha:.2f}  validation {v:.4f}  sentences {d:.4f}", flush=True)
    if args.floor_from:
        reference = load_checkpoint(args.floor_from)
        if held_out(reference.metrics) != held_out(b.metrics):
            print(f"{args.floor_from}: held out other validation reviews than A and B", file=sys.stderr)
            return 2
        if reference.vocab.itos != a.vocab.itos:
            print(f"{args.floor_from}: not the same vocabulary as A", file=sys.stderr)
            return 2
        model.load_state_dict(reference.model.state_dict())
        floor = accuracies(model, valid)["accuracy"] - args.max_drop
        print(f"floor {floor:.4f}: {args.floor_from}'s validation accuracy less {args.max_drop}")
    else:
        floor = scored[0][1] - args.max_drop
    alpha, v, d = max((s for s in scored if s[1] >= floor), key=lambda s: (s[2], s[1]))
    model.load_state_dict(interpolate(state_a, state_b, alpha))
    model.load_state_dict(model.stored_state_dict())
    test = accuracies(model, EncodedSplit.encode(splits["test"], a.vocab, MAX_TOKENS))["accuracy"]
    print(f"chose alpha {alpha:.2f}: validation {v:.4f}, sentences {d:.4f}; test accuracy {test:.4f}")
    metrics = Metrics.from_dict(b.metrics)
    metrics.valid_accuracy, metrics.test_accuracy = v, test
    metrics.extra = metrics.extra | {
        "soup": {
            "a": args.a,
            "b": args.b,
            "alpha": alpha,
            "floor": round(floor, 4),
            "b_command": metrics.command,
            "scored": [dict(zip(("alpha", "valid", "sentences"), s)) for s in scored],
        }
    }
    metrics.command = "python -m sentiment.soup " + shlex.join(sys.argv[1:] if argv is None else argv)
    out = save_checkpoint(args.out, model, a.vocab, metrics.to_dict())
    print(f"saved {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
