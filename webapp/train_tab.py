"""The Train tab's layout and handlers: a short live run of the same training loop as ``train.py``, the runs
compared (what it draws and writes: ``train_views``)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import gradio as gr
import torch

from sentiment import DataUnavailableError, ModelConfig, TrainConfig, save_checkpoint
from sentiment.metrics import Metrics
from sentiment.model import RNN_TYPES
from sentiment.recipe import build_classifier
from sentiment.training import RECENT_REVIEWS, Done, Step, Validation, fit, prepare

from . import models, settings
from .memory import release_memory
from .runs import Run, Visitor
from .settings import CHECKS_PER_EPOCH, DEFAULTS, FROM_PRETRAINED, FROM_SCRATCH, LIMITS, SHIPPED
from .train_views import (
    PRETRAINED_NOTE,
    RUN_COLUMNS,
    Chart,
    checkpoint_card,
    curves,
    limits_text,
    progress_line,
    runs_table,
    typical_run,
    with_threads,
)

IDLE = "Press **Train** to start a run: its progress shows on this line, the curves below fill in as it learns."
WAITING = "**Waiting**:"
CURVES_NOTE = (
    f"**training**: the last {RECENT_REVIEWS:,} reviews it learned from (one epoch's, if fewer), each scored as it "
    "learned it (with dropout) "
    f"· **validation**: {settings.VALID_REVIEWS:,} held-out reviews, {CHECKS_PER_EPOCH} checks an epoch"
)
HEAD = dict(fc_dim=64, dropout=0.2)  # the classifier head of a Train tab run; pooling: max, or maxmean when pretrained


class Training:
    """How many runs train on this server now: one at a time (the event's concurrency limit), but a cancelled one
    can still be closing when the next starts, so a count, not a flag."""

    def __init__(self):
        self._count, self._lock = 0, threading.Lock()

    def __enter__(self):
        with self._lock:
            self._count += 1

    def __exit__(self, *exc):
        with self._lock:
            self._count -= 1

    def __bool__(self) -> bool:
        return self._count > 0


TRAINING = Training()


def ticking(work, tick):
    """Run ``work()`` in a worker thread, yielding ``tick()`` each second until it returns; its result is this
    generator's return value (``yield from``), its exception raised here. A run's status line keeps counting
    through what cannot send updates: reading the reviews (downloading them, on a new server), building the
    vocabulary."""
    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(work)
        while True:
            try:
                return future.result(timeout=1.0)
            except TimeoutError:
                yield tick()


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


def run_started(visitor: Visitor) -> tuple:
    """At the press of Train: the status line says the run starts, or waits for another visitor's; the last summary
    gone; Train off, Stop on (a Stop pressed from now on stops this run, even before it starts)."""
    visitor.requested, visitor.stop = True, False
    status = "Starting the run…"
    if TRAINING:
        status = (
            f"{WAITING} another visitor's run is training, and this server trains one at a time. Yours starts when "
            f"it ends (each stops within {settings.SETTINGS.budget_s:g} s), after any run started before yours."
        )
    return status, "", gr.Button(interactive=False), gr.Button(interactive=True)


def stop_pressed(status: str) -> tuple:
    """Stop's answer on the page, before the run sees it: Stop off, and for a run still waiting, that it will not
    start (its place in the queue is given up when its turn comes)."""
    if status.startswith(WAITING):
        status = "**Stopped**: this run will not start. Train comes back when the run ahead of it ends."
    else:
        status = gr.skip()  # a run going says so itself as it stops
    return status, gr.Button(interactive=False)


def run_ended() -> tuple:
    """The idle sentence back on the status line, Train on, Stop off."""
    return IDLE, gr.Button(interactive=True), gr.Button(interactive=False)


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
                self.stop_btn = gr.Button("Stop", variant="stop", interactive=False)  # live while a run is on
                self.clear_btn = gr.Button("Clear runs")
            # a run's progress, drawn by the run (progress_line), or that it waits for another visitor's
            self.status = gr.Markdown(IDLE, elem_id="train-status", min_height=64)
            with gr.Row():
                # one legend for both plots, under them (legend_html), in place of the chart's own
                self.acc_plot = gr.LinePlot(
                    x="epoch",
                    y="accuracy",
                    color="series",
                    title="Accuracy",
                    y_lim=[0.4, 1.0],
                    height=300,
                    colors_in_legend=[],
                )
                self.loss_plot = gr.LinePlot(
                    x="epoch", y="loss", color="series", title="Loss", height=300, colors_in_legend=[]
                )
            self.legend = gr.HTML(elem_id="train-legend")
            gr.Markdown(CURVES_NOTE, elem_id="curves-note")
            self.chart_outputs = (self.acc_plot, self.loss_plot, self.legend)  # what train_views.curves returns
            self.summary = gr.Markdown()
            self.runs_table = gr.Dataframe(
                headers=RUN_COLUMNS, label="Your runs (the last 5 are kept)", interactive=False, elem_id="runs-table"
            )
            self.downloads = gr.File(
                label="Checkpoints of your runs (.zip)", file_count="multiple", visible=False, interactive=False
            )
            self.log = gr.Textbox(label="Log", lines=4, interactive=False)
        inputs = [self.epochs, self.reviews, self.rnn_type, self.bidirectional, self.embed_dim, self.hidden_dim]
        inputs += [self.lr, self.batch_size, self.start, visitor]
        outputs = [self.acc_plot, self.loss_plot, self.log, self.summary, model_choice, self.runs_table, self.downloads]
        # last, so that the API's outputs before them keep their places
        outputs += [self.legend, self.stop_btn, self.status]
        controls = [self.rnn_type, self.bidirectional, self.embed_dim, self.hidden_dim]
        self.start.change(
            self.encoder_controls,
            [self.start, *controls, visitor],
            controls,
            queue=False,
            api_visibility="private",
            show_progress="hidden",
        )
        # the idle sentence leaves the status line while a run has it (its progress drawn there alone), then returns;
        # the last run's summary leaves with it (the runs table keeps its figures). Train is off meanwhile; Stop is on
        # from the press, waiting in the queue included
        quiet = dict(queue=False, api_visibility="private", show_progress="hidden")
        running = [self.status, self.summary, self.train_btn, self.stop_btn]
        idle = [self.status, self.train_btn, self.stop_btn]
        run = self.train_btn.click(run_started, visitor, running, **quiet).then(
            self.train,
            inputs,
            outputs,
            api_name="train",
            concurrency_limit=1,
            concurrency_id="train",
            show_progress="hidden",  # the run draws its progress on the status line; nothing covers the plots
        )
        run.then(run_ended, None, idle, **quiet)  # after a run that ends, or is stopped
        run.failure(run_ended, None, idle, **quiet)  # after one refused (Gradio skips .then on an error)
        self.stop_btn.click(self.stop, visitor, None, queue=False, api_name="stop", show_progress="hidden")
        self.stop_btn.click(stop_pressed, self.status, [self.status, self.stop_btn], **quiet)
        self.clear_btn.click(self.clear, visitor, outputs, queue=False, api_name="clear_runs", show_progress="hidden")

    def _finished(self, runs: list[Run], chosen: str = SHIPPED, plots: tuple | None = None) -> dict:
        """Plots (``plots``, else drawn from ``runs``), Predict's model picker, the runs table and the downloads,
        for the runs kept."""
        acc, loss, legend = plots or curves(runs, None)
        files = [str(r.archive) for r in runs]
        return {
            self.acc_plot: acc,
            self.loss_plot: loss,
            self.legend: legend,
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
    ):
        """A short live run: yields updates of the plots, the log and its progress on the status line, and at the
        end the summary, the runs table, the downloads and Predict's model picker."""
        if not visitor.requested:  # an API call: a Stop sent before it is not for it (the page's press clears it)
            visitor.stop = False
        visitor.requested = True
        try:
            s = check_settings(epochs, reviews, rnn_type, bidirectional, embed_dim, hidden_dim, lr, batch_size, start)
            with TRAINING:
                yield from self._run(s, visitor, request)
        finally:
            visitor.requested = False

    def _run(self, s: dict, visitor: Visitor, request: gr.Request | None):
        store, budget = models.run_store(), settings.SETTINGS.budget_s
        store.sweep()
        began = time.monotonic()  # the budget covers the whole run, reading the reviews included
        shown = [0.0, "Loading the IMDb reviews"]  # the status line's progress: how far, what it does

        def status() -> dict:
            return {self.status: progress_line(*shown, time.monotonic() - began)}

        def told(message: str) -> None:  # what the reviews' download is, on a new server
            shown[1] = message

        yield status()
        try:
            train_split = yield from ticking(lambda: models.imdb_train(notify=told), status)
        except DataUnavailableError as e:
            raise gr.Error(str(e).replace("\n", " ")) from None
        if visitor.stop:  # stopped while it waited for another visitor's run, or while the reviews loaded
            return
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
        shown[1] = "Building the vocabulary and the model"
        yield status()
        data = yield from ticking(
            lambda: prepare(train_split, cfg, vocab=pretrained.vocab if pretrained else None), status
        )
        if visitor.stop:
            return
        torch.manual_seed(cfg.seed)
        shape = dict(embed_dim=s["embed_dim"], hidden_dim=s["hidden_dim"], rnn_type=s["rnn_type"])
        model_config = ModelConfig(
            **shape, **HEAD, bidirectional=s["bidirectional"], pooling="maxmean" if pretrained else "max"
        )
        model = build_classifier(model_config, len(data.vocab), pretrained)
        visitor.count += 1
        run = Run(visitor.count, run_name(visitor.count, s), epochs=cfg.epochs)
        log = [
            f"{run.name}: {len(data.train):,} training reviews, {len(data.valid):,} validation reviews, "
            f"vocabulary {len(data.vocab):,}, {model.num_parameters():,} parameters"
        ]
        shown[1] = "First validation check"  # short: a phone fits it on one line
        yield {self.log: "\n".join(log)} | status()
        every = max(1, -(-len(data.train) // cfg.batch_size) // (2 * CHECKS_PER_EPOCH))
        # A stopped run scores the validation reviews once more, then is saved and zipped: it stops that long
        # before the budget (half as long again as the last validation check took, and a second for the files)
        check_s = [0.0]
        over_budget = lambda: time.monotonic() - began + 1.5 * check_s[0] + 1.0 > budget
        last_yield = last_step = time.monotonic()
        chart = Chart(visitor.runs)  # what the plots show now: the kept runs
        events = fit(model, data, cfg, should_stop=lambda: visitor.stop or over_budget())
        for event in with_threads(events, settings.SETTINGS.train_threads):
            if isinstance(event, Step):
                last_step = time.monotonic()
                shown[:] = (
                    event.step / event.total_steps,
                    f"epoch {event.epoch}/{cfg.epochs} · step {event.step:,}/{event.total_steps:,}",
                )
                if event.step % every == 0 or event.step == 1:
                    at = event.step / (event.total_steps / cfg.epochs)
                    run.steps.append((at, event.recent_accuracy, event.recent_loss))  # not reset each epoch
                # the first step draws both curves at once; then the plots update each second (and control goes
                # back to Gradio, so a cancelled run ends promptly)
                if event.step == 1 or time.monotonic() - last_yield > 1.0:
                    last_yield = time.monotonic()
                    for plots in chart.updates(visitor.runs, run):
                        yield dict(zip(self.chart_outputs, plots)) | status()
            elif isinstance(event, Validation):
                run.history.append(vars(event))
                check_s[0] = time.monotonic() - last_step  # since the last step (or, before training, the start)
                if not event.step:  # the check before training: drawn with the first step, beside its training point
                    continue
                if event.end_of_epoch:
                    log.append(
                        f"epoch {round(event.epoch)}: train loss {event.train_loss:.3f} acc {event.train_accuracy:.3f} "
                        "(the epoch's mean), "
                        f"validation loss {event.valid_loss:.3f} acc {event.valid_accuracy:.3f}, {event.seconds:.1f}s"
                    )
                for plots in chart.updates(visitor.runs, run):
                    yield dict(zip(self.chart_outputs, plots)) | {self.log: "\n".join(log)} | status()
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
            lambda folder, model=model, vocab=data.vocab: save_checkpoint(
                folder, model, vocab, metrics.to_dict(), card=card
            ),
            getattr(request, "session_hash", None),
        )
        summary = (
            f"**Best validation accuracy {done.best_valid_accuracy:.1%}** (epoch {done.best_epoch:.2f}) "
            f"on {len(data.valid):,} held-out reviews · {done.seconds:.1f} s · {done.reviews_per_second:,.0f} reviews/s "
            f"· {ended}. The Predict tab now reads with **{run.name}**, beside the shipped model's verdict (pick "
            f"**{SHIPPED}** there to go back); its checkpoint is below."
        )
        if ended.startswith("stopped at"):
            summary = f"**Time budget reached**: this server gives each run {budget:g} s. " + summary
        del model, data, events  # the run's tensors go, and glibc hands their pages back
        release_memory()
        *first, last = chart.updates(visitor.runs)  # the oldest run may have left them
        for plots in first:
            yield dict(zip(self.chart_outputs, plots))
        yield self._finished(visitor.runs, run.name, last) | {self.log: "\n".join(log), self.summary: summary}

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
