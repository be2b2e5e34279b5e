"""Who and what an article talks about, and whom its techniques are aimed at.

Named entities come from spaCy (:mod:`.nlp`); mentions of the same entity within one text are merged
(:mod:`.mentions`); each entity gets one type (:mod:`.types`) and places a country code
(:mod:`.countries`); each technique span gets a *target*, the entity it is aimed at, or ``None``
(:mod:`.targets`). Offsets are sacred: every mention is ``[start, end)`` in characters of the exact
input text.

Entry points: :func:`enrich` (fills ``Analysis.entities`` and the spans' ``target``),
:func:`extract_entities`, :func:`profile_lines`, :func:`type_is_certain`.
"""

from ..errors import EntityModelError
from .countries import country_of_name
from .extract import enrich, entities_from_docs, extract_entities
from .nlp import LABELS, TARGET_LABELS, load_nlp, parse, parse_for_targets
from .profile import describe, profile_lines, ranked_by_mentions, ranked_by_techniques
from .types import place_size, type_is_certain

__all__ = [
    "LABELS", "TARGET_LABELS", "EntityModelError", "country_of_name", "describe", "enrich", "entities_from_docs",
    "extract_entities", "load_nlp", "parse", "parse_for_targets", "place_size", "profile_lines",
    "ranked_by_mentions", "ranked_by_techniques", "type_is_certain",
]
