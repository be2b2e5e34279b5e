"""Spans decoded from per-token BIO probabilities: thresholds, joining, sentence and line boundaries."""

from __future__ import annotations

import re

import numpy as np


def decode_spans(probs: np.ndarray, threshold: float, gap: int = 0,
                 breaks: np.ndarray | None = None,
                 paragraphs: np.ndarray | None = None, peak: float = 0.0, extend: float = 0.0,
                 ends: np.ndarray | None = None, words: np.ndarray | None = None) -> list[tuple[int, int, float]]:
    """Token runs ``[a, b)`` where P(outside) < threshold; a confident B starts a new run, and so
    does a token after a blank line (``paragraphs[i]``: no PTC span crosses one).

    Runs separated by at most ``gap`` outside tokens are joined, unless a line break lies
    between them (``breaks[i]`` is true when a line break precedes token ``i``). With ``peak``
    (hysteresis), a joined span is kept only if some token in it has P(inside) >= peak: the
    threshold says how far a span reaches, the peak whether there is one at all. With ``extend``,
    the last span of a sentence reaches to the sentence's last word when every word after it has
    P(outside) < extend (:func:`extend_to_sentence_end`; ``ends``, ``words`` as there). A span's
    score is the mean P(inside) of its tokens.
    """
    inside = probs[:, 0] < threshold
    out: list[tuple[int, int]] = []
    a = None
    for i in range(len(probs)):
        if inside[i]:
            starts_new = a is not None and (
                (probs[i, 1] > probs[i, 2] and probs[i, 1] > 0.5) or (paragraphs is not None and paragraphs[i]))
            if a is None:
                a = i
            elif starts_new:
                out.append((a, i))
                a = i
        elif a is not None:
            out.append((a, i))
            a = None
    if a is not None:
        out.append((a, len(probs)))
    out = join_runs(out, gap, breaks)
    if peak > 0:
        out = [(a, b) for a, b in out if 1.0 - probs[a:b, 0].min() >= peak]
    if extend > 0:
        out = extend_to_sentence_end(out, probs, extend, ends, words)
    return [(a, b, float(1.0 - probs[a:b, 0].mean())) for a, b in out]


def extend_to_sentence_end(runs: list[tuple[int, int]], probs: np.ndarray, extend: float,
                           ends: np.ndarray | None = None, words: np.ndarray | None = None) -> list[tuple[int, int]]:
    """Sorted token runs, each carried to the last word of its sentence when no other run follows in
    that sentence and every word in between has P(outside) < ``extend``.

    The model's probabilities tend to fade before a phrase ends ("Take back our | harbour!"), while
    PTC's annotators mark it to the end. ``ends[i]``: a sentence or line starts at token ``i`` (none
    given: the text is one sentence); ``words[i]``: token ``i`` has a letter or digit (none given:
    all do), so closing punctuation neither blocks the extension nor is added by it.
    """
    n = len(probs)
    bounds = np.flatnonzero(ends) if ends is not None else np.zeros(0, np.int64)
    out = []
    for r, (a, b) in enumerate(runs):
        k = int(np.searchsorted(bounds, b, side="left"))
        z = int(bounds[k]) if k < len(bounds) else n  # the first token of the next sentence
        following = runs[r + 1][0] if r + 1 < len(runs) else n
        if following >= z:
            w = np.arange(b, z) if words is None else b + np.flatnonzero(words[b:z])
            if len(w) and bool((probs[w, 0] < extend).all()):
                b = int(w[-1]) + 1
        out.append((a, b))
    return out


_NOT_ALNUM = re.compile(r"[\W_]")  # \w is str.isalnum() plus "_"


def word_tokens(text: str, offsets: np.ndarray) -> np.ndarray:
    """``out[i]`` is true when token ``i`` has a letter or digit: fewer of its characters than its
    length are neither (faster than testing each token's characters)."""
    offsets = np.asarray(offsets, np.int64).reshape(-1, 2)
    other = np.fromiter((m.start() for m in _NOT_ALNUM.finditer(text)), np.int64)
    n_other = np.searchsorted(other, offsets[:, 1]) - np.searchsorted(other, offsets[:, 0])
    return n_other < offsets[:, 1] - offsets[:, 0]


def join_runs(runs: list[tuple[int, int]], gap: int, breaks: np.ndarray | None = None) -> list[tuple[int, int]]:
    """Sorted token runs, with those at most ``gap`` tokens apart joined unless a line break
    (``breaks[i]``: one precedes token ``i``) lies between them."""
    if gap <= 0 or not runs:
        return runs
    joined = [runs[0]]
    for a, b in runs[1:]:
        pa, pb = joined[-1]
        if 0 < a - pb <= gap and (breaks is None or not breaks[pb : a + 1].any()):
            joined[-1] = (pa, b)
        else:
            joined.append((a, b))
    return joined


def newlines_before(text: str, offsets: np.ndarray) -> np.ndarray:
    """``out[i]``: how many line breaks lie between token ``i - 1`` and token ``i`` (two or more:
    a blank line, since only white space lies between tokens)."""
    out = np.zeros(len(offsets), np.int64)
    if len(offsets) > 1:
        breaks = np.flatnonzero(np.frombuffer(text.encode("utf-32-le"), np.uint32) == 10)  # by character
        out[1:] = np.searchsorted(breaks, offsets[1:, 0]) - np.searchsorted(breaks, offsets[:-1, 1])
    return out


def sentence_starts(text: str, offsets: np.ndarray, starts: np.ndarray | None = None) -> np.ndarray:
    """``out[i]`` is true when a sentence (``document.split_sentences``) starts after token
    ``i - 1`` ends and at or before token ``i`` starts. ``starts``: the sentences' start offsets
    relative to ``text`` (sorted; those outside it do no harm), when already split."""
    from ..document import split_sentences

    out = np.zeros(len(offsets), bool)
    if len(offsets) > 1:
        if starts is None:
            starts = np.array([s.start for s in split_sentences(text)], np.int64)
        out[1:] = np.searchsorted(starts, offsets[1:, 0], side="right") > np.searchsorted(starts, offsets[:-1, 1], side="right")
    return out


def line_breaks(text: str, offsets: np.ndarray, blank: bool = False) -> np.ndarray:
    """``out[i]`` is true when a line break (with ``blank``: a blank line) lies between token
    ``i - 1`` and token ``i``."""
    return newlines_before(text, offsets) >= (2 if blank else 1)

