"""Speed of check-worthy claim scoring per article, next to the technique detector alone.

    python bench/bench_claims.py --articles ../shared/data/ptc/articles [--n 50] [--model DIR ...] [--threads 2] [--repeats 3] [--cpu-time]

For each claims model folder (default: the shipped one; its own technique model when the folder
holds one, as ``spinscope train claims`` writes it) it times, per article, on the same
articles: the technique detector alone (``Detector.detect``), spans plus claims in one pass
(``claims.detect_with_claims``; a shared-mode head pools the detector's hidden states), and the
claims alone with each sentence encoded on its own (``claims.find_claims``). Prints numbers;
asserts nothing. Ratios are taken within one run because the machine is noisy.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def interleaved(fns, texts, repeats: int, clock=time.perf_counter) -> list[list[float]]:
    """Mean ms per article of each function, the functions taking turns on each article (so a
    slow spell of a noisy machine falls on all of them alike)."""
    out = [[0.0] * len(texts) for _ in fns]
    for _ in range(repeats):
        for i, t in enumerate(texts):
            for k, fn in enumerate(fns):
                t0 = clock()
                fn(t)
                out[k][i] += (clock() - t0) * 1000 / repeats
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--articles", type=Path, required=True)
    ap.add_argument("--n", type=int, default=50)
    ap.add_argument("--model", type=Path, action="append", help="claims model folder (repeatable; default: shipped)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--cpu-time", action="store_true",
                    help="time the process's CPU (all its threads) rather than the wall clock: steadier beside other jobs")
    args = ap.parse_args()

    from spinscope.claims import ClaimScorer, detect_with_claims, find_claims
    from spinscope.detect import Detector
    from spinscope.document import split_sentences

    files = sorted(args.articles.glob("*.txt"))[: args.n]
    texts = [f.read_text(encoding="utf-8") for f in files]
    sents = {t: split_sentences(t) for t in texts}
    n_sent = statistics.mean(len(s) for s in sents.values())
    n_chars = statistics.mean(len(t) for t in texts)
    det = Detector(threads=args.threads)
    det.detect(texts[0])  # warm-up
    print(f"{len(texts)} articles, mean {n_chars:.0f} characters, {n_sent:.1f} sentences; {args.threads} threads")
    for model in args.model or [None]:
        if model is not None and (model / "config.json").exists():  # a head with its own technique model beside it
            det = Detector(model, threads=args.threads)
            det.detect(texts[0])
        scorer = ClaimScorer(model, detector=det, threads=args.threads)
        if scorer.mode == "shared" and not scorer.shares_encoder(det):
            print(f"{model}: trained on another encoder than the shipped detector")
        name = str(model or "shipped")
        find_claims(texts[0], sents[texts[0]], scorer)
        base, both, alone = interleaved([lambda t: det.detect(t),
                                         lambda t: detect_with_claims(det, scorer, t, sents[t]),
                                         lambda t: find_claims(t, sents[t], scorer)], texts, args.repeats,
                                        time.process_time if args.cpu_time else time.perf_counter)
        mb, m2, ma = statistics.mean(base), statistics.mean(both), statistics.mean(alone)
        print(f"[{name}: mode {scorer.mode}]")
        print(f"  techniques alone        {mb:8.1f} ms/article")
        print(f"  techniques + claims     {m2:8.1f} ms/article  (claims add {m2 - mb:+.1f} ms, {100 * (m2 - mb) / mb:+.0f}%; "
              f"speed {mb / m2:.3f}x of techniques alone)")
        print(f"  claims alone (sentences){ma:8.1f} ms/article  ({ma / n_sent:.2f} ms/sentence)")


if __name__ == "__main__":
    main()
