"""Cross-validation summary of several folds scored by ``bench/eval_fold.py --json``: each measure's
mean ± sd over the folds, and TC F1 per technique (each fold, mean ± sd, and pooled over the folds'
spans, which weighs a technique's rare folds by their spans).

    python bench/summarize_folds.py runs/eval-fold1.json runs/eval-fold2.json runs/eval-fold3.json

Prints a Markdown table of each; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path


def mean_sd(xs: list[float]) -> str:
    sd = statistics.stdev(xs) if len(xs) > 1 else 0.0
    return f"{statistics.mean(xs):.3f} ± {sd:.3f}"


def pooled_f1(rows: list[dict]) -> float:
    """F1 from the folds' summed true positives, predictions and gold spans (TC: P and R share tp)."""
    tp = sum(r["precision"] * r["n_pred"] for r in rows)
    pred, gold = sum(r["n_pred"] for r in rows), sum(r["n_gold"] for r in rows)
    return 2 * tp / (pred + gold) if pred + gold else 0.0


def summarize(evals: list[dict], names: list[str]) -> str:
    lines = ["| measure | " + " | ".join(names) + " | mean ± sd |", "| --- |" + " --- |" * (len(names) + 1)]
    for key, label in (("si", "SI F1"), ("tc", "TC micro-F1"), ("full", "FULL F1")):
        xs = [e[key]["f1"] for e in evals]
        lines.append(f"| {label} | " + " | ".join(f"{x:.3f}" for x in xs) + f" | **{mean_sd(xs)}** |")
    for key, label in (("precision", "SI precision"), ("recall", "SI recall")):
        xs = [e["si"][key] for e in evals]
        lines.append(f"| {label} | " + " | ".join(f"{x:.3f}" for x in xs) + f" | {mean_sd(xs)} |")
    lines += ["", "| technique (TC F1) | " + " | ".join(names) + " | mean ± sd | pooled (pred / gold) |",
              "| --- |" + " --- |" * (len(names) + 2)]
    techniques = sorted({t for e in evals for t in e["tc_per_technique"]},
                        key=lambda t: -statistics.mean(e["tc_per_technique"].get(t, {"f1": 0})["f1"] for e in evals))
    for t in techniques:
        rows = [e["tc_per_technique"].get(t, {"precision": 0, "recall": 0, "f1": 0, "n_pred": 0, "n_gold": 0})
                for e in evals]
        xs = [r["f1"] for r in rows]
        lines.append(f"| {t} | " + " | ".join(f"{x:.3f}" for x in xs) + f" | {mean_sd(xs)} | "
                     f"{pooled_f1(rows):.3f} ({sum(r['n_pred'] for r in rows)} / {sum(r['n_gold'] for r in rows)}) |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("evals", type=Path, nargs="+", help="eval_fold.py --json files, one per fold")
    args = ap.parse_args()
    evals, names = [], []
    for p in args.evals:
        try:
            evals.append(json.loads(p.read_text(encoding="utf-8"))["eval"])
        except (OSError, ValueError, KeyError) as e:
            sys.exit(f"{p}: not an eval_fold.py --json file ({e})")
        names.append(p.stem)
    print(summarize(evals, names))


if __name__ == "__main__":
    main()
