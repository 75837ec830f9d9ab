"""The Model tab, read against the loaded checkpoint's own metrics.json (no figure typed here)."""

from pathlib import Path

import pytest

from devtools import ROOT, SHIPPED
from sentiment.metrics import Metrics, MetricsError
from webapp import models
from webapp.model_tab import AVERAGED_CURVES_TITLE, CURVES_TITLE, curves, model_card


def test_model_tab_describes_the_loaded_model():
    text, shown = model_card()
    predictor = models.shipped_predictor()
    m, c = Metrics.from_dict(predictor.metrics), predictor.model.config
    assert f"bidirectional LSTM × 1, {c.hidden_dim} units per direction" in text
    assert f"- **test accuracy ({m.test_reviews:,} reviews)**: {m.test_accuracy:.2%}" in text
    for teacher in m.teachers or []:
        assert f"`{Path(teacher['path']).name}` ({teacher['test_accuracy']:.2%} test)" in text
    if m.teachers:
        assert f"teachers' probabilities on {m.unlabeled_reviews:,} unlabeled IMDb reviews" in text
    assert "--data PATH" in text or "--data" not in m.command
    # the command exactly as the README gives it
    command = text.split("- **training command**: `")[1].split("`")[0]
    if Path(predictor.path).resolve() == (ROOT / "checkpoints" / "bilstm-imdb").resolve():
        assert command in (ROOT / "README.md").read_text()
    if (m.train_config or {}).get("adversarial"):
        assert f"embeddings pushed by {m.train_config['adversarial']:g} (L2 per review)" in text
    # an average of two checkpoints says so, and its plot shows how its share was chosen
    if soup := m.extra.get("soup"):
        assert f"- **weights averaged**: {1 - soup['alpha']:.0%} of the model it continued from" in text
        assert "how the share was chosen: under the plot below" in text and f"{soup['floor']:.2%}" in shown.note
        assert shown.x == "share" and f"a = {soup['alpha']:g}" in shown.title
    else:
        assert "- **weights averaged**: no" in text
        assert len(shown.frame) == len(m.history) + sum(h["train_accuracy"] is not None for h in m.history)
    expected = curves(m)
    assert (shown.title, shown.x, shown.note) == (expected.title, expected.x, expected.note)
    assert shown.frame.equals(expected.frame)


def test_an_average_plots_how_its_share_was_chosen_a_single_model_its_training_curves():
    from dataclasses import replace

    m = Metrics.read(SHIPPED)
    scored = [{"alpha": a, "valid": 0.91 + a / 100, "sentences": 0.8 + a / 10} for a in (0.0, 0.3, 0.5, 1.0)]
    soup = {"a": "runs/r3", "b": "runs/r4", "alpha": 0.3, "floor": 0.9, "scored": scored}
    shown = curves(replace(m, extra={"soup": soup}))
    assert shown.title == "Choosing the average's share: a = 0.3" and shown.x == "share"
    by_series = {name: list(zip(g["share"], g["accuracy"])) for name, g in shown.frame.groupby("series")}
    assert by_series["validation"] == [(r["alpha"], r["valid"]) for r in scored]
    assert by_series["dev. sentences"] == [(r["alpha"], r["sentences"]) for r in scored]
    assert by_series["floor"] == [(0.0, 0.9), (1.0, 0.9)]
    assert by_series["chosen a"] == [(0.3, 0.8), (0.3, 0.92)]  # a vertical line at the share, over every point
    # under the plot, each share tried in a row (the plot's scale cannot tell tenths of a point apart)
    rows = [line for line in shown.note.splitlines() if line.startswith("- ")]
    assert rows[0] == "- a = 0: validation 91.00%, sentences 80.00%"
    assert rows[1] == "- **a = 0.3: validation 91.30%, sentences 83.00%, chosen**"
    assert rows[-1] == "- a = 1: validation 92.00%, sentences 90.00%" and len(rows) == len(scored)
    assert "at or above the floor, 90.00%" in shown.note
    below = curves(replace(m, extra={"soup": soup | {"floor": 0.915}})).note
    assert "- a = 0: validation 91.00%, sentences 80.00%, under the floor" in below
    # an average that kept no scores of its shares: the fine-tuned round's curves, named as such; no floor: no line
    unscored = curves(replace(m, extra={"soup": {k: v for k, v in soup.items() if k != "scored"}}))
    assert unscored.title == AVERAGED_CURVES_TITLE and unscored.x == "epoch"
    assert "floor" not in set(curves(replace(m, extra={"soup": soup | {"floor": None}})).frame["series"])
    single = curves(replace(m, extra={}))
    assert single.title == CURVES_TITLE and list(single.frame.columns) == ["epoch", "accuracy", "series"]


def test_metrics_are_schema_checked_naming_the_key_and_round_trip():
    with pytest.raises(MetricsError, match="'train_reviews' is missing"):
        Metrics.from_dict({"valid_accuracy": 0.9})
    with pytest.raises(MetricsError, match="'valid_accuracy' should be float"):
        Metrics.from_dict(
            {"valid_accuracy": "high", "train_reviews": 1, "valid_reviews": 1, "train_seconds": 1, "history": []}
        )
    raw = {
        "valid_accuracy": 0.9,
        "train_reviews": 10,
        "valid_reviews": 5,
        "train_seconds": 1.5,
        "history": [],
        "new_key": 1,
    }
    m = Metrics.from_dict(raw)
    assert m.extra == {"new_key": 1} and m.to_dict() == raw


def test_model_tab_shows_the_suite_of_the_model_beside_the_baseline():
    from sentiment.behaviour import read_results
    from webapp.model_tab import behaviour_table

    suite = behaviour_table()
    table = suite.table
    stored = read_results(models.shipped_predictor().path)
    assert stored is not None, (
        "the shipped checkpoint carries its behaviour.json (python -m sentiment.behaviour --write)"
    )
    baseline = read_results(models.baseline_predictor().path)
    for name, r in stored["capabilities"].items():
        row = table[table["capability"] == name].iloc[0]
        assert row["BiLSTM"] == f"{r['pass_rate']:.1%}"
        assert f"- **{name}** ({r['n']:,} cases): {r['description']}" in suite.checks
        assert row["baseline"] == f"{baseline['capabilities'][name]['pass_rate']:.1%}"


def test_model_tab_names_the_words_the_model_misreads_even_alone():
    from sentiment import behaviour
    from webapp.model_tab import behaviour_table, misread_words

    rows = behaviour.read_results(models.shipped_predictor().path)["by_word"]
    assert {r["word"] for r in rows} == set(
        behaviour.POSITIVE + behaviour.NEGATIVE + [v for v, _ in behaviour.LIKE_VERBS]
    )
    assert misread_words(rows) in behaviour_table().intro
    # made-up rows: one word read the wrong way in 3 of 8 plain sentences, one read right in 5 of 8
    word = lambda w, alone, misses: dict(  # noqa: E731
        word=w, polarity=1, alone=alone, frames=8, frame=f"The {{noun}} was {w}.", misses=misses, reviews=0, positive=0
    )
    made = [word("clever", 3, {"negated positive": [4, 5], "contrast": [1, 2]}), word("good", 5, {"contrast": [2, 9]})]
    text = misread_words(made)
    assert '*clever* (read positive in 3 of 8 plain sentences "The … was clever."' in text and "good" not in text
    assert "5 of the 7 cases that turn on it missed" in text and "5 of its 7 misses" in text
    assert misread_words(made[1:]) == "" and misread_words([]) == ""
    second = misread_words([*made, word("engaging", 0, {"negated positive": [2, 3]})])  # the next ones, shorter
    assert "*engaging* (right alone in 0 of 8; 2 of 3 missed)" in second and "7 of its 9 misses" in second


def test_what_the_model_was_taught_says_whether_edits_were_among_it():
    from dataclasses import replace

    from webapp.model_tab import card_rows

    m = replace(Metrics.read(SHIPPED), earlier_rounds=None)  # one round alone first; earlier rounds below
    taught = lambda metrics: dict(card_rows(metrics))["taught what changes meaning"]  # noqa: E731
    with_edits = replace(m, augmented_examples=100, augment={"sentences": 60, "edits": True})
    sentences_only = replace(m, augmented_examples=60, augment={"sentences": 60, "edits": False})
    assert "swapped for opposites" in taught(with_edits) and "swapped" not in taught(sentences_only)
    assert taught(sentences_only).startswith("60 more examples") and taught(replace(m, augmented_examples=None)) == "no"
    pairs = replace(m, augmented_examples=60, augment={"sentences": 60, "edits": False, "pairs": True})
    assert "minimal pairs" in taught(pairs) and "minimal pairs" not in taught(sentences_only)
    idioms = replace(m, augmented_examples=60, augment={"sentences": 60, "edits": False, "pairs": True, "idioms": 0.15})
    assert "negation idioms" in taught(idioms) and "idioms" not in taught(pairs)
    mild = replace(m, augmented_examples=60, augment={"sentences": 60, "edits": False, "pairs": True, "mild": 0.3})
    assert "milder words" in taught(mild) and "milder" not in taught(idioms)
    kept = replace(m, augmented_examples=60, augment={"sentences": 60, "edits": False, "labels_from": "runs/r2-reads"})
    assert "probabilities of r2-reads" in taught(kept) and "probabilities" not in taught(mild)
    # a last round on reviews alone, after a round that was taught: the card says where it was taught
    rounds = [
        {"train_seconds": 600.0},
        {
            "train_seconds": 1200.0,
            "augmented_examples": 60,
            "augment": {"sentences": 60, "edits": False, "pairs": True},
        },
    ]
    last = replace(m, augmented_examples=None, augment=None, earlier_rounds=rounds, train_seconds=1800.0)
    assert taught(last).startswith("in round 2 of 3, 60 more examples") and "minimal pairs" in taught(last)
    assert taught(replace(last, earlier_rounds=rounds[:1])) == "no"
    assert dict(card_rows(last))["training time"].endswith("60 min with the 2 earlier rounds it continued")
    # a last round taught again, as round 2 was: both said, the second as more of the same
    again = replace(last, augmented_examples=20, augment={"sentences": 20, "edits": False, "pairs": True, "seed": 2})
    assert taught(again).startswith("in round 2 of 3, 60 more examples")
    assert taught(again).endswith("; in round 3 of 3, 20 more of the same kinds")
    other = replace(again, augment={"sentences": 20, "edits": False})
    assert "in round 3 of 3, 20 more examples" in taught(other) and taught(other).count("minimal pairs") == 1
    # the same kinds with milder words or a model's labels added: said as an addition, not as all kinds again
    milder = replace(again, augment={"sentences": 20, "edits": False, "pairs": True, "mild": 0.3})
    assert taught(milder).endswith(
        '; in round 3 of 3, 20 more of the same kinds, 30% of them with milder words ("The cast is likable.")'
    )
    labelled = replace(again, augment={"sentences": 20, "edits": False, "pairs": True, "labels_from": "runs/k3"})
    assert taught(labelled).endswith("20 more of the same kinds, labelled by the probabilities of k3")
    idioms_added = replace(again, augment={"sentences": 20, "edits": False, "pairs": True, "idioms": 0.13})
    assert "same kinds" not in taught(idioms_added) and "in round 3 of 3, 20 more examples" in taught(idioms_added)
