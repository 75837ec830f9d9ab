"""Prediction: text in; label, probability, tokens, ids and (optionally) word attributions out.

Word attributions are integrated gradients (Sundararajan et al., 2017) over the token
embeddings, from a baseline of the same review with every word ``<unk>`` to the review itself:
each token gets a share of ``logit(review) - logit(baseline)`` (the shares add up to that
difference, up to the error of integrating in a few steps, which tests/test_predict.py bounds). The
all-zero embedding is not used as the baseline: near it the pooled LSTM's score jumps, and 16
integration steps then miss the difference by 45% on the median test review; from ``<unk>`` by 1%.
For the n-gram baseline, which is linear, each token gets its exact share instead. A positive share
pushed the review toward *positive*, a negative one toward *negative*.

Integrated gradients answer for the whole path from no words to all of them, so in a sentence that turns
("weak, but ... wonderful") a word can get a share against its own meaning. ``occlusion`` answers the plainer
question "what if this word were not read": for each token, ``logit(review) - logit(the same review with that
token read as <unk>)`` (occlusion, as Zeiler & Fergus, 2014, did for images). A one-layer LSTM reads each copy
only from the word on, all copies at once (``SentimentRNN.occlusion_logits``); other models score the copies
whole. Its cost grows with the number of copies times their length, so in a review too long for one copy per token
within ``OCCLUSION_TOKENS``, groups of neighbouring tokens are taken out together and each token gets its
group's effect (``occlusion_width``).

The trajectory is the probability of *positive* after reading the first t tokens, for each t: the
model applied to every prefix of the review (``prefix_logits``, batched, not one call per prefix).
Reviews longer than ``TRAJECTORY_POINTS`` tokens get it at that many evenly spaced prefixes, the
last one the whole review, and ``None`` between them.

``Predictor.compare`` scores a review and an edited copy of it: both verdicts, both running verdicts,
the baseline's verdicts and the words that differ (``sentiment.diff``), for "Edit and compare".
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, replace

import torch

from .checkpoint import Checkpoint, load_checkpoint
from .data import EncodedSplit
from .device import pick_device
from .diff import Change, WordDiff, diff_tokens
from .model import SentimentRNN
from .ngram import NgramModel
from .text import UNK_ID, tokenize

MAX_TOKENS = 3000  # longer reviews are cut to their first MAX_TOKENS tokens (the longest IMDb review has ~2,500)
TRAJECTORY_POINTS = (
    256  # the running verdict is computed after every token up to this many tokens, else at this many points
)
# occlusion takes words out one at a time while the copies hold at most this many tokens: every word of a review
# of up to TRAJECTORY_POINTS tokens, as the running verdict
OCCLUSION_TOKENS = TRAJECTORY_POINTS**2


@dataclass
class Prediction:
    label: str  # "positive" or "negative"
    probability: float  # probability that the review is positive, 0..1
    tokens: list[str]  # the tokens the model read, in order
    ids: list[int]  # their vocabulary ids (1 = <unk>)
    truncated: bool = False  # the review was cut to max_tokens
    attributions: list[float] | None = None  # per token: + pushed toward positive, - toward negative
    trajectory: list[float | None] | None = (
        None  # per token: probability of positive after reading up to it (None: not computed)
    )
    baseline: dict | None = None  # the order-blind baseline's {"label", "probability"} for the same review
    occlusion: list[float] | None = (
        None  # per token: logit fall when it is read as <unk> (+: it pushed toward positive)
    )

    @property
    def unknown(self) -> int:
        return sum(i == UNK_ID for i in self.ids)

    def to_dict(self) -> dict:
        return asdict(self) | {"unknown": self.unknown}

    def verdict(self) -> dict:
        """``{"label", "probability"}``: what another prediction's ``baseline`` holds of this one."""
        return {"label": self.label, "probability": self.probability}


@dataclass
class Comparison:
    """A review and an edited copy of it, each scored with its running verdict (and the baseline's verdict when the
    predictor has a baseline), and the words that differ between what the model read of them."""

    original: Prediction
    edited: Prediction
    diff: WordDiff  # over the tokens the model read (``original.tokens``, ``edited.tokens``)

    @property
    def changes(self) -> tuple[Change, ...]:
        return self.diff.changes

    def to_dict(self) -> dict:
        """``{"original": {label, probability, trajectory, baseline}, "edited": {...}, "changed": [{index, before, after}]}``."""

        def side(p: Prediction) -> dict:
            return {"label": p.label, "probability": p.probability, "trajectory": p.trajectory, "baseline": p.baseline}

        return {
            "original": side(self.original),
            "edited": side(self.edited),
            "changed": [c.to_dict() for c in self.changes],
        }

    def summary(self, model: str = "the BiLSTM", baseline: str = "the baseline") -> str:
        """One sentence on what the edit did to each verdict, e.g. "The edit flipped the BiLSTM from positive to
        negative (97.0% → 8.0% positive); the baseline stayed positive (91.0% → 88.0% positive)."."""
        if not self.changes:
            return "The two texts have the same words (the models read no punctuation or case), so the verdicts are the same."
        sides = [(model, self.original.label, self.original.probability, self.edited.label, self.edited.probability)]
        if self.original.baseline and self.edited.baseline:
            a, b = self.original.baseline, self.edited.baseline
            sides.append((baseline, a["label"], a["probability"], b["label"], b["probability"]))

        def moved(name, before, p, after, q):
            return f"{name} from {before} to {after} ({p:.1%} → {q:.1%} positive)"

        def stayed(name, before, p, after, q):
            return f"{name} stayed {before} ({p:.1%} → {q:.1%} positive)"

        flipped = [s for s in sides if s[1] != s[3]]
        kept = [s for s in sides if s[1] == s[3]]
        if len(flipped) == len(sides) == 2:
            return f"The edit flipped both: {moved(*sides[0])}, {moved(*sides[1])}."
        if flipped:
            text = f"The edit flipped {moved(*flipped[0])}"
            return text + (f"; {stayed(*kept[0])}." if kept else ".")
        if len(sides) == 2:
            return f"Neither model changed its verdict: {stayed(*sides[0])}, {stayed(*sides[1])}."
        return f"The edit did not change the verdict: {stayed(*sides[0])}."


class Predictor:
    """A loaded checkpoint ready to score reviews; ``baseline``, another predictor (the bag-of-n-grams
    model), is asked too when explaining."""

    def __init__(
        self,
        checkpoint: Checkpoint,
        device: str | torch.device | None = None,
        max_tokens: int = MAX_TOKENS,
        baseline: Predictor | None = None,
    ):
        self.device = torch.device(device) if device else torch.device(next(checkpoint.model.parameters()).device)
        self.model = checkpoint.model.to(self.device).eval()
        self.vocab = checkpoint.vocab
        self.metrics = checkpoint.metrics
        self.path = checkpoint.path
        self.max_tokens = max_tokens
        self.baseline = baseline

    def _encode(self, text: str, name: str = "review") -> tuple[list[str], list[int], bool]:
        if not isinstance(text, str):
            raise TypeError(f"{'a' if name == 'review' else 'the'} {name} must be a string, not {type(text).__name__}")
        tokens = tokenize(text, limit=self.max_tokens + 1)
        truncated = len(tokens) > self.max_tokens
        tokens = tokens[: self.max_tokens]
        if not tokens:
            raise ValueError(f"The {name} has no words to read: type or paste a movie review.")
        return tokens, self.vocab.encode(tokens), truncated

    def predict(self, text: str, explain: bool = False, baseline: bool | None = None) -> Prediction:
        """Score one review. ``explain=True`` also fills ``attributions``, ``occlusion`` and ``trajectory``;
        ``baseline`` (by default when explaining) the baseline predictor's verdict."""
        return self.predict_batch([text], explain=explain, baseline=baseline)[0]

    def predict_batch(
        self, texts: list[str], batch_size: int = 64, explain: bool = False, baseline: bool | None = None
    ) -> list[Prediction]:
        """Score many reviews, batched by similar length; results in the order given. ``explain`` and ``baseline``
        as in ``predict``."""
        encoded = []
        for n, text in enumerate(texts):
            try:
                encoded.append(self._encode(text))
            except (TypeError, ValueError) as e:
                raise type(e)(f"review {n}: {e}" if len(texts) > 1 else str(e)) from None
        results = self._score(encoded, batch_size)
        if self.baseline is not None and (explain if baseline is None else baseline):
            for r, other in zip(results, self.baseline.predict_batch(texts, batch_size)):
                r.baseline = other.verdict()
        if explain:
            for r in results:
                self.explain(r)
        return results

    def explain(self, p: Prediction) -> Prediction:
        """Fill a scored prediction's ``attributions``, ``occlusion`` and ``trajectory`` (in place, and returned): the
        slow part of ``predict(explain=True)``, for a caller that shows the verdict first."""
        p.attributions = self.attributions(p.ids)
        p.occlusion = self.occlusion(p.ids)
        p.trajectory = self.trajectory(p.ids)
        return p

    def _score(self, encoded: list[tuple[list[str], list[int], bool]], batch_size: int = 64) -> list[Prediction]:
        data = EncodedSplit([ids for _, ids, _ in encoded], [0] * len(encoded))
        probs = torch.empty(len(encoded))
        with torch.inference_mode():
            for idx in data.batches(batch_size, shuffle=False):
                ids, lengths, _ = data.batch(idx)
                probs[idx] = torch.sigmoid(self.model(ids.to(self.device), lengths.to(self.device)).float().cpu())
        return [
            Prediction("positive" if p >= 0.5 else "negative", p, tokens, ids, truncated)
            for (tokens, ids, truncated), p in zip(encoded, probs.tolist())
        ]

    @staticmethod
    def _ends(n: int, points: int) -> torch.Tensor:
        """The prefix lengths at which a review of ``n`` tokens gets its running verdict."""
        return torch.arange(1, n + 1) if n <= points else torch.linspace(1, n, points).round().long().unique()

    def _prefix_probs(self, reviews: list[list[int]], ends: list[torch.Tensor]) -> list[list[float]]:
        with torch.inference_mode():
            logits = self.model.prefix_logits_many(
                [torch.tensor(ids, device=self.device) for ids in reviews], [e.to(self.device) for e in ends]
            )
        return [torch.sigmoid(x.float().cpu()).tolist() for x in logits]

    def trajectory(self, ids: list[int], points: int = TRAJECTORY_POINTS) -> list[float | None]:
        """Probability of positive after reading the first t tokens, for each t (at ``points`` evenly spaced
        prefixes of a longer review, ``None`` between them; the last value is always the whole review's)."""
        ends = self._ends(len(ids), points)
        out: list[float | None] = [None] * len(ids)
        for end, p in zip(ends.tolist(), self._prefix_probs([ids], [ends])[0]):
            out[end - 1] = p
        return out

    def compare(self, original: str, edited: str, trajectory: bool = True) -> Comparison:
        """Score a review and an edited copy: both verdicts, both running verdicts (``trajectory``), the baseline's
        verdicts when this predictor has a baseline, and the words that differ between what the model read.

        Texts are read as ``predict`` reads them (cut to ``max_tokens``, ``truncated`` says so). Identical
        texts give no changes and the same verdicts. The two running verdicts are computed in one pass; a
        prefix the two texts share is scored once, so they agree exactly up to the first changed word.
        """
        encoded, empty = [], []
        for name, text in (("original review", original), ("edited review", edited)):
            try:
                encoded.append(self._encode(text, name))
            except ValueError:
                empty.append(name)
        if len(empty) == 2:
            raise ValueError(
                "Neither the original nor the edited review has words to read: type or paste a movie review."
            )
        if empty:
            raise ValueError(f"The {empty[0]} has no words to read: type or paste a movie review.")
        same = encoded[0][1] == encoded[1][1]  # the model reads the same ids
        scored = self._score(encoded[:1] if same else encoded)
        a = scored[0]
        b = replace(a, tokens=encoded[1][0], truncated=encoded[1][2]) if same else scored[1]
        if trajectory:
            a.trajectory, b.trajectory = self._two_trajectories(a.ids, b.ids)
        if self.baseline is not None:
            for p, other in zip((a, b), self.baseline.predict_batch([original, edited])):
                p.baseline = other.verdict()
        return Comparison(a, b, diff_tokens(a.tokens, b.tokens))

    def _two_trajectories(self, a: list[int], b: list[int], points: int = TRAJECTORY_POINTS):
        """``trajectory`` of two reviews in one pass; ``b``'s prefixes that are also ``a``'s are scored as ``a``'s."""
        shared = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
        ends_a, ends_b = self._ends(len(a), points), self._ends(len(b), points)
        borrowed = ends_b[ends_b <= shared]
        asked_a = torch.cat([ends_a, borrowed]).unique()  # sorted
        own_b = ends_b[ends_b > shared]
        probs_a, probs_b = self._prefix_probs([a, b], [asked_a, own_b])
        of_a = dict(zip(asked_a.tolist(), probs_a))
        of_b = {e: of_a[e] for e in borrowed.tolist()} | dict(zip(own_b.tolist(), probs_b))
        out_a: list[float | None] = [None] * len(a)
        out_b: list[float | None] = [None] * len(b)
        for end in ends_a.tolist():
            out_a[end - 1] = of_a[end]
        for end in ends_b.tolist():
            out_b[end - 1] = of_b[end]
        return out_a, out_b

    def attributions(self, ids: list[int], steps: int = 48) -> list[float]:
        """Integrated gradients of the logit for each token (midpoint rule, ``steps`` points)."""
        ids_t = torch.tensor([ids], device=self.device)
        if isinstance(self.model, NgramModel):
            with torch.no_grad():
                return self.model.token_shares(ids_t, torch.tensor([len(ids)]))[0].float().cpu().tolist()
        with torch.no_grad():
            embedded = self.model.embedding(ids_t)  # (1, seq, embed)
            baseline = self.model.embedding(torch.full_like(ids_t, UNK_ID))  # (1, seq, embed)
        alphas = (torch.arange(steps, device=self.device, dtype=embedded.dtype) + 0.5) / steps
        path = (baseline + alphas.view(-1, 1, 1) * (embedded - baseline)).requires_grad_(True)  # (steps, seq, embed)
        lengths = torch.full((steps,), len(ids))
        with torch.backends.cudnn.flags(enabled=False):  # cuDNN RNNs only backpropagate in train mode
            logits = self.model.forward_embedded(path, lengths)  # (steps,)
            (grads,) = torch.autograd.grad(logits.sum(), path)
        shares = ((embedded - baseline)[0] * grads.mean(0)).sum(-1)  # (seq,)
        return shares.float().cpu().tolist()

    @staticmethod
    def occlusion_width(n: int, budget: int = OCCLUSION_TOKENS) -> int:
        """How many neighbouring tokens ``occlusion`` takes out together in a review of ``n`` tokens: 1 while its
        ``n`` copies hold at most ``budget`` tokens, else the fewest for that (but never fewer than 32 copies)."""
        return -(-n // max(32, budget // n))

    def occlusion(self, ids: list[int], budget: int = OCCLUSION_TOKENS) -> list[float]:
        """For each token, the logit of the review minus that of the review with the token (with its group, see
        ``occlusion_width``) read as ``<unk>``: + it pushed toward positive here, - toward negative."""
        n = len(ids)
        width = self.occlusion_width(n, budget)
        ids_t = torch.tensor(ids, device=self.device)  # (seq,)
        with torch.inference_mode():
            # one pass on a CPU; elsewhere the copies whole (fused GPU kernels), 32 at a time to bound the memory
            if isinstance(self.model, SentimentRNN) and self.model.occludes_in_one_pass and self.device.type == "cpu":
                logits = self.model.occlusion_logits(ids_t, width)  # (1 + groups,), the review's first
            else:
                copies = ids_t.repeat(1 + -(-n // width), 1)  # (1 + groups, seq), the review itself first
                for row, start in enumerate(range(0, n, width), start=1):
                    copies[row, start : start + width] = UNK_ID
                logits = torch.cat([self.model(chunk, torch.full((len(chunk),), n)) for chunk in copies.split(32)])
        falls = (logits[0] - logits[1:]).float().cpu().tolist()  # (groups,)
        return [falls[i // width] for i in range(n)]

    def completeness_miss(self, ids: list[int], steps: int = 48) -> float:
        """How far the integrated-gradients shares' sum misses logit(review) - logit(every word <unk>), the
        difference they explain, relative to that difference (at least 1): the finite integral's error."""
        shares = self.attributions(ids, steps=steps)
        lengths = torch.tensor([len(ids)])
        with torch.no_grad():
            full = self.model(torch.tensor([ids], device=self.device), lengths).item()
            unknown = self.model(torch.full((1, len(ids)), UNK_ID, device=self.device), lengths).item()
        return abs(sum(shares) - (full - unknown)) / max(1.0, abs(full - unknown))


def load_predictor(
    path_or_repo: str | os.PathLike = "checkpoints/bilstm-imdb",
    device: str | None = None,
    max_tokens: int = MAX_TOKENS,
    baseline: str | os.PathLike | None = None,
) -> Predictor:
    """Load a checkpoint folder or Hugging Face Hub repo id; device: cuda, mps, cpu or None for the best available.
    ``baseline``: a second checkpoint (e.g. "checkpoints/ngram-imdb") that explained predictions compare with."""
    device = pick_device(device)
    other = Predictor(load_checkpoint(baseline, device=device), device, max_tokens) if baseline else None
    return Predictor(load_checkpoint(path_or_repo, device=device), device, max_tokens, other)
