"""The bag-of-n-grams baseline (NBSVM): hashing, exact token shares, naive-Bayes scaling, checkpoints."""

import pytest
import torch

from sentiment import (
    NgramConfig,
    NgramModel,
    TrainConfig,
    fit,
    load_checkpoint,
    load_predictor,
    prepare,
    save_checkpoint,
)
from sentiment.data import EncodedSplit
from sentiment.ngram import naive_bayes_ratios, naive_bayes_scaling
from sentiment.training import evaluate


def ngrams_by_hand(row, n, buckets):
    """The buckets of a review's n-grams, hashed as the module documents it."""
    primes = (1000003, 998244353, 1000000007)
    return [
        (sum(t * p for t, p in zip(row[i : i + n], primes)) + 12345 * (n - 1)) % buckets
        for i in range(len(row) - n + 1)
    ]


def batch(lengths, vocab=50, seed=0):
    g = torch.Generator().manual_seed(seed)
    ids = torch.zeros(len(lengths), max(lengths), dtype=torch.long)
    for r, n in enumerate(lengths):
        ids[r, :n] = torch.randint(2, vocab, (n,), generator=g)
    return ids, torch.tensor(lengths)


@pytest.mark.parametrize("n", [1, 2, 3])
def test_logit_is_the_mean_weight_of_the_reviews_ngrams_and_padding_free(n):
    model = NgramModel(NgramConfig(vocab_size=50, ngram_buckets=101, ngram_n=n))
    torch.nn.init.normal_(model.weights.weight)
    model.bias.data.fill_(-0.4)
    ids, lengths = batch([7, 4, 1, 2])
    with torch.no_grad():
        together = model(ids, lengths)
        alone = torch.cat([model(ids[i : i + 1, : lengths[i]], lengths[i : i + 1]) for i in range(4)])
        shares = model.token_shares(ids, lengths)
    assert torch.allclose(together, alone, atol=1e-6)
    w = model.weights.weight.detach().squeeze(-1)
    for r in range(4):
        row = ids[r, : lengths[r]].tolist()
        grams = [b for k in range(1, n + 1) for b in ngrams_by_hand(row, k, 101)]
        expected = float(w[grams].sum()) / len(grams) ** 0.5
        assert shares[r].sum().item() == pytest.approx(expected, abs=1e-5)
        assert together[r].item() == pytest.approx(expected - 0.4, abs=1e-5)
        assert shares[r, lengths[r] :].abs().sum() == 0


def test_bad_config_is_refused():
    for bad in (dict(ngram_n=4), dict(ngram_buckets=0)):
        with pytest.raises(ValueError):
            NgramConfig(**bad)


def test_naive_bayes_ratios_count_each_review_once():
    model = NgramModel(NgramConfig(vocab_size=10, ngram_buckets=1009, ngram_n=2))
    data = EncodedSplit([[2, 3, 2, 3], [2, 4], [5, 3]], [1, 1, 0])
    r = naive_bayes_ratios(model, data, alpha=1.0)
    pos, neg = torch.ones(1009), torch.ones(1009)  # alpha
    for row, label in zip([[2, 3, 2, 3], [2, 4], [5, 3]], [1, 1, 0]):
        buckets = {
            int(b)
            for grams, mask in model.ngram_ids(torch.tensor([row]), torch.tensor([len(row)]))
            for b in grams[mask]
        }
        for b in buckets:
            (pos if label else neg)[b] += 1
    assert torch.allclose(r, torch.log((pos / pos.sum()) / (neg / neg.sum())), atol=1e-6)
    assert r[2 * 1000003 % 1009] > 0  # word 2 is only in positive reviews


def test_nbsvm_training_learns_and_leaves_plain_weights(imdb, tmp_path):
    cfg = TrainConfig(epochs=2, batch_size=32, lr=0.05, valid_size=300, train_limit=600, seed=3)
    data = prepare(imdb["train"], cfg)
    model = NgramModel(NgramConfig(vocab_size=len(data.vocab), ngram_buckets=2**16, ngram_n=2))
    with naive_bayes_scaling(model, data.train):
        done = list(fit(model, data, cfg))[-1]
    assert done.best_valid_accuracy > 0.75  # 600 reviews are enough for a bag of words
    assert set(model.state_dict()) == {"weights.weight", "bias"}  # the naive-Bayes factor is folded in
    save_checkpoint(tmp_path / "nb", model, data.vocab, {"valid_accuracy": done.best_valid_accuracy})
    again = load_checkpoint(tmp_path / "nb").model
    assert isinstance(again, NgramModel)
    assert evaluate(again, data.valid)[1] == pytest.approx(done.best_valid_accuracy, abs=2 / 300)  # float16 storage
    p = load_predictor(tmp_path / "nb", device="cpu").predict("a wonderful , moving film", explain=True)
    with torch.no_grad():
        logit = again(torch.tensor([p.ids]), torch.tensor([len(p.ids)])).item()
    assert sum(p.attributions) == pytest.approx(logit - again.bias.item(), abs=1e-4)  # exact shares of a linear model
    with pytest.raises(ValueError, match="new model"):  # scaling trained weights would change the model
        with naive_bayes_scaling(again, data.train):
            pass


def test_prefix_logits_are_the_model_applied_to_each_prefix():
    model = NgramModel(NgramConfig(vocab_size=50, ngram_buckets=101, ngram_n=3))
    torch.nn.init.normal_(model.weights.weight)
    model.bias.data.fill_(0.3)
    ids, _ = batch([11])
    ends = torch.tensor([1, 2, 3, 6, 11])
    with torch.no_grad():
        each = torch.stack([model(ids[:, :e], torch.tensor([e]))[0] for e in ends.tolist()])
        assert torch.allclose(model.prefix_logits(ids[0], ends), each, atol=1e-6)
