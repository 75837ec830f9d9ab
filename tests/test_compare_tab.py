"""The Predict tab's "Edit and compare" section, read by component, and the Gradio API's /compare through
gradio_client against the real server."""

from html.parser import HTMLParser

import pandas as pd
import pytest
from gradio_client import Client

from webapp import models
from webapp.compare import MAX_MARKERS
from webapp.settings import MAX_REVIEW_CHARS

ORIGINAL = "The story was moving and the cast superb; I would watch it again."
EDITED = "The story was not moving and the cast dreadful; I would never watch it again."


class Marked(HTMLParser):
    """The text of a marked review as drawn, in pieces with their marks (None outside any), and its title."""

    def __init__(self, page_html: str):
        super().__init__()
        self.pieces, self.title, self._mark, self._where = [], "", None, None
        self.feed(page_html)

    def handle_starttag(self, tag, attrs):
        self._where = {"strong": "title", "div": "text"}.get(tag, self._where)
        self._mark = dict(attrs).get("data-mark") if tag == "mark" else self._mark

    def handle_endtag(self, tag):
        self._mark = None if tag == "mark" else self._mark
        self._where = "legend" if tag == "strong" else self._where

    def handle_data(self, data):
        if self._where == "title":
            self.title += data
        elif self._where == "text":
            self.pieces.append((data, self._mark))


def frame(plot) -> pd.DataFrame:
    """The data a LinePlot update sends to the page."""
    return pd.DataFrame(plot.value["data"], columns=plot.value["columns"])


@pytest.fixture(scope="module")
def section(page_ui):
    return page_ui.predict.edit_compare


def test_analyze_gives_verdicts_marked_words_both_lines_and_a_sentence(section):
    out = section.analyze(ORIGINAL, EDITED)
    expected = models.shipped_predictor().compare(ORIGINAL, EDITED)
    assert out[section.summary] == f"**{expected.summary()} (3 words changed.)**"
    assert out[section.results].visible is True
    table = out[section.verdicts]
    assert f"{expected.original.probability:.1%} positive" in table and "Baseline" in table
    original, edited = Marked(out[section.marked_original]), Marked(out[section.marked_edited])
    assert (original.title, edited.title) == ("Review: words changed", "Edited copy: words changed")
    assert [(t, m) for t, m in original.pieces if m] == [("superb", "replaced")]
    assert [(t, m) for t, m in edited.pieces if m] == [
        ("not", "inserted"),
        ("dreadful", "replaced"),
        ("never", "inserted"),
    ]
    assert "".join(t for t, _ in edited.pieces) == EDITED  # the whole text, in its own spelling
    data = frame(out[section.plot])
    lines = {s: g for s, g in data.groupby("series")}
    assert len(lines["review"]) == len(expected.original.tokens) and len(lines["edited copy"]) == len(
        expected.edited.tokens
    )
    assert lines["edited copy"]["positive"].tolist() == pytest.approx(expected.edited.trajectory)
    markers = sorted(s for s in lines if s.startswith("changed"))
    assert markers == ["changed 1", "changed 2", "changed 3"]
    assert lines["changed 1"]["word"].tolist() == [4.0, 4.0] and lines["changed 1"]["positive"].tolist() == [0, 1]


def test_html_breaks_show_as_line_breaks_and_the_words_stay_marked(section):
    out = section.analyze("Great film.<br /><br />I loved it.", "Great film.<br /><br />I hated it.")
    assert Marked(out[section.marked_edited]).pieces == [
        ("Great film.\n\nI ", None),
        ("hated", "replaced"),
        (" it.", None),
    ]


def test_removed_words_are_marked_between_words_on_the_plot(section):
    out = section.analyze("It was not a good film", "It was a good film")
    data = frame(out[section.plot])
    assert data[data["series"] == "changed 1"]["word"].tolist() == [2.5, 2.5]
    assert [(t, m) for t, m in Marked(out[section.marked_original]).pieces if m] == [("not", "removed")]


def test_many_changes_are_marked_up_to_a_limit(section):
    words = [f"w{i}" for i in range(60)]
    edited = [w if i % 2 else "good" for i, w in enumerate(words)]
    out = section.analyze(" ".join(words), " ".join(edited))
    data = frame(out[section.plot])
    assert data["series"].str.startswith("changed").sum() == 2 * MAX_MARKERS
    assert "30 changes; the first 20 are marked" in out[section.plot_note]


def test_the_examples_fill_the_boxes_with_line_breaks_not_html_and_the_same_words(section):
    from sentiment.compare_examples import load_examples
    from sentiment.text import tokenize

    examples = load_examples()
    assert any("<br />" in e.original for e in examples)  # IMDb's own breaks, as published
    for (original, edited), e in zip(section.examples.examples, examples, strict=True):
        assert "<br" not in original + edited
        assert tokenize(original) == tokenize(e.original) and tokenize(edited) == tokenize(e.edited)
    assert any("\n\n" in original for original, _ in section.examples.examples)


@pytest.mark.parametrize(
    "original, edited, message",
    [
        ("", "text", "review box is empty"),
        ("A fine film.", "   ", "edited review is empty"),
        ("A fine film.", "!!! ...", "edited review has no words"),
        ("A fine film. " * 8000, "A fine film.", "original text is 104,000 characters long"),
    ],
)
def test_a_text_with_nothing_to_read_gives_one_message_and_clears(section, original, edited, message):
    with pytest.warns(UserWarning, match=message):
        out = section.analyze(original, edited)
    assert out[section.summary] == "" and out[section.marked_original] == ""
    assert out[section.results].visible is False  # the results' blocks hidden: no empty gap above the plot


# ---------------------------------------------------------------- the Gradio API, through gradio_client


@pytest.fixture(scope="module")
def client(app_server):
    return Client(app_server, verbose=False)


def test_compare_endpoint_contract(client):
    result = client.predict(ORIGINAL, EDITED, api_name="/compare")
    assert set(result) == {"original", "edited", "changed"}
    expected = models.shipped_predictor().compare(ORIGINAL, EDITED).to_dict()
    for side in ("original", "edited"):
        got = result[side]
        assert set(got) == {"label", "probability", "trajectory", "baseline"}
        assert got["label"] == expected[side]["label"]
        assert got["probability"] == pytest.approx(expected[side]["probability"], abs=1e-6)
        assert got["trajectory"] == pytest.approx(expected[side]["trajectory"], abs=1e-6)
        assert got["baseline"] == {
            "label": expected[side]["baseline"]["label"],
            "probability": pytest.approx(expected[side]["baseline"]["probability"], abs=1e-6),
        }
    assert result["changed"] == [
        {"index": 3, "before": "", "after": "not"},
        {"index": 7, "before": "superb", "after": "dreadful"},
        {"index": 10, "before": "", "after": "never"},
    ]


def test_compare_endpoint_identical_texts(client):
    result = client.predict(ORIGINAL, ORIGINAL, api_name="/compare")
    assert result["changed"] == [] and result["original"] == result["edited"]


@pytest.mark.parametrize(
    "original, edited, message",
    [
        ("", EDITED, "The original review has no words"),
        (ORIGINAL, "...", "The edited review has no words"),
        (ORIGINAL, "x" * (MAX_REVIEW_CHARS + 1), "The edited text is 100,001 characters long"),
    ],
)
def test_compare_endpoint_names_the_text_at_fault(client, original, edited, message):
    with pytest.raises(Exception, match=message):
        client.predict(original, edited, api_name="/compare")
    assert client.predict(ORIGINAL, EDITED, api_name="/compare")["changed"]  # the server keeps answering


def test_the_page_gets_the_running_verdicts_data_before_their_axis_and_colours(section):
    first, second = list(section.analyze_page(ORIGINAL, EDITED))
    assert first[section.plot].color_map is None and first[section.plot].x_lim is None
    assert second[section.plot].color_map and second[section.plot].x_lim[0] == 1
    assert frame(first[section.plot]).equals(frame(second[section.plot]))


def test_marked_text_is_escaped_never_markup(section):
    attack = 'A <b>great</b> film & more, 5 < 6 "so" <img src=x onerror=alert(1) '
    out = section.analyze(attack, attack.replace("great", "dull"))
    marked = out[section.marked_edited]
    assert "<img" not in marked and "<b>" not in marked  # the whole tag dropped, the unclosed one escaped
    assert "&lt;img src=x onerror=alert(1)" in marked and "5 &lt; 6" in marked and "&quot;so&quot;" in marked
    assert "".join(t for t, _ in Marked(marked).pieces) == 'A dull film & more, 5 < 6 "so" <img src=x onerror=alert(1) '
    assert ("dull", "replaced") in Marked(marked).pieces


def test_a_change_at_the_last_word_is_marked_inside_the_plot_not_on_its_edge(section):
    out = section.analyze("It was a good film, I think", "It was a good film, I guess")
    changed = frame(out[section.plot]).query("series == 'changed 1'")["word"]
    assert set(changed) == {7.0} and out[section.plot].x_lim == [1, 8]  # 7 words read, the change at the 7th
    inner = section.analyze("It was a good film, I think", "It was a bad film, I think")
    assert inner[section.plot].x_lim == [1, 7]  # a change inside: the axis ends at the last word
