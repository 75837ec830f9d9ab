"""The Predict tab's handler, read by component, and the Gradio API's /predict function."""

from pathlib import Path

import gradio as gr
import pandas as pd
import pytest

from sentiment import TRAJECTORY_POINTS, Prediction
from webapp import models, predict_tab
from webapp.predict_tab import (
    DISAGREEMENT_LABELS,
    DISAGREEMENTS,
    EXAMPLE_LABELS,
    EXAMPLES,
    FOOLED,
    READING,
    READING_LABELS,
    Analysed,
    comparison,
    disagreement_label,
)
from webapp.runs import Run, Visitor
from webapp.settings import MAX_REVIEW_CHARS, SHIPPED

POSITIVE = "A wonderful, moving film with brilliant acting. I loved every minute and will watch it again."


def frame(plot) -> pd.DataFrame:
    """The data a LinePlot update sends to the page."""
    return pd.DataFrame(plot.value["data"], columns=plot.value["columns"])


@pytest.fixture(scope="module")
def tab(page_ui):
    return page_ui.predict


def test_a_clear_pans_probability_keeps_four_significant_digits(tab):
    text = "The worst movie ever made. Awful acting, a boring plot and a complete waste of time."
    probability = models.shipped_predictor().predict(text).probability
    shown = tab.analyze(text, SHIPPED, Visitor())[tab.probability]
    assert 0 < shown == pytest.approx(probability, rel=1e-3)  # not rounded to a flat 0
    assert predict_tab.shown_probability(0.99996341234) == 0.99996341 and predict_tab.shown_probability(0.5) == 0.5
    assert predict_tab.shown_probability(0.818912) == 0.8189 and predict_tab.shown_probability(1.0) == 1.0


def test_analyze_returns_every_output_for_a_real_review(tab):
    out = tab.analyze(POSITIVE, SHIPPED, Visitor())
    label, probability, table = out[tab.label], out[tab.probability], out[tab.tokens].data  # a Styler: its data
    assert out[tab.compare].startswith("**Order-blind baseline**")  # no run picked: only the baseline's verdict
    assert label["positive"] == pytest.approx(probability, abs=1e-4) and probability > 0.5
    assert label["positive"] + label["negative"] == pytest.approx(1)
    assert list(table["token"]) == models.shipped_predictor().predict(POSITIVE).tokens
    assert list(table.columns) == ["#", "token", "id", "push", "push (integrated gradients)", "unknown"]
    assert f"**{len(table)} tokens**" in out[tab.counts]
    highlights = out[tab.highlights]
    assert [word["token"].strip() for word in highlights.value] == list(table["token"])
    pushes = models.shipped_predictor().occlusion(list(table["id"]))
    assert [word["class_or_confidence"] for word in highlights.value] == predict_tab.buckets(pushes)  # by occlusion
    assert list(table["push"]) == pytest.approx(pushes, abs=1e-5)
    # shown signed to two decimals, a push that rounds to zero as "+0.00"
    shown = out[tab.tokens].to_html()
    assert all(predict_tab.signed(v) in shown for v in table["push"])
    assert [predict_tab.signed(v) for v in (-0.004, 0.004, 1.234, -2)] == ["+0.00", "+0.00", "+1.23", "-2.00"]
    assert highlights.label.endswith("(each taken out in turn)")
    trajectory = frame(out[tab.trajectory])
    assert out[tab.trajectory].x_lim == [1, len(table)]  # the axis ends at the last word
    assert list(trajectory["word"]) == list(table["#"]) and list(trajectory["token"]) == list(table["token"])
    assert trajectory["positive"].iloc[-1] == pytest.approx(probability, abs=1e-4)
    assert out[tab.trajectory_note].startswith(f"After each of the {len(table)} words read")


def test_unknown_tokens_are_marked_and_long_reviews_are_flagged(tab):
    out = tab.analyze("great qwzxvbnm movie " * 1200, SHIPPED, Visitor())
    table, trajectory, note = out[tab.tokens].data, frame(out[tab.trajectory]), out[tab.trajectory_note]
    assert set(table.loc[table["id"] == 1, "unknown"]) == {"<unk>"}
    assert out[tab.counts].startswith("The review was cut to its first **3,000 tokens**; **3,000 tokens**")
    assert len(table) == models.shipped_predictor().max_tokens
    # the running verdict covers what was read, at evenly spaced words, and says the rest was not read
    assert len(trajectory) == TRAJECTORY_POINTS and trajectory["word"].iloc[-1] == len(table)
    assert "evenly spaced" in note and "was cut" in note
    assert trajectory["positive"].iloc[-1] == pytest.approx(out[tab.probability], abs=1e-4)  # ends at the verdict


def test_text_past_the_character_limit_is_refused_with_its_length(tab):
    """The longest IMDb review is about 14,000 characters; a page keeps the texts it sent in its session,
    so the app refuses far longer ones (the Python API cuts any length: test_robustness)."""
    text = "a truly great film " * 6000  # 114,000 characters
    said = "114,000 characters long; this demo takes up to 100,000"
    with pytest.raises(gr.Error, match=said):  # the API: an error its caller gets
        predict_tab.predict(text)
    with pytest.warns(UserWarning, match=said):  # the page: a toast, and the same words under the verdict
        out = tab.analyze(text, SHIPPED, Visitor())
    assert said in out[tab.compare] and out[tab.label] is None and out[tab.tokens] is None
    assert predict_tab.predict(text[:MAX_REVIEW_CHARS], explain=False)["label"] == "positive"


@pytest.mark.parametrize("text, said", [("", "empty"), ("   \n\t ", "empty"), ("!!! ...", "no words to read")])
def test_a_review_with_nothing_to_read_gives_one_message_and_clears_the_previous_result(tab, text, said):
    with pytest.warns(UserWarning, match=said):  # gr.Warning: one toast, no error on every output
        out = tab.analyze(text, SHIPPED, Visitor())
    assert said in out[tab.compare]  # under the verdict, where a visitor looks
    assert out[tab.label] is None and out[tab.probability] is None and out[tab.tokens] is None
    assert out[tab.highlights].value is None and out[tab.counts] == ""
    with pytest.raises(gr.Error, match=said):
        predict_tab.predict(text)


def test_one_word_review_is_plotted_and_said_in_the_singular(tab):
    out = tab.analyze("great", SHIPPED, Visitor())
    assert out[tab.counts].startswith("**1 token**, **0** unknown")
    assert out[tab.trajectory_note].startswith("After the one word read")
    plot = out[tab.trajectory].value
    assert len(plot["data"]) == 2 and len({row[1] for row in plot["data"]}) == 1  # a flat line, drawn
    assert plot["data"][0][0] == 1 and out[tab.trajectory].x_lim == [1, 4]  # from word 1, on whole-word ticks


def test_the_page_gets_the_verdict_first_then_the_running_verdicts_data_before_its_axis(tab):
    """The verdict is shown while its explanations are worked out (most of the time); the chart redraws on a new
    axis with the data it holds: data first, then axis, or the old line stays."""
    from webapp.plots import SHORTEST_AXIS

    text = "The movie was not bad."
    verdict, data, axis = list(tab.analyze_page(text, SHIPPED, Visitor()))
    whole = tab.analyze(text, SHIPPED, Visitor())
    shown = (tab.label, tab.probability, tab.counts, tab.compare, tab.analysed)
    assert all(verdict[c] == whole[c] for c in shown)  # the baseline's verdict already beside it
    assert "Order-blind baseline" in verdict[tab.compare]
    assert verdict[tab.highlights].value is None and verdict[tab.tokens] is None  # no last review's pushes under it
    assert verdict[tab.trajectory].value is None and verdict[tab.trajectory_note] == predict_tab.WORKING
    assert all(axis[c] == verdict[c] for c in shown)  # the last update alone holds one review's whole results
    assert data[tab.trajectory].x_lim is None and axis[tab.trajectory].x_lim == [1, max(SHORTEST_AXIS, 5)]
    assert data[tab.trajectory].value["data"] == axis[tab.trajectory].value["data"]
    assert data[tab.highlights].value == axis[tab.highlights].value == whole[tab.highlights].value
    (only,) = list(tab.analyze_page("", SHIPPED, Visitor()))  # nothing to draw: one update
    assert only[tab.trajectory].value is None


def test_an_analysis_begun_later_wins_over_one_still_explaining(tab, monkeypatch):
    """An example clicked while a long review is explained: the long review's explanations, ready last, must not
    land over the example's results (the review box holds the example)."""
    long, short = "I loved it, every minute. " * 100, "The movie was not bad."
    visitor = Visitor()
    first = tab.analyze_page(long, SHIPPED, visitor)
    assert tab.label in next(first)  # its verdict drawn, its explanations not yet worked out
    later = list(tab.analyze_page(short, SHIPPED, visitor))
    assert later[-1][tab.analysed].review == short and later[-1][tab.trajectory_note].startswith("After")
    assert list(first) == []  # the older analysis gives way before explaining: nothing of it is sent

    explained = tab._explained

    def clicked_meanwhile(read):  # the example clicked while the long review is explained
        out = explained(read)
        monkeypatch.setattr(tab, "_explained", explained)  # the example's own analysis explains as usual
        list(tab.analyze_page(short, SHIPPED, visitor))
        return out

    monkeypatch.setattr(tab, "_explained", clicked_meanwhile)
    first = tab.analyze_page(long, SHIPPED, visitor)
    next(first)
    assert list(first) == [{tab.counts: gr.skip()}]  # one update that changes nothing (a generator's end redraws it)


def test_near_zero_pushes_stay_uncoloured_however_small_the_largest():
    assert predict_tab.buckets([0.01, -0.01, 0.002]) == [None, None, None]
    assert predict_tab.buckets([2.0, -1.5, 0.2, 0.01]) == ["strongly positive", "strongly negative", None, None]


def test_gradio_api_explain_null_means_the_default_true():
    assert "attributions" in predict_tab.predict(POSITIVE, None)


def test_a_run_the_server_no_longer_has_is_refused_not_answered_by_the_shipped_model(tab, tmp_path):
    with pytest.raises(gr.Error, match="no longer knows #1 BiLSTM 16"):
        tab.analyze(POSITIVE, "#1 BiLSTM 16", Visitor())
    gone = Visitor(runs=[Run(1, "#1 BiLSTM 16", checkpoint=Path(tmp_path / "deleted"))])
    with pytest.raises(gr.Error, match="are gone"):
        tab.analyze(POSITIVE, "#1 BiLSTM 16", gone)


def test_a_verdict_near_fifty_percent_is_called_a_close_call(tab):
    said = {}
    for text in ("Mixed feelings about this one.", "The worst movie ever made."):
        out = tab.analyze(text, SHIPPED, Visitor())
        said[text] = (out[tab.probability], "**A close call**" in out[tab.compare])
    assert all(close == (abs(p - 0.5) < predict_tab.CLOSE_CALL) for p, close in said.values()), said
    assert [close for _, close in said.values()] == [True, False], f"pick a sentence the model is unsure of: {said}"
    line = predict_tab.close_call(models.shipped_predictor().predict("Mixed feelings about this one."))
    assert line.startswith("**A close call**: the BiLSTM gives ") and "% positive" in line


def test_the_baseline_sentence_says_what_differs():
    def verdict(p, b):
        label = lambda q: "positive" if q >= 0.5 else "negative"
        return Prediction(label(p), p, ["x"], [2], baseline={"label": label(b), "probability": b})

    assert "They disagree" in comparison(verdict(0.9, 0.2)) and "the BiLSTM says positive" in comparison(
        verdict(0.9, 0.2)
    )
    assert "Both say negative; the BiLSTM is more sure" in comparison(verdict(0.01, 0.4))
    assert "Both say positive; the baseline is more sure" in comparison(verdict(0.6, 0.99))
    assert "word order changes little" in comparison(verdict(0.95, 0.9))
    assert comparison(Prediction("positive", 0.9, ["x"], [2])) == ""  # no baseline on this server


@pytest.mark.parametrize("text, gold, right", DISAGREEMENTS)
def test_the_disagreement_examples_say_truly_who_is_right(text, gold, right, imdb):
    """Each example is a real test review on which the two shipped models disagree, and the named one is right."""
    assert imdb["test"].labels[imdb["test"].texts.index(text)] == int(gold == "positive")
    ours, theirs = models.shipped_predictor().predict(text), models.baseline_predictor().predict(text)
    assert ours.label != theirs.label
    assert (ours if right == "BiLSTM" else theirs).label == gold
    who = "BiLSTM" if right == "BiLSTM" else "baseline"
    assert disagreement_label(text, gold, right).startswith(f"{gold}, {who} right: {text.split()[0]}")


@pytest.mark.parametrize("text, gold, capability", READING)
def test_the_reading_examples_are_right_where_the_baseline_is_not(text, gold, capability):
    ours, theirs = models.shipped_predictor().predict(text), models.baseline_predictor().predict(text)
    assert ours.label == gold and theirs.label != gold, (ours.probability, theirs.probability)


def test_the_example_said_to_fool_the_bilstm_does():
    """The sarcastic pan is labelled as a miss: it must be one (a model that reads it needs a new label)."""
    (sarcastic,) = [text for kind, text in EXAMPLES if kind == FOOLED]
    assert models.shipped_predictor().predict(sarcastic).label == "positive"


def test_every_example_label_fits_what_gradio_shows():
    from sentiment.compare_examples import load_examples
    from webapp.compare import _example_label
    from webapp.settings import LABEL_CHARS

    labels = EXAMPLE_LABELS + READING_LABELS + DISAGREEMENT_LABELS + [_example_label(e) for e in load_examples()]
    assert [label for label in labels if len(label) > LABEL_CHARS] == []


def test_compare_redraws_the_results_above_only_when_the_review_box_changed(tab):
    """Edit and compare's triggers run this beside the comparison: a review typed after the last analysis gets its
    own verdict above, the same review is not scored again, an empty or too long one is left to Compare's message."""
    new = "A slow start, but the last hour is wonderful."
    out = {}
    for update in tab.analyze_if_changed(new, Analysed(POSITIVE), SHIPPED, Visitor()):  # the verdict, then the rest
        out |= update
    assert out[tab.analysed] == Analysed(new, SHIPPED)
    assert out[tab.label] == tab.analyze(new, SHIPPED, Visitor())[tab.label]
    for text in (new, "", "x" * (MAX_REVIEW_CHARS + 1), "!!! ..."):  # the last has no words: Compare says so
        assert list(tab.analyze_if_changed(text, out[tab.analysed], SHIPPED, Visitor())) == [
            {tab.analysed: out[tab.analysed]}
        ], text[:10]
