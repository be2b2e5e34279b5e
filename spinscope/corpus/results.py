"""What the store keeps of an analysis, and the :class:`~spinscope.document.Analysis` rebuilt from it."""

from __future__ import annotations

from ..document import (
    Alternative,
    Analysis,
    Claim,
    Entity,
    Mention,
    Span,
    split_sentences,
)

# an analysis's notes for the reader (Analysis.notes) are stored in its model_info JSON under this key
NOTES_KEY = "analysis_notes"


def model_with_notes(result: dict) -> dict:
    """The result's model information as stored: with its notes, if any, under :data:`NOTES_KEY`."""
    model = result.get("model") or {}
    return {**model, NOTES_KEY: list(result["notes"])} if result.get("notes") else model


def split_notes(model: dict) -> tuple[dict, list[str]]:
    """Stored model information back into ``(model, notes)`` (the inverse of :func:`model_with_notes`)."""
    model = dict(model)
    return model, model.pop(NOTES_KEY, [])


def result_from_analysis(analysis: Analysis) -> dict:
    """What the store keeps of an analysis (texts of spans, claims and mentions are cut from the text)."""
    d = analysis.as_dict()
    for key in ("spans", "claims"):
        for item in d[key]:
            item.pop("text", None)
    for ent in d["entities"]:
        ent["mentions"] = [[m["start"], m["end"]] for m in ent["mentions"]]
    return {"model": d["model"], "notes": d["notes"], "spans": d["spans"], "claims": d["claims"],
            "entities": d["entities"]}


def analysis_from_result(text: str, title: str | None, result: dict) -> Analysis:
    """Rebuild the :class:`Analysis` that :func:`result_from_analysis` was made from."""
    spans = [
        Span(start=s["start"], end=s["end"], technique=s["technique"], score=s["score"], text=text[s["start"]:s["end"]],
             explanation=s.get("explanation", ""), span_score=s.get("span_score", 0.0),
             triggers=tuple(s.get("triggers", ())),
             alternatives=tuple(Alternative(a["technique"], a["score"]) for a in s.get("alternatives", ())),
             target=s.get("target"), technique_score=s.get("technique_score", 0.0))
        for s in result.get("spans", ())
    ]
    claims = [Claim(c["start"], c["end"], text[c["start"]:c["end"]], c["score"]) for c in result.get("claims", ())]
    entities = [
        Entity(id=e["id"], name=e["name"], label=e["label"],
               mentions=[Mention(a, b, text[a:b]) for a, b in e.get("mentions", ())],
               country=e.get("country"), techniques=dict(e.get("techniques") or {}))
        for e in result.get("entities", ())
    ]
    return Analysis(text=text, title=title, sentences=split_sentences(text), spans=spans,
                    model=dict(result.get("model") or {}), claims=claims, entities=entities,
                    notes=list(result.get("notes") or ()))


