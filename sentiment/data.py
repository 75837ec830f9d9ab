"""IMDb data: loading (Hugging Face Hub or a local folder), the train/validation split,
encoding each split once, and length-bucketed batches.

Sources, in order of precedence: the ``data`` argument (``--data`` on the command line),
the ``IMDB_DATA`` environment variable, then the Hub dataset ``stanfordnlp/imdb``: only the
parquet files of the splits asked for, downloaded once into the Hugging Face cache (saying
what and how large first) and read from there afterwards. Where the Hub cannot be reached
and the cache lacks a split, that is said within seconds.
A local folder holds either ``train.parquet`` and ``test.parquet`` (the Hub schema:
``text``, ``label`` with 0 = negative, 1 = positive), plus ``unsupervised.parquet`` (the
50,000 unlabeled reviews, label -1) for pretraining, or an extracted ``aclImdb/`` tree
(``train/unsup/`` holds the unlabeled reviews there).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from .text import PAD_ID, Vocab, tokenize

HUB_DATASET = "stanfordnlp/imdb"
HUB_TIMEOUT_S = 3.0  # how long to wait for the Hub to answer before saying it cannot be reached


SPLITS = ("train", "test", "unsupervised")
UNLABELED = -1  # the label of every review in the unsupervised split


class DataUnavailableError(RuntimeError):
    """The IMDb data could not be read; the message says how to fix it."""


@dataclass
class Split:
    """Raw reviews of one split."""

    texts: list[str]  # review text as published, HTML included
    labels: list[int]  # 0 = negative, 1 = positive, -1 = unlabeled

    def __len__(self) -> int:
        return len(self.texts)

    def take(self, indices) -> Split:
        return Split([self.texts[i] for i in indices], [self.labels[i] for i in indices])

    def spread(self, n: int) -> Split:
        """``n`` examples at even intervals over the split (all of it when ``n`` is 0 or more than it holds): IMDb's
        files are sorted by label, so the first ``n`` would all be negative."""
        if not n or n >= len(self):
            return self
        return self.take([i * len(self) // n for i in range(n)])


def _fix_hint(source: str, names=("train", "test")) -> str:
    if "unsupervised" in names:
        return (
            f"Could not read IMDb's 50,000 unlabeled reviews from {source}.\n"
            f"They are the `unsupervised` split of the Hub dataset {HUB_DATASET}; fix it either way:\n"
            f"  - let this machine reach the Hugging Face Hub, or\n"
            f"  - save that split as unsupervised.parquet beside train.parquet and test.parquet, e.g.\n"
            f"    load_dataset('{HUB_DATASET}', split='unsupervised').to_parquet('PATH/unsupervised.parquet')\n"
            f"    (on a machine that reaches the Hub), and pass --data PATH or set IMDB_DATA=PATH.\n"
            f"Training a classifier on the labeled reviews does not need them."
        )
    return (
        f"Could not read the IMDb data from {source}.\n"
        f"Fix it either way:\n"
        f"  - let this machine reach the Hugging Face Hub ({HUB_DATASET}), or\n"
        f"  - point to a local copy: a folder with train.parquet and test.parquet, or an extracted aclImdb/ folder,\n"
        f"    with --data PATH or the IMDB_DATA environment variable."
    )


def _check(split: Split, where: str, labels=(0, 1)) -> Split:
    bad = sorted({lab for lab in split.labels if lab not in labels})
    if bad:
        raise DataUnavailableError(f"{where}: labels must be {' or '.join(map(str, labels))}, found {bad[:5]}")
    if not all(isinstance(t, str) for t in split.texts):
        raise DataUnavailableError(f"{where}: every 'text' must be a string")
    if not split.texts:
        raise DataUnavailableError(f"{where}: holds no reviews")
    return split


def _labels(name: str) -> tuple[int, ...]:
    return (UNLABELED,) if name == "unsupervised" else (0, 1)


def _split(dataset) -> Split:
    columns = dataset.select_columns(["text", "label"]).to_dict()  # one Arrow conversion, not a Python loop
    return Split(columns["text"], columns["label"])


def _read_parquet(file: str | Path, name: str, source: str) -> Split:
    from datasets import load_dataset

    try:
        split = _split(load_dataset("parquet", data_files={name: str(file)}, split=name))
    except Exception as e:  # datasets raises many types for a malformed file
        raise DataUnavailableError(
            f"{file}: malformed parquet file ({type(e).__name__}: {e})\n" + _fix_hint(source, (name,))
        ) from e
    return _check(split, str(file), _labels(name))


def _from_parquet(folder: Path, names: tuple[str, ...]) -> dict[str, Split]:
    files = {name: folder / f"{name}.parquet" for name in names}
    missing = [str(p) for p in files.values() if not p.is_file()]
    if missing:
        raise DataUnavailableError(f"missing {', '.join(missing)}\n" + _fix_hint(str(folder), names))
    return {name: _read_parquet(file, name, str(folder)) for name, file in files.items()}


def hub_file(name: str) -> str:
    """The parquet file of split ``name`` in the Hub dataset."""
    return f"plain_text/{name}-00000-of-00001.parquet"


def hub_unreachable(timeout: float = HUB_TIMEOUT_S) -> str | None:
    """Why the Hugging Face Hub does not answer within ``timeout`` seconds, or None when it does."""
    import httpx2  # huggingface_hub's HTTP client library
    from huggingface_hub import constants, get_session

    if constants.HF_HUB_OFFLINE:
        return "HF_HUB_OFFLINE is set"
    try:  # huggingface_hub's own HTTP client, so the proxy and certificate settings it is given apply here too
        get_session().head(constants.ENDPOINT, timeout=timeout)  # any HTTP status means it answered
        return None
    except (httpx2.HTTPError, OSError, ValueError) as e:
        return f"{type(e).__name__}: {e}"


def _from_hub(names: tuple[str, ...], notify: Callable[[str], None]) -> dict[str, Split]:
    from huggingface_hub import HfApi, constants, hf_hub_download, try_to_load_from_cache

    source = f"the Hugging Face Hub ({HUB_DATASET})"
    files, checked = {}, False
    for name in names:
        cached = try_to_load_from_cache(HUB_DATASET, hub_file(name), repo_type="dataset")
        if isinstance(cached, str):
            files[name] = cached
            continue
        if not checked and (why := hub_unreachable()):
            raise DataUnavailableError(
                f"The Hugging Face Hub ({constants.ENDPOINT}) cannot be reached ({why}), and IMDb's {name} reviews are not in its local cache.\n"
                + _fix_hint(source, names)
            )
        checked = True
        try:
            info = HfApi().get_paths_info(HUB_DATASET, [hub_file(name)], repo_type="dataset")
            if not info:
                raise FileNotFoundError(f"{hub_file(name)} is not in {HUB_DATASET}")
            notify(
                f"Downloading IMDb's {name} reviews from the Hugging Face Hub ({info[0].size / 1e6:.0f} MB, once: later runs read the local cache)"
            )
            files[name] = hf_hub_download(HUB_DATASET, hub_file(name), repo_type="dataset")
        except Exception as e:  # network, HTTP and file errors all mean the same to the user
            raise DataUnavailableError(
                f"Downloading {hub_file(name)} failed ({type(e).__name__}: {e})\n" + _fix_hint(source, names)
            ) from e
    return {name: _read_parquet(file, name, source) for name, file in files.items()}


def _to_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _from_aclimdb(folder: Path, names: tuple[str, ...]) -> dict[str, Split]:
    splits = {}
    for name in names:
        parts = (
            ((UNLABELED, folder / "train" / "unsup"),)
            if name == "unsupervised"
            else ((0, folder / name / "neg"), (1, folder / name / "pos"))
        )
        texts, labels = [], []
        for label, sub in parts:
            for f in sorted(sub.glob("*.txt")):
                texts.append(f.read_text(encoding="utf-8"))
                labels.append(label)
        if not texts:
            where = ", ".join(str(sub) for _, sub in parts)
            raise DataUnavailableError(f"{where}: no reviews\n" + _fix_hint(str(folder), (name,)))
        splits[name] = Split(texts, labels)
    return splits


def load_imdb(
    data: str | os.PathLike | None = None,
    splits: tuple[str, ...] = ("train", "test"),
    notify: Callable[[str], None] | None = None,
) -> dict[str, Split]:
    """Return ``{name: Split}`` for the named splits: ``train`` and ``test`` (25,000 labeled reviews each)
    and ``unsupervised`` (50,000 unlabeled reviews, label -1), from a local folder or the Hub.
    ``notify`` (default: standard error) is told, before a download from the Hub, what is downloaded and how large."""
    names = tuple(splits)
    unknown = [n for n in names if n not in SPLITS]
    if unknown:
        raise ValueError(f"unknown IMDb split(s) {unknown}: choose from {SPLITS}")
    data = data or os.environ.get("IMDB_DATA")
    if data:
        folder = Path(data).expanduser()
        if (folder / "aclImdb").is_dir():
            folder = folder / "aclImdb"
        if not folder.is_dir():
            raise DataUnavailableError(f"{folder} is not a folder.\n" + _fix_hint(str(folder), names))
        if (folder / "train" / "pos").is_dir():
            return _from_aclimdb(folder, names)
        return _from_parquet(folder, names)
    return _from_hub(names, notify or _to_stderr)


def train_valid_split(train: Split, n_valid: int = 5000, seed: int = 1) -> tuple[Split, Split]:
    """Shuffle with a fixed seed and hold out ``n_valid`` reviews for validation."""
    perm = torch.randperm(len(train), generator=torch.Generator().manual_seed(seed)).tolist()
    return train.take(perm[n_valid:]), train.take(perm[:n_valid])


class EncodedSplit:
    """A split tokenized and encoded once: a flat id tensor plus offsets, lengths and labels."""

    def __init__(self, ids: list[list[int]], labels: list[int]):
        self.lengths = torch.tensor([len(x) for x in ids], dtype=torch.long)
        self.offsets = torch.zeros(len(ids) + 1, dtype=torch.long)
        torch.cumsum(self.lengths, 0, out=self.offsets[1:])
        self.flat = torch.tensor([i for x in ids for i in x], dtype=torch.long)
        self.labels = torch.tensor(labels, dtype=torch.float32)

    @classmethod
    def encode(cls, split: Split, vocab: Vocab, max_tokens: int | None = None) -> EncodedSplit:
        ids = [vocab.encode(tokenize(t)[:max_tokens] or ["<unk>"]) for t in split.texts]
        return cls(ids, split.labels)

    def __len__(self) -> int:
        return len(self.lengths)

    @property
    def n_tokens(self) -> int:
        return int(self.lengths.sum())

    def batch(self, indices: list[int]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Padded ids ``(batch, max_len)``, lengths ``(batch,)`` and labels ``(batch,)``."""
        idx = torch.as_tensor(indices)
        lengths = self.lengths[idx]
        ids = torch.full((len(indices), int(lengths.max())), PAD_ID, dtype=torch.long)
        for row, i in enumerate(indices):
            ids[row, : lengths[row]] = self.flat[self.offsets[i] : self.offsets[i + 1]]
        return ids, lengths, self.labels[idx]

    def batches(self, batch_size: int, shuffle: bool, generator: torch.Generator | None = None, pool: int = 50):
        """Index lists of reviews of similar length.

        Shuffled: random pools of ``pool * batch_size`` reviews, each sorted by length and cut
        into batches, then the batches shuffled. Not shuffled: sorted by length throughout.
        """
        n = len(self)
        if not shuffle:
            order = torch.argsort(self.lengths, stable=True).tolist()
            return [order[i : i + batch_size] for i in range(0, n, batch_size)]
        perm = torch.randperm(n, generator=generator)
        batches = []
        for start in range(0, n, pool * batch_size):
            chunk = perm[start : start + pool * batch_size]
            chunk = chunk[torch.argsort(self.lengths[chunk], stable=True)].tolist()
            batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
        order = torch.randperm(len(batches), generator=generator).tolist()
        return [batches[i] for i in order]
