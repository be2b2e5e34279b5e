"""Speed of check-worthy claim scoring per article, next to the technique detector alone.

    python bench/bench_claims.py --articles ../shared/data/ptc/articles [--n 50] [--model DIR ...] [--threads 2]

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


def per_article(fn, texts) -> list[float]:
    out = []
    for t in texts:
        t0 = time.perf_counter()
        fn(t)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--articles", type=Path, required=True)
    ap.add_argument("--n", type=int, default=50)
    ap.add_argument("--model", type=Path, action="append", help="claims model folder (repeatable; default: shipped)")
    ap.add_argument("--threads", type=int, default=2)
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
        base = per_article(lambda t: det.detect(t), texts)
        both = per_article(lambda t: detect_with_claims(det, scorer, t, sents[t]), texts)
        alone = per_article(lambda t: find_claims(t, sents[t], scorer), texts)
        mb, m2, ma = statistics.mean(base), statistics.mean(both), statistics.mean(alone)
        print(f"[{name}: mode {scorer.mode}]")
        print(f"  techniques alone        {mb:8.1f} ms/article")
        print(f"  techniques + claims     {m2:8.1f} ms/article  (claims add {m2 - mb:+.1f} ms, {100 * (m2 - mb) / mb:+.0f}%)")
        print(f"  claims alone (sentences){ma:8.1f} ms/article  ({ma / n_sent:.2f} ms/sentence)")


if __name__ == "__main__":
    main()
