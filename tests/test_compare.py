"""Predictor.compare: a review and an edited copy, scored side by side, on the shipped models."""

import pytest

from sentiment import MAX_TOKENS, TRAJECTORY_POINTS, load_predictor
from sentiment.diff import diff_tokens
from sentiment.predict import Comparison, Prediction

from .conftest import SHIPPED

BASELINE = SHIPPED.parent / "ngram-imdb"


@pytest.fixture(scope="module")
def both():
    return load_predictor(SHIPPED, device="cpu", baseline=BASELINE)


def test_each_side_is_what_predict_says_of_it(both):
    original = "The story was moving and the cast superb; I would watch it again."
    edited = "The story was not moving and the cast dreadful; I would never watch it again."
    c = both.compare(original, edited)
    for side, text in ((c.original, original), (c.edited, edited)):
        alone = both.predict(text, explain=True)
        assert side.label == alone.label and side.probability == pytest.approx(alone.probability, abs=1e-5)
        assert side.tokens == alone.tokens and side.ids == alone.ids
        assert side.trajectory == pytest.approx(alone.trajectory, abs=1e-5)
        assert side.baseline == {
            "label": alone.baseline["label"],
            "probability": pytest.approx(alone.baseline["probability"]),
        }
        assert side.attributions is None  # not computed for a comparison
    assert [ch.to_dict() for ch in c.changes] == [
        {"index": 3, "before": "", "after": "not"},
        {"index": 7, "before": "superb", "after": "dreadful"},
        {"index": 10, "before": "", "after": "never"},
    ]


def test_the_running_verdicts_agree_exactly_before_the_first_change(both, imdb):
    review = next(t for t in imdb["test"].texts if 150 < len(t.split()) < 220)
    words = review.split()
    edited = " ".join(words[:60] + ["not"] + words[60:])
    c = both.compare(review, edited)
    first = c.changes[0].index
    assert 55 <= first <= 61
    assert c.edited.trajectory[:first] == c.original.trajectory[:first]  # the same prefixes, scored once
    assert c.edited.trajectory[first:] == pytest.approx(both.predict(edited, explain=True).trajectory[first:], abs=1e-5)


def test_long_reviews_get_the_same_points_as_predict(both):
    original = "a fine film, " * 150  # 450 tokens: evenly spaced points
    edited = "a fine film, " * 100 + "but a dull one, " + "a fine film, " * 60  # 510 tokens
    c = both.compare(original, edited)
    for side, text in ((c.original, original), (c.edited, edited)):
        alone = both.trajectory(both.predict(text).ids)  # what predict(text, explain=True) draws
        assert [v is None for v in side.trajectory] == [v is None for v in alone]
        assert sum(v is not None for v in side.trajectory) == TRAJECTORY_POINTS
        assert [v for v in side.trajectory if v is not None] == pytest.approx(
            [v for v in alone if v is not None], abs=1e-5
        )


def test_identical_texts_give_no_changes_and_the_same_verdicts(both):
    text = "Not bad at all, a charming little film with a terrible ending."
    c = both.compare(text, text)
    assert c.changes == () and c.to_dict()["changed"] == []
    d = c.to_dict()
    assert d["original"] == d["edited"]
    # an edit the models cannot see (punctuation, case, HTML) is no edit either
    c = both.compare(text, "NOT bad at all... a charming little film <br />with a terrible ending!!")
    assert c.changes == () and c.original.probability == c.edited.probability
    assert c.original.baseline == c.edited.baseline and "same words" in c.summary()


def test_texts_with_nothing_in_common_are_still_compared(both):
    c = both.compare("A wonderful, moving film.", "Terrible acting throughout; avoid")
    assert [ch.kind for ch in c.changes] == ["replaced"]
    assert c.diff.marks() == (["replaced"] * 4, ["replaced"] * 4)
    assert c.original.label == "positive" and c.edited.label == "negative"


def test_the_api_form(both):
    d = both.compare("I loved it", "I loved it until the ending").to_dict()
    assert set(d) == {"original", "edited", "changed"}
    for side in (d["original"], d["edited"]):
        assert set(side) == {"label", "probability", "trajectory", "baseline"}
        assert side["label"] in ("positive", "negative") and 0 <= side["probability"] <= 1
        assert set(side["baseline"]) == {"label", "probability"}
    assert len(d["original"]["trajectory"]) == 3 and len(d["edited"]["trajectory"]) == 6
    assert d["changed"] == [{"index": 3, "before": "", "after": "until the ending"}]
    __import__("json").dumps(d)  # plain JSON


@pytest.mark.parametrize(
    "original, edited, message",
    [
        ("", "A fine film.", "The original review has no words"),
        ("A fine film.", "  ... !!", "The edited review has no words"),
        ("<br />", "", "Neither the original nor the edited review"),
    ],
)
def test_an_empty_text_is_named(both, original, edited, message):
    with pytest.raises(ValueError, match=message):
        both.compare(original, edited)


def test_not_a_string_is_named(both):
    with pytest.raises(TypeError, match="the edited review must be a string"):
        both.compare("A fine film.", None)


def test_over_long_texts_are_cut_as_predict_cuts_them(both):
    long = "good " * (MAX_TOKENS + 20)
    c = both.compare(long, long + " bad", trajectory=False)  # the added word lies past what the model reads
    assert c.original.truncated and c.edited.truncated and len(c.edited.tokens) == MAX_TOKENS
    assert c.changes == () and c.original.probability == c.edited.probability
    assert c.original.probability == pytest.approx(both.predict(long).probability, abs=1e-5)
    c = both.compare("bad " + long, long, trajectory=False)  # the words read shift by one: one more "good" at the end
    assert [ch.to_dict() for ch in c.changes] == [
        {"index": 0, "before": "bad", "after": ""},
        {"index": MAX_TOKENS, "before": "", "after": "good"},
    ]


def test_without_a_baseline_or_trajectories():
    alone = load_predictor(SHIPPED, device="cpu")
    c = alone.compare("A wonderful film.", "A dreadful film.", trajectory=False)
    assert c.original.baseline is None and c.original.trajectory is None and c.edited.trajectory is None
    assert "baseline" not in c.summary() and "BiLSTM" in c.summary()


def made(label_a, p_a, label_b, p_b, base=None):
    """A comparison of two one-word texts with the verdicts given (to check the sentence, not a model)."""
    a = Prediction(label_a, p_a, ["good"], [2], baseline=base and {"label": base[0], "probability": base[1]})
    b = Prediction(label_b, p_b, ["bad"], [3], baseline=base and {"label": base[2], "probability": base[3]})
    return Comparison(a, b, diff_tokens(a.tokens, b.tokens))


@pytest.mark.parametrize(
    "comparison, sentence",
    [
        (
            made("positive", 0.97, "negative", 0.08, ("positive", 0.91, "positive", 0.88)),
            "The edit flipped the BiLSTM from positive to negative (97.0% → 8.0% positive); the baseline stayed positive (91.0% → 88.0% positive).",
        ),
        (
            made("negative", 0.2, "negative", 0.1, ("negative", 0.3, "positive", 0.6)),
            "The edit flipped the baseline from negative to positive (30.0% → 60.0% positive); the BiLSTM stayed negative (20.0% → 10.0% positive).",
        ),
        (
            made("positive", 0.9, "negative", 0.1, ("positive", 0.8, "negative", 0.2)),
            "The edit flipped both: the BiLSTM from positive to negative (90.0% → 10.0% positive), "
            "the baseline from positive to negative (80.0% → 20.0% positive).",
        ),
        (
            made("positive", 0.9, "positive", 0.7, ("positive", 0.8, "positive", 0.75)),
            "Neither model changed its verdict: the BiLSTM stayed positive (90.0% → 70.0% positive), "
            "the baseline stayed positive (80.0% → 75.0% positive).",
        ),
        (
            made("positive", 0.9, "negative", 0.4),
            "The edit flipped the BiLSTM from positive to negative (90.0% → 40.0% positive).",
        ),
    ],
)
def test_one_sentence_says_what_happened(comparison, sentence):
    assert comparison.summary() == sentence
