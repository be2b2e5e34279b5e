"""Which SI decoding scores best on articles the model never saw? For each CV fold model, the
token probabilities of its development and test articles are computed once (cached), then every
decoding setting of a family is scored on the development articles; the best one is applied to
the fold's test articles. Prints the mean test SI F1 per family; asserts nothing.

    python bench/eval_si_decoding.py --cv runs/cv --ptc ../shared/data/ptc

Families:
  plain       tokens with P(outside) < t form runs; runs <= g tokens apart on one line join
              (what ``spinscope.detect.decode_spans`` does)
  hysteresis  as plain, but a joined span is kept only if some token has P(inside) >= h
  meanfilter  as plain, but a joined span is kept only if its mean P(inside) >= m
  hyst_seq    plain's (t, g) chosen first, then the peak h for them (fewer choices on dev)
  hyst_prejoin / hyst_nosplit / hyst_smooth / hyst_minw
              hysteresis with the peak checked before joining / no split at a confident B /
              P(inside) averaged over 3 tokens / spans of at least 2-3 words

On the 0.1.0 fold models (runs/cv): plain 0.381, hysteresis 0.399 (better on all three folds),
hyst_nosplit 0.399, hyst_minw 0.397, hyst_prejoin 0.390, hyst_smooth 0.387, meanfilter 0.376.
Hysteresis is what `spinscope.detect.decode_spans(peak=...)` does.
"""

from __future__ import annotations

import argparse
import itertools
import json
import pickle
import statistics
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def encode_fold(det, arts, ids):
    from spinscope.detect import newlines_before

    out = {}
    for a in ids:
        text = arts[a]
        blocks = det.encode(text)
        out[a] = [(b.start, b.probs.copy(), b.offsets.copy(), newlines_before(b.text, b.offsets)) for b in blocks]
    return out


def decode(text, enc, t, g, h=0.0, m=0.0, bsplit=True, pre=False, smooth=0, minw=0):
    """Character spans of one article under a decoding variant (see the module docstring)."""
    from spinscope.detect import decode_spans, join_runs, snap_span

    out = []
    for start, probs, offs, nl in enc:
        p = probs.copy()
        if smooth:  # P(inside) averaged over 2*smooth+1 tokens
            k = np.ones(2 * smooth + 1) / (2 * smooth + 1)
            p[:, 0] = 1.0 - np.convolve(np.pad(1.0 - p[:, 0], smooth, mode="edge"), k, mode="valid")
        if not bsplit:  # no confident B starts a new run
            p[:, 1] = 0.0
        if pre:  # keep confident runs first, then join
            rr = join_runs([(a, b) for a, b, _ in decode_spans(p, t, 0, None, nl >= 2, h)], g, nl >= 1)
            rr = [(a, b, float(1.0 - p[a:b, 0].mean())) for a, b in rr]
        else:
            rr = decode_spans(p, t, g, nl >= 1, nl >= 2, h)
        for a, b, mean in rr:
            if mean < m:
                continue
            s, e = snap_span(text, start + int(offs[a, 0]), start + int(offs[b - 1, 1]))
            if e > s and len(text[s:e].split()) >= minw:
                out.append((s, e))
    return out


def si(arts, encs, gold, ids, **kw):
    from spinscope.training import scoring

    pred = [(a, s, e) for a in ids for s, e in decode(arts[a], encs[a], **kw)]
    return scoring.score_si([g for g in gold if g[0] in set(ids)], pred)


FAMILIES = {
    "plain": dict(t=[0.5, 0.6, 0.7, 0.8, 0.85, 0.9], g=[0, 2, 5, 8, 12, 16, 24]),
    "hysteresis": dict(t=[0.6, 0.7, 0.8, 0.85, 0.9, 0.95], g=[0, 5, 8, 12, 16, 24], h=[0.3, 0.4, 0.5, 0.6, 0.7]),
    "hyst_prejoin": dict(t=[0.6, 0.7, 0.8, 0.85, 0.9, 0.95], g=[0, 5, 8, 12, 16, 24, 32], h=[0.3, 0.4, 0.5, 0.6, 0.7], pre=[True]),
    "hyst_nosplit": dict(t=[0.6, 0.7, 0.8, 0.85, 0.9, 0.95], g=[0, 5, 8, 12, 16, 24], h=[0.3, 0.4, 0.5, 0.6, 0.7], bsplit=[False]),
    "hyst_smooth": dict(t=[0.6, 0.7, 0.8, 0.85, 0.9], g=[0, 5, 8, 12, 16, 24], h=[0.3, 0.4, 0.5, 0.6, 0.7], smooth=[1]),
    "hyst_minw": dict(t=[0.6, 0.7, 0.8, 0.85, 0.9], g=[0, 5, 8, 12, 16, 24], h=[0.3, 0.4, 0.5, 0.6, 0.7], minw=[2, 3]),
    "plain_gaps8": dict(t=[0.5, 0.6, 0.7, 0.8, 0.85, 0.9], g=[0, 2, 5, 8]),
    "hyst_seq": dict(h=[0.0, 0.5, 0.6, 0.7, 0.8]),
    "meanfilter": dict(t=[0.6, 0.7, 0.8, 0.85, 0.9, 0.95], g=[0, 5, 8, 12, 16, 24], m=[0.2, 0.3, 0.4, 0.5]),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cv", type=Path, default=Path("runs/cv"))
    ap.add_argument("--ptc", type=Path, default=Path("../shared/data/ptc"))
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--cache", type=Path, default=None, help="where to keep token probabilities (default: CV/si_cache)")
    ap.add_argument("--families", default=",".join(FAMILIES))
    args = ap.parse_args()

    from spinscope.training import ptc
    from spinscope.detect import Detector
    from spinscope.training.data import dev_split

    arts = ptc.load_articles(args.ptc / "articles")
    labels = ptc.load_labels_by_article(args.ptc / "labels-tc")
    gold = [(a, s, e) for a in arts for _, s, e in labels.get(a, [])]
    cache = args.cache or args.cv / "si_cache"
    cache.mkdir(parents=True, exist_ok=True)
    fams = args.families.split(",")
    results = {f: [] for f in fams}
    for res_file in sorted(args.cv.glob("fold*/result.json")):
        r = json.loads(res_file.read_text())
        test = r["test_ids"]
        train = [a for a in sorted(arts) if a not in set(test)]
        dev = dev_split(train, args.seed, 0.1)
        cf = cache / f"{res_file.parent.name}.pkl"
        if cf.exists():
            encs = pickle.loads(cf.read_bytes())
        else:
            det = Detector(res_file.parent / "model", verify=False)
            encs = encode_fold(det, arts, dev + test)
            cf.write_bytes(pickle.dumps(encs))
        def choose(grid, fixed=None):
            keys = list(grid)
            best = None
            for vals in itertools.product(*(grid[k] for k in keys)):
                kw = {**(fixed or {}), **dict(zip(keys, vals))}
                f = si(arts, encs, gold, dev, **kw).f1
                if best is None or f > best[0]:
                    best = (f, kw)
            return best

        for fam in fams:
            if fam == "hyst_seq":  # plain's (t, g) first, then the peak for them
                best = choose(FAMILIES["hyst_seq"], choose(FAMILIES["plain"])[1])
            else:
                best = choose(FAMILIES[fam])
            te = si(arts, encs, gold, test, **best[1])
            results[fam].append(te.f1)
            print(f"{res_file.parent.name} {fam:11s} dev {best[0]:.4f} {best[1]} -> test SI F1 {te.f1:.4f} "
                  f"(P {te.precision:.3f} R {te.recall:.3f})", flush=True)
    for fam in fams:
        v = results[fam]
        if v:
            print(f"{fam:11s} mean test SI F1 {statistics.mean(v):.4f} ± {statistics.stdev(v) if len(v) > 1 else 0:.4f}  {['%.4f' % x for x in v]}")


if __name__ == "__main__":
    main()
