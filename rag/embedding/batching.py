"""What the MiniLM runtimes share around the model itself: texts go in batches of similar
length (little padding is computed), and token states come out as sentence-transformers'
vectors (mean over real tokens, unit length)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np


def length_sorted(texts: list[str], size: int) -> Iterator[np.ndarray]:
    """Row numbers of `texts` in batches of `size`, longest first."""
    order = np.argsort([-len(t) for t in texts], kind="stable")
    for lo in range(0, len(texts), size):
        yield order[lo : lo + size]


def mean_pooled(states: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Unit vectors from token states (batch, tokens, dim), padding left out."""
    weights = mask[..., None].astype(np.float32)
    pooled = (states * weights).sum(1) / np.maximum(weights.sum(1), 1e-9)
    return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
