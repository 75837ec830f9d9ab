"""The model: embedding -> (bi)directional recurrent encoder -> pooling -> fully connected head -> one logit.

Padding never changes a review's score. The textbook gets that by packing the batch with
``pack_padded_sequence``; on a CPU a packed batch of mixed lengths falls off PyTorch's fused
LSTM kernel and its backward pass grows with the square of the length. This module computes
the same thing another way: each direction is its own single-direction RNN run on the
right-padded batch, and the backward direction reads every review reversed *within its own
length*. Outputs at real positions then never see padding (the tests compare them with a
packed ``nn.LSTM(bidirectional=True)`` carrying the same weights), pooling masks the padded
positions out, and the fused kernel stays in use.

Optionally (``ngram_buckets > 0``) a second, linear branch scores the review's words and
short phrases (n-grams up to ``ngram_n`` words, hashed into buckets), as in NBSVM (Wang &
Manning, 2012). Each branch is trained on its own loss, like two members of an ensemble, and
the model's logit is ``w_rnn * rnn_logit + w_ngram * ngram_logit + bias``: the three numbers
are the ``branch_mix`` buffer, the mean of the two until training fits them on validation.
"""

from dataclasses import dataclass
from pathlib import Path

import torch
from huggingface_hub import PyTorchModelHubMixin
from safetensors.torch import save_file
from torch import nn

from .text import PAD_ID, UNK_ID

RNN_TYPES = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}
_PRIMES = (1000003, 998244353, 1000000007)  # hashing an n-gram of ids: sum of id * prime, plus an offset per n
POOLINGS = ("last", "max", "mean", "maxmean")


@dataclass
class ModelConfig:
    vocab_size: int = 20000  # rows of the embedding table; set from the vocabulary
    embed_dim: int = 20  # size of a token's embedding
    hidden_dim: int = 64  # hidden units per direction of the recurrent encoder
    fc_dim: int = 64  # units of the hidden fully connected layer of the head
    rnn_type: str = "lstm"  # recurrent cell: lstm, gru or rnn
    bidirectional: bool = False  # also read each review right to left
    num_layers: int = 1  # stacked recurrent layers
    dropout: float = 0.0  # dropout on embeddings, between layers and before the head
    word_dropout: float = 0.0  # while training, the recurrent branch reads each word as <unk> with this probability
    pooling: str = "last"  # review summary: last hidden state, or max / mean / maxmean over outputs
    ngram_buckets: int = 0  # hash buckets of a bag-of-n-grams logistic branch beside the LSTM (0 = off)
    ngram_n: int = 2  # longest phrase the n-gram branch counts: 1 = words, 2 = also bigrams, 3 = also trigrams

    def __post_init__(self):
        if self.rnn_type not in RNN_TYPES:
            raise ValueError(f"rnn_type must be one of {sorted(RNN_TYPES)}, not {self.rnn_type!r}")
        if self.pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {POOLINGS}, not {self.pooling!r}")
        for name in ("vocab_size", "embed_dim", "hidden_dim", "fc_dim", "num_layers"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be at least 1")
        if int(self.ngram_buckets) < 0:
            raise ValueError("ngram_buckets must be 0 (off) or more")
        if self.ngram_n not in (1, 2, 3):
            raise ValueError("ngram_n must be 1, 2 or 3")
        if not 0.0 <= self.dropout < 1.0 or not 0.0 <= self.word_dropout < 1.0:
            raise ValueError("dropout and word_dropout must be in [0, 1)")

    @property
    def directions(self) -> int:
        return 2 if self.bidirectional else 1


def reverse_within_length(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Reverse each row's first ``length`` steps, leaving its padding in place. x: (batch, seq, dim)."""
    steps = torch.arange(x.size(1), device=x.device).unsqueeze(0)  # (1, seq)
    last = lengths.to(x.device).unsqueeze(1) - 1  # (batch, 1)
    index = torch.where(steps <= last, last - steps, steps)  # (batch, seq)
    return x.gather(1, index.unsqueeze(-1).expand_as(x))


class SentimentRNN(nn.Module, PyTorchModelHubMixin, library_name="pytorch", tags=["sentiment-analysis", "imdb", "lstm"]):
    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        c = config
        rnn = RNN_TYPES[c.rnn_type]
        self.embedding = nn.Embedding(c.vocab_size, c.embed_dim, padding_idx=0)
        self.layers = nn.ModuleList()
        for layer in range(c.num_layers):
            size_in = c.embed_dim if layer == 0 else c.directions * c.hidden_dim
            self.layers.append(nn.ModuleList(rnn(size_in, c.hidden_dim, batch_first=True) for _ in range(c.directions)))
        pooled = c.directions * c.hidden_dim * (2 if c.pooling == "maxmean" else 1)
        self.drop = nn.Dropout(c.dropout)
        self.fc = nn.Linear(pooled, c.fc_dim)
        self.out = nn.Linear(c.fc_dim, 1)
        if c.ngram_buckets:
            self.ngram_weights = nn.Embedding(c.ngram_buckets, 1)
            nn.init.zeros_(self.ngram_weights.weight)
            self.register_buffer("branch_mix", torch.tensor([0.5, 0.5, 0.0]))  # weights of the two logits, bias

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """ids: (batch, seq) right-padded token ids; lengths: (batch,). Returns logits (batch,)."""
        return self.mix(self.branch_logits(ids, lengths))  # (batch,)

    def mix(self, branches: list[torch.Tensor]) -> torch.Tensor:
        """The model's logit from its branches' logits [(batch,)...]: weighted by ``branch_mix``, or the only one."""
        if len(branches) == 1:
            return branches[0]
        (w_rnn, w_ngram, bias) = self.branch_mix
        return w_rnn * branches[0] + w_ngram * branches[1] + bias  # (batch,)

    def branch_logits(self, ids: torch.Tensor, lengths: torch.Tensor) -> list[torch.Tensor]:
        """Each branch's own logits, [(batch,)] or [(batch,), (batch,)] with the n-gram branch."""
        words = ids
        if self.training and self.config.word_dropout:
            drop = torch.rand(ids.shape, device=ids.device) < self.config.word_dropout
            words = ids.masked_fill(drop & (ids != PAD_ID), UNK_ID)  # (batch, seq)
        logits = [self.forward_embedded(self.embedding(words), lengths)]  # [(batch,)]
        if self.config.ngram_buckets:
            logits.append(self.ngram_scores(ids, lengths).sum(-1))  # (batch,)
        return logits

    def loss(self, ids: torch.Tensor, lengths: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Logits (batch,) and the training loss: binary cross-entropy of each branch on its own.

        Training the branches separately, like the members of an ensemble, keeps the fast-learning
        n-gram weights from fitting the training reviews before the LSTM has learned anything.
        """
        branches = self.branch_logits(ids, lengths)
        loss = sum(nn.functional.binary_cross_entropy_with_logits(b, labels) for b in branches)
        return self.mix(branches), loss

    def forward_embedded(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """The model after the embedding lookup (used for attributions). x: (batch, seq, embed)."""
        h = self.drop(self.pool(self.encode(x, lengths), lengths))  # (batch, pooled)
        h = torch.relu(self.fc(h))  # (batch, fc)
        return self.out(h).squeeze(-1)  # (batch,)

    def encode(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Recurrent outputs at every position. x: (batch, seq, embed) -> (batch, seq, directions*hidden)."""
        x = self.drop(x)  # (batch, seq, embed)
        for i, directions in enumerate(self.layers):
            if i:
                x = self.drop(x)
            outputs = [directions[0](x)[0]]  # [(batch, seq, hidden)]
            if len(directions) == 2:
                backward = directions[1](reverse_within_length(x, lengths))[0]  # (batch, seq, hidden)
                outputs.append(reverse_within_length(backward, lengths))
            x = torch.cat(outputs, dim=-1)  # (batch, seq, directions*hidden)
        return x

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

    def ngram_scores(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Each token's share of the n-gram branch's logit: (batch, seq), zero on padding.

        The logit is the sum of the weights of the review's n-grams divided by the square root of
        their count; a token gets 1/n of the term of each n-gram it is part of.
        """
        shares = torch.zeros(ids.shape, device=ids.device)  # (batch, seq)
        count = torch.zeros(ids.size(0), device=ids.device)  # (batch,)
        for n, (buckets, mask) in enumerate(self.ngram_ids(ids, lengths), start=1):
            w = self.ngram_weights(buckets).squeeze(-1) * mask  # (batch, seq-n+1)
            for j in range(n):
                shares[:, j : j + w.size(1)] += w / n
            count += mask.sum(1)
        return shares / count.clamp(min=1).sqrt().unsqueeze(1)  # (batch, seq)

    def pool(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Summarise outputs x: (batch, seq, directions*hidden) over real positions only."""
        lengths = lengths.to(x.device)
        if self.config.pooling == "last":
            hidden = self.config.hidden_dim
            index = (lengths - 1).view(-1, 1, 1).expand(-1, 1, hidden)  # (batch, 1, hidden)
            summary = [x[..., :hidden].gather(1, index).squeeze(1)]  # forward state after the last token
            if self.config.bidirectional:
                summary.append(x[:, 0, hidden:])  # backward state after reading back to the first token
            return torch.cat(summary, dim=-1)  # (batch, directions*hidden)
        mask = (torch.arange(x.size(1), device=x.device).unsqueeze(0) < lengths.unsqueeze(1)).unsqueeze(-1)
        pooled = []
        if self.config.pooling in ("max", "maxmean"):
            pooled.append(x.masked_fill(~mask, float("-inf")).amax(dim=1))  # (batch, directions*hidden)
        if self.config.pooling in ("mean", "maxmean"):
            pooled.append((x * mask).sum(dim=1) / lengths.unsqueeze(1))  # (batch, directions*hidden)
        return torch.cat(pooled, dim=-1)

    def stored_state_dict(self) -> dict[str, torch.Tensor]:
        """The weights as a checkpoint holds them: float16 (half the size) where a tensor's values fit, else float32."""
        state = {}
        for name, t in self.state_dict().items():
            half = t.detach().half() if t.is_floating_point() else None
            state[name] = (half if half is not None and bool(torch.isfinite(half).all()) else t.detach()).contiguous()
        return state

    def _save_pretrained(self, save_directory: Path) -> None:
        """``PyTorchModelHubMixin``'s hook, behind ``save_pretrained`` and ``push_to_hub``: write the stored weights.
        Loading (``load_state_dict``) casts them back to the model's float32."""
        save_file(self.stored_state_dict(), str(Path(save_directory) / "model.safetensors"), metadata={"format": "pt"})

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())
