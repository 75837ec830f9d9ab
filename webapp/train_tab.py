"""The Train tab: a short live run of the same training loop as ``train.py``, and the runs compared."""

from __future__ import annotations

import json
import time

import gradio as gr
import pandas as pd
import torch

from sentiment import DataUnavailableError, ModelConfig, TrainConfig, save_checkpoint
from sentiment.metrics import Metrics
from sentiment.model import RNN_TYPES
from sentiment.recipe import build_classifier
from sentiment.training import Done, Step, Validation, fit, prepare

from . import models, settings
from .runs import Run, Visitor, checkpoint_name
from .settings import CHECKS_PER_EPOCH, DEFAULTS, FROM_PRETRAINED, FROM_SCRATCH, LIMITS, SHIPPED

IDLE = "Press **Train** to start a run: its progress shows on this line, the curves below fill in as it learns."
RUN_COLUMNS = ["run", "settings", "best validation", "time", "reviews/s", "ended"]
PALETTE = [  # (training, validation) colours of one run
    ("#93c5fd", "#1d4ed8"),
    ("#fdba74", "#c2410c"),
    ("#86efac", "#15803d"),
    ("#d8b4fe", "#7e22ce"),
    ("#fca5a5", "#b91c1c"),
    ("#a5f3fc", "#0e7490"),
]
HEAD = dict(fc_dim=64, dropout=0.2)  # the classifier head of a Train tab run; pooling: max, or maxmean when pretrained


def typical_run(settings_are: str = "below") -> str:
    """What default runs reached, from TYPICAL_RUN_FILE (written by bench/train_tab.py); empty without it.
    ``settings_are`` says where the reader finds the settings: "below" (the tab) or "the tab's defaults"."""
    try:
        t = json.loads(settings.TYPICAL_RUN_FILE.read_text(encoding="utf-8"))
        if t["settings"] != DEFAULTS:
            return ""
        first, reached, best, run_s = t["first_point_s"], t["reached_80_s"], t["best_valid_accuracy"], t["run_s"]
        passed = (
            f"passed 80% validation accuracy after {reached['median']:.0f} s ({reached['min']:.0f}–{reached['max']:.0f})"
            if reached
            else "did not always pass 80% validation accuracy"
        )
        return (
            f"With {'the settings below' if settings_are == 'below' else settings_are} "
            f"(a BiLSTM of {DEFAULTS['hidden_dim']} units from random weights, "
            f"{DEFAULTS['reviews']:,} reviews, {DEFAULTS['epochs']} epochs), {t['runs']} runs on {t['cpu_cores']} CPU "
            f"cores ({t['date']}) drew their first point after {first['median']:.1f} s, {passed} and reached a best of "
            + (
                f"{best['median']:.1%} in every run"
                if best["min"] == best["max"]
                else f"{best['median']:.1%} ({best['min']:.1%}–{best['max']:.1%})"
            )
            + f" in {run_s['median']:.0f} s ({run_s['min']:.0f}–{run_s['max']:.0f}); medians, ranges in brackets."
        )
    except (OSError, ValueError, KeyError, TypeError):
        return ""


PRETRAINED_NOTE = (
    "**Start from: pretrained BiLSTM** fine-tunes the encoder pretrained as a language model on 70,000 reviews "
    "(its embedding and hidden sizes fixed by it): a model four times as wide as the default, so its runs are slower "
    "(bench/README.md has measured runs; at equal size, random weights learned faster: see the model card)."
)


def limits_text() -> str:
    s = settings.SETTINGS
    return (
        f"**Limits on this server**\n\n- {LIMITS['epochs'][1]} epochs, {LIMITS['reviews'][1]:,} reviews at most\n"
        f"- each run stops itself after **{s.budget_s:g} s** and keeps its best weights\n"
        f"- reviews cut to {settings.TRAIN_TOKENS} tokens; validation on {settings.VALID_REVIEWS:,} held-out reviews\n"
        f"- one run at a time: others wait in the queue, their place shown on the plots\n"
        f"- your last {settings.MAX_RUNS} runs are kept until you leave "
        f"(or for {settings.RUN_FILES_TTL_S // 3600} hours after your last run)"
    )


def check_settings(
    epochs, reviews, rnn_type, bidirectional, embed_dim, hidden_dim, lr, batch_size, start=FROM_SCRATCH
) -> dict:
    """Validate Train tab settings (from the UI or the API) before any work starts."""
    values = dict(
        epochs=epochs, reviews=reviews, embed_dim=embed_dim, hidden_dim=hidden_dim, batch_size=batch_size, lr=lr
    )
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
        if models.pretrained_encoder() is None:
            raise gr.Error(
                f"No pretrained encoder on this server ({settings.SETTINGS.pretrained_path} is missing): "
                "start from random weights."
            )
        if rnn_type != "lstm" or not bidirectional:
            raise gr.Error(
                "The pretrained encoder is a bidirectional LSTM: pick lstm and bidirectional to start from it."
            )
    return clean | {"rnn_type": rnn_type, "bidirectional": bidirectional, "start": start}


def run_name(number: int, s: dict) -> str:
    """What tells this run apart on the plots and in the table, e.g. "#2 BiLSTM 128 · pretrained"."""
    c = models.pretrained_encoder().model_config if s["start"] == FROM_PRETRAINED else None
    hidden = c.hidden_dim if c else s["hidden_dim"]
    name = f"#{number} {'Bi' if s['bidirectional'] else ''}{s['rnn_type'].upper()} {hidden}"
    return name + (" · pretrained" if c else "")


def series_names(run: Run) -> tuple[str, str]:
    """The legend's names of a run's two curves: short ("#2 training"), so five runs fit beside the plot."""
    number = run.name.split(" ", 1)[0]
    return f"{number} training", f"{number} validation"


def curves(runs: list[Run], current: Run | None) -> tuple[gr.LinePlot, gr.LinePlot]:
    """Accuracy and loss plots of every kept run and the current one, one colour per run and curve.

    The chart builds its colour scale from the series present when it is first drawn and only
    swaps the data afterwards, so the colour map (which names every series) is sent with each
    update: a new series changes it and makes the chart redraw with that series in its scale.
    """
    rows, colors = [], {}
    for i, run in enumerate([*runs, *([current] if current else [])]):
        train_series, valid_series = series_names(run)
        rows += [(e, acc, loss, train_series) for e, acc, loss in run.steps]
        rows += [(h["epoch"], h["valid_accuracy"], h["valid_loss"], valid_series) for h in run.history]
        colors |= {train_series: PALETTE[i % len(PALETTE)][0], valid_series: PALETTE[i % len(PALETTE)][1]}
    df = pd.DataFrame(rows, columns=["epoch", "accuracy", "loss", "series"])
    df = df.astype({"epoch": float, "accuracy": float, "loss": float, "series": str})
    if df.empty:  # no data: the page shows empty plots, without the previous runs' legend and axes
        return gr.LinePlot(value=None, color_map=None), gr.LinePlot(value=None, color_map=None)
    drawn = set(df["series"])
    colors = {name: color for name, color in colors.items() if name in drawn}
    return (
        gr.LinePlot(value=df[["epoch", "accuracy", "series"]], color_map=colors),
        gr.LinePlot(value=df[["epoch", "loss", "series"]], color_map=colors),
    )


def runs_table(runs: list[Run]) -> pd.DataFrame:
    rows = [(r.name, r.settings, f"{r.best:.1%}", f"{r.seconds:.0f} s", f"{r.speed:,.0f}", r.ended) for r in runs]
    return pd.DataFrame(rows, columns=RUN_COLUMNS)


def checkpoint_card(run: Run, s: dict, metrics: Metrics, parameters: int) -> str:
    """The README.md of a Train-tab run's checkpoint: what it is, its settings and data, its accuracy, how to load it."""
    start = "the pretrained BiLSTM encoder (fine-tuned)" if s["start"] == FROM_PRETRAINED else "random weights"
    return (
        f"# {run.name}: an IMDb sentiment classifier trained in the demo's Train tab\n\n"
        f"A {'bidirectional ' if s['bidirectional'] else ''}{s['rnn_type'].upper()} classifier "
        f"({parameters:,} parameters) that says whether a movie review is positive or negative. A short run on a "
        "demo server: the shipped model of this project is far better trained.\n\n"
        f"- started from: {start}\n"
        f"- settings: {s['epochs']} epochs, batch {s['batch_size']}, learning rate {s['lr']:g}, "
        f"embedding {s['embed_dim']}, hidden {s['hidden_dim']} (a pretrained start takes the encoder's sizes)\n"
        f"- data: {metrics.train_reviews:,} IMDb training reviews (cut to {settings.TRAIN_TOKENS} tokens), "
        f"validation on {metrics.valid_reviews:,} held-out training reviews\n"
        f"- best validation accuracy: {metrics.valid_accuracy:.2%} (epoch {metrics.best_epoch:.2f}, these weights); "
        f"not scored on the test set\n"
        f"- ended: {run.ended} after {metrics.train_seconds:g} s\n\n"
        "## Load it\n\n"
        "Unzip the folder, then, from a checkout of the project (or with it installed: `pip install -e .`):\n\n"
        "```python\nfrom sentiment import load_predictor\n\n"
        f'predictor = load_predictor("{checkpoint_name(run.name)}")\n'
        'predictor.predict("A wonderful film.").label\n```\n\n'
        "`metrics.json` holds the validation history; `config.json` the model's sizes; `vocab.json` its vocabulary.\n"
    )


def with_threads(events, threads: int):
    """Drive ``events`` with ``threads`` CPU threads for each step: Gradio resumes a generator on whichever
    worker thread is free, and torch's thread count belongs to the thread."""
    while True:
        torch.set_num_threads(threads)
        try:
            event = next(events)
        except StopIteration:
            return
        yield event


class TrainTab:
    """The Train tab's components, built inside the caller's ``gr.Blocks``, and its handlers.
    ``model_choice`` is the Predict tab's model picker, which lists the visitor's runs."""

    def __init__(self, visitor: gr.State, model_choice: gr.Radio):
        self.model_choice = model_choice
        with gr.Tab("Train"):
            has_pretrained = models.has_pretrained()
            gr.Markdown(
                "Train a model on IMDb reviews, live, with the same training loop as `train.py`, and compare your runs. "
                f"{typical_run()}" + (f" {PRETRAINED_NOTE}" if has_pretrained else "")
            )
            with gr.Row():
                with gr.Column(scale=4):
                    self.start = gr.Radio(
                        [FROM_SCRATCH, FROM_PRETRAINED], value=FROM_SCRATCH, label="Start from", visible=has_pretrained
                    )
                    with gr.Row():
                        self.epochs = gr.Slider(*LIMITS["epochs"], value=DEFAULTS["epochs"], step=1, label="Epochs")
                        self.reviews = gr.Slider(
                            *LIMITS["reviews"], value=DEFAULTS["reviews"], step=100, label="Training reviews"
                        )
                        self.batch_size = gr.Slider(
                            *LIMITS["batch_size"], value=DEFAULTS["batch_size"], step=8, label="Batch size"
                        )
                        self.lr = gr.Number(
                            value=DEFAULTS["lr"],
                            label="Learning rate",
                            minimum=LIMITS["lr"][0],
                            maximum=LIMITS["lr"][1],
                        )
                    with gr.Row():
                        self.rnn_type = gr.Dropdown(list(RNN_TYPES), value="lstm", label="Recurrent type")
                        self.bidirectional = gr.Checkbox(value=True, label="Bidirectional")
                        self.embed_dim = gr.Slider(
                            *LIMITS["embed_dim"], value=DEFAULTS["embed_dim"], step=8, label="Embedding size"
                        )
                        self.hidden_dim = gr.Slider(
                            *LIMITS["hidden_dim"], value=DEFAULTS["hidden_dim"], step=8, label="Hidden size"
                        )
                with gr.Column(scale=1, min_width=220):
                    gr.Markdown(limits_text())
            with gr.Row():
                self.train_btn = gr.Button("Train", variant="primary")
                self.stop_btn = gr.Button("Stop", variant="stop")
                self.clear_btn = gr.Button("Clear runs")
            # Gradio's progress (and the queue position while waiting) shows on this line only, covering no result
            self.status = gr.Markdown(IDLE, elem_id="train-status", min_height=40)
            with gr.Row():
                self.acc_plot = gr.LinePlot(
                    x="epoch", y="accuracy", color="series", title="Accuracy", y_lim=[0.4, 1.0], height=300
                )
                self.loss_plot = gr.LinePlot(x="epoch", y="loss", color="series", title="Loss", height=300)
            self.summary = gr.Markdown()
            self.runs_table = gr.Dataframe(
                headers=RUN_COLUMNS, label="Your runs (the last 5 are kept)", interactive=False
            )
            self.downloads = gr.File(
                label="Checkpoints of your runs (.zip)", file_count="multiple", visible=False, interactive=False
            )
            self.log = gr.Textbox(label="Log", lines=4, interactive=False)
        inputs = [self.epochs, self.reviews, self.rnn_type, self.bidirectional, self.embed_dim, self.hidden_dim]
        inputs += [self.lr, self.batch_size, self.start, visitor]
        outputs = [self.acc_plot, self.loss_plot, self.log, self.summary, model_choice, self.runs_table, self.downloads]
        controls = [self.rnn_type, self.bidirectional, self.embed_dim, self.hidden_dim]
        self.start.change(
            self.encoder_controls,
            [self.start, *controls, visitor],
            controls,
            queue=False,
            api_visibility="private",
            show_progress="hidden",
        )
        self.train_btn.click(
            self.train,
            inputs,
            outputs,
            api_name="train",
            concurrency_limit=1,
            concurrency_id="train",
            show_progress="full",
            show_progress_on=[self.status],
        )
        self.stop_btn.click(self.stop, visitor, None, queue=False, api_name="stop", show_progress="hidden")
        self.clear_btn.click(self.clear, visitor, outputs, queue=False, api_name="clear_runs", show_progress="hidden")

    def _finished(self, runs: list[Run], chosen: str = SHIPPED) -> dict:
        """Plots, Predict's model picker, the runs table and the downloads, for the runs kept."""
        acc, loss = curves(runs, None)
        files = [str(r.archive) for r in runs]
        return {
            self.acc_plot: acc,
            self.loss_plot: loss,
            self.model_choice: gr.Radio(choices=[SHIPPED, *(r.name for r in runs)], value=chosen),
            self.runs_table: runs_table(runs),
            self.downloads: gr.File(value=files or None, visible=bool(files)),
        }

    def train(
        self,
        epochs,
        reviews,
        rnn_type,
        bidirectional,
        embed_dim,
        hidden_dim,
        lr,
        batch_size,
        start,
        visitor: Visitor,
        request: gr.Request = None,
        progress=gr.Progress(),
    ):
        """A short live run: yields updates of the plots and the log, and at the end the summary, the runs table,
        the downloads and Predict's model picker."""
        s = check_settings(epochs, reviews, rnn_type, bidirectional, embed_dim, hidden_dim, lr, batch_size, start)
        store, budget = models.run_store(), settings.SETTINGS.budget_s
        store.sweep()
        visitor.stop = False
        began = time.monotonic()  # the budget covers the whole run, reading the reviews included
        progress(0, desc="Loading IMDb reviews")
        try:
            train_split = models.imdb_train(notify=lambda message: progress(0, desc=message))
        except DataUnavailableError as e:
            raise gr.Error(str(e).replace("\n", " ")) from None
        pretrained = models.pretrained_encoder() if s["start"] == FROM_PRETRAINED else None
        cfg = TrainConfig(
            epochs=s["epochs"],
            batch_size=s["batch_size"],
            lr=s["lr"],
            train_limit=s["reviews"],
            valid_limit=settings.VALID_REVIEWS,
            evals_per_epoch=CHECKS_PER_EPOCH,
            max_tokens=settings.TRAIN_TOKENS,
            min_freq=2,
            eval_at_start=True,
        )
        data = prepare(train_split, cfg, vocab=pretrained.vocab if pretrained else None)
        torch.manual_seed(cfg.seed)
        shape = dict(embed_dim=s["embed_dim"], hidden_dim=s["hidden_dim"], rnn_type=s["rnn_type"])
        model_config = ModelConfig(
            **shape, **HEAD, bidirectional=s["bidirectional"], pooling="maxmean" if pretrained else "max"
        )
        model = build_classifier(model_config, len(data.vocab), pretrained)
        visitor.count += 1
        run = Run(visitor.count, run_name(visitor.count, s))
        log = [
            f"{run.name}: {len(data.train):,} training reviews, {len(data.valid):,} validation reviews, "
            f"vocabulary {len(data.vocab):,}, {model.num_parameters():,} parameters"
        ]
        yield {self.log: "\n".join(log)}
        every = max(1, -(-len(data.train) // cfg.batch_size) // (2 * CHECKS_PER_EPOCH))
        # A stopped run scores the validation reviews once more, then is saved and zipped: it stops that long
        # before the budget (half as long again as the last validation check took, and a second for the files)
        check_s = [0.0]
        over_budget = lambda: time.monotonic() - began + 1.5 * check_s[0] + 1.0 > budget
        last_yield = last_step = time.monotonic()
        events = fit(model, data, cfg, should_stop=lambda: visitor.stop or over_budget())
        for event in with_threads(events, settings.SETTINGS.train_threads):
            if isinstance(event, Step):
                last_step = time.monotonic()
                progress((event.step, event.total_steps), desc=f"epoch {event.epoch}/{cfg.epochs}", unit="steps")
                if event.step % every == 0 or event.step == 1:
                    run.steps.append((event.step / (event.total_steps / cfg.epochs), event.accuracy, event.loss))
                # the first step draws both curves at once; then the plots update each second (and control goes
                # back to Gradio, so a cancelled run ends promptly)
                if event.step == 1 or time.monotonic() - last_yield > 1.0:
                    last_yield = time.monotonic()
                    yield dict(zip((self.acc_plot, self.loss_plot), curves(visitor.runs, run)))
            elif isinstance(event, Validation):
                run.history.append(vars(event))
                check_s[0] = time.monotonic() - last_step  # since the last step (or, before training, the start)
                if not event.step:  # the check before training: drawn with the first step, beside its training point
                    continue
                if event.end_of_epoch:
                    log.append(
                        f"epoch {round(event.epoch)}: train loss {event.train_loss:.3f} acc {event.train_accuracy:.3f}, "
                        f"validation loss {event.valid_loss:.3f} acc {event.valid_accuracy:.3f}, {event.seconds:.1f}s"
                    )
                yield dict(zip((self.acc_plot, self.loss_plot), curves(visitor.runs, run))) | {self.log: "\n".join(log)}
            elif isinstance(event, Done):
                done = event
        if visitor.closed:  # the visitor left mid-run: nothing to show, nothing to keep
            return
        ended = "finished"
        if done.stopped:
            ended = f"stopped at the {budget:g} s budget" if over_budget() and not visitor.stop else "stopped"
            log.append(f"{ended} after {done.history[-1]['epoch']:.2f} epochs; keeping the best weights so far")
        run.settings = (
            f"{'pretrained' if pretrained else 'random start'}, {s['epochs']} ep., {len(data.train):,} reviews, "
            f"batch {s['batch_size']}, lr {s['lr']:g}" + ("" if pretrained else f", emb. {s['embed_dim']}")
        )
        run.best, run.seconds, run.speed, run.ended = (
            done.best_valid_accuracy,
            done.seconds,
            done.reviews_per_second,
            ended,
        )
        metrics = Metrics(
            valid_accuracy=done.best_valid_accuracy,
            train_reviews=len(data.train),
            valid_reviews=len(data.valid),
            train_seconds=round(done.seconds, 1),
            history=done.history,
            best_epoch=done.best_epoch,
            epochs=s["epochs"],
            vocab_size=len(data.vocab),
            parameters=model.num_parameters(),
            trained_in="app Train tab",
            run=run.name,
            settings={k: v for k, v in s.items()},
        )
        card = checkpoint_card(run, s, metrics, model.num_parameters())
        store.keep(
            visitor,
            run,
            lambda folder: save_checkpoint(folder, model, data.vocab, metrics.to_dict(), card=card),
            getattr(request, "session_hash", None),
        )
        summary = (
            f"**Best validation accuracy {done.best_valid_accuracy:.1%}** (epoch {done.best_epoch:.2f}) "
            f"on {len(data.valid):,} held-out reviews · {done.seconds:.1f} s · {done.reviews_per_second:,.0f} reviews/s "
            f"· {ended}. Pick **{run.name}** in the Predict tab to try it, or download its checkpoint below."
        )
        if ended.startswith("stopped at"):
            summary = f"**Time budget reached**: this server gives each run {budget:g} s. " + summary
        yield self._finished(visitor.runs, run.name) | {self.log: "\n".join(log), self.summary: summary}

    def encoder_controls(self, start: str, rnn_type, bidirectional, embed_dim, hidden_dim, visitor: Visitor) -> dict:
        """Starting from the pretrained encoder fixes its type and sizes: show them and lock those controls,
        keeping the visitor's own; leaving it gives theirs back, unlocked."""
        encoder = models.pretrained_encoder() if start == FROM_PRETRAINED else None
        controls = (self.rnn_type, self.bidirectional, self.embed_dim, self.hidden_dim)
        if encoder is None:
            own, visitor.own_settings = visitor.own_settings, None
            if own is None:
                return {c: gr.update(interactive=True) for c in controls}
            return {c: gr.update(value=v, interactive=True) for c, v in zip(controls, own)}
        if visitor.own_settings is None:
            visitor.own_settings = (rnn_type, bidirectional, embed_dim, hidden_dim)
        c = encoder.model_config
        values = ("lstm", True, c.embed_dim, c.hidden_dim)
        return {control: gr.update(value=v, interactive=False) for control, v in zip(controls, values)}

    @staticmethod
    def stop(visitor: Visitor) -> None:
        """Stop the visitor's run after its current batch; harmless with no run or when pressed twice."""
        visitor.stop = True

    def clear(self, visitor: Visitor) -> dict:
        """Forget every kept run of this visitor and delete its files."""
        models.run_store().clear(visitor)
        return self._finished([]) | {self.log: "", self.summary: ""}
