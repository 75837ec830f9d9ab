"""IMDb sentiment demo: a bidirectional LSTM you can query, look inside and retrain in the browser.

    python app.py            # serves http://127.0.0.1:7860 (GRADIO_SERVER_NAME / GRADIO_SERVER_PORT)
    MODEL_PATH=org/repo python app.py

Importing this module builds the UI (``demo``) and nothing else: the model is loaded on first
use, and ``main()`` loads it before launching so a broken checkpoint stops start-up with a
clear message. Everything about the model lives in the ``sentiment`` package; this file holds
the UI and thin adapters.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import os
import re
import secrets
import shutil
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import pandas as pd
import torch

from sentiment import (
    CheckpointError,
    DataUnavailableError,
    ModelConfig,
    Prediction,
    Predictor,
    SentimentRNN,
    TrainConfig,
    load_checkpoint,
    load_imdb,
    load_predictor,
    save_checkpoint,
)
from sentiment.model import RNN_TYPES
from sentiment.pretrain import Pretrained, PretrainedError, load_pretrained, start_from
from sentiment.text import UNK_ID
from sentiment.training import Done, Step, Validation, fit, prepare

ROOT = Path(__file__).resolve().parent
MODEL_PATH = os.environ.get("MODEL_PATH", str(ROOT / "checkpoints" / "bilstm-imdb"))
PRETRAINED_PATH = os.environ.get("PRETRAINED_PATH", str(ROOT / "checkpoints" / "bilstm-imdb-lm"))
BASELINE_PATH = os.environ.get("BASELINE_PATH", str(ROOT / "checkpoints" / "ngram-imdb"))
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
VALID_REVIEWS = 1000  # held-out reviews scored at each validation check in the Train tab
TRAIN_TOKENS = 400  # training reviews are cut to this many tokens in the Train tab, bounding time and memory per batch
CHECKS_PER_EPOCH = 4  # validation checks (plot points) per epoch
MAX_RUNS = 5  # finished runs kept per visitor; the oldest is deleted first
# CPU threads per request. A Train run and predictions share the machine: the run gets all cores but one
# (TRAIN_THREADS), each prediction one thread, so predictions stay quick while a run trains
# (bench/predict_while_training.py measures both ways). Set in each handler: torch's count is per thread.
CORES = os.cpu_count() or 1
TRAIN_THREADS = int(os.environ.get("TRAIN_THREADS", max(1, CORES - 1)))
PREDICT_THREADS = int(os.environ.get("PREDICT_THREADS", 1))
SESSION_CAPACITY = int(
    os.environ.get("SESSION_CAPACITY", 2000)
)  # sessions whose state is kept (least recently used go first): each holds its last texts and answers
MAX_REVIEW_CHARS = (
    100_000  # longer texts are refused: the model reads the first 3,000 words (about 16,000 characters) anyway
)
RUN_FILES_TTL_S = (
    2 * 3600
)  # a visitor folder without a new run for this long is deleted (API callers never "close a page")
_FOLDER_SALT = secrets.token_hex(16)  # visitor folder names derive from session ids without revealing them
DEFAULT_BUDGET_S = 180  # a run stops itself after this many seconds (TRAIN_BUDGET_SECONDS changes it)
RUN_COLUMNS = ["run", "settings", "best validation", "time", "reviews/s", "ended"]
# This server's run files: a folder per visitor (their session), an unguessable folder per run inside it, served
# in place for download; deleted with the run, when the visitor's page closes, and when the server stops.
RUNS_ROOT = Path(tempfile.gettempdir()) / "sentiment-runs" / f"server-{os.getpid()}"
PALETTE = [
    ("#93c5fd", "#1d4ed8"),
    ("#fdba74", "#c2410c"),
    ("#86efac", "#15803d"),
    ("#d8b4fe", "#7e22ce"),
    ("#fca5a5", "#b91c1c"),
    ("#a5f3fc", "#0e7490"),
]  # (training, validation) colours of one run

# Default Train tab settings, chosen by measuring (bench/train_tab.py prints what they reach and when).
DEFAULTS = dict(epochs=3, reviews=10000, batch_size=32, lr=5e-3, embed_dim=32, hidden_dim=32)
TYPICAL_RUN = (
    "With the settings below (a BiLSTM of 32 units from random weights, 10,000 reviews, 3 epochs) a run on 2 CPU cores "
    "drew its first point after 3.5 s, passed 80% validation accuracy after 17 s and ended at 87.9% after 36 s."
)
PRETRAINED_NOTE = (
    "**Start from: pretrained BiLSTM** fine-tunes the encoder pretrained as a language model on 70,000 reviews "
    "(embedding 128, 128 units, fixed by it): with the same settings it passed 80% after 49 s and reached 89.8% in "
    "2.8 minutes, a model four times as wide as the default (at equal size, random weights learned faster: see the model card)."
)


def limits_text() -> str:
    return (
        f"**Limits on this server**\n\n- {LIMITS['epochs'][1]} epochs, {LIMITS['reviews'][1]:,} reviews at most\n"
        f"- each run stops itself after **{run_budget():g} s** and keeps its best weights\n"
        f"- reviews cut to {TRAIN_TOKENS} tokens; validation on {VALID_REVIEWS:,} held-out reviews\n"
        f"- one run at a time: others wait in the queue, their place shown on the plots\n"
        f"- your last {MAX_RUNS} runs are kept until you leave (or for {RUN_FILES_TTL_S // 3600} hours after your last run)"
    )


EXAMPLES = [
    "What a wonderful surprise. The two leads have real chemistry, the script is sharp and funny, "
    "and the last twenty minutes had the whole audience cheering. I will happily watch it again.",
    "A tedious, badly acted mess. The plot makes no sense, the jokes fall flat and I checked my watch "
    "every ten minutes. Save your money and skip this one.",
    "The photography is gorgeous and the score is lovely, but the story drags badly in the middle "
    "and the ending felt rushed. Worth seeing once, I suppose.",
    "I expected a cheap cash-in, but honestly it was not bad at all. Not a masterpiece, yet I was never bored.",
    "I loved the cast, the music and the photography, and for an hour it was a delight. "
    "Then came the ending: stupid, lazy and insulting. A total waste of my time.",
    "Oh great, another two hours of my life I will never get back. Truly a triumph of cinema, if you enjoy staring at walls.",
]


# Real test reviews on which the two shipped models disagree (found by scoring both on the short test
# reviews; tests/test_app.py checks each claim): (review, its IMDb label, which model is right).
DISAGREEMENTS = [
    (
        "For the most part, romance films were never my cup of tea. But Valley Girl is one of the few romance films I not only "
        "could sit through, but actually enjoy. Nicholas Cage is great in his first role and Deborah Foreman is cute beyond "
        "belief. There are some side stories that tend to become muddled, but not enough to diminish this film.",
        "positive",
        "BiLSTM",
    ),
    (
        "A professional production with quality actors that simply never touched the heart or the funny bone no matter how "
        "hard it tried. The quality cast, stark setting and excellent cinemetography made you hope for Fargo or High Plains "
        "Drifter but sorry, the soup had no seasoning...or meat for that matter. A 3 (of 10) for effort.",
        "negative",
        "BiLSTM",
    ),
    (
        "A truly masterful piece of filmmaking. It managed to put me to sleep and to boggle my mind. So boring that it induces "
        "sleep and yet so ludicrous that it made me wonder how stuff like this gets made. Avoid at all costs. That is, unless you "
        "like taking invisible cranial punishment, in which case I highly recommend it.",
        "negative",
        "baseline",
    ),
    (
        '"Death Promise" is a lost 70\'s exploitation gem and deserves to be seen. Technically somewhat of a mess and boasting a '
        "stock of amateur New Yawk types, this film never bores. I highly recommend tracking this down. It's a hoot and a half.",
        "positive",
        "baseline",
    ),
]


def _disagreement_label(text: str, gold: str, right: str) -> str:
    who = "the BiLSTM" if right == "BiLSTM" else "the order-blind baseline"
    return f"{gold} review, {who} is right: " + " ".join(text.split()[:9]) + " …"


@functools.cache
def baseline_predictor() -> Predictor | None:
    """The order-blind bag-of-n-grams baseline (BASELINE_PATH), or None when this server has none."""
    try:
        return load_predictor(BASELINE_PATH)
    except CheckpointError as e:
        print(f"No order-blind baseline, so the Predict tab will not compare with one: {e}", file=sys.stderr)
        return None


@functools.cache
def shipped_predictor() -> Predictor:
    """The shipped (or MODEL_PATH) model, loaded once per process, compared with the baseline when explaining."""
    predictor = load_predictor(MODEL_PATH)
    predictor.baseline = baseline_predictor()
    return predictor


@functools.cache
def pretrained_encoder() -> Pretrained | None:
    """The pretrained BiLSTM encoder that Train tab runs can start from, or None when this server has none."""
    try:
        return load_pretrained(PRETRAINED_PATH)
    except PretrainedError:
        return None


def run_budget() -> float:
    """Seconds a Train tab run may take: TRAIN_BUDGET_SECONDS, else 3 minutes."""
    try:
        return max(1.0, float(os.environ.get("TRAIN_BUDGET_SECONDS", DEFAULT_BUDGET_S)))
    except ValueError:
        return float(DEFAULT_BUDGET_S)


_IMDB_TRAIN: dict = {}  # the training reviews once read (read-only afterwards)
_IMDB_LOCK = threading.Lock()


def imdb_train(notify=None):
    """The IMDb training reviews, read once per process (IMDB_DATA, else the Hub: that split only, downloaded
    once into the Hugging Face cache); ``notify`` is told what is downloaded and how large before it is."""
    with _IMDB_LOCK:
        if "train" not in _IMDB_TRAIN:
            _IMDB_TRAIN["train"] = load_imdb(splits=("train",), notify=notify)["train"]
        return _IMDB_TRAIN["train"]


# ---------------------------------------------------------------- Predict tab


def _buckets(attributions: list[float]) -> list[str | None]:
    scale = max((abs(a) for a in attributions), default=0.0) or 1.0
    out = []
    for a in attributions:
        r = a / scale
        out.append(
            "strongly positive"
            if r > 0.5
            else "positive"
            if r > 0.15
            else "strongly negative"
            if r < -0.5
            else "negative"
            if r < -0.15
            else None
        )
    return out


COLORS = {"strongly positive": "#16a34a", "positive": "#86efac", "negative": "#fca5a5", "strongly negative": "#dc2626"}


def _run_predict(text: str, predictor: Predictor, explain: bool = True) -> Prediction:
    if not isinstance(text, str) or not text.strip():
        raise gr.Error("Please enter a review first: the text box is empty.")
    if len(text) > MAX_REVIEW_CHARS:
        raise gr.Error(
            f"The text is {len(text):,} characters long; this demo takes up to {MAX_REVIEW_CHARS:,} "
            f"(the model reads only the first {predictor.max_tokens:,} words). Paste one review at a time."
        )
    torch.set_num_threads(PREDICT_THREADS)
    try:
        return predictor.predict(text, explain=explain)
    except ValueError as e:
        raise gr.Error(str(e)) from None


def comparison(p: Prediction, name: str = "BiLSTM") -> str:
    """One line on the order-blind baseline's verdict for the same review, and what differs from ``name``'s."""
    if not p.baseline:
        return ""
    b = p.baseline
    line = f"**Order-blind baseline** (counts words and phrases of up to 3 words, ignores their order): {b['label']}, {b['probability']:.1%} positive. "
    if b["label"] != p.label:
        return (
            line
            + f"**They disagree**: reading the words in order, the {name} says {p.label}; counting them, the baseline says {b['label']}."
        )
    gap = p.probability - b["probability"]
    if abs(gap) < 0.2:
        return line + f"Both say {p.label}, about as surely: here word order changes little."
    surer = name if (gap > 0) == (p.label == "positive") else "baseline"
    return line + f"Both say {p.label}; the {surer} is more sure of it."


def _trajectory_frame(p: Prediction) -> pd.DataFrame:
    rows = [(i, prob, tok) for i, (tok, prob) in enumerate(zip(p.tokens, p.trajectory), start=1) if prob is not None]
    return pd.DataFrame(rows, columns=["word", "positive", "token"]).astype(
        {"word": int, "positive": float, "token": str}
    )


def analyze(text: str, model_choice: str, session: dict):
    """Predict tab: label, probability, token table, counts, highlighted words, the running verdict, the
    baseline's verdict and, for a model trained in the Train tab, its verdict beside the shipped model's."""
    trained = run_predictor(session, model_choice) if model_choice != SHIPPED else None
    predictor = shipped_predictor() if trained is None else trained
    p = _run_predict(text, predictor)
    compare = ""
    if trained is not None:
        ref = shipped_predictor().predict(text)
        compare = (
            f"**{model_choice}** (trained here): {p.label}, {p.probability:.1%} positive · "
            f"**{SHIPPED}**: {ref.label}, {ref.probability:.1%} positive"
            + (" · they **disagree**" if ref.label != p.label else "")
        )
    table = pd.DataFrame(
        {
            "#": range(1, len(p.tokens) + 1),
            "token": p.tokens,
            "id": p.ids,
            "unknown": ["<unk>" if i == UNK_ID else "" for i in p.ids],
            "push": [round(a, 4) for a in p.attributions],
        }
    )
    counts = f"**{len(p.tokens)}** tokens, **{p.unknown}** unknown (`<unk>`, id {UNK_ID})"
    if p.truncated:
        counts += f"; the review was cut to its first **{predictor.max_tokens:,}** tokens"
    highlighted = [(tok + " ", cat) for tok, cat in zip(p.tokens, _buckets(p.attributions))]
    computed = sum(v is not None for v in p.trajectory)
    caption = (
        f"After each of the {len(p.tokens):,} words read"
        if computed == len(p.tokens)
        else (f"After {computed} evenly spaced words of the {len(p.tokens):,} read")
    )
    caption += "; the last point is the prediction." + (
        " The review was cut: the words after these were not read." if p.truncated else ""
    )
    return (
        {"positive": p.probability, "negative": 1 - p.probability},
        round(p.probability, 4),
        table,
        counts,
        highlighted,
        compare + ("\n\n" if compare else "") + comparison(p, model_choice if trained else "BiLSTM"),
        _trajectory_frame(p),
        caption,
    )


def predict(text: str, explain: bool = True) -> dict:
    """Score one review with the shipped model.

    With explain (the default): label ("positive"/"negative"), probability (of positive), tokens, ids
    (same length), attributions (per token: + pushed toward positive, - toward negative), trajectory
    (per token: probability of positive after reading up to it; null where not computed), baseline
    (the order-blind n-gram model's label and probability), unknown (count of <unk> tokens) and
    truncated (the review was cut to the maximum length). With explain false: label and probability only, fast.
    """
    if not isinstance(explain, bool):
        raise gr.Error(f"explain must be true or false; got {explain!r}.")
    p = _run_predict(text, shipped_predictor(), explain)
    return p.to_dict() if explain else {"label": p.label, "probability": p.probability}


# ---------------------------------------------------------------- Train tab


def check_settings(
    epochs, reviews, rnn_type, bidirectional, embed_dim, hidden_dim, lr, batch_size, start=FROM_SCRATCH
) -> dict:
    """Validate Train tab settings (from the UI or the API) before any work starts."""
    values = {
        "epochs": epochs,
        "reviews": reviews,
        "embed_dim": embed_dim,
        "hidden_dim": hidden_dim,
        "batch_size": batch_size,
        "lr": lr,
    }
    clean = {}
    for name, value in values.items():
        low, high = LIMITS[name]
        kind = float if name == "lr" else int
        try:
            number = kind(value)
            if isinstance(value, bool) or number != float(value):
                raise ValueError
        except (TypeError, ValueError, OverflowError):
            raise gr.Error(
                f"{name} must be a {'number' if kind is float else 'whole number'}, not {value!r}."
            ) from None
        if not low <= number <= high:
            raise gr.Error(f"{name} must be between {low:g} and {high:g}; got {value!r}.")
        clean[name] = number
    if rnn_type not in RNN_TYPES:
        raise gr.Error(f"recurrent type must be one of {', '.join(RNN_TYPES)}; got {rnn_type!r}.")
    if not isinstance(bidirectional, bool):
        raise gr.Error(f"bidirectional must be true or false; got {bidirectional!r}.")
    if start not in (FROM_SCRATCH, FROM_PRETRAINED):
        raise gr.Error(f"start must be {FROM_SCRATCH!r} or {FROM_PRETRAINED!r}; got {start!r}.")
    if start == FROM_PRETRAINED:
        if pretrained_encoder() is None:
            raise gr.Error(
                f"No pretrained encoder on this server ({PRETRAINED_PATH} is missing): start from random weights."
            )
        if rnn_type != "lstm" or not bidirectional:
            raise gr.Error(
                "The pretrained encoder is a bidirectional LSTM: pick lstm and bidirectional to start from it."
            )
    return clean | {"rnn_type": rnn_type, "bidirectional": bidirectional, "start": start}


def run_name(number: int, s: dict) -> str:
    """What tells this run apart on the plots and in the table, e.g. "#2 BiLSTM 128 · pretrained"."""
    c = pretrained_encoder().model_config if s["start"] == FROM_PRETRAINED else None
    hidden = c.hidden_dim if c else s["hidden_dim"]
    name = f"#{number} {'Bi' if s['bidirectional'] else ''}{s['rnn_type'].upper()} {hidden}"
    return name + (" · pretrained" if c else "")


def _curves(runs: list[dict], current: dict | None) -> tuple[gr.LinePlot, gr.LinePlot]:
    """Accuracy and loss plots of every kept run and the current one, one colour per run and curve.

    The chart builds its colour scale from the series present when it is first drawn and only
    swaps the data afterwards, so the colour map (which names every series) is sent with each
    update: a new series changes it and makes the chart redraw with that series in its scale.
    """
    rows, colors = [], {}
    for i, run in enumerate([*runs, *([current] if current else [])]):
        train_series, valid_series = f"{run['name']} · training", f"{run['name']} · validation"
        rows += [(e, acc, loss, train_series) for e, acc, loss in run["steps"]]
        rows += [(h["epoch"], h["valid_accuracy"], h["valid_loss"], valid_series) for h in run["history"]]
        colors |= {train_series: PALETTE[i % len(PALETTE)][0], valid_series: PALETTE[i % len(PALETTE)][1]}
    df = pd.DataFrame(rows, columns=["epoch", "accuracy", "loss", "series"]).astype(
        {"epoch": float, "accuracy": float, "loss": float, "series": str}
    )
    drawn = set(df["series"])
    colors = {name: color for name, color in colors.items() if name in drawn}
    return (
        gr.LinePlot(value=df[["epoch", "accuracy", "series"]], color_map=colors),
        gr.LinePlot(value=df[["epoch", "loss", "series"]], color_map=colors),
    )


def _runs_table(runs: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            (r["name"], r["settings"], f"{r['best']:.1%}", f"{r['seconds']:.0f} s", f"{r['speed']:,.0f}", r["ended"])
            for r in runs
        ],
        columns=RUN_COLUMNS,
    )


def _choices(runs: list[dict], value: str = SHIPPED) -> gr.Radio:
    return gr.Radio(choices=[SHIPPED, *(r["name"] for r in runs)], value=value)


def _downloads(runs: list[dict]):
    files = [r["archive"] for r in runs]
    return gr.File(value=files or None, visible=bool(files))


def _drop_run(run: dict) -> None:
    shutil.rmtree(run["folder"], ignore_errors=True)


def _drop_all_runs(session: dict) -> None:
    for run in session.get("runs", []):
        _drop_run(run)
    session["runs"] = []


def train_model(
    epochs,
    reviews,
    rnn_type,
    bidirectional,
    embed_dim,
    hidden_dim,
    lr,
    batch_size,
    start,
    session: dict,
    request: gr.Request = None,
    progress=gr.Progress(),
):
    """Train tab: a short live run. Yields (accuracy plot, loss plot, log, summary, Predict's model choice, runs table, downloads)."""
    s = check_settings(epochs, reviews, rnn_type, bidirectional, embed_dim, hidden_dim, lr, batch_size, start)
    sweep_old_runs()
    session["stop"] = False
    budget, began = run_budget(), time.monotonic()  # the budget covers the whole run, reading the reviews included
    keep = gr.update()
    progress(0, desc="Loading IMDb reviews")
    try:
        train_split = imdb_train(notify=lambda message: progress(0, desc=message))
    except DataUnavailableError as e:
        raise gr.Error(str(e).replace("\n", " ")) from None
    pretrained = pretrained_encoder() if s["start"] == FROM_PRETRAINED else None
    cfg = TrainConfig(
        epochs=s["epochs"],
        batch_size=s["batch_size"],
        lr=s["lr"],
        train_limit=s["reviews"],
        valid_limit=VALID_REVIEWS,
        evals_per_epoch=CHECKS_PER_EPOCH,
        max_tokens=TRAIN_TOKENS,
        min_freq=2,
        eval_at_start=True,
    )
    data = prepare(train_split, cfg, vocab=pretrained.vocab if pretrained else None)
    torch.manual_seed(cfg.seed)
    if pretrained:
        model = start_from(
            pretrained,
            ModelConfig(**{**vars(pretrained.model_config), "fc_dim": 64, "pooling": "maxmean", "dropout": 0.2}),
        )
    else:
        model = SentimentRNN(
            ModelConfig(
                vocab_size=len(data.vocab),
                embed_dim=s["embed_dim"],
                hidden_dim=s["hidden_dim"],
                fc_dim=64,
                rnn_type=s["rnn_type"],
                bidirectional=s["bidirectional"],
                pooling="max",
                dropout=0.2,
            )
        )
    runs = session.setdefault("runs", [])
    session["count"] = session.get("count", 0) + 1
    current = {"name": run_name(session["count"], s), "steps": [], "history": []}
    log = [
        f"{current['name']}: {len(data.train):,} training reviews, {len(data.valid):,} validation reviews, "
        f"vocabulary {len(data.vocab):,}, {model.num_parameters():,} parameters"
    ]
    yield keep, keep, "\n".join(log), keep, keep, keep, keep
    every = max(1, -(-len(data.train) // cfg.batch_size) // (2 * CHECKS_PER_EPOCH))
    over_budget = lambda: time.monotonic() - began > budget  # noqa: E731
    last_yield = time.monotonic()
    for event in _with_threads(
        fit(model, data, cfg, should_stop=lambda: session.get("stop", False) or over_budget()), TRAIN_THREADS
    ):
        if isinstance(event, Step):
            progress((event.step, event.total_steps), desc=f"epoch {event.epoch}/{cfg.epochs}", unit="steps")
            if event.step % every == 0 or event.step == 1:
                current["steps"].append((event.step / (event.total_steps / cfg.epochs), event.accuracy, event.loss))
            if time.monotonic() - last_yield > 1.0:  # hand control back each second, so a cancelled run ends promptly
                last_yield = time.monotonic()
                yield *_curves(runs, current), keep, keep, keep, keep, keep
        elif isinstance(event, Validation):
            current["history"].append(vars(event))
            if event.end_of_epoch:
                log.append(
                    f"epoch {round(event.epoch)}: train loss {event.train_loss:.3f} acc {event.train_accuracy:.3f}, "
                    f"validation loss {event.valid_loss:.3f} acc {event.valid_accuracy:.3f}, {event.seconds:.1f}s"
                )
            yield *_curves(runs, current), "\n".join(log), keep, keep, keep, keep
        elif isinstance(event, Done):
            done = event
    if session.get("closed"):  # the visitor left mid-run: nothing to show, nothing to keep
        return
    ended = "finished"
    if done.stopped:
        ended = f"stopped at the {budget:g} s budget" if over_budget() and not session.get("stop") else "stopped"
        log.append(f"{ended} after {done.history[-1]['epoch']:.2f} epochs; keeping the best weights so far")
    slug = re.sub(r"[^a-z0-9]+", "-", current["name"].lower()).strip("-")
    visitor = session.setdefault("folder", str(session_folder(request)))
    Path(visitor).mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="run-", dir=visitor)) / f"run-{slug}"
    metrics = {
        "valid_accuracy": done.best_valid_accuracy,
        "train_reviews": len(data.train),
        "valid_reviews": len(data.valid),
        "train_seconds": round(done.seconds, 1),
        "history": done.history,
        "trained_in": "app Train tab",
        "run": current["name"],
    }
    save_checkpoint(folder, model, data.vocab, metrics)
    archive = shutil.make_archive(str(folder), "zip", folder.parent, folder.name)
    settings = (
        f"{'pretrained' if pretrained else 'random start'}, {s['epochs']} ep., {len(data.train):,} reviews, "
        f"batch {s['batch_size']}, lr {s['lr']:g}" + ("" if pretrained else f", emb. {s['embed_dim']}")
    )
    current |= {
        "folder": str(folder.parent),
        "checkpoint": str(folder),
        "archive": archive,
        "best": done.best_valid_accuracy,
        "seconds": done.seconds,
        "speed": done.reviews_per_second,
        "settings": settings,
        "ended": ended,
    }
    runs.append(current)
    while len(runs) > MAX_RUNS:
        _drop_run(runs.pop(0))
    summary = (
        f"**Best validation accuracy {done.best_valid_accuracy:.1%}** (epoch {done.best_epoch:.2f}) on {len(data.valid):,} held-out reviews · "
        f"{done.seconds:.1f} s · {done.reviews_per_second:,.0f} reviews/s · {ended}. "
        f"Pick **{current['name']}** in the Predict tab to try it, or download its checkpoint below."
    )
    if ended.startswith("stopped at"):
        summary = f"**Time budget reached**: this server gives each run {budget:g} s. " + summary
    yield (
        *_curves(runs, None),
        "\n".join(log),
        summary,
        _choices(runs, current["name"]),
        _runs_table(runs),
        _downloads(runs),
    )


def encoder_controls(start: str):
    """Starting from the pretrained encoder fixes its type and sizes: show them and lock those controls."""
    c = pretrained_encoder().model_config if start == FROM_PRETRAINED and pretrained_encoder() else None
    if c is None:
        return (gr.update(interactive=True),) * 4
    return (
        gr.update(value="lstm", interactive=False),
        gr.update(value=True, interactive=False),
        gr.update(value=c.embed_dim, interactive=False),
        gr.update(value=c.hidden_dim, interactive=False),
    )


def stop_training(session: dict) -> None:
    """Stop the session's run after its current batch; harmless with no run or when pressed twice."""
    session["stop"] = True


def clear_runs(session: dict):
    """Forget every kept run of this session and delete its files."""
    _drop_all_runs(session)
    empty = _curves([], None)
    return *empty, "", "", _choices([]), _runs_table([]), _downloads([])


def forget_session(session: dict) -> None:
    """Stop a visitor's run and delete every checkpoint folder their runs left on disk."""
    if not session:
        return
    session["closed"] = session["stop"] = True
    _drop_all_runs(session)
    if session.get("folder"):
        shutil.rmtree(session["folder"], ignore_errors=True)


def session_folder(request: gr.Request | None) -> Path:
    """Where a visitor's runs are written: a folder named from their session id by a salted hash (download
    links do not reveal the id), or a random one without a request."""
    key = getattr(request, "session_hash", None) or secrets.token_hex(8)
    return RUNS_ROOT / ("visitor-" + hashlib.sha256(f"{_FOLDER_SALT}:{key}".encode()).hexdigest()[:24])


def end_session(request: gr.Request) -> None:
    """When a visitor's page closes (Gradio: its heartbeat ended): delete every file their runs left. A run
    still going is cancelled by Gradio; a run picked later in Predict then says its files are gone."""
    shutil.rmtree(session_folder(request), ignore_errors=True)


def sweep_old_runs(max_age_s: float = RUN_FILES_TTL_S) -> None:
    """Delete visitor folders that got no new run for ``max_age_s``: API callers' runs, whose pages never close."""
    for folder in RUNS_ROOT.glob("visitor-*"):
        try:
            if time.time() - folder.stat().st_mtime > max_age_s:
                shutil.rmtree(folder, ignore_errors=True)
        except FileNotFoundError:
            pass


def _with_threads(events, threads: int):
    """Drive ``events`` with ``threads`` CPU threads for each step: Gradio resumes a generator on whichever
    worker thread is free, and torch's thread count belongs to the thread."""
    while True:
        torch.set_num_threads(threads)
        try:
            event = next(events)
        except StopIteration:
            return
        yield event


@functools.lru_cache(maxsize=4)
def _run_checkpoint(path: str) -> Predictor:
    """A trained run's checkpoint, loaded; the few last used stay loaded, whichever visitors they belong to."""
    return Predictor(load_checkpoint(path), "cpu", baseline=baseline_predictor())


def run_predictor(session: dict, name: str) -> Predictor:
    """The session's run called ``name``, loaded from its folder."""
    run = next((r for r in session.get("runs", []) if r["name"] == name), None)
    if (
        run is None
    ):  # the server restarted, or dropped this page's state (SESSION_CAPACITY): never answer with another model
        raise gr.Error(
            f"The server no longer knows {name} (it restarted, or dropped this page's state while busy): "
            f"reload the page and train it again, or pick the shipped model."
        )
    if not Path(run["checkpoint"]).is_dir():
        raise gr.Error(
            f"The files of {name} are gone (the page lost its connection to the server, or they were older than "
            f"{RUN_FILES_TTL_S // 3600} hours): train it again, or pick the shipped model."
        )
    return _run_checkpoint(run["checkpoint"])


# ---------------------------------------------------------------- Model tab


def _as_typed(command: str) -> str:
    """A recorded command as a user would type it: the local data folder becomes PATH."""
    return re.sub(r"--data \S+", "--data PATH", command)


def model_card() -> tuple[str, pd.DataFrame]:
    p = shipped_predictor()
    c: ModelConfig = p.model.config
    m = p.metrics
    direction = "bidirectional" if c.bidirectional else "unidirectional"
    pre, teacher = m.get("pretrained"), m.get("teachers")
    rows = [
        (
            "architecture",
            f"embedding {c.embed_dim} → {direction} {c.rnn_type.upper()} × {c.num_layers}, {c.hidden_dim} units per direction → {c.pooling} pooling → FC {c.fc_dim} → 1 logit",
        ),
        (
            "started from",
            f"an encoder pretrained as a forward and a backward language model on IMDb's training and unlabeled reviews "
            f"(held-out perplexity {pre['heldout_perplexity']:.0f})"
            if pre
            else f"the model `{Path(m['init']['path']).name}` ({m['init']['test_accuracy']:.2%} test), continued"
            if m.get("init")
            else "random weights",
        ),
        (
            "distillation",
            f"also learned from teachers' probabilities on {m.get('unlabeled_reviews', 0):,} unlabeled IMDb reviews: "
            + ", ".join(f"`{Path(t['path']).name}` ({t['test_accuracy']:.2%} test)" for t in teacher)
            if teacher
            else "none",
        ),
        (
            "adversarial training",
            f"embeddings pushed by {adversarial:g} (L2 per review) the way that raises the loss most, learned from too"
            if (adversarial := m.get("train_config", {}).get("adversarial"))
            else "none",
        ),
        ("parameters", f"{p.model.num_parameters():,}"),
        ("vocabulary", f"{len(p.vocab):,} tokens (`<pad>` = 0, `<unk>` = 1)"),
        (
            "trained on",
            f"{m.get('train_reviews', '?'):,} IMDb training reviews, {m.get('valid_reviews', '?'):,} held out for validation"
            if m.get("train_reviews")
            else "unknown",
        ),
        ("validation accuracy", f"{m['valid_accuracy']:.2%}" if "valid_accuracy" in m else "unknown"),
        ("test accuracy (25,000 reviews)", f"{m['test_accuracy']:.2%}" if "test_accuracy" in m else "unknown"),
        (
            "training time",
            f"{m['train_seconds'] / 60:.1f} min on {m.get('device', '?')}" if "train_seconds" in m else "unknown",
        ),
        ("training command", f"`{_as_typed(m['command'])}`" if "command" in m else "unknown"),
        ("longest review read", f"{p.max_tokens:,} tokens (longer ones are cut)"),
    ]
    text = "| the loaded model | |\n|---|---|\n" + "\n".join(f"| {k} | {v} |" for k, v in rows)
    text += (
        "\n\n**Known limits.** Trained on movie reviews only: other domains (products, tweets), very short texts, "
        "sarcasm and irony, and reviews that weigh pros against cons are where it errs most; scores of very short texts "
        "are overconfident (the model card lists measured examples). It reads English words; "
        "other scripts become `<unk>`. The word highlights are integrated gradients: a local explanation of this model, "
        "not proof of what a word means."
    )
    history = m.get("history", [])
    curves = pd.DataFrame(
        [(h["epoch"], h["train_accuracy"], "training") for h in history if h["train_accuracy"] is not None]
        + [(h["epoch"], h["valid_accuracy"], "validation") for h in history],
        columns=["epoch", "accuracy", "series"],
    )
    return text, curves


# ---------------------------------------------------------------- UI


def build_demo() -> gr.Blocks:
    gr.set_static_paths(
        [RUNS_ROOT]
    )  # run checkpoints are offered for download from where they are, not copied to Gradio's cache
    with gr.Blocks(title="IMDb sentiment · BiLSTM") as demo:
        # this visitor's runs. Their files go when the page closes (end_session, below); Gradio calls the delete
        # callback only for state an event has returned, which this never is, so forget_session is a backstop.
        session = gr.State({}, delete_callback=forget_session)
        gr.Markdown(
            "# IMDb sentiment with a bidirectional LSTM\nType a movie review, see what the model reads and which words moved it, or train your own in a minute."
        )
        with gr.Tab("Predict"):
            with gr.Row():
                with gr.Column(scale=3):
                    review = gr.Textbox(label="Review", lines=6, placeholder="Type or paste a movie review…")
                    with gr.Row():
                        model_choice = gr.Radio(
                            [SHIPPED], value=SHIPPED, label="Model (your Train tab runs appear here)", scale=3
                        )
                        analyze_btn = gr.Button("Analyze", variant="primary", scale=1)
                    gr.Examples(EXAMPLES, inputs=review, label="Try an example")
                    gr.Examples(
                        [t for t, _, _ in DISAGREEMENTS],
                        inputs=review,
                        label="Real IMDb test reviews where the BiLSTM and the order-blind baseline disagree",
                        example_labels=[_disagreement_label(*d) for d in DISAGREEMENTS],
                    )
                with gr.Column(scale=2):
                    label = gr.Label(label="Prediction", num_top_classes=2)
                    probability = gr.Number(label="Probability of positive", precision=4)
                    compare = gr.Markdown()
            gr.Markdown(
                "### Why\nEach word is coloured by how much it pushed the prediction: green toward **positive**, "
                "red toward **negative**, darker for a stronger push, uncoloured for little effect (the legend names each colour). "
                "Method: integrated gradients over the word embeddings; the pushes add up to how far the model's score (its logit) "
                "is from that of the same review with every word unknown. "
                "The **push** column of the token table gives the numbers."
            )
            highlights = gr.HighlightedText(
                label="Words that pushed the decision", color_map=COLORS, show_legend=True, combine_adjacent=False
            )
            gr.Markdown(
                "### While it reads\nThe probability of **positive** after the model has read only the first words, for every "
                "length: the model applied to each beginning of the review, the last point being its verdict on the whole. "
                "Hover a point to see the word. Where the line jumps, that word changed the model's mind."
            )
            trajectory = gr.LinePlot(
                x="word",
                y="positive",
                tooltip=["word", "token", "positive"],
                y_lim=[0, 1],
                x_title="words read",
                y_title="probability of positive",
                title="Running verdict",
                height=260,
            )
            trajectory_note = gr.Markdown()
            counts = gr.Markdown()
            tokens = gr.Dataframe(
                label="Tokens and vocabulary ids",
                headers=["#", "token", "id", "unknown", "push"],
                interactive=False,
                max_height=320,
            )
            outputs = [label, probability, tokens, counts, highlights, compare, trajectory, trajectory_note]
            analyze_btn.click(analyze, [review, model_choice, session], outputs, api_visibility="private")
            review.submit(analyze, [review, model_choice, session], outputs, api_visibility="private")
        with gr.Tab("Train"):
            has_pretrained = (Path(PRETRAINED_PATH) / "config.json").is_file()
            gr.Markdown(
                f"Train a model on IMDb reviews, live, with the same training loop as `train.py`, and compare your runs. "
                f"{TYPICAL_RUN}" + (f" {PRETRAINED_NOTE}" if has_pretrained else "")
            )
            with gr.Row():
                with gr.Column(scale=4):
                    start = gr.Radio(
                        [FROM_SCRATCH, FROM_PRETRAINED], value=FROM_SCRATCH, label="Start from", visible=has_pretrained
                    )
                    with gr.Row():
                        epochs = gr.Slider(*LIMITS["epochs"], value=DEFAULTS["epochs"], step=1, label="Epochs")
                        reviews = gr.Slider(
                            *LIMITS["reviews"], value=DEFAULTS["reviews"], step=100, label="Training reviews"
                        )
                        batch_size = gr.Slider(
                            *LIMITS["batch_size"], value=DEFAULTS["batch_size"], step=8, label="Batch size"
                        )
                        lr = gr.Number(
                            value=DEFAULTS["lr"],
                            label="Learning rate",
                            minimum=LIMITS["lr"][0],
                            maximum=LIMITS["lr"][1],
                        )
                    with gr.Row():
                        rnn_type = gr.Dropdown(list(RNN_TYPES), value="lstm", label="Recurrent type")
                        bidirectional = gr.Checkbox(value=True, label="Bidirectional")
                        embed_dim = gr.Slider(
                            *LIMITS["embed_dim"], value=DEFAULTS["embed_dim"], step=8, label="Embedding size"
                        )
                        hidden_dim = gr.Slider(
                            *LIMITS["hidden_dim"], value=DEFAULTS["hidden_dim"], step=8, label="Hidden size"
                        )
                with gr.Column(scale=1, min_width=220):
                    gr.Markdown(limits_text())
            with gr.Row():
                train_btn = gr.Button("Train", variant="primary")
                stop_btn = gr.Button("Stop", variant="stop")
                clear_btn = gr.Button("Clear runs")
            with gr.Row():
                acc_plot = gr.LinePlot(
                    x="epoch", y="accuracy", color="series", title="Accuracy", y_lim=[0.4, 1.0], height=300
                )
                loss_plot = gr.LinePlot(x="epoch", y="loss", color="series", title="Loss", height=300)
            summary = gr.Markdown()
            runs_table = gr.Dataframe(headers=RUN_COLUMNS, label="Your runs (the last 5 are kept)", interactive=False)
            downloads = gr.File(
                label="Checkpoints of your runs (.zip)", file_count="multiple", visible=False, interactive=False
            )
            train_log = gr.Textbox(label="Log", lines=4, interactive=False)
            settings = [epochs, reviews, rnn_type, bidirectional, embed_dim, hidden_dim, lr, batch_size, start]
            run_outputs = [acc_plot, loss_plot, train_log, summary, model_choice, runs_table, downloads]
            start.change(
                encoder_controls,
                start,
                [rnn_type, bidirectional, embed_dim, hidden_dim],
                queue=False,
                api_visibility="private",
            )
            train_btn.click(
                train_model,
                [*settings, session],
                run_outputs,
                api_name="train",
                concurrency_limit=1,
                concurrency_id="train",
            )
            stop_btn.click(stop_training, session, None, queue=False, api_name="stop")
            clear_btn.click(clear_runs, session, run_outputs, queue=False, api_name="clear_runs")
        with gr.Tab("Model"):
            card = gr.Markdown()
            history_plot = gr.LinePlot(
                x="epoch", y="accuracy", color="series", title="Training curves of the loaded model", height=280
            )
        demo.load(model_card, None, [card, history_plot], api_visibility="private")
        demo.unload(end_session)
        gr.api(predict, api_name="predict")
    return demo


demo = build_demo()


def configure_queue(blocks: gr.Blocks) -> gr.Blocks:
    """Up to 4 events at once (training is limited to 1 on its own), at most 64 waiting."""
    return blocks.queue(default_concurrency_limit=4, max_size=64)


def limit_memory_arenas(arenas: int = 2) -> None:
    """Gradio runs handlers on many worker threads; glibc gives each busy thread its own memory arena and
    seldom hands them back, so a long-running server's resident memory creeps up. Two arenas keep it flat
    (bench/soak.py: +113 MB after 3 training visitors with the default, +30 MB with two). No-op off glibc."""
    try:
        ctypes.CDLL("libc.so.6").mallopt(-8, arenas)  # M_ARENA_MAX
    except (OSError, AttributeError):
        pass


GRADIO_PATCHED = "6.31.0"  # the Gradio whose SessionState defer_session_configs was written against


def defer_session_configs() -> None:
    """Gradio (6.31) copies every component's page config into each new session: for this app's 64 blocks,
    6 ms of CPU and 110 KB. Every plain-HTTP API call is a new session, so the copy was a third of the
    server's CPU per label-only /predict. Gradio already builds a missing config when an event touches its
    component (a /predict call touches 3); only deep links read them all. So a session starts with none,
    and a deep link fills in the rest first: the same configs; 0.01 ms and 3 KB for a
    new session (tests/test_serving.py checks, bench/app_speed.py measures the calls/s). Another Gradio
    version is left as it is. ``SessionState._gradio_init`` keeps Gradio's own, for the test."""
    from gradio.state_holder import SessionState

    if gr.__version__ != GRADIO_PATCHED:
        print(
            f"Gradio {gr.__version__}, not {GRADIO_PATCHED}: each session copies every component config, as Gradio does",
            file=sys.stderr,
        )
        return
    if hasattr(SessionState, "_gradio_init"):
        return
    gradio_init, gradio_components = SessionState.__init__, SessionState.components

    def __init__(self, blocks):
        gradio_init(self, SimpleNamespace(default_config=blocks.default_config, blocks={}))  # every field, no configs
        self._blocks = blocks

    def components(self):
        for k, v in self.blocks_config.blocks.items():
            if (
                k in self._blocks.blocks and k not in self.config_values
            ):  # setdefault: an event's update made meanwhile wins
                self.config_values.setdefault(k, self.blocks_config.config_for_block(k, [], v))
        return gradio_components.fget(self)

    SessionState._gradio_init, SessionState.__init__, SessionState.components = (
        gradio_init,
        __init__,
        property(components),
    )


def main() -> int:
    limit_memory_arenas()
    defer_session_configs()
    try:
        predictor = shipped_predictor()
    except CheckpointError as e:
        print(f"Cannot start: {e}", file=sys.stderr)
        return 1
    print(f"Loaded {predictor.path} on {predictor.device}")
    configure_queue(demo)
    signal.signal(signal.SIGTERM, _terminate)
    try:
        demo.launch(
            server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
            show_error=True,
            state_session_capacity=SESSION_CAPACITY,
            ssr_mode=False,
        )  # server-side rendering would need Node and install its own SIGTERM handler over ours
    finally:  # Ctrl+C
        shutil.rmtree(RUNS_ROOT, ignore_errors=True)  # every run file this server wrote
    return 0


def _terminate(signum, frame) -> None:
    """SIGTERM (a platform stopping or restarting the app): delete this server's run files and exit at once.
    A training run still going ends with the process; it never writes the shipped checkpoint, so nothing
    on disk is left half done. (Closing the server gracefully instead took over 5 s with a run going.)"""
    shutil.rmtree(RUNS_ROOT, ignore_errors=True)
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
