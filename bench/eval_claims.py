"""Score claims models on a labelled CheckThat!-style TSV (Sentence_id, Text, class_label Yes/No).

    python bench/eval_claims.py ../shared/data/claims/CT24_checkworthy_english_dev-test.tsv \
        --model runs/claims/shared --model runs/claims/finetune [--threads 2]

For each model folder (default: the shipped model) prints precision, recall and F1 of the Yes
class at the model's own threshold, a seeded bootstrap 95% interval of the F1 (2,000 resamples of
the sentences), the best F1 any threshold would have given (for information only: thresholds are
chosen on held-out ClaimBuster data, never here) and the scoring time per sentence; with two
models, the paired bootstrap interval of their F1 difference. Prints numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def f1(pred: np.ndarray, gold: np.ndarray) -> float:
    tp = float((pred & gold).sum())
    fp = float((pred & ~gold).sum())
    fn = float((~pred & gold).sum())
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("tsv", type=Path)
    ap.add_argument("--model", type=Path, action="append")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--resamples", type=int, default=2000)
    args = ap.parse_args()

    from spinscope.claims import ClaimScorer, read_sentences_tsv, yes_f1

    rows = read_sentences_tsv(args.tsv, extra=("class_label",))
    gold = np.asarray([r["class_label"].lower() == "yes" for r in rows])
    texts = [r["text"] for r in rows]
    rng = np.random.default_rng(13)
    samples = rng.integers(0, len(rows), size=(args.resamples, len(rows)))
    print(f"{args.tsv.name}: {len(rows)} sentences, {int(gold.sum())} Yes")
    preds = []
    for model in args.model or [None]:
        scorer = ClaimScorer(model, threads=args.threads)
        scorer.score_sentences(texts[:2])  # warm-up
        t0 = time.perf_counter()
        scores = scorer.score_sentences(texts)
        ms = (time.perf_counter() - t0) * 1000 / len(texts)
        pred = scores >= scorer.threshold
        preds.append(pred)
        m = yes_f1(list(pred), list(gold))
        boot = np.asarray([f1(pred[s], gold[s]) for s in samples])
        lo, hi = np.percentile(boot, [2.5, 97.5])
        oracle = max(f1(scores >= t, gold) for t in np.arange(0.05, 0.951, 0.01))
        print(f"[{model or 'shipped'}] mode {scorer.mode}, threshold {scorer.threshold:.2f}: "
              f"P {m['precision']:.3f}  R {m['recall']:.3f}  F1 {m['f1']:.3f} (95% CI {lo:.3f}-{hi:.3f})  "
              f"tp {m['tp']} fp {m['fp']} fn {m['fn']}; best-threshold F1 {oracle:.3f} (not used); {ms:.1f} ms/sentence")
    if len(preds) == 2:
        d = np.asarray([f1(preds[1][s], gold[s]) - f1(preds[0][s], gold[s]) for s in samples])
        lo, hi = np.percentile(d, [2.5, 97.5])
        print(f"F1 difference (second - first): {f1(preds[1], gold) - f1(preds[0], gold):+.3f} "
              f"(paired bootstrap 95% CI {lo:+.3f} to {hi:+.3f})")


if __name__ == "__main__":
    main()
