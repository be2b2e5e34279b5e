"""A span's exact edges: whole words, trimmed of white space, punctuation, symbols and unmatched brackets (the PTC convention)."""

from __future__ import annotations

import unicodedata
from collections import Counter

LEAD_TRIM = " \t\r\n.,;:!?)]}-–—"
TRAIL_TRIM = " \t\r\n.,;:([{-–—"


def snap_span(text: str, s: int, e: int, lo: int = 0, hi: int | None = None, *,
              possessive: bool = True) -> tuple[int, int]:
    """Extend ``[s, e)`` to whole words, then trim white space, punctuation and symbols such as
    emoji at the edges.

    An apostrophe between letters belongs to the word ("don't"), but a span may end before a
    possessive "'s" unless ``possessive`` is false. The extension stays within ``[lo, hi)`` (the
    block the span was found in), so a "word" of millions of letters costs one block, not the whole
    text, for every span in it."""
    hi = len(text) if hi is None else min(hi, len(text))
    while s > lo and _in_word(text, s - 1, lo, hi) and _in_word(text, s, lo, hi):
        s -= 1
    while e < hi and _in_word(text, e, lo, hi) and _in_word(text, e - 1, lo, hi) and not (
            possessive and _possessive(text, e, lo, hi)):
        e += 1
    while s < e and (text[s] in LEAD_TRIM or _edge_junk(text[s], lead=True)):
        s += 1
    while e > s and (text[e - 1] in TRAIL_TRIM or _edge_junk(text[e - 1])):
        e -= 1
    # a closing bracket whose opener is outside the span ends none ("they lied}" -> "they lied"),
    # nor does an opener start one whose closer is outside; the brackets are counted once, so a
    # long run of them costs its length, not its square
    if any(text[i] in _OPENERS or text[i] in _CLOSERS for i in (s, e - 1) if s < e):
        counts = Counter(ch for ch in text[s:e] if ch in _BRACKETS)
        while e > s:
            ch = text[e - 1]
            if not (ch in TRAIL_TRIM or _edge_junk(ch) or (ch in _CLOSERS and counts[_CLOSERS[ch]] < counts[ch])):
                break
            counts[ch] -= 1
            e -= 1
        while s < e:
            ch = text[s]
            if not (ch in LEAD_TRIM or _edge_junk(ch, lead=True) or (ch in _OPENERS and counts[_OPENERS[ch]] < counts[ch])):
                break
            counts[ch] -= 1
            s += 1
    return s, e


_CLOSERS = {")": "(", "]": "[", "}": "{"}
_OPENERS = {v: k for k, v in _CLOSERS.items()}
_BRACKETS = frozenset("()[]{}")


def has_word(text: str, s: int, e: int) -> bool:
    """Whether ``text[s:e]`` holds a letter or digit. None of PTC's 5,070 gold spans lacks one; a
    span of a lone quote mark, "%" or "****" is dropped."""
    return any(ch.isalnum() for ch in text[s:e])


APOSTROPHES = "'\u2019\u02bc"


def _inner_apostrophe(text: str, i: int, lo: int, hi: int) -> bool:
    """Whether ``text[i]`` is an apostrophe inside a word ("don't", "It's")."""
    return lo < i < hi - 1 and text[i] in APOSTROPHES and text[i - 1].isalnum() and text[i + 1].isalnum()


def _in_word(text: str, i: int, lo: int, hi: int) -> bool:
    """Whether ``text[i]`` is part of a word: a letter, a digit or an apostrophe inside a word, so
    that a span neither starts nor ends at one, nor right after one."""
    return text[i].isalnum() or _inner_apostrophe(text, i, lo, hi)


def _possessive(text: str, i: int, lo: int, hi: int) -> bool:
    """Whether a possessive "'s" starts at ``i``, which a span may end before: PTC's annotators end 9
    spans before one ("Mr. Trump|'s") and 11 after one."""
    return _inner_apostrophe(text, i, lo, hi) and text[i + 1] in "sS" and (i + 2 >= hi or not text[i + 2].isalnum())


# symbols other than currency and maths (emoji, dingbats, arrows, modifier marks), controls, format
# characters (zero-width joiners, variation selectors) and separators of any kind (no-break spaces):
# none of PTC's 5,070 gold spans starts or ends with one, and the tokenizer reads most as [UNK]
_EDGE_JUNK = frozenset({"So", "Sk", "Cc", "Cf", "Co", "Cn", "Cs", "Zs", "Zl", "Zp"})


def _edge_junk(ch: str, lead: bool = False) -> bool:
    """Whether ``ch`` may not start (``lead``) or end a span. A combining mark never starts one; at
    the end it belongs to the letter before it, except for the emoji variation selectors."""
    if ch < " " or ch == "\x7f":
        return True
    if ch <= "\x7f":
        return False
    cat = unicodedata.category(ch)
    return cat in _EDGE_JUNK or ch in "\ufe0e\ufe0f" or (lead and cat in ("Mn", "Me"))

