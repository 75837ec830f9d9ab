"""What the Train tab shows, apart from its layout and handlers: the curves, the runs table, the texts (limits,
the typical run read from the benchmark's file) and the README of a run's checkpoint."""

from __future__ import annotations

import html
import json
import math

import gradio as gr
import numpy as np
import pandas as pd
import torch

from sentiment.metrics import Metrics

from . import settings
from .runs import Run, checkpoint_name
from .settings import DEFAULTS, FROM_PRETRAINED, LIMITS

# the figures to compare first, the long settings after them: a phone shows the first columns without scrolling
RUN_COLUMNS = ["run", "best validation", "time", "ended", "settings", "reviews/s"]
SHORTEST_SPAN = 1 / settings.CHECKS_PER_EPOCH  # epochs: the plots' x axis spans at least a validation check's interval
LOSS_TOP = 0.8  # the loss plot's top: a run starts near ln 2 = 0.69
PALETTE = [  # (training, validation) colours of one run: Tailwind's 400 and 700 shades of a hue
    ("#60a5fa", "#1d4ed8"),
    ("#fb923c", "#c2410c"),
    ("#4ade80", "#15803d"),
    ("#c084fc", "#7e22ce"),
    ("#f87171", "#b91c1c"),
    ("#22d3ee", "#0e7490"),
]


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


def progress_line(done: float, doing: str, elapsed_s: float) -> str:
    """The status line while a run trains: a bar ``done`` (0 to 1) full, what the run is doing and the seconds
    since it started. Drawn here, not by Gradio's progress, whose timer restarts with every update of the plots."""
    percent = 100 * min(1.0, max(0.0, done))
    return (
        f'<div role="progressbar" aria-label="training progress" aria-valuenow="{percent:.0f}" aria-valuemin="0" '
        'aria-valuemax="100" style="height:8px;border-radius:4px;background:var(--neutral-200);overflow:hidden">'
        f'<div style="width:{percent:.1f}%;height:100%;background:var(--color-accent)"></div></div>\n\n'
        f"{doing} · {elapsed_s:.0f} s"
    )


def limits_text() -> str:
    s = settings.SETTINGS
    return (
        f"**Limits on this server**\n\n- {LIMITS['epochs'][1]} epochs, {LIMITS['reviews'][1]:,} reviews at most\n"
        f"- each run stops itself after **{s.budget_s:g} s** and keeps its best weights\n"
        f"- reviews cut to {settings.TRAIN_TOKENS} tokens; validation on {settings.VALID_REVIEWS:,} held-out reviews\n"
        f"- one run at a time: a run started while another visitor's trains waits for it, as the line under Train "
        "says\n"
        f"- your last {settings.MAX_RUNS} runs are kept until you leave "
        f"(or for {settings.RUN_FILES_TTL_S // 3600} hours after your last run)"
    )


def series_names(run: Run) -> tuple[str, str]:
    """The names of a run's two curves: short ("#2 training"), so that a run's legend entry fits a phone's line."""
    number = run.name.split(" ", 1)[0]
    return f"{number} training", f"{number} validation"


def curve_frame(runs: list[Run], current: Run | None) -> tuple[pd.DataFrame, dict[str, str]]:
    """Every kept run's and the current one's points (epoch, accuracy, loss, series), and the colours of the
    series among them, one colour per run and curve."""
    rows, color_map = [], {}
    for i, run in enumerate([*runs, *([current] if current else [])]):
        train_series, valid_series = series_names(run)
        rows += [(e, acc, loss, train_series) for e, acc, loss in run.steps]
        rows += [(h["epoch"], h["valid_accuracy"], h["valid_loss"], valid_series) for h in run.history]
        color_map |= {train_series: PALETTE[i % len(PALETTE)][0], valid_series: PALETTE[i % len(PALETTE)][1]}
    df = pd.DataFrame(rows, columns=["epoch", "accuracy", "loss", "series"])
    df = df.astype({"epoch": float, "accuracy": float, "loss": float, "series": str})
    drawn = set(df["series"])
    return df, {name: color for name, color in color_map.items() if name in drawn}


def legend_html(color_map: dict[str, str]) -> str:
    """The two plots' one legend, under them: for each run its number, then each of its curves' colour and name.
    A run's entry stays on one line and the entries wrap, so a phone shows every run (the chart's own legend is
    one line under each plot, cut at a phone's width from the second run on). Empty with no curve drawn."""
    entries: dict[str, list[str]] = {}  # run number: its curves' keys
    for series, color in color_map.items():
        number, curve = series.split(" ", 1)
        color = html.escape(color)
        swatch = (
            f'<span style="display:inline-block;width:20px;border-top:3px solid {color};vertical-align:middle"></span>'
        )
        entries.setdefault(number, []).append(
            f'<span data-series="{html.escape(series)}" data-color="{color}">{swatch}</span> {html.escape(curve)}'
        )
    runs = (
        f'<span style="white-space:nowrap"><strong>{html.escape(number)}</strong> {" ".join(keys)}</span>'
        for number, keys in entries.items()
    )
    return f'<div style="display:flex;flex-wrap:wrap;gap:4px 20px">{"".join(runs)}</div>' if entries else ""


def curves(runs: list[Run], current: Run | None) -> tuple[gr.LinePlot, gr.LinePlot, str]:
    """Accuracy and loss plots of every kept run and the current one, one colour per run and curve, and their
    legend.

    The chart builds its colour scale from the series present when it is first drawn and only
    swaps the data afterwards, so the colour map (which names every series) is sent with each
    update: a new series changes it and makes the chart redraw with that series in its scale
    (``Chart`` sends the data alone first when the series change).
    """
    return _plots(*curve_frame(runs, current), x_span(runs, current))


def x_span(runs: list[Run], current: Run | None) -> float:
    """The epochs the plots' x axis spans: the live run's planned epochs, so that its curves grow across a fixed
    frame (the axis does not stretch with every update), and the epochs the kept runs reached (a run stopped early
    does not squeeze the later ones into part of the plot), at least SHORTEST_SPAN when anything is drawn (a run
    stopped after its first step spans a few thousandths of an epoch, ticked 0.0000, 0.0004, ...)."""
    reached = [e for run in runs for e in (*(e for e, *_ in run.steps), *(h["epoch"] for h in run.history))]
    span = max([*reached, *([current.epochs] if current else [])], default=0.0)
    return max(span, SHORTEST_SPAN) if reached or current else 0.0


def loss_top(losses: pd.Series) -> float:
    """The loss axis's top: LOSS_TOP, or the next tenth above the largest finite loss when one passes it."""
    finite = losses[np.isfinite(losses)]
    return max(LOSS_TOP, math.ceil(finite.max() * 10) / 10) if len(finite) else LOSS_TOP


def _plots(
    df: pd.DataFrame, color_map: dict[str, str], span: float, colors: bool = True
) -> tuple[gr.LinePlot, gr.LinePlot, str]:
    if df.empty:  # no data: the page shows empty plots, without the previous runs' axes
        return gr.LinePlot(value=None, color_map=None), gr.LinePlot(value=None, color_map=None), ""
    # the axis range and colours only with the data's second sending: either redraws the chart from the data it holds
    extra = ({"color_map": color_map} | ({"x_lim": [0, span]} if span else {})) if colors else {}
    acc = gr.LinePlot(value=df[["epoch", "accuracy", "series"]], **extra)
    # the loss axis from 0 to a fixed top (higher only when a loss passes it): it does not rescale every second
    loss_lim = {"y_lim": [0, loss_top(df["loss"])]} if colors else {}
    loss = gr.LinePlot(value=df[["epoch", "loss", "series"]], **extra, **loss_lim)
    return acc, loss, legend_html(color_map)


class Chart:
    """The series a visitor's two plots were last sent, so that a change of series reaches them in an order they
    draw: the plot applies a new colour map before the data that comes with it, rebuilding its scale and legend
    from the old data, and the new series' lines are left without a colour. So when the series change, the data
    goes first (drawn in the scale the chart has), then the same data with the colour map and the axis range
    (redrawn in full). An empty chart takes both at once: it has no scale yet, and two drawings begun together
    would race."""

    def __init__(self, runs: list[Run]):
        self.series = set(curve_frame(runs, None)[1])

    def updates(self, runs: list[Run], current: Run | None = None) -> list[tuple[gr.LinePlot, gr.LinePlot, str]]:
        (df, color_map), span = curve_frame(runs, current), x_span(runs, current)
        drawn, self.series = self.series, set(color_map)
        if not drawn or not color_map or set(color_map) == drawn:  # nothing drawn yet, nothing to draw, or the same
            return [_plots(df, color_map, span)]
        return [_plots(df, color_map, span, colors=False), _plots(df, color_map, span)]


def runs_table(runs: list[Run]) -> pd.DataFrame:
    rows = [(r.name, f"{r.best:.1%}", f"{r.seconds:.0f} s", r.ended, r.settings, f"{r.speed:,.0f}") for r in runs]
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
