"""Does a wider decoding grid help? Re-choose (threshold, gap) on each CV fold's dev articles with
``spinscope.evaluation.GRID`` and score the fold's test articles.

    python bench/eval_decoding_grid.py --cv runs/cv --ptc ../shared/data/ptc

Needs the fold models of ``spinscope train cv`` (``CV/fold*/model`` and ``result.json``). Prints
numbers; asserts nothing. The dev split is the one training used (``train.dev_split``, seed 13).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cv", type=Path, default=Path("runs/cv"))
    ap.add_argument("--ptc", type=Path, default=Path("../shared/data/ptc"))
    ap.add_argument("--seed", type=int, default=13)
    args = ap.parse_args()

    from spinscope.training import ptc
    from spinscope.detect import Detector
    from spinscope.training.evaluation import GRID, evaluate
    from spinscope.training.data import dev_split

    arts = ptc.load_articles(args.ptc / "articles")
    labels = ptc.load_labels_by_article(args.ptc / "labels-tc")

    def gold(ids):
        return [(a, t, s, e) for a in ids for t, s, e in labels.get(a, [])]

    before, after = [], []
    for res_file in sorted(args.cv.glob("fold*/result.json")):
        r = json.loads(res_file.read_text())
        test = r["test_ids"]
        train = [a for a in sorted(arts) if a not in set(test)]
        dev = dev_split(train, args.seed, 0.1)
        det = Detector(res_file.parent / "model")
        d = evaluate(det, {a: arts[a] for a in dev}, gold(dev), GRID)
        det.threshold, det.gap, det.peak, det.extend = d["threshold"], d["gap"], d["peak"], d["extend"]
        res = evaluate(det, {a: arts[a] for a in test}, gold(test))
        before.append(r["si"]["f1"])
        after.append(res["si"]["f1"])
        print(f"{res_file.parent.name}: dev picks threshold {d['threshold']} gap {d['gap']} peak {d['peak']}; test SI F1 "
              f"{res['si']['f1']:.4f} (recorded with the grid of that run: {r['si']['f1']:.4f})", flush=True)
    if after:
        print(f"mean test SI F1: {statistics.mean(after):.4f} (recorded: {statistics.mean(before):.4f})")


if __name__ == "__main__":
    main()
