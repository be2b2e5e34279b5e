"""spinscope.analyze_many: the same analyses as analyze(), in order, read lazily, with spaCy in a
second thread and the technique model on the other cores, or (without entities) the technique
model on several texts at once."""

from __future__ import annotations

import threading

import pytest

pytest.importorskip("onnxruntime")

import spinscope  # noqa: E402
from spinscope.detect import MODEL_DIR, Detector  # noqa: E402

TEXTS = [
    "The corrupt regime of Bashar al-Assad gassed its own people, said the CIA on Monday.",
    "",
    "Critics called Mayor John Smith a clown and a liar.\n\nIs the deal really legal?",
    "   \n",
    "Real patriots will never surrender our great nation to foreign bureaucrats in Brussels.",
    "Vladimir Putin flew to Geneva to meet Joe Biden. Everyone already knows the truth.",
] * 2


@pytest.fixture(scope="module")
def det():
    if not (MODEL_DIR / "config.json").exists():
        pytest.skip("no shipped model")
    return Detector()


def test_same_analyses_as_analyze_in_input_order(det):
    one_by_one = [spinscope.analyze(t, detector=det).as_dict() for t in TEXTS]
    many = [a.as_dict() for a in spinscope.analyze_many(TEXTS, detector=det)]
    assert many == one_by_one
    assert any(d["entities"] for d in many) and any(s.get("target") for d in many for s in d["spans"])
    lean = [a.as_dict() for a in spinscope.analyze_many(TEXTS, detector=det, claims=False, entities=False)]
    assert lean == [spinscope.analyze(t, detector=det, claims=False, entities=False).as_dict() for t in TEXTS]


def test_as_tuples_keeps_each_context_with_its_text(det):
    pairs = [(t, {"n": i}) for i, t in enumerate(TEXTS)]
    out = list(spinscope.analyze_many(pairs, detector=det, as_tuples=True))
    assert [c["n"] for _, c in out] == list(range(len(TEXTS)))
    assert [a.text for a, _ in out] == TEXTS


def test_one_text_and_no_text(det):
    assert list(spinscope.analyze_many([], detector=det)) == []
    (a,) = spinscope.analyze_many(TEXTS[:1], detector=det)
    assert a.as_dict() == spinscope.analyze(TEXTS[0], detector=det).as_dict()


def test_reads_lazily(det):
    taken = []

    def source():
        for i in range(100):
            taken.append(i)
            yield TEXTS[i % len(TEXTS)]

    it = spinscope.analyze_many(source(), detector=det)
    next(it)
    assert len(taken) <= spinscope.PIPELINE_DEPTH + 2  # not the whole input
    it.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("spinscope-")]


def test_errors_reach_the_caller_and_leave_no_thread(det):
    with pytest.raises(TypeError):
        list(spinscope.analyze_many([TEXTS[0], b"bytes", TEXTS[2]], detector=det))
    assert not [t for t in threading.enumerate() if t.name.startswith("spinscope-")]


def test_with_threads_gives_a_kept_sibling_with_the_same_spans(det):
    assert det.with_threads(det.threads) is det
    one = det.with_threads(1)
    if det.threads == 1:
        assert one is det
        return
    assert one is det.with_threads(1) and one.threads == 1 and one.session is not det.session
    keys = lambda spans: [(s.start, s.end, s.technique, s.score) for s in spans]  # noqa: E731
    assert keys(one.detect(TEXTS[2])) == keys(det.detect(TEXTS[2]))


def test_return_exceptions_yields_the_error_in_place_and_goes_on(det):
    items = [TEXTS[0], b"bytes", TEXTS[2], 42, TEXTS[4]]
    out = list(spinscope.analyze_many(items, detector=det, return_exceptions=True))
    assert isinstance(out[1], TypeError) and isinstance(out[3], TypeError)
    assert [a.as_dict() for a in (out[0], out[2], out[4])] == [
        spinscope.analyze(t, detector=det).as_dict() for t in (TEXTS[0], TEXTS[2], TEXTS[4])]
    lean = list(spinscope.analyze_many(items, detector=det, entities=False, return_exceptions=True))
    assert isinstance(lean[1], TypeError)
    assert [(s.start, s.end, s.technique) for s in lean[4].spans] == [(s.start, s.end, s.technique) for s in out[4].spans]


def test_without_entities_texts_run_side_by_side_with_the_same_results(det):
    two = Detector(threads=2)  # whatever this machine's CPU count: two texts at a time
    seen = set()
    real = two.with_threads(1).detect

    def spy(text, *a, **k):
        seen.add(threading.current_thread().name)
        return real(text, *a, **k)

    two.with_threads(1).detect = spy
    lean = [a.as_dict() for a in spinscope.analyze_many(TEXTS, detector=two, claims=False, entities=False)]
    assert lean == [spinscope.analyze(t, detector=det, claims=False, entities=False).as_dict() for t in TEXTS]
    assert seen and all(n.startswith("spinscope-techniques") for n in seen)
    with_claims = [a.as_dict() for a in spinscope.analyze_many(TEXTS, detector=two, entities=False)]
    assert with_claims == [spinscope.analyze(t, detector=det, entities=False).as_dict() for t in TEXTS]
    assert not [t for t in threading.enumerate() if t.name.startswith("spinscope-")]


def test_without_entities_reads_lazily_and_raises_in_order(det):
    two = Detector(threads=2)
    taken = []

    def source():
        for i in range(100):
            taken.append(i)
            yield TEXTS[i % len(TEXTS)]

    it = spinscope.analyze_many(source(), detector=two, entities=False)
    next(it)
    assert len(taken) <= spinscope.PIPELINE_DEPTH + 2
    it.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("spinscope-")]
    it = spinscope.analyze_many([TEXTS[0], TEXTS[2], b"bytes", TEXTS[4]], detector=two, entities=False)
    assert next(it).text == TEXTS[0] and next(it).text == TEXTS[2]
    with pytest.raises(TypeError):
        next(it)


def test_a_lazy_detector_makes_only_the_sessions_it_uses(det):
    lazy = Detector(threads=2, lazy=True)
    assert lazy._own_session is None
    list(spinscope.analyze_many(TEXTS[:4], detector=lazy, claims=False, entities=False))
    assert lazy._own_session is None and lazy.with_threads(1)._own_session is not None  # only the 1-thread one
    assert lazy.detect(TEXTS[2]) == det.detect(TEXTS[2])  # now its own, made on first use
    assert lazy._own_session is not None


@pytest.mark.parametrize("entities, note", [
    (False, "claims skipped: the text is longer than"),
    (True, "claims, entities and targets skipped: the text is longer than"),
])
def test_a_text_too_long_for_claims_says_so_with_or_without_entities(monkeypatch, entities, note):
    monkeypatch.setattr(spinscope.pipeline, "ENTITY_MAX_CHARS", 200)
    text = "The corrupt council betrayed the town once again. " * 10
    a = spinscope.analyze(text, entities=entities)
    assert a.claims == [] and a.entities == []
    assert len(a.notes) == 1 and a.notes[0].startswith(note)
