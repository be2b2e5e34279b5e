"""Memory of a long-running entities stage: the spaCy vocabulary grows with every new word form,
and spinscope reloads the pipeline after ``spinscope.entities.VOCAB_GROWTH`` new strings.

    python bench/bench_vocab.py [--texts 600] [--words 900]          # with the reload (as shipped)
    python bench/bench_vocab.py --no-reload                          # without, for comparison
    python bench/bench_vocab.py --articles ../shared/data/ptc/articles --texts 100   # new strings per real article

Parses texts of made-up words (every word new) with ``spinscope.entities.parse`` and prints the
process's resident memory above its start every quarter of the run; with ``--articles``, parses
real articles and prints how many new strings each brings. Prints numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import random
import string
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 1e6


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--texts", type=int, default=600)
    ap.add_argument("--words", type=int, default=900)
    ap.add_argument("--no-reload", action="store_true", help="never reload the pipeline")
    ap.add_argument("--articles", type=Path, help="a folder of .txt articles: count their new strings instead")
    args = ap.parse_args()

    import spinscope.entities as E
    from spinscope.entities import nlp as EN

    if args.no_reload:
        EN.VOCAB_GROWTH = 10**12
    E.parse("Warm up. Barack Obama visited Paris.")
    if args.articles:
        files = sorted(args.articles.glob("*.txt"))[: args.texts]
        before = len(E.load_nlp().vocab.strings)
        for f in files:
            E.parse(f.read_text(encoding="utf-8"))
        print(f"{len(files)} articles: {(len(E.load_nlp().vocab.strings) - before) / max(len(files), 1):.0f} new strings each")
        return
    start = rss_mb()
    rng = random.Random(0)
    marks = []
    for i in range(1, args.texts + 1):
        E.parse(" ".join("".join(rng.choices(string.ascii_lowercase, k=rng.randint(4, 10))) for _ in range(args.words)) + ".")
        if i % max(args.texts // 4, 1) == 0:
            marks.append(f"{i} texts: +{rss_mb() - start:.0f} MB")
    print(("without reloading" if args.no_reload else f"reloading every {EN.VOCAB_GROWTH:,} new strings") + ": "
          + "; ".join(marks))


if __name__ == "__main__":
    main()
