"""Pretraining the BiLSTM's encoder as two language models, on IMDb text without labels.

The classifier's encoder reads each review left to right and right to left with two
single-direction LSTMs (``SentimentRNN.encode``). Here the same encoder learns to predict the
next word from its forward half and the previous word from its backward half (as in ELMo,
Peters et al. 2018), over the training reviews and the 50,000 unlabeled ones, with one
adaptive softmax (Grave et al. 2017) shared by both directions. Fine-tuning then starts the
classifier from these weights (Dai & Le 2015; Howard & Ruder 2018).

``pretrain`` is a generator like ``training.fit``: it yields progress and saves a resumable
state (weights, optimizer, position in the data) every few minutes, so a run killed mid-way
continues where it stopped. ``save_pretrained_encoder`` and ``load_pretrained`` write and read
the finished encoder as a checkpoint folder: weights in safetensors, config, vocabulary and
metrics in JSON.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from .checkpoint import atomic_folder
from .data import EncodedSplit
from .model import ModelConfig, SentimentRNN
from .text import Vocab
from .training import ENCODER  # the classifier's parameters that pretraining trains

KIND = "bidirectional-language-model"


class PretrainedError(RuntimeError):
    """A pretrained encoder folder could not be used; the message names the file and the problem."""


@dataclass
class PretrainConfig:
    embed_dim: int = 128  # size of a token's embedding
    hidden_dim: int = 128  # LSTM units per direction
    dropout: float = 0.1  # dropout on embeddings and on the LSTM outputs before the softmax
    min_freq: int = 3  # keep words seen at least this often in the pretraining text
    max_vocab: int = 50000  # cap the vocabulary at this many entries
    chunk_tokens: int = 400  # reviews longer than this are read as several pieces of at most this many tokens
    batch_size: int = 128  # pieces per optimisation step
    lr: float = 3e-3  # peak AdamW learning rate (linear warm-up, then cosine decay to a tenth)
    warmup_steps: int = 200  # steps of linear learning-rate warm-up
    epochs: float = 2.0  # passes over the pretraining text (fractions allowed)
    grad_clip: float = 1.0  # clip the gradient norm to this
    heldout_reviews: int = 500  # unlabeled reviews kept aside to measure perplexity
    cutoffs: tuple[int, ...] = (1000, 5000, 20000)  # adaptive softmax: word-frequency ranks where its clusters begin
    predict_fraction: float = (
        0.5  # while training, predict the words at this random fraction of positions (saves softmax time)
    )
    seed: int = 1  # seed of initial weights, held-out choice and batch order
    save_every: float = 120.0  # seconds between saves of the resumable state


class BiLanguageModel(nn.Module):
    """The classifier's encoder with a softmax on top: forward half predicts the next word, backward half the previous."""

    def __init__(self, model_config: ModelConfig, cfg: PretrainConfig):
        super().__init__()
        self.encoder = SentimentRNN(model_config)
        self.drop = nn.Dropout(cfg.dropout)
        self.predict_fraction = cfg.predict_fraction
        cutoffs = [c for c in cfg.cutoffs if c < model_config.vocab_size - 1]
        self.softmax = nn.AdaptiveLogSoftmaxWithLoss(
            model_config.hidden_dim, model_config.vocab_size, cutoffs, div_value=2.0
        )

    def loss(self, ids: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, int]:
        """Mean negative log-likelihood per predicted word (both directions) and how many were predicted.
        ids: (batch, seq) right-padded; lengths: (batch,)."""
        hidden = self.encoder.config.hidden_dim
        h = self.encoder.encode(self.encoder.embedding(ids), lengths)  # (batch, seq, 2*hidden)
        steps = torch.arange(ids.size(1) - 1, device=ids.device).unsqueeze(0)  # (1, seq-1)
        mask = steps + 1 < lengths.to(ids.device).unsqueeze(
            1
        )  # (batch, seq-1): both the word and its neighbour are real
        if self.training and self.predict_fraction < 1:
            mask &= torch.rand(mask.shape, device=ids.device) < self.predict_fraction
        forward = h[:, :-1, :hidden][mask]  # (n, hidden): after reading words 0..t, predict word t+1
        backward = h[:, 1:, hidden:][mask]  # (n, hidden): after reading words t+1..end backwards, predict word t
        inputs = self.drop(torch.cat([forward, backward]))  # (2n, hidden)
        targets = torch.cat([ids[:, 1:][mask], ids[:, :-1][mask]])  # (2n,)
        return self.softmax(inputs, targets).loss, len(targets)

    def trained_parameters(self) -> dict[str, nn.Parameter]:
        return {n: p for n, p in self.named_parameters() if not n.startswith(("encoder.fc.", "encoder.out."))}


def encode_chunks(token_lists, vocab: Vocab, chunk_tokens: int) -> EncodedSplit:
    """Encode reviews, cutting each into pieces of at most ``chunk_tokens`` (pieces of one word are dropped)."""
    pieces = []
    for tokens in token_lists:
        ids = vocab.encode(tokens)
        pieces += [
            ids[i : i + chunk_tokens] for i in range(0, len(ids), chunk_tokens) if len(ids[i : i + chunk_tokens]) > 1
        ]
    return EncodedSplit(pieces, [0] * len(pieces))


@dataclass
class PretrainData:
    vocab: Vocab
    train: EncodedSplit  # pieces of the training and unlabeled reviews
    heldout: EncodedSplit  # pieces of the held-out unlabeled reviews


def prepare_text(
    token_lists: list[list[str]], heldout_token_lists: list[list[str]], cfg: PretrainConfig
) -> PretrainData:
    vocab = Vocab.build(token_lists, min_freq=cfg.min_freq, max_size=cfg.max_vocab or None)
    return PretrainData(
        vocab,
        encode_chunks(token_lists, vocab, cfg.chunk_tokens),
        encode_chunks(heldout_token_lists, vocab, cfg.chunk_tokens),
    )


def encoder_config(vocab_size: int, cfg: PretrainConfig) -> ModelConfig:
    return ModelConfig(
        vocab_size=vocab_size,
        embed_dim=cfg.embed_dim,
        hidden_dim=cfg.hidden_dim,
        rnn_type="lstm",
        bidirectional=True,
        num_layers=1,
    )


@dataclass
class LMStep:
    step: int  # optimisation steps done so far
    total_steps: int  # steps the run takes
    tokens: int  # words predicted so far (each direction counts)
    loss: float  # mean loss of the recent steps (nats per word)
    seconds: float  # time spent training, across resumes
    lr: float


@dataclass
class LMHeldout:
    step: int
    perplexity: float  # on the held-out reviews, both directions
    seconds: float


def heldout_perplexity(lm: BiLanguageModel, data: EncodedSplit, device="cpu", batch_size: int = 128) -> float:
    lm.eval()
    total, count = 0.0, 0
    with torch.inference_mode():
        for idx in data.batches(batch_size, shuffle=False):
            ids, lengths, _ = data.batch(idx)
            loss, n = lm.loss(ids.to(device), lengths.to(device))
            total += loss.item() * n
            count += n
    return math.exp(total / max(count, 1))


def _schedule(cfg: PretrainConfig, total: int) -> Callable[[int], float]:
    def factor(step: int) -> float:
        if step < cfg.warmup_steps:
            return (step + 1) / cfg.warmup_steps
        progress = min(1.0, (step - cfg.warmup_steps) / max(1, total - cfg.warmup_steps))
        return 0.1 + 0.45 * (1 + math.cos(math.pi * progress))

    return factor


def _epoch_batches(data: EncodedSplit, cfg: PretrainConfig, epoch: int) -> list[list[int]]:
    return data.batches(cfg.batch_size, shuffle=True, generator=torch.Generator().manual_seed(cfg.seed * 1000 + epoch))


# Resumable state: <state>/lm.safetensors (float32 weights), <state>/optimizer.safetensors, <state>/state.json.
def save_state(folder: Path, lm: BiLanguageModel, optimizer: torch.optim.Optimizer, position: dict) -> None:
    with atomic_folder(folder) as tmp:
        save_file({k: v.detach().cpu().contiguous() for k, v in lm.state_dict().items()}, str(tmp / "lm.safetensors"))
        opt = optimizer.state_dict()
        tensors = {f"{i}.{k}": v.detach().cpu().contiguous() for i, s in opt["state"].items() for k, v in s.items()}
        save_file(tensors, str(tmp / "optimizer.safetensors"))
        (tmp / "state.json").write_text(
            json.dumps({**position, "param_groups": opt["param_groups"]}, indent=1), encoding="utf-8"
        )


def load_state(folder: Path, lm: BiLanguageModel, optimizer: torch.optim.Optimizer) -> dict:
    try:
        position = json.loads((folder / "state.json").read_text(encoding="utf-8"))
        lm.load_state_dict(load_file(folder / "lm.safetensors"))
        flat = load_file(folder / "optimizer.safetensors")
    except (OSError, ValueError, SafetensorError, RuntimeError) as e:
        raise PretrainedError(
            f"{folder}: cannot resume from this saved state ({type(e).__name__}: {e}); delete the folder to start over"
        ) from e
    state: dict[int, dict] = {}
    for key, value in flat.items():
        i, name = key.split(".", 1)
        state.setdefault(int(i), {})[name] = value
    optimizer.load_state_dict({"state": state, "param_groups": position.pop("param_groups")})
    return position


def pretrain(
    lm: BiLanguageModel,
    data: PretrainData,
    cfg: PretrainConfig,
    state_dir: str | os.PathLike,
    device: str | torch.device = "cpu",
    should_stop: Callable[[], bool] | None = None,
    heldout_every: int = 500,
) -> Iterator[LMStep | LMHeldout]:
    """Train ``lm`` on ``data.train``; yield an ``LMStep`` per step and an ``LMHeldout`` every ``heldout_every``
    steps and at the end. Resumes from ``state_dir`` when it holds a saved state, and saves there as it goes."""
    state_dir = Path(state_dir)
    lm.to(device)
    params = list(lm.trained_parameters().values())
    fused = torch.device(device).type in ("cpu", "cuda")
    optimizer = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=0.0, fused=fused or None)
    per_epoch = len(_epoch_batches(data.train, cfg, 0))
    total = max(1, round(cfg.epochs * per_epoch))
    position = {"step": 0, "tokens": 0, "seconds": 0.0}
    if (state_dir / "state.json").exists():
        position = load_state(state_dir, lm, optimizer)
        if position.get("total_steps", total) != total:
            raise PretrainedError(
                f"{state_dir}: saved for a run of {position['total_steps']} steps, not {total}; use the same settings or delete it"
            )
    lr_factor = _schedule(cfg, total)
    step, tokens, spent = position["step"], position["tokens"], position["seconds"]
    torch.manual_seed(cfg.seed + step)
    start, last_save, recent = time.perf_counter(), time.perf_counter(), []

    def elapsed() -> float:
        return spent + time.perf_counter() - start

    def save() -> None:
        save_state(
            state_dir, lm, optimizer, {"step": step, "tokens": tokens, "seconds": elapsed(), "total_steps": total}
        )

    lm.train()
    while step < total:
        epoch, offset = divmod(step, per_epoch)
        for idx in _epoch_batches(data.train, cfg, epoch)[offset:]:
            ids, lengths, _ = data.train.batch(idx)
            for group in optimizer.param_groups:
                group["lr"] = cfg.lr * lr_factor(step)  # a function of the global step, so resuming keeps it
            loss, n = lm.loss(ids.to(device), lengths.to(device))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(params, cfg.grad_clip)
            optimizer.step()
            step += 1
            tokens += n
            recent = (recent + [loss.item()])[-50:]
            yield LMStep(step, total, tokens, sum(recent) / len(recent), elapsed(), optimizer.param_groups[0]["lr"])
            stop = bool(should_stop and should_stop())
            if step % heldout_every == 0 or step == total:
                yield LMHeldout(step, heldout_perplexity(lm, data.heldout, device), elapsed())
                lm.train()
            if time.perf_counter() - last_save >= cfg.save_every or step == total or stop:
                save()
                last_save = time.perf_counter()
            if stop or step == total:
                lm.eval()
                return


def save_pretrained_encoder(
    folder: str | os.PathLike, lm: BiLanguageModel, vocab: Vocab, cfg: PretrainConfig, metrics: dict
) -> Path:
    """Write the pretrained encoder (and its softmax) as a checkpoint folder, atomically; weights in float16."""
    with atomic_folder(folder) as tmp:
        state = {k: v.detach().cpu().half().contiguous() for k, v in lm.trained_parameters().items()}
        save_file(state, str(tmp / "model.safetensors"), metadata={"format": "pt"})
        config = {"kind": KIND, "model": dataclasses.asdict(lm.encoder.config), "pretrain": dataclasses.asdict(cfg)}
        (tmp / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
        vocab.save(tmp / "vocab.json")
        (tmp / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    return Path(folder)


@dataclass
class Pretrained:
    """A pretrained encoder folder as fine-tuning uses it."""

    model_config: ModelConfig  # the encoder's sizes
    vocab: Vocab
    encoder_state: dict[str, torch.Tensor]  # embedding.* and layers.* weights, named as in SentimentRNN
    metrics: dict
    path: str


def load_pretrained(folder: str | os.PathLike) -> Pretrained:
    """Read a folder written by ``save_pretrained_encoder`` and check that its parts agree."""
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise PretrainedError(f"{folder}: no such pretrained encoder folder (make one with pretrain.py)")
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        if config.get("kind") != KIND:
            raise PretrainedError(
                f"{folder / 'config.json'}: not a pretrained encoder (kind {config.get('kind')!r}, expected {KIND!r})"
            )
        model_config = ModelConfig(**config["model"])
        vocab = Vocab.load(folder / "vocab.json")
        state = load_file(folder / "model.safetensors")
        metrics = (
            json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
            if (folder / "metrics.json").exists()
            else {}
        )
    except PretrainedError:
        raise
    except (OSError, ValueError, KeyError, TypeError, SafetensorError) as e:
        raise PretrainedError(f"{folder}: unreadable pretrained encoder ({type(e).__name__}: {e})") from e
    if len(vocab) != model_config.vocab_size:
        raise PretrainedError(
            f"{folder / 'vocab.json'}: holds {len(vocab)} tokens but config.json says vocab_size={model_config.vocab_size}"
        )
    encoder = {k.removeprefix("encoder."): v.float() for k, v in state.items() if k.startswith("encoder.")}
    expected = {k: v.shape for k, v in SentimentRNN(model_config).state_dict().items() if k.startswith(ENCODER)}
    found = {k: v.shape for k, v in encoder.items()}
    if found != expected:
        diff = sorted(set(found.items()) ^ set(expected.items()))[:3]
        raise PretrainedError(f"{folder / 'model.safetensors'}: weights do not match config.json ({diff})")
    return Pretrained(model_config, vocab, encoder, metrics, str(folder))


ENCODER_SIZES = ("vocab_size", "embed_dim", "hidden_dim", "rnn_type", "bidirectional", "num_layers")


def start_from(pretrained: Pretrained, config: ModelConfig) -> SentimentRNN:
    """A classifier with ``config``'s head and pooling whose encoder starts from ``pretrained``.
    Sizes that disagree with the pretrained encoder are refused in one message naming the folder."""
    wrong = [
        f"{k}={getattr(config, k)!r} (pretrained: {getattr(pretrained.model_config, k)!r})"
        for k in ENCODER_SIZES
        if getattr(config, k) != getattr(pretrained.model_config, k)
    ]
    if wrong:
        raise PretrainedError(
            f"{Path(pretrained.path) / 'config.json'}: the classifier's settings disagree with the pretrained encoder: {', '.join(wrong)}"
        )
    model = SentimentRNN(config)
    missing, unexpected = model.load_state_dict(pretrained.encoder_state, strict=False)
    assert not unexpected and all(not k.startswith(ENCODER) for k in missing), (missing, unexpected)
    return model
