"""Train-tab runs and where their files live: a folder per visitor, an unguessable folder per run inside it.

No Gradio here: the Train tab calls a ``RunStore`` and keeps each visitor's ``Visitor`` in its session.
A run's files are deleted with the run (the oldest beyond ``max_runs``), when the visitor clears their
runs or their page closes, when their folder got no new run for ``ttl_s`` (API callers never close a
page), and all of them when the server stops.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


def checkpoint_name(run_name: str) -> str:
    """The folder name of a run's checkpoint (and of its zip), e.g. "run-2-bilstm-32"."""
    return "run-" + re.sub(r"[^a-z0-9]+", "-", run_name.lower()).strip("-")


class RunUnavailable(LookupError):
    """A run picked in Predict that this server cannot answer with; the message says why and what to do."""


@dataclass
class Run:
    number: int  # the visitor's count: #1, #2, …
    name: str  # what tells it apart on the plots, the table and the Predict tab, e.g. "#2 BiLSTM 32"
    epochs: float = 0.0  # the epochs it was set to train: the plots' x axis spans them while it runs
    steps: list[tuple[float, float, float]] = field(default_factory=list)  # (epoch, training accuracy, training loss)
    history: list[dict] = field(default_factory=list)  # the validation checks (``training.Validation`` as dicts)
    settings: str = ""  # the settings in a few words, for the runs table
    folder: Path | None = None  # the run's own folder, holding its checkpoint folder and its zip
    checkpoint: Path | None = None
    archive: Path | None = None
    best: float = 0.0  # best validation accuracy
    seconds: float = 0.0
    speed: float = 0.0  # reviews per second
    ended: str = ""  # "finished", "stopped" or "stopped at the … budget"


@dataclass
class Visitor:
    """One page's (or API caller's) state: its kept runs and whether its current run should stop."""

    runs: list[Run] = field(default_factory=list)
    count: int = 0  # runs started so far, numbering the next
    stop: bool = False  # the current run stops after its current batch (or before it starts)
    requested: bool = False  # a run pressed for (or called through the API) and not yet ended: Stop applies to it
    closed: bool = False  # the page closed: a run still going keeps nothing
    folder: Path | None = None  # where its runs are written, set with its first kept run
    own_settings: tuple | None = None  # the visitor's type and sizes, kept while the pretrained start fixes them
    analyses: int = 0  # Predict analyses the page has begun: one still explaining gives way to a later one


class RunStore:
    def __init__(self, root: Path, max_runs: int, ttl_s: float):
        self.root, self.max_runs, self.ttl_s = Path(root), max_runs, ttl_s
        self._salt = secrets.token_hex(16)  # folder names derive from session ids without revealing them

    def visitor_folder(self, session_hash: str | None) -> Path:
        """A visitor's folder, named from their session id by a salted hash (download links do not reveal the
        id), or a random one without a session."""
        key = session_hash or secrets.token_hex(8)
        return self.root / ("visitor-" + hashlib.sha256(f"{self._salt}:{key}".encode()).hexdigest()[:24])

    def keep(self, visitor: Visitor, run: Run, write: Callable[[Path], object], session_hash: str | None = None) -> Run:
        """Write a finished run's checkpoint (``write(folder)``), zip it, add it to the visitor's runs and
        delete the oldest past ``max_runs``."""
        if visitor.folder is None:
            visitor.folder = self.visitor_folder(session_hash)
        visitor.folder.mkdir(parents=True, exist_ok=True)
        run.folder = Path(tempfile.mkdtemp(prefix="run-", dir=visitor.folder))
        run.checkpoint = run.folder / checkpoint_name(run.name)
        write(run.checkpoint)
        run.archive = Path(shutil.make_archive(str(run.checkpoint), "zip", run.folder, run.checkpoint.name))
        visitor.runs.append(run)
        while len(visitor.runs) > self.max_runs:
            self.drop(visitor.runs.pop(0))
        return run

    @staticmethod
    def drop(run: Run) -> None:
        if run.folder is not None:
            shutil.rmtree(run.folder, ignore_errors=True)

    def clear(self, visitor: Visitor) -> None:
        """Forget every kept run of the visitor and delete its files."""
        for run in visitor.runs:
            self.drop(run)
        visitor.runs = []

    def forget(self, visitor: Visitor | None) -> None:
        """The visitor left: stop their run and delete every file their runs left."""
        if visitor is None:
            return
        visitor.closed = visitor.stop = True
        self.clear(visitor)
        if visitor.folder is not None:
            shutil.rmtree(visitor.folder, ignore_errors=True)

    def end(self, session_hash: str | None) -> None:
        """A page closed (known only by its session id): delete its folder."""
        if session_hash:
            shutil.rmtree(self.visitor_folder(session_hash), ignore_errors=True)

    def sweep(self, max_age_s: float | None = None) -> None:
        """Delete visitor folders that got no new run for ``max_age_s`` (default ``ttl_s``)."""
        max_age_s = self.ttl_s if max_age_s is None else max_age_s
        for folder in self.root.glob("visitor-*"):
            try:
                if time.time() - folder.stat().st_mtime > max_age_s:
                    shutil.rmtree(folder, ignore_errors=True)
            except FileNotFoundError:
                pass

    def remove_all(self) -> None:
        """Every file this server's runs wrote (the server stops)."""
        shutil.rmtree(self.root, ignore_errors=True)

    def find(self, visitor: Visitor, name: str) -> Run:
        """The visitor's run called ``name`` with its files on disk, or ``RunUnavailable`` saying why not."""
        run = next((r for r in visitor.runs if r.name == name), None)
        if run is None:  # the server restarted, or dropped this page's state: never answer with another model
            raise RunUnavailable(
                f"The server no longer knows {name} (it restarted, or dropped this page's state while busy): "
                "reload the page and train it again, or pick the shipped model."
            )
        if run.checkpoint is None or not run.checkpoint.is_dir():
            raise RunUnavailable(
                f"The files of {name} are gone (the page lost its connection to the server, or they were older "
                f"than {self.ttl_s / 3600:g} hours): train it again, or pick the shipped model."
            )
        return run
