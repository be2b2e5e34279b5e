"""Cross-validation of the technique model by article, decoding settings chosen out of fold, and the score calibration."""

from __future__ import annotations

import json
import shutil
import statistics
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..document import InputError
from . import scoring
from .config import TrainConfig
from .data import cv_folds, dev_split, load_data, write_subset
from .evaluation import GRID, evaluate, setting_key, si_predictions
from .techniques import run_train, tune_decoding


def run_cv(data: Path, out: Path, cfg: TrainConfig, encoder_dir: Path | None, tiny: bool, folds: int,
           limit: int = 0, only: list[int] | None = None, rescore: bool = False,
           claims_data: Path | None = None, deadline: float | None = None) -> dict:
    """k-fold cross-validation: train on k-1 folds (tuning the threshold on 10% of them), test on the rest.
    Finished folds are kept and a stopped fold resumes from its checkpoint (see :func:`run_train`)."""
    from ..detect import Detector

    articles, labels = load_data(data, limit)
    if not 2 <= folds <= len(articles):
        raise InputError(f"--folds must be between 2 and the number of articles ({len(articles)}), not {folds}")
    if only and not all(0 <= k < folds for k in only):
        raise InputError(f"--only takes fold numbers 0 to {folds - 1}, not {', '.join(map(str, only))}")
    parts = cv_folds(articles, cfg.seed, folds)
    results = []
    for k in range(folds):
        if only and k not in only:
            continue
        fold_dir = out / f"fold{k}"
        res_file = fold_dir / "result.json"
        if res_file.exists() and not rescore:
            results.append(json.loads(res_file.read_text()))
            continue
        test_ids = parts[k]
        train_ids = [a for a in sorted(articles) if a not in set(test_ids)]
        if rescore and (fold_dir / "model" / "config.json").exists():
            # re-choose the decoding settings on the same dev articles, then score the test fold again
            summary = {"dev": tune_decoding(fold_dir / "model", articles, labels, dev_split(train_ids, cfg.seed, 0.1))}
        else:
            sub = fold_dir / "data"
            write_subset(data, sub, train_ids)
            fold_cfg = replace(cfg, teacher=cfg.teacher.replace("{fold}", str(k)),  # a teacher that never saw this fold
                               soft_labels=cfg.soft_labels.replace("{fold}", str(k)))
            if fold_cfg.teacher and not (Path(fold_cfg.teacher) / "config.json").is_file():
                raise InputError(f"--teacher {fold_cfg.teacher}: not an exported technique model folder")
            if fold_cfg.soft_labels and not Path(fold_cfg.soft_labels).is_file():
                raise InputError(f"--soft-labels {fold_cfg.soft_labels}: no such file")
            summary = run_train(sub, fold_dir / "model", fold_cfg, encoder_dir, tiny, dev_fraction=0.1,
                                version=f"cv-fold{k}", claims_data=claims_data, deadline=deadline)
        det = Detector(fold_dir / "model")
        gold = [(a, t, s, e) for a in test_ids for t, s, e in labels.get(a, [])]
        res = evaluate(det, {a: articles[a] for a in test_ids}, gold)
        res.update(fold=k, test_ids=test_ids, dev_threshold=summary.get("dev", {}).get("threshold"),
                   dev_gap=summary.get("dev", {}).get("gap"), dev_peak=summary.get("dev", {}).get("peak"),
                   dev_extend=summary.get("dev", {}).get("extend"))
        res_file.write_text(json.dumps(res, indent=2))
        shutil.rmtree(fold_dir / "data", ignore_errors=True)
        results.append(res)
        print(f"fold {k}: SI F1 {res['si']['f1']:.3f}  TC F1 {res['tc']['f1']:.3f}  FULL F1 {res['full']['f1']:.3f}",
              file=sys.stderr, flush=True)
    agg = {}
    for key in ("si", "tc", "full"):
        vals = [r[key]["f1"] for r in results]
        agg[key] = {"mean": statistics.mean(vals) if vals else 0.0,
                    "sd": statistics.stdev(vals) if len(vals) > 1 else 0.0, "folds": vals}
    agg["thresholds"] = [r.get("dev_threshold") for r in results]
    agg["gaps"] = [r.get("dev_gap") for r in results]
    agg["peaks"] = [r.get("dev_peak") for r in results]
    agg["extends"] = [r.get("dev_extend") for r in results]
    if len(results) == folds:
        models = [(out / f"fold{k}" / "model", parts[k]) for k in range(folds)]
        agg["final_decoding"] = d = oof_decoding(models, articles, labels)
        agg["score_calibration"] = cal = score_calibration(models, articles, labels, (d["threshold"], d["gap"], d["peak"], d["extend"]))
        if "map" in cal:
            (out / "calibration.json").write_text(json.dumps(cal, indent=2) + "\n", encoding="utf-8")
    (out / "summary.json").write_text(json.dumps(agg, indent=2))
    return agg


def oof_decoding(models: list[tuple[Path, list[str]]], articles: dict[str, str], labels: dict,
                 grid: list[tuple[float, int, float, float]] = GRID) -> dict:
    """The decoding settings for a model trained on all the data, and what choosing them so is worth.

    ``models``: ``(model_dir, test_ids)`` per cross-validation fold. Each fold's model decodes its
    own test articles, which it never trained on, so together they are every article, out of fold.
    The (threshold, gap, peak, extend) with the best SI F1 over all of them is the one to ship. Its worth is
    measured the same way one level down: for each fold, the setting that is best on the *other*
    folds' articles scores that fold's (``nested``). A model trained on all the data has no held-out
    articles of its own, so this, not a setting chosen on each fold's own development articles, is
    how its decoding is chosen.
    """
    from ..detect import Detector

    per_fold = []  # ({setting: [(key, s, e)]}, gold) per fold
    for k, (model_dir, test_ids) in enumerate(models):
        det = Detector(model_dir)
        # keys carry the fold: an article in two folds' lists (only in tests) counts twice
        docs = ((f"{k}/{a}", articles[a], det.encode(articles[a])) for a in test_ids)
        preds = si_predictions(det, docs, grid)
        gold = [(f"{k}/{a}", s, e) for a in test_ids for _, s, e in labels.get(a, [])]
        per_fold.append((preds, gold))

    def best(folds: list[int]):
        gold = [g for k in folds for g in per_fold[k][1]]
        scores = {st: scoring.score_si(gold, [p for k in folds for p in per_fold[k][0][st]]) for st in grid}
        st = max(grid, key=lambda x: scores[x].f1)  # the first of equals, in grid order
        return st, scores

    everything = list(range(len(models)))
    chosen, scores = best(everything)
    nested = []
    for k in everything:
        others = [j for j in everything if j != k]
        if not others:
            break
        st, _ = best(others)
        res = scoring.score_si(per_fold[k][1], per_fold[k][0][st])
        nested.append({"fold": k, "threshold": st[0], "gap": st[1], "peak": st[2], "extend": st[3],
                       "si": res.as_dict()})
    f1s = [n["si"]["f1"] for n in nested]
    return {"threshold": chosen[0], "gap": chosen[1], "peak": chosen[2], "extend": chosen[3],
            "oof_si": scores[chosen].as_dict(), "n_articles": sum(len(ids) for _, ids in models),
            "si_by_setting": {setting_key(st): round(scores[st].f1, 4) for st in grid},
            "nested": {"mean": statistics.mean(f1s) if f1s else 0.0,
                       "sd": statistics.stdev(f1s) if len(f1s) > 1 else 0.0, "folds": nested}}


def score_calibration(models: list[tuple[Path, list[str]]], articles: dict[str, str], labels: dict,
                      setting: tuple[float, int, float, float], bins: int = 10) -> dict:
    """A map from raw span scores to the share of spans that are right, fitted out of fold.

    Each fold's model finds the spans of its own test articles with the decoding ``setting``; a
    span is right when it overlaps a gold span of its technique (``evaluation.span_hits``). The
    map (``evaluation.fit_score_map``, then ``fit_technique_factors`` on the mapped scores) is
    fitted on every fold's spans, for a model trained on all the data; what it is worth is measured
    one level down: each fold's spans mapped by the map fitted on the other folds only
    (``nested``): expected calibration error (by score bins) and technique calibration error (by
    technique), raw, with the global map alone, and with the technique factors too.
    """
    from ..detect import Detector
    from .evaluation import (
        apply_score_map,
        calibration_error,
        fit_full_score_map,
        raw_span_scores,
        technique_calibration_error,
    )

    def fit(raw, hits, techs) -> dict:
        return fit_full_score_map(raw, hits, techs, bins)

    per_fold = []  # (raw scores, hits, techniques) per fold
    for model_dir, test_ids in models:
        det = Detector(model_dir)
        det.threshold, det.gap, det.peak, det.extend = setting
        per_fold.append(raw_span_scores(det, articles, labels, test_ids))  # raw, whatever the config says
    all_raw, all_hits, all_techs = (np.concatenate([f[i] for f in per_fold]) for i in range(3))
    if len(all_raw) == 0:
        return {"spans": 0}
    nested = []
    for k, (raw, hits, techs) in enumerate(per_fold):
        others = [j for j in range(len(per_fold)) if j != k and len(per_fold[j][0])]
        if not others or not len(raw):
            continue
        m = fit(*(np.concatenate([per_fold[j][i] for j in others]) for i in range(3)))
        glob = apply_score_map(m, raw)
        full = apply_score_map(m, raw, techs)
        nested.append({"fold": k, "spans": len(raw),
                       "ece_raw": calibration_error(raw, hits), "ece_global": calibration_error(glob, hits),
                       "ece_calibrated": calibration_error(full, hits),
                       "tce_raw": technique_calibration_error(raw, hits, techs),
                       "tce_global": technique_calibration_error(glob, hits, techs),
                       "tce_calibrated": technique_calibration_error(full, hits, techs)})
    keys = ("ece_raw", "ece_global", "ece_calibrated", "tce_raw", "tce_global", "tce_calibrated")
    return {"map": fit(all_raw, all_hits, all_techs), "spans": len(all_raw), "hits": float(all_hits.mean()),
            "mean_raw_score": float(all_raw.mean()), "setting": list(setting),
            "nested": {**{key: statistics.mean(n[key] for n in nested) if nested else None for key in keys},
                       "folds": nested}}


