"""One cross-validation fold, scored as a user would meet it: SI, TC and FULL on the fold's test
articles, per technique, with or without a span classifier, and the score calibration out of fold.

    python bench/eval_fold.py --model runs/cv5/fold0/model --ptc ../shared/data/ptc --fold 0 \
        [--classifier runs/clf-f0/model] [--settings-from spinscope/models] [--calibration-out cal.json]

The fold's test articles are ``train cv --folds N --seed S``'s (``--folds 5 --seed 13`` by default),
which neither the fold's tagger nor a classifier trained with ``train classifier --fold K`` saw.
Decoding uses the settings of ``--settings-from`` (default: the shipped model's), so that the
numbers are those of the shipped recipe. The calibration is cross-fitted over two halves of the
articles (the map fitted on one half scores the other) and then fitted on all of them for
``--calibration-out``. Prints numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def fold_model(tagger: Path, out: Path, setting: tuple, weight: float, boost: float,
               mask_names: str | None = None, classifier: Path | None = None) -> Path:
    """A copy of a fold's tagger at ``out`` with the given decoding, mix and mask, its score map
    left out, and the fold's span classifier installed: the whole model of one fold."""
    from spinscope.training.span_classifier import install_classifier

    shutil.copytree(tagger, out)
    cfg = json.loads((out / "config.json").read_text())
    cfg.update(threshold=setting[0], gap=setting[1], peak=setting[2], extend=setting[3], classifier_weight=weight,
               repetition_boost=boost)
    if mask_names:
        cfg["mask_names"] = json.loads(mask_names) if mask_names.startswith("{") else mask_names
    cfg.pop("score_calibration", None)
    (out / "config.json").write_text(json.dumps(cfg))
    if classifier:
        install_classifier(classifier, out)
    return out


def tc_crossfit(det, articles, gold, halves, boosts, weights) -> dict:
    """TC with gold spans when each half of the articles uses the (classifier weight, repetition
    boost) best on the other half; the head's and the classifier's probabilities are computed once."""
    import numpy as np

    from spinscope.detect import repetition_count
    from spinscope.training import scoring

    keys = sorted({(a, s, e) for a, _, s, e in gold})
    by_article: dict[str, list] = {}
    for k in keys:
        by_article.setdefault(k[0], []).append(k)
    saved = det.classifier_weight, det.repetition_boost
    det.repetition_boost = 1.0
    probs = {}
    for w in ([0.0, 1.0] if det.classifier is not None else [0.0]):
        det.classifier_weight = w
        for a, ks in by_article.items():
            for k, p in zip(ks, det.classify(articles[a], [(s, e) for _, s, e in ks])):
                probs[(w, k)] = p
    det.classifier_weight, det.repetition_boost = saved
    rep = {k: repetition_count(articles[k[0]].lower(), articles[k[0]][k[1]:k[2]]) > 0 for k in keys}
    R = det.labels.index("Repetition")
    if det.classifier is None:
        weights = [0.0]

    def rows(w, b, ids):
        used, out = {}, []
        for a, _, s, e in gold:
            if a not in ids:
                continue
            k = (a, s, e)
            p = w * probs.get((1.0, k), 0.0) + (1.0 - w) * probs[(0.0, k)]
            if rep[k]:
                p = p.copy()
                p[R] *= b
            r = used.get(k, 0)
            used[k] = r + 1
            out.append((a, det.labels[int(np.argsort(-p)[min(r, len(p) - 1)])], s, e))
        return out

    grid = [(w, b) for w in weights for b in boosts]
    chosen, pred = [], []
    for k, half in enumerate(halves):
        other = set(halves[1 - k])
        g = [x for x in gold if x[0] in other]
        best = max(grid, key=lambda wb: scoring.score_tc(g, rows(*wb, other)).f1)  # the first of equals
        chosen.append(best)
        pred += rows(*best, set(half))
    allids = {a for h in halves for a in h}
    g = [x for x in gold if x[0] in allids]
    per = scoring.score_tc_per_technique(g, pred)
    table = {f"{w}/{b}": round(scoring.score_tc(g, rows(w, b, allids)).f1, 4) for w, b in grid}
    return {"chosen": chosen, "tc": scoring.score_tc(g, pred).f1, "repetition": per["Repetition"].f1,
            "per_technique": {t: r.as_dict() for t, r in per.items()}, "grid_all_articles": table}


def reliability(det, articles, labels, halves, bins: int = 10, shipped: dict | None = None) -> dict:
    """Per score bin: spans, mean score and share right, for raw scores and for scores mapped by
    the map fitted on the other half (curve and technique factors), as the shipped map is fitted;
    with ``shipped`` (a model's score map), also its ECE over all the spans, by score and by technique."""
    import numpy as np

    from spinscope.training.evaluation import (
        apply_score_map,
        calibration_error,
        fit_full_score_map,
        raw_span_scores,
        technique_calibration_error,
    )

    parts = [raw_span_scores(det, articles, labels, half) for half in halves]
    mapped = []
    for k in range(len(parts)):
        m = fit_full_score_map(*parts[1 - k], bins)
        mapped.append(apply_score_map(m, parts[k][0], parts[k][2]))
    raw = np.concatenate([p[0] for p in parts])
    hits = np.concatenate([p[1] for p in parts])
    mapped = np.concatenate(mapped)
    techs = np.concatenate([p[2] for p in parts])
    kept = {}
    if shipped:
        m = apply_score_map(shipped, raw, techs)
        kept = {"ece": calibration_error(m, hits, bins), "ece_by_technique": technique_calibration_error(m, hits, techs),
                "at_least_0.3": int((m >= 0.3).sum()), "right_at_least_0.3": float(hits[m >= 0.3].mean()) if (m >= 0.3).any() else None}

    def table(x):
        idx = np.minimum((x * bins).astype(int), bins - 1)
        return [{"bin": f"{b / bins:.1f}-{(b + 1) / bins:.1f}", "spans": int((idx == b).sum()),
                 "mean": float(x[idx == b].mean()) if (idx == b).any() else None,
                 "right": float(hits[idx == b].mean()) if (idx == b).any() else None} for b in range(bins)]

    if shipped:
        kept["table"] = table(apply_score_map(shipped, raw, techs))
    return {"raw": table(raw), "mapped": table(mapped), "spans": len(raw), "right": float(hits.mean()), "shipped_map": kept}


def main() -> None:
    from spinscope.detect import MODEL_DIR, Detector
    from spinscope.training.cv import score_calibration
    from spinscope.training.data import cv_folds, load_data
    from spinscope.training.evaluation import evaluate

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, required=True, help="the fold's technique model folder")
    ap.add_argument("--ptc", type=Path, required=True)
    ap.add_argument("--fold", type=int, default=0)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--classifier", type=Path, help="an exported span classifier to use with the model")
    ap.add_argument("--weight", type=float, default=1.0, help="classifier_weight: 1 the classifier alone")
    ap.add_argument("--repetition-boost", type=float, default=None,
                    help="repetition_boost for the run (default: --settings-from's, else 1: off)")
    ap.add_argument("--boost-grid", default="1,2,4,8,12,20",
                    help="repetition boosts tried for TC, each half of the articles choosing for the other")
    ap.add_argument("--weight-grid", default="1,0.8,0.6,0.4",
                    help="classifier weights tried with them (with --classifier)")
    ap.add_argument("--settings-from", type=Path, default=MODEL_DIR, help="model whose decoding settings to use")
    ap.add_argument("--calibration-out", type=Path, help="write the score map fitted on all the fold's spans here")
    ap.add_argument("--mask-names", metavar="WORD", help="mask names with this placeholder token, or a JSON mapping by kind (config mask_names)")
    ap.add_argument("--json", type=Path, help="write the whole result here")
    args = ap.parse_args()

    articles, labels = load_data(args.ptc)
    test = cv_folds(sorted(articles), args.seed, args.folds)[args.fold]
    ref = json.loads((args.settings_from / "config.json").read_text())
    setting = (ref["threshold"], ref.get("gap", 0), ref.get("peak", 0.0), ref.get("extend", 0.0))
    with tempfile.TemporaryDirectory() as tmp:
        model = fold_model(args.model, Path(tmp) / "model", setting, args.weight,
                           args.repetition_boost if args.repetition_boost is not None else ref.get("repetition_boost", 1.0),
                           args.mask_names, args.classifier)
        det = Detector(model)
        gold = [(a, t, s, e) for a in test for t, s, e in labels.get(a, [])]
        res = evaluate(det, {a: articles[a] for a in test}, gold)
        halves = [test[0::2], test[1::2]]
        crossfit = tc_crossfit(det, articles, gold, halves, [float(x) for x in args.boost_grid.split(",")],
                               [float(x) for x in args.weight_grid.split(",")])
        cal = score_calibration([(model, h) for h in halves], articles, labels, setting)
        rel = reliability(det, articles, labels, halves, shipped=ref.get("score_calibration"))
    print(f"fold {args.fold}: {len(test)} articles, {len(gold)} gold spans; decoding {setting}"
          + (f"; classifier {args.classifier} (weight {args.weight})" if args.classifier else "; the tagger's head"))
    print(f"SI   F1 {res['si']['f1']:.4f} (P {res['si']['precision']:.4f} R {res['si']['recall']:.4f})")
    print(f"TC   F1 {res['tc']['f1']:.4f}")
    print(f"FULL F1 {res['full']['f1']:.4f} (P {res['full']['precision']:.4f} R {res['full']['recall']:.4f})")
    print("TC per technique (gold spans given):  F1  pred/gold")
    for t, r in sorted(res["tc_per_technique"].items(), key=lambda kv: -kv[1]["n_gold"]):
        print(f"  {t:38s} {r['f1']:.3f}  {r['n_pred']:4d}/{r['n_gold']:<4d}")
    print(f"(classifier weight, repetition boost) chosen on each half for the other: {crossfit['chosen']} -> TC F1 "
          f"{crossfit['tc']:.4f}, Repetition F1 {crossfit['repetition']:.4f}")
    print("TC F1 over all the fold's articles by weight/boost: "
          + ", ".join(f"{k} {v:.4f}" for k, v in crossfit["grid_all_articles"].items()))
    n = cal.get("nested", {})
    if n.get("ece_raw") is not None:
        print(f"calibration, cross-fitted over two halves ({cal['spans']} spans, {cal['hits']:.1%} right): "
              f"ECE raw {n['ece_raw']:.4f}, mapped {n['ece_global']:.4f}, with technique factors {n['ece_calibrated']:.4f}; "
              f"by technique raw {n['tce_raw']:.4f}, calibrated {n['tce_calibrated']:.4f}")
    print(f"reliability ({rel['spans']} spans, {rel['right']:.1%} right): bin, spans, mean score, share right; "
          "raw | mapped by the other half's map")
    for r0, r1 in zip(rel["raw"], rel["mapped"]):
        f = lambda r: f"{r['spans']:5d} {r['mean'] or 0:.3f} {r['right'] or 0:.3f}"  # noqa: E731
        print(f"  {r0['bin']}  {f(r0)} | {f(r1)}")
    if rel["shipped_map"]:
        k = rel["shipped_map"]
        print(f"--settings-from's score map on these spans: ECE {k['ece']:.4f}, by technique {k['ece_by_technique']:.4f}; "
              f"{k['at_least_0.3']} spans scored >= 0.3, {k['right_at_least_0.3'] or 0:.1%} of them right")
        for r in k["table"]:
            print(f"  {r['bin']}  {r['spans']:5d} {r['mean'] or 0:.3f} {r['right'] or 0:.3f}")
    if args.calibration_out and "map" in cal:
        args.calibration_out.write_text(json.dumps(cal, indent=2) + "\n")
    if args.json:
        args.json.write_text(json.dumps({"eval": res, "calibration": cal, "crossfit": crossfit, "reliability": rel, "test_ids": test},
                                        indent=2) + "\n")


if __name__ == "__main__":
    main()
