"""Small ensembles of taggers: does averaging several fold models' token probabilities find spans
better than each alone? SI on one cross-validation fold's test articles, which none of the models saw.

    python bench/eval_si_ensemble.py --ptc ../shared/data/ptc --fold 1 \
        --model runs/cv5-maskx/fold1/model --model runs/cv5-st/fold1/model

Each ``--model`` is a tagger of that fold (``spinscope train cv --folds 5 --seed 13 --only K``);
all must share a tokenizer and block size, so that their tokens line up one to one. Decoding uses
the shipped model's settings (``--settings-from``); the names are masked as the shipped model
masks them. Prints SI F1/P/R for each model and for the mean of all; asserts nothing.
"""

from __future__ import annotations

import argparse
import copy
import json
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    from spinscope.detect import Detector
    from spinscope.training.cv import cv_folds
    from spinscope.training.data import load_data
    from spinscope.training.scoring import score_si

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ptc", type=Path, required=True)
    ap.add_argument("--fold", type=int, required=True)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--model", type=Path, action="append", required=True, help="a tagger of the fold (repeat)")
    ap.add_argument("--settings-from", type=Path, default=Path(__file__).resolve().parent.parent / "spinscope" / "models")
    args = ap.parse_args()

    articles, labels = load_data(args.ptc)
    test = cv_folds(sorted(articles), args.seed, args.folds)[args.fold]
    ref = json.loads((args.settings_from / "config.json").read_text())
    setting = (ref["threshold"], ref.get("gap", 0), ref.get("peak", 0.0), ref.get("extend", 0.0))
    dets = []
    with tempfile.TemporaryDirectory() as tmp:
        for k, m in enumerate(args.model):
            model = Path(tmp) / str(k)
            shutil.copytree(m, model)
            cfg = json.loads((model / "config.json").read_text())
            cfg["mask_names"] = ref.get("mask_names") or cfg.get("mask_names")
            (model / "config.json").write_text(json.dumps(cfg))
            dets.append(Detector(model))
        encoded = {a: [d.encode(articles[a]) for d in dets] for a in test}
    gold = [(a, s, e) for a in test for _, s, e in labels.get(a, [])]

    def averaged(per_model):
        blocks = [copy.copy(b) for b in per_model[0]]
        for b, *others in zip(blocks, *per_model[1:], strict=True):
            if not all(np.array_equal(b.offsets, o.offsets) for o in others):
                sys.exit("the models' tokens do not line up: give taggers of one tokenizer and block size")
            b.probs = np.mean([b.probs, *(o.probs for o in others)], axis=0)
            b.newlines = None
        return blocks

    def si(pick):
        pred = [(a, s, e) for a in test for _, s, e, _ in dets[0].span_bounds(articles[a], pick(encoded[a]), *setting)]
        return score_si(gold, pred)

    print(f"fold {args.fold}: {len(test)} articles, {len(gold)} gold spans; decoding {setting}")
    rows = [(str(m), si(lambda e, k=k: e[k])) for k, m in enumerate(args.model)]
    rows.append((f"mean of {len(dets)}", si(averaged)))
    for name, r in rows:
        print(f"SI F1 {r.f1:.4f} (P {r.precision:.4f} R {r.recall:.4f})  {name}")


if __name__ == "__main__":
    main()
