"""Comparison keys of entity names: case-folded and normalised, titles ("Sen.", "President") left out."""

from __future__ import annotations

import re

POSSESSIVE = re.compile(r"(?:['’]s|(?<=s)['’])$")
TITLES = frozenset(
    "mr mrs ms miss dr prof sir president vice senator sen rep representative congressman "
    "congresswoman gov governor judge justice bishop archbishop cardinal pope father rev reverend "
    "general gen secretary minister chairman lt col capt sgt king queen prince princess "
    "saint st sheikh imam rabbi ambassador mayor speaker leader chief attorney director agent".split()
)


def name_key(name: str, label: str) -> str:
    """Comparison key: case-folded, dots, hyphens and apostrophes normalised, no "the"."""
    k = name.casefold().replace("’", "'").replace(".", "")
    k = re.sub(r"[\s\-‐–]+", " ", k).strip()
    if k.startswith("the "):
        k = k[4:]
    if label == "NORP" and len(k) > 4 and k.endswith("s") and " " not in k:
        k = k[:-1]  # Democrats / Democrat, Russians / Russian
    return k


def name_tokens(key: str) -> list[str]:
    toks = key.split()
    while len(toks) > 1 and toks[0] in TITLES:
        toks = toks[1:]
    return toks
