"""Train a sentiment model on IMDb and write a checkpoint folder.

    python train.py --teacher checkpoints/ngram-imdb --bidirectional ...  # the shipped recipe's first round (README.md)
    python train.py --model ngram --out checkpoints/ngram-imdb ...   # the bag-of-n-grams baseline (NBSVM)
    python train.py --preset textbook --out checkpoints/textbook     # the textbook's LSTM

Loads the data, builds the vocabulary from the training reviews (or takes the pretrained
encoder's), optionally adds the unlabeled reviews labelled with a teacher's probabilities and
short labelled sentences (``sentiment.augment``), trains with the shared loop in
``sentiment.training`` (keeping the weights best on validation), scores the test set once and
saves weights, config, vocabulary and metrics together.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import platform
import shlex
import sys
import time
from importlib.metadata import version

import torch
from tqdm import tqdm

from sentiment import (
    MAX_TOKENS,
    ModelConfig,
    SentimentRNN,
    TrainConfig,
    load_checkpoint,
    load_imdb,
    load_predictor,
    save_checkpoint,
)
from sentiment.augment import AugmentConfig, augment
from sentiment.checkpoint import CheckpointError
from sentiment.cli import field_comments
from sentiment.data import DataUnavailableError, EncodedSplit, Split
from sentiment.device import pick_device
from sentiment.evaluate import accuracies
from sentiment.metrics import Metrics, MetricsError, lineage
from sentiment.model import POOLINGS, RNN_TYPES
from sentiment.ngram import NgramConfig, NgramModel, naive_bayes_scaling
from sentiment.pretrain import ENCODER_SIZES, PretrainedError, load_pretrained
from sentiment.recipe import build_classifier
from sentiment.training import LR_SCHEDULES, Done, Step, Validation, fit, prepare

TEXTBOOK = dict(
    embed_dim=20,
    hidden_dim=64,
    fc_dim=64,
    rnn_type="lstm",
    bidirectional=False,
    num_layers=1,
    dropout=0.0,
    pooling="last",
    batch_size=32,
    lr=1e-3,
    lr_schedule="constant",
    epochs=10,
    weight_decay=0.0,
    grad_clip=0.0,
    min_freq=1,
    max_vocab=0,
    max_tokens=0,
)
PRESETS = {"textbook": TEXTBOOK, "textbook-bilstm": TEXTBOOK | {"bidirectional": True}}
SKIP = {"vocab_size"}  # set from the data, not a flag


CHOICES = {"rnn_type": sorted(RNN_TYPES), "pooling": list(POOLINGS), "lr_schedule": list(LR_SCHEDULES)}


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def share(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} is not a share: give a number from 0 to 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], epilog="Flags left out take the preset's value, else the default shown."
    )
    ap.add_argument(
        "--data",
        default=None,
        help="local IMDb folder (train.parquet + test.parquet, or aclImdb/); default $IMDB_DATA, else the Hugging Face Hub",
    )
    ap.add_argument(
        "--out", default="checkpoints/bilstm-imdb", help="checkpoint folder to write (default: %(default)s)"
    )
    ap.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        help="start from a named recipe: textbook (the book's LSTM), textbook-bilstm",
    )
    ap.add_argument("--device", default=None, help="cuda, mps or cpu (default: best available, or $SENTIMENT_DEVICE)")
    ap.add_argument(
        "--push-to-hub", metavar="REPO_ID", help="also upload the checkpoint folder to this Hugging Face Hub model repo"
    )
    ap.add_argument(
        "--model",
        choices=("bilstm", "ngram"),
        default="bilstm",
        help="bilstm: the recurrent classifier; ngram: the bag-of-n-grams baseline (NBSVM)",
    )
    ap.add_argument(
        "--pretrained",
        metavar="FOLDER",
        help="start the encoder (and take the vocabulary) from this pretrained language model (pretrain.py)",
    )
    ap.add_argument(
        "--init",
        metavar="CHECKPOINT",
        help="continue from this trained BiLSTM checkpoint (its weights, sizes and vocabulary)",
    )
    ap.add_argument(
        "--teacher",
        metavar="CHECKPOINT",
        action="append",
        help="also learn from this model's probabilities on IMDb's unlabeled "
        "reviews (distillation); given twice or more, from the mean of the teachers' logits",
    )
    ap.add_argument(
        "--unlabeled", type=int, default=0, help="with --teacher: how many unlabeled reviews to use (0 = all 50,000)"
    )
    ap.add_argument(
        "--test-limit",
        type=int,
        default=0,
        metavar="N",
        help="score only N test reviews, spread evenly over the set, for quick checks (0 = all 25,000)",
    )
    ap.add_argument(
        "--augment",
        type=int,
        default=0,
        metavar="N",
        help="also train on flipped edits of the training reviews and N short labelled sentences "
        "(plain, negated, contrasted; sentiment/augment.py)",
    )
    ap.add_argument(
        "--augment-edits",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="with --augment: include the flipped edits of the training reviews (default: yes)",
    )
    ap.add_argument(
        "--augment-pairs",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="with --augment: give each negated or contrasted sentence a twin of the opposite label, its "
        "negation taken away or its clauses' adjectives swapped (minimal pairs; default: no)",
    )
    ap.add_argument(
        "--augment-idioms",
        type=share,
        default=0.0,
        metavar="SHARE",
        help="with --augment: this share of the sentences drawn (before twins) are negation idioms, whose "
        'negation does not just turn a word around ("I couldn\'t stop watching this film."; default: 0)',
    )
    ap.add_argument(
        "--augment-mild",
        type=share,
        default=0.0,
        metavar="SHARE",
        help="with --augment: this share of the other sentences take milder words, praise or blame that reviews "
        'use on both sides ("The cast is likable.", "The script is formulaic."; default: 0)',
    )
    ap.add_argument(
        "--augment-labels-from",
        metavar="CHECKPOINT",
        help="with --augment: label the sentences with this model's probability of positive instead of their "
        "rule's label, so that a round on reviews keeps how that model reads them (learning without forgetting, "
        "Li & Hoiem 2016)",
    )
    for group_name, cls in (("model", ModelConfig), ("n-gram baseline", NgramConfig), ("training", TrainConfig)):
        group = ap.add_argument_group(f"{group_name} options")
        docs = field_comments(cls)
        for f in dataclasses.fields(cls):
            if f.name in SKIP:
                continue
            if cls is NgramConfig:  # its defaults are the baseline's; a model with --model ngram takes them from here
                group.add_argument(
                    _flag(f.name), type=int, default=None, help=f"{docs.get(f.name, '')} (default: {f.default})"
                )
                continue
            help_text = f"{docs.get(f.name, '')} (default: {f.default})"
            if f.type in ("bool", bool):
                group.add_argument(_flag(f.name), action=argparse.BooleanOptionalAction, default=None, help=help_text)
            else:
                kind = {"int": int, "float": float, "str": str}[f.type if isinstance(f.type, str) else f.type.__name__]
                group.add_argument(_flag(f.name), type=kind, default=None, choices=CHOICES.get(f.name), help=help_text)
    return ap


def configs(args: argparse.Namespace) -> tuple[ModelConfig | NgramConfig, TrainConfig]:
    chosen = dict(PRESETS.get(args.preset, {}))
    chosen.update({k: v for k, v in vars(args).items() if v is not None})
    pick = lambda cls: {f.name: chosen[f.name] for f in dataclasses.fields(cls) if f.name in chosen}  # noqa: E731
    model_cls = NgramConfig if args.model == "ngram" else ModelConfig
    return model_cls(**pick(model_cls)), TrainConfig(**pick(TrainConfig))


def teacher_labels(paths: list[str], unlabeled: Split, device: str) -> tuple[Split, list[dict]]:
    """The unlabeled reviews labelled with the teachers' probability of *positive* (the mean of their logits)."""
    logits, about = torch.zeros(len(unlabeled)), []
    for path in paths:
        teacher = load_predictor(path, device=device)
        probs = torch.tensor(
            [p.probability for p in teacher.predict_batch(unlabeled.texts, batch_size=256)], dtype=torch.float64
        )
        logits += torch.logit(probs, eps=1e-7).float() / len(paths)
        about.append({"path": path, "test_accuracy": teacher.metrics.get("test_accuracy")})
    return Split(unlabeled.texts, torch.sigmoid(logits).tolist()), about


def _train(run, train_cfg: TrainConfig):
    """Drive a ``fit`` run with a tqdm bar per epoch and a line per epoch; yield its events."""
    bar = None
    for event in run:
        if isinstance(event, Step):
            if bar is None:
                bar = tqdm(
                    total=event.total_steps // train_cfg.epochs,
                    desc=f"epoch {event.epoch}/{train_cfg.epochs}",
                    leave=False,
                )
            bar.update(1)
            bar.set_postfix(loss=f"{event.loss:.3f}", acc=f"{event.accuracy:.3f}", refresh=False)
        elif isinstance(event, Validation) and event.end_of_epoch or isinstance(event, Done) and event.stopped:
            if bar is not None:
                bar.close()
                bar = None
            if isinstance(event, Validation):
                tqdm.write(
                    f"epoch {round(event.epoch):>2}  train loss {event.train_loss:.4f} acc {event.train_accuracy:.4f}  "
                    f"valid loss {event.valid_loss:.4f} acc {event.valid_accuracy:.4f}  {event.seconds:7.1f}s"
                )
        yield event


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    model_cfg, train_cfg = configs(args)
    if args.model == "ngram" and train_cfg.adversarial:
        print("--adversarial perturbs a BiLSTM's word embeddings; the n-gram model has none", file=sys.stderr)
        return 2
    if args.augment_labels_from and not args.augment:
        print("--augment-labels-from labels the --augment sentences; give --augment N too", file=sys.stderr)
        return 2
    device = pick_device(args.device)
    try:
        pretrained = load_pretrained(args.pretrained) if args.pretrained else None
        init = load_checkpoint(args.init) if args.init else None
        if init and not isinstance(init.model, SentimentRNN):
            raise CheckpointError(f"{args.init}: --init continues a BiLSTM checkpoint, not the n-gram baseline")
        try:
            earlier_rounds = lineage(Metrics.from_dict(init.metrics)) if init and init.metrics else None
        except MetricsError as e:
            raise CheckpointError(f"{args.init}: {e}") from e
        labeller = load_predictor(args.augment_labels_from, device=device) if args.augment_labels_from else None
        splits = load_imdb(args.data, splits=("train", "test", "unsupervised") if args.teacher else ("train", "test"))
        soft, teacher = None, None
        if args.teacher:
            unlabeled = splits["unsupervised"]
            soft, teacher = teacher_labels(
                args.teacher, unlabeled.take(range(args.unlabeled or len(unlabeled))), device
            )
    except (DataUnavailableError, PretrainedError, CheckpointError) as e:
        print(e, file=sys.stderr)
        return 2
    given_vocab = init.vocab if init else pretrained.vocab if pretrained else None
    augment_cfg = AugmentConfig(
        sentences=args.augment,
        edits=args.augment_edits,
        pairs=args.augment_pairs,
        idioms=args.augment_idioms,
        mild=args.augment_mild,
        seed=train_cfg.seed,
    )
    augmented: list[Split] = []

    def extra(train: Split) -> Split:
        made = augment(train, augment_cfg)
        if labeller is not None:  # the sentences come last; the flipped edits keep their flipped labels
            edits = len(made) - augment_cfg.sentences
            probs = [p.probability for p in labeller.predict_batch(made.texts[edits:], batch_size=256)]
            made = Split(made.texts, made.labels[:edits] + probs)
        augmented.append(made)
        return made

    data = prepare(splits["train"], train_cfg, vocab=given_vocab, soft=soft, augment=extra if args.augment else None)
    model_cfg.vocab_size = len(data.vocab)
    torch.manual_seed(train_cfg.seed)
    if args.model == "ngram":
        model = NgramModel(model_cfg)
    elif init:
        model, model_cfg = init.model.train(), init.model.config
    else:  # sizes not given on the command line are the pretrained encoder's
        given = frozenset(name for name in ENCODER_SIZES if getattr(args, name, None) is not None)
        try:
            model = build_classifier(model_cfg, len(data.vocab), pretrained, given)
        except PretrainedError as e:
            print(e, file=sys.stderr)
            return 2
    print(
        f"{len(data.train):,} training ({len(soft) if soft else 0:,} labelled by the teacher) / {len(data.valid):,} validation reviews, "
        f"vocabulary {len(data.vocab):,}, {model.num_parameters():,} parameters, device {device}"
    )

    scaling = naive_bayes_scaling(model, data.train) if args.model == "ngram" else contextlib.nullcontext()
    with scaling:
        events = list(_train(fit(model, data, train_cfg, device=device), train_cfg))
    done = events[-1]
    model.load_state_dict(model.stored_state_dict())  # score the weights as the checkpoint will hold them
    test_start = time.perf_counter()
    test_split = splits["test"].spread(args.test_limit)
    test = accuracies(model, EncodedSplit.encode(test_split, data.vocab, MAX_TOKENS), device)
    test_acc = test["accuracy"]
    print(
        f"best validation accuracy {done.best_valid_accuracy:.4f} (epoch {done.best_epoch:g}); test accuracy {test_acc:.4f}"
    )
    metrics = Metrics(
        valid_accuracy=done.best_valid_accuracy,
        test_accuracy=test_acc,
        best_epoch=done.best_epoch,
        epochs=train_cfg.epochs,
        train_reviews=len(data.train) - (len(soft) if soft else 0) - sum(map(len, augmented)),
        augmented_examples=sum(map(len, augmented)) or None,
        unlabeled_reviews=len(soft) if soft else 0,
        valid_reviews=len(data.valid),
        test_reviews=len(test_split),
        vocab_size=len(data.vocab),
        parameters=model.num_parameters(),
        train_seconds=round(done.seconds, 1),
        test_seconds=round(time.perf_counter() - test_start, 1),
        device=device,
        seed=train_cfg.seed,
        train_config=dataclasses.asdict(train_cfg),
        versions={
            "python": platform.python_version(),
            **{p: version(p) for p in ("torch", "datasets", "huggingface_hub", "safetensors")},
        },
        command="python " + shlex.join(sys.argv if argv is None else ["train.py", *argv]),
        pretrained={"path": args.pretrained, "heldout_perplexity": pretrained.metrics.get("heldout_perplexity")}
        if pretrained
        else None,
        teachers=teacher or None,
        init={"path": args.init, "test_accuracy": init.metrics.get("test_accuracy")} if init else None,
        earlier_rounds=earlier_rounds,
        augment=dataclasses.asdict(augment_cfg)
        | ({"labels_from": args.augment_labels_from} if args.augment_labels_from else {})
        if args.augment
        else None,
        history=done.history,
    ).to_dict()
    out = save_checkpoint(args.out, model, data.vocab, metrics)
    print(f"saved {out}")
    if args.push_to_hub:
        from huggingface_hub import create_repo, upload_folder

        create_repo(args.push_to_hub, exist_ok=True)
        upload_folder(repo_id=args.push_to_hub, folder_path=str(out), repo_type="model")
        print(f"pushed to https://huggingface.co/{args.push_to_hub}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
