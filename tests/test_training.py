import pytest
import torch

from sentiment import ModelConfig, SentimentRNN, TrainConfig, fit, prepare
from sentiment.data import Split
from sentiment.training import Done, Step, Validation, evaluate


@pytest.fixture(scope="module")
def small(imdb):
    cfg = TrainConfig(
        epochs=4, batch_size=16, lr=1e-2, valid_size=200, train_limit=400, evals_per_epoch=2, seed=3, max_tokens=150
    )  # reviews cut to 150 tokens: a real run in a few seconds
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
    model = SentimentRNN(
        ModelConfig(
            vocab_size=len(data.vocab), embed_dim=32, hidden_dim=32, fc_dim=16, bidirectional=True, pooling="max"
        )
    )
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


@pytest.mark.parametrize("recent, batches_in_window", [(100, 7), (10_000, 25)])
def test_the_recent_training_figures_cover_the_last_reviews_across_epochs(
    small, monkeypatch, recent, batches_in_window
):
    """The Train tab's training curve: each step's recent loss and accuracy are the means over the last batches that
    hold at least RECENT_REVIEWS reviews (or an epoch's, if fewer), not reset at an epoch's start as the epoch's own
    means are."""
    from sentiment import training

    monkeypatch.setattr(training, "RECENT_REVIEWS", recent)  # 400 reviews an epoch: 100 cross each boundary
    cfg, data = small
    cfg = TrainConfig(**{**vars(cfg), "epochs": 2})
    torch.manual_seed(0)
    model = SentimentRNN(ModelConfig(vocab_size=len(data.vocab), embed_dim=16, hidden_dim=16, fc_dim=8))
    steps = [e for e in fit(model, data, cfg) if isinstance(e, Step)]
    # each batch's own loss and correct count, from the epoch's running means
    batches, before = [], (0, 0.0, 0.0)
    for s in steps:
        seen = s.reviews - (s.epoch - 1) * 400
        prev_seen, prev_loss, prev_correct = before if seen > cfg.batch_size else (0, 0.0, 0.0)
        batches.append((seen - prev_seen, s.loss * seen - prev_loss, s.accuracy * seen - prev_correct))
        before = (seen, s.loss * seen, s.accuracy * seen)
    assert all(n == 16 for n, _, _ in batches)
    for k, s in enumerate(steps):
        window = batches[max(0, k - batches_in_window + 1) : k + 1]  # 7 of 16 hold 100 reviews; 25 are an epoch
        assert s.recent_loss == pytest.approx(sum(b[1] for b in window) / sum(b[0] for b in window), rel=1e-5)
        assert s.recent_accuracy == pytest.approx(sum(b[2] for b in window) / sum(b[0] for b in window), abs=1e-6)
    first_of_second = steps[25]  # epoch 2's first step: its epoch mean is one batch, its recent figures are not
    assert first_of_second.epoch == 2 and first_of_second.loss == pytest.approx(batches[25][1] / 16)
    assert first_of_second.recent_loss != pytest.approx(first_of_second.loss)


def test_keep_last_ends_with_the_last_weights_whatever_validation_said(small):
    cfg, data = small
    cfg = TrainConfig(**{**vars(cfg), "epochs": 2, "keep_last": True})
    torch.manual_seed(0)
    model = SentimentRNN(ModelConfig(vocab_size=len(data.vocab), embed_dim=16, hidden_dim=16, fc_dim=8))
    events = list(fit(model, data, cfg))
    checks, done = [e for e in events if isinstance(e, Validation)], events[-1]
    assert done.best_epoch == checks[-1].epoch == 2 and done.best_valid_accuracy == checks[-1].valid_accuracy
    assert evaluate(model, data.valid)[1] == pytest.approx(checks[-1].valid_accuracy)


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


def test_frozen_encoder_then_lower_encoder_learning_rate(small):
    cfg, data = small
    cfg = TrainConfig(**{**vars(cfg), "epochs": 2, "freeze_epochs": 1.0, "encoder_lr": 1e-3})
    torch.manual_seed(0)
    model = SentimentRNN(
        ModelConfig(vocab_size=len(data.vocab), embed_dim=8, hidden_dim=8, fc_dim=8, bidirectional=True, pooling="max")
    )
    before = {k: v.clone() for k, v in model.state_dict().items()}
    snapshots = []
    for event in fit(model, data, TrainConfig(**{**vars(cfg), "evals_per_epoch": 1})):
        if isinstance(event, Validation):
            snapshots.append({k: v.clone() for k, v in model.state_dict().items()})
    after_first = snapshots[0]
    assert torch.equal(after_first["embedding.weight"], before["embedding.weight"])  # frozen for the first epoch
    assert torch.equal(after_first["layers.0.0.weight_ih_l0"], before["layers.0.0.weight_ih_l0"])
    assert not torch.equal(after_first["fc.weight"], before["fc.weight"])  # while the head learns
    assert not torch.equal(
        snapshots[1]["layers.0.0.weight_ih_l0"], before["layers.0.0.weight_ih_l0"]
    )  # then everything


def test_soft_labels_join_the_training_reviews_only(imdb):
    cfg = TrainConfig(valid_size=100, train_limit=50, seed=3)
    soft = Split(imdb["test"].texts[:30], [0.25] * 30)  # any texts with a teacher's probabilities
    data = prepare(imdb["train"], cfg, soft=soft)
    plain = prepare(imdb["train"], cfg)
    assert len(data.train) == 80 and len(data.valid) == 100
    assert data.train.labels[50:].tolist() == [0.25] * 30 and set(data.valid.labels.tolist()) <= {0.0, 1.0}
    assert set(plain.vocab.itos) < set(data.vocab.itos)  # the teacher-labelled texts add their words


def test_adversarial_training_adds_the_loss_of_the_worst_nearby_embeddings(small):
    """The perturbed review's loss is added, and it is worse than a random move of the same size would be."""
    cfg, data = small
    torch.manual_seed(0)
    model = SentimentRNN(
        ModelConfig(
            vocab_size=len(data.vocab), embed_dim=16, hidden_dim=16, fc_dim=8, bidirectional=True, pooling="max"
        )
    )
    ids, lengths, labels = data.train.batch(list(range(16)))
    model.eval()  # no dropout, so the losses compare
    _, clean = model.loss(ids, lengths, labels)
    _, both = model.loss(ids, lengths, labels, adversarial=2.0)
    x = model.embedding(ids)
    noise = torch.randn_like(x)
    noise = 2.0 * noise / noise.flatten(1).norm(dim=1).view(-1, 1, 1)
    random_move = torch.nn.functional.binary_cross_entropy_with_logits(
        model.forward_embedded(x + noise, lengths), labels
    )
    assert both - clean > random_move > 0
    # and a run trains with it
    cfg = TrainConfig(**{**vars(cfg), "epochs": 1, "adversarial": 1.0})
    done = list(fit(model.train(), data, cfg))[-1]
    assert isinstance(done, Done) and done.best_valid_accuracy > 0
