"""The Gradio app: handlers called directly, and a real server answering gradio_client."""

from pathlib import Path

import gradio as gr
import pandas as pd
import pytest
from gradio_client import Client

import app
from sentiment import TRAJECTORY_POINTS

POSITIVE = "A wonderful, moving film with brilliant acting. I loved every minute and will watch it again."
SETTINGS = dict(
    epochs=1,
    reviews=200,
    rnn_type="lstm",
    bidirectional=True,
    embed_dim=16,
    hidden_dim=16,
    lr=3e-3,
    batch_size=16,
    start=app.FROM_SCRATCH,
)


def frame(plot) -> pd.DataFrame:
    """The data a LinePlot update sends to the page."""
    return pd.DataFrame(plot.value["data"], columns=plot.value["columns"])


def test_analyze_returns_every_output_for_a_real_review():
    label, probability, table, counts, highlights, compare, trajectory, note = app.analyze(POSITIVE, app.SHIPPED, {})
    assert compare.startswith("**Order-blind baseline**")  # the n-gram model's verdict; no run picked, so nothing else
    assert label["positive"] == pytest.approx(probability, abs=1e-4) and probability > 0.5
    assert label["positive"] + label["negative"] == pytest.approx(1)
    assert list(table["token"]) == app.shipped_predictor().predict(POSITIVE).tokens
    assert list(table.columns) == ["#", "token", "id", "unknown", "push"]
    assert f"**{len(table)}** tokens" in counts
    assert [tok.strip() for tok, _ in highlights] == list(table["token"])
    assert {cat for _, cat in highlights} <= {None, *app.COLORS}
    assert list(trajectory["word"]) == list(table["#"]) and list(trajectory["token"]) == list(table["token"])
    assert trajectory["positive"].iloc[-1] == pytest.approx(probability, abs=1e-4)
    assert note.startswith(f"After each of the {len(table)} words read")


def test_unknown_tokens_are_marked_and_long_reviews_are_flagged():
    _, _, table, counts, _, _, trajectory, note = app.analyze("great qwzxvbnm movie " * 1200, app.SHIPPED, {})
    assert set(table.loc[table["id"] == 1, "unknown"]) == {"<unk>"}
    assert "cut to its first" in counts and len(table) == app.shipped_predictor().max_tokens
    # the running verdict covers what was read, at evenly spaced words, and says the rest was not read
    assert len(trajectory) == TRAJECTORY_POINTS and trajectory["word"].iloc[-1] == len(table)
    assert "evenly spaced" in note and "was cut" in note


def test_text_past_the_character_limit_is_refused_with_its_length():
    """The longest IMDb review is about 14,000 characters; a page of the app keeps the texts it sent in its
    session, so the app refuses far longer ones (the Python API cuts any length: test_robustness)."""
    text = "a truly great film " * 6000  # 114,000 characters
    for call in (lambda: app.predict(text), lambda: app.analyze(text, app.SHIPPED, {})):
        with pytest.raises(gr.Error, match="114,000 characters long; this demo takes up to 100,000"):
            call()
    assert app.predict(text[: app.MAX_REVIEW_CHARS], explain=False)["label"] == "positive"


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
    monkeypatch.setattr(app, "imdb_train", lambda **_: pytest.fail("data was loaded before the settings were checked"))
    with pytest.raises(gr.Error, match=message):
        next(app.train_model(**(SETTINGS | change), session={}))


def test_pretrained_start_without_an_encoder_is_a_clear_message(monkeypatch):
    monkeypatch.setattr(app, "pretrained_encoder", lambda: None)
    monkeypatch.setattr(app, "imdb_train", lambda **_: pytest.fail("data was loaded before the settings were checked"))
    with pytest.raises(gr.Error, match="No pretrained encoder"):
        next(app.train_model(**(SETTINGS | {"start": app.FROM_PRETRAINED}), session={}))


def test_a_run_can_start_from_the_pretrained_encoder(imdb_path, monkeypatch):
    monkeypatch.setenv("IMDB_DATA", str(imdb_path))
    pretrained = app.pretrained_encoder()
    if pretrained is None:
        pytest.skip("no pretrained encoder in checkpoints/bilstm-imdb-lm")
    session = {}
    last = list(app.train_model(**(SETTINGS | {"start": app.FROM_PRETRAINED, "reviews": 200}), session=session))[-1]
    run = session["runs"][0]
    assert run["name"] == f"#1 BiLSTM {pretrained.model_config.hidden_dim} · pretrained" and run["settings"].startswith(
        "pretrained,"
    )
    model = app.run_predictor(session, run["name"]).model
    assert (
        model.config.vocab_size == pretrained.model_config.vocab_size
        and model.config.embed_dim == pretrained.model_config.embed_dim
    )
    assert f"{run['name']} · validation" in set(frame(last[0])["series"])
    # the controls follow the encoder: its type and sizes, locked
    updates = app.encoder_controls(app.FROM_PRETRAINED)
    assert [u["value"] for u in updates] == [
        "lstm",
        True,
        pretrained.model_config.embed_dim,
        pretrained.model_config.hidden_dim,
    ]
    assert all(u["interactive"] is False for u in updates) and all(
        u["interactive"] for u in app.encoder_controls(app.FROM_SCRATCH)
    )
    app.forget_session(session)


def test_a_tiny_training_run_draws_both_curves_and_ends_with_a_usable_model(imdb_path, monkeypatch):
    monkeypatch.setenv("IMDB_DATA", str(imdb_path))
    session = {}
    updates = list(app.train_model(**SETTINGS, session=session))
    plots = [u[0] for u in updates if isinstance(u[0], gr.LinePlot)]
    frames = [frame(p) for p in plots]
    name = session["runs"][0]["name"]
    assert name == "#1 BiLSTM 16"
    validation_points = [len(f[f["series"] == f"{name} · validation"]) for f in frames]
    assert (
        validation_points == sorted(validation_points) and validation_points[-1] == app.CHECKS_PER_EPOCH + 1
    )  # and one before training
    assert len({len(f) for f in frames}) >= 4  # the plot grew several times during one epoch
    assert frames[-1]["epoch"].max() == pytest.approx(1.0)
    # every series the page receives has a colour in the map sent with it, so the chart redraws with it in its scale
    assert all(set(f["series"]) == set(p.color_map) for f, p in zip(frames, plots))
    assert set(plots[-1].color_map) == {f"{name} · training", f"{name} · validation"}
    summary, choice, table, files = updates[-1][3:]
    assert "Best validation accuracy" in summary and f"{session['runs'][0]['best']:.1%}" in summary
    assert choice.value == name and choice.choices == [(app.SHIPPED, app.SHIPPED), (name, name)]
    assert list(table["run"]) == [name] and list(table.columns) == app.RUN_COLUMNS
    assert [f["path"] for f in files.value] == [session["runs"][0]["archive"]] and files.value[0]["path"].endswith(
        ".zip"
    )
    label, probability, table, _, _, compare, _, _ = app.analyze(POSITIVE, name, session)
    assert 0 <= probability <= 1 and len(table) > 5
    assert name in compare and app.SHIPPED in compare
    # a session without that run (another visitor's, or this page's after the server restarted or dropped
    # its state) is told so: never answered by the shipped model under the run's name
    with pytest.raises(gr.Error, match=f"no longer knows {name}"):
        app.analyze(POSITIVE, name, {})
    folder = Path(session["runs"][0]["folder"])
    assert folder.parent.parent == app.RUNS_ROOT and (folder / Path(files.value[0]["path"]).name).exists()
    app.forget_session(session)  # the visitor leaves
    assert not folder.exists() and not folder.parent.exists()


def test_runs_are_compared_kept_up_to_five_and_cleaned_up(imdb_path, monkeypatch):
    monkeypatch.setenv("IMDB_DATA", str(imdb_path))
    monkeypatch.setattr(app, "MAX_RUNS", 2)
    session = {}
    folders = []
    for hidden in (8, 16, 24):
        last = list(
            app.train_model(**(SETTINGS | {"reviews": 200, "hidden_dim": hidden, "rnn_type": "gru"}), session=session)
        )[-1]
        folders.append(session["runs"][-1]["folder"])
    names = [r["name"] for r in session["runs"]]
    assert names == ["#2 BiGRU 16", "#3 BiGRU 24"]  # the oldest run was dropped
    assert not Path(folders[0]).exists() and all(Path(f).exists() for f in folders[1:])
    series = set(frame(last[0])["series"])
    assert series == {f"{n} · {curve}" for n in names for curve in ("training", "validation")}
    assert list(last[5]["run"]) == names
    cleared = app.clear_runs(session)
    assert session["runs"] == [] and not any(Path(f).exists() for f in folders)
    assert frame(cleared[0]).empty and cleared[5].empty


def test_a_run_stops_itself_at_the_time_budget_and_keeps_its_best_weights(imdb_path, monkeypatch):
    monkeypatch.setenv("IMDB_DATA", str(imdb_path))
    monkeypatch.setenv("TRAIN_BUDGET_SECONDS", "1")
    session = {}
    last = list(app.train_model(**(SETTINGS | {"reviews": 2000, "epochs": 3}), session=session))[-1]
    run = session["runs"][0]
    assert run["ended"] == "stopped at the 1 s budget"
    assert "Time budget reached" in last[3] and "1 s" in last[3]
    assert run["best"] == max(h["valid_accuracy"] for h in run["history"])
    app.forget_session(session)
    assert not Path(run["folder"]).exists()


def test_stop_twice_or_without_a_run_and_leaving_mid_run_leave_nothing_behind(imdb_path, monkeypatch):
    app.stop_training({})
    session = {}
    app.stop_training(session)
    app.stop_training(session)
    monkeypatch.setenv("IMDB_DATA", str(imdb_path))
    run = app.train_model(**(SETTINGS | {"reviews": 1000}), session=session)
    next(run)
    next(run)  # training has begun
    before = set(app.RUNS_ROOT.rglob("*"))
    app.forget_session(session)  # the visitor closes the page
    rest = list(run)
    assert session["runs"] == [] and not any(isinstance(u[3], str) and "Best" in u[3] for u in rest)
    assert set(app.RUNS_ROOT.rglob("*")) == before


def test_a_closed_page_deletes_the_visitors_run_files(imdb_path, monkeypatch):
    """Gradio calls end_session with the visitor's request when their page's heartbeat ends."""
    from types import SimpleNamespace

    monkeypatch.setenv("IMDB_DATA", str(imdb_path))
    request, session = SimpleNamespace(session_hash="visitor42"), {}
    list(app.train_model(**SETTINGS, session=session, request=request))
    folder = Path(session["runs"][0]["folder"])
    assert folder.exists() and folder.parent == app.session_folder(request)
    assert request.session_hash not in str(folder)  # download links do not reveal the session id
    app.end_session(request)
    assert not folder.parent.exists()
    with pytest.raises(gr.Error, match="are gone"):  # Predict says so rather than answer with another model
        app.analyze(POSITIVE, session["runs"][0]["name"], session)


def test_run_folders_without_a_new_run_for_hours_are_swept(imdb_path, monkeypatch):
    """API callers never close a page; their folders go once they get no new run for RUN_FILES_TTL_S."""
    import os
    import time

    monkeypatch.setenv("IMDB_DATA", str(imdb_path))
    old, fresh = {}, {}
    list(app.train_model(**SETTINGS, session=old))
    list(app.train_model(**SETTINGS, session=fresh))
    old_folder, fresh_folder = Path(old["folder"]), Path(fresh["folder"])
    hours_ago = time.time() - app.RUN_FILES_TTL_S - 60
    os.utime(old_folder, (hours_ago, hours_ago))
    app.sweep_old_runs()
    assert not old_folder.exists() and fresh_folder.exists()
    app.forget_session(fresh)


def test_predict_endpoint_through_gradio_client(app_server):
    client = Client(app_server, verbose=False)
    result = client.predict(POSITIVE, api_name="/predict")
    assert result["label"] == "positive" and 0.5 < result["probability"] <= 1
    assert len(result["tokens"]) == len(result["ids"]) == len(result["attributions"]) == len(result["trajectory"]) > 10
    assert result["tokens"][:3] == ["a", "wonderful", "moving"]
    assert result["trajectory"][-1] == pytest.approx(result["probability"], abs=1e-4)
    ngram = app.baseline_predictor().predict(POSITIVE)
    assert result["baseline"] == {"label": ngram.label, "probability": pytest.approx(ngram.probability)}
    # label and probability only, for callers who need speed
    quick = client.predict(POSITIVE, False, api_name="/predict")
    assert quick == {"label": result["label"], "probability": pytest.approx(result["probability"], abs=1e-6)}
    with pytest.raises(Exception, match="explain must be true or false"):
        client.predict(POSITIVE, "no", api_name="/predict")


def test_the_baseline_sentence_says_what_differs():
    from sentiment import Prediction

    def verdict(p, b):
        label = lambda q: "positive" if q >= 0.5 else "negative"  # noqa: E731
        return Prediction(label(p), p, ["x"], [2], baseline={"label": label(b), "probability": b})

    assert "They disagree" in app.comparison(verdict(0.9, 0.2)) and "the BiLSTM says positive" in app.comparison(
        verdict(0.9, 0.2)
    )
    assert "Both say negative; the BiLSTM is more sure" in app.comparison(verdict(0.01, 0.4))
    assert "Both say positive; the baseline is more sure" in app.comparison(verdict(0.6, 0.99))
    assert "word order changes little" in app.comparison(verdict(0.95, 0.9))
    assert app.comparison(Prediction("positive", 0.9, ["x"], [2])) == ""  # no baseline on this server


@pytest.mark.parametrize("text, gold, right", app.DISAGREEMENTS)
def test_the_disagreement_examples_say_truly_who_is_right(text, gold, right, imdb):
    """Each example is a real test review on which the two shipped models disagree, and the named one is right."""
    assert imdb["test"].labels[imdb["test"].texts.index(text)] == int(gold == "positive")
    ours, theirs = app.shipped_predictor().predict(text), app.baseline_predictor().predict(text)
    assert ours.label != theirs.label
    assert (ours if right == "BiLSTM" else theirs).label == gold
    assert app._disagreement_label(text, gold, right).startswith(
        f"{gold} review, the {'BiLSTM' if right == 'BiLSTM' else 'order-blind baseline'} is right"
    )


def test_unreachable_data_is_reported_plainly_in_the_train_tab(tmp_path, monkeypatch):
    monkeypatch.setenv("IMDB_DATA", str(tmp_path / "no-imdb-here"))
    monkeypatch.setattr(app, "_IMDB_TRAIN", {})
    with pytest.raises(gr.Error, match="IMDB_DATA"):
        next(app.train_model(**SETTINGS, session={}))


def test_without_data_or_hub_the_train_tab_answers_within_seconds_and_predict_still_works(tmp_path, monkeypatch):
    """A Space with no local IMDb copy whose Hub requests are dropped: the clear message comes fast."""
    import socket
    import time

    import huggingface_hub

    with socket.socket() as silent:  # takes connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        monkeypatch.delenv("IMDB_DATA", raising=False)
        monkeypatch.setattr(huggingface_hub.constants, "ENDPOINT", f"http://127.0.0.1:{silent.getsockname()[1]}")
        monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "empty-cache"))
        monkeypatch.setattr(app, "_IMDB_TRAIN", {})
        start = time.perf_counter()
        with pytest.raises(gr.Error, match="cannot be reached") as err:
            next(app.train_model(**SETTINGS, session={}))
        assert time.perf_counter() - start < 10
        assert "IMDB_DATA" in str(err.value)
        assert app.predict(POSITIVE, False)["label"] == "positive"


def test_model_tab_describes_the_loaded_model():
    text, curves = app.model_card()
    predictor = app.shipped_predictor()
    metrics, c = predictor.metrics, predictor.model.config
    assert f"bidirectional LSTM × 1, {c.hidden_dim} units per direction" in text
    assert f"{metrics['test_accuracy']:.2%}" in text and "n-gram logit" not in text
    assert (
        f"teachers' probabilities on {metrics['unlabeled_reviews']:,} unlabeled IMDb reviews: `ngram-imdb` (91.41% test)"
        in text
    )
    assert "--data PATH" in text or "--data" not in metrics["command"]
    assert f"embeddings pushed by {metrics['train_config']['adversarial']:g} (L2 per review)" in text
    assert len(curves) == 2 * len(metrics["history"])
