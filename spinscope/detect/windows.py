"""Overlapping token windows over a text, and which window owns (sees most centrally) each token or span."""

from __future__ import annotations

import numpy as np

# The last window of a text starts where the stride puts it (but at least this many tokens before
# the end) instead of ending a full window at the last token: fewer tokens through the encoder, and
# no loss out of fold (docs/technique-model-history.md)
LAST_WINDOW = 128
BLOCK_CHARS = 30_000  # longer texts are processed block by block (bounded memory)


def make_windows(n_tokens: int, size: int, stride: int, offset: int = 0, min_last: int = 0) -> list[tuple[int, int]]:
    """Token windows ``[a, b)`` of at most ``size`` covering ``[0, n_tokens)``, ``stride`` apart.

    The first window starts at 0, the next ones at ``offset + k * stride`` (training shifts them
    each epoch). With ``min_last=0`` the last window is ``[n_tokens - size, n_tokens)``, full
    length. With ``min_last > 0`` it starts where the stride puts it, but ``min_last`` tokens
    before the end at the latest: it can be shorter than ``size``.
    """
    if n_tokens <= 0:
        return []
    if n_tokens <= size:
        return [(0, n_tokens)]
    last = min(min_last, size) if min_last > 0 else size  # the last window's least length
    out = [(0, size)]
    a = offset or stride
    while a + size < n_tokens:
        out.append((a, a + size))
        a += stride
    out.append((min(a, n_tokens - last), n_tokens))  # after the one before, which ended before n_tokens
    return out


def best_window(windows: list[tuple[int, int]], a: int, b: int) -> int:
    """Index of the window holding token range ``[a, b)`` with the largest margin (or overlap)."""
    best, best_key = 0, None
    for i, (ws, we) in enumerate(windows):
        overlap = min(b, we) - max(a, ws)
        margin = min(a - ws, we - b)
        key = (overlap, margin)
        if best_key is None or key > best_key:
            best, best_key = i, key
    return best


def token_owners(windows: list[tuple[int, int]], n_tokens: int) -> np.ndarray:
    """For each token, the window in which it is most central."""
    owner = np.zeros(n_tokens, dtype=np.int64)
    margin = np.full(n_tokens, -1, dtype=np.int64)
    idx = np.arange(n_tokens)
    for i, (ws, we) in enumerate(windows):
        m = np.minimum(idx[ws:we] - ws, we - 1 - idx[ws:we])
        better = m > margin[ws:we]
        owner[ws:we][better] = i
        margin[ws:we][better] = m[better]
    return owner


