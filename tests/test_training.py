import pytest
import torch

from sentiment import ModelConfig, SentimentRNN, TrainConfig, fit, prepare
from sentiment.data import EncodedSplit
from sentiment.training import Done, Step, Validation, evaluate, fit_branch_mix, naive_bayes_ratios


@pytest.fixture(scope="module")
def small(imdb):
    cfg = TrainConfig(epochs=4, batch_size=16, lr=1e-2, valid_size=200, train_limit=400, evals_per_epoch=2, seed=3)
    return cfg, prepare(imdb["train"], cfg)


def test_prepare_splits_and_encodes_once(imdb, small):
    cfg, data = small
    assert len(data.train) == 400 and len(data.valid) == 200
    assert data.vocab.itos[:2] == ["<pad>", "<unk>"]
    assert int(data.train.flat.max()) < len(data.vocab)
    # the same seed gives the same split and the same vocabulary
    again = prepare(imdb["train"], cfg)
    assert again.vocab.itos == data.vocab.itos and torch.equal(again.valid.flat, data.valid.flat)


def test_short_real_training_lowers_the_loss(small):
    cfg, data = small
    torch.manual_seed(0)
    model = SentimentRNN(ModelConfig(vocab_size=len(data.vocab), embed_dim=32, hidden_dim=32, fc_dim=16, bidirectional=True, pooling="max"))
    loss_before, _ = evaluate(model, data.train)
    events = list(fit(model, data, cfg))
    steps = [e for e in events if isinstance(e, Step)]
    checks = [e for e in events if isinstance(e, Validation)]
    done = events[-1]
    assert isinstance(done, Done) and not done.stopped
    assert [s.step for s in steps] == list(range(1, 4 * 25 + 1))
    assert len(checks) == 8 and [c.end_of_epoch for c in checks] == [False, True] * 4
    assert [c.epoch for c in checks] == pytest.approx([0.48, 1, 1.48, 2, 2.48, 3, 3.48, 4])
    loss_after, _ = evaluate(model, data.train)
    assert loss_after < loss_before * 0.8
    epoch_loss = {s.epoch: s.loss for s in steps}  # mean training loss of each epoch, at its last step
    assert epoch_loss[4] < epoch_loss[1] * 0.6
    assert done.best_valid_accuracy == max(c.valid_accuracy for c in checks)
    # the model ends with the weights that were best on validation
    assert evaluate(model, data.valid)[1] == pytest.approx(done.best_valid_accuracy)


def test_should_stop_ends_the_run_after_the_current_batch(small):
    cfg, data = small
    model = SentimentRNN(ModelConfig(vocab_size=len(data.vocab), embed_dim=8, hidden_dim=8, fc_dim=8))
    seen = []
    run = fit(model, data, cfg, should_stop=lambda: len(seen) >= 5)
    for event in run:
        if isinstance(event, Step):
            seen.append(event)
    done = event
    assert isinstance(done, Done) and done.stopped
    assert len(seen) == 5 and len(done.history) == 1


def test_naive_bayes_ratios_count_each_review_once():
    model = SentimentRNN(ModelConfig(vocab_size=10, ngram_buckets=1009, ngram_n=2))
    data = EncodedSplit([[2, 3, 2, 3], [2, 4], [5, 3]], [1, 1, 0])
    r = naive_bayes_ratios(model, data, alpha=1.0)
    pos, neg = torch.ones(1009), torch.ones(1009)  # alpha
    for row, label in zip([[2, 3, 2, 3], [2, 4], [5, 3]], [1, 1, 0]):
        ids = torch.tensor([row])
        buckets = {int(b) for grams, mask in model.ngram_ids(ids, torch.tensor([len(row)])) for b in grams[mask]}
        for b in buckets:
            (pos if label else neg)[b] += 1
    assert torch.allclose(r, torch.log((pos / pos.sum()) / (neg / neg.sum())), atol=1e-6)
    word_2 = 2 * 1000003 % 1009
    assert r[word_2] > 0  # "2" is only in positive reviews


def test_ngram_nb_training_leaves_plain_scaled_weights(small, tmp_path):
    cfg, data = small
    cfg = TrainConfig(**{**vars(cfg), "epochs": 1, "ngram_nb": True, "ngram_lr": 0.05})
    torch.manual_seed(0)
    model = SentimentRNN(ModelConfig(vocab_size=len(data.vocab), embed_dim=8, hidden_dim=8, fc_dim=8, ngram_buckets=2**16, ngram_n=3))
    done = list(fit(model, data, cfg))[-1]
    # the naive-Bayes factor is folded into the weights: the saved model is a plain one
    assert set(model.state_dict()) == set(SentimentRNN(model.config).state_dict())
    assert evaluate(model, data.valid)[1] == pytest.approx(done.best_valid_accuracy)
    from sentiment import load_checkpoint, save_checkpoint

    save_checkpoint(tmp_path / "nb", model, data.vocab)
    again = load_checkpoint(tmp_path / "nb").model
    assert evaluate(again, data.valid)[1] == pytest.approx(done.best_valid_accuracy)
    # scaling weights that are already trained would change the model: refused
    with pytest.raises(ValueError, match="new model"):
        next(fit(again, data, cfg))


def test_fitted_branch_mix_beats_the_plain_mean(small):
    cfg, data = small
    cfg = TrainConfig(**{**vars(cfg), "epochs": 2, "fit_branch_mix": False, "ngram_lr": 0.1})
    torch.manual_seed(0)
    model = SentimentRNN(ModelConfig(vocab_size=len(data.vocab), embed_dim=8, hidden_dim=8, fc_dim=8, ngram_buckets=2**16))
    list(fit(model, data, cfg))
    assert model.branch_mix.tolist() == [0.5, 0.5, 0.0]
    mean_loss, _ = evaluate(model, data.valid)
    fit_branch_mix(model, data.valid)
    fitted_loss, _ = evaluate(model, data.valid)
    assert fitted_loss < mean_loss
    assert model.branch_mix.tolist() != [0.5, 0.5, 0.0]
