"""A fold's exported span classifier (int8 ONNX) on its fold's gold spans: TC micro-F1 and per technique.

    PYTHONPATH=$PWD python bench/eval_classifier_fold.py --classifier runs/clf-fold1/model \\
        --ptc ../shared/data/ptc --fold 1 [--folds 5] [--seed 13] [--mask-names '{"name": "x", "side": "x"}']

Scores what a change of masking does to technique classification out of fold, without a tagger:
the classifier reads each gold span with its sentence, masked as this checkout masks. Prints
numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort

from spinscope.detect.detector import MODEL_DIR
from spinscope.detect.masking import placeholder_ids
from spinscope.detect.runtime import session_options
from spinscope.document import InputError
from spinscope.training.data import cv_folds, load_data, load_tokenizer
from spinscope.training.span_classifier import gold_examples, score_rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--classifier", type=Path, required=True, help="exported classifier folder (config.json inside)")
    ap.add_argument("--ptc", type=Path, required=True)
    ap.add_argument("--fold", type=int, required=True)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--mask-names", default=None, help="a word or a JSON mapping (default: the classifier's own)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)

    if not (args.classifier / "config.json").is_file():
        ap.error(f"{args.classifier}: no config.json here; give an exported classifier folder (runs/<name>/model)")
    config = json.loads((args.classifier / "config.json").read_text(encoding="utf-8"))
    try:
        articles, labels = load_data(args.ptc, 0)
    except InputError as e:
        ap.error(str(e))
    if not 0 <= args.fold < args.folds <= len(articles):
        ap.error(f"--fold takes 0 to {min(args.folds, len(articles)) - 1} with --folds {args.folds}, not {args.fold}")
    test_ids = cv_folds(sorted(articles), args.seed, args.folds)[args.fold]
    tok = load_tokenizer(args.classifier if (args.classifier / "tokenizer.json").exists() else MODEL_DIR)
    mask = args.mask_names if args.mask_names is not None else config.get("train", {}).get("mask_names")
    if isinstance(mask, str) and mask.startswith("{"):
        mask = json.loads(mask)
    mask_ids = placeholder_ids(mask, tok) if mask else None
    items = gold_examples(tok, articles, labels, test_ids, config.get("input", "marked") == "marked", mask_ids)
    sess = ort.InferenceSession(str(args.classifier / config["onnx"]), session_options(args.threads),
                                providers=["CPUExecutionProvider"])
    probs = np.stack([sess.run(None, {"input_ids": x.ids[None], "token_type_ids": x.types[None],
                                      "attention_mask": np.ones_like(x.ids)[None],
                                      "extras": x.extras[None].astype(np.float32)})[0][0] for x in items])
    gold = [(a, t, s, e) for a in test_ids for t, s, e in labels.get(a, [])]
    res = score_rows(items, probs, gold)
    print(f"fold {args.fold}: {len(test_ids)} articles, {len(gold)} gold rows, mask {json.dumps(mask)}")
    print(f"TC micro-F1 {res['tc']['f1']:.3f}")
    for t, r in sorted(res["per_technique"].items()):
        print(f"  {t:40s} F1 {r['f1']:.3f}  (gold {r['n_gold']}, predicted {r['n_pred']})")
    if args.json:
        args.json.write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
