"""The order-blind baseline: a bag of words and short phrases scored by one linear layer (NBSVM).

A review's n-grams (up to ``ngram_n`` words, as vocabulary ids) are hashed into buckets; the
logit is the sum of the buckets' weights divided by the square root of how many there are,
plus a bias. Trained with the weights scaled by naive-Bayes log-count ratios (Wang & Manning,
2012), it is a strong baseline on IMDb, and the demo uses it two ways: as a comparison that
cannot see word order, and as a teacher whose probabilities on the unlabeled reviews the
BiLSTM also learns from (distillation).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import torch
from huggingface_hub import PyTorchModelHubMixin
from safetensors.torch import save_file
from torch import nn
from torch.nn.utils import parametrize

_PRIMES = (1000003, 998244353, 1000000007)  # hashing an n-gram of ids: sum of id * prime, plus an offset per n


@dataclass
class NgramConfig:
    vocab_size: int = 20000  # size of the vocabulary whose ids are hashed; set from the vocabulary
    ngram_buckets: int = 4194304  # hash buckets, one weight each
    ngram_n: int = 3  # longest phrase counted: 1 = words, 2 = also bigrams, 3 = also trigrams

    def __post_init__(self):
        if int(self.ngram_buckets) < 1:
            raise ValueError("ngram_buckets must be at least 1")
        if self.ngram_n not in (1, 2, 3):
            raise ValueError("ngram_n must be 1, 2 or 3")


class NgramModel(nn.Module, PyTorchModelHubMixin, library_name="pytorch", tags=["sentiment-analysis", "imdb", "nbsvm"]):
    def __init__(self, config: NgramConfig):
        super().__init__()
        self.config = config
        self.weights = nn.Embedding(config.ngram_buckets, 1)
        nn.init.zeros_(self.weights.weight)
        self.bias = nn.Parameter(torch.zeros(()))

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """ids: (batch, seq) right-padded token ids; lengths: (batch,). Returns logits (batch,)."""
        return self.token_shares(ids, lengths).sum(-1) + self.bias  # (batch,)

    def loss(self, ids: torch.Tensor, lengths: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        logits = self(ids, lengths)
        return logits, nn.functional.binary_cross_entropy_with_logits(logits, labels)

    def ngram_ids(self, ids: torch.Tensor, lengths: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """The review's n-grams as buckets: for n = 1..ngram_n, (buckets, mask) both (batch, seq-n+1).

        The n-gram starting at position i hashes to ``sum_j ids[i+j] * prime_j + 12345 * (n-1)``
        modulo ``ngram_buckets``; the mask is true where it lies wholly inside the review.
        """
        steps = torch.arange(ids.size(1), device=ids.device).unsqueeze(0)  # (1, seq)
        ends = lengths.to(ids.device).unsqueeze(1)  # (batch, 1)
        grams = []
        for n in range(1, min(self.config.ngram_n, ids.size(1)) + 1):
            width = ids.size(1) - n + 1
            h = sum(ids[:, j : j + width] * _PRIMES[j] for j in range(n)) + 12345 * (n - 1)
            grams.append((h % self.config.ngram_buckets, steps[:, :width] + n <= ends))  # (batch, seq-n+1) x2
        return grams

    def token_shares(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Each token's exact share of the logit (less the bias): (batch, seq), zero on padding.
        A token gets 1/n of the term of each n-gram it is part of."""
        shares = torch.zeros(ids.shape, device=ids.device)  # (batch, seq)
        count = torch.zeros(ids.size(0), device=ids.device)  # (batch,)
        for n, (buckets, mask) in enumerate(self.ngram_ids(ids, lengths), start=1):
            w = self.weights(buckets).squeeze(-1) * mask  # (batch, seq-n+1)
            for j in range(n):
                shares[:, j : j + w.size(1)] += w / n
            count += mask.sum(1)
        return shares / count.clamp(min=1).sqrt().unsqueeze(1)  # (batch, seq)

    def prefix_logits(self, ids: torch.Tensor, ends: torch.Tensor) -> torch.Tensor:
        """The logit of each prefix ids[:e] of one review, for each ``e`` in ``ends``. ids: (seq,); ends: (k,).
        A prefix holds the n-grams that end inside it, so running sums over where n-grams end give them all."""
        ids = ids.unsqueeze(0)  # (1, seq)
        ending = torch.zeros(ids.size(1), device=ids.device)  # (seq,) weight of the n-grams ending at each position
        count = torch.zeros(ids.size(1), device=ids.device)  # (seq,)
        for n, (buckets, mask) in enumerate(self.ngram_ids(ids, torch.tensor([ids.size(1)])), start=1):
            ending[n - 1 :] += self.weights(buckets[0]).squeeze(-1) * mask[0]
            count[n - 1 :] += mask[0]
        last = ends.to(ids.device) - 1
        return ending.cumsum(0)[last] / count.cumsum(0)[last].clamp(min=1).sqrt() + self.bias  # (k,)

    def prefix_logits_many(self, reviews: list[torch.Tensor], ends: list[torch.Tensor]) -> list[torch.Tensor]:
        """``prefix_logits`` of several reviews, one (k_r,) tensor each (as ``SentimentRNN.prefix_logits_many``)."""
        return [self.prefix_logits(ids, e) for ids, e in zip(reviews, ends, strict=True)]

    def stored_state_dict(self) -> dict[str, torch.Tensor]:
        """The weights as a checkpoint holds them: float16 (half the size), loaded back as float32."""
        return {
            k: (v.detach().half() if v.is_floating_point() else v.detach()).contiguous()
            for k, v in self.state_dict().items()
        }

    def _save_pretrained(self, save_directory: Path) -> None:
        save_file(self.stored_state_dict(), str(Path(save_directory) / "model.safetensors"), metadata={"format": "pt"})

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())


def naive_bayes_ratios(model: NgramModel, data, alpha: float = 1.0, batch_size: int = 256) -> torch.Tensor:
    """log((p_j / |p|) / (q_j / |q|)) per bucket j, where p and q count the positive and the negative
    reviews of ``data`` (an ``EncodedSplit``) holding bucket j, plus ``alpha``. Shape (buckets,)."""
    buckets = model.config.ngram_buckets
    counts = torch.full((2, buckets), alpha, dtype=torch.float64)  # [negative, positive]
    for idx in data.batches(batch_size, shuffle=False):
        ids, lengths, labels = data.batch(idx)
        rows = torch.arange(len(idx)).unsqueeze(1)
        keys = torch.cat(
            [(rows * buckets + b)[m] for b, m in model.ngram_ids(ids, lengths)]
        ).unique()  # review x bucket, once each
        counts.index_put_(
            (labels.round().long()[keys // buckets], keys % buckets),
            torch.ones(len(keys), dtype=torch.float64),
            accumulate=True,
        )
    counts /= counts.sum(1, keepdim=True)
    return (counts[1] / counts[0]).log().float()


class _Scale(nn.Module):
    """A fixed per-bucket factor on the weights (a ``torch.nn.utils.parametrize`` parametrization)."""

    def __init__(self, factor: torch.Tensor):
        super().__init__()
        self.register_buffer("factor", factor.unsqueeze(-1))  # (buckets, 1)

    def forward(self, weight: torch.Tensor) -> torch.Tensor:
        return weight * self.factor


@contextmanager
def naive_bayes_scaling(model: NgramModel, data):
    """Within the block, train ``model``'s weights scaled by naive-Bayes ratios from ``data`` (NBSVM);
    on leaving it, however it is left, the scale is folded into plain weights."""
    if model.weights.weight.detach().abs().sum() > 0:
        raise ValueError("naive-Bayes scaling starts from zero weights: use it on a new model, not a trained one")
    parametrize.register_parametrization(model.weights, "weight", _Scale(naive_bayes_ratios(model, data)))
    try:
        yield model
    finally:
        parametrize.remove_parametrizations(model.weights, "weight", leave_parametrized=True)
