"""Sending line plots so the page draws what it is sent.

Gradio's plot redraws itself when its axis range or colour map changes, from the data it already holds; data
sent in the same update arrives in the drawing being replaced and is lost, so the previous review's line stays
(or new lines stay colourless). Sending the data first, then the same data with its axis and colours, draws the
right line: the first update swaps the data in the current drawing, the second redraws with it.
"""

from __future__ import annotations

from collections.abc import Iterator

import gradio as gr

SHORTEST_AXIS = 4  # words: a shorter axis gets ticks between words ("1, 2, 2, 3") from the chart
# the axes of a running verdict (probability of positive after each word read), the Predict tab's and Edit and
# compare's: the two charts read alike
RUNNING_VERDICT_AXES = dict(
    x="word",
    y="positive",
    y_lim=[0, 1],
    x_title="words read",
    x_axis_format="d",
    y_title="probability of positive",
)


def word_axis(last_word: float) -> list[float]:
    """The words-read axis: from the first word to the last, and at least to word SHORTEST_AXIS."""
    return [1, max(SHORTEST_AXIS, int(last_word))]


def data_first(out: dict, frames: dict) -> Iterator[dict]:
    """A handler's updates ``out`` as the page should get them: first with each plot of ``frames`` (component:
    its data, or None where it draws nothing) holding the data alone, then ``out`` itself (axis range and colours
    included)."""
    drawn = {plot: gr.LinePlot(value=frame) for plot, frame in frames.items() if frame is not None}
    if drawn:
        yield out | drawn
    yield out
