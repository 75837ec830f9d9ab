"""IMDb sentiment demo: a bidirectional LSTM you can query, look inside and retrain in the browser.

    python app.py            # serves http://127.0.0.1:7860 (GRADIO_SERVER_NAME / GRADIO_SERVER_PORT)
    MODEL_PATH=org/repo python app.py

Importing this module builds the UI (``demo``) and nothing else: the model is loaded on first
use, and ``main()`` loads it before launching so a broken checkpoint stops start-up with a
clear message. Everything about the model lives in the ``sentiment`` package; this file holds
the UI and thin adapters.
"""

from __future__ import annotations

import functools
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import gradio as gr
import pandas as pd
import torch

from sentiment import (
    Checkpoint, CheckpointError, DataUnavailableError, ModelConfig, Prediction, Predictor, SentimentRNN, TrainConfig,
    load_imdb, load_predictor, save_checkpoint,
)  # fmt: skip
from sentiment.model import RNN_TYPES
from sentiment.text import UNK_ID
from sentiment.training import Done, Step, Validation, fit, prepare

ROOT = Path(__file__).resolve().parent
MODEL_PATH = os.environ.get("MODEL_PATH", str(ROOT / "checkpoints" / "bilstm-imdb"))
SHIPPED, TRAINED = "shipped model", "model trained here"

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

EXAMPLES = [
    "What a wonderful surprise. The two leads have real chemistry, the script is sharp and funny, "
    "and the last twenty minutes had the whole audience cheering. I will happily watch it again.",
    "A tedious, badly acted mess. The plot makes no sense, the jokes fall flat and I checked my watch "
    "every ten minutes. Save your money and skip this one.",
    "The photography is gorgeous and the score is lovely, but the story drags badly in the middle "
    "and the ending felt rushed. Worth seeing once, I suppose.",
    "I expected a cheap cash-in, but honestly it was not bad at all. Not a masterpiece, yet I was never bored.",
    "Oh great, another two hours of my life I will never get back. Truly a triumph of cinema, if you enjoy staring at walls.",
]


@functools.cache
def shipped_predictor() -> Predictor:
    """The shipped (or MODEL_PATH) model, loaded once per process."""
    return load_predictor(MODEL_PATH)


@functools.cache
def imdb_train():
    """The IMDb training reviews, read once per process (Hub, or IMDB_DATA)."""
    return load_imdb()["train"]


# ---------------------------------------------------------------- Predict tab


def _buckets(attributions: list[float]) -> list[str | None]:
    scale = max((abs(a) for a in attributions), default=0.0) or 1.0
    out = []
    for a in attributions:
        r = a / scale
        out.append("strongly positive" if r > 0.5 else "positive" if r > 0.15 else "strongly negative" if r < -0.5 else "negative" if r < -0.15 else None)
    return out


COLORS = {"strongly positive": "#16a34a", "positive": "#86efac", "negative": "#fca5a5", "strongly negative": "#dc2626"}


def _run_predict(text: str, predictor: Predictor) -> Prediction:
    if not isinstance(text, str) or not text.strip():
        raise gr.Error("Please enter a review first: the text box is empty.")
    try:
        return predictor.predict(text, explain=True)
    except ValueError as e:
        raise gr.Error(str(e)) from None


def analyze(text: str, model_choice: str, session: dict):
    """Predict tab: label, probability, token table, counts and highlighted words."""
    predictor = (session.get("predictor") if model_choice == TRAINED else None) or shipped_predictor()
    p = _run_predict(text, predictor)
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
    return {"positive": p.probability, "negative": 1 - p.probability}, round(p.probability, 4), table, counts, highlighted


def predict(text: str) -> dict:
    """Score one review with the shipped model.

    Returns label ("positive"/"negative"), probability (of positive), tokens, ids (same length),
    attributions (per token: + pushed toward positive, - toward negative), unknown (count of
    <unk> tokens) and truncated (the review was cut to the maximum length).
    """
    return _run_predict(text, shipped_predictor()).to_dict()


# ---------------------------------------------------------------- Train tab


def check_settings(epochs, reviews, rnn_type, bidirectional, embed_dim, hidden_dim, lr, batch_size) -> dict:
    """Validate Train tab settings (from the UI or the API) before any work starts."""
    values = {"epochs": epochs, "reviews": reviews, "embed_dim": embed_dim, "hidden_dim": hidden_dim, "batch_size": batch_size, "lr": lr}
    clean = {}
    for name, value in values.items():
        low, high = LIMITS[name]
        kind = float if name == "lr" else int
        try:
            number = kind(value)
            if isinstance(value, bool) or number != float(value):
                raise ValueError
        except (TypeError, ValueError, OverflowError):
            raise gr.Error(f"{name} must be a {'number' if kind is float else 'whole number'}, not {value!r}.") from None
        if not low <= number <= high:
            raise gr.Error(f"{name} must be between {low:g} and {high:g}; got {value!r}.")
        clean[name] = number
    if rnn_type not in RNN_TYPES:
        raise gr.Error(f"recurrent type must be one of {', '.join(RNN_TYPES)}; got {rnn_type!r}.")
    if not isinstance(bidirectional, bool):
        raise gr.Error(f"bidirectional must be true or false; got {bidirectional!r}.")
    return clean | {"rnn_type": rnn_type, "bidirectional": bidirectional}


def _curves(history: list[dict], steps: list[tuple]) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = [(s, acc, loss, "training") for s, acc, loss in steps]
    rows += [(h["epoch"], h["valid_accuracy"], h["valid_loss"], "validation") for h in history]
    df = pd.DataFrame(rows, columns=["epoch", "accuracy", "loss", "series"]).astype({"epoch": float, "accuracy": float, "loss": float, "series": str})
    return df[["epoch", "accuracy", "series"]], df[["epoch", "loss", "series"]]


def train_model(epochs, reviews, rnn_type, bidirectional, embed_dim, hidden_dim, lr, batch_size, session: dict, progress=gr.Progress()):
    """Train tab: a short live run; yields (accuracy plot, loss plot, log, summary, model choice, download)."""
    s = check_settings(epochs, reviews, rnn_type, bidirectional, embed_dim, hidden_dim, lr, batch_size)
    session["stop"] = False
    progress(0, desc="Loading IMDb reviews")
    try:
        train_split = imdb_train()
    except DataUnavailableError as e:
        raise gr.Error(str(e).replace("\n", " ")) from None
    cfg = TrainConfig(
        epochs=s["epochs"], batch_size=s["batch_size"], lr=s["lr"], train_limit=s["reviews"],
        valid_limit=VALID_REVIEWS, evals_per_epoch=CHECKS_PER_EPOCH, max_tokens=TRAIN_TOKENS, min_freq=2,
    )  # fmt: skip
    data = prepare(train_split, cfg)
    model_cfg = ModelConfig(
        vocab_size=len(data.vocab), embed_dim=s["embed_dim"], hidden_dim=s["hidden_dim"], fc_dim=64,
        rnn_type=s["rnn_type"], bidirectional=s["bidirectional"], pooling="max", dropout=0.2,
    )  # fmt: skip
    torch.manual_seed(cfg.seed)
    model = SentimentRNN(model_cfg)
    log, steps, history = [], [], []
    log.append(f"{len(data.train):,} training reviews, {len(data.valid):,} validation reviews, vocabulary {len(data.vocab):,}, {model.num_parameters():,} parameters")
    no_change = gr.update()
    yield no_change, no_change, "\n".join(log), no_change, no_change, no_change
    every = max(1, -(-len(data.train) // cfg.batch_size) // (2 * CHECKS_PER_EPOCH))
    last_yield = time.monotonic()
    for event in fit(model, data, cfg, should_stop=lambda: session.get("stop", False)):
        if isinstance(event, Step):
            progress((event.step, event.total_steps), desc=f"epoch {event.epoch}/{cfg.epochs}", unit="steps")
            if event.step % every == 0:
                steps.append((event.step / (event.total_steps / cfg.epochs), event.accuracy, event.loss))
            if time.monotonic() - last_yield > 1.0:  # hand control back each second, so a cancelled run ends promptly
                last_yield = time.monotonic()
                yield (*_curves(history, steps), *[no_change] * 4) if steps else (no_change,) * 6
        elif isinstance(event, Validation):
            history.append(vars(event))
            if event.end_of_epoch:
                log.append(f"epoch {round(event.epoch)}: train loss {event.train_loss:.3f} acc {event.train_accuracy:.3f}, "
                           f"validation loss {event.valid_loss:.3f} acc {event.valid_accuracy:.3f}, {event.seconds:.1f}s")  # fmt: skip
            yield *_curves(history, steps), "\n".join(log), no_change, no_change, no_change
        elif isinstance(event, Done):
            done = event
    if done.stopped:
        log.append(f"stopped after {done.history[-1]['epoch']:.2f} epochs; keeping the best weights so far")
    forget_session(session)  # keep only this session's latest model on disk
    session["folder"] = tempfile.mkdtemp(prefix="sentiment-trained-")
    folder = Path(session["folder"]) / "bilstm-imdb-trained"
    metrics = {"valid_accuracy": done.best_valid_accuracy, "train_reviews": len(data.train), "valid_reviews": len(data.valid),
               "train_seconds": round(done.seconds, 1), "history": done.history, "trained_in": "app Train tab"}  # fmt: skip
    save_checkpoint(folder, model, data.vocab, metrics)
    archive = shutil.make_archive(str(folder), "zip", folder.parent, folder.name)
    session["predictor"] = Predictor(Checkpoint(model, data.vocab, metrics, str(folder)), "cpu")
    summary = (
        f"**Validation accuracy {done.best_valid_accuracy:.1%}** (best check, epoch {done.best_epoch:.2f}) on {len(data.valid):,} held-out reviews · "
        f"{done.seconds:.1f} s · {done.reviews_per_second:,.0f} reviews/s. "
        f"Pick **{TRAINED}** in the Predict tab to try it, or download its checkpoint folder."
    )
    yield (*_curves(history, steps), "\n".join(log), summary,
           gr.update(choices=[SHIPPED, TRAINED], value=TRAINED), gr.update(value=archive, visible=True))  # fmt: skip


def stop_training(session: dict) -> None:
    session["stop"] = True


def forget_session(session: dict) -> None:
    """When a visitor leaves, delete the checkpoint folder their run left on disk."""
    if session and session.get("folder"):
        shutil.rmtree(session["folder"], ignore_errors=True)


# ---------------------------------------------------------------- Model tab


def _ngram_row(p: Predictor) -> str:
    c, (w_rnn, w_ngram, bias) = p.model.config, p.model.branch_mix.tolist()
    phrases = {1: "words", 2: "words and 2-word phrases", 3: "words and 2- and 3-word phrases"}[c.ngram_n]
    text = (f"{phrases} hashed into {c.ngram_buckets:,} buckets, a linear (logistic) branch; "
            f"score = {w_rnn:.2f} × {c.rnn_type.upper()} logit + {w_ngram:.2f} × n-gram logit {'+' if bias >= 0 else '−'} {abs(bias):.2f}")  # fmt: skip
    alone = p.metrics.get("branches", {}).get("test")
    if alone:
        text += f" (test accuracy of each alone: {c.rnn_type.upper()} {alone[c.rnn_type]:.2%}, n-grams {alone['ngram']:.2%})"
    return text


def model_card() -> tuple[str, pd.DataFrame]:
    p = shipped_predictor()
    c: ModelConfig = p.model.config
    m = p.metrics
    direction = "bidirectional" if c.bidirectional else "unidirectional"
    rows = [
        ("architecture", f"embedding {c.embed_dim} → {direction} {c.rnn_type.upper()} × {c.num_layers}, {c.hidden_dim} units per direction → {c.pooling} pooling → FC {c.fc_dim} → 1 logit"),
        ("bag of n-grams beside it", _ngram_row(p) if c.ngram_buckets else "off"),
        ("parameters", f"{p.model.num_parameters():,}"),
        ("vocabulary", f"{len(p.vocab):,} tokens (`<pad>` = 0, `<unk>` = 1)"),
        ("trained on", f"{m.get('train_reviews', '?'):,} IMDb training reviews, {m.get('valid_reviews', '?'):,} held out for validation" if m.get("train_reviews") else "unknown"),
        ("validation accuracy", f"{m['valid_accuracy']:.2%}" if "valid_accuracy" in m else "unknown"),
        ("test accuracy (25,000 reviews)", f"{m['test_accuracy']:.2%}" if "test_accuracy" in m else "unknown"),
        ("training time", f"{m['train_seconds'] / 60:.1f} min on {m.get('device', '?')}" if "train_seconds" in m else "unknown"),
        ("training command", f"`{m['command']}`" if "command" in m else "unknown"),
        ("longest review read", f"{p.max_tokens:,} tokens (longer ones are cut)"),
    ]
    text = "| the loaded model | |\n|---|---|\n" + "\n".join(f"| {k} | {v} |" for k, v in rows)
    text += (
        "\n\n**Known limits.** Trained on movie reviews only: other domains (products, tweets), very short texts, "
        "sarcasm and irony, negated negatives (it reads *not bad at all* as negative) and reviews that weigh pros "
        "against cons are where it errs most; scores of very short texts are overconfident. It reads English words; "
        "other scripts become `<unk>`. The word highlights are integrated gradients: a local explanation of this model, "
        "not proof of what a word means."
    )
    history = m.get("history", [])
    curves = pd.DataFrame(
        [(h["epoch"], h["train_accuracy"], "training") for h in history] + [(h["epoch"], h["valid_accuracy"], "validation") for h in history],
        columns=["epoch", "accuracy", "series"],
    )
    return text, curves


# ---------------------------------------------------------------- UI


def build_demo() -> gr.Blocks:
    with gr.Blocks(title="IMDb sentiment · BiLSTM") as demo:
        session = gr.State({}, delete_callback=forget_session)
        gr.Markdown("# IMDb sentiment with a bidirectional LSTM\nType a movie review, see what the model reads and which words moved it, or train your own in a minute.")
        with gr.Tab("Predict"):
            with gr.Row():
                with gr.Column(scale=3):
                    review = gr.Textbox(label="Review", lines=6, placeholder="Type or paste a movie review…")
                    with gr.Row():
                        model_choice = gr.Radio([SHIPPED], value=SHIPPED, label="Model", scale=3)
                        analyze_btn = gr.Button("Analyze", variant="primary", scale=1)
                    gr.Examples(EXAMPLES, inputs=review, label="Try an example")
                with gr.Column(scale=2):
                    label = gr.Label(label="Prediction", num_top_classes=2)
                    probability = gr.Number(label="Probability of positive", precision=4)
            gr.Markdown(
                "### Why\nEach word is coloured by how much it pushed the prediction: green toward **positive**, "
                "red toward **negative**, darker for a stronger push, uncoloured for little effect (the legend names each colour). "
                "Method: integrated gradients over the word embeddings; the pushes add up to how far the model's score (its logit) "
                "is from that of the same review with every word unknown. "
                "The **push** column of the token table gives the numbers."
            )
            highlights = gr.HighlightedText(label="Words that pushed the decision", color_map=COLORS, show_legend=True, combine_adjacent=False)
            counts = gr.Markdown()
            tokens = gr.Dataframe(label="Tokens and vocabulary ids", headers=["#", "token", "id", "unknown", "push"], interactive=False, max_height=320)
            outputs = [label, probability, tokens, counts, highlights]
            analyze_btn.click(analyze, [review, model_choice, session], outputs, api_visibility="private")
            review.submit(analyze, [review, model_choice, session], outputs, api_visibility="private")
        with gr.Tab("Train"):
            gr.Markdown(
                f"Train a small model on IMDb reviews, live, with the same training loop as `train.py`. Training reviews are cut "
                f"to their first {TRAIN_TOKENS} tokens here, for speed. One run at a time on this server; others wait in the queue."
            )
            with gr.Row():
                epochs = gr.Slider(*LIMITS["epochs"], value=1, step=1, label="Epochs")
                reviews = gr.Slider(*LIMITS["reviews"], value=2000, step=100, label="Training reviews")
                batch_size = gr.Slider(*LIMITS["batch_size"], value=32, step=8, label="Batch size")
                lr = gr.Number(value=3e-3, label="Learning rate", minimum=LIMITS["lr"][0], maximum=LIMITS["lr"][1])
            with gr.Row():
                rnn_type = gr.Dropdown(list(RNN_TYPES), value="lstm", label="Recurrent type")
                bidirectional = gr.Checkbox(value=True, label="Bidirectional")
                embed_dim = gr.Slider(*LIMITS["embed_dim"], value=32, step=8, label="Embedding size")
                hidden_dim = gr.Slider(*LIMITS["hidden_dim"], value=32, step=8, label="Hidden size")
            with gr.Row():
                train_btn = gr.Button("Train", variant="primary")
                stop_btn = gr.Button("Stop", variant="stop")
            with gr.Row():
                acc_plot = gr.LinePlot(x="epoch", y="accuracy", color="series", title="Accuracy", y_lim=[0.4, 1.0], height=280)
                loss_plot = gr.LinePlot(x="epoch", y="loss", color="series", title="Loss", height=280)
            train_log = gr.Textbox(label="Log", lines=4, interactive=False)
            summary = gr.Markdown()
            download = gr.DownloadButton("Download the trained checkpoint (.zip)", visible=False)
            settings = [epochs, reviews, rnn_type, bidirectional, embed_dim, hidden_dim, lr, batch_size]
            train_btn.click(
                train_model, [*settings, session], [acc_plot, loss_plot, train_log, summary, model_choice, download],
                api_name="train", concurrency_limit=1, concurrency_id="train",
            )  # fmt: skip
            stop_btn.click(stop_training, session, None, queue=False, api_name="stop")
        with gr.Tab("Model"):
            card = gr.Markdown()
            history_plot = gr.LinePlot(x="epoch", y="accuracy", color="series", title="Training curves of the loaded model", height=280)
        demo.load(model_card, None, [card, history_plot], api_visibility="private")
        gr.api(predict, api_name="predict")
    return demo


demo = build_demo()


def configure_queue(blocks: gr.Blocks) -> gr.Blocks:
    """Up to 4 events at once (training is limited to 1 on its own), at most 64 waiting."""
    return blocks.queue(default_concurrency_limit=4, max_size=64)


def main() -> int:
    try:
        predictor = shipped_predictor()
    except CheckpointError as e:
        print(f"Cannot start: {e}", file=sys.stderr)
        return 1
    print(f"Loaded {predictor.path} on {predictor.device}")
    configure_queue(demo)
    demo.launch(server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"), show_error=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
