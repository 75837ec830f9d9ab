"""The Predict tab's "Edit and compare" section (its layout and its handler) and the Gradio API's ``/compare``.

A visitor copies the review into an editable box with one click, changes a few words, and sees side by side
what the BiLSTM (or the Train tab run picked in Predict) and the order-blind baseline say of both texts, the
changed words marked in both, both running verdicts on one plot with the changed positions marked, and one
sentence on what the edit did.
"""

from __future__ import annotations

import html
import re

import gradio as gr
import pandas as pd
import torch

from sentiment import Predictor
from sentiment.compare_examples import load_examples
from sentiment.diff import INSERTED, REMOVED, REPLACED, segments
from sentiment.predict import Comparison

from . import models, settings
from .plots import RUNNING_VERDICT_AXES, data_first, word_axis
from .runs import RunUnavailable, Visitor
from .scroll import into_view
from .settings import MAX_REVIEW_CHARS, SHIPPED

MARK_COLORS = {REMOVED: "#fca5a5", INSERTED: "#86efac", REPLACED: "#fde047"}
REVIEW_MARKED, EDITED_MARKED = "Review: words changed", "Edited copy: words changed"
LINE_COLORS = {"review": "#ea580c", "edited copy": "#2563eb"}  # the review orange, as Predict draws it
MARKER_COLOR = "#9ca3af"
RESULTS_ID = "compare-results"  # the comparison's results, scrolled into view when they land out of sight
MAX_MARKERS = 20  # changed positions marked on the plot (a grey vertical line each); the first ones when more
INTRO = (
    "### Edit and compare\n"
    "Change a few words of the review and see which model follows: the BiLSTM (or your run, when one is picked "
    "above), which reads the words in order, or the order-blind baseline, which counts words and short phrases. "
    "**Copy the review** puts it in the box below to edit."
)
PLOT_NOTE = (
    "Both running verdicts of {model}: the probability of **positive** after each word read, for the review "
    "(orange, as above) and the edited copy (blue). Grey vertical lines mark where the edited copy's words "
    "changed; the two lines are the same up to the first change."
)


def _example_label(e) -> str:
    who = {
        (True, False): "BiLSTM follows, baseline not",
        (False, False): "neither follows",
        (True, True): "both follow",
        (False, True): "baseline follows, BiLSTM not",
    }[(e.model_follows, e.baseline_follows)]
    return f"{e.name}: {who}"


def refuse_too_long(text: str, predictor: Predictor, what: str = "text") -> None:
    """Texts over MAX_REVIEW_CHARS are refused with one message naming ``what`` was too long."""
    if len(text) > MAX_REVIEW_CHARS:
        raise gr.Error(
            f"The {what} is {len(text):,} characters long; this demo takes up to {MAX_REVIEW_CHARS:,} "
            f"(the model reads only the first {predictor.max_tokens:,} words). Paste one review at a time."
        )


def run_compare(original: str, edited: str, predictor: Predictor) -> Comparison:
    """One comparison with the app's rules: both texts required (the message names the one missing), each at most
    MAX_REVIEW_CHARS long (Predict's message, naming the text); one CPU thread."""
    for name, text in (("original", original), ("edited", edited)):
        if not isinstance(text, str):
            raise gr.Error(f"The {name} review must be text; got {type(text).__name__}.")
        refuse_too_long(text, predictor, f"{name} text")
    torch.set_num_threads(settings.SETTINGS.predict_threads)
    try:
        return predictor.compare(original, edited)
    except ValueError as e:
        raise gr.Error(str(e)) from None


def compare(original: str, edited: str) -> dict:
    """Score a review and an edited copy with the shipped BiLSTM and the order-blind baseline.

    Returns {"original": {label, probability, trajectory, baseline}, "edited": {...}, "changed": [{index, before,
    after}, ...]}: label "positive"/"negative", probability of positive, trajectory (per word read: probability
    of positive after reading up to it; null where not computed), baseline (the n-gram model's label and
    probability); each change is a run of words of the original starting at word ``index`` (from 0) that the
    edit replaced (``before`` and ``after`` the words, "" for none). Identical texts give "changed": [].
    """
    return run_compare(original, edited, models.shipped_predictor()).to_dict()


def verdict_table(c: Comparison, model: str) -> str:
    def cell(label: str, p: float) -> str:
        return f"{label}, {p:.1%} positive"

    rows = [(model, c.original.label, c.original.probability, c.edited.label, c.edited.probability)]
    if c.original.baseline and c.edited.baseline:
        a, b = c.original.baseline, c.edited.baseline
        rows.append(("**Baseline** (order-blind)", a["label"], a["probability"], b["label"], b["probability"]))
    lines = ["| | review | edited copy |", "|---|---|---|"]
    for name, la, pa, lb, pb in rows:
        moved = " **(flipped)**" if la != lb else ""
        lines.append(f"| {name} | {cell(la, pa)} | {cell(lb, pb)}{moved} |")
    return "\n".join(lines)


def shown(pieces: list[tuple[str, str | None]]) -> list[tuple[str, str | None]]:
    """A text's pieces as the page shows them: line breaks for HTML breaks, other tags dropped (the models read
    neither; a tag never lies inside a marked word)."""
    out = []
    for text, mark in pieces:
        text = _TAG.sub("", with_line_breaks(text))
        if text:
            out.append((text, mark))
    return out


def with_line_breaks(text: str) -> str:
    """IMDb's ``<br />`` as line breaks, for a text box (the models read the same words either way)."""
    return _BREAK.sub("\n", text)


_BREAK, _TAG = re.compile(r"<br\s*/?>", re.I), re.compile(r"<[^>]*>")


def marked_html(title: str, pieces: list[tuple[str, str | None]]) -> str:
    """``shown`` pieces as the page draws them: a title, the colours' legend, then the text, every character
    escaped, each marked piece in its mark's colour. Lines break between words (Gradio's HighlightedText breaks
    them anywhere, mid-word), a word longer than the line only where it must."""
    chip = "border-radius:4px;padding:1px 5px;color:#111"
    legend = " ".join(f'<span style="background:{c};{chip}">{m}</span>' for m, c in MARK_COLORS.items())
    body = "".join(
        html.escape(text)
        if mark is None
        else f'<mark data-mark="{mark}" style="background:{MARK_COLORS[mark]};{chip}">{html.escape(text)}</mark>'
        for text, mark in pieces
    )
    return (
        f'<p style="margin:0 0 6px"><strong>{html.escape(title)}</strong> {legend}</p>'
        f'<div style="white-space:pre-wrap;overflow-wrap:anywhere;line-height:1.9">{body}</div>'
    )


def trajectories_frame(c: Comparison) -> pd.DataFrame:
    """Both running verdicts as one frame (series "review" and "edited copy"), and a vertical marker series per
    changed position of the edited copy ("changed 1", ...; hidden from the legend)."""
    rows = []
    for series, p in (("edited copy", c.edited), ("review", c.original)):  # the review drawn last, on top
        rows += [
            (float(i), v, tok, series) for i, (tok, v) in enumerate(zip(p.tokens, p.trajectory), 1) if v is not None
        ]
    for n, change in enumerate(c.changes[:MAX_MARKERS], 1):
        # an inserted or replaced run: at its first word of the edited copy; removed words: between two words
        x = change.edited_index + (1.0 if change.after else 0.5)
        words = " ".join(change.after) or f"(removed: {' '.join(change.before)})"
        rows += [(x, 0.0, words, f"changed {n}"), (x, 1.0, words, f"changed {n}")]
    return pd.DataFrame(rows, columns=["word", "positive", "token", "series"]).astype(
        {"word": float, "positive": float, "token": str, "series": str}
    )


def no_lines() -> pd.DataFrame:
    """The plot before a comparison: its axes and legend, no line. A chart drawn from the page's start takes the
    first comparison's colours; one created by it lost them, now and then (the grey lines of the changes)."""
    return pd.DataFrame(
        {"word": [None] * 2, "positive": [None] * 2, "token": [""] * 2, "series": list(LINE_COLORS)}
    ).astype({"word": float, "positive": float})


class EditCompare:
    """The section's components, built inside the Predict tab, and its handler; ``review`` is the tab's review box,
    ``model_choice`` its model picker (the section compares with the model picked there)."""

    def __init__(self, review: gr.Textbox, model_choice: gr.Radio, visitor: gr.State):
        gr.Markdown(INTRO)
        with gr.Row():
            self.copy_btn = gr.Button("Copy the review", scale=1)
            self.compare_btn = gr.Button("Compare", variant="primary", scale=1)
        self.edited = gr.Textbox(
            label="Edited review", lines=5, placeholder="Copy the review, then change a few words…"
        )
        examples = load_examples()
        self.examples = gr.Examples(
            [[with_line_breaks(e.original), with_line_breaks(e.edited)] for e in examples],
            inputs=[review, self.edited],
            label="Real IMDb test reviews with a small edit that flips their meaning: does each model's verdict follow?",
            example_labels=[_example_label(e) for e in examples],
        )
        # hidden until a comparison: empty, its blocks left a gap
        with gr.Column(visible=False, elem_id=RESULTS_ID) as self.results:
            self.summary = gr.Markdown()
            self.verdicts = gr.Markdown()
            with gr.Row():
                with gr.Column(min_width=320):  # side by side on a desktop, one under the other on a phone
                    self.marked_original = gr.HTML(elem_id="marked-review", padding=True)
                with gr.Column(min_width=320):
                    self.marked_edited = gr.HTML(elem_id="marked-edited", padding=True)
        self.plot = gr.LinePlot(
            value=no_lines(),
            **RUNNING_VERDICT_AXES,
            color="series",
            color_map=LINE_COLORS,
            colors_in_legend=list(LINE_COLORS),
            color_title="running verdict of",
            tooltip=["series", "word", "token", "positive"],
            title="Running verdicts, review and edited copy",
            height=280,
        )
        self.plot_note = gr.Markdown()
        self.outputs = [self.summary, self.verdicts, self.marked_original, self.marked_edited, self.plot]
        self.outputs += [self.plot_note, self.results]
        self.copy_btn.click(lambda text: text, review, self.edited, api_visibility="private")
        inputs = [review, self.edited, model_choice, visitor]
        shown_below = into_view(RESULTS_ID)  # on a phone, under the examples: out of sight
        for trigger in (self.compare_btn.click, self.edited.submit):
            trigger(self.analyze_page, inputs, self.outputs, api_visibility="private").then(None, js=shown_below)
        self.examples.load_input_event.then(  # compared when clicked; a later click is answered after, not dropped
            self.analyze_page, inputs, self.outputs, api_visibility="private", trigger_mode="always_last"
        ).then(None, js=shown_below)

    def analyze_page(self, original: str, edited: str, model_choice: str = SHIPPED, visitor: Visitor | None = None):
        """``analyze`` for the page: the running verdicts' data goes before their axis and colours (``plots``)."""
        out, frame = self._analysis(original, edited, model_choice, visitor)
        yield from data_first(out, {self.plot: frame})

    def analyze(self, original: str, edited: str, model_choice: str = SHIPPED, visitor: Visitor | None = None) -> dict:
        """The one sentence, both verdicts of both models (the one picked in Predict, ``model_choice``, and the
        baseline), the marked texts and the running verdicts."""
        return self._analysis(original, edited, model_choice, visitor)[0]

    def _analysis(
        self, original: str, edited: str, model_choice: str, visitor: Visitor | None
    ) -> tuple[dict, pd.DataFrame | None]:
        if not isinstance(original, str) or not original.strip():
            gr.Warning("Type or paste a review first: the review box is empty.")
            return self.empty(), None
        if not isinstance(edited, str) or not edited.strip():
            gr.Warning("The edited review is empty: press Copy the review, then change a few words.")
            return self.empty(), None
        try:
            predictor, trained = models.chosen_predictor(model_choice, visitor)
        except RunUnavailable as e:  # gone since it was picked: Analyze says the same
            gr.Warning(str(e))
            return self.empty(), None
        try:
            c = run_compare(original, edited, predictor)
        except gr.Error as e:  # a text too long or with no words: a warning, as for an empty one, no error badges
            gr.Warning(e.message)
            return self.empty(), None
        marks_original, marks_edited = c.diff.marks()
        changed = sum(max(len(ch.before), len(ch.after)) for ch in c.changes)
        model, row = "the BiLSTM", "**BiLSTM** (reads in order)"
        if trained:
            model, row = f"your run {model_choice}", f"**{model_choice}** (your run, reads in order)"
        note = PLOT_NOTE.format(model=f"your run **{model_choice}**" if trained else model)
        if len(c.changes) > MAX_MARKERS:
            note += f" ({len(c.changes)} changes; the first {MAX_MARKERS} are marked.)"
        if c.original.truncated or c.edited.truncated:
            note += (
                f" A text was cut to its first {len(c.original.tokens):,} words: the words after them were not read."
            )
        summary = c.summary(model=model)
        if c.changes:
            summary = f"{summary} ({changed:,} word{'s' if changed != 1 else ''} changed.)"
        last = max(len(c.original.tokens), len(c.edited.tokens))
        return {
            self.summary: f"**{summary}**",
            self.verdicts: verdict_table(c, row),
            self.marked_original: marked_html(REVIEW_MARKED, shown(segments(original, marks_original))),
            self.marked_edited: marked_html(EDITED_MARKED, shown(segments(edited, marks_edited))),
            self.plot: self.plot_update(frame := trajectories_frame(c), last),
            self.plot_note: note,
            self.results: gr.Column(visible=True),
        }, frame

    @staticmethod
    def plot_update(frame: pd.DataFrame, last: int) -> gr.LinePlot:
        """The plot with its colours for exactly the series drawn (a colour for a series not in the data leaves
        the chart without its lines, as the Train tab's curves found too), its axis one word longer when a change
        is marked at its end (a grey line on the plot's edge is hidden by the frame)."""
        markers = frame["series"].str.startswith("changed")
        colors = LINE_COLORS | dict.fromkeys(frame.loc[markers, "series"].unique(), MARKER_COLOR)
        axis = word_axis(last)
        if markers.any() and frame.loc[markers, "word"].max() >= axis[1]:
            axis[1] += 1
        return gr.LinePlot(value=frame, x_lim=axis, color_map=colors)

    def empty(self) -> dict:
        return {
            self.summary: "",
            self.verdicts: "",
            self.marked_original: "",
            self.marked_edited: "",
            self.plot: gr.LinePlot(value=no_lines()),
            self.plot_note: "",
            self.results: gr.Column(visible=False),
        }
