"""spinscope as a spaCy pipeline component: ``nlp.add_pipe("spinscope")``.

The factory is registered through the ``spacy_factories`` entry point, so an installed spinscope
needs no import. The component runs the technique detector over ``doc.text`` and puts every
technique span into ``doc.spans["spinscope"]`` (label = PTC technique), with

- ``span._.spinscope_score``: confidence (0-1) that the span uses the technique,
- ``span._.spinscope_explanation``: the plain-language explanation,
- ``span._.spinscope_target``: the canonical name of the entity it is aimed at (needs ``ner`` and
  ``parser`` earlier in the pipeline; else None),

and, when the document has sentences and a claims model is installed, each sentence's
check-worthiness in ``sent._.spinscope_claim_score`` (None otherwise).

Character offsets are mapped to tokens with ``doc.char_span(..., alignment_mode="expand")``, so a
spaCy span covers at least the characters spinscope found. See ``docs/spacy.md``.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc
from spacy.tokens import Span as SpacySpan

SPANS_KEY = "spinscope"
_EXTENSIONS = ("spinscope_score", "spinscope_technique_score", "spinscope_explanation", "spinscope_target",
               "spinscope_claim_score")


def register_extensions() -> None:
    """Register the ``Span._.spinscope_*`` attributes and ``Doc._.spinscope_notes`` (idempotent)."""
    for name in _EXTENSIONS:
        if not SpacySpan.has_extension(name):
            SpacySpan.set_extension(name, default=None)
    if not Doc.has_extension("spinscope_notes"):
        Doc.set_extension("spinscope_notes", default=None)


class SpinscopeComponent:
    """Finds technique spans in a ``Doc``. ``detector`` and ``claim_scorer`` may be set after
    ``add_pipe`` (any object with ``detect(text) -> list[spinscope.Span]``, resp.
    ``score_sentences(texts) -> scores``); by default the shipped models load on first use."""

    def __init__(self, nlp: Language, name: str = "spinscope", model_dir: str | None = None,
                 threshold: float | None = None, targets: bool = True, claims: bool = True):
        register_extensions()
        if threshold is not None and not 0.0 < threshold <= 1.0:
            # tokens with P(Outside) below it form spans: 0 would find nothing, above 1 means nothing more
            raise ValueError(f"spinscope: threshold must be above 0 and at most 1 (P(Outside) below it "
                             f"marks a token), not {threshold}")
        self.name = name
        self.model_dir = model_dir
        self.threshold = threshold
        self.targets = targets
        self.claims = claims
        self.detector = None
        self.claim_scorer = None
        self._claims_unavailable = False

    def _detector(self):
        if self.detector is None:
            from .detect.detector import load_detector

            self.detector = load_detector(self.model_dir)
        return self.detector

    def _scorer(self):
        if self.claim_scorer is None and not self._claims_unavailable:
            try:
                from .claims import ClaimScorer, default_claim_scorer
                from .detect import ModelError

                try:
                    if self.model_dir:
                        self.claim_scorer = ClaimScorer(self.model_dir, detector=self.detector)
                    else:
                        self.claim_scorer = default_claim_scorer()
                except (ModelError, OSError, KeyError, ValueError):
                    self._claims_unavailable = True  # no claims model installed
            except ImportError:
                self._claims_unavailable = True
        return self.claim_scorer

    def __call__(self, doc: Doc) -> Doc:
        text = doc.text
        det = self._detector()
        if not text.strip():
            spans = []
        elif self.threshold is None:
            spans = det.detect(text)
        else:
            spans = det.detect(text, threshold=self.threshold)
        names: list[str | None] = [None] * len(spans)
        if self.targets and spans and doc.has_annotation("ENT_IOB") and doc.has_annotation("DEP"):
            from .entities import entities_from_docs

            entities, spans = entities_from_docs(text, [(0, doc)], spans)
            by_id = {e.id: e.name for e in entities}
            names = [by_id.get(s.target) if s.target else None for s in spans]
        group = []
        for s, target in zip(spans, names):
            sp = doc.char_span(s.start, s.end, label=s.technique, alignment_mode="expand")
            if sp is None or len(sp) == 0:
                continue
            sp._.spinscope_score = float(s.score)
            sp._.spinscope_technique_score = float(s.technique_score)
            sp._.spinscope_explanation = s.explanation
            sp._.spinscope_target = target
            group.append(sp)
        doc.spans[SPANS_KEY] = group
        from .language import language_note

        note = language_note(text)
        doc._.spinscope_notes = [note] if note else []
        if self.claims and doc.has_annotation("SENT_START"):
            sents = [s for s in doc.sents if s.text.strip()]
            scorer = self._scorer() if sents else None
            if scorer is not None:
                scores = scorer.score_sentences([s.text.strip() for s in sents])
                for sent, score in zip(sents, scores):
                    sent._.spinscope_claim_score = float(score)
        return doc


@Language.factory(
    "spinscope",
    default_config={"model_dir": None, "threshold": None, "targets": True, "claims": True},
)
def make_component(nlp: Language, name: str, model_dir: str | None, threshold: float | None,
                   targets: bool, claims: bool) -> SpinscopeComponent:
    """spaCy factory for ``nlp.add_pipe("spinscope", config={...})``."""
    return SpinscopeComponent(nlp, name, model_dir=model_dir, threshold=threshold, targets=targets,
                              claims=claims)
