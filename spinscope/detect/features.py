"""The features a span is classified from: its pooled hidden states, its context and how often its phrase recurs.

Training (:mod:`spinscope.training`) uses these same functions, so that training and inference
see exactly the same inputs.
"""

from __future__ import annotations

import math

import numpy as np

CONTEXT = 16  # tokens of context on each side pooled for a span

def _norm(s: str) -> str:
    return " ".join(s.lower().split())


def repetition_count(text_lower: str, phrase: str) -> int:
    """How often else the span's phrase occurs in the article (case-insensitive)."""
    p = phrase.lower().strip()
    if len(p) < 3:
        return 0
    return max(0, text_lower.count(p) - 1)


def extra_features(n_tokens: int, rep: int) -> np.ndarray:
    return np.array([math.log1p(rep), 1.0 if rep > 0 else 0.0, math.log1p(n_tokens) / 5.0], np.float32)


def pool_features(hidden: np.ndarray, a: int, b: int, extras: np.ndarray) -> np.ndarray:
    """Features of the span at window-token positions ``[a, b)`` (``hidden`` is [T, H])."""
    a = max(a, 0)
    b = max(min(b, hidden.shape[0]), a + 1)
    span = hidden[a:b]
    ctx = hidden[max(0, a - CONTEXT) : min(hidden.shape[0], b + CONTEXT)]
    return np.concatenate([span.mean(0), span.max(0), ctx.mean(0), extras]).astype(np.float32)


def softmax(x: np.ndarray) -> np.ndarray:
    z = np.exp(x - x.max(-1, keepdims=True))
    return z / z.sum(-1, keepdims=True)
