"""The public prediction API on the shipped checkpoint."""

import random
import re

import pytest
import torch

from sentiment import MAX_TOKENS, TrainConfig, load_predictor
from sentiment.evaluate import accuracy
from sentiment.evaluate import main as evaluate_main
from sentiment.metrics import Metrics
from sentiment.predict import OCCLUSION_TOKENS
from sentiment.text import UNK_ID

from .conftest import ROOT, SHIPPED

# On a fixed 1,000-review sample of the test split the shipped model scores within this of the test accuracy its
# metrics.json records (the sample's standard error is about 0.009).
SAMPLE_TOLERANCE = 0.03


def test_clearly_positive_and_clearly_negative_reviews(shipped):
    good = shipped.predict("One of the best films I have ever seen. Superb acting, a beautiful story, I loved it.")
    bad = shipped.predict("The worst movie ever made. Awful acting, a boring plot and a complete waste of time.")
    assert good.label == "positive" and good.probability > 0.9
    assert bad.label == "negative" and bad.probability < 0.1


def test_prediction_fields(shipped):
    p = shipped.predict("This movie was great! <br /><br />Really :)")
    assert p.tokens == ["this", "movie", "was", "great", "really", ":)"]
    assert len(p.ids) == len(p.tokens) and all(0 < i < len(shipped.vocab) for i in p.ids)
    assert 0.0 <= p.probability <= 1.0 and p.label in ("positive", "negative")
    assert p.attributions is None and p.occlusion is None and not p.truncated
    fields = {"label", "probability", "tokens", "ids", "occlusion", "attributions", "truncated", "unknown"}
    assert set(p.to_dict()) >= fields


def test_batch_gives_the_same_scores_as_one_by_one(shipped, imdb):
    texts = imdb["test"].texts[:20] + imdb["test"].texts[-20:]
    batch = shipped.predict_batch(texts, batch_size=16)
    single = [shipped.predict(t) for t in texts]
    assert [b.probability for b in batch] == pytest.approx([s.probability for s in single], abs=1e-5)
    assert [b.tokens for b in batch] == [s.tokens for s in single]


def test_attributions_add_up_to_the_score_difference(shipped, imdb):
    """Integrated gradients' completeness: the shares sum to logit(review) - logit(baseline), on real reviews too,
    up to the error of a finite integral (small on most reviews, larger where the score turns sharply)."""
    texts = ["Not bad at all, a charming little film with a terrible ending."] + imdb["test"].texts[::2500]
    errors = []
    explained = shipped.predict(texts[0], explain=True)
    assert explained.attributions == shipped.attributions(explained.ids)  # what an explained prediction carries
    for text in texts:
        ids = shipped.predict(text).ids
        assert len(shipped.attributions(ids)) == len(ids)
        errors.append(shipped.completeness_miss(ids))
    assert sorted(errors)[len(errors) // 2] < 0.06 and max(errors) < 0.3, errors  # a wrong baseline misses by ~45%


def test_words_push_the_way_you_would_expect(shipped):
    """In a review that says one thing the deciding words push its way (where praise and blame mix, the shipped
    model's pushes can point against the words: a limit the model card measures)."""
    good = shipped.predict("A wonderful film, I loved it.", explain=True)
    bad = shipped.predict("An awful film, I hated it.", explain=True)
    assert dict(zip(good.tokens, good.attributions))["wonderful"] > 0 > dict(zip(bad.tokens, bad.attributions))["awful"]


def score(predictor, ids: list[int]) -> float:
    return predictor.model(torch.tensor([ids]), torch.tensor([len(ids)])).item()


def test_occlusion_is_the_score_fall_when_a_word_is_read_as_unknown(shipped):
    """Each word's push is the logit of the review minus the logit with that word alone read as <unk>; on a
    sentence that turns on "but", the words push the way a reader weighs them (integrated gradients do not)."""
    text = "The acting was weak, but the story was wonderful."
    p = shipped.predict(text, explain=True)
    assert p.occlusion == shipped.occlusion(p.ids)  # what an explained prediction carries
    assert shipped.occlusion_width(len(p.ids)) == 1
    for i in range(len(p.ids)):
        out = p.ids[:i] + [UNK_ID] + p.ids[i + 1 :]
        assert p.occlusion[i] == pytest.approx(score(shipped, p.ids) - score(shipped, out), abs=1e-4)
    pushes = dict(zip(p.tokens, p.occlusion))
    assert pushes["wonderful"] > 0 > pushes["weak"], pushes
    shares = dict(zip(p.tokens, p.attributions))  # what the highlights showed before, and the model card says
    assert shares["wonderful"] < 0 < shares["but"], shares


def test_occlusion_of_a_model_without_a_one_pass_path_scores_the_copies_whole():
    """The n-gram baseline (no LSTM) gets its occlusion from whole copies: the same definition."""
    baseline = load_predictor(ROOT / "checkpoints" / "ngram-imdb", device="cpu")
    ids = baseline.predict("Not bad at all, but the ending was weak.").ids
    falls = baseline.occlusion(ids)
    for i in range(len(ids)):
        out = ids[:i] + [UNK_ID] + ids[i + 1 :]
        assert falls[i] == pytest.approx(score(baseline, ids) - score(baseline, out), abs=1e-4)


def test_occlusion_of_a_long_review_takes_out_groups(shipped, imdb):
    """A review too long for one copy per word has groups of neighbours taken out together; each word gets its
    group's fall, and the copies stay within the budget (at least 32 of them)."""
    text = next(t for t in imdb["test"].texts if len(t.split()) > 600)
    ids = shipped.predict(text).ids
    width = shipped.occlusion_width(len(ids))
    assert width > 1 and -(-len(ids) // width) * len(ids) <= max(32 * len(ids), OCCLUSION_TOKENS)
    falls = shipped.occlusion(ids)
    assert len(falls) == len(ids) and len(set(falls[:width])) == 1 and falls[width] != falls[0]
    last = len(ids) - (len(ids) - 1) % width - 1  # the last group's first word
    out = ids[:last] + [UNK_ID] * (len(ids) - last)
    assert falls[-1] == pytest.approx(score(shipped, ids) - score(shipped, out), abs=1e-4)
    assert shipped.occlusion_width(len(ids), budget=len(ids) ** 2) == 1


def test_long_reviews_are_cut_and_say_so(shipped):
    p = shipped.predict("good " * (MAX_TOKENS + 50))
    assert p.truncated and len(p.tokens) == MAX_TOKENS


@pytest.mark.parametrize("text", ["", "   ", "!!! ... ???"])
def test_reviews_without_words_are_refused_clearly(shipped, text):
    with pytest.raises(ValueError, match="no words"):
        shipped.predict(text)


def test_not_a_string_is_refused(shipped):
    with pytest.raises(TypeError, match="must be a string"):
        shipped.predict(None)


def test_accuracy_on_a_fixed_sample_of_the_test_split(shipped, imdb):
    indices = random.Random(0).sample(range(len(imdb["test"])), 1000)
    acc = accuracy(shipped, imdb["test"].take(indices))
    recorded = Metrics.read(SHIPPED).test_accuracy
    assert abs(acc - recorded) <= SAMPLE_TOLERANCE, (acc, recorded)


def test_evaluate_command_prints_one_json_line(imdb_path, capsys):
    assert (
        evaluate_main(["--checkpoint", str(SHIPPED), "--data", str(imdb_path), "--limit", "300", "--device", "cpu"])
        == 0
    )
    line = capsys.readouterr().out.strip()
    import json

    result = json.loads(line)
    assert result["n"] == 300 and 0.8 < result["accuracy"] <= 1 and result["seconds"] >= 0


def test_load_predictor_reports_a_missing_checkpoint(tmp_path):
    from sentiment import CheckpointError

    with pytest.raises(CheckpointError, match="no such checkpoint folder"):
        load_predictor(tmp_path / "missing")


def test_shipped_checkpoint_is_small_self_contained_and_documented():
    files = {p.name: p.stat().st_size for p in SHIPPED.iterdir()}
    assert set(files) == {
        "model.safetensors",
        "config.json",
        "vocab.json",
        "metrics.json",
        "README.md",
        "behaviour.json",
    }
    assert sum(files.values()) <= 40 * 1024 * 1024
    assert (SHIPPED / "README.md").read_text() == (SHIPPED.parent.parent / "docs" / "model-card.md").read_text()
    m = Metrics.read(SHIPPED)  # schema-checked
    assert m.test_reviews == 25000 and m.train_reviews == 25000 - TrainConfig().valid_size
    assert m.valid_accuracy > 0.5 and m.test_accuracy > 0.5  # figures themselves: the model card and README
    # the teachers it learned from are shipped beside it, or were runs of its own recipe
    assert all((SHIPPED.parent.parent / t["path"]).is_dir() or t["path"].startswith("runs/") for t in m.teachers or [])


def test_shipped_checkpoint_is_a_bidirectional_lstm_alone(shipped):
    """No n-gram branch and no mix of branches, in the weights or in the config: the BiLSTM decides."""
    import dataclasses

    from safetensors import safe_open

    config = __import__("json").loads((SHIPPED / "config.json").read_text())
    assert set(config) == {f.name for f in dataclasses.fields(shipped.model.config)} and not any(
        "ngram" in k for k in config
    )
    assert config["bidirectional"] is True and config["rnn_type"] == "lstm"
    with safe_open(SHIPPED / "model.safetensors", "pt") as f:
        names = set(f.keys())
    assert names and all(n.split(".")[0] in {"embedding", "layers", "fc", "out"} for n in names), names


def test_the_model_cards_examples_are_what_the_shipped_model_answers(shipped):
    """The limits table in docs/model-card.md quotes probabilities; they must stay true of the shipped weights."""
    card = (SHIPPED.parent.parent / "docs" / "model-card.md").read_text()
    rows = re.findall(r'^\| "(.+?)" \| (\d\.\d{3}) \|', card, re.M)
    assert len(rows) >= 5
    for text, quoted in rows:
        assert shipped.predict(text).probability == pytest.approx(float(quoted), abs=6e-4), text


# ---------------------------------------------------------------- the running verdict and the baseline


@pytest.fixture(scope="module")
def with_baseline():
    return load_predictor(SHIPPED, device="cpu", baseline=SHIPPED.parent / "ngram-imdb")


def test_trajectory_has_one_point_per_token_and_ends_at_the_prediction(with_baseline, imdb):
    from sentiment import TRAJECTORY_POINTS, tokenize

    short = [t for t in imdb["test"].texts[:40] if len(tokenize(t)) <= TRAJECTORY_POINTS][:3]
    texts = ["Wonderful.", "Not bad at all, a charming little film with a terrible ending."] + short
    alone = [with_baseline.predict(t, explain=True) for t in texts]
    batched = with_baseline.predict_batch(texts, explain=True)
    for a, b in zip(alone, batched):
        assert len(a.trajectory) == len(a.tokens) and all(v is not None for v in a.trajectory)
        assert a.trajectory[-1] == pytest.approx(a.probability, abs=1e-4)
        assert a.trajectory == pytest.approx(b.trajectory, abs=1e-5)  # the same alone and batched with others
    assert len(alone[0].trajectory) == 1  # one token, one point


def test_the_baseline_verdict_comes_when_asked_and_with_explanations_by_default(with_baseline):
    text = "Not bad at all, a charming little film with a terrible ending."
    own = with_baseline.baseline.predict(text)
    quick = with_baseline.predict(text, baseline=True)  # the page's verdict: both models, nothing explained
    assert quick.baseline == {"label": own.label, "probability": pytest.approx(own.probability)}
    assert quick.attributions is None and quick.trajectory is None
    assert with_baseline.predict(text).baseline is None
    assert with_baseline.predict(text, explain=True).baseline == quick.baseline
    assert with_baseline.predict(text, explain=True, baseline=False).baseline is None
    batched = with_baseline.predict_batch([text, "Dull."], baseline=True)
    assert [b.baseline["label"] for b in batched] == [own.label, with_baseline.baseline.predict("Dull.").label]


def test_trajectory_is_the_model_on_each_prefix(with_baseline):
    p = with_baseline.predict("The plot is thin, but the acting is superb and I loved it.", explain=True)
    for end in (1, 4, 9, len(p.tokens)):
        prefix = with_baseline.predict(" ".join(p.tokens[:end]))
        assert p.trajectory[end - 1] == pytest.approx(prefix.probability, abs=1e-5)


def test_long_reviews_get_evenly_spaced_points_over_what_was_read(with_baseline):
    from sentiment import TRAJECTORY_POINTS

    p = with_baseline.predict("a fine film, " * 200, explain=True)  # 600 tokens
    points = [i for i, v in enumerate(p.trajectory) if v is not None]
    assert len(p.trajectory) == 600 and len(points) == TRAJECTORY_POINTS and points[0] == 0 and points[-1] == 599
    assert max(b - a for a, b in zip(points, points[1:])) <= 600 // TRAJECTORY_POINTS + 1
    # a review cut at MAX_TOKENS: tests/test_predict_tab.py (its table, points and last point)


def test_the_running_verdict_turns_where_the_words_do(with_baseline):
    """What the Predict tab shows on its examples; the model card discusses where the model reads them wrongly."""
    late = with_baseline.predict(
        "I loved the cast, the music and the photography, and for an hour it was a delight. "
        "Then came the ending: stupid, lazy and insulting. A total waste of my time.",
        explain=True,
    )
    then = late.tokens.index("then")
    assert (
        min(late.trajectory[1:then]) > 0.85 and late.probability < 0.25
    )  # sure it is positive until the last sentences ("for an hour" dips it a little)
    drops = [(b - a, tok) for a, b, tok in zip(late.trajectory, late.trajectory[1:], late.tokens[1:])]
    change, word = min(drops)
    assert word in late.tokens[late.tokens.index("ending") :] and change < -0.2  # its steepest fall is in them
    # "not bad" read as a negation (the verdict rises at "bad"), then "at all" pulls it back down (the model card
    # gives the verdicts)
    for text in ("not bad at all", "I expected a cheap cash-in, but honestly it was not bad at all."):
        p = with_baseline.predict(text, explain=True)
        bad = p.tokens.index("bad")
        assert p.trajectory[bad] > p.trajectory[bad - 1] + 0.1 and p.trajectory[bad + 2] < p.trajectory[bad] - 0.1


def test_explained_predictions_carry_the_baselines_verdict(with_baseline):
    from sentiment import load_predictor as load

    text = "This isn't a bad movie. However it has absolutely no replay value at all."
    p = with_baseline.predict(text, explain=True)
    ngram = load(SHIPPED.parent / "ngram-imdb", device="cpu").predict(text)
    assert p.baseline == {"label": ngram.label, "probability": pytest.approx(ngram.probability)}
    assert with_baseline.predict(text).baseline is None  # only when explaining
    assert load_predictor(SHIPPED, device="cpu").predict(text, explain=True).baseline is None  # no baseline loaded
