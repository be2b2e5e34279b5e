"""The analysis pipeline: :func:`analyze` and :func:`analyze_many` own the stages and their order
(sentences, technique spans with claims in the same encoder pass, entities and targets), the title,
and every note for the reader, including those on stages skipped.
"""

from __future__ import annotations

import itertools
from typing import Iterable, Iterator

from .document import Analysis, check_unicode, split_sentences

# spaCy keeps a whole parsed document in memory, and claims score every sentence at once; past this
# length (about 50,000 words, far longer than any article) both are skipped so memory stays bounded.
ENTITY_MAX_CHARS = 300_000
# analyze_many: at most this many texts wait for the entities stage
PIPELINE_DEPTH = 8
def analyze(text: str, *, title: str | None = None, note: str | None = None, detector=None,
            claims: bool = True, entities: bool = True) -> Analysis:
    """Analyse one text: sentences, persuasion-technique spans, check-worthy claims and entities.

    Every offset is ``[start, end)`` in characters of ``text``. Empty or whitespace-only text gives
    an empty analysis. ``note`` says how the text was read (say, extracted from a PDF) and comes
    first in the analysis's notes. ``detector`` defaults to the shipped model, loaded once per
    process. ``claims=False`` or ``entities=False`` skip those stages. Claims cost almost nothing (a
    head on the technique encoder's hidden states); entities (spaCy) cost about as much as the
    technique model. For many texts, :func:`analyze_many` gives the same results faster.
    """
    return _entities_stage(_techniques_stage(text, title, note, detector, claims), entities)


def analyze_many(texts: Iterable, *, detector=None, claims: bool = True, entities: bool = True,
                 as_tuples: bool = False, return_exceptions: bool = False) -> Iterator:
    """Analyse many texts; yields one :class:`Analysis` per text, in input order, each equal to
    what :func:`analyze` gives for it. A text is a ``str``, or an object with ``text``, ``title``
    and ``note`` (a :class:`spinscope.inputs.Page`, as read from a file or URL).

    With ``as_tuples=True`` the items are ``(text, context)`` pairs and the results
    ``(analysis, context)`` pairs, as in spaCy's ``nlp.pipe``. Texts are read lazily and at most
    :data:`PIPELINE_DEPTH` are in flight, so memory stays flat however many come. With
    ``return_exceptions=True`` a text whose analysis fails yields its exception in place of an
    analysis and the others go on (as in ``asyncio.gather``); otherwise the first error is raised.

    Texts overlap, so the cores stay busy; the results are the same as one at a time:

    - with ``entities``, spaCy works in a second thread on the texts the technique model has read
      while it reads the next ones (both release the GIL for their heavy parts), and the technique
      model leaves one core to spaCy (:meth:`Detector.with_threads`);
    - without, the technique model reads as many texts at once as it has threads, each on one
      thread: on 2 cores that is faster than one text on two threads, whose small matrix
      products leave the threads waiting on each other.

    ``bench/bench_entities.py`` and ``bench/bench_analyze.py`` measure the gains.
    """
    items = ((t, None) for t in texts) if not as_tuples else map(_pair, texts)
    head = list(itertools.islice(items, 2))
    items = itertools.chain(head, items)

    def out(result, ctx):
        return (result, ctx) if as_tuples else result

    from .detect.detector import default_detector

    det = (detector or default_detector()) if len(head) == 2 else None
    workers = det.threads if det is not None and hasattr(det, "with_threads") else 1
    if len(head) < 2 or (not entities and workers < 2):  # nothing to overlap: one text gets every core
        for text, ctx in items:
            try:
                t, title, note = _parts(text)
                a = analyze(t, title=title, note=note, detector=detector, claims=claims, entities=entities)
            except Exception as e:
                if not return_exceptions:
                    raise
                a = e
            yield out(a, ctx)
        return
    from concurrent.futures import ThreadPoolExecutor

    if entities:  # techniques here, entities in the pool
        if hasattr(det, "with_threads"):  # one core for spaCy, the others for the technique model
            det = det.with_threads(det.threads - 1)
        pool = ThreadPoolExecutor(1, thread_name_prefix="spinscope-entities")

        def submit(text):
            return pool.submit(_entities_stage, _techniques_stage(*_parts(text), det, claims), True)
    else:  # the technique model on one thread per text, `workers` texts at once
        one = det.with_threads(1)
        if claims and _claims_available():
            from .claims import default_claim_scorer

            default_claim_scorer()  # loaded once, here, not by two workers at the same time
        pool = ThreadPoolExecutor(workers, thread_name_prefix="spinscope-techniques")

        def submit(text):
            return pool.submit(_techniques_stage, *_parts(text), one, claims)

    try:
        for result, ctx in _in_order(items, submit, max(PIPELINE_DEPTH, workers), return_exceptions):
            yield out(result, ctx)
    finally:
        pool.shutdown(wait=True)


def _in_order(items, submit, depth: int, return_exceptions: bool):
    """``(result, context)`` of ``submit(text)`` futures for ``(text, context)`` items, in input
    order, with at most ``depth`` submitted and not yet yielded."""
    from collections import deque
    from concurrent.futures import Future

    def outcome(fut: Future):
        if return_exceptions and fut.exception() is not None:
            return fut.exception()
        return fut.result()

    pending: deque = deque()  # (future, context), oldest first
    try:
        for text, ctx in items:
            try:
                fut = submit(text)
            except Exception as e:
                if not return_exceptions:
                    raise
                fut = Future()
                fut.set_exception(e)
            pending.append((fut, ctx))
            # articles differ in length, so a short queue keeps the workers from waiting on each other
            while pending and (len(pending) > depth or pending[0][0].done()):
                fut, c = pending.popleft()
                yield outcome(fut), c
        while pending:
            fut, c = pending.popleft()
            yield outcome(fut), c
    finally:
        for fut, _ in pending:
            fut.cancel()


def _pair(item) -> tuple:
    """An ``as_tuples`` item: a ``(text, context)`` pair (a plain "ab" would unpack as text "a")."""
    if not isinstance(item, tuple) or len(item) != 2:
        raise TypeError(f"analyze_many(as_tuples=True) takes (text, context) pairs, not {type(item).__name__}"
                        + (f" of length {len(item)}" if isinstance(item, tuple) else ""))
    return item


def _parts(item) -> tuple[str, str | None, str | None]:
    """``(text, title, note)`` of an :func:`analyze_many` item: a ``str``, or an object with those fields."""
    if isinstance(item, str):
        return item, None, None
    text = getattr(item, "text", item)  # anything else fails in _techniques_stage with a clear TypeError
    return text, getattr(item, "title", None), getattr(item, "note", None)


def _techniques_stage(text: str, title: str | None, note: str | None, detector, claims: bool) -> Analysis:
    """Sentences, technique spans and (with ``claims``) claims: everything but entities."""
    if not isinstance(text, str):
        raise TypeError(f"analyze() takes a str, not {type(text).__name__}; decode bytes as UTF-8 first")
    check_unicode(text)
    if title is not None:
        check_unicode(title, "the title")
    from .detect.detector import default_detector

    det = detector or default_detector()
    sentences = split_sentences(text)
    found_claims = []
    if not text.strip():
        spans = []
    elif claims and _claims_available() and len(text) <= ENTITY_MAX_CHARS:
        from .claims import detect_with_claims

        spans, found_claims = detect_with_claims(det, None, text, sentences)
    else:
        from .detect.detector import detect_spans

        spans = detect_spans(det, text, sentences)
    from .language import language_note

    lang = language_note(text)
    notes = [n for n in (note, lang) if n]
    if claims and len(text) > ENTITY_MAX_CHARS:
        notes.append(_claims_skipped())
    return Analysis(text=text, title=title, sentences=sentences, spans=spans, model=det.info,
                    claims=found_claims, notes=notes)


def _entities_stage(analysis: Analysis, entities: bool) -> Analysis:
    """``analysis`` with entities and span targets (when ``entities`` and the text allows)."""
    text = analysis.text
    if entities and text.strip():
        if len(text) > ENTITY_MAX_CHARS:
            if _claims_skipped() in analysis.notes:  # one note for both
                analysis.notes.remove(_claims_skipped())
                note = f"claims, entities and targets skipped: the text is longer than {ENTITY_MAX_CHARS:,} characters"
            else:
                note = f"entities and targets skipped: the text is longer than {ENTITY_MAX_CHARS:,} characters"
            analysis.model = {**analysis.model, "notes": [note]}  # where schema 1.0 has always had it
            analysis.notes.append(note)
        else:
            from .entities import enrich

            analysis = enrich(analysis)
    return analysis


def _claims_skipped() -> str:
    return f"claims skipped: the text is longer than {ENTITY_MAX_CHARS:,} characters"


def _claims_available() -> bool:
    from .claims import CONFIG_NAME, MODEL_DIR

    return (MODEL_DIR / CONFIG_NAME).exists()
