"""The whole page: the three tabs, the visitor's state and its end, and the Gradio API's /predict and /compare."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from . import models, settings
from .compare import compare
from .model_tab import ModelTab
from .predict_tab import PredictTab, predict
from .runs import Visitor
from .train_tab import TrainTab

TITLE = (
    "# IMDb sentiment with a bidirectional LSTM\n"
    "Type a movie review, see what the model reads and which words moved it, or train your own in a minute."
)


@dataclass
class UI:
    demo: gr.Blocks
    predict: PredictTab
    train: TrainTab
    model: ModelTab


def forget_visitor(visitor: Visitor) -> None:
    """Gradio's delete callback of the visitor's state: stop their run and delete their files."""
    models.run_store().forget(visitor)


def end_session(request: gr.Request) -> None:
    """When a visitor's page closes (Gradio: its heartbeat ended): delete every file their runs left. A run
    still going is cancelled by Gradio; a run picked later in Predict then says its files are gone."""
    models.run_store().end(request.session_hash)


def build() -> UI:
    """Build the page (no model is loaded until first used)."""
    gr.set_static_paths([settings.SETTINGS.runs_root])  # run checkpoints are downloaded from where they are
    with gr.Blocks(title="IMDb sentiment · BiLSTM") as demo:
        # The visitor's runs. Their files go when the page closes (end_session); Gradio calls the delete
        # callback only for state an event has returned, which this never is, so forget_visitor is a backstop.
        visitor = gr.State(Visitor(), delete_callback=forget_visitor)
        gr.Markdown(TITLE)
        predict_tab = PredictTab(visitor)
        train_tab = TrainTab(visitor, predict_tab.model_choice)
        model_tab = ModelTab()
        demo.load(
            model_tab.load,
            None,
            model_tab.outputs,
            api_visibility="private",
        )
        demo.unload(end_session)
        gr.api(predict, api_name="predict")
        gr.api(compare, api_name="compare")
    return UI(demo, predict_tab, train_tab, model_tab)
