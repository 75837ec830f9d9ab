import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from sentiment.model import ModelConfig, SentimentRNN, reverse_within_length
from sentiment.text import UNK_ID


def batch(lengths, vocab_size=50, seed=0):
    g = torch.Generator().manual_seed(seed)
    lengths = torch.tensor(lengths)
    ids = torch.randint(2, vocab_size, (len(lengths), int(lengths.max())), generator=g)
    ids[torch.arange(ids.size(1)) >= lengths.unsqueeze(1)] = 0
    return ids, lengths


def make(**kw):
    torch.manual_seed(0)
    return SentimentRNN(ModelConfig(vocab_size=50, embed_dim=8, hidden_dim=6, fc_dim=5, **kw)).eval()


def test_reverse_within_length_keeps_padding_in_place():
    x = torch.arange(8.0).view(2, 4, 1)
    out = reverse_within_length(x, torch.tensor([4, 2]))
    assert out.squeeze(-1).tolist() == [[3, 2, 1, 0], [5, 4, 6, 7]]


@pytest.mark.parametrize("bidirectional", [False, True])
def test_same_outputs_as_a_packed_nn_lstm(bidirectional):
    """The per-direction encoder computes exactly what a packed nn.LSTM computes."""
    model = make(bidirectional=bidirectional, num_layers=2, pooling="last")
    ref = torch.nn.LSTM(8, 6, num_layers=2, batch_first=True, bidirectional=bidirectional)
    with torch.no_grad():
        for layer in range(2):
            for d, suffix in enumerate(["", "_reverse"][: model.config.directions]):
                for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                    getattr(ref, f"{name}_l{layer}{suffix}").copy_(getattr(model.layers[layer][d], f"{name}_l0"))
    ids, lengths = batch([9, 3, 5, 1])
    x = model.embedding(ids)
    packed_out, (h, _) = ref(pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False))
    packed_out, _ = pad_packed_sequence(packed_out, batch_first=True)
    outputs = model.encode(x, lengths)
    mask = (torch.arange(9) < lengths.unsqueeze(1)).unsqueeze(-1)
    assert torch.allclose(outputs * mask, packed_out * mask, atol=1e-6)
    last = torch.cat([h[-2], h[-1]], 1) if bidirectional else h[-1]
    assert torch.allclose(model.pool(outputs, lengths), last, atol=1e-6)


@pytest.mark.parametrize("rnn_type", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("pooling", ["last", "max", "mean", "maxmean"])
def test_score_is_the_same_alone_and_in_a_padded_batch(rnn_type, pooling):
    model = make(rnn_type=rnn_type, bidirectional=True, pooling=pooling)
    ids, lengths = batch([12, 4, 7, 1, 12])
    together = model(ids, lengths)
    alone = torch.cat([model(ids[i : i + 1, : lengths[i]], lengths[i : i + 1]) for i in range(len(lengths))])
    assert together.shape == (5,)
    assert torch.allclose(together, alone, atol=1e-6)


def test_shapes_in_forward_match_its_comments():
    """(batch, seq, embed) -> (batch, seq, hidden) per direction -> (batch, 2*2*hidden) pooled -> (batch, fc) -> (batch,)."""
    model = make(bidirectional=True, num_layers=2, pooling="maxmean")
    shapes = {}
    for name, module in [
        ("embedding", model.embedding),
        ("rnn", model.layers[1][1]),
        ("fc", model.fc),
        ("out", model.out),
    ]:
        module.register_forward_hook(
            lambda m, i, o, name=name: shapes.update({name: tuple((o[0] if isinstance(o, tuple) else o).shape)})
        )
    ids, lengths = batch([10, 3, 6])
    logits = model(ids, lengths)
    assert shapes == {"embedding": (3, 10, 8), "rnn": (3, 10, 6), "fc": (3, 5), "out": (3, 1)}
    assert model.pool(torch.zeros(3, 10, 12), lengths).shape == (3, 24)
    assert logits.shape == (3,)


def test_gradients_reach_every_parameter():
    model = make(bidirectional=True, num_layers=2, pooling="max").train()
    ids, lengths = batch([8, 5])
    model(ids, lengths).sum().backward()
    assert all(
        p.grad is not None and p.grad.abs().sum() > 0 for n, p in model.named_parameters() if n != "embedding.weight"
    )


@pytest.mark.parametrize(
    "bad",
    [
        dict(rnn_type="transformer"),
        dict(pooling="sum"),
        dict(hidden_dim=0),
        dict(dropout=1.5),
        dict(ngram_buckets=4096),
    ],
)
def test_bad_config_is_refused(bad):
    with pytest.raises(
        (ValueError, TypeError)
    ):  # the n-gram branch is gone: SentimentRNN holds only the recurrent model
        ModelConfig(**bad)


def test_word_dropout_hides_words_only_while_training():
    model = make(bidirectional=True, pooling="mean", word_dropout=0.999).train()
    ids, lengths = batch([5, 3])
    unknown = torch.where(ids != 0, 1, 0)  # every word read as <unk>, padding kept
    torch.manual_seed(0)
    dropped = model(ids, lengths)
    assert torch.allclose(dropped, model.eval()(unknown, lengths))
    assert not torch.allclose(model(ids, lengths), dropped)


def test_loss_takes_soft_labels_for_distillation():
    model = make(bidirectional=True, pooling="max")
    ids, lengths = batch([6, 3])
    soft = torch.tensor([0.9, 0.2])
    logits, loss = model.loss(ids, lengths, soft)
    assert loss.item() == pytest.approx(torch.nn.functional.binary_cross_entropy_with_logits(logits, soft).item())
    assert set(n.split(".")[0] for n, _ in model.named_parameters()) == {"embedding", "layers", "fc", "out"}


@pytest.mark.parametrize(
    "kw",
    [
        dict(bidirectional=True, pooling="maxmean"),
        dict(bidirectional=False, pooling="max"),
        dict(bidirectional=True, pooling="mean"),
    ],
)
@pytest.mark.parametrize("width", [1, 3, 11])
def test_occlusion_logits_are_the_model_applied_to_each_copy(kw, width):
    """Occlusion in one pass: the review, then each group of ``width`` tokens in turn read as <unk> (the last group
    shorter when ``width`` does not divide the length), give what scoring each copy whole gives."""
    model = make(**kw)
    ids, _ = batch([13], seed=2)
    copies = [ids[0]]  # the review itself first
    for start in range(0, 13, width):
        copy = ids[0].clone()
        copy[start : start + width] = UNK_ID
        copies.append(copy)
    with torch.no_grad():
        fast = model.occlusion_logits(ids[0], width)
        whole = model(torch.stack(copies), torch.full((len(copies),), 13))
    assert fast.shape == (len(copies),)
    assert torch.allclose(fast, whole, atol=1e-6)


@pytest.mark.parametrize("kw", [dict(num_layers=2), dict(rnn_type="gru"), dict(pooling="last")])
def test_occlusion_logits_refuse_models_they_do_not_cover(kw):
    model = make(**kw)
    assert not model.occludes_in_one_pass
    with pytest.raises(ValueError, match="one-layer LSTMs"):
        model.occlusion_logits(batch([5])[0][0])


@pytest.mark.parametrize(
    "kw",
    [
        dict(bidirectional=True, pooling="maxmean"),
        dict(bidirectional=True, pooling="last"),
        dict(bidirectional=True, pooling="mean"),
        dict(bidirectional=False, pooling="max"),
        dict(bidirectional=True, rnn_type="gru", pooling="max"),  # no shortcut: every prefix as a batch
        dict(bidirectional=True, num_layers=2, pooling="maxmean"),
    ],
)
def test_prefix_logits_are_the_model_applied_to_each_prefix(kw):
    """The running verdict: one batched computation gives what scoring each prefix on its own gives."""
    model = make(**kw)
    ids, _ = batch([15])
    ends = torch.tensor([15, 1, 7, 2, 15, 9])  # any order, repeats allowed
    with torch.no_grad():
        fast = model.prefix_logits(ids[0], ends)
        each = torch.stack([model(ids[:, :e], torch.tensor([e]))[0] for e in ends.tolist()])
    assert fast.shape == (6,)
    assert torch.allclose(fast, each, atol=1e-6)


@pytest.mark.parametrize(
    "kw",
    [
        dict(bidirectional=True, pooling="maxmean"),
        dict(bidirectional=True, pooling="last"),
        dict(bidirectional=False, pooling="mean"),
        dict(bidirectional=True, num_layers=2, pooling="max"),
    ],
)
def test_prefix_logits_of_several_reviews_at_once(kw):
    """Two reviews' prefixes in one pass give what each review's own prefix_logits gives, including none at all."""
    model = make(**kw)
    ids, lengths = batch([12, 5, 9], seed=1)
    reviews = [ids[r, : lengths[r]] for r in range(3)]
    ends = [torch.tensor([12, 3, 1, 12]), torch.tensor([], dtype=torch.long), torch.tensor([9, 4])]
    with torch.no_grad():
        together = model.prefix_logits_many(reviews, ends)
        alone = [model.prefix_logits(r, e) for r, e in zip(reviews, ends)]
        each = [
            torch.stack([model(r[:e].unsqueeze(0), torch.tensor([e]))[0] for e in es.tolist()]) if len(es) else None
            for r, es in zip(reviews, ends)
        ]
    assert [t.shape for t in together] == [(4,), (0,), (2,)]
    for t, a, e in zip(together, alone, each):
        assert torch.allclose(t, a, atol=1e-6)
        if e is not None:
            assert torch.allclose(t, e, atol=1e-6)
    with pytest.raises(ValueError, match="between 1 and"):
        model.prefix_logits_many(reviews, [torch.tensor([13]), torch.tensor([1]), torch.tensor([1])])
