"""How much does the technique model gain from more training articles? Trains the cross-validation
fold models again on a seeded fraction of each fold's training articles (same test folds, same
recipe), then scores them as ``spinscope train cv`` does: per fold with the decoding chosen on the
fold's own development articles, and with the decoding chosen out of fold
(``spinscope.train.oof_decoding``). Compare with the full-data folds of the same ``--seed``.
Prints numbers; asserts nothing. Needs the training extras; about 20 minutes per fold on 2 CPUs
at half the data.

    python bench/learning_curve.py --data ../shared/data/ptc --out runs/lc50 --fraction 0.5 \\
        --epochs 10 --layers 4 --claims-data ../shared/data/claims --claims-weight 0.5 --seed 13 --threads 2

Measured for 0.2.2's recipe (CPU, 3 folds, seed 13), half the data (89-90 training articles per
fold) against all of it (178, runs/cvCcpu): SI F1 chosen out of fold, pooled 0.392 against 0.412,
nested 0.384 ± 0.017 against 0.407 ± 0.009; own-development decoding 0.373 ± 0.039 (9 development
articles chose badly on one fold) against 0.410 ± 0.001; TC 0.568 ± 0.018 against 0.603 ± 0.017;
FULL 0.144 against 0.179. About +0.02 SI F1 per doubling of the articles.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--fraction", type=float, default=0.5, help="share of each fold's training articles kept")
    ap.add_argument("--folds", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--claims-data", type=Path)
    ap.add_argument("--claims-weight", type=float, default=0.5)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    from spinscope.detect import Detector
    from spinscope.training.evaluation import evaluate
    from spinscope.training.config import TrainConfig
    from spinscope.training.data import load_data as _load, write_subset as _subset, cv_folds
    from spinscope.training.cv import oof_decoding
    from spinscope.training.techniques import run_train

    cfg = TrainConfig(epochs=args.epochs, seed=args.seed, threads=args.threads, layers=args.layers,
                      claims_weight=args.claims_weight if args.claims_data else 0.0)
    articles, labels = _load(args.data)
    parts = cv_folds(articles, cfg.seed, args.folds)  # the same folds as spinscope train cv
    models, per_fold = [], []
    for k in range(args.folds):
        fold_dir = args.out / f"fold{k}"
        train_ids = [a for a in sorted(articles) if a not in set(parts[k])]
        kept = sorted(random.Random(args.seed + 1000 + k).sample(train_ids, round(len(train_ids) * args.fraction)))
        res_file = fold_dir / "result.json"
        if not res_file.exists():
            _subset(args.data, fold_dir / "data", kept)
            summary = run_train(fold_dir / "data", fold_dir / "model", cfg, None, False, dev_fraction=0.1,
                                version=f"lc{args.fraction}-fold{k}", claims_data=args.claims_data)
            shutil.rmtree(fold_dir / "data", ignore_errors=True)
            det = Detector(fold_dir / "model")
            gold = [(a, t, s, e) for a in parts[k] for t, s, e in labels.get(a, [])]
            res = evaluate(det, {a: articles[a] for a in parts[k]}, gold)
            res.update(fold=k, test_ids=parts[k], n_train=len(summary["train_ids"]))
            res_file.write_text(json.dumps(res, indent=2))
        res = json.loads(res_file.read_text())
        per_fold.append(res)
        models.append((fold_dir / "model", parts[k]))
        print(f"fold {k}: {res['n_train']} training articles; own-dev decoding: SI F1 {res['si']['f1']:.3f}  "
              f"TC F1 {res['tc']['f1']:.3f}  FULL F1 {res['full']['f1']:.3f}", flush=True)
    for key in ("si", "tc", "full"):
        v = [r[key]["f1"] for r in per_fold]
        print(f"{key.upper():4s} F1 {statistics.mean(v):.3f} ± {statistics.stdev(v):.3f}  folds " + ", ".join(f"{x:.3f}" for x in v))
    d = oof_decoding(models, articles, labels)
    n = d["nested"]
    print(f"decoding chosen out of fold: {d['threshold']}/{d['gap']} (pooled SI F1 {d['oof_si']['f1']:.3f}); "
          f"nested SI F1 {n['mean']:.3f} ± {n['sd']:.3f}  folds " + ", ".join(f"{f['si']['f1']:.3f}" for f in n["folds"]))
    folds = [{k: r[k] for k in ("fold", "n_train", "si", "tc", "full", "threshold", "gap")} for r in per_fold]
    (args.out / "summary.json").write_text(json.dumps({"fraction": args.fraction, "folds": folds, "oof_decoding": d},
                                                      indent=2))


if __name__ == "__main__":
    main()
