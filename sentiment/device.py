"""Where to run: CUDA or Apple MPS when present, else the CPU; overridable with SENTIMENT_DEVICE."""

from __future__ import annotations

import os

import torch


def pick_device(name: str | None = None) -> str:
    """Return ``name``, else ``$SENTIMENT_DEVICE``, else the best device available."""
    name = name or os.environ.get("SENTIMENT_DEVICE")
    if name:
        torch.device(name)  # raises a clear error for a malformed name
        return name
    if torch.cuda.is_available():
        return "cuda"
    if torch.backends.mps.is_available():
        return "mps"
    return "cpu"
