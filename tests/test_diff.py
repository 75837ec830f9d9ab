"""The word-level diff behind "Edit and compare"."""

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sentiment.diff import diff_texts, diff_tokens, segments, token_spans
from sentiment.text import tokenize


def as_dicts(d):
    return [c.to_dict() for c in d.changes]


def test_an_inserted_word():
    d = diff_texts("The story was moving.", "The story was not moving.")
    assert as_dicts(d) == [{"index": 3, "before": "", "after": "not"}]
    assert d.changes[0].kind == "inserted" and d.changes[0].edited_index == 3
    assert d.marks() == ([None] * 4, [None, None, None, "inserted", None])


def test_words_added_at_the_end_and_at_the_start():
    d = diff_texts("I loved it", "I loved it until the ending")
    assert as_dicts(d) == [{"index": 3, "before": "", "after": "until the ending"}]
    assert d.marks()[1] == [None, None, None, "inserted", "inserted", "inserted"]
    d = diff_texts("a good film", "Honestly, a good film")
    assert as_dicts(d) == [{"index": 0, "before": "", "after": "honestly"}]


def test_a_removed_word():
    d = diff_texts("It was not a good film", "It was a good film")
    assert as_dicts(d) == [{"index": 2, "before": "not", "after": ""}]
    assert d.changes[0].kind == "removed"
    assert d.marks() == ([None, None, "removed", None, None, None], [None] * 5)


def test_a_replaced_word_and_a_replaced_phrase():
    d = diff_texts("The acting was superb and the plot gripping.", "The acting was awful and the plot a total mess.")
    assert as_dicts(d) == [
        {"index": 3, "before": "superb", "after": "awful"},
        {"index": 7, "before": "gripping", "after": "a total mess"},
    ]
    assert [c.kind for c in d.changes] == ["replaced", "replaced"]
    before, after = d.marks()
    assert before == [None, None, None, "replaced", None, None, None, "replaced"]
    assert after == [None, None, None, "replaced", None, None, None, "replaced", "replaced", "replaced"]
    assert [c.edited_index for c in d.changes] == [3, 7]


def test_punctuation_case_and_html_are_not_changes_to_the_models():
    """The models read lowercase words and emoticons only; an edit of anything else changes nothing they read."""
    d = diff_texts("Great film!!! Loved it.", "great film... <br /><br />LOVED it")
    assert d.changes == () and d.original == d.edited
    # punctuation that splits or joins words does change the words read
    assert as_dicts(diff_texts("It's fine", "Its fine")) == [{"index": 0, "before": "it s", "after": "its"}]
    # an emoticon is a word
    assert as_dicts(diff_texts("Fun :)", "Fun :(")) == [{"index": 1, "before": ":)", "after": ":("}]


def test_repeated_words_give_one_change_not_a_shuffle():
    d = diff_texts("it was very very good", "it was very good")
    assert len(d.changes) == 1 and d.changes[0].before == ("very",) and d.changes[0].after == ()
    d = diff_texts("bad, bad, bad", "bad, bad, bad, bad")
    assert as_dicts(d) == [{"index": 3, "before": "", "after": "bad"}]
    d = diff_texts("good good good", "good bad good")
    assert as_dicts(d) == [{"index": 1, "before": "good", "after": "bad"}]
    d = diff_texts("not bad, not bad at all", "not bad, bad at all")  # which "not" went is ambiguous; one did
    assert [(c.before, c.after) for c in d.changes] == [(("not",), ())]
    d = diff_texts("good, bad", "bad, good")  # a swap: one word removed and one added, the other kept
    assert sorted((c.kind, len(c.before + c.after)) for c in d.changes) == [("inserted", 1), ("removed", 1)]


def test_one_word_edited_in_a_long_review_is_one_change():
    """Without autojunk off, frequent words ("the", "and") of a review over 200 tokens are ignored when aligning."""
    rng = random.Random(0)
    words = ["the", "and", "a", "of", "film", "it", "was", "to", "is", "in"] + [f"w{i}" for i in range(40)]
    review = [rng.choice(words[:10]) if rng.random() < 0.6 else rng.choice(words) for _ in range(400)]
    edited = review[:250] + ["dreadful"] + review[251:]
    d = diff_tokens(review, edited)
    assert as_dicts(d) == [{"index": 250, "before": review[250], "after": "dreadful"}]


def test_identical_texts_have_no_changes():
    d = diff_texts("A fine film, well acted.", "A fine film, well acted.")
    assert d.changes == () and d.marks() == ([None] * 5, [None] * 5)


def test_texts_with_nothing_in_common_are_all_marked():
    d = diff_texts("A wonderful film", "Terrible acting throughout, avoid")
    assert as_dicts(d) == [{"index": 0, "before": "a wonderful film", "after": "terrible acting throughout avoid"}]
    assert d.marks() == (["replaced"] * 3, ["replaced"] * 4)


def test_an_empty_side_is_all_inserted_or_all_removed():
    assert diff_texts("", "good film").marks() == ([], ["inserted", "inserted"])
    assert diff_texts("good film", "...").marks() == (["removed", "removed"], [])


@pytest.mark.parametrize(
    "text",
    [
        "Loved it.<br /><br />Really <b>loved</b> it :-) and =D",
        "ÄRGERLICH! Straße, İstanbul, naïve ;-)",
        "",
        "   ...   ",
        "Note:Dear viewers",
    ],
)
def test_token_spans_point_at_the_tokens(text):
    spans = token_spans(text)
    tokens = tokenize(text)
    assert len(spans) == len(tokens)
    for (start, end), token in zip(spans, tokens):
        assert tokenize(text[start:end]) == [token]


def test_segments_give_the_text_back_with_the_changed_words_marked():
    original, edited = (
        "The story was moving, and the cast <i>superb</i>!",
        "The story was not moving, and the cast dreadful!",
    )
    before, after = diff_texts(original, edited).marks()
    left, right = segments(original, before), segments(edited, after)
    assert "".join(piece for piece, _ in left) == original and "".join(piece for piece, _ in right) == edited
    assert [(piece, mark) for piece, mark in left if mark] == [("superb", "replaced")]
    assert [(piece, mark) for piece, mark in right if mark] == [("not", "inserted"), ("dreadful", "replaced")]


def test_neighbouring_marked_words_share_one_piece():
    original, edited = "I loved it", "I loved it until the ending."
    right = segments(edited, diff_texts(original, edited).marks()[1])
    assert right == [("I loved it ", None), ("until the ending", "inserted"), (".", None)]


def apply(original, changes):
    """The edited tokens rebuilt from the original and the changes alone."""
    out, at = [], 0
    for c in changes:
        out += original[at : c.index] + list(c.after)
        assert list(original[c.index : c.index + len(c.before)]) == list(c.before)
        at = c.index + len(c.before)
    return out + original[at:]


@given(
    st.lists(st.sampled_from(["good", "bad", "not", "the", "film", "very"]), max_size=30),
    st.lists(st.sampled_from(["good", "bad", "not", "the", "film", "very"]), max_size=30),
)
@settings(max_examples=300, deadline=None)
def test_the_changes_rebuild_the_edited_text_and_are_few(original, edited):
    import difflib

    d = diff_tokens(original, edited)
    assert apply(original, d.changes) == edited
    assert all(c.before or c.after for c in d.changes)
    assert all(a.index + len(a.before) < b.index for a, b in zip(d.changes, d.changes[1:]))  # in order, apart
    before, after = d.marks()
    assert sum(m is not None for m in before) == sum(len(c.before) for c in d.changes)
    assert sum(m is not None for m in after) == sum(len(c.after) for c in d.changes)
    # never more word edits (a replaced, inserted or removed word each one) than difflib's own alignment
    plain = [
        op for op in difflib.SequenceMatcher(None, original, edited, autojunk=False).get_opcodes() if op[0] != "equal"
    ]
    assert sum(max(len(c.before), len(c.after)) for c in d.changes) <= sum(
        max(i2 - i1, j2 - j1) for _, i1, i2, j1, j2 in plain
    )


def test_a_word_is_marked_whole_though_only_part_of_it_changed():
    original, edited = "I can't believe a guy like him", "I'm glad a guy like him"
    before, after = diff_texts(original, edited).marks()  # tokens: i can t believe / i m glad
    assert [(piece, mark) for piece, mark in segments(edited, after) if mark] == [("I'm glad", "replaced")]
    assert [(piece, mark) for piece, mark in segments(original, before) if mark] == [("can't believe", "replaced")]
    assert "".join(piece for piece, _ in segments(edited, after)) == edited


@pytest.mark.parametrize(
    "original, edited, marked",
    [
        ("It was 'great' fun", "It was 'dull' fun", "dull"),  # quotes stay outside the word
        ("great:)", "great:(", ":("),  # an emoticon's mark is not widened to the word before it
        ("Café's best", "Café's worst", "worst"),
    ],
)
def test_widening_stops_at_quotes_and_leaves_symbols_alone(original, edited, marked):
    pieces = [(piece, mark) for piece, mark in segments(edited, diff_texts(original, edited).marks()[1]) if mark]
    assert [piece for piece, _ in pieces] == [marked]
