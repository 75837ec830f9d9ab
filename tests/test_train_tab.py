"""The Train tab's handlers called directly, their updates read by component. Runs here are tiny."""

import dataclasses
import json
import re
import time
from types import SimpleNamespace

import gradio as gr
import pandas as pd
import pytest

from webapp import models, settings
from webapp.runs import Visitor
from webapp.settings import CHECKS_PER_EPOCH, FROM_PRETRAINED, FROM_SCRATCH, SHIPPED
from webapp.train_tab import RUN_COLUMNS

POSITIVE = "A wonderful, moving film with brilliant acting. I loved every minute and will watch it again."
SETTINGS = dict(epochs=1, reviews=200, rnn_type="lstm", bidirectional=True, embed_dim=16, hidden_dim=16)
SETTINGS |= dict(lr=3e-3, batch_size=16, start=FROM_SCRATCH)


def frame(plot) -> pd.DataFrame:
    """The data a LinePlot update sends to the page."""
    return pd.DataFrame(plot.value["data"], columns=plot.value["columns"])


@pytest.fixture(scope="module")
def tab(page_ui, imdb_path):
    return page_ui.train


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
def test_training_settings_out_of_range_are_refused_before_any_work(tab, change, message, monkeypatch):
    monkeypatch.setattr(
        models, "imdb_train", lambda **_: pytest.fail("data was loaded before the settings were checked")
    )
    with pytest.raises(gr.Error, match=message):
        next(tab.train(**(SETTINGS | change), visitor=Visitor()))


def test_pretrained_start_without_an_encoder_is_a_clear_message(tab, monkeypatch):
    monkeypatch.setattr(models, "pretrained_encoder", lambda: None)
    monkeypatch.setattr(
        models, "imdb_train", lambda **_: pytest.fail("data was loaded before the settings were checked")
    )
    with pytest.raises(gr.Error, match="No pretrained encoder"):
        next(tab.train(**(SETTINGS | {"start": FROM_PRETRAINED}), visitor=Visitor()))


def test_a_tiny_training_run_draws_both_curves_and_ends_with_a_usable_model(tab, page_ui):
    visitor, request = Visitor(), SimpleNamespace(session_hash="visitor42")
    updates = list(tab.train(**SETTINGS, visitor=visitor, request=request))
    plots = [u[tab.acc_plot] for u in updates if tab.acc_plot in u]
    frames = [frame(p) for p in plots]
    run = visitor.runs[0]
    assert run.name == "#1 BiLSTM 16"
    training, validation = "#1 training", "#1 validation"  # short names in the legend
    validation_points = [len(f[f["series"] == validation]) for f in frames]
    assert validation_points == sorted(validation_points) and validation_points[-1] == CHECKS_PER_EPOCH + 1
    assert len({len(f) for f in frames}) >= 4  # the plot grew several times during one epoch
    assert frames[-1]["epoch"].max() == pytest.approx(1.0)
    # the first run on empty plots: every update carries a colour map naming exactly the series drawn (Chart)
    assert all(set(f["series"]) == set(p.color_map) for f, p in zip(frames, plots))
    assert set(plots[-1].color_map) == {training, validation}
    # the plots' one legend, under them: the run's number, each curve's name in its line's colour
    legend = [u[tab.legend] for u in updates if tab.legend in u][-1]
    assert "<strong>#1</strong>" in legend
    assert all(f'data-series="{s}" data-color="{c}"' in legend for s, c in plots[-1].color_map.items())
    # both curves from the first plot on: the check before training is drawn with the first step
    assert all({training, validation} <= set(f["series"]) for f in frames)
    # the run's progress on the status line: what it does, a bar, and the seconds since it started, which only grow
    lines = [u[tab.status] for u in updates if tab.status in u]
    assert "Loading the IMDb reviews" in lines[0] and any("epoch 1/1 · step" in line for line in lines)
    assert all('role="progressbar"' in line for line in lines)
    seconds = [int(re.search(r"· (\d+) s$", line).group(1)) for line in lines]
    assert seconds == sorted(seconds)
    bars = [float(re.search(r'aria-valuenow="(\d+)"', line).group(1)) for line in lines]
    assert bars == sorted(bars) and bars[-1] >= 90
    last = updates[-1]
    assert "Best validation accuracy" in last[tab.summary] and f"{run.best:.1%}" in last[tab.summary]
    choice = last[tab.model_choice]
    assert choice.value == run.name and choice.choices == [(SHIPPED, SHIPPED), (run.name, run.name)]
    assert f"The Predict tab now reads with **{run.name}**" in last[tab.summary]  # says what it chose, as it does
    assert list(last[tab.runs_table]["run"]) == [run.name] and list(last[tab.runs_table].columns) == RUN_COLUMNS
    assert [f["path"] for f in last[tab.downloads].value] == [str(run.archive)] and str(run.archive).endswith(".zip")
    assert run.folder.parent == models.run_store().visitor_folder("visitor42")
    # Predict answers with the run, beside the shipped model's verdict
    predict = page_ui.predict
    out = predict.analyze(POSITIVE, run.name, visitor)
    assert 0 <= out[predict.probability] <= 1 and len(out[predict.tokens].data) > 5
    assert run.name in out[predict.compare] and SHIPPED in out[predict.compare]
    # Compare pressed with the shipped model's results above (the run picked since): they are read again by the run
    from webapp.predict_tab import Analysed

    again = {}
    for update in predict.analyze_if_changed(POSITIVE, Analysed(POSITIVE, SHIPPED), run.name, visitor):
        again |= update
    assert again[predict.analysed] == Analysed(POSITIVE, run.name) and run.name in again[predict.compare]
    # and so does Edit and compare below it: the run's verdicts, named, beside the baseline's
    section, edited = predict.edit_compare, POSITIVE.replace("loved", "hated")
    compared = section.analyze(POSITIVE, edited, run.name, visitor)
    runs_own = models.run_predictor(str(run.checkpoint)).compare(POSITIVE, edited)
    assert f"**{run.name}** (your run, reads in order) | {runs_own.original.label}, " in compared[section.verdicts]
    assert f"{runs_own.edited.probability:.1%} positive" in compared[section.verdicts]
    assert "**Baseline**" in compared[section.verdicts] and "**BiLSTM**" not in compared[section.verdicts]
    assert f"your run {run.name}" in compared[section.summary] and run.name in compared[section.plot_note]
    card = (run.checkpoint / "README.md").read_text()
    assert card.startswith(f"# {run.name}: an IMDb sentiment classifier trained in the demo's Train tab")
    assert f"{run.best:.2%}" in card and "200 IMDb training reviews" in card and "batch 16" in card
    assert f'load_predictor("{run.checkpoint.name}")' in card and "PytorchModelHubMixin" not in card
    cleared = tab.clear(visitor)
    assert visitor.runs == [] and not run.folder.exists()
    assert cleared[tab.acc_plot].value is None and cleared[tab.loss_plot].value is None  # no old legend or axes
    assert cleared[tab.runs_table].empty and cleared[tab.summary] == "" and cleared[tab.legend] == ""
    # the checkpoint carries its own README: what it is, settings, data, accuracy, how to load it
    assert not run.checkpoint.exists()


def test_a_run_started_while_another_trains_says_it_waits(monkeypatch):
    from webapp import train_tab

    monkeypatch.setattr(train_tab, "TRAINING", train_tab.Training())  # this server's own runs left alone
    assert train_tab.run_started(Visitor())[0] == "Starting the run…"
    with train_tab.TRAINING:
        waiting = train_tab.run_started(Visitor())
        assert waiting[0].startswith("**Waiting**: another visitor's run is training")
        assert waiting[3].interactive is True  # Stop live while it waits
        with train_tab.TRAINING:  # a cancelled run still closing when the next starts: the next one counts
            pass
        assert train_tab.run_started(Visitor())[0].startswith("**Waiting**")
        stopped, stop = train_tab.stop_pressed(waiting[0])
        assert stopped.startswith("**Stopped**: this run will not start") and stop.interactive is False
    assert train_tab.run_started(Visitor())[0] == "Starting the run…"
    going = train_tab.progress_line(0.4, "epoch 1/3 · step 12/30", 9.0)
    assert isinstance(train_tab.stop_pressed(going)[0], type(gr.skip()))  # a run going says so itself


def test_stop_pressed_while_a_run_waits_stops_it_before_it_starts_and_keeps_nothing(tab, monkeypatch):
    from webapp import train_tab

    monkeypatch.setattr(train_tab, "TRAINING", train_tab.Training())
    visitor = Visitor()
    train_tab.run_started(visitor)  # the press of Train; the run waits in the queue
    tab.stop(visitor)  # Stop pressed while it waits
    updates = list(tab.train(**SETTINGS, visitor=visitor))
    assert visitor.runs == [] and visitor.count == 0 and not visitor.requested
    assert all(set(u) == {tab.status} for u in updates)  # its loading line at most, no plot, no run
    # an API call after a Stop sent with no run: the Stop was not for it, it trains
    visitor.stop = True
    list(tab.train(**SETTINGS, visitor=visitor))
    assert len(visitor.runs) == 1
    models.run_store().forget(visitor)


def test_the_status_line_counts_while_the_reviews_load():
    """Reading (or downloading) the reviews sends no update of its own: the line gets one each second meanwhile."""
    from webapp.train_tab import ticking

    ticks = []
    work = ticking(lambda: time.sleep(2.5) or "read", lambda: ticks.append(len(ticks)) or len(ticks))
    assert list(work) == [1, 2]
    with pytest.raises(StopIteration) as ended:
        next(ticking(lambda: "read", lambda: "tick"))
    assert ended.value.value == "read"
    with pytest.raises(ValueError, match="no reviews"):
        list(ticking(lambda: (_ for _ in ()).throw(ValueError("no reviews")), lambda: "tick"))


def test_a_run_can_start_from_the_pretrained_encoder(tab, monkeypatch):
    pretrained = models.pretrained_encoder()
    if pretrained is None:
        pytest.skip("no pretrained encoder in checkpoints/bilstm-imdb-lm")
    monkeypatch.setattr(settings, "VALID_REVIEWS", 100)  # a model four times as wide: validate on fewer reviews
    visitor = Visitor()
    last = list(tab.train(**(SETTINGS | {"start": FROM_PRETRAINED}), visitor=visitor))[-1]
    run = visitor.runs[0]
    c = pretrained.model_config
    assert run.name == f"#1 BiLSTM {c.hidden_dim} · pretrained" and run.settings.startswith("pretrained,")
    model = models.run_predictor(str(run.checkpoint)).model
    assert model.config.vocab_size == c.vocab_size and model.config.embed_dim == c.embed_dim
    assert "#1 validation" in set(frame(last[tab.acc_plot])["series"])
    models.run_store().forget(visitor)


def test_the_pretrained_start_locks_the_encoders_sizes_and_leaving_it_gives_the_visitors_back(tab):
    pretrained = models.pretrained_encoder()
    if pretrained is None:
        pytest.skip("no pretrained encoder in checkpoints/bilstm-imdb-lm")
    c, visitor = pretrained.model_config, Visitor()
    controls = [tab.rnn_type, tab.bidirectional, tab.embed_dim, tab.hidden_dim]
    own = ("gru", False, 24, 40)
    updates = tab.encoder_controls(FROM_PRETRAINED, *own, visitor)
    assert [updates[k]["value"] for k in controls] == ["lstm", True, c.embed_dim, c.hidden_dim]
    assert all(updates[k]["interactive"] is False for k in controls)
    back = tab.encoder_controls(FROM_SCRATCH, "lstm", True, c.embed_dim, c.hidden_dim, visitor)
    assert [back[k]["value"] for k in controls] == list(own) and all(back[k]["interactive"] for k in controls)
    assert all(u["interactive"] for u in tab.encoder_controls(FROM_SCRATCH, *own, visitor).values())


@pytest.mark.alone
def test_a_run_stops_itself_within_2_s_of_the_time_budget_and_keeps_its_best_weights(tab, monkeypatch):
    import time

    budget = 6.0
    monkeypatch.setattr(settings, "SETTINGS", dataclasses.replace(settings.SETTINGS, budget_s=budget))
    visitor = Visitor()
    models.imdb_train()  # read once per server, before its first run (reading cannot be stopped half-way)
    start = time.monotonic()
    updates = tab.train(
        **(SETTINGS | {"reviews": 3000, "epochs": 5, "embed_dim": 32, "hidden_dim": 32}), visitor=visitor
    )
    last = list(updates)[-1]
    took = time.monotonic() - start  # from the press to the summary, saving and zipping included
    run = visitor.runs[0]
    assert run.ended == f"stopped at the {budget:g} s budget"
    assert took <= budget + 2, took
    assert "Time budget reached" in last[tab.summary] and f"{budget:g} s" in last[tab.summary]
    assert run.best == max(h["valid_accuracy"] for h in run.history if h["step"])  # the checks after training began
    models.run_store().forget(visitor)
    assert not run.folder.exists()


def test_stop_twice_or_without_a_run_and_leaving_mid_run_leave_nothing_behind(tab):
    tab.stop(Visitor())
    visitor = Visitor()
    tab.stop(visitor)
    tab.stop(visitor)
    run = tab.train(**(SETTINGS | {"reviews": 1000}), visitor=visitor)
    next(run)
    next(run)  # training has begun
    root = models.run_store().root
    before = set(root.rglob("*"))
    models.run_store().forget(visitor)  # the visitor closes the page
    rest = list(run)
    assert visitor.runs == [] and not any(tab.summary in u for u in rest)
    assert set(root.rglob("*")) == before


def test_unreachable_data_is_reported_plainly_in_the_train_tab(tab, tmp_path, monkeypatch):
    monkeypatch.setenv("IMDB_DATA", str(tmp_path / "no-imdb-here"))
    monkeypatch.setattr(models, "_IMDB_TRAIN", {})
    from webapp import train_tab

    monkeypatch.setattr(train_tab, "TRAINING", train_tab.Training())
    run = tab.train(**SETTINGS, visitor=Visitor())
    assert "Loading the IMDb reviews" in next(run)[tab.status]
    with pytest.raises(gr.Error, match="IMDB_DATA"):
        next(run)
    assert not train_tab.TRAINING  # a refused run leaves the server free for the next


def test_the_typical_run_figures_come_from_the_benchmarks_file_in_the_tab_and_the_readme(tab):
    from devtools import ROOT
    from webapp.train_tab import typical_run

    README_SETTINGS = "the tab's default settings"  # as bench/train_tab.py writes it

    text = typical_run()
    if not settings.TYPICAL_RUN_FILE.is_file():
        assert text == ""  # no figures rather than typed ones
        return
    typical = json.loads(settings.TYPICAL_RUN_FILE.read_text())
    assert typical["runs"] >= 3 and f"{typical['best_valid_accuracy']['median']:.1%}" in text
    readme = (ROOT / "README.md").read_text()
    assert f"-->{typical_run(README_SETTINGS)}<!-- /typical-run -->" in readme


def test_a_change_of_series_reaches_the_plots_as_data_first_then_with_its_colours():
    from webapp.runs import Run
    from webapp.train_views import Chart

    def run(n: int) -> Run:
        history = [{"epoch": e, "valid_accuracy": 0.6, "valid_loss": 0.6} for e in (0.0, 0.5)]
        return Run(n, f"#{n} BiLSTM 32", steps=[(0.25, 0.55, 0.69), (0.5, 0.6, 0.66)], history=history)

    first, second = run(1), run(2)
    chart = Chart([first])  # the plots show run #1
    updates = chart.updates([first], second)  # run #2 draws its first points
    assert [u[0].color_map is None for u in updates] == [True, False]
    assert [u[0].x_lim is None for u in updates] == [True, False]  # the range too: either redraws the chart
    assert (
        set(frame(updates[0][0])["series"])
        == set(updates[1][0].color_map)
        == {f"#{n} {c}" for n in (1, 2) for c in ("training", "validation")}
    )
    assert frame(updates[0][1]).equals(frame(updates[1][1]))  # the loss plot alike
    legend = updates[1][2]  # both runs in the legend, in order, each curve with its line's colour
    assert legend.index("<strong>#1</strong>") < legend.index("<strong>#2</strong>")
    assert all(f'data-series="{s}" data-color="{c}"' in legend for s, c in updates[1][0].color_map.items())
    second.steps.append((0.75, 0.7, 0.6))
    (update,) = chart.updates([first], second)  # same series, more points: one update, colours included
    assert set(update[0].color_map) == set(frame(update[0])["series"]) and len(frame(update[0])) == 9
    assert update[1].y_lim == [0, 0.8] and updates[0][1].y_lim is None  # the loss axis: fixed, with the colours
    second.steps.append((0.8, 0.5, 1.23))  # a loss over the axis's top raises it, to the next tenth
    assert chart.updates([first], second)[0][1].y_lim == [0, 1.3]
    second.steps.append((0.9, 0.5, float("inf")))  # a diverged run: the axis keeps to the finite losses
    assert chart.updates([first], second)[0][1].y_lim == [0, 1.3]
    assert [u[0].color_map is None for u in chart.updates([second])] == [True, False]  # run #1 left the plots
    assert len(chart.updates([])) == 1 and chart.updates([])[0][0].value is None  # cleared: nothing to draw
    assert chart.updates([])[0][2] == ""  # and no legend
    assert len(chart.updates([], first)) == 1  # a first run on empty plots: data and colours at once


def test_the_legend_escapes_what_it_is_given():
    from webapp.train_views import legend_html

    legend = legend_html({"#1 training": "#93c5fd", "#1 <b>val</b>": '"><script>x</script>'})
    assert "<script>" not in legend and "<b>" not in legend and "&lt;b&gt;val&lt;/b&gt;" in legend
    assert legend.count("<strong>#1</strong>") == 1 and legend_html({}) == ""


def test_the_plots_span_the_live_runs_planned_epochs_and_the_epochs_kept_runs_reached():
    from webapp.runs import Run
    from webapp.train_views import Chart, x_span

    stopped = Run(1, "#1 BiLSTM 32", epochs=5, steps=[(0.25, 0.55, 0.69)], history=[{"epoch": 0.5}])
    live = Run(2, "#2 BiLSTM 32", epochs=3, steps=[(0.1, 0.5, 0.7)])
    assert x_span([stopped], live) == 3  # a run stopped at half an epoch does not squeeze the next into a tenth
    assert x_span([stopped], None) == 0.5 and x_span([], None) == 0
    at_once = Run(4, "#4 BiLSTM 32", epochs=3, steps=[(0.003, 0.5, 0.69)], history=[{"epoch": 0.0}, {"epoch": 0.003}])
    assert x_span([at_once], None) == 0.25  # stopped after one step: a quarter epoch, not 0.003
    assert x_span([Run(3, "#3", epochs=2, steps=[(2.0, 0.6, 0.6)], history=[{"epoch": 2.0}])], live) == 3
    live.history.append({"epoch": 0.0, "valid_accuracy": 0.5, "valid_loss": 0.69})
    (acc, loss, _), *_ = Chart([]).updates([], live)
    assert acc.x_lim == loss.x_lim == [0, 3]  # from the first point on, not stretched as the run goes
