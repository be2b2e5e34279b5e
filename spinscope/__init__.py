"""spinscope: see how a piece of news or opinion writing tries to persuade."""

from __future__ import annotations

from .document import Analysis, Claim, Entity, InputError, Sentence, Span, split_sentences

__version__ = "0.2.0"

# spaCy keeps a whole parsed document in memory, and claims score every sentence at once; past this
# length (about 50,000 words, far longer than any article) both are skipped so memory stays bounded.
ENTITY_MAX_CHARS = 300_000
__all__ = ["analyze", "Analysis", "Span", "Sentence", "Claim", "Entity", "InputError", "__version__"]


def analyze(text: str, *, title: str | None = None, detector=None, claims: bool = True,
            entities: bool = True) -> Analysis:
    """Analyse one text: sentences, persuasion-technique spans, check-worthy claims and entities.

    Every offset is ``[start, end)`` in characters of ``text``. Empty or whitespace-only text gives
    an empty analysis. ``detector`` defaults to the shipped model, loaded once per process.
    ``claims=False`` or ``entities=False`` skip those stages. Claims cost almost nothing (a head
    on the technique encoder's hidden states); entities (spaCy) cost about twice the technique
    model's time: see the README.
    """
    if not isinstance(text, str):
        raise TypeError(f"analyze() takes a str, not {type(text).__name__}; decode bytes as UTF-8 first")
    from .detect import default_detector

    det = detector or default_detector()
    sentences = split_sentences(text)
    found_claims = []
    if not text.strip():
        spans = []
    elif claims and _claims_available() and len(text) <= ENTITY_MAX_CHARS:
        from .claims import detect_with_claims

        spans, found_claims = detect_with_claims(det, None, text, sentences)
    else:
        spans = det.detect(text)
    analysis = Analysis(text=text, title=title, sentences=sentences, spans=spans, model=det.info,
                        claims=found_claims)
    if entities and text.strip():
        if len(text) > ENTITY_MAX_CHARS:
            analysis.model = {**analysis.model, "notes": [
                f"claims, entities and targets skipped: the text is longer than {ENTITY_MAX_CHARS:,} characters"]}
        else:
            from .entities import enrich

            analysis = enrich(analysis)
    return analysis


def _claims_available() -> bool:
    from .claims import CONFIG_NAME, MODEL_DIR

    return (MODEL_DIR / CONFIG_NAME).exists()
