"""IMDb sentiment with a bidirectional LSTM: tokenizer, vocabulary, data, model, pretraining, training, checkpoints,
prediction, and the bag-of-n-grams baseline it is compared with."""

import torch

# Backpropagating through long reviews produces denormal floats, which slow the CPU LSTM
# kernels several times over. Flushing them must happen before any parallel work starts,
# so it is done once here, on import.
torch.set_flush_denormal(True)

from .checkpoint import Checkpoint, CheckpointError, load_checkpoint, save_checkpoint  # noqa: E402
from .data import DataUnavailableError, load_imdb  # noqa: E402
from .model import ModelConfig, SentimentRNN  # noqa: E402
from .ngram import NgramConfig, NgramModel  # noqa: E402
from .predict import MAX_TOKENS, TRAJECTORY_POINTS, Prediction, Predictor, load_predictor  # noqa: E402
from .text import Vocab, tokenize  # noqa: E402
from .training import TrainConfig, fit, prepare  # noqa: E402

__all__ = [
    "MAX_TOKENS",
    "Checkpoint",
    "CheckpointError",
    "DataUnavailableError",
    "ModelConfig",
    "NgramConfig",
    "NgramModel",
    "Prediction",
    "Predictor",
    "SentimentRNN",
    "TRAJECTORY_POINTS",
    "TrainConfig",
    "Vocab",
    "fit",
    "load_checkpoint",
    "load_imdb",
    "load_predictor",
    "prepare",
    "save_checkpoint",
    "tokenize",
]
