"""Name-swap augmentation: training articles retold with opposing actors' names exchanged.

A span's technique lies in the words around a name, not in whom they name; training on both
versions of an article (same labels, offsets carried across the swap) teaches the model that.
"""

from __future__ import annotations

import csv
import random
import re
from dataclasses import dataclass
from pathlib import Path

from ..document import InputError

PAIRS_FILE = Path(__file__).with_name("actor_pairs.tsv")


@dataclass(frozen=True)
class ActorPair:
    """Two opposing actors' surface forms, aligned by position (``a[i]`` is swapped with ``b[i]``)."""

    group: str
    a: tuple[str, ...]
    b: tuple[str, ...]

    def mapping(self) -> dict[str, str]:
        out = dict(zip(self.b, self.a))
        out.update(zip(self.a, self.b))
        return out


def load_pairs(path: str | Path = PAIRS_FILE) -> list[ActorPair]:
    """The pairs of a TSV with columns ``group, a, b`` (forms ``|``-separated); lines opening with # are comments."""
    path = Path(path)
    try:
        lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")]
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: cannot read the actor pairs ({e})") from None
    pairs = []
    for n, row in enumerate(csv.DictReader(lines, delimiter="\t"), 2):
        a = tuple(f for f in (row.get("a") or "").split("|") if f)
        b = tuple(f for f in (row.get("b") or "").split("|") if f)
        if not a or len(a) != len(b):
            raise InputError(f"{path}: line {n}: the two sides need the same number of forms (got {len(a)} and {len(b)})")
        pairs.append(ActorPair(row.get("group") or "", a, b))
    if not pairs:
        raise InputError(f"{path}: no actor pairs (columns group, a, b)")
    return pairs


def _pattern(forms) -> re.Pattern:
    return re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, sorted(forms, key=len, reverse=True))) + r")(?!\w)")


def present(pair: ActorPair, text: str) -> bool:
    return _pattern(pair.a + pair.b).search(text) is not None


def swap(text: str, labels: list[tuple[str, int, int]], pair: ActorPair) -> tuple[str, list[tuple[str, int, int]]]:
    """``text`` with every form of the pair replaced by its opposite, and ``labels`` moved with it:
    a boundary outside every name shifts; one inside a name goes to that name's start (or end)."""
    mapping = pair.mapping()
    pieces, out, pos, shift = [], [], 0, 0  # (old start, old end, new start, new end) of each name
    for m in _pattern(mapping).finditer(text):
        out.append(text[pos:m.start()])
        new = mapping[m.group()]
        pieces.append((m.start(), m.end(), m.start() + shift, m.start() + shift + len(new)))
        out.append(new)
        shift += len(new) - (m.end() - m.start())
        pos = m.end()
    out.append(text[pos:])

    def moved(p: int, end: bool) -> int:
        delta = 0
        for os_, oe, ns, ne in pieces:
            if p <= os_:
                break
            if p < oe:
                return ne if end else ns
            delta = ne - oe
        return p + delta

    new_labels = [(t, moved(s, False), moved(e, True)) for t, s, e in labels]
    return "".join(out), [(t, s, e) for t, s, e in new_labels if e > s]


def variants(text: str, labels, pairs: list[ActorPair]) -> list[tuple[str, list]]:
    """One swapped version of the article for each pair it names (none when it names none)."""
    return [swap(text, labels, p) for p in pairs if present(p, text)]


def choose(rng: random.Random, n_variants: int, prob: float) -> int:
    """Which version an epoch trains on: -1 the original, else the index of a swapped one."""
    if not n_variants or rng.random() >= prob:
        return -1
    return rng.randrange(n_variants)
