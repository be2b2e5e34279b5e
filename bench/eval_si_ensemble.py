"""Small ensembles of taggers: does averaging several fold models' token probabilities find spans
better than each alone? SI on one cross-validation fold's test articles, which none of the models saw.

    python bench/eval_si_ensemble.py --ptc ../shared/data/ptc --fold 1 \
        --model runs/cv5-maskx/fold1/model --model runs/cv5-st/fold1/model

Each ``--model`` is a tagger of that fold (``spinscope train cv --folds 5 --seed 13 --only K``);
all must share a tokenizer and block size, so that their tokens line up one to one. Decoding uses
the shipped model's settings (``--settings-from``); the names are masked as the shipped model
masks them. Prints SI F1/P/R for each model and for the mean of all; asserts nothing.

``--soup`` also scores one tagger whose weights are the mean of the models' (``torch-fp32.pt``,
saved by ``spinscope train``; needs the training extras), exported to int8 as ``train`` does: a
"model soup" would cost one tagger pass where the mean of probabilities costs one per model.
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


def soup(models: list[Path], out: Path) -> Path:
    """A tagger with the mean of the models' fp32 weights, exported as ``spinscope train`` exports."""
    import torch

    from spinscope.training.config import TrainConfig
    from spinscope.training.export import export
    from spinscope.training.model import build_model, default_encoder

    states = [torch.load(m / "torch-fp32.pt", map_location="cpu") for m in models]
    mean = {k: torch.stack([s[k].float() for s in states]).mean(0) if v.is_floating_point() else v
            for k, v in states[0].items()}
    ref = json.loads((models[0] / "config.json").read_text())
    net = build_model(default_encoder(), tiny=False, seed=13, layers=int(ref["train"].get("layers", 0)))
    net.load_state_dict(mean)
    net.eval()
    cfg = TrainConfig(max_len=ref["max_len"], infer_stride=ref["infer_stride"], threshold=ref["threshold"],
                      gap=ref["gap"], peak=ref["peak"], extend=ref["extend"], mask_names=ref.get("mask_names", ""))
    return export(net, models[0] / "tokenizer.json", out, cfg, ref["train"])


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
    ap.add_argument("--soup", action="store_true", help="also score the mean of the models' weights")
    ap.add_argument("--settings-from", type=Path, default=Path(__file__).resolve().parent.parent / "spinscope" / "models")
    args = ap.parse_args()

    articles, labels = load_data(args.ptc)
    test = cv_folds(sorted(articles), args.seed, args.folds)[args.fold]
    ref = json.loads((args.settings_from / "config.json").read_text())
    setting = (ref["threshold"], ref.get("gap", 0), ref.get("peak", 0.0), ref.get("extend", 0.0))
    dets = []
    with tempfile.TemporaryDirectory() as tmp:
        models = list(args.model)
        if args.soup:
            if len(models) < 2:
                sys.exit("--soup needs two models or more")
            models.append(soup(models, Path(tmp) / "soup"))
        for k, m in enumerate(models):
            model = Path(tmp) / f"m{k}"
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
    if args.soup:
        rows.append((f"mean of the {len(args.model)} models' weights (soup)", si(lambda e: e[-1])))
    n = len(args.model)
    rows.append((f"mean of {n}", si(lambda e: averaged(e[:n]))))
    for name, r in rows:
        print(f"SI F1 {r.f1:.4f} (P {r.precision:.4f} R {r.recall:.4f})  {name}")


if __name__ == "__main__":
    main()
