"""Thresholds and score calibration for the claims head: Platt and isotonic maps, reliability tables
and the expected calibration error."""

from __future__ import annotations

import numpy as np

from ..claims import (
    apply_calibration,
    check_calibration,
    yes_f1,
)


def best_threshold(scores: np.ndarray, gold: np.ndarray) -> tuple[float, dict]:
    """The threshold in 0.05..0.95 (step 0.01) with the best positive-class F1 on held-out data."""
    best = (-1.0, 0.5, {})
    for t in np.round(np.arange(0.05, 0.951, 0.01), 2):
        m = yes_f1(list(scores >= t), list(gold.astype(bool)))
        if m["f1"] > best[0] + 1e-12:
            best = (m["f1"], float(t), m)
    return best[1], best[2]


def fit_platt(scores: np.ndarray, gold: np.ndarray, iters: int = 100) -> dict:
    """Platt scaling p = sigmoid(a * logit(score) + b), fitted by Newton's method on (scores, gold),
    each step halved until the log loss falls (plain Newton can run away from a = 1)."""
    s = np.clip(np.asarray(scores, np.float64), 1e-6, 1 - 1e-6)
    x, y = np.log(s / (1 - s)), np.asarray(gold, np.float64)

    def loss(a, b):
        z = a * x + b
        return float((np.logaddexp(0, z) - y * z).sum())

    a, b = 1.0, 0.0
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-(a * x + b)))
        g = np.array([((p - y) * x).sum(), (p - y).sum()])
        w = p * (1 - p) + 1e-9
        h = np.array([[(w * x * x).sum(), (w * x).sum()], [(w * x).sum(), w.sum()]]) + 1e-6 * np.eye(2)
        step = np.linalg.solve(h, g)
        before, t = loss(a, b), 1.0
        while t > 1e-8 and loss(a - t * step[0], b - t * step[1]) > before:
            t /= 2
        a, b = a - t * step[0], b - t * step[1]
        if np.abs(t * step).max() < 1e-9:
            break
    return {"method": "platt", "a": float(a), "b": float(b)}


def fit_isotonic(scores: np.ndarray, gold: np.ndarray) -> dict:
    """Isotonic regression of gold on score (pool adjacent violators); applied by linear
    interpolation between the blocks' mean scores, flat beyond them."""
    order = np.argsort(scores, kind="stable")
    xs, ys = np.asarray(scores, np.float64)[order], np.asarray(gold, np.float64)[order]
    blocks: list[list[float]] = []  # [sum x, sum y, count]
    for x, y in zip(xs, ys):
        if blocks and blocks[-1][0] / blocks[-1][2] == x:  # equal scores share one block: x stays increasing
            blocks[-1] = [blocks[-1][0] + x, blocks[-1][1] + y, blocks[-1][2] + 1.0]
        else:
            blocks.append([x, y, 1.0])
        while len(blocks) > 1 and blocks[-2][1] / blocks[-2][2] >= blocks[-1][1] / blocks[-1][2]:
            last = blocks.pop()
            blocks[-1] = [blocks[-1][0] + last[0], blocks[-1][1] + last[1], blocks[-1][2] + last[2]]
    return {"method": "isotonic", "x": [b[0] / b[2] for b in blocks], "y": [b[1] / b[2] for b in blocks]}


def fit_calibration(scores: np.ndarray, gold: np.ndarray, method: str) -> dict:
    if method == "platt":
        return fit_platt(scores, gold)
    if method == "isotonic":
        return fit_isotonic(scores, gold)
    raise ValueError(f"calibration must be 'platt' or 'isotonic', not {method!r}")


def calibrated_threshold(cal: dict | None, raw_threshold: float) -> float:
    """A threshold chosen on raw validation scores, on the calibrated scale: the maps are strictly
    increasing (isotonic: inside its fitted range), so the same sentences are labelled Yes."""
    return raw_threshold if cal is None else float(apply_calibration(cal, np.asarray([raw_threshold]))[0])


def choose_calibration(scores: np.ndarray, gold: np.ndarray, groups, method: str) -> tuple[dict | None, dict]:
    """The score map to ship, fitted on validation (scores, gold): ``method`` itself, none for
    "none", or for "auto" Platt or isotonic, whichever has the lower ECE when cross-fitted by
    ``groups`` (debates; each scored by a map fitted on the others, at most 5 folds).
    Returns (map or None, {method: cross-fitted ECE})."""
    if method == "none":
        return None, {}
    names = sorted(set(groups))
    fold_of = {g: k % min(5, len(names)) for k, g in enumerate(names)}
    folds = np.asarray([fold_of[g] for g in groups])
    ece = {}
    for m in (("platt", "isotonic") if method == "auto" else (method,)):
        if len(names) < 2:
            break
        out = np.zeros(len(scores))
        for k in np.unique(folds):
            cal = fit_calibration(scores[folds != k], gold[folds != k], m)
            out[folds == k] = apply_calibration(cal, scores[folds == k])
        ece[m] = reliability_table(out, gold)["ece"]
    best = min(ece, key=lambda m: (ece[m], m != "platt")) if ece else ("platt" if method == "auto" else method)
    cal = fit_calibration(scores, gold, best)
    if check_calibration(cal) or (best == "isotonic" and len(cal["x"]) < 2):
        return None, ece  # scores that do not rise with the share of Yes (a useless head): left raw
    return cal, ece


def reliability_table(scores: np.ndarray, gold: np.ndarray, bins: int = 10) -> dict:
    """Equal-width bins of the score in [0, 1] (the last one closed): count, mean score and share of
    Yes per bin, and the expected calibration error (count-weighted mean |mean score - share Yes|)."""
    s, g = np.asarray(scores, np.float64), np.asarray(gold, np.float64)
    k = np.minimum((s * bins).astype(int), bins - 1)
    rows, ece = [], 0.0
    for b in range(bins):
        m = k == b
        n = int(m.sum())
        row = {"lo": round(b / bins, 4), "hi": round((b + 1) / bins, 4), "n": n,
               "mean_score": float(s[m].mean()) if n else None, "share_yes": float(g[m].mean()) if n else None}
        if n:
            ece += n / len(s) * abs(row["mean_score"] - row["share_yes"])
        rows.append(row)
    return {"bins": rows, "ece": float(ece), "n": int(len(s))}


def format_reliability(name: str, table: dict) -> str:
    """A reliability table as text, one line per bin."""
    lines = [f"{name}: ECE {table['ece']:.4f} over {table['n']} sentences", "  bin        n  mean score  share Yes"]
    for r in table["bins"]:
        ms = "-" if r["mean_score"] is None else f"{r['mean_score']:.3f}"
        sy = "-" if r["share_yes"] is None else f"{r['share_yes']:.3f}"
        lines.append(f"  {r['lo']:.1f}-{r['hi']:.1f} {r['n']:6d} {ms:>11} {sy:>10}")
    return "\n".join(lines)


def holdout_report(val_scores: np.ndarray, val_gold: np.ndarray, threshold: float,
                   tests: dict[str, tuple[np.ndarray, np.ndarray]], calibration: str = "platt",
                   applied: dict | None = None) -> dict:
    """Scores of each test set at ``threshold`` (chosen on validation, never on a test set), with a
    calibration fitted on the validation scores and reliability tables before and after it.
    Scores are raw; with ``applied`` (the shipped map) the threshold is on its calibrated scale."""
    cal = applied if applied is not None else fit_calibration(val_scores, val_gold, calibration)
    at = (lambda x: apply_calibration(cal, x)) if applied is not None else (lambda x: x)
    out = {"threshold": threshold, "calibration": cal, "calibration_applied": applied is not None,
           "validation": {**yes_f1(list(at(val_scores) >= threshold), list(val_gold.astype(bool))),
                          "ece_raw": reliability_table(val_scores, val_gold)["ece"]}}
    for name, (scores, gold) in tests.items():
        m = yes_f1(list(at(scores) >= threshold), list(gold.astype(bool)))
        out[name] = {**m, "reliability_raw": reliability_table(scores, gold),
                     "reliability_calibrated": reliability_table(apply_calibration(cal, scores), gold)}
    return out


