"""What the web app reads from the environment (once, into a frozen ``Settings``) and its fixed limits."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = "shipped model"
FROM_SCRATCH, FROM_PRETRAINED = "random weights", "pretrained BiLSTM"

# Limits of a run started from the Train tab, enforced in the handler (not only by the sliders).
LIMITS = {
    "epochs": (1, 5),
    "reviews": (200, 20000),
    "embed_dim": (8, 256),
    "hidden_dim": (8, 256),
    "batch_size": (8, 256),
    "lr": (1e-4, 0.1),
}
DEFAULTS = dict(epochs=3, reviews=10000, batch_size=32, lr=5e-3, embed_dim=32, hidden_dim=32)  # bench/train_tab.py
VALID_REVIEWS = 1000  # held-out reviews scored at each validation check in the Train tab
TRAIN_TOKENS = 400  # training reviews are cut to this many tokens in the Train tab (time and memory per batch)
CHECKS_PER_EPOCH = 4  # validation checks (plot points) per epoch
MAX_RUNS = 5  # finished runs kept per visitor; the oldest is deleted first
MAX_REVIEW_CHARS = 100_000  # longer texts are refused: the model reads the first 3,000 words (~16,000 characters)
LABEL_CHARS = 60  # Gradio shows an example's label cut to its first 60 characters
RUN_FILES_TTL_S = 2 * 3600  # a visitor folder without a new run for this long is deleted (API callers never leave)
DEFAULT_BUDGET_S = 180.0  # a run stops itself after this many seconds (TRAIN_BUDGET_SECONDS)
TYPICAL_RUN_FILE = ROOT / "webapp" / "typical_run.json"  # what default runs reached: written by bench/train_tab.py
TRIM_EVERY_S = 5.0  # explained predictions hand freed memory back to the system at most this often (webapp.memory)
JSON_BATCH, JSON_EXPLAIN_BATCH = 64, 8  # most texts in one /api/v1/predict request, without and with explain


def _int(env, name: str, default: int) -> int:
    try:
        return max(1, int(env.get(name, default)))
    except ValueError:
        return default


def _budget(env) -> float:
    try:
        return max(1.0, float(env.get("TRAIN_BUDGET_SECONDS", DEFAULT_BUDGET_S)))
    except ValueError:
        return DEFAULT_BUDGET_S


@dataclass(frozen=True)
class Settings:
    model_path: str  # MODEL_PATH: the shipped model (a folder or a Hub repo id)
    pretrained_path: str  # PRETRAINED_PATH: the encoder Train tab runs may start from
    baseline_path: str  # BASELINE_PATH: the order-blind n-gram model explained predictions compare with
    train_threads: int  # TRAIN_THREADS: CPU threads of a Train run (all cores but one)
    predict_threads: int  # PREDICT_THREADS: CPU threads of one prediction, so predictions stay quick while a run trains
    session_capacity: int  # SESSION_CAPACITY: sessions whose state Gradio keeps (least recently used go first)
    budget_s: float  # TRAIN_BUDGET_SECONDS: a Train run stops itself after this long
    server_name: str  # GRADIO_SERVER_NAME
    server_port: int  # GRADIO_SERVER_PORT (7860, as a Space expects)
    runs_root: Path = field(
        default_factory=lambda: Path(tempfile.gettempdir()) / "sentiment-runs" / f"server-{os.getpid()}"
    )

    @classmethod
    def from_env(cls, env=None) -> Settings:
        env = os.environ if env is None else env
        cores = os.cpu_count() or 1
        return cls(
            model_path=env.get("MODEL_PATH", str(ROOT / "checkpoints" / "bilstm-imdb")),
            pretrained_path=env.get("PRETRAINED_PATH", str(ROOT / "checkpoints" / "bilstm-imdb-lm")),
            baseline_path=env.get("BASELINE_PATH", str(ROOT / "checkpoints" / "ngram-imdb")),
            train_threads=_int(env, "TRAIN_THREADS", max(1, cores - 1)),
            predict_threads=_int(env, "PREDICT_THREADS", 1),
            session_capacity=_int(env, "SESSION_CAPACITY", 2000),
            budget_s=_budget(env),
            server_name=env.get("GRADIO_SERVER_NAME", "127.0.0.1"),
            server_port=_int(env, "GRADIO_SERVER_PORT", 7860),
        )


SETTINGS = (
    Settings.from_env()
)  # read at import; modules read ``settings.SETTINGS`` at call time, so tests may replace it
