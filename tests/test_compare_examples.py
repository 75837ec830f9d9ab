"""The "Edit and compare" examples: real test reviews, small edits, and claims true of the shipped models."""

import json
import shutil
import sys
from pathlib import Path

import pytest

from sentiment import load_predictor, tokenize
from sentiment.compare_examples import EXAMPLES_FILE, NEEDED, coverage, load_examples, outcome
from sentiment.diff import diff_texts

from .conftest import ROOT, SHIPPED

EXAMPLES = load_examples()


@pytest.fixture(scope="module")
def both():
    return load_predictor(SHIPPED, device="cpu", baseline=SHIPPED.parent / "ngram-imdb")


def test_the_examples_show_what_the_issue_asks():
    assert 3 <= len(EXAMPLES) <= 8 and len({e.name for e in EXAMPLES}) == len(EXAMPLES)
    assert coverage(EXAMPLES) == [], "missing: " + "; ".join(coverage(EXAMPLES))
    assert set(NEEDED) <= {(e.model_follows, e.baseline_follows) for e in EXAMPLES}


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_each_example_is_a_real_test_review_with_a_small_edit(example, imdb):
    test = imdb["test"]
    assert test.texts[example.test_index] == example.original
    assert example.gold == ("positive" if test.labels[example.test_index] == 1 else "negative")
    d = diff_texts(example.original, example.edited)
    changed = sum(max(len(c.before), len(c.after)) for c in d.changes)
    assert 1 <= changed <= max(4, len(tokenize(example.original)) // 3)  # a few words, not a new review


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_each_claim_holds_for_the_shipped_models(example, both):
    """If this fails after a checkpoint changed: ``python bench/compare_examples.py --write`` re-derives the claims
    (and says whether the examples still show what they must)."""
    c = both.compare(example.original, example.edited, trajectory=False)
    assert outcome(c, example.gold) == (example.model_follows, example.baseline_follows), (
        f"BiLSTM {c.original.probability:.3f} -> {c.edited.probability:.3f}, baseline "
        f"{c.original.baseline['probability']:.3f} -> {c.edited.baseline['probability']:.3f}"
    )


def test_the_script_finds_a_wrong_claim_and_rewrites_it(tmp_path, imdb_path, capsys):
    sys.path.insert(0, str(ROOT / "bench"))
    import compare_examples as script

    copy = tmp_path / "examples.json"
    shutil.copy(EXAMPLES_FILE, copy)
    raw = json.loads(copy.read_text())
    raw[0]["model_follows"] = not raw[0]["model_follows"]
    copy.write_text(json.dumps(raw))
    args = ["--data", str(imdb_path), "--examples", str(copy)]
    assert script.main(args) == 1
    assert "WRONG" in capsys.readouterr().out
    assert script.main([*args, "--write"]) == 0
    assert load_examples(copy) == EXAMPLES
    assert script.main(args) == 0


def test_rule_edits_swap_sentiment_words_and_turn_ratings_over():
    sys.path.insert(0, str(ROOT / "bench"))
    from compare_examples import rule_edits

    edits = dict(rule_edits("A great cast, a Wonderful script. 8/10"))
    assert set(edits.values()) == {
        "A great cast, a Dreadful script. 8/10",
        "A terrible cast, a Dreadful script. 8/10",
        "A great cast, a Wonderful script. 2/10",
    }
    assert rule_edits("Nothing to swap here.") == []


def test_a_broken_examples_file_is_refused(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"name": "x"}]))
    with pytest.raises(ValueError, match="example 0 must have exactly the keys"):
        load_examples(bad)


def test_outcome_needs_the_right_verdict_first(both):
    """Following an edit means being right on the review and then turning: a model wrong on the original never follows."""
    c = both.compare("A wonderful, moving film.", "A dreadful, tedious film.", trajectory=False)
    assert outcome(c, "positive") == (True, True)
    assert outcome(c, "negative") == (False, False)
    assert Path(EXAMPLES_FILE).is_file()
