"""Pretraining the encoder as two language models on real reviews: it learns, resumes, and fine-tuning starts from it."""

import json
import shutil
import sys

import pytest
import torch

from sentiment import ModelConfig, TrainConfig, fit, prepare
from sentiment.data import DataUnavailableError, load_imdb
from sentiment.pretrain import (
    BiLanguageModel,
    LMHeldout,
    LMStep,
    PretrainConfig,
    PretrainedError,
    encoder_config,
    heldout_perplexity,
    load_pretrained,
    prepare_text,
    pretrain,
    start_from,
)
from sentiment.text import tokenize

from .conftest import ROOT

sys.path.insert(0, str(ROOT))
import pretrain as pretrain_cli  # noqa: E402

TINY = dict(
    embed_dim=16,
    hidden_dim=16,
    min_freq=2,
    max_vocab=3000,
    chunk_tokens=120,
    batch_size=16,
    lr=5e-3,
    warmup_steps=5,
    epochs=1.0,
    heldout_reviews=20,
    cutoffs=(500,),
    save_every=0.0,
)


@pytest.fixture(scope="module")
def unlabeled(imdb_path):
    return load_imdb(imdb_path, splits=("unsupervised",))["unsupervised"]


@pytest.fixture(scope="module")
def tiny(unlabeled):
    cfg = PretrainConfig(**TINY)
    tokens = [tokenize(t) for t in unlabeled.texts[:240]]
    return cfg, prepare_text(tokens[20:], tokens[:20], cfg)


def test_unlabeled_reviews_load_as_the_hubs_unsupervised_split(unlabeled):
    assert len(unlabeled) == 50000 and set(unlabeled.labels) == {-1}


def test_language_model_predicts_each_directions_neighbour(tiny):
    """The forward half at t predicts word t+1, the backward half at t+1 predicts word t; padding predicts nothing."""
    cfg, data = tiny
    lm = BiLanguageModel(
        encoder_config(len(data.vocab), cfg), PretrainConfig(**{**TINY, "predict_fraction": 1.0})
    ).eval()
    ids, lengths, _ = data.train.batch([0, 1, 2])
    loss, n = lm.loss(ids, lengths)
    assert n == 2 * int((lengths - 1).sum())
    # the same reviews one at a time give the same mean loss: padding does not leak in
    total = sum(
        lm.loss(ids[i : i + 1, : lengths[i]], lengths[i : i + 1])[0].item() * 2 * (int(lengths[i]) - 1)
        for i in range(3)
    )
    assert loss.item() == pytest.approx(total / n, rel=1e-5)


def test_pretraining_lowers_heldout_perplexity_and_resumes(tiny, tmp_path):
    cfg, data = tiny
    torch.manual_seed(0)
    lm = BiLanguageModel(encoder_config(len(data.vocab), cfg), cfg)
    before = heldout_perplexity(lm, data.heldout)
    events = list(pretrain(lm, data, cfg, tmp_path / "full", heldout_every=1000))
    steps = [e for e in events if isinstance(e, LMStep)]
    final = [e for e in events if isinstance(e, LMHeldout)][-1]
    assert steps[-1].step == steps[-1].total_steps and final.perplexity < 0.6 * before
    # killed after 3 steps (the state is saved on stop), then resumed: it carries on from step 4 to the same end
    torch.manual_seed(0)
    first = BiLanguageModel(encoder_config(len(data.vocab), cfg), cfg)
    seen = []
    for e in pretrain(first, data, cfg, tmp_path / "resumed", should_stop=lambda: len(seen) >= 3, heldout_every=1000):
        seen += [e] if isinstance(e, LMStep) else []
    assert json.loads((tmp_path / "resumed" / "state.json").read_text())["step"] == 3
    again = BiLanguageModel(encoder_config(len(data.vocab), cfg), cfg)
    rest = [
        e.step for e in pretrain(again, data, cfg, tmp_path / "resumed", heldout_every=1000) if isinstance(e, LMStep)
    ]
    assert rest[0] == 4 and rest[-1] == steps[-1].total_steps
    assert heldout_perplexity(again, data.heldout) == pytest.approx(final.perplexity, rel=0.02)


def test_pretrain_command_writes_an_encoder_that_fine_tuning_starts_from(imdb_path, imdb, tmp_path, capsys):
    out, state = tmp_path / "lm", tmp_path / "state"
    flags = ["--data", str(imdb_path), "--limit", "200", "--out", str(out), "--state", str(state)]
    for name, value in TINY.items():
        flags += [f"--{name.replace('_', '-')}", *map(str, value if isinstance(value, tuple) else [value])]
    assert pretrain_cli.main(flags) == 0
    assert "held-out perplexity" in capsys.readouterr().out
    assert (
        pretrain_cli.main(flags) == 0 and "already finished" in capsys.readouterr().err
    )  # the same command again: nothing to redo
    metrics = json.loads((out / "metrics.json").read_text())
    assert (
        metrics["heldout_perplexity"] > 1
        and metrics["tokens_per_second"] > 0
        and metrics["command"].startswith("python pretrain.py")
    )
    pre = load_pretrained(out)
    assert pre.model_config.bidirectional and pre.model_config.hidden_dim == 16
    model = start_from(pre, ModelConfig(**{**vars(pre.model_config), "pooling": "maxmean", "fc_dim": 8}))
    assert torch.equal(model.embedding.weight, pre.encoder_state["embedding.weight"])
    cfg = TrainConfig(epochs=1, batch_size=16, valid_size=100, train_limit=100, seed=3)
    data = prepare(imdb["train"], cfg, vocab=pre.vocab)
    assert data.vocab.itos == pre.vocab.itos
    assert list(fit(model, data, cfg))[-1].best_valid_accuracy > 0
    # sizes that disagree with the pretrained encoder: one message naming the file and the mismatch
    with pytest.raises(PretrainedError, match=r"config\.json.*hidden_dim=32 \(pretrained: 16\)"):
        start_from(pre, ModelConfig(**{**vars(pre.model_config), "hidden_dim": 32}))


def test_a_broken_pretrained_folder_is_one_clear_message(tmp_path, tiny):
    with pytest.raises(PretrainedError, match="no such pretrained encoder folder"):
        load_pretrained(tmp_path / "missing")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "config.json").write_text('{"kind": "something else"}')
    with pytest.raises(PretrainedError, match="not a pretrained encoder"):
        load_pretrained(tmp_path / "bad")


def test_missing_unlabeled_reviews_name_the_file_and_labeled_training_still_works(imdb_path, tmp_path, capsys):
    folder = tmp_path / "imdb"
    folder.mkdir()
    for name in ("train", "test"):
        (folder / f"{name}.parquet").symlink_to(imdb_path / f"{name}.parquet")
    with pytest.raises(DataUnavailableError, match=r"unsupervised\.parquet") as e:
        load_imdb(folder, splits=("train", "unsupervised"))
    assert "to_parquet" in str(e.value) and "does not need them" in str(e.value)
    assert pretrain_cli.main(["--data", str(folder), "--out", str(tmp_path / "lm")]) == 2
    assert "unsupervised.parquet" in capsys.readouterr().err
    assert len(load_imdb(folder)["train"]) == 25000  # labeled training is unaffected
    (folder / "unsupervised.parquet").write_bytes(b"not a parquet file")
    with pytest.raises(DataUnavailableError, match=r"unsupervised\.parquet: malformed"):
        load_imdb(folder, splits=("unsupervised",))
    shutil.rmtree(folder)
