"""What a span's score means: reliability of the scores on articles the model never saw.

    python bench/eval_reliability.py --cv runs/cvCcpu --ptc ../shared/data/ptc

Each cross-validation fold model (``--cv``: the output folder of ``spinscope train cv``) finds the
spans of its own test articles with the shipped decoding settings (``--model``'s threshold, gap and
peak; default the shipped model). The spans of all folds are pooled and binned by ``score`` (the
confidence that the span uses its technique) and by ``span_score`` (the confidence that the span
persuades at all). Per bin it prints:

  hit       the share of spans that overlap a gold span of the same technique (for span_score:
            of any technique)
  chars     the share of the spans' characters inside such gold spans (the SI/FULL precision
            measure of SemEval-2020 Task 11, per span)

A calibrated score would have ``hit`` close to the bin's mean score. The fold models give raw
scores (their configs carry no score map); a third table maps each fold's scores with the map
fitted on the other folds' spans (``evaluation.fit_score_map``, as ``spinscope train cv`` fits the
shipped one on all folds, technique factors included), so it shows how calibrated the shipped
scores are on unseen articles; a last table compares raw and mapped scores per technique.
Prints numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

EDGES = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 1.0001]


def span_rows(det, text: str, gold: list[tuple[str, int, int]]) -> tuple[list, list[str]]:
    """Per span: score, span_score, hit and char share for its technique, hit and char share for
    any; and the spans' techniques."""
    rows, techs = [], []
    for sp in det.detect(text):
        n = sp.end - sp.start
        same = np.zeros(n, bool)
        any_ = np.zeros(n, bool)
        for tech, s, e in gold:
            lo, hi = max(s, sp.start), min(e, sp.end)
            if hi > lo:
                any_[lo - sp.start : hi - sp.start] = True
                if tech == sp.technique:
                    same[lo - sp.start : hi - sp.start] = True
        rows.append((sp.score, sp.span_score, float(same.any()), float(same.mean()), float(any_.any()), float(any_.mean())))
        techs.append(sp.technique)
    return rows, techs


def table(r: np.ndarray, col: int, hit: int, chars: int, name: str, what: str) -> None:
    print(f"{name:10s}  spans  mean {name:10s}  hit ({what})  chars ({what})")
    for lo, hi in zip(EDGES, EDGES[1:]):
        m = (r[:, col] >= lo) & (r[:, col] < hi)
        if m.any():
            print(f"{lo:.1f}-{min(hi, 1.0):.1f}     {int(m.sum()):5d}  {r[m, col].mean():15.3f}  {r[m, hit].mean():{10 + len(what)}.3f}"
                  f"  {r[m, chars].mean():{12 + len(what)}.3f}")
    print(f"all         {len(r):5d}  {r[:, col].mean():15.3f}  {r[:, hit].mean():{10 + len(what)}.3f}  {r[:, chars].mean():{12 + len(what)}.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cv", type=Path, required=True, help="output folder of 'spinscope train cv' (fold*/model, fold*/result.json)")
    ap.add_argument("--ptc", type=Path, required=True, help="PTC folder (articles/, labels-tc/)")
    ap.add_argument("--model", type=Path, default=None, help="model whose decoding settings to use (default: the shipped one)")
    args = ap.parse_args()

    from spinscope.training import ptc
    from spinscope.detect import Detector

    folds = sorted(args.cv.glob("fold*/result.json"))
    if not folds:
        sys.exit(f"no fold*/result.json in {args.cv}: run 'spinscope train cv' first")
    shipped = Detector(args.model, lazy=True)
    arts = ptc.load_articles(args.ptc / "articles")
    gold: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
    for a, tech, s, e in ptc.load_tc_labels(args.ptc / "labels-tc"):
        gold[a].append((tech, s, e))
    from spinscope.detect.calibration import apply_score_map
    from spinscope.training.evaluation import calibration_error, fit_score_map, fit_technique_factors, technique_calibration_error

    per_fold, fold_techs = [], []
    for res in folds:
        det = Detector(res.parent / "model")
        det.threshold, det.gap, det.peak, det.extend = shipped.threshold, shipped.gap, shipped.peak, shipped.extend
        det.score_map = None
        rows, techs = [], []
        for a in json.loads(res.read_text(encoding="utf-8"))["test_ids"]:
            r_, t_ = span_rows(det, arts[a], gold[a])
            rows += r_
            techs += t_
        per_fold.append(np.array(rows).reshape(-1, 6))
        fold_techs.append(np.array(techs))
    r = np.concatenate(per_fold)
    techs = np.concatenate(fold_techs)
    print(f"{len(folds)} fold models, each on its own test articles; decoding {shipped.threshold} / {shipped.gap} / {shipped.peak} / extend {shipped.extend}")
    table(r, 0, 2, 3, "score", "same technique")
    print()
    table(r, 1, 4, 5, "span_score", "any technique")
    if len(per_fold) > 1:
        mapped, glob = [], []
        for k, rk in enumerate(per_fold):
            other = np.concatenate([x for j, x in enumerate(per_fold) if j != k])
            other_t = np.concatenate([x for j, x in enumerate(fold_techs) if j != k])
            m = fit_score_map(other[:, 0], other[:, 2])
            glob.append(apply_score_map(m, rk[:, 0]))
            m["technique_factor"] = fit_technique_factors(apply_score_map(m, other[:, 0]), other[:, 2], other_t)
            mk = rk.copy()
            mk[:, 0] = apply_score_map(m, rk[:, 0], fold_techs[k])
            mapped.append(mk)
        mr = np.concatenate(mapped)
        g = np.concatenate(glob)
        print("\nscores mapped by the map fitted on the other folds (what the shipped map does on unseen articles):")
        table(mr, 0, 2, 3, "mapped", "same technique")
        print(f"calibration error by score (10 bins): raw {calibration_error(r[:, 0], r[:, 2]):.3f}, "
              f"global map {calibration_error(g, r[:, 2]):.3f}, with technique factors {calibration_error(mr[:, 0], mr[:, 2]):.3f}")
        print(f"calibration error by technique: raw {technique_calibration_error(r[:, 0], r[:, 2], techs):.3f}, "
              f"global map {technique_calibration_error(g, r[:, 2], techs):.3f}, "
              f"with technique factors {technique_calibration_error(mr[:, 0], mr[:, 2], techs):.3f}")
        print(f"\n{'technique':36s} spans  mean raw  global map  with factors  right")
        for t in sorted(set(techs.tolist()), key=lambda t: -(techs == t).sum()):
            i = techs == t
            print(f"{t:36s} {int(i.sum()):5d}  {r[i, 0].mean():8.3f}  {g[i].mean():10.3f}  {mr[i, 0].mean():12.3f}  {r[i, 2].mean():5.3f}")


if __name__ == "__main__":
    main()
