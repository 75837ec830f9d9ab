"""The one training loop, shared by ``train.py`` and the app's Train tab.

``prepare`` turns raw splits into a vocabulary and encoded datasets (each review tokenized
once per run); ``fit`` is a generator that trains and yields progress events, so any caller
(a tqdm bar, a live plot) can drive it and stop it between batches.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.nn.utils import parametrize

from .data import EncodedSplit, Split, train_valid_split
from .text import Vocab, tokenize


LR_SCHEDULES = ("constant", "cosine")


@dataclass
class TrainConfig:
    epochs: int = 10  # passes over the training reviews
    batch_size: int = 32  # reviews per optimisation step
    lr: float = 1e-3  # Adam learning rate
    lr_schedule: str = "constant"  # constant, or cosine decay to zero over the run
    ngram_lr: float = 0.0  # learning rate of the bag-of-n-grams weights, which are sparse and need more (0 = lr)
    ngram_nb: bool = False  # train the n-gram weights scaled by naive-Bayes log-count ratios from the training reviews (NBSVM)
    fit_branch_mix: bool = True  # at each validation check, fit how the LSTM and n-gram logits combine on the validation reviews
    weight_decay: float = 0.0  # AdamW weight decay
    grad_clip: float = 0.0  # clip the gradient norm to this (0 = no clipping)
    seed: int = 1  # seed for the train/validation split, initial weights and batch order
    valid_size: int = 5000  # training reviews held out for validation
    valid_limit: int = 0  # validate on only the first N held-out reviews, for quicker checks (0 = all)
    train_limit: int = 0  # use only the first N training reviews after the split (0 = all)
    min_freq: int = 1  # keep words seen at least this often in the training reviews
    max_vocab: int = 0  # cap the vocabulary at this many entries (0 = no cap)
    max_tokens: int = 0  # cut training reviews to this many tokens (0 = keep whole reviews)
    evals_per_epoch: int = 1  # validation checks per epoch (the last at its end)


@dataclass
class Prepared:
    """What a run trains on: the vocabulary and the encoded training and validation reviews."""

    vocab: Vocab
    train: EncodedSplit
    valid: EncodedSplit


def prepare(train_split: Split, cfg: TrainConfig) -> Prepared:
    """Split off validation, apply ``train_limit``, build the vocabulary from training reviews, encode both."""
    train, valid = train_valid_split(train_split, cfg.valid_size, cfg.seed)
    if cfg.train_limit:
        train = train.take(range(min(cfg.train_limit, len(train))))
    if cfg.valid_limit:
        valid = valid.take(range(min(cfg.valid_limit, len(valid))))
    cut = cfg.max_tokens or None
    train_tokens = [tokenize(t)[:cut] for t in train.texts]
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


@dataclass
class Validation:
    """After each validation check."""

    epoch: float  # fractional epoch, e.g. 1.5 half-way through the second
    step: int
    train_loss: float
    train_accuracy: float
    valid_loss: float
    valid_accuracy: float
    seconds: float
    end_of_epoch: bool


@dataclass
class Done:
    """The run ended; the model holds the weights that were best on validation."""

    best_valid_accuracy: float
    best_epoch: float
    history: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    reviews_per_second: float = 0.0
    stopped: bool = False  # ended early by should_stop


def scores(model: nn.Module, data: EncodedSplit, device: str | torch.device = "cpu", batch_size: int = 256) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One pass of ``model`` over ``data``: its logits (reviews,), each branch's logits (reviews, branches)
    and the labels (reviews,), all on the CPU, in the order of ``data.batches``."""
    model.eval()
    logits, branches, labels = [], [], []
    with torch.inference_mode():
        for idx in data.batches(batch_size, shuffle=False):
            ids, lengths, y = data.batch(idx)
            each = model.branch_logits(ids.to(device), lengths.to(device))
            logits.append(model.mix(each).float().cpu())
            branches.append(torch.stack(each, 1).float().cpu())
            labels.append(y)
    return torch.cat(logits), torch.cat(branches), torch.cat(labels)


def evaluate(model: nn.Module, data: EncodedSplit, batch_size: int = 256, device: str | torch.device = "cpu") -> tuple[float, float]:
    """Mean BCE loss and accuracy of ``model`` on ``data``."""
    logits, _, labels = scores(model, data, device, batch_size)
    loss = nn.functional.binary_cross_entropy_with_logits(logits, labels).item()
    return loss, ((logits > 0).float() == labels).sum().item() / len(labels)


def naive_bayes_ratios(model: nn.Module, data: EncodedSplit, alpha: float = 1.0, batch_size: int = 256) -> torch.Tensor:
    """log((p_j / |p|) / (q_j / |q|)) per n-gram bucket j, where p and q count the positive and the
    negative reviews holding bucket j, plus ``alpha`` (Wang & Manning, 2012). Shape (buckets,)."""
    buckets = model.config.ngram_buckets
    counts = torch.full((2, buckets), alpha, dtype=torch.float64)  # [negative, positive]
    for idx in data.batches(batch_size, shuffle=False):
        ids, lengths, labels = data.batch(idx)
        rows = torch.arange(len(idx)).unsqueeze(1)
        keys = torch.cat([(rows * buckets + b)[m] for b, m in model.ngram_ids(ids, lengths)]).unique()  # review x bucket, once each
        counts.index_put_((labels.long()[keys // buckets], keys % buckets), torch.ones(len(keys), dtype=torch.float64), accumulate=True)
    counts /= counts.sum(1, keepdim=True)
    return (counts[1] / counts[0]).log().float()


class _Scale(nn.Module):
    """A fixed per-bucket factor on the n-gram weights (a ``torch.nn.utils.parametrize`` parametrization)."""

    def __init__(self, factor: torch.Tensor):
        super().__init__()
        self.register_buffer("factor", factor.unsqueeze(-1))  # (buckets, 1)

    def forward(self, weight: torch.Tensor) -> torch.Tensor:
        return weight * self.factor


def fit_branch_mix(model: nn.Module, data: EncodedSplit, device: str | torch.device = "cpu", batch_size: int = 256) -> None:
    """Set ``model.branch_mix`` (two weights and a bias) by logistic regression of the labels on the
    branches' logits over ``data``, as in stacking; a little L2 keeps it finite on separable data."""
    _, x, y = scores(model, data, device, batch_size)  # (reviews, 2), (reviews,)
    mix = model.branch_mix.detach().float().cpu().clone().requires_grad_(True)
    optimizer = torch.optim.LBFGS([mix], max_iter=100, line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        loss = nn.functional.binary_cross_entropy_with_logits(x @ mix[:2] + mix[2], y) + 1e-4 * mix[:2].square().sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    model.branch_mix.copy_(mix.detach())


def fit(
    model: nn.Module,
    data: Prepared,
    cfg: TrainConfig,
    device: str | torch.device = "cpu",
    should_stop: Callable[[], bool] | None = None,
) -> Iterator[Step | Validation | Done]:
    """Train ``model`` on ``data``; yield a ``Step`` per batch, a ``Validation`` per check, then ``Done``.

    With an n-gram branch, ``cfg.ngram_nb`` trains its weights scaled by naive-Bayes ratios (the
    scale is folded into the weights when the run ends, however it ends), and
    ``cfg.fit_branch_mix`` refits the branch mix on validation before each check.
    """
    generator = torch.Generator().manual_seed(cfg.seed)
    branches = 2 if getattr(model.config, "ngram_buckets", 0) else 1
    if cfg.ngram_nb and branches == 2:
        if model.ngram_weights.weight.detach().abs().sum() > 0:
            raise ValueError("ngram_nb scales the n-gram weights from the start: use it on a new model, not a trained one")
        parametrize.register_parametrization(model.ngram_weights, "weight", _Scale(naive_bayes_ratios(model, data.train)))
    try:
        yield from _fit(model, data, cfg, device, should_stop, generator, refit_mix=cfg.fit_branch_mix and branches == 2)
    finally:
        if branches == 2 and parametrize.is_parametrized(model.ngram_weights):
            parametrize.remove_parametrizations(model.ngram_weights, "weight", leave_parametrized=True)  # plain, scaled weights


def _fit(
    model: nn.Module, data: Prepared, cfg: TrainConfig, device: str | torch.device,
    should_stop: Callable[[], bool] | None, generator: torch.Generator, refit_mix: bool,
) -> Iterator[Step | Validation | Done]:  # fmt: skip
    model.to(device)
    params = dict(model.named_parameters())
    ngram = [p for n, p in params.items() if n.startswith("ngram_")]
    groups = [{"params": [p for n, p in params.items() if not n.startswith("ngram_")]}]
    if ngram:
        groups.append({"params": ngram, "lr": cfg.ngram_lr or cfg.lr})
    fused = torch.device(device).type in ("cpu", "cuda")  # one kernel for the whole update, not one per tensor
    optimizer = torch.optim.AdamW(groups, lr=cfg.lr, weight_decay=cfg.weight_decay, fused=fused or None)
    steps_per_epoch = math.ceil(len(data.train) / cfg.batch_size)
    total = steps_per_epoch * cfg.epochs
    if cfg.lr_schedule == "cosine":
        schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: 0.5 * (1 + math.cos(math.pi * min(s, total) / total)))
    elif cfg.lr_schedule == "constant":
        schedule = None
    else:
        raise ValueError(f"lr_schedule must be one of {LR_SCHEDULES}, not {cfg.lr_schedule!r}")
    checks = max(1, min(cfg.evals_per_epoch, steps_per_epoch))
    check_at = {round(steps_per_epoch * (k + 1) / checks) for k in range(checks)}

    start = time.perf_counter()
    best, best_acc, best_epoch, history = None, -1.0, 0.0, []
    step, reviews, stopped = 0, 0, False
    for epoch in range(1, cfg.epochs + 1):
        loss_sum, correct, seen = 0.0, 0, 0
        for i, idx in enumerate(data.train.batches(cfg.batch_size, shuffle=True, generator=generator), start=1):
            model.train()
            ids, lengths, labels = data.train.batch(idx)
            labels = labels.to(device)
            logits, loss = model.loss(ids.to(device), lengths.to(device), labels)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if cfg.grad_clip:
                nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
            optimizer.step()
            if schedule:
                schedule.step()
            step += 1
            reviews += len(idx)
            loss_sum += loss.item() * len(idx)
            correct += ((logits.detach() > 0).float() == labels).sum().item()
            seen += len(idx)
            yield Step(epoch, step, total, loss_sum / seen, correct / seen, reviews, time.perf_counter() - start)
            stopped = bool(should_stop and should_stop())
            if i in check_at or stopped:
                if refit_mix:
                    fit_branch_mix(model, data.valid, device)
                valid_loss, valid_acc = evaluate(model, data.valid, device=device)
                point = Validation(
                    epoch - 1 + i / steps_per_epoch, step, loss_sum / seen, correct / seen,
                    valid_loss, valid_acc, time.perf_counter() - start, i == steps_per_epoch,
                )  # fmt: skip
                history.append(vars(point).copy())
                if valid_acc > best_acc:
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
