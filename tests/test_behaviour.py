"""The behaviour suite's generators make what they claim, the training augmentation stays apart from
them, and the CLI (its ``main``, what ``python -m sentiment.behaviour`` runs) works on a tiny checkpoint
with the documented JSON."""

import dataclasses
import difflib
import json
import random
import re
import shutil

import pytest
import torch

from devtools import ROOT, SHIPPED
from sentiment import ModelConfig, SentimentRNN, Vocab, behaviour, load_imdb, load_predictor, save_checkpoint
from sentiment import augment as aug
from sentiment.edits import OPPOSITES, SENTIMENT_WORDS, flip_review, neutral_sentences
from sentiment.text import tokenize

NEGATION = re.compile(r"\b(not|never|no longer|hardly)\b|n't\b")
# every negation the training sentences use (augment.NEGATED, VERB_NEGATED)
TRAINING_NEGATION = re.compile(r"\b(not|never|nothing|far from|barely|hardly|scarcely|no longer|nobody)\b|n't\b", re.I)


@pytest.fixture(scope="module")
def suite(imdb):
    return {cap.name: cap for cap in behaviour.build_suite(imdb["test"])}


def test_flip_swaps_decisive_words_keeping_case():
    edited, swaps = flip_review("Great acting and a good story. I loved it!")
    assert edited == "Terrible acting and a bad story. I hated it!"
    assert swaps == [("great", "terrible"), ("good", "bad"), ("loved", "hated")]


@pytest.mark.parametrize(
    "text",
    [
        "A good film, 8/10.",
        "Good cast, but it sucks.",
        "It was about a man and his dog.",
        "I was hoping it would be good.",
    ],
)
def test_flip_refuses_what_it_cannot_flip(text):
    assert flip_review(text) is None  # a rating, a cue with no opposite, nothing to swap, a voiced expectation


def test_flipped_edit_differs_from_its_source_only_in_swapped_words(suite):
    cases, reserve = suite["flipped edits"].cases, suite["flipped edits"].reserve
    assert len(cases) >= 50 and {c.label for c in cases} == {0, 1}
    assert {c.source for c in reserve}.isdisjoint(c.source for c in cases) and {c.label for c in reserve} == {0, 1}
    for case in cases + reserve:
        before, after = tokenize(case.original), tokenize(case.text)
        assert after == tokenize(" ".join(OPPOSITES.get(w, w) for w in before))  # each swappable word swapped, no other
        assert sum(w in OPPOSITES for w in before) >= 2
        assert re.sub(r"[A-Za-z\s]+", "", case.text) == re.sub(
            r"[A-Za-z\s]+", "", case.original
        )  # punctuation untouched


def test_the_read_edits_are_the_suites_and_at_least_50_of_them_flip(suite):
    """edits_read.json names edits by their test review: they must be the ones the suite makes (a change to the
    generator that made other edits would leave the reading about cases no longer there)."""
    read = json.loads(behaviour.READ_FILE.read_text(encoding="utf-8"))
    made = [c.source for c in suite["flipped edits"].cases + suite["flipped edits"].reserve]
    assert sorted(read["read"]) == sorted(made) and set(read["flips"]) <= set(read["read"])
    assert len(set(read["flips"])) >= 50


class Oracle:
    """Answers every case of the suite with its label (or its opposite): what a perfect reader would say."""

    def __init__(self, suite, wrong: bool = False):
        self.labels = {
            c.text: c.label for cap in suite.values() for c in cap.cases + cap.reserve if c.label is not None
        }
        self.wrong = wrong

    def predict_batch(self, texts, batch_size=128):
        from types import SimpleNamespace

        return [SimpleNamespace(probability=float(self.labels.get(t, 1) != self.wrong)) for t in texts]


def test_read_edits_are_scored_over_the_cases_and_the_reserve(suite):
    flips = set(json.loads(behaviour.READ_FILE.read_text(encoding="utf-8"))["flips"])
    edits = {"flipped edits": suite["flipped edits"]}
    right = behaviour.run_suite(Oracle(suite), list(edits.values()))["capabilities"]["flipped edits"]
    wrong = behaviour.run_suite(Oracle(suite, wrong=True), list(edits.values()))["capabilities"]["flipped edits"]
    assert right["pass_rate"] == 1.0 and right["n"] == len(suite["flipped edits"].cases)
    assert right["read_and_flipping"]["n"] == len(flips) and right["read_and_flipping"]["pass_rate"] == 1.0
    assert wrong["read_and_flipping"]["pass_rate"] == 0.0
    assert right["read_and_flipping"]["read"] == len(json.loads(behaviour.READ_FILE.read_text())["read"])


def test_negated_sentences_are_negated(suite):
    for name, words in (("negated positive", behaviour.POSITIVE), ("negated negative", behaviour.NEGATIVE)):
        cases = suite[name].cases
        assert len(cases) >= 50 and {c.label for c in cases} == {0 if name == "negated positive" else 1}
        in_reviews = 0
        for case in cases:
            last = re.split(r"(?<=[.!?]) ", case.text)[-1]  # the template is the last sentence
            in_reviews += last != case.text
            m = NEGATION.search(last)
            assert m, last
            rest = tokenize(last[m.end() :])
            verbs = [v for v, _ in behaviour.LIKE_VERBS] + [p for _, p in behaviour.LIKE_VERBS]
            assert any(w in words or w in verbs for w in rest), last
        assert in_reviews >= len(cases) // 3  # the same inside real review text


def test_contrast_cases_are_decided_by_the_last_clause(suite):
    cases = suite["contrast"].cases
    assert len(cases) >= 50
    for case in cases:
        last = re.split(r"(?<=[.!?]) ", case.text)[-1]
        assert re.search(r", but |^Although |; however, ", last), last
        final_word = tokenize(last)[-1]
        assert final_word in (behaviour.POSITIVE if case.label else behaviour.NEGATIVE)


def test_invariance_edits_leave_sentiment_words_alone(suite):
    cases = suite["invariance"].cases
    assert len(cases) >= 50
    for case in cases:
        before, after = tokenize(case.original), tokenize(case.text)
        assert before != after or case.text != case.original
        for op, i1, i2, _, _ in difflib.SequenceMatcher(None, before, after, autojunk=False).get_opcodes():
            if op != "equal":
                assert not any(w in SENTIMENT_WORDS or w in OPPOSITES for w in before[i1:i2]), before[i1:i2]


def test_suite_is_the_same_every_time(imdb, suite):
    again = behaviour.build_suite(imdb["test"])
    assert [c.text for cap in again for c in cap.cases] == [c.text for cap in suite.values() for c in cap.cases]


def test_suite_is_the_one_the_shipped_results_were_scored_on(suite):
    # behaviour.json of the shipped models (the Model tab's tables) holds the counts and first misses of the
    # suite as it was built then: a change to how cases are drawn would leave those figures stale
    for folder in (SHIPPED, ROOT / "checkpoints" / "ngram-imdb"):
        stored = behaviour.read_results(folder)["capabilities"]
        assert list(stored) == list(suite)
        for name, result in stored.items():
            texts = {c.text[:300] for c in suite[name].cases}
            assert result["n"] == len(suite[name].cases), (folder.name, name)
            assert all(f["text"] in texts for f in result["failed"]), (folder.name, name)
        assert sum(len(r["failed"]) for r in stored.values()) >= 10  # misses to check them by


def test_each_made_up_case_names_the_word_it_turns_on(suite):
    past = dict(behaviour.LIKE_VERBS)
    for name in behaviour.BY_WORD:
        for case in suite[name].cases:
            last = tokenize(re.split(r"(?<=[.!?]) ", case.text)[-1])
            polarity = case.label if name in ("vocabulary", "contrast") else 1 - case.label
            assert case.word in (behaviour.POSITIVE if polarity else behaviour.NEGATIVE) or case.word in past, case
            assert case.word in last or past.get(case.word) in last, case
            if name == "contrast":
                assert last[-1] == case.word  # the word after the turn
    assert all(c.word is None for name in ("flipped edits", "invariance") for c in suite[name].cases)


def test_by_word_accounts_for_every_made_up_case_and_miss(tiny_checkpoint, imdb, suite):
    predictor = load_predictor(tiny_checkpoint, device="cpu")
    rows = behaviour.by_word(predictor, list(suite.values()), imdb["test"])
    result = behaviour.run_suite(predictor, [suite[name] for name in behaviour.BY_WORD])["capabilities"]
    past = dict(behaviour.LIKE_VERBS)
    assert sorted(r.word for r in rows) == sorted(behaviour.POSITIVE + behaviour.NEGATIVE + list(past))
    assert [r.missed for r in rows] == sorted((r.missed for r in rows), reverse=True)
    for name in behaviour.BY_WORD:
        n = len(suite[name].cases)
        assert sum(r.misses[name][1] for r in rows if name in r.misses) == n
        assert sum(r.misses[name][0] for r in rows if name in r.misses) == round((1 - result[name]["pass_rate"]) * n)
    test = imdb["test"]
    for r in rows:
        frames = [f"I {past[r.word]} the {n}." if r.word in past else f"The {n} was {r.word}." for n in behaviour.NOUNS]
        assert r.alone == sum(int(p.probability >= 0.5) == r.polarity for p in predictor.predict_batch(frames))
        assert [r.frame.format(noun=n) for n in behaviour.NOUNS] == frames and r.frames == len(frames)
        assert 0 <= r.positive <= r.reviews <= len(test)
    good = next(r for r in rows if r.word == "good")
    holding = [y for t, y in zip(test.texts, test.labels) if "good" in tokenize(t)]
    assert (good.reviews, good.positive) == (len(holding), sum(holding))
    printed = behaviour.word_table(rows)
    for r in rows:  # each word once: a row of its own if a case that turns on it was missed, else on the last line
        assert len(re.findall(rf"(?m)^{r.word} ", printed)) == (r.missed > 0)
    clean = [r.word for r in rows if not r.missed]
    assert not clean or printed.splitlines()[-1].endswith(", ".join(clean))


def test_cli_prints_the_words_table_before_the_json(tiny_checkpoint, imdb_path, capsys):
    args = ["--checkpoint", str(tiny_checkpoint), "--data", str(imdb_path), "--cases", "50", "--by-word", "--json"]
    assert behaviour.main(args) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("by word:") for line in lines)
    result = json.loads(lines[-1])
    assert set(result) == {"capabilities", "seconds", "by_word"}
    predictor = load_predictor(tiny_checkpoint, device="cpu")
    test = load_imdb(str(imdb_path), splits=("test",))["test"]
    rows = behaviour.by_word(predictor, behaviour.build_suite(test, 50), test)
    assert result["by_word"] == json.loads(json.dumps([dataclasses.asdict(r) for r in rows]))


def test_training_augmentation_uses_none_of_the_suites_words_or_templates():
    assert not set(aug.POSITIVE + aug.NEGATIVE) & set(behaviour.POSITIVE + behaviour.NEGATIVE)
    mild = aug.MILD_POSITIVE + aug.MILD_NEGATIVE  # and the milder words are none of the other lists' either
    assert len(set(mild)) == len(mild) and not set(mild) & set(aug.POSITIVE + aug.NEGATIVE)
    assert not set(mild) & set(behaviour.POSITIVE + behaviour.NEGATIVE + aug.DEV_POSITIVE + aug.DEV_NEGATIVE)
    # the development sentences' adjectives (soup.py) are neither the suite's nor any training sentence's
    assert not set(aug.DEV_POSITIVE + aug.DEV_NEGATIVE) & set(
        aug.POSITIVE + aug.NEGATIVE + behaviour.POSITIVE + behaviour.NEGATIVE
    )
    assert not set(aug.NOUNS) & set(behaviour.NOUNS)
    assert not {v for v, _ in aug.VERBS} & {v for v, _ in behaviour.LIKE_VERBS}
    suite_templates = set(behaviour.NEGATIONS + behaviour.NEGATED_VERBS + behaviour.PLAIN + behaviour.CONTRASTS)
    training_templates = aug.PLAIN + aug.NEGATED + aug.AFFIRMED + aug.VERB_PLAIN + aug.VERB_NEGATED + aug.VERB_AFFIRMED
    assert not suite_templates & set(training_templates + aug.CONTRASTS)
    idiom_words = {w for t in aug.NEGATIVE_IDIOMS + aug.POSITIVE_IDIOMS for w in tokenize(t)}
    suite_words = behaviour.POSITIVE + behaviour.NEGATIVE + behaviour.NOUNS
    assert not idiom_words & {*suite_words, *(w for pair in behaviour.LIKE_VERBS for w in pair)}


def test_augmentation_edits_only_the_reviews_it_is_given(imdb):
    train = imdb["train"].take(range(0, 25000, 50))
    extra = aug.augment(train, aug.AugmentConfig(sentences=300, seed=3))
    edits = len(extra) - 300
    assert edits > 50
    flipped = {flip_review(t)[0]: 1 - y for t, y in zip(train.texts, train.labels) if flip_review(t)}
    assert all(flipped.get(t) == y for t, y in zip(extra.texts[:edits], extra.labels[:edits]))
    train_sentences = {s for t in train.texts for s in neutral_sentences(t)}
    test_only = {s for t in imdb["test"].texts[:3000] for s in neutral_sentences(t)} - train_sentences
    assert not any(s in text for text in extra.texts[edits:] for s in test_only)
    assert any(s in text for text in extra.texts[edits:] for s in train_sentences)  # real review text is used


def test_augmented_sentences_and_their_twins_have_the_label_their_words_say():
    rng = random.Random(0)
    twins = 0
    for _ in range(500):
        first, first_label, twin = aug.sentence_and_twin(rng)
        for text, label in [(first, first_label)] + ([(twin, 1 - first_label)] if twin else []):
            negated = bool(TRAINING_NEGATION.search(text))
            if re.search(r"\b(yet|even though|still|despite|but|nevertheless|while|though)\b", text, re.IGNORECASE):
                continue  # contrasts: checked by their template's construction
            words = tokenize(text)
            polarity = (
                1 if any(w in aug.POSITIVE or w in {"appreciate", "adore", "admire", "recommend"} for w in words) else 0
            )
            polarity = polarity if not any(p in words for _, p in aug.VERBS) else 1
            assert label == (1 - polarity if negated else polarity), text
        twins += twin is not None
    assert 300 < twins < 450  # negated and contrasted sentences (4 in 5) have twins, plain ones none


def test_minimal_pairs_differ_only_where_the_meaning_turns():
    assert len(aug.AFFIRMED) == len(aug.NEGATED) and len(aug.VERB_AFFIRMED) == len(aug.VERB_NEGATED)
    rng = random.Random(1)
    for _ in range(300):
        text, _, twin = aug.sentence_and_twin(rng)
        if twin is None:
            continue
        a, b = ([w for w in tokenize(t) if w not in ("a", "an")] for t in (text, twin))
        if sorted(a) == sorted(b):  # a contrast: the same words, the two adjectives swapped
            changed = [(x, y) for x, y in zip(a, b) if x != y]
            assert len(changed) == 2 and changed[0] == changed[1][::-1], (text, twin)
            continue
        assert TRAINING_NEGATION.search(text) and not TRAINING_NEGATION.search(twin), (text, twin)
        nouns = {w for noun in aug.NOUNS for w in noun.split()}
        kept = {w for w in a if w in aug.POSITIVE + aug.NEGATIVE or w in nouns}
        assert kept <= set(b), (text, twin)  # the same adjective and noun


def test_augmentation_with_pairs_sets_each_twin_in_the_same_review_text(imdb):
    train = imdb["train"].take(range(0, 25000, 250))
    extra = aug.augment(train, aug.AugmentConfig(sentences=400, edits=False, pairs=True, seed=2))
    assert len(extra) == 400
    base = aug.augment(train, aug.AugmentConfig(sentences=400, edits=False, seed=2))
    assert extra.texts != base.texts
    pairs = 0
    for (t1, y1), (t2, y2) in zip(zip(extra.texts, extra.labels), zip(extra.texts[1:], extra.labels[1:])):
        d = [op for op in difflib.ndiff(tokenize(t1), tokenize(t2)) if op[0] in "+-"]
        if y1 != y2 and 0 < len(d) <= 4:  # a twin: a word or two changed, nothing around it
            pairs += 1
    assert pairs > 100


def test_idioms_take_their_share_of_the_sentences_and_leave_the_other_draws_alone(imdb):
    train = imdb["train"].take(range(0, 25000, 250))
    idioms = {
        t.format(noun=n): y
        for y, ts in enumerate((aug.NEGATIVE_IDIOMS, aug.POSITIVE_IDIOMS))
        for t in ts
        for n in aug.WATCHED
    }
    plain = aug.augment(train, aug.AugmentConfig(sentences=1000, edits=False, seed=4))
    assert plain.texts == aug.augment(train, aug.AugmentConfig(sentences=1000, edits=False, idioms=0.0, seed=4)).texts
    assert not any(i in t for t in plain.texts for i in idioms)
    mixed = aug.augment(train, aug.AugmentConfig(sentences=1000, edits=False, idioms=0.2, seed=4))
    found = [(i, y) for t, y in zip(mixed.texts, mixed.labels) for i in idioms if i in t]
    assert 140 < len(found) < 260  # about one in five, alone or among review sentences
    assert all(idioms[i] == y for i, y in found)  # each with the label its phrase says
    assert 0.35 < sum(y for _, y in found) / len(found) < 0.65


def test_mild_words_take_their_share_with_the_label_their_words_say(imdb):
    train = imdb["train"].take(range(0, 25000, 250))
    cfg = dict(sentences=1000, edits=False, in_reviews=0.0, seed=5)
    assert (
        aug.augment(train, aug.AugmentConfig(**cfg)).texts
        == aug.augment(train, aug.AugmentConfig(**cfg, mild=0.0)).texts
    )
    mixed = aug.augment(train, aug.AugmentConfig(**cfg, mild=0.3))
    mild = set(aug.MILD_POSITIVE + aug.MILD_NEGATIVE)
    found = 0
    for text, label in zip(mixed.texts, mixed.labels):
        words = tokenize(text)
        if not mild & set(words):
            continue
        found += 1
        assert not set(words) & set(aug.POSITIVE + aug.NEGATIVE), text  # a draw takes one list or the other
        if re.search(r"\b(yet|even though|still|despite|but|nevertheless|while|though)\b", text, re.IGNORECASE):
            assert set(words) & set(aug.MILD_POSITIVE) and set(words) & set(aug.MILD_NEGATIVE), text
            continue  # which clause decides: by the template's construction, as for the other contrasts
        if any(v in words for pair in aug.VERBS for v in pair):
            continue  # verb sentences carry no adjective
        polarity = int(any(w in aug.MILD_POSITIVE for w in words))
        assert label == (1 - polarity if TRAINING_NEGATION.search(text) else polarity), text
    assert 220 < found < 380  # about three in ten


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory):
    torch.manual_seed(0)
    vocab = Vocab.build([["good", "bad", "not", "movie", "but", "the", "was"]])
    model = SentimentRNN(
        ModelConfig(vocab_size=len(vocab), embed_dim=4, hidden_dim=3, fc_dim=2, bidirectional=True, pooling="max")
    )
    return save_checkpoint(tmp_path_factory.mktemp("tiny") / "ckpt", model.eval(), vocab, {"valid_accuracy": 0.5})


def _main(capsys, *args) -> tuple[int, str]:
    """The CLI's ``main`` in this process: its exit code and what it printed on stderr."""
    code = behaviour.main(list(args))
    return code, capsys.readouterr().err


def test_cli_runs_a_tiny_checkpoint_and_prints_the_documented_json(tiny_checkpoint, imdb_path, capsys):
    code = behaviour.main(
        ["--checkpoint", str(tiny_checkpoint), "--data", str(imdb_path), "--json", "--cases", "50", "--write"]
    )
    out = capsys.readouterr().out
    assert code == 0
    result = json.loads(out.strip().splitlines()[-1])
    caps = result["capabilities"]
    assert len(caps) >= 6
    for name, r in caps.items():
        assert r["n"] >= 50 and 0.0 <= r["pass_rate"] <= 1.0 and isinstance(r["failed"], list), name
    rows = [line for line in out.splitlines()[1:] if line and not line.startswith((" ", "("))]
    assert [row[:20].strip() for row in rows[: len(caps)]] == list(caps)  # the printed table, one row per capability
    assert behaviour.read_results(tiny_checkpoint)["capabilities"] == caps


def test_cli_puts_several_checkpoints_side_by_side(tiny_checkpoint, imdb_path, tmp_path, capsys):
    torch.manual_seed(1)
    vocab = Vocab.build([["good", "bad", "great", "awful", "movie", "not"]])
    other = SentimentRNN(ModelConfig(vocab_size=len(vocab), embed_dim=4, hidden_dim=3, fc_dim=2, pooling="mean"))
    second = save_checkpoint(tmp_path / "second", other.eval(), vocab, {"valid_accuracy": 0.75, "test_accuracy": 0.5})
    args = [
        "--checkpoint",
        str(tiny_checkpoint),
        "--checkpoint",
        str(second),
        "--data",
        str(imdb_path),
        "--cases",
        "50",
    ]
    assert behaviour.main(args) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["capability", "ckpt", "second", "cases"]
    test = load_imdb(str(imdb_path), splits=("test",))["test"]
    suite = behaviour.build_suite(test, 50)
    alone = [behaviour.run_suite(load_predictor(c, device="cpu"), suite) for c in (tiny_checkpoint, second)]
    for cap in suite:
        (line,) = [x for x in lines if x.startswith(cap.name + " ")]
        rates = [f"{r['capabilities'][cap.name]['pass_rate']:.1%}" for r in alone]
        assert line[20:].split() == [*rates, str(len(cap.cases))]
    assert [x[20:].split() for x in lines if x.startswith(("validation", "IMDb test"))] == [
        ["50.00%", "75.00%"],
        ["-", "50.00%"],
    ]
    code, err = _main(capsys, *args, "--json")  # one JSON line names one model
    assert code == 2 and "--json" in err
    same_name = tmp_path / "other" / tiny_checkpoint.name  # two folders called ckpt: their paths head the columns
    same_name.parent.mkdir()
    shutil.copytree(tiny_checkpoint, same_name)
    assert behaviour.main(["--checkpoint", str(tiny_checkpoint), "--checkpoint", str(same_name), *args[4:]]) == 0
    assert capsys.readouterr().out.splitlines()[0].split()[1:3] == [str(tiny_checkpoint), str(same_name)]


def test_cli_names_a_missing_or_broken_checkpoint(tmp_path, imdb_path, capsys):
    code, err = _main(capsys, "--checkpoint", str(tmp_path / "nowhere"), "--data", str(imdb_path))
    assert code == 2 and "nowhere" in err
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text("{not json")
    code, err = _main(capsys, "--checkpoint", str(broken), "--data", str(imdb_path))  # raising would fail the test
    assert code == 2 and "broken" in err


def test_cli_says_what_data_is_missing(tiny_checkpoint, tmp_path, capsys):
    code, err = _main(capsys, "--checkpoint", str(tiny_checkpoint), "--data", str(tmp_path))
    assert code == 2 and "IMDb" in err


def test_prepare_augments_from_the_training_part_only():
    from sentiment.data import Split, train_valid_split
    from sentiment.training import TrainConfig, prepare

    reviews = Split([f"review number {i} was good" for i in range(20)], [i % 2 for i in range(20)])
    seen = []

    def extra(train):
        seen.extend(train.texts)
        return Split(["a flipped one"], [1])

    prepared = prepare(reviews, TrainConfig(valid_size=5), augment=extra)
    valid_texts = set(train_valid_split(reviews, 5, TrainConfig().seed)[1].texts)
    assert len(seen) == 15 and not set(seen) & valid_texts
    assert len(prepared.train) == 16 and len(prepared.valid) == 5


def test_weight_interpolation_ends_at_either_model_and_refuses_different_shapes():
    from sentiment.checkpoint import CheckpointError
    from sentiment.soup import interpolate

    a, b = {"w": torch.zeros(2, 2)}, {"w": torch.ones(2, 2)}
    assert torch.equal(interpolate(a, b, 0.0)["w"], a["w"]) and torch.equal(interpolate(a, b, 1.0)["w"], b["w"])
    assert torch.allclose(interpolate(a, b, 0.25)["w"], torch.full((2, 2), 0.25))
    with pytest.raises(CheckpointError, match="not the same model"):
        interpolate(a, {"w": torch.ones(3)}, 0.5)


def test_weight_averages_validate_on_the_reviews_the_runs_held_out(tiny_checkpoint, tmp_path, capsys):
    from sentiment import soup
    from sentiment.training import TrainConfig

    assert soup.held_out({}) == (5000, 1)  # the recipe's split, for runs that predate the record
    held = {"valid_reviews": 1000, "train_config": dataclasses.asdict(TrainConfig(valid_size=1000, seed=4))}
    assert soup.held_out(held) == (1000, 4)
    other = tmp_path / "other"
    shutil.copytree(tiny_checkpoint, other)
    (other / "metrics.json").write_text(json.dumps(held), encoding="utf-8")
    args = [
        "--a",
        str(tiny_checkpoint),
        "--b",
        str(other),
        "--data",
        str(tmp_path / "absent"),
        "--out",
        str(tmp_path / "s"),
    ]
    assert soup.main(args) == 2  # refused before any data is read
    assert "held out different validation reviews" in capsys.readouterr().err and not (tmp_path / "s").exists()
    reseeded = held | {"train_config": dataclasses.asdict(TrainConfig(valid_size=1000, seed=5))}
    assert soup.held_out(reseeded) != soup.held_out(held)  # the same count, other reviews


def test_the_floor_is_measured_on_the_same_held_out_reviews(tiny_checkpoint, imdb_path, tmp_path, capsys):
    from sentiment import soup

    other = tmp_path / "other"
    shutil.copytree(tiny_checkpoint, other)
    (other / "metrics.json").write_text(json.dumps({"valid_reviews": 1000}), encoding="utf-8")
    ends = ["--a", str(tiny_checkpoint), "--b", str(tiny_checkpoint), "--alphas", "0.5"]
    args = [*ends, "--floor-from", str(other), "--data", str(imdb_path), "--out", str(tmp_path / "s")]
    assert soup.main(args) == 2
    assert "held out other validation reviews than A and B" in capsys.readouterr().err
    assert not (tmp_path / "s").exists()


def test_development_sentences_use_only_adjectives_no_training_sentence_uses():
    from sentiment.soup import dev_sentences

    dev = dev_sentences(300)
    trained = set(aug.POSITIVE + aug.NEGATIVE)
    assert not any(set(tokenize(t)) & trained for t in dev.texts)
    verbs = {form for pair in aug.VERBS for form in pair}  # "I admired the casting.": a verb, no adjective
    with_adjectives = [t for t in dev.texts if not set(tokenize(t)) & verbs]
    assert len(with_adjectives) > 200 and all(
        set(tokenize(t)) & set(aug.DEV_POSITIVE + aug.DEV_NEGATIVE) for t in with_adjectives
    )
