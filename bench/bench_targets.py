"""How often spinscope finds the right target for a technique span.

Reads the hand-checked spans of bench/targets_gold.tsv (gold PTC spans, techniques as in PTC),
runs spinscope.entities.extract_entities on each article with those spans, and compares the
predicted target with the gold one:

- strict: '-' and no target; or the gold string equals (case-insensitive, "the" and a possessive
  stripped) the predicted entity's canonical name or the text of one of its mentions;
- lenient: strict, or the gold string and the canonical name share a word ("Trump" / "Donald
  Trump"), i.e. a mention overlap in name.

    python bench/bench_targets.py --ptc ../shared/data/ptc [--gold bench/targets_gold.tsv] [-v]
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from spinscope.document import Span, read_text_file  # noqa: E402
from spinscope.entities import extract_entities  # noqa: E402


def norm(s: str) -> str:
    s = s.casefold().replace("’", "'")
    s = re.sub(r"^the\s+", "", s)
    s = re.sub(r"'s?$", "", s)
    return re.sub(r"\s+", " ", s).strip()


def read_gold(path: Path):
    """Rows (article_id, start, end, technique, target, split); "# split: NAME" starts a part."""
    rows = []
    split = "all"
    for line in path.read_text(encoding="utf-8").splitlines():
        m = re.match(r"#\s*split:\s*(\S+)", line)
        if m:
            split = m.group(1)
        if not line.strip() or line.startswith("#"):
            continue
        aid, s, e, tech, target = line.split("\t")
        rows.append((aid, int(s), int(e), tech, target.strip(), split))
    return rows


def judge(g: str, en) -> tuple[bool, bool]:
    """(strict, lenient) correctness of predicted entity ``en`` (or None) for gold string ``g``."""
    if g == "-":
        return en is None, en is None
    if en is None:
        return False, False
    forms = {norm(en.name)} | {norm(m.text) for m in en.mentions}
    ok_s = norm(g) in forms
    return ok_s, ok_s or bool(set(norm(g).split()) & set(norm(en.name).split()))


def report(name: str, results) -> None:
    """results: [(gold, predicted entity or None, strict ok, lenient ok)]"""
    n = len(results)
    if not n:
        return
    strict = sum(r[2] for r in results)
    lenient = sum(r[3] for r in results)
    with_t = sum(r[0] != "-" for r in results)
    tp = sum(r[0] != "-" and r[2] for r in results)
    pred_t = sum(r[1] is not None for r in results)
    none_ok = sum(r[0] == "-" and r[1] is None for r in results)
    print(f"[{name}] spans: {n} ({with_t} with a gold target, {n - with_t} without)")
    print(f"  target right, strict (canonical name or a mention text equal): {strict}/{n} = {strict / n:.3f}")
    print(f"  target right, lenient (or a shared name word):                 {lenient}/{n} = {lenient / n:.3f}")
    print(f"  gold targets found (strict recall): {tp}/{with_t} = {tp / max(with_t, 1):.3f}; "
          f"predicted targets right (strict precision): {tp}/{pred_t} = {tp / max(pred_t, 1):.3f}; "
          f"gold '-' left without target: {none_ok}/{n - with_t}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ptc", required=True, type=Path, help="PTC folder with articles/")
    ap.add_argument("--gold", type=Path, default=ROOT / "bench" / "targets_gold.tsv")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every span")
    a = ap.parse_args(argv)

    gold = read_gold(a.gold)
    by_article = defaultdict(list)
    for r in gold:
        by_article[r[0]].append(r)

    results = defaultdict(list)
    baselines = defaultdict(list)
    t0 = time.perf_counter()
    for aid, rows in by_article.items():
        text = read_text_file(a.ptc / "articles" / f"article{aid}.txt")
        spans = [Span(s, e, tech, 1.0, text[s:e]) for _, s, e, tech, _, _ in rows]
        entities, out = extract_entities(text, spans)
        by_id = {en.id: en for en in entities}
        for (_, s, e, tech, g, split), sp in zip(rows, out):
            en = by_id.get(sp.target) if sp.target else None
            ok_s, ok_l = judge(g, en)
            results[split].append((g, en, ok_s, ok_l))
            # baselines: never a target; the first entity (not a date) mentioned inside the span
            baselines[("never a target", split)].append(g == "-")
            first = min((x for x in entities if x.label != "DATE" and any(m.start < e and m.end > s for m in x.mentions)),
                        key=lambda x: min(m.start for m in x.mentions if m.start < e and m.end > s), default=None)
            baselines[("first name inside the span", split)].append(judge(g, first)[0])
            if a.verbose:
                mark = "ok " if ok_s else ("~  " if ok_l else "XX ")
                print(f"{mark}{split}\t{aid}\t{s}\t{e}\t{tech[:12]:12}\tgold={g!r}\tpred={en.name if en else '-'!r}")
    dt = time.perf_counter() - t0
    for split, res in results.items():
        report(split, res)
    if len(results) > 1:
        report("all", [r for res in results.values() for r in res])
    for (name, split), oks in baselines.items():
        print(f"baseline [{split}] {name} (strict): {sum(oks)}/{len(oks)} = {sum(oks) / len(oks):.3f}")
    print(f"{len(by_article)} articles, {dt:.1f} s (spaCy load included)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
