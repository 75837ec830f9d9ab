"""The one way a sentiment classifier is built, for ``train.py`` and the web app's Train tab alike."""

from __future__ import annotations

import dataclasses

from .model import ModelConfig, SentimentRNN
from .pretrain import ENCODER_SIZES, Pretrained, start_from


def build_classifier(
    config: ModelConfig, vocab_size: int, pretrained: Pretrained | None = None, given: frozenset[str] = frozenset()
) -> SentimentRNN:
    """A ``SentimentRNN`` over ``vocab_size`` tokens: from random weights, or with its encoder taken from
    ``pretrained``, whose sizes replace ``config``'s except those in ``given`` (sizes a user chose on
    purpose: ``start_from`` refuses them if they disagree with the encoder's)."""
    config = dataclasses.replace(config, vocab_size=vocab_size)
    if pretrained is None:
        return SentimentRNN(config)
    sizes = {k: getattr(pretrained.model_config, k) for k in ENCODER_SIZES if k not in given}
    return start_from(pretrained, dataclasses.replace(config, **sizes))
