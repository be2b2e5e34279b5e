"""Score calibration: a monotone map from raw span scores to the share of such spans that are right."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from spinscope.detect import ModelError, checked_score_map
from spinscope.document import Span
from spinscope.detect.calibration import apply_score_map
from spinscope.training.evaluation import calibration_error, fit_score_map, fit_technique_factors, span_hits, technique_calibration_error

from conftest import run_cli


def test_pooled_adjacent_violators_by_hand():
    m = fit_score_map([0.1, 0.2, 0.3, 0.4], [0, 1, 0, 1], bins=4)
    # knots 0, 1, 0, 1 -> the violating pair pooled to 0.5; anchored at (0, 0) and (1, 1)
    assert m == {"x": [0.0, 0.1, 0.2, 0.3, 0.4, 1.0], "y": [0.0, 0.0, 0.5, 0.5, 1.0, 1.0]}


def test_groups_are_equal_sized_and_equal_scores_share_one_knot():
    m = fit_score_map([0.3] * 6, [1, 0, 0, 1, 0, 0], bins=3)
    assert m == {"x": [0.0, 0.3, 1.0], "y": [0.0, pytest.approx(1 / 3, abs=1e-4), 1.0]}
    m = fit_score_map([0.1, 0.1, 0.5, 0.5], [0, 0, 1, 0], bins=2)
    assert m["x"] == [0.0, 0.1, 0.5, 1.0] and m["y"] == [0.0, 0.0, 0.5, 1.0]
    with pytest.raises(ValueError):
        fit_score_map([], [])


def test_an_overconfident_score_is_mapped_to_its_hit_rate():
    rng = np.random.default_rng(0)
    raw = rng.uniform(0.2, 0.8, 20_000)
    hits = rng.random(raw.size) < raw / 2  # right half as often as the score says
    m = fit_score_map(raw, hits)
    assert all(b > a for a, b in zip(m["x"], m["x"][1:]))
    assert all(b >= a for a, b in zip(m["y"], m["y"][1:]))
    for x in (0.3, 0.5, 0.7):
        assert apply_score_map(m, x) == pytest.approx(x / 2, abs=0.03)
    assert calibration_error(raw, hits) == pytest.approx(0.25, abs=0.01)
    assert calibration_error(apply_score_map(m, raw), hits) < 0.02


def test_calibration_error_by_hand():
    # bin 0.1-0.2: mean score 0.15, 1 hit of 2 -> |0.15 - 0.5| = 0.35; bin 0.9-1: 0.95 against 1 -> 0.05
    assert calibration_error([0.1, 0.2 - 1e-9, 0.95], [1, 0, 1]) == pytest.approx((2 * 0.35 + 0.05) / 3)
    assert calibration_error([], []) == 0.0
    assert calibration_error([1.0, 0.0], [1, 0]) == 0.0  # a score of exactly 1 falls in the top bin


def test_technique_factors_by_hand_and_shrunk_towards_one():
    mapped = [0.5] * 20 + [0.5] * 2
    hits = [1] * 10 + [0] * 10 + [0, 0]
    techs = ["Loaded_Language"] * 20 + ["Slogans"] * 2
    f = fit_technique_factors(mapped, hits, techs, prior=10)
    # Loaded_Language: (10 + 10) / (10 + 10) = 1; Slogans: (0 + 10) / (1 + 10), near 1 with 2 spans
    assert f == {"Loaded_Language": 1.0, "Slogans": pytest.approx(10 / 11, abs=1e-4)}
    assert fit_technique_factors(mapped, hits, techs, prior=0)["Slogans"] == 0.0
    m = {"x": [0.0, 1.0], "y": [0.0, 1.0], "technique_factor": {"Slogans": 0.5, "Doubt": 3.0}}
    got = apply_score_map(m, [0.4, 0.4, 0.4, 0.4], ["Slogans", "Doubt", "Repetition", "Slogans"])
    assert got.tolist() == pytest.approx([0.2, 1.0, 0.4, 0.2])  # capped at 1; no factor: 1
    assert apply_score_map(m, 0.4, "Slogans") == pytest.approx(0.2)
    assert apply_score_map(m, [0.4]).tolist() == [0.4]  # without techniques: the global map alone


def test_technique_calibration_error_by_hand():
    # Doubt: mean 0.5 against 0 right -> 0.5 (2 spans); Slogans: 0.2 against 1/2... -> |0.2 - 0.5| (2 spans)
    err = technique_calibration_error([0.5, 0.5, 0.2, 0.2], [0, 0, 1, 0], ["Doubt", "Doubt", "Slogans", "Slogans"])
    assert err == pytest.approx((2 * 0.5 + 2 * 0.3) / 4)


def _span(start, end, technique):
    return Span(start=start, end=end, technique=technique, score=0.5, text="x" * (end - start))


def test_a_span_is_right_when_it_overlaps_gold_of_its_own_technique():
    gold = [("Doubt", 10, 20), ("Loaded_Language", 30, 35)]
    spans = [_span(15, 25, "Doubt"), _span(15, 25, "Slogans"), _span(20, 30, "Doubt"), _span(0, 40, "Loaded_Language")]
    # touching is not overlapping: [20, 30) meets [10, 20) and [30, 35) without sharing a character
    assert span_hits(spans, gold) == [1.0, 0.0, 0.0, 1.0]
    assert span_hits(spans, []) == [0.0] * 4


@pytest.mark.parametrize("bad", [
    {"x": [0.1, 0.1], "y": [0.1, 0.2]},  # x not increasing
    {"x": [0.1, 0.2], "y": [0.3, 0.2]},  # y decreasing: would reorder spans
    {"x": [0.1, 0.2], "y": [0.3, 1.2]},  # not a share
    {"x": [0.1, 0.2], "y": [0.3]},
    {"x": ["a"], "y": [0.1]},
    {"y": [0.1]},
    {"x": [0.1], "y": [0.1], "technique_factor": {"Doubt": 0}},  # factors must be positive
    {"x": [0.1], "y": [0.1], "technique_factor": {"Doubt": "many"}},
    {"x": [0.1], "y": [0.1], "technique_factor": [1, 2]},
])
def test_a_malformed_map_is_refused(bad, tmp_path):
    with pytest.raises(ModelError):
        checked_score_map(bad, tmp_path / "config.json")
    assert checked_score_map(None, tmp_path) is None and checked_score_map({}, tmp_path) is None


def test_detector_maps_its_scores_and_nothing_else(tiny_model, tmp_path, ptc_dir):
    from spinscope.detect import Detector

    cal = tmp_path / "cal"
    shutil.copytree(tiny_model, cal)
    cfg = json.loads((cal / "config.json").read_text())
    text = "\n".join(p.read_text() for p in sorted((ptc_dir / "articles").glob("*.txt")))
    raw = Detector(tiny_model).detect(text, threshold=0.99)
    assert raw, "the tiny model finds spans at this threshold"
    factors = {raw[0].technique: 0.5}
    cfg["score_calibration"] = {"x": [0.0, 0.5, 1.0], "y": [0.0, 0.1, 1.0], "technique_factor": factors}
    (cal / "config.json").write_text(json.dumps(cfg))
    mapped = Detector(cal).detect(text, threshold=0.99)
    assert [(s.start, s.end, s.technique, s.span_score) for s in raw] == \
           [(s.start, s.end, s.technique, s.span_score) for s in mapped]
    for r, m in zip(raw, mapped):
        f = factors.get(r.technique, 1.0)
        assert m.score == pytest.approx(f * float(np.interp(r.score, [0.0, 0.5, 1.0], [0.0, 0.1, 1.0])))
        assert f"Confidence {m.score:.0%}." in m.explanation


def test_score_calibration_out_of_fold(ptc_dir, tiny_model):
    from spinscope.training import ptc
    from spinscope.detect import Detector
    from spinscope.training.cv import score_calibration

    arts = ptc.load_articles(ptc_dir / "articles")
    labels = ptc.load_labels_by_article(ptc_dir / "labels-tc")
    ids = sorted(arts)
    a, b = ids[:2], ids[2:4]
    res = score_calibration([(tiny_model, a), (tiny_model, b)], arts, labels, (0.99, 8, 0.0, 0.9))
    det = Detector(tiny_model)
    det.gap, det.peak, det.extend = 8, 0.0, 0.9
    spans = [sp for x in a + b for sp in det.detect(arts[x], threshold=0.99)]
    assert res["spans"] == len(spans) > 0
    hits = [h for x in a + b for h in span_hits(det.detect(arts[x], threshold=0.99), labels.get(x, []))]
    assert res["hits"] == pytest.approx(np.mean(hits))
    m = fit_score_map([s.score for s in spans], hits)
    m["technique_factor"] = fit_technique_factors(apply_score_map(m, [s.score for s in spans]), hits,
                                                  [s.technique for s in spans])
    assert res["map"] == m
    assert [f["fold"] for f in res["nested"]["folds"]] == [0, 1]


@pytest.mark.slow
def test_train_techniques_writes_the_map_and_refuses_a_bad_one_before_training(ptc_dir, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"map": {"x": [0.5, 0.2], "y": [0.1, 0.2]}}')
    out = tmp_path / "m"
    args = ["train", "techniques", "--data", ptc_dir, "--tiny", "--epochs", "1", "--batch-size", "4",
            "--threads", "1", "--max-steps", "2"]
    for f in (bad, tmp_path / "missing.json"):
        proc = run_cli(*args, "--out", out, "--calibration", f)
        assert proc.returncode == 2 and b"Traceback" not in proc.stderr and str(f).encode() in proc.stderr
        assert not out.exists()
    good = tmp_path / "calibration.json"
    good.write_text(json.dumps({"map": {"x": [0.0, 0.4, 1.0], "y": [0.0, 0.2, 1.0]}, "spans": 10}))
    run_cli(*args, "--out", out, "--calibration", good, "--extend", "0.85", check=True)
    cfg = json.loads((out / "config.json").read_text())
    assert (cfg["score_calibration"]["x"], cfg["score_calibration"]["y"]) == ([0.0, 0.4, 1.0], [0.0, 0.2, 1.0])
    assert cfg["extend"] == 0.85  # the decoding settings given travel with it
    from spinscope.detect import Detector

    assert Detector(out).extend == 0.85 and Detector(out).info["extend"] == 0.85


def test_the_report_says_whether_confidence_is_calibrated(tiny_model, tmp_path):
    from spinscope import analyze
    from spinscope.detect import Detector
    from spinscope.render.html import render_html

    cal = tmp_path / "cal"
    shutil.copytree(tiny_model, cal)
    cfg = json.loads((cal / "config.json").read_text())
    cfg["score_calibration"] = {"x": [0.0, 1.0], "y": [0.0, 1.0]}
    (cal / "config.json").write_text(json.dumps(cfg))
    text = "The corrupt council betrayed the town once again."
    plain = analyze(text, detector=Detector(tiny_model), claims=False, entities=False)
    mapped = analyze(text, detector=Detector(cal), claims=False, entities=False)
    assert plain.model["calibrated"] is False and mapped.model["calibrated"] is True
    assert "It is calibrated" not in render_html(plain) and "It is calibrated" in render_html(mapped)
    assert json.loads(mapped.to_json())["model"]["calibrated"] is True
