import json

import pytest
import torch

from sentiment import CheckpointError, ModelConfig, SentimentRNN, Vocab, load_checkpoint, save_checkpoint


@pytest.fixture
def saved(tmp_path):
    torch.manual_seed(0)
    vocab = Vocab.build([["good", "bad", "movie", "good"]])
    model = SentimentRNN(
        ModelConfig(vocab_size=len(vocab), embed_dim=4, hidden_dim=3, fc_dim=2, bidirectional=True, pooling="max")
    ).eval()
    folder = save_checkpoint(tmp_path / "ckpt", model, vocab, {"valid_accuracy": 0.5})
    return folder, model, vocab


def logits(model, ids):
    with torch.no_grad():
        return model(torch.tensor([ids]), torch.tensor([len(ids)]))


def test_save_load_gives_identical_logits(saved):
    folder, model, vocab = saved
    loaded = load_checkpoint(folder)
    ids = vocab.encode(["good", "movie", "bad", "unknownword"])
    assert torch.equal(logits(loaded.model, ids), logits(model, ids))
    assert loaded.vocab.itos == vocab.itos and loaded.metrics == {"valid_accuracy": 0.5}
    assert loaded.model.config == model.config


def test_folder_works_with_the_hub_mixin(saved):
    folder, model, vocab = saved
    assert sorted(p.name for p in folder.iterdir()) == [
        "README.md",
        "config.json",
        "metrics.json",
        "model.safetensors",
        "vocab.json",
    ]
    via_mixin = SentimentRNN.from_pretrained(folder)
    ids = vocab.encode(["bad", "movie"])
    assert torch.equal(logits(via_mixin, ids), logits(model, ids))


def test_saving_again_replaces_the_folder_and_leaves_no_temporaries(saved):
    folder, model, vocab = saved
    save_checkpoint(folder, model, vocab, {"valid_accuracy": 0.75})
    assert load_checkpoint(folder).metrics["valid_accuracy"] == 0.75
    assert [p.name for p in folder.parent.iterdir()] == [folder.name]


def test_missing_folder(tmp_path):
    with pytest.raises(CheckpointError, match="no such checkpoint folder"):
        load_checkpoint(tmp_path / "nope")


@pytest.mark.parametrize("name", ["model.safetensors", "config.json", "vocab.json"])
def test_missing_file_is_named(saved, name):
    folder = saved[0]
    (folder / name).unlink()
    with pytest.raises(CheckpointError, match=f"{name}: file missing"):
        load_checkpoint(folder)


def test_truncated_weights(saved):
    folder = saved[0]
    data = (folder / "model.safetensors").read_bytes()
    (folder / "model.safetensors").write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="model.safetensors: unreadable or corrupt"):
        load_checkpoint(folder)


def test_config_that_does_not_match_the_weights(saved):
    folder = saved[0]
    config = json.loads((folder / "config.json").read_text())
    config["hidden_dim"] = 7
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match="model.safetensors: weights do not match config.json"):
        load_checkpoint(folder)


def test_vocabulary_of_the_wrong_size(saved):
    folder = saved[0]
    itos = json.loads((folder / "vocab.json").read_text())
    (folder / "vocab.json").write_text(json.dumps(itos + ["extra"]))
    with pytest.raises(CheckpointError, match=r"vocab.json: holds \d+ tokens but config.json says vocab_size"):
        load_checkpoint(folder)


@pytest.mark.parametrize("text", ["{not json", '{"rnn_type": "lstm", "colour": "red"}'])
def test_bad_config(saved, text):
    folder = saved[0]
    (folder / "config.json").write_text(text)
    with pytest.raises(CheckpointError, match="config.json"):
        load_checkpoint(folder)


def test_weights_are_stored_in_float16_where_they_fit(tmp_path):
    from safetensors.torch import load_file

    vocab = Vocab.build([["good", "bad"]])
    model = SentimentRNN(ModelConfig(vocab_size=len(vocab), embed_dim=4, hidden_dim=3, fc_dim=2))
    with torch.no_grad():
        model.fc.weight[0, 0] = 1e6  # beyond float16's range: that tensor stays float32
        model.out.weight[0, 0] = 1 / 3
    folder = save_checkpoint(tmp_path / "ckpt", model, vocab)
    stored = load_file(folder / "model.safetensors")
    assert stored["fc.weight"].dtype == torch.float32 and stored["fc.weight"][0, 0] == 1e6
    assert {n for n, t in stored.items() if t.dtype == torch.float16} == set(stored) - {"fc.weight"}
    # the model in memory was rounded the same way, so it equals what loading gives back
    assert model.out.weight[0, 0].item() == torch.tensor(1 / 3).half().item()
    loaded = load_checkpoint(folder).model
    assert all(torch.equal(a, b) for a, b in zip(loaded.state_dict().values(), model.state_dict().values()))
    assert all(t.dtype == torch.float32 for t in loaded.state_dict().values())


def test_a_checkpoint_with_the_old_n_gram_branch_is_refused_by_name(saved):
    """Checkpoints of the earlier hybrid (BiLSTM + n-gram branch) no longer load; the message says why and what to do."""
    folder, _, _ = saved
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps(config | {"ngram_buckets": 4194304, "ngram_n": 3}))
    with pytest.raises(
        CheckpointError,
        match=r"config\.json: it holds the bag-of-n-grams branch .*ngram_buckets=4194304.*train\.py --model ngram",
    ):
        load_checkpoint(folder)
    (folder / "config.json").write_text(
        json.dumps(config | {"ngram_buckets": 0, "ngram_n": 2})
    )  # branch off: loads as before
    assert load_checkpoint(folder).model.config == ModelConfig(**config)
