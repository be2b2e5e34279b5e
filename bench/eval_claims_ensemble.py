"""Claims models averaged: does a mean of two claims models' probabilities beat each alone?

    python bench/eval_claims_ensemble.py --data ../shared/data/claims \
        --dev-test ../shared/data/claims/CT24_checkworthy_english_dev-test.tsv \
        --model runs/claims_holdout_f0/candidate --model runs/claims-ft6 [--weights 0.5,0.5]

Each ``--model`` is a claims model folder trained with ``spinscope train claims --holdout-debates 5
--val-debates 3`` (the same split), so none saw the held-out debates. Sentences are scored on
their own by each model (calibrated probabilities, as ``spinscope claims`` gives them); the
ensemble is their weighted mean, its threshold chosen on the validation debates only. Prints F1/P/R
of "Yes" on the held-out debates and the dev-test file for each model and the ensemble, with a
paired bootstrap of the ensemble minus the best single model on the held-out debates.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from spinscope.claims import ClaimScorer, read_sentences_tsv  # noqa: E402
from spinscope.training.calibration import best_threshold  # noqa: E402
from spinscope.training.claimbuster import load_claimbuster, split_debates  # noqa: E402


def f1_at(scores, gold, thr) -> tuple[float, float, float]:
    pred = scores >= thr
    tp = float((pred & (gold == 1)).sum())
    p = tp / max(1.0, float(pred.sum()))
    r = tp / max(1.0, float((gold == 1).sum()))
    return (2 * p * r / (p + r) if p + r else 0.0), p, r


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--dev-test", type=Path, required=True)
    ap.add_argument("--model", type=Path, action="append", required=True)
    ap.add_argument("--weights", help="comma-separated, one per --model (default: equal)")
    ap.add_argument("--holdout-debates", type=int, default=5)
    ap.add_argument("--val-debates", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    items = load_claimbuster(args.data)
    _, val, test, _ = split_debates(items, args.holdout_debates, args.val_debates)
    dev = read_sentences_tsv(args.dev_test, extra=("class_label",))
    sets = {"validation": ([items[i]["text"] for i in val], np.array([items[i]["label"] for i in val])),
            "held-out debates": ([items[i]["text"] for i in test], np.array([items[i]["label"] for i in test])),
            "dev-test": ([r["text"] for r in dev], np.array([int(r["class_label"].strip().lower() == "yes") for r in dev]))}
    weights = [float(w) for w in args.weights.split(",")] if args.weights else [1.0] * len(args.model)
    scores = {}
    for m in args.model:
        scorer = ClaimScorer(m, threads=args.threads)
        scores[str(m)] = {k: np.asarray(scorer.score_sentences(t), np.float64) for k, (t, _) in sets.items()}
    scores["ensemble"] = {k: sum(w * scores[str(m)][k] for w, m in zip(weights, args.model)) / sum(weights) for k in sets}
    rng = np.random.default_rng(13)
    results = {}
    for name, sc in scores.items():
        thr, _ = best_threshold(sc["validation"], sets["validation"][1])
        results[name] = thr
        line = [f"{name}: threshold {thr:.3f} (validation)"]
        for k in ("held-out debates", "dev-test"):
            f, p, r = f1_at(sc[k], sets[k][1], thr)
            line.append(f"{k} F1 {f:.4f} (P {p:.3f} R {r:.3f})")
        print("; ".join(line))
    gold = sets["held-out debates"][1]
    singles = [str(m) for m in args.model]
    best = max(singles, key=lambda n: f1_at(scores[n]["held-out debates"], gold, results[n])[0])
    diffs = []
    for _ in range(2000):
        idx = rng.integers(0, len(gold), len(gold))
        e = f1_at(scores["ensemble"]["held-out debates"][idx], gold[idx], results["ensemble"])[0]
        b = f1_at(scores[best]["held-out debates"][idx], gold[idx], results[best])[0]
        diffs.append(e - b)
    lo, hi = np.percentile(diffs, [2.5, 97.5])
    print(f"ensemble minus {best} on the held-out debates: {np.mean(diffs):+.4f} (95% interval {lo:+.4f} to {hi:+.4f})")


if __name__ == "__main__":
    main()
