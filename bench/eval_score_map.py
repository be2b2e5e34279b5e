"""Does the shipped score map still mean what it says? Out-of-fold spans of the shipped recipe, several
folds: the shipped map against a map refitted on the recipe's own spans.

    python bench/eval_score_map.py --ptc ../shared/data/ptc \
        --fold 1 runs/cv5-maskx/fold1/model runs/clf-fold1/model \
        --fold 2 runs/cv5-maskx/fold2/model runs/clf-fold2/model [--out calibration.json]

Each ``--fold K TAGGER CLASSIFIER`` is one fold's tagger (``train cv --folds 5 --seed 13 --only K``)
and span classifier (``train classifier --folds 5 --fold K``), which never saw the fold's test
articles; they find those articles' spans with the shipped decoding, mix, boost and mask
(``--settings-from``). A span is right when it overlaps a gold span of its technique. Per fold it
prints the expected calibration error (10 score bins; and by technique) of the shipped map and of
the map fitted on the other folds' spans only, then the reliability table of those nested scores
and how many spans reach 0.3 (the terminal's default bar). ``--out`` writes the map fitted on all
the folds' spans in ``train cv``'s ``calibration.json`` form (``train techniques --calibration``
and ``training.export.load_score_map`` read it). Prints numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def reliability_rows(scores, hits, bins: int = 10) -> list[str]:
    """The non-empty bins of ``training.calibration.reliability_table`` as Markdown rows."""
    from spinscope.training.calibration import reliability_table

    return [f"| {r['lo']:.1f}-{r['hi']:.1f} | {r['n']} | {r['mean_score']:.3f} | {r['share_yes']:.1%} |"
            for r in reliability_table(scores, hits, bins)["bins"] if r["n"]]


def main() -> None:
    import numpy as np

    from eval_fold import fold_model
    from spinscope.detect import MODEL_DIR, Detector
    from spinscope.training.data import cv_folds, load_data
    from spinscope.training.evaluation import (
        apply_score_map,
        calibration_error,
        fit_full_score_map,
        raw_span_scores,
        technique_calibration_error,
    )

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ptc", type=Path, required=True)
    ap.add_argument("--fold", nargs=3, action="append", required=True, metavar=("K", "TAGGER", "CLASSIFIER"))
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--settings-from", type=Path, default=MODEL_DIR)
    ap.add_argument("--out", type=Path, help="write the map fitted on all the folds' spans here")
    args = ap.parse_args()
    if len(args.fold) < 2:
        sys.exit("give two folds or more: each fold's map is fitted on the others")

    articles, labels = load_data(args.ptc)
    splits = cv_folds(sorted(articles), args.seed, args.folds)
    ref = json.loads((args.settings_from / "config.json").read_text())
    setting = (ref["threshold"], ref.get("gap", 0), ref.get("peak", 0.0), ref.get("extend", 0.0))
    mask = ref.get("mask_names")
    shipped = ref.get("score_calibration")
    parts = []  # (fold, raw scores, hits, techniques)
    with tempfile.TemporaryDirectory() as tmp:
        for k, tagger, classifier in args.fold:
            model = fold_model(Path(tagger), Path(tmp) / f"fold{k}", setting, ref.get("classifier_weight", 1.0),
                               ref.get("repetition_boost", 1.0), json.dumps(mask) if isinstance(mask, dict) else mask,
                               Path(classifier))
            parts.append((int(k), *raw_span_scores(Detector(model), articles, labels, splits[int(k)])))
    print(f"decoding {setting}, classifier weight {ref.get('classifier_weight')}, repetition boost "
          f"{ref.get('repetition_boost')}, mask {mask}")
    print("| fold | spans | right | ECE shipped map | by technique | ECE map of the other folds | by technique |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    nested, ship_all = [], []
    stats = {"shipped": [], "shipped_t": [], "nested": [], "nested_t": []}
    for i, (k, raw, hits, techs) in enumerate(parts):
        others = [p for j, p in enumerate(parts) if j != i]
        m = fit_full_score_map(*(np.concatenate([p[c] for p in others]) for c in (1, 2, 3)))
        mapped = apply_score_map(m, raw, techs)
        nested.append(mapped)
        row = [calibration_error(mapped, hits), technique_calibration_error(mapped, hits, techs)]
        if shipped:
            s = apply_score_map(shipped, raw, techs)
            ship_all.append(s)
            row = [calibration_error(s, hits), technique_calibration_error(s, hits, techs)] + row
            stats["shipped"].append(row[0])
            stats["shipped_t"].append(row[1])
        stats["nested"].append(row[-2])
        stats["nested_t"].append(row[-1])
        cells = " | ".join(f"{x:.4f}" for x in row) if shipped else "– | – | " + " | ".join(f"{x:.4f}" for x in row)
        print(f"| {k} | {len(raw)} | {hits.mean():.1%} | {cells} |")
    mean = {k: statistics.mean(v) for k, v in stats.items() if v}
    print("mean over folds: " + ", ".join(f"{k} {v:.4f}" for k, v in mean.items()))
    hits = np.concatenate([p[2] for p in parts])
    for name, scores in (("the map of the other folds", np.concatenate(nested)),
                         *((("the shipped map", np.concatenate(ship_all)),) if ship_all else ())):
        print(f"\nreliability, {name} ({len(hits)} spans; {int((scores >= 0.3).sum())} scored >= 0.3, "
              f"{hits[scores >= 0.3].mean() if (scores >= 0.3).any() else 0:.1%} of them right)")
        print("| score | spans | mean score | right |\n| --- | --- | --- | --- |")
        print("\n".join(reliability_rows(scores, hits)))
    if args.out:
        raw, techs = (np.concatenate([p[c] for p in parts]) for c in (1, 3))
        fitted = fit_full_score_map(raw, hits, techs)
        args.out.write_text(json.dumps({"map": fitted, "spans": len(raw), "hits": float(hits.mean()),
                                        "setting": list(setting), "folds": [p[0] for p in parts],
                                        "nested": mean}, indent=2) + "\n")
        print(f"\nwrote the map fitted on all {len(raw)} spans to {args.out}")


if __name__ == "__main__":
    main()
