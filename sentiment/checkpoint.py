"""Checkpoint folders: the one place that writes and reads a trained model.

A checkpoint is a self-contained folder, in the layout of ``huggingface_hub``'s
``PyTorchModelHubMixin`` (so ``SentimentRNN.from_pretrained`` and ``push_to_hub`` work on it):

- ``model.safetensors``: the weights (never a pickle), in float16 where they fit
- ``config.json``: the ``ModelConfig`` (or, for the n-gram baseline, its ``NgramConfig``)
- ``vocab.json``: the vocabulary, a JSON list of tokens in id order
- ``metrics.json``: validation and test accuracy, data sizes, timing, versions, command, history
- ``README.md``: the model card

Saving writes a temporary folder next to the target and renames it into place, so a run
killed while saving leaves the previous checkpoint intact.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from safetensors import SafetensorError
from safetensors.torch import load_file

from .model import ModelConfig, SentimentRNN
from .ngram import NgramConfig, NgramModel
from .text import Vocab

WEIGHTS, CONFIG, VOCAB, METRICS = "model.safetensors", "config.json", "vocab.json", "metrics.json"


class CheckpointError(RuntimeError):
    """A checkpoint could not be loaded; the message names the file and the problem."""


OLD_BRANCH = (
    "it holds the bag-of-n-grams branch that earlier versions of this project mixed into the BiLSTM "
    "(config key ngram_buckets={buckets}), which SentimentRNN no longer has; retrain it with train.py "
    "(the n-gram model is now a baseline of its own: train.py --model ngram)"
)


@dataclass
class Checkpoint:
    model: SentimentRNN | NgramModel
    vocab: Vocab
    metrics: dict = field(default_factory=dict)
    path: str = ""


@contextmanager
def atomic_folder(folder: str | os.PathLike):
    """Yield a new temporary folder beside ``folder`` to write into; when the block ends without an error
    it replaces ``folder`` by a rename, so a reader never sees a half-written folder. Otherwise it is removed."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        yield tmp
        tmp.chmod(0o755)
        for f in tmp.iterdir():
            f.chmod(0o644)
        old = None
        if folder.exists():
            old = folder.parent / f".{folder.name}.old-{os.getpid()}"
            folder.rename(old)
        tmp.rename(folder)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def save_checkpoint(
    folder: str | os.PathLike,
    model: SentimentRNN | NgramModel,
    vocab: Vocab,
    metrics: dict | None = None,
    card: str | None = None,
) -> Path:
    """Write the checkpoint folder atomically (replacing any previous one) and return its path.

    The weights are stored in float16 where they fit; ``model``'s own weights are rounded the same
    way first, so the model in memory scores exactly as the saved one does.
    """
    model.load_state_dict(model.stored_state_dict())
    with atomic_folder(folder) as tmp:
        model.save_pretrained(tmp)
        vocab.save(tmp / VOCAB)
        (tmp / METRICS).write_text(json.dumps(metrics or {}, indent=2) + "\n", encoding="utf-8")
        if card is not None:
            (tmp / "README.md").write_text(card, encoding="utf-8")
    return folder


def _resolve(path_or_repo: str | os.PathLike) -> Path:
    path = Path(path_or_repo).expanduser()
    if path.exists():
        if not path.is_dir():
            raise CheckpointError(f"{path}: a checkpoint is a folder, not a file")
        return path
    text = str(path_or_repo)
    if text.count("/") == 1 and not text.startswith((".", "/", "~")):
        from huggingface_hub import snapshot_download

        try:
            return Path(snapshot_download(text, allow_patterns=[WEIGHTS, CONFIG, VOCAB, METRICS, "README.md"]))
        except Exception as e:
            raise CheckpointError(
                f"{text}: not a local folder, and not downloadable from the Hugging Face Hub ({type(e).__name__}: {e})"
            ) from e
    raise CheckpointError(f"{path}: no such checkpoint folder")


def _read_json(file: Path):
    if not file.is_file():
        raise CheckpointError(f"{file}: file missing")
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise CheckpointError(f"{file}: not valid JSON ({e})") from e


def load_checkpoint(path_or_repo: str | os.PathLike, device: str = "cpu") -> Checkpoint:
    """Load a checkpoint folder (or a Hub repo id) and check that its parts agree."""
    folder = _resolve(path_or_repo)
    raw = _read_json(folder / CONFIG)
    if not isinstance(raw, dict):
        raise CheckpointError(f"{folder / CONFIG}: not a valid model configuration (expected a JSON object)")
    if raw.get("ngram_buckets") and "embed_dim" in raw:
        raise CheckpointError(f"{folder / CONFIG}: " + OLD_BRANCH.format(buckets=raw["ngram_buckets"]))
    kind, config_cls = (
        (NgramModel, NgramConfig) if "embed_dim" not in raw and "ngram_buckets" in raw else (SentimentRNN, ModelConfig)
    )
    raw = {
        k: v for k, v in raw.items() if not (k in ("ngram_buckets", "ngram_n") and config_cls is ModelConfig)
    }  # 0 = off, as before
    try:
        config = config_cls(**raw)
    except (TypeError, ValueError) as e:
        raise CheckpointError(f"{folder / CONFIG}: not a valid model configuration ({e})") from e

    itos = _read_json(folder / VOCAB)
    try:
        vocab = Vocab(itos) if isinstance(itos, list) and all(isinstance(t, str) for t in itos) else None
    except ValueError as e:
        raise CheckpointError(f"{folder / VOCAB}: {e}") from e
    if vocab is None:
        raise CheckpointError(f"{folder / VOCAB}: expected a JSON list of token strings")
    if len(vocab) != config.vocab_size:
        raise CheckpointError(
            f"{folder / VOCAB}: holds {len(vocab)} tokens but config.json says vocab_size={config.vocab_size}"
        )

    weights_file = folder / WEIGHTS
    if not weights_file.is_file():
        raise CheckpointError(f"{weights_file}: file missing")
    try:
        state = load_file(weights_file)
    except (SafetensorError, OSError, ValueError) as e:
        raise CheckpointError(f"{weights_file}: unreadable or corrupt safetensors file ({e})") from e
    model = kind(config)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as e:
        first = str(e).strip().splitlines()
        raise CheckpointError(f"{weights_file}: weights do not match config.json ({' '.join(first[:3])[:400]})") from e

    metrics = _read_json(folder / METRICS) if (folder / METRICS).exists() else {}
    return Checkpoint(model.to(device).eval(), vocab, metrics, str(folder))
