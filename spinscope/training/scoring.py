"""Scoring measures of SemEval-2020 Task 11 (Propaganda Techniques Corpus).

Pure Python, standard library only.

Span formats
------------
* SI (span identification): ``(article_id, start, end)``
* TC / FULL (technique classification, detect-and-label):
  ``(article_id, technique, start, end)``

Offsets are character offsets, half-open ``[start, end)``.  Spans whose
``end <= start`` have length 0 and are ignored everywhere (they count neither
as predictions nor as gold).

Measures
--------
SI
    Per article, overlapping gold spans are merged, and so are overlapping
    predicted spans (touching spans, ``s2 == e1``, stay apart).  With ``P`` the
    merged predicted spans and ``G`` the merged gold spans::

        precision = sum_{(p, g) same article} |p & g| / |p|   /  |P|
        recall    = sum_{(p, g) same article} |p & g| / |g|   /  |G|

    F1 is the harmonic mean (0 when both are 0).  With no predictions the
    precision is 0; with no gold the recall is 0.  ``n_pred`` / ``n_gold`` of the
    result are the numbers of *merged* spans.

TC
    Rows are grouped by ``(article_id, start, end)``; within a group the number
    of correct predictions is the size of the multiset intersection of gold and
    predicted techniques.  ``precision = sum correct / #pred``,
    ``recall = sum correct / #gold`` and F1 is their harmonic mean (equal to the
    accuracy when every gold row has exactly one prediction).  Per technique
    ``t``: ``correct_t / pred_t`` and ``correct_t / gold_t``.

FULL
    The SI formula per technique, counting only pairs with the same technique
    (spans of one technique are merged per article).  Overall precision and
    recall pool the numerators over techniques and divide by the total number
    of merged predicted / gold spans over all techniques.

The SI sweep works on the sorted, disjoint merged interval lists of an article
with two pointers, so scoring is ``O(n log n)`` in the number of spans.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Hashable, Iterable

__all__ = [
    "PRF",
    "merge_spans",
    "score_si",
    "score_tc",
    "score_tc_per_technique",
    "score_full",
]


@dataclass(frozen=True)
class PRF:
    """Precision, recall and F1, with the counts they were computed over."""

    precision: float
    recall: float
    f1: float
    n_pred: int
    n_gold: int

    def as_dict(self) -> dict:
        return {
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "n_pred": self.n_pred,
            "n_gold": self.n_gold,
        }


def _f1(precision: float, recall: float) -> float:
    if precision + recall <= 0.0:
        return 0.0
    return 2.0 * precision * recall / (precision + recall)


def _prf(p_num: float, r_num: float, n_pred: int, n_gold: int) -> PRF:
    precision = p_num / n_pred if n_pred > 0 else 0.0
    recall = r_num / n_gold if n_gold > 0 else 0.0
    return PRF(precision, recall, _f1(precision, recall), n_pred, n_gold)


def merge_spans(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Merge overlapping half-open intervals ``[s, e)``; return them sorted.

    Intervals that merely touch (``s2 == e1``) do not overlap and are kept
    apart.  Empty intervals (``e <= s``) are dropped.
    """
    ordered = sorted((int(s), int(e)) for s, e in spans if int(e) > int(s))
    merged: list[tuple[int, int]] = []
    for s, e in ordered:
        if merged and s < merged[-1][1]:
            ls, le = merged[-1]
            if e > le:
                merged[-1] = (ls, e)
        else:
            merged.append((s, e))
    return merged


def _overlap_sums(
    pred: list[tuple[int, int]], gold: list[tuple[int, int]]
) -> tuple[float, float]:
    """Sweep two sorted lists of disjoint intervals.

    Returns ``(sum |p&g|/|p|, sum |p&g|/|g|)`` over all overlapping pairs.
    """
    p_terms: list[float] = []
    r_terms: list[float] = []
    i = j = 0
    n_p, n_g = len(pred), len(gold)
    while i < n_p and j < n_g:
        ps, pe = pred[i]
        gs, ge = gold[j]
        ov = min(pe, ge) - max(ps, gs)
        if ov > 0:
            p_terms.append(ov / (pe - ps))
            r_terms.append(ov / (ge - gs))
        # Advance whichever interval ends first: it cannot overlap anything
        # further along the other (sorted, disjoint) list.
        if pe < ge:
            i += 1
        elif ge < pe:
            j += 1
        else:
            i += 1
            j += 1
    return math.fsum(p_terms), math.fsum(r_terms)


def _group_intervals(
    rows: Iterable[tuple[Hashable, int, int]],
) -> dict[Hashable, list[tuple[int, int]]]:
    grouped: dict[Hashable, list[tuple[int, int]]] = defaultdict(list)
    for key, start, end in rows:
        start, end = int(start), int(end)
        if end > start:
            grouped[key].append((start, end))
    return {k: merge_spans(v) for k, v in grouped.items()}


def _si_counts(
    gold_groups: dict[Hashable, list[tuple[int, int]]],
    pred_groups: dict[Hashable, list[tuple[int, int]]],
) -> tuple[float, float, int, int]:
    p_terms: list[float] = []
    r_terms: list[float] = []
    for key, pred_iv in pred_groups.items():
        gold_iv = gold_groups.get(key)
        if gold_iv:
            p_sum, r_sum = _overlap_sums(pred_iv, gold_iv)
            p_terms.append(p_sum)
            r_terms.append(r_sum)
    n_pred = sum(len(v) for v in pred_groups.values())
    n_gold = sum(len(v) for v in gold_groups.values())
    return math.fsum(p_terms), math.fsum(r_terms), n_pred, n_gold


def score_si(
    gold: Iterable[tuple[str, int, int]], pred: Iterable[tuple[str, int, int]]
) -> PRF:
    """Span identification P/R/F1 (SemEval-2020 Task 11, subtask SI)."""
    gold_groups = _group_intervals((a, s, e) for a, s, e in gold)
    pred_groups = _group_intervals((a, s, e) for a, s, e in pred)
    return _prf(*_si_counts(gold_groups, pred_groups))


def _tc_counts(
    gold: Iterable[tuple[str, str, int, int]],
    pred: Iterable[tuple[str, str, int, int]],
) -> tuple[Counter, Counter, Counter]:
    """Return per-technique (correct, n_pred, n_gold) counters."""
    gold_by_span: dict[tuple, Counter] = defaultdict(Counter)
    pred_by_span: dict[tuple, Counter] = defaultdict(Counter)
    for art, tech, s, e in gold:
        s, e = int(s), int(e)
        if e > s:
            gold_by_span[(art, s, e)][tech] += 1
    for art, tech, s, e in pred:
        s, e = int(s), int(e)
        if e > s:
            pred_by_span[(art, s, e)][tech] += 1
    n_gold: Counter = Counter()
    for c in gold_by_span.values():
        n_gold.update(c)
    n_pred: Counter = Counter()
    correct: Counter = Counter()
    for key, c in pred_by_span.items():
        n_pred.update(c)
        g = gold_by_span.get(key)
        if g:
            correct.update(c & g)
    return correct, n_pred, n_gold


def score_tc(
    gold: Iterable[tuple[str, str, int, int]],
    pred: Iterable[tuple[str, str, int, int]],
) -> PRF:
    """Technique classification micro P/R/F1 (subtask TC)."""
    correct, n_pred, n_gold = _tc_counts(gold, pred)
    c = sum(correct.values())
    return _prf(c, c, sum(n_pred.values()), sum(n_gold.values()))


def score_tc_per_technique(
    gold: Iterable[tuple[str, str, int, int]],
    pred: Iterable[tuple[str, str, int, int]],
) -> dict[str, PRF]:
    """Per-technique TC P/R/F1 for every technique in gold or predictions."""
    correct, n_pred, n_gold = _tc_counts(gold, pred)
    techniques = sorted(set(n_pred) | set(n_gold))
    return {
        t: _prf(correct[t], correct[t], n_pred[t], n_gold[t]) for t in techniques
    }


def score_full(
    gold: Iterable[tuple[str, str, int, int]],
    pred: Iterable[tuple[str, str, int, int]],
) -> tuple[PRF, dict[str, PRF]]:
    """Detect-and-label P/R/F1: overall and per technique.

    The SI measure computed with spans grouped by ``(article_id, technique)``,
    so only same-technique pairs count.  The per-technique dict covers every
    technique in gold or predictions.
    """
    gold_groups = _group_intervals(((a, t), s, e) for a, t, s, e in gold)
    pred_groups = _group_intervals(((a, t), s, e) for a, t, s, e in pred)

    gold_by_tech: dict[str, dict] = defaultdict(dict)
    pred_by_tech: dict[str, dict] = defaultdict(dict)
    for key, iv in gold_groups.items():
        gold_by_tech[key[1]][key] = iv
    for key, iv in pred_groups.items():
        pred_by_tech[key[1]][key] = iv

    per_tech: dict[str, PRF] = {}
    p_terms: list[float] = []
    r_terms: list[float] = []
    total_pred = total_gold = 0
    for tech in sorted(set(gold_by_tech) | set(pred_by_tech)):
        p_num, r_num, n_p, n_g = _si_counts(
            gold_by_tech.get(tech, {}), pred_by_tech.get(tech, {})
        )
        per_tech[tech] = _prf(p_num, r_num, n_p, n_g)
        p_terms.append(p_num)
        r_terms.append(r_num)
        total_pred += n_p
        total_gold += n_g
    overall = _prf(math.fsum(p_terms), math.fsum(r_terms), total_pred, total_gold)
    return overall, per_tech
