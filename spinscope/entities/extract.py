"""Entities and span targets of a text: :func:`extract_entities`, and :func:`enrich` for an analysis."""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

from ..document import Analysis, Entity, Span
from .mentions import build_entities
from .nlp import load_nlp, parse_for_targets, pos_rules
from .targets import targets_for


def entities_from_docs(text: str, docs, spans: Sequence[Span] = (), parsed=None,
                       pos_rules=None) -> tuple[list[Entity], list[Span]]:
    """Like :func:`extract_entities`, from already parsed ``[(offset, doc), ...]``: entities from
    ``docs``, targets from ``parsed`` (parsed pieces of the text; default ``docs``). Where the
    parsed docs have no POS (the attribute ruler did not run), ``pos_rules`` gives it."""
    index = build_entities(text, docs)
    tids = targets_for(text, docs if parsed is None else parsed, index, spans, pos_rules)
    entities = index.entities
    new_spans = []
    for s, t in zip(spans, tids):
        if t is None:
            new_spans.append(replace(s, target=None) if s.target is not None else s)
            continue
        en = entities[t]
        en.techniques[s.technique] = en.techniques.get(s.technique, 0) + 1
        new_spans.append(replace(s, target=en.id))
    for en in entities:
        en.techniques = dict(sorted(en.techniques.items(), key=lambda kv: (-kv[1], kv[0])))
    return entities, new_spans


def extract_entities(text: str, spans: Sequence[Span] = (), *, nlp=None) -> tuple[list[Entity], list[Span]]:
    """Named entities of ``text`` (mentions merged, ranked by number of mentions, ids "e1", ...)
    and ``spans`` with ``target`` set to the id of the entity each is aimed at (or None).

    Each entity's ``techniques`` counts the spans aimed at it. ``nlp`` defaults to the shipped
    spaCy pipeline (:func:`load_nlp`).
    """
    if not text.strip():
        return [], [replace(s, target=None) if s.target is not None else s for s in spans]
    nlp = nlp or load_nlp()
    docs, parsed = parse_for_targets(text, spans, nlp)
    return entities_from_docs(text, docs, spans, parsed, pos_rules(nlp))


def enrich(analysis: Analysis, *, nlp=None) -> Analysis:
    """A copy of ``analysis`` with ``entities`` filled and each span's ``target`` set."""
    entities, spans = extract_entities(analysis.text, analysis.spans, nlp=nlp)
    return replace(analysis, entities=entities, spans=spans)


