"""Tests for spinscope.scoring (SemEval-2020 Task 11 measures).

Every expected value is worked out by hand in the comments next to it.
"""

from __future__ import annotations

import dataclasses
import random
from collections import defaultdict

import pytest

from spinscope.training.scoring import PRF, merge_spans, score_full, score_si, score_tc, score_tc_per_technique

approx = pytest.approx


def f1(p: float, r: float) -> float:
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def assert_prf(res: PRF, p: float, r: float, n_pred: int, n_gold: int) -> None:
    assert res.precision == approx(p)
    assert res.recall == approx(r)
    assert res.f1 == approx(f1(p, r))
    assert res.n_pred == n_pred
    assert res.n_gold == n_gold


# --------------------------------------------------------------------------- PRF


def test_prf_as_dict_and_frozen():
    r = PRF(0.5, 0.25, 1 / 3, 4, 8)
    assert r.as_dict() == {
        "precision": 0.5,
        "recall": 0.25,
        "f1": 1 / 3,
        "n_pred": 4,
        "n_gold": 8,
    }
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.precision = 1.0  # type: ignore[misc]


# ------------------------------------------------------------------- merge_spans


def test_merge_spans_overlap_touch_contain_and_empty():
    # sorted: (0,3) (2,4) (4,6) (5,8); (10,10) and (12,11) are empty -> dropped
    # (0,3)+(2,4) overlap -> (0,4); (4,6) only touches (0,4) -> kept apart;
    # (5,8) overlaps (4,6) -> (4,8)
    assert merge_spans([(5, 8), (0, 3), (2, 4), (4, 6), (10, 10), (12, 11)]) == [
        (0, 4),
        (4, 8),
    ]
    # containment
    assert merge_spans([(0, 10), (2, 3), (9, 10)]) == [(0, 10)]
    # disjoint, unsorted input comes back sorted
    assert merge_spans([(20, 30), (0, 5)]) == [(0, 5), (20, 30)]
    # duplicates collapse
    assert merge_spans([(1, 4), (1, 4)]) == [(1, 4)]
    assert merge_spans([]) == []


# ---------------------------------------------------------------------------- SI


def test_si_half_overlap():
    # gold [0,10), pred [5,15): |p∩g| = 5; P = 5/10 = 0.5; R = 5/10 = 0.5
    res = score_si([("a", 0, 10)], [("a", 5, 15)])
    assert_prf(res, 0.5, 0.5, 1, 1)
    assert res.f1 == approx(0.5)


def test_si_exact_match():
    res = score_si([("a", 3, 9)], [("a", 3, 9)])
    assert_prf(res, 1.0, 1.0, 1, 1)


def test_si_overlapping_predictions_are_merged():
    # pred [0,5) and [3,10) merge into [0,10); gold [0,20)
    # P = (10/10) / 1 = 1;  R = (10/20) / 1 = 0.5;  F1 = 2/3
    res = score_si([("a", 0, 20)], [("a", 0, 5), ("a", 3, 10)])
    assert_prf(res, 1.0, 0.5, 1, 1)
    assert res.f1 == approx(2 / 3)


def test_si_overlapping_gold_is_merged():
    # gold [0,10) and [8,12) merge into [0,12); pred [0,6)
    # P = (6/6)/1 = 1;  R = (6/12)/1 = 0.5
    res = score_si([("a", 0, 10), ("a", 8, 12)], [("a", 0, 6)])
    assert_prf(res, 1.0, 0.5, 1, 1)


def test_si_touching_predictions_stay_apart():
    # pred [0,5) and [5,10) touch -> two spans; gold [0,10)
    # P = (5/5 + 5/5) / 2 = 1;  R = (5/10 + 5/10) / 1 = 1
    res = score_si([("a", 0, 10)], [("a", 0, 5), ("a", 5, 10)])
    assert_prf(res, 1.0, 1.0, 2, 1)


def test_si_one_prediction_over_two_gold_spans():
    # gold [0,10), [20,30); pred [5,25): 5 chars with each gold span
    # P = (5/20 + 5/20) / 1 = 0.5;  R = (5/10 + 5/10) / 2 = 0.5
    res = score_si([("a", 0, 10), ("a", 20, 30)], [("a", 5, 25)])
    assert_prf(res, 0.5, 0.5, 1, 2)


def test_si_two_articles():
    # article a: gold [0,10), pred [0,10)  -> P term 1, R term 1
    # article b: gold [0,4),  pred [2,6)   -> overlap 2: P term 2/4, R term 2/4
    # P = (1 + 0.5) / 2 = 0.75;  R = (1 + 0.5) / 2 = 0.75
    gold = [("a", 0, 10), ("b", 0, 4)]
    pred = [("b", 2, 6), ("a", 0, 10)]
    assert_prf(score_si(gold, pred), 0.75, 0.75, 2, 2)


def test_si_different_articles_never_pair():
    # same offsets, different articles -> no overlap at all
    res = score_si([("a", 0, 10)], [("b", 0, 10)])
    assert_prf(res, 0.0, 0.0, 1, 1)
    assert res.f1 == 0.0


def test_si_partial_miss_and_false_alarm():
    # gold [0,10), [50,60); pred [0,10), [30,40)
    # P = (1 + 0) / 2 = 0.5;  R = (1 + 0) / 2 = 0.5
    res = score_si([("a", 0, 10), ("a", 50, 60)], [("a", 0, 10), ("a", 30, 40)])
    assert_prf(res, 0.5, 0.5, 2, 2)


def test_si_empty_inputs():
    assert_prf(score_si([], []), 0.0, 0.0, 0, 0)
    # no predictions: precision 0, recall 0
    assert_prf(score_si([("a", 0, 10)], []), 0.0, 0.0, 0, 1)
    # no gold: recall 0, precision 0 (nothing to overlap)
    assert_prf(score_si([], [("a", 0, 10)]), 0.0, 0.0, 1, 0)


def test_si_zero_length_spans_ignored():
    # [5,5) and [7,3) have no length: only pred [0,10) and gold [0,10) count
    gold = [("a", 0, 10), ("a", 4, 4)]
    pred = [("a", 0, 10), ("a", 5, 5), ("a", 7, 3), ("b", 2, 2)]
    assert_prf(score_si(gold, pred), 1.0, 1.0, 1, 1)
    # only zero-length predictions -> as if there were none
    assert_prf(score_si(gold, [("a", 3, 3)]), 0.0, 0.0, 0, 1)


def test_si_accepts_generators():
    gold = (("a", s, s + 10) for s in (0, 20))
    pred = iter([("a", 0, 10)])
    # P = 1/1; R = 1/2
    assert_prf(score_si(gold, pred), 1.0, 0.5, 1, 2)


def _reference_merge(spans):
    """Naive merge: repeat pairwise merging until nothing changes."""
    spans = [list(s) for s in spans if s[1] > s[0]]
    changed = True
    while changed:
        changed = False
        for i in range(len(spans)):
            for j in range(i + 1, len(spans)):
                a, b = spans[i], spans[j]
                if min(a[1], b[1]) - max(a[0], b[0]) > 0:
                    spans[i] = [min(a[0], b[0]), max(a[1], b[1])]
                    del spans[j]
                    changed = True
                    break
            if changed:
                break
    return sorted(tuple(s) for s in spans)


def _reference_si(gold, pred):
    """Quadratic all-pairs SI, straight from the task definition."""
    g_by, p_by = defaultdict(list), defaultdict(list)
    for a, s, e in gold:
        g_by[a].append((s, e))
    for a, s, e in pred:
        p_by[a].append((s, e))
    g_by = {a: _reference_merge(v) for a, v in g_by.items()}
    p_by = {a: _reference_merge(v) for a, v in p_by.items()}
    p_num = r_num = 0.0
    for a, ps in p_by.items():
        for ps_, pe in ps:
            for gs, ge in g_by.get(a, []):
                ov = min(pe, ge) - max(ps_, gs)
                if ov > 0:
                    p_num += ov / (pe - ps_)
                    r_num += ov / (ge - gs)
    n_p = sum(len(v) for v in p_by.values())
    n_g = sum(len(v) for v in g_by.values())
    return (p_num / n_p if n_p else 0.0, r_num / n_g if n_g else 0.0, n_p, n_g)


def test_si_matches_quadratic_reference_on_random_data():
    rng = random.Random(1234)
    for _ in range(200):
        def spans(n):
            out = []
            for _ in range(n):
                s = rng.randrange(0, 60)
                out.append((rng.choice("abc"), s, s + rng.randrange(0, 15)))
            return out

        gold, pred = spans(rng.randrange(0, 8)), spans(rng.randrange(0, 8))
        p, r, n_p, n_g = _reference_si(gold, pred)
        assert_prf(score_si(gold, pred), p, r, n_p, n_g)


def test_merge_spans_matches_reference_on_random_data():
    rng = random.Random(99)
    for _ in range(200):
        spans = []
        for _ in range(rng.randrange(0, 10)):
            s = rng.randrange(0, 50)
            spans.append((s, s + rng.randrange(-2, 12)))
        assert merge_spans(spans) == _reference_merge(spans)


# ---------------------------------------------------------------------------- TC


def test_tc_doubly_labelled_span_either_order():
    # one span carries gold X and Y; predictions X and Y in either order
    # -> multiset intersection {X, Y} = 2 correct; P = 2/2, R = 2/2
    gold = [("a", "X", 0, 5), ("a", "Y", 0, 5)]
    for pred in (
        [("a", "X", 0, 5), ("a", "Y", 0, 5)],
        [("a", "Y", 0, 5), ("a", "X", 0, 5)],
    ):
        assert_prf(score_tc(gold, pred), 1.0, 1.0, 2, 2)


def test_tc_one_prediction_for_doubly_labelled_span():
    # gold {X, Y} at one span, one prediction X -> 1 correct
    # P = 1/1 = 1;  R = 1/2 = 0.5;  F1 = 2/3
    gold = [("a", "X", 0, 5), ("a", "Y", 0, 5)]
    res = score_tc(gold, [("a", "X", 0, 5)])
    assert_prf(res, 1.0, 0.5, 1, 2)
    assert res.f1 == approx(2 / 3)


def test_tc_duplicate_prediction_counts_once():
    # gold X once, pred X twice at the same span -> multiset ∩ = 1
    # P = 1/2;  R = 1/1
    res = score_tc([("a", "X", 0, 5)], [("a", "X", 0, 5), ("a", "X", 0, 5)])
    assert_prf(res, 0.5, 1.0, 2, 1)


def _tc_case():
    #  span        gold  pred   correct
    #  a [0,5)     X     X      yes
    #  a [10,15)   Y     X      no
    #  b [0,5)     X     X      yes
    #  b [3,8)     Z     Y      no
    gold = [("a", "X", 0, 5), ("a", "Y", 10, 15), ("b", "X", 0, 5), ("b", "Z", 3, 8)]
    pred = [("a", "X", 0, 5), ("a", "X", 10, 15), ("b", "X", 0, 5), ("b", "Y", 3, 8)]
    return gold, pred


def test_tc_micro_equals_accuracy():
    # 2 correct of 4 rows: P = R = F1 = accuracy = 0.5
    gold, pred = _tc_case()
    res = score_tc(gold, pred)
    assert_prf(res, 0.5, 0.5, 4, 4)
    assert res.f1 == approx(0.5)


def test_tc_per_technique():
    # X: pred 3, gold 2, correct 2 -> P = 2/3, R = 1, F1 = 0.8
    # Y: pred 1, gold 1, correct 0 -> 0, 0
    # Z: pred 0, gold 1, correct 0 -> 0, 0
    gold, pred = _tc_case()
    per = score_tc_per_technique(gold, pred)
    assert set(per) == {"X", "Y", "Z"}
    assert_prf(per["X"], 2 / 3, 1.0, 3, 2)
    assert per["X"].f1 == approx(0.8)
    assert_prf(per["Y"], 0.0, 0.0, 1, 1)
    assert_prf(per["Z"], 0.0, 0.0, 0, 1)


def test_tc_span_or_article_mismatch_never_correct():
    # same technique but different offsets / different article -> 0 correct
    gold = [("a", "X", 0, 5)]
    pred = [("a", "X", 0, 6), ("b", "X", 0, 5)]
    assert_prf(score_tc(gold, pred), 0.0, 0.0, 2, 1)


def test_tc_empty_and_zero_length():
    assert_prf(score_tc([], []), 0.0, 0.0, 0, 0)
    assert score_tc_per_technique([], []) == {}
    assert_prf(score_tc([("a", "X", 0, 5)], []), 0.0, 0.0, 0, 1)
    # zero-length rows dropped on both sides
    gold = [("a", "X", 0, 5), ("a", "Y", 7, 7)]
    pred = [("a", "X", 0, 5), ("a", "Y", 7, 7), ("a", "Z", 9, 2)]
    assert_prf(score_tc(gold, pred), 1.0, 1.0, 1, 1)
    assert set(score_tc_per_technique(gold, pred)) == {"X"}


# -------------------------------------------------------------------------- FULL


def test_full_right_span_wrong_technique_scores_zero():
    res, per = score_full([("a", "X", 0, 10)], [("a", "Y", 0, 10)])
    assert_prf(res, 0.0, 0.0, 1, 1)
    assert res.f1 == 0.0
    assert_prf(per["X"], 0.0, 0.0, 0, 1)
    assert_prf(per["Y"], 0.0, 0.0, 1, 0)


def test_full_mixed_case_overall_and_per_technique():
    # X: gold a[0,10), b[0,4); pred a[5,15), b[0,4)
    #    a: overlap 5 -> P term 5/10, R term 5/10;  b: exact -> 1, 1
    #    P_X = 1.5/2 = 0.75, R_X = 1.5/2 = 0.75
    # Y: gold a[20,30); pred a[0,10), a[22,26)
    #    [22,26) inside gold: P term 4/4 = 1, R term 4/10 = 0.4; [0,10) misses
    #    P_Y = 1/2 = 0.5, R_Y = 0.4/1 = 0.4, F1_Y = 4/9
    # overall: P = (1.5 + 1) / 4 = 0.625;  R = (1.5 + 0.4) / 3 = 1.9/3
    gold = [("a", "X", 0, 10), ("a", "Y", 20, 30), ("b", "X", 0, 4)]
    pred = [("a", "X", 5, 15), ("a", "Y", 0, 10), ("a", "Y", 22, 26), ("b", "X", 0, 4)]
    res, per = score_full(gold, pred)
    assert_prf(res, 0.625, 1.9 / 3, 4, 3)
    assert set(per) == {"X", "Y"}
    assert_prf(per["X"], 0.75, 0.75, 2, 2)
    assert_prf(per["Y"], 0.5, 0.4, 2, 1)
    assert per["Y"].f1 == approx(4 / 9)


def test_full_merges_within_technique_not_across():
    # X preds [0,6) and [4,10) merge into [0,10) = gold X -> P_X = R_X = 1
    # Y pred [0,10) is not merged with X and has no Y gold -> P_Y = 0
    # overall: P = (1 + 0) / 2 = 0.5;  R = 1 / 1 = 1;  F1 = 2/3
    gold = [("a", "X", 0, 10)]
    pred = [("a", "X", 0, 6), ("a", "X", 4, 10), ("a", "Y", 0, 10)]
    res, per = score_full(gold, pred)
    assert_prf(res, 0.5, 1.0, 2, 1)
    assert res.f1 == approx(2 / 3)
    assert_prf(per["X"], 1.0, 1.0, 1, 1)
    assert_prf(per["Y"], 0.0, 0.0, 1, 0)


def test_full_different_articles_never_pair():
    res, per = score_full([("a", "X", 0, 10)], [("b", "X", 0, 10)])
    assert_prf(res, 0.0, 0.0, 1, 1)
    assert_prf(per["X"], 0.0, 0.0, 1, 1)


def test_full_empty_and_zero_length():
    res, per = score_full([], [])
    assert_prf(res, 0.0, 0.0, 0, 0)
    assert per == {}
    res, per = score_full([("a", "X", 0, 10)], [])
    assert_prf(res, 0.0, 0.0, 0, 1)
    assert_prf(per["X"], 0.0, 0.0, 0, 1)
    # zero-length rows vanish, technique included
    res, per = score_full([("a", "X", 0, 10)], [("a", "X", 0, 10), ("a", "Y", 4, 4)])
    assert_prf(res, 1.0, 1.0, 1, 1)
    assert set(per) == {"X"}


def test_full_with_one_technique_equals_si():
    rng = random.Random(7)
    for _ in range(100):
        def spans(n):
            out = []
            for _ in range(n):
                s = rng.randrange(0, 60)
                out.append((rng.choice("ab"), s, s + rng.randrange(0, 15)))
            return out

        gold, pred = spans(rng.randrange(0, 8)), spans(rng.randrange(0, 8))
        si = score_si(gold, pred)
        full, per = score_full(
            [(a, "T", s, e) for a, s, e in gold], [(a, "T", s, e) for a, s, e in pred]
        )
        assert full.as_dict() == approx(si.as_dict())
        if "T" in per:
            assert per["T"].as_dict() == approx(si.as_dict())


# ------------------------------------------------------------------- performance


def test_performance_10k_spans():
    # 10,000 disjoint gold spans of length 10, spread over 200 articles and, in
    # a second run, all in ONE article (a quadratic sweep would be 10^8 pairs).
    # Predictions are the gold spans shifted right by 5 characters:
    # every pred overlaps exactly one gold span by 5 -> P = R = 0.5.
    for n_articles in (200, 1):
        gold = [(f"art{i % n_articles}", 20 * i, 20 * i + 10) for i in range(10_000)]
        pred = [(a, s + 5, e + 5) for a, s, e in gold]
        assert_prf(score_si(gold, pred), 0.5, 0.5, 10_000, 10_000)

        techs = ["A", "B", "C", "D"]
        gold4 = [(a, techs[i % 4], s, e) for i, (a, s, e) in enumerate(gold)]
        pred4 = [(a, t, s + 5, e + 5) for a, t, s, e in gold4]
        full, per = score_full(gold4, pred4)
        assert_prf(full, 0.5, 0.5, 10_000, 10_000)
        assert all(per[t].f1 == approx(0.5) for t in techs)

        tc_pred = [(a, techs[(i + (i % 2)) % 4], s, e) for i, (a, _, s, e) in enumerate(gold4)]
        # even i keep their technique, odd i get the next one -> half correct
        assert_prf(score_tc(gold4, tc_pred), 0.5, 0.5, 10_000, 10_000)
