"""Scoring a detector on PTC-format data: SI, TC and FULL as in SemEval-2020 Task 11."""

from __future__ import annotations

import numpy as np

from ..detect import apply_score_map  # noqa: F401 - fitted here, applied by the detector
from . import scoring

# Steps of 0.025 where fold models peak: SI F1 moves by up to 0.03 per 0.1 of threshold there.
THRESHOLDS = [0.5, 0.55, 0.6, 0.625, 0.65, 0.675, 0.7, 0.75, 0.8, 0.85, 0.9]
# 0.1.0's folds chose gap 8 (the largest then) often and 0.2.0's always; with 12/16/24 added, the
# 0.1.0 fold models' dev sets chose 16, 24, 24 and their test SI F1 rose from 0.374 to 0.381 (mean).
GAPS = [0, 2, 5, 8, 12, 16, 24]
# Hysteresis (peak): a span is kept only if some token reaches P(inside) >= peak (0: off). The
# best peak on the test folds is worth +0.01-0.02 SI F1, but choosing it on 19 dev articles per fold
# did not transfer: 0.381 -> 0.399 on the 0.1.0 fold models, 0.411 -> 0.401 on a rerun of 0.2.0's
# recipe (bench/eval_si_decoding.py). So the grid keeps it off; `train --peak` sets one by hand.
# Extension (0: off): the last span of a sentence reaches the sentence's last word when every word
# after it has P(outside) < extend. Fold models' probabilities fade before a marked phrase ends; out
# of fold, 0.9 raised pooled SI F1 from 0.415 to 0.423 (model card, 0.2.5).
EXTENDS = [0.0, 0.85, 0.9, 0.95]
GRID = [(t, g, 0.0, x) for t in THRESHOLDS for g in GAPS for x in EXTENDS]


def setting_key(st) -> str:
    """``threshold/gap/peak/extend``: how a decoding setting is written in results."""
    return "/".join(str(v) for v in st)


# --- evaluation ------------------------------------------------------------------------------


def si_predictions(detector, docs, grid) -> dict:
    """``{setting: [(key, start, end), ...]}``: the SI spans of encoded documents ``(key, text,
    blocks)`` under every (threshold, gap, peak, extend) of ``grid`` (span bounds only, no labels)."""
    preds: dict = {st: [] for st in grid}
    for key, text, blocks in docs:
        for st in grid:
            preds[st].extend((key, s, e) for _, s, e, _ in detector.span_bounds(text, blocks, *st))
    return preds


def tc_predictions(detector, articles: dict[str, str], rows: list[tuple[str, str, int, int]]) -> list[str]:
    """Predicted technique for each row; rows sharing one span get distinct labels, best first."""
    by_article: dict[str, list[int]] = {}
    for i, (aid, _, s, e) in enumerate(rows):
        by_article.setdefault(aid, []).append(i)
    out = [""] * len(rows)
    for aid, idxs in by_article.items():
        if aid not in articles:
            raise KeyError(aid)
        text = articles[aid]
        uniq = sorted({(rows[i][2], rows[i][3]) for i in idxs})
        probs = dict(zip(uniq, detector.classify(text, uniq)))
        used: dict[tuple[int, int], int] = {}
        for i in idxs:
            key = (rows[i][2], rows[i][3])
            rank = used.get(key, 0)
            used[key] = rank + 1
            order = np.argsort(-probs[key])
            out[i] = detector.labels[int(order[min(rank, len(order) - 1)])]
    return out


def evaluate(detector, articles: dict[str, str], gold: list[tuple[str, str, int, int]],
             grid: list[tuple[float, int, float, float]] | None = None) -> dict:
    """SI, TC and FULL scores of a detector on articles with gold TC labels.

    With a ``grid`` of (threshold, gap, peak, extend) decoding settings, each is scored by SI F1 and the
    best one is reported (use this on development data only, to choose the settings).
    """
    ids = sorted(articles)
    gold = [g for g in gold if g[0] in articles]
    gold_si = [(a, s, e) for a, _, s, e in gold]
    encoded = {aid: detector.encode(articles[aid]) for aid in ids}
    settings = grid or [(detector.threshold, detector.gap, detector.peak, detector.extend)]
    # SI needs only the span bounds: cheap, whatever the grid
    preds = si_predictions(detector, ((aid, articles[aid], encoded[aid]) for aid in ids), settings)
    by_setting = {st: scoring.score_si(gold_si, p) for st, p in preds.items()}
    best = max(settings, key=lambda k: by_setting[k].f1)  # the first of equals, in grid order
    pred = [(aid, sp.technique, sp.start, sp.end) for aid in ids
            for sp in detector.decode(articles[aid], encoded[aid], *best)]
    full, full_per = scoring.score_full(gold, pred)
    tc_pred = tc_predictions(detector, articles, gold)
    tc_rows = [(a, p, s, e) for (a, _, s, e), p in zip(gold, tc_pred)]
    tc = scoring.score_tc(gold, tc_rows)
    tc_per = scoring.score_tc_per_technique(gold, tc_rows)
    return dict(
        threshold=best[0],
        gap=best[1],
        peak=best[2],
        extend=best[3],
        si=by_setting[best].as_dict(),
        tc=tc.as_dict(),
        full=full.as_dict(),
        tc_per_technique={k: v.as_dict() for k, v in tc_per.items()},
        full_per_technique={k: v.as_dict() for k, v in full_per.items()},
        si_by_setting={setting_key(st): by_setting[st].f1 for st in settings},
        n_articles=len(ids),
    )


# --- score calibration -----------------------------------------------------------------------


def span_hits(spans, gold: list[tuple[str, int, int]]) -> list[float]:
    """For each detected span, 1.0 if it overlaps a gold span ``(technique, start, end)`` of its
    own technique, else 0.0: what a reader would call a right call."""
    return [float(any(t == sp.technique and s < sp.end and sp.start < e for t, s, e in gold)) for sp in spans]


def raw_span_scores(detector, articles: dict[str, str], labels: dict, ids) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(raw scores, hits, techniques)`` of the spans the detector finds in the articles ``ids``,
    its score map left out: what a score map is fitted on and measured by."""
    saved, detector.score_map = detector.score_map, None
    raw, hits, techs = [], [], []
    try:
        for a in ids:
            spans = detector.detect(articles[a])
            raw += [sp.score for sp in spans]
            techs += [sp.technique for sp in spans]
            hits += span_hits(spans, labels.get(a, []))
    finally:
        detector.score_map = saved
    return np.array(raw), np.array(hits), np.array(techs)


def fit_full_score_map(raw, hits, techniques, bins: int = 10) -> dict:
    """The shipped kind of score map: the curve (:func:`fit_score_map`) and the technique factors
    fitted on the curve's scores (:func:`fit_technique_factors`)."""
    m = fit_score_map(raw, hits, bins)
    m["technique_factor"] = fit_technique_factors(apply_score_map(m, raw), hits, techniques)
    return m


def fit_score_map(raw, hits, bins: int = 10) -> dict:
    """A monotone map from raw span scores to the share of spans that are right.

    The spans are sorted by raw score and cut into ``bins`` groups of equal size; each group gives
    a knot (its mean raw score, its share of hits), and the knots' shares are made non-decreasing
    by pooling adjacent violators (isotonic regression, weighted by group size). The map is linear
    between knots, and runs from (0, 0) to the first and from the last to (1, 1), so that the
    rare scores beyond the outer groups' means keep their order. ``{"x": [...], "y": [...]}``.
    """
    raw = np.asarray(raw, np.float64)
    hits = np.asarray(hits, np.float64)
    if len(raw) == 0:
        raise ValueError("no spans to calibrate on")
    order = np.argsort(raw, kind="stable")
    knots: list[list[float]] = []  # [mean raw score, sum of hits, count]; equal means merged
    for g in np.array_split(order, min(bins, len(raw))):
        x, h, n = float(raw[g].mean()), float(hits[g].sum()), len(g)
        if knots and round(x, 4) == round(knots[-1][0], 4):
            px, ph, pn = knots[-1]
            knots[-1] = [(px * pn + x * n) / (pn + n), ph + h, pn + n]
        else:
            knots.append([x, h, n])
    blocks: list[list] = []  # pooled adjacent violators: [sum of hits, count, first knot, last knot]
    for i, (_, h, n) in enumerate(knots):
        blocks.append([h, n, i, i])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            h2, n2, _, last = blocks.pop()
            blocks[-1][0] += h2
            blocks[-1][1] += n2
            blocks[-1][3] = last
    ys = [0.0] * len(knots)
    for h, n, first, last in blocks:
        for i in range(first, last + 1):
            ys[i] = h / n
    xs = [round(k[0], 4) for k in knots]
    ys = [round(y, 4) for y in ys]
    if xs[0] > 0.0:
        xs, ys = [0.0] + xs, [0.0] + ys
    if xs[-1] < 1.0:
        xs, ys = xs + [1.0], ys + [1.0]
    return {"x": xs, "y": ys}


# pseudo-count of the per-technique factors: a technique with few spans keeps a factor near 1
TECHNIQUE_PRIOR = 10.0


def fit_technique_factors(mapped, hits, techniques, prior: float = TECHNIQUE_PRIOR) -> dict[str, float]:
    """Per technique, how much more (or less) often its spans are right than their mapped scores
    say: ``(right + prior) / (sum of mapped scores + prior)``, so that a technique seen in few
    spans keeps a factor near 1. Rare techniques are right far less often than common ones at the
    same score (the model card's table)."""
    mapped = np.asarray(mapped, np.float64)
    hits = np.asarray(hits, np.float64)
    techniques = np.asarray(techniques)
    return {str(t): round(float((hits[techniques == t].sum() + prior) / (mapped[techniques == t].sum() + prior)), 4)
            for t in sorted(set(techniques.tolist()))}


def technique_calibration_error(pred, hits, techniques) -> float:
    """Span-weighted mean, over techniques, of |mean predicted score - share of hits|: how far off
    the scores are for each technique as a whole."""
    pred = np.asarray(pred, np.float64)
    hits = np.asarray(hits, np.float64)
    techniques = np.asarray(techniques)
    if len(pred) == 0:
        return 0.0
    err = sum((techniques == t).sum() * abs(pred[techniques == t].mean() - hits[techniques == t].mean())
              for t in set(techniques.tolist()))
    return float(err / len(pred))


def calibration_error(pred, hits, bins: int = 10) -> float:
    """Expected calibration error: over ``bins`` equal-width bins of the predicted score, the
    span-weighted mean |mean predicted score - share of hits|."""
    pred = np.asarray(pred, np.float64)
    hits = np.asarray(hits, np.float64)
    if len(pred) == 0:
        return 0.0
    idx = np.minimum((pred * bins).astype(int), bins - 1)
    err = 0.0
    for b in range(bins):
        m = idx == b
        if m.any():
            err += m.sum() * abs(pred[m].mean() - hits[m].mean())
    return float(err / len(pred))
