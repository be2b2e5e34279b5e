"""The shipped detector's numbers do not depend on its thread count or on what it ran before.

Dynamic int8 quantisation takes activation scales per ORT call, so anything that changed how the
windows are grouped would change scores; thread count and call order must not.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("onnxruntime")

from spinscope.detect import MODEL_DIR, Detector  # noqa: E402

TEXT = (
    "The corrupt council once again betrayed the hardworking families of the town. "
    "Critics called the mayor a clown and a liar. Is the deal really legal? "
    "Experts agree the bridge will be a total catastrophe, and everyone already knows it.\n\n"
) * 12  # about 700 tokens: several overlapping windows

OTHER = "Real patriots will never surrender our great nation to foreign bureaucrats. " * 40


@pytest.fixture(scope="module")
def dets():
    if not (MODEL_DIR / "config.json").exists():
        pytest.skip("no shipped model")
    return Detector(threads=1), Detector(threads=2)


def _keys(spans):
    return [(s.start, s.end, s.technique, s.score, s.triggers) for s in spans]


def test_encoding_is_bitwise_equal_for_1_and_2_threads(dets):
    one, two = dets
    a, b = one.encode(TEXT), two.encode(TEXT)
    assert len(a) == len(b) == 1 and len(a[0].windows) >= 3
    assert np.array_equal(a[0].probs, b[0].probs)
    for x, y in zip(a[0].hidden, b[0].hidden):
        assert np.array_equal(x, y)
    assert _keys(one.detect(TEXT)) == _keys(two.detect(TEXT))


def test_results_do_not_depend_on_earlier_calls(dets):
    _, det = dets
    first = _keys(det.detect(TEXT))
    assert first  # the text has spans to compare
    det.detect(OTHER)
    det.detect(TEXT[:300])
    assert _keys(det.detect(TEXT)) == first


def test_every_session_runs_the_same_graph(dets):
    """The main session and the 1-thread siblings of analyze_many are made with the same options
    (SkipLayerNormFusion off, see detect.session_options), so they give the same numbers."""
    _, two = dets
    sib = two.with_threads(1)
    assert sib is not two
    for det in (two, sib):
        opts = det.session.get_session_options()
        assert opts.get_session_config_entry("optimization.disable_specified_optimizers") == "SkipLayerNormFusion"
    a, b = two.encode(TEXT), sib.encode(TEXT)
    assert np.array_equal(a[0].probs, b[0].probs)
    for x, y in zip(a[0].hidden, b[0].hidden):
        assert np.array_equal(x, y)
