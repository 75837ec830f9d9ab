"""The one training loop, shared by ``train.py`` and the app's Train tab.

``prepare`` turns raw splits into a vocabulary and encoded datasets (each review tokenized
once per run); ``fit`` is a generator that trains and yields progress events, so any caller
(a tqdm bar, a live plot) can drive it and stop it between batches.
"""

from __future__ import annotations

import collections
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import torch
from torch import nn

from .data import EncodedSplit, Split, train_valid_split
from .text import Vocab, tokenize

LR_SCHEDULES = ("constant", "cosine")
RECENT_REVIEWS = 1000  # a Step's recent_loss and recent_accuracy: over about this many of the last reviews, or an epoch


@dataclass
class TrainConfig:
    epochs: int = 10  # passes over the training reviews
    batch_size: int = 32  # reviews per optimisation step
    lr: float = 1e-3  # Adam learning rate
    lr_schedule: str = "constant"  # constant, or cosine decay to zero over the run
    encoder_lr: float = 0.0  # learning rate of the embedding and recurrent layers (0 = lr); lower when pretrained
    freeze_epochs: float = 0.0  # train only the head for this many epochs first, then everything (gradual unfreezing)
    weight_decay: float = 0.0  # AdamW weight decay
    grad_clip: float = 0.0  # clip the gradient norm to this (0 = no clipping)
    adversarial: float = 0.0  # also learn from each review's embeddings pushed this far (L2) the way that hurts most; the logged loss is then the sum of both (0 = off)
    seed: int = 1  # seed for the train/validation split, initial weights and batch order
    valid_size: int = 5000  # training reviews held out for validation
    valid_limit: int = 0  # validate on only the first N held-out reviews, for quicker checks (0 = all)
    train_limit: int = 0  # use only the first N training reviews after the split (0 = all)
    min_freq: int = 1  # keep words seen at least this often in the training reviews
    max_vocab: int = 0  # cap the vocabulary at this many entries (0 = no cap)
    max_tokens: int = 0  # cut training reviews to this many tokens (0 = keep whole reviews)
    evals_per_epoch: int = 1  # validation checks per epoch (the last at its end)
    eval_at_start: bool = False  # also check validation before the first step, where a curve starts
    keep_last: bool = False  # end with the last weights, not those best on validation (e.g. to average them after)


@dataclass
class Prepared:
    """What a run trains on: the vocabulary and the encoded training and validation reviews."""

    vocab: Vocab
    train: EncodedSplit
    valid: EncodedSplit


def prepare(
    train_split: Split,
    cfg: TrainConfig,
    vocab: Vocab | None = None,
    soft: Split | None = None,
    augment: Callable[[Split], Split] | None = None,
) -> Prepared:
    """Split off validation, apply ``train_limit``, build the vocabulary from the training texts (unless
    given, e.g. a pretrained encoder's), encode both. ``soft``: more training reviews whose labels are a
    teacher's probabilities of *positive* (distillation); ``augment``: made from the training reviews
    (after the split, so never from validation), more labelled examples to train on; validation stays gold."""
    train, valid = train_valid_split(train_split, cfg.valid_size, cfg.seed)
    if cfg.train_limit:
        train = train.take(range(min(cfg.train_limit, len(train))))
    if cfg.valid_limit:
        valid = valid.take(range(min(cfg.valid_limit, len(valid))))
    if augment is not None:
        extra = augment(train)
        train = Split(train.texts + extra.texts, train.labels + extra.labels)
    if soft is not None:
        train = Split(train.texts + soft.texts, [float(y) for y in train.labels + soft.labels])
    cut = cfg.max_tokens or None
    train_tokens = [tokenize(t)[:cut] for t in train.texts]
    if vocab is None:  # from every training text, the teacher-labelled ones too (their words, never their labels)
        vocab = Vocab.build(train_tokens, min_freq=cfg.min_freq, max_size=cfg.max_vocab or None)
    train_enc = EncodedSplit([vocab.encode(t or ["<unk>"]) for t in train_tokens], train.labels)
    return Prepared(vocab, train_enc, EncodedSplit.encode(valid, vocab))


@dataclass
class Step:
    """After each optimisation step."""

    epoch: int  # 1-based epoch
    step: int  # steps done in the run so far
    total_steps: int  # steps the run will take if not stopped
    loss: float  # mean training loss over this epoch so far
    accuracy: float  # training accuracy over this epoch so far
    reviews: int  # reviews seen in the run so far
    seconds: float  # since the run began
    recent_loss: float  # mean training loss over the last RECENT_REVIEWS reviews or epoch, if shorter (fewer at first)
    recent_accuracy: float  # training accuracy over the same reviews


@dataclass
class Validation:
    """After each validation check."""

    epoch: float  # fractional epoch, e.g. 1.5 half-way through the second
    step: int
    train_loss: float | None  # None at the check before training
    train_accuracy: float | None
    valid_loss: float
    valid_accuracy: float
    seconds: float
    end_of_epoch: bool


@dataclass
class Done:
    """The run ended; the model holds the weights that were best on validation (or the last checked ones)."""

    best_valid_accuracy: float  # of the weights the model holds
    best_epoch: float
    history: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    reviews_per_second: float = 0.0
    stopped: bool = False  # ended early by should_stop


def scores(
    model: nn.Module, data: EncodedSplit, device: str | torch.device = "cpu", batch_size: int = 256
) -> tuple[torch.Tensor, torch.Tensor]:
    """One pass of ``model`` over ``data``: its logits (reviews,) and the labels (reviews,), both on the
    CPU, in the order of ``data.batches``."""
    model.eval()
    logits, labels = [], []
    with torch.inference_mode():
        for idx in data.batches(batch_size, shuffle=False):
            ids, lengths, y = data.batch(idx)
            logits.append(model(ids.to(device), lengths.to(device)).float().cpu())
            labels.append(y)
    return torch.cat(logits), torch.cat(labels)


def evaluate(
    model: nn.Module, data: EncodedSplit, batch_size: int = 256, device: str | torch.device = "cpu"
) -> tuple[float, float]:
    """Mean BCE loss and accuracy of ``model`` on ``data``."""
    logits, labels = scores(model, data, device, batch_size)
    loss = nn.functional.binary_cross_entropy_with_logits(logits, labels).item()
    return loss, ((logits > 0).float() == labels).sum().item() / len(labels)


ENCODER = ("embedding.", "layers.")  # parameter names of the recurrent model's encoder; the rest is its head


def fit(
    model: nn.Module,
    data: Prepared,
    cfg: TrainConfig,
    device: str | torch.device = "cpu",
    should_stop: Callable[[], bool] | None = None,
) -> Iterator[Step | Validation | Done]:
    """Train ``model`` on ``data``; yield a ``Step`` per batch, a ``Validation`` per check, then ``Done``.

    ``model.loss(ids, lengths, labels)`` gives (logits, loss); labels may be soft (a teacher's
    probabilities). The embedding and recurrent layers learn at ``cfg.encoder_lr`` and stay frozen
    for the first ``cfg.freeze_epochs``; the run ends holding the weights best on validation.
    """
    generator = torch.Generator().manual_seed(cfg.seed)
    model.to(device)
    params = dict(model.named_parameters())
    encoder = [p for n, p in params.items() if n.startswith(ENCODER)]
    groups = [{"params": [p for n, p in params.items() if not n.startswith(ENCODER)], "base_lr": cfg.lr}]
    if encoder:
        groups.append({"params": encoder, "base_lr": cfg.encoder_lr or cfg.lr, "encoder": True})
    fused = torch.device(device).type in ("cpu", "cuda")  # one kernel for the whole update, not one per tensor
    if cfg.lr_schedule not in LR_SCHEDULES:
        raise ValueError(f"lr_schedule must be one of {LR_SCHEDULES}, not {cfg.lr_schedule!r}")
    optimizer = torch.optim.AdamW(groups, lr=cfg.lr, weight_decay=cfg.weight_decay, fused=fused or None)
    steps_per_epoch = math.ceil(len(data.train) / cfg.batch_size)
    total = steps_per_epoch * cfg.epochs
    frozen_steps = round(cfg.freeze_epochs * steps_per_epoch)

    def set_lr(step: int) -> None:
        decay = 0.5 * (1 + math.cos(math.pi * min(step, total) / total)) if cfg.lr_schedule == "cosine" else 1.0
        for group in optimizer.param_groups:
            group["lr"] = 0.0 if group.get("encoder") and step < frozen_steps else group["base_lr"] * decay

    adversarial = {"adversarial": cfg.adversarial} if cfg.adversarial else {}
    checks = max(1, min(cfg.evals_per_epoch, steps_per_epoch))
    check_at = {round(steps_per_epoch * (k + 1) / checks) for k in range(checks)}

    start = time.perf_counter()
    best, best_acc, best_epoch, history = None, -1.0, 0.0, []
    step, reviews, stopped = 0, 0, False
    recent = collections.deque()  # (reviews, loss sum, correct) of the last batches: at least `window` reviews
    window = min(RECENT_REVIEWS, len(data.train))
    if cfg.eval_at_start:
        valid_loss, valid_acc = evaluate(model, data.valid, device=device)
        point = Validation(0.0, 0, None, None, valid_loss, valid_acc, time.perf_counter() - start, False)
        history.append(vars(point).copy())
        yield point
    for epoch in range(1, cfg.epochs + 1):
        loss_sum, correct, seen = 0.0, 0, 0
        for i, idx in enumerate(data.train.batches(cfg.batch_size, shuffle=True, generator=generator), start=1):
            model.train()
            set_lr(step)
            ids, lengths, labels = data.train.batch(idx)
            labels = labels.to(device)
            logits, loss = model.loss(ids.to(device), lengths.to(device), labels, **adversarial)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if cfg.grad_clip:
                nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
            optimizer.step()
            step += 1
            reviews += len(idx)
            batch_loss = loss.item() * len(idx)
            batch_correct = ((logits.detach() > 0) == (labels >= 0.5)).sum().item()
            loss_sum, correct, seen = loss_sum + batch_loss, correct + batch_correct, seen + len(idx)
            recent.append((len(idx), batch_loss, batch_correct))
            while sum(n for n, _, _ in recent) - recent[0][0] >= window:
                recent.popleft()
            n, recent_loss, recent_correct = (sum(column) for column in zip(*recent))
            yield Step(
                epoch,
                step,
                total,
                loss_sum / seen,
                correct / seen,
                reviews,
                time.perf_counter() - start,
                recent_loss / n,
                recent_correct / n,
            )
            stopped = bool(should_stop and should_stop())
            if i in check_at or stopped:
                valid_loss, valid_acc = evaluate(model, data.valid, device=device)
                point = Validation(
                    epoch - 1 + i / steps_per_epoch,
                    step,
                    loss_sum / seen,
                    correct / seen,
                    valid_loss,
                    valid_acc,
                    time.perf_counter() - start,
                    i == steps_per_epoch,
                )
                history.append(vars(point).copy())
                if valid_acc > best_acc or cfg.keep_last:
                    best_acc, best_epoch = valid_acc, point.epoch
                    best = {k: v.detach().clone() for k, v in model.state_dict().items()}
                yield point
            if stopped:
                break
        if stopped:
            break
    if best is not None:
        model.load_state_dict(best)
    model.eval()
    seconds = time.perf_counter() - start
    yield Done(best_acc, best_epoch, history, seconds, reviews / max(seconds, 1e-9), stopped)
