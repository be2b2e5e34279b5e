"""What entities and targets cost: ``analyze`` articles/s with and without ``entities.enrich``.

    python bench/bench_entities.py --articles ../shared/data/ptc/articles [--n 20] [--repeats 3]

Prints numbers; asserts nothing. Both runs use the same loaded detector and the same articles
(the first N, sorted by name), after a warm-up, interleaved; best and median of the repeats.
The spaCy load is timed on its own.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def spacy_load_time() -> float:
    code = ("import time; t=time.perf_counter(); from spinscope.entities import load_nlp; load_nlp(); "
            "print(time.perf_counter()-t)")
    out = subprocess.run([sys.executable, "-W", "ignore", "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=Path,
                    default=Path(os.environ.get("SPINSCOPE_PTC", ROOT.parent / "shared/data/ptc")) / "articles")
    ap.add_argument("--n", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    from spinscope import analyze
    from spinscope.detect import Detector
    from spinscope.document import read_text_file
    from spinscope.entities import enrich, load_nlp

    files = sorted(args.articles.glob("*.txt"))[: args.n]
    if not files:
        sys.exit(f"no articles in {args.articles}")
    texts = [read_text_file(f) for f in files]
    words = sum(len(t.split()) for t in texts)
    print(f"machine: {os.cpu_count()} CPUs; {len(texts)} articles, {words} words ({words / len(texts):.0f} per article)")

    loads = [spacy_load_time() for _ in range(args.repeats)]
    print(f"load  spaCy pipeline (import + load): median {statistics.median(loads):.2f} s")

    det = Detector()
    nlp = load_nlp()

    def run(with_entities: bool) -> tuple[float, int, int]:
        t = time.perf_counter()
        n_ent = n_tgt = 0
        for text in texts:
            a = analyze(text, detector=det)
            if with_entities:
                a = enrich(a, nlp=nlp)
                n_ent += len(a.entities)
                n_tgt += sum(s.target is not None for s in a.spans)
        return time.perf_counter() - t, n_ent, n_tgt

    def parse_only() -> float:
        t = time.perf_counter()
        for text in texts:
            nlp(text)
        return time.perf_counter() - t

    run(False), run(True)  # warm up
    plain, rich, parse = [], [], []
    for _ in range(args.repeats):  # interleaved, so that a busy spell hits all three alike
        plain.append(run(False)[0])
        r = run(True)
        rich.append(r[0])
        parse.append(parse_only())
    _, n_ent, n_tgt = r
    p, q, s = min(plain), min(rich), min(parse)
    print(f"API   analyze only:     best {p:.2f} s = {len(texts) / p:.1f} articles/s "
          f"(median {statistics.median(plain):.2f} s)")
    print(f"API   analyze + enrich: best {q:.2f} s = {len(texts) / q:.1f} articles/s "
          f"(median {statistics.median(rich):.2f} s); {q / p:.2f}x the time; {n_ent} entities, {n_tgt} targeted spans")
    print(f"      spaCy parse alone: best {s:.2f} s = {words / s:.0f} words/s")

if __name__ == "__main__":
    main()
