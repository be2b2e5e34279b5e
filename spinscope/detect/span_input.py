"""The input the span classifier reads: the span's sentence with the span's tokens marked.

Training (:mod:`spinscope.training.span_classifier`) and inference build it with this one
function, from the same token ids, offsets and sentence starts, so that both see the same input.
"""

from __future__ import annotations

import numpy as np

SPAN_TOKENS = 48  # at most this many span tokens in the first segment (first and last halves)
SIDE_TOKENS = 32  # at most this many tokens of the sentence on each side of the span


def _clip(ids: np.ndarray, n: int) -> np.ndarray:
    """``ids`` with its middle cut out when it is longer than ``n``."""
    if len(ids) <= n:
        return ids
    return np.concatenate([ids[: n // 2], ids[len(ids) - n // 2 :]])


def span_input(ids: np.ndarray, starts: np.ndarray, a: int, b: int, cls_id: int, sep_id: int,
               marked: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """``(input_ids, token_type_ids)`` for the span of tokens ``[a, b)`` in its sentence, cut to
    :data:`SIDE_TOKENS` each side of the span. ``marked``: ``[CLS] sentence [SEP]`` with the span's
    tokens of type 1; else the pair ``[CLS] span [SEP] sentence [SEP]`` (longer, so slower).
    ``starts[i]``: whether a sentence starts at token ``i``."""
    n = len(ids)
    a = min(max(a, 0), max(n - 1, 0))
    b = min(max(b, a + 1), n)
    before = np.flatnonzero(starts[: a + 1])
    s0 = int(before[-1]) if len(before) else 0
    after = np.flatnonzero(starts[b:])
    s1 = b + int(after[0]) if len(after) else n
    left = ids[max(s0, a - SIDE_TOKENS) : a]
    right = ids[b : min(s1, b + SIDE_TOKENS)]
    span = _clip(ids[a:b], SPAN_TOKENS)
    if marked:
        x = np.concatenate([[cls_id], left, span, right, [sep_id]]).astype(np.int64)
        t = np.zeros(len(x), np.int64)
        t[1 + len(left) : 1 + len(left) + len(span)] = 1
        return x, t
    first = np.concatenate([[cls_id], span, [sep_id]])
    second = np.concatenate([left, span, right, [sep_id]])
    x = np.concatenate([first, second]).astype(np.int64)
    t = np.concatenate([np.zeros(len(first), np.int64), np.ones(len(second), np.int64)])
    return x, t
