"""An article's entities as a reader sees them: ranked, described, in profile lines."""

from __future__ import annotations

from typing import Iterable

from .. import techniques as T
from ..document import Analysis, Entity
from .nlp import TARGET_LABELS
from .types import type_is_certain

# --- article profile -------------------------------------------------------------------------


def ranked_by_mentions(analysis: Analysis, *, labels: Iterable[str] = TARGET_LABELS) -> list[Entity]:
    """Entities (dates left out by default), most mentioned first."""
    labels = set(labels)
    return sorted((e for e in analysis.entities if e.label in labels),
                  key=lambda e: (-len(e.mentions), e.mentions[0].start if e.mentions else 0))


def ranked_by_techniques(analysis: Analysis) -> list[Entity]:
    """Entities at least one technique is aimed at, most targeted first (ties: more mentions)."""
    return sorted((e for e in analysis.entities if e.techniques),
                  key=lambda e: (-sum(e.techniques.values()), -len(e.mentions),
                                 e.mentions[0].start if e.mentions else 0))


def profile_lines(analysis: Analysis, *, limit: int = 10) -> list[str]:
    """One line per targeted entity, most targeted first, for text and HTML outputs, e.g.
    ``"CIA (ORG, 5 mentions) — Name calling / labelling ×3, Loaded language ×2"``.

    Empty when no technique has a target."""
    out = []
    for e in ranked_by_techniques(analysis)[:limit]:
        techs = ", ".join(
            f"{T.BY_LABEL[t].name if t in T.BY_LABEL else t} ×{n}" for t, n in e.techniques.items()
        )
        out.append(f"{describe(e)} — {techs}")
    return out


def describe(entity: Entity) -> str:
    """``"CIA (ORG, 5 mentions)"``; the type only where it is certain (:func:`type_is_certain`)."""
    n = len(entity.mentions)
    kind = f"{entity.label}, " if type_is_certain(entity) else ""
    return f"{entity.name} ({kind}{n} mention{'s' if n != 1 else ''})"
