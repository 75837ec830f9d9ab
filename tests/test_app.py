"""The Gradio app: handlers called directly, and a real server answering gradio_client."""

import gradio as gr
import pandas as pd
import pytest
from gradio_client import Client

import app

POSITIVE = "A wonderful, moving film with brilliant acting. I loved every minute and will watch it again."
SETTINGS = dict(epochs=1, reviews=200, rnn_type="lstm", bidirectional=True, embed_dim=16, hidden_dim=16, lr=3e-3, batch_size=16)


def test_analyze_returns_every_output_for_a_real_review():
    label, probability, table, counts, highlights = app.analyze(POSITIVE, app.SHIPPED, {})
    assert label["positive"] == pytest.approx(probability, abs=1e-4) and probability > 0.5
    assert label["positive"] + label["negative"] == pytest.approx(1)
    assert list(table["token"]) == app.shipped_predictor().predict(POSITIVE).tokens
    assert list(table.columns) == ["#", "token", "id", "unknown", "push"]
    assert f"**{len(table)}** tokens" in counts
    assert [tok.strip() for tok, _ in highlights] == list(table["token"])
    assert {cat for _, cat in highlights} <= {None, *app.COLORS}


def test_unknown_tokens_are_marked_and_long_reviews_are_flagged():
    _, _, table, counts, _ = app.analyze("great qwzxvbnm movie " * 1200, app.SHIPPED, {})
    assert set(table.loc[table["id"] == 1, "unknown"]) == {"<unk>"}
    assert "cut to its first" in counts and len(table) == app.shipped_predictor().max_tokens


@pytest.mark.parametrize("text", ["", "   \n\t "])
def test_empty_review_gives_a_clear_message(text):
    with pytest.raises(gr.Error, match="empty"):
        app.analyze(text, app.SHIPPED, {})
    with pytest.raises(gr.Error, match="empty"):
        app.predict(text)


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(epochs=10000), "epochs must be between"),
        (dict(reviews=-5), "reviews must be between"),
        (dict(hidden_dim=100000), "hidden_dim must be between"),
        (dict(embed_dim="big"), "embed_dim must be a whole number"),
        (dict(epochs=1.5), "epochs must be a whole number"),
        (dict(lr=5.0), "lr must be between"),
        (dict(batch_size=None), "batch_size must be a whole number"),
        (dict(rnn_type="transformer"), "recurrent type"),
        (dict(bidirectional="yes"), "bidirectional must be"),
    ],
)
def test_training_settings_out_of_range_are_refused_before_any_work(change, message, monkeypatch):
    monkeypatch.setattr(app, "imdb_train", lambda: pytest.fail("data was loaded before the settings were checked"))
    with pytest.raises(gr.Error, match=message):
        next(app.train_model(**(SETTINGS | change), session={}))


def test_a_tiny_training_run_updates_the_plot_and_ends_with_a_usable_model(imdb_path, monkeypatch):
    monkeypatch.setenv("IMDB_DATA", str(imdb_path))
    session = {}
    updates = list(app.train_model(**SETTINGS, session=session))
    plots = [u[0] for u in updates if isinstance(u[0], pd.DataFrame)]
    validation_points = [len(p[p["series"] == "validation"]) for p in plots]
    assert validation_points == sorted(validation_points) and validation_points[-1] == app.CHECKS_PER_EPOCH
    assert len({len(p) for p in plots}) >= 4  # the plot grew several times during one epoch
    assert plots[-1]["epoch"].max() == pytest.approx(1.0)
    summary, choice, download = updates[-1][3], updates[-1][4], updates[-1][5]
    assert "Validation accuracy" in summary
    assert choice["value"] == app.TRAINED and download["value"].endswith(".zip")
    label, probability, table, _, _ = app.analyze(POSITIVE, app.TRAINED, session)
    assert 0 <= probability <= 1 and len(table) > 5
    # another visitor's session has no trained model and falls back to the shipped one
    assert app.analyze(POSITIVE, app.TRAINED, {})[1] == app.analyze(POSITIVE, app.SHIPPED, {})[1]


def test_predict_endpoint_through_gradio_client(app_server):
    result = Client(app_server, verbose=False).predict(POSITIVE, api_name="/predict")
    assert result["label"] == "positive" and 0.5 < result["probability"] <= 1
    assert len(result["tokens"]) == len(result["ids"]) == len(result["attributions"]) > 10
    assert result["tokens"][:3] == ["a", "wonderful", "moving"]


def test_unreachable_data_is_reported_plainly_in_the_train_tab(tmp_path, monkeypatch):
    monkeypatch.setenv("IMDB_DATA", str(tmp_path / "no-imdb-here"))
    app.imdb_train.cache_clear()
    try:
        with pytest.raises(gr.Error, match="IMDB_DATA"):
            next(app.train_model(**SETTINGS, session={}))
    finally:
        app.imdb_train.cache_clear()


def test_a_visitor_leaving_deletes_their_checkpoint_folder(tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    app.forget_session({"folder": str(folder)})
    assert not folder.exists()
    app.forget_session({})


def test_model_tab_describes_the_loaded_model_and_its_branch_mix():
    text, curves = app.model_card()
    model, metrics = app.shipped_predictor().model, app.shipped_predictor().metrics
    w_rnn, w_ngram, bias = model.branch_mix.tolist()
    assert f"{w_rnn:.2f} × LSTM logit + {w_ngram:.2f} × n-gram logit" in text
    assert f"{metrics['test_accuracy']:.2%}" in text and f"n-grams {metrics['branches']['test']['ngram']:.2%}" in text
    assert len(curves) == 2 * len(metrics["history"])
