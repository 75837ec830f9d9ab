"""The model: embedding -> (bi)directional recurrent encoder -> pooling -> fully connected head -> one logit.

Padding never changes a review's score. The textbook gets that by packing the batch with
``pack_padded_sequence``; on a CPU a packed batch of mixed lengths falls off PyTorch's fused
LSTM kernel and its backward pass grows with the square of the length. This module computes
the same thing another way: each direction is its own single-direction RNN run on the
right-padded batch, and the backward direction reads every review reversed *within its own
length*. Outputs at real positions then never see padding (the tests compare them with a
packed ``nn.LSTM(bidirectional=True)`` carrying the same weights), pooling masks the padded
positions out, and the fused kernel stays in use.

The model holds only the recurrent classifier. Its encoder (embedding and LSTMs) can start
from a pretrained bidirectional language model (``sentiment.pretrain``); the bag-of-n-grams
baseline it is compared with lives in ``sentiment.ngram``.
"""

from dataclasses import dataclass
from pathlib import Path

import torch
from huggingface_hub import PyTorchModelHubMixin
from safetensors.torch import save_file
from torch import nn

from .text import PAD_ID, UNK_ID

RNN_TYPES = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}
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

    def __post_init__(self):
        if self.rnn_type not in RNN_TYPES:
            raise ValueError(f"rnn_type must be one of {sorted(RNN_TYPES)}, not {self.rnn_type!r}")
        if self.pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {POOLINGS}, not {self.pooling!r}")
        for name in ("vocab_size", "embed_dim", "hidden_dim", "fc_dim", "num_layers"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be at least 1")
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


class SentimentRNN(
    nn.Module, PyTorchModelHubMixin, library_name="pytorch", tags=["sentiment-analysis", "imdb", "lstm"]
):
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

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """ids: (batch, seq) right-padded token ids; lengths: (batch,). Returns logits (batch,)."""
        return self.forward_embedded(self.embedding(self.drop_words(ids)), lengths)  # (batch,)

    def drop_words(self, ids: torch.Tensor) -> torch.Tensor:
        """While training, each word becomes <unk> with probability ``word_dropout``. ids: (batch, seq)."""
        if not (self.training and self.config.word_dropout):
            return ids
        drop = torch.rand(ids.shape, device=ids.device) < self.config.word_dropout
        return ids.masked_fill(drop & (ids != PAD_ID), UNK_ID)  # (batch, seq)

    def loss(
        self, ids: torch.Tensor, lengths: torch.Tensor, labels: torch.Tensor, adversarial: float = 0.0
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Logits (batch,) and the binary cross-entropy with ``labels``: 0/1, or a teacher's probabilities.

        ``adversarial`` > 0 adds adversarial training on the embeddings (Goodfellow et al., 2015; Miyato
        et al., 2017): the loss again on each review's embeddings moved by that L2 norm (over the whole
        review) along the loss gradient, the direction that hurts most.
        """
        x = self.embedding(self.drop_words(ids))  # (batch, seq, embed)
        logits = self.forward_embedded(x, lengths)  # (batch,)
        loss = nn.functional.binary_cross_entropy_with_logits(logits, labels)
        if adversarial:
            (grad,) = torch.autograd.grad(loss, x, retain_graph=True)  # (batch, seq, embed)
            step = grad / grad.flatten(1).norm(dim=1).clamp_min(1e-12).view(-1, 1, 1)  # unit norm per review
            moved = self.forward_embedded(x + adversarial * step.detach(), lengths)  # (batch,)
            loss = loss + nn.functional.binary_cross_entropy_with_logits(moved, labels)
        return logits, loss

    def forward_embedded(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """The model after the embedding lookup (used for attributions). x: (batch, seq, embed)."""
        return self.head(self.pool(self.encode(x, lengths), lengths))  # (batch,)

    def head(self, pooled: torch.Tensor) -> torch.Tensor:
        """pooled: (batch, pooled) -> logits (batch,)."""
        h = torch.relu(self.fc(self.drop(pooled)))  # (batch, fc)
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

    def prefix_logits(self, ids: torch.Tensor, ends: torch.Tensor) -> torch.Tensor:
        """The logit after reading only the first ``e`` tokens of one review, for each ``e`` in ``ends``:
        the model applied to each prefix. ids: (seq,) one review; ends: (k,) in 1..seq. Returns (k,).

        The forward direction reads a prefix exactly as it reads the whole review, so it runs once and
        its pooling over a prefix is a running max / sum. Only the backward direction, which starts at a
        prefix's last word, differs per prefix: it runs for all prefixes together, one word at a time,
        from each one's last word back to the first, on input projections computed once. Models this
        does not cover (stacked layers, a bidirectional GRU or RNN) run every prefix as one batch.
        """
        return self.prefix_logits_many([ids], [ends])[0]

    def prefix_logits_many(self, reviews: list[torch.Tensor], ends: list[torch.Tensor]) -> list[torch.Tensor]:
        """``prefix_logits`` of several reviews (``reviews[r]``: (seq_r,), ``ends[r]``: (k_r,)), the backward
        direction running over all their prefixes together: one word at a time for all of them, so a pair of
        reviews costs one loop rather than two. Returns one (k_r,) tensor per review."""
        c = self.config
        for ids, e in zip(reviews, ends, strict=True):
            if len(e) and (int(e.min()) < 1 or int(e.max()) > len(ids)):
                raise ValueError(f"prefix ends must be between 1 and the review's {len(ids)} tokens")
        if c.num_layers > 1 or (c.bidirectional and c.rnn_type != "lstm"):
            out = []
            for ids, e in zip(reviews, ends):
                chunks = e.split(16)  # 16 prefixes per pass bounds the activations held at once
                out.append(
                    torch.cat([self(ids[: int(p.max())].expand(len(p), -1), p) for p in chunks])
                    if len(e)
                    else e.float()
                )
            return out
        xs = [self.embedding(ids) for ids in reviews]  # [(seq_r, embed)]
        parts = []
        for x, e in zip(xs, ends):
            forward = self.layers[0][0](x.unsqueeze(0))[0][0]  # (seq, hidden)
            last = e - 1
            parts.append(
                {
                    "last": [forward[last]],  # (k, hidden)
                    "max": [forward.cummax(0).values[last]],  # (k, hidden)
                    "mean": [forward.cumsum(0)[last] / e.unsqueeze(1)],  # (k, hidden)
                }
            )
        if c.bidirectional:
            offsets = torch.tensor([0] + [len(x) for x in xs[:-1]], device=xs[0].device).cumsum(0).tolist()
            starts = torch.cat([torch.full_like(e, o) for e, o in zip(ends, offsets)])  # (k_total,)
            backward = self._backward_over_prefixes(
                torch.cat(xs), torch.cat([e + o for e, o in zip(ends, offsets)]), starts
            )
            sizes = [len(e) for e in ends]
            for name, part in backward.items():
                for review, piece in zip(parts, part.split(sizes)):
                    review[name].append(piece)  # (k, hidden)
        names = ["max", "mean"] if c.pooling == "maxmean" else [c.pooling]
        return [self.head(torch.cat([p for name in names for p in review[name]], dim=-1)) for review in parts]  # [(k,)]

    def _lstm_steps(self, lstm: nn.LSTM, x: torch.Tensor):
        """For stepping ``lstm`` by hand over rows of x (seq, embed): the input projections of every row
        (seq, 4*hidden) and ``step(z, h, cell) -> (h, cell)``, one step of k sequences from their rows' projections
        z (k, 4*hidden) and states (k, hidden). One sigmoid per step for all four gates: the cell input's tanh(z) is
        2 * sigmoid(2z) - 1, so its rows of the weights are doubled once here (fewer, larger calls per step: 13% less
        time on a CPU, measured)."""
        hidden = self.config.hidden_dim
        scale = x.new_ones(4 * hidden)
        scale[2 * hidden : 3 * hidden] = 2
        inputs = nn.functional.linear(x, lstm.weight_ih_l0, lstm.bias_ih_l0 + lstm.bias_hh_l0) * scale
        weight = (lstm.weight_hh_l0 * scale.unsqueeze(1)).t().contiguous()  # (hidden, 4*hidden)

        def step(z: torch.Tensor, h: torch.Tensor, cell: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            gates = torch.addmm(z, h, weight).sigmoid_()  # (k, 4*hidden)
            i, f, g, o = gates.split(hidden, dim=1)  # (k, hidden) each; g is (tanh + 1) / 2 of the cell input
            cell = torch.addcmul(f * cell, i, g.mul(2).sub_(1))  # (k, hidden)
            return o * cell.tanh(), cell

        return inputs, step

    def _backward_over_prefixes(
        self, x: torch.Tensor, ends: torch.Tensor, starts: torch.Tensor | None = None
    ) -> dict[str, torch.Tensor]:
        """The backward LSTM run over each stretch x[start:end] (x: (seq, embed); ``starts`` default 0), pooled:
        "last" (its state after reading back to the stretch's first word), "max" and "mean" over the stretch,
        each (k, hidden). A stretch is a prefix of a review; several reviews' prefixes lie in one ``x`` end to end."""
        lstm = self.layers[0][1]
        lengths = ends - (starts if starts is not None else 0)
        order = lengths.argsort(descending=True)
        # sorted longest first: the stretches still being read at step s are the first ones
        ends_sorted, lengths_sorted = ends[order], lengths[order]
        k, hidden = len(ends), self.config.hidden_dim
        inputs, step = self._lstm_steps(lstm, x)  # (seq, 4*hidden)
        h, cell, total = x.new_zeros(k, hidden), x.new_zeros(k, hidden), x.new_zeros(k, hidden)
        top = x.new_full((k, hidden), float("-inf"))
        steps = torch.arange(int(lengths_sorted[0]) if k else 0, device=x.device).unsqueeze(1)
        active = (lengths_sorted.unsqueeze(0) > steps).sum(1).tolist()
        for t, n in enumerate(active):
            h[:n], cell[:n] = step(inputs[ends_sorted[:n] - 1 - t], h[:n], cell[:n])  # (n, hidden) each
            top[:n] = torch.maximum(top[:n], h[:n])
            total[:n] += h[:n]
        unsort = order.argsort()
        return {"last": h[unsort], "max": top[unsort], "mean": (total / lengths_sorted.unsqueeze(1))[unsort]}

    @property
    def occludes_in_one_pass(self) -> bool:
        """Whether ``occlusion_logits`` covers this model: one layer of LSTM, max and/or mean pooling."""
        c = self.config
        return c.num_layers == 1 and c.rnn_type == "lstm" and c.pooling != "last"

    def occlusion_logits(self, ids: torch.Tensor, width: int = 1) -> torch.Tensor:
        """The logits of the review ``ids`` (seq,) and of its copies with each group of ``width`` neighbouring
        tokens in turn read as ``<unk>``: (1 + groups,), the review's first. In a one-layer LSTM a copy's states
        before its group (in each direction's reading order) are the review's own, so each copy is read only from
        its group on: half the work of reading every copy whole, in one pass of shrinking batches. Other models
        (``occludes_in_one_pass`` false) raise ValueError: score the copies whole instead."""
        c = self.config
        if not self.occludes_in_one_pass:
            raise ValueError("occlusion_logits covers one-layer LSTMs with max or mean pooling")
        n = len(ids)
        starts = torch.arange(0, n, width, device=ids.device)  # (groups,)
        stops = (starts + width).clamp(max=n)  # (groups,)
        x = self.embedding(torch.cat([ids, ids.new_tensor([UNK_ID])]))  # (seq + 1, embed): the last row is <unk>
        maxes, sums = self._occluded(self.layers[0][0], x, starts, stops)  # (1 + groups, hidden) each
        if c.bidirectional:  # the backward LSTM reads the reversed review, in which a group [a, b) is [n - b, n - a)
            reverse = torch.cat([x[:n].flip(0), x[n:]])  # (seq + 1, embed)
            back_maxes, back_sums = self._occluded(self.layers[0][1], reverse, n - stops, n - starts)
            maxes, sums = torch.cat([maxes, back_maxes], -1), torch.cat([sums, back_sums], -1)  # (1 + groups, 2*hidden)
        pooled = {"max": [maxes], "mean": [sums / n], "maxmean": [maxes, sums / n]}[c.pooling]
        return self.head(torch.cat(pooled, dim=-1))  # (1 + groups,)

    def _occluded(self, lstm: nn.LSTM, x: torch.Tensor, starts: torch.Tensor, stops: torch.Tensor):
        """One direction of ``occlusion_logits``: the LSTM reads x[:-1] (seq, embed) in order, and copies of it
        with x[-1] in place of the tokens start..stop-1 of each group. Returns the max and the sum of its outputs
        over all positions, (1 + groups, hidden) each: the review's, then each copy's (the review's own states
        before the group, the copy's from the group on)."""
        n, hidden = len(x) - 1, self.config.hidden_dim
        inputs, step = self._lstm_steps(lstm, x)  # (seq + 1, 4*hidden)
        # the review itself, keeping every state: (seq + 1, hidden), row t the state after t tokens
        hs, cells = [x.new_zeros(1, hidden)], [x.new_zeros(1, hidden)]
        for t in range(n):
            h, cell = step(inputs[t : t + 1], hs[-1], cells[-1])
            hs.append(h)
            cells.append(cell)
        hs, cells = torch.cat(hs), torch.cat(cells)
        outputs = hs[1:]  # (seq, hidden)
        # before each group: its states as they are
        top = torch.cat([x.new_full((1, hidden), float("-inf")), outputs.cummax(0).values])[starts]  # (groups, hidden)
        total = torch.cat([x.new_zeros(1, hidden), outputs.cumsum(0)])[starts]  # (groups, hidden)
        # from each group on, all copies at once; longest first, so the copies still reading are the first k
        order = starts.argsort()
        starts, stops = starts[order], stops[order]
        h, cell = hs[starts], cells[starts]  # (groups, hidden), copies
        top, total = top[order], total[order]
        active = (n - starts).unsqueeze(0) > torch.arange(n, device=x.device).unsqueeze(1)  # (seq, groups)
        for t, k in enumerate(active.sum(1).tolist()):
            at = starts[:k] + t  # (k,) positions read at this step
            rows = torch.where(at < stops[:k], n, at)  # (k,) <unk> inside the group
            h[:k], cell[:k] = step(inputs[rows], h[:k], cell[:k])
            top[:k] = torch.maximum(top[:k], h[:k])
            total[:k] += h[:k]
        unsort = order.argsort()
        whole_max, whole_sum = outputs.amax(0, keepdim=True), outputs.sum(0, keepdim=True)  # (1, hidden)
        return torch.cat([whole_max, top[unsort]]), torch.cat([whole_sum, total[unsort]])

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
