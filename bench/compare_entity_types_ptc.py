"""What the entity type rules change on PTC articles: entity types, and technique targets.

Runs spinscope.entities.extract_entities on the first N articles of a PTC folder (sorted by
name) with the gold technique spans of labels-tc/, once with spaCy's types as they are
(TYPE_RULES off) and once with the type rules, and counts entities whose type changed,
entities whose type_is_certain() is False, entities dropped, and spans whose target changed
(compared by the target's mention offsets, since ids are renumbered).

    python bench/compare_entity_types_ptc.py --ptc /work/shared/data/ptc [-n 40] [-v]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from spinscope import entities as E  # noqa: E402
from spinscope.entities import types as ET
from spinscope.document import Span, read_text_file  # noqa: E402


def spans_of(ptc: Path, aid: str, text: str) -> list[Span]:
    f = ptc / "labels-tc" / f"article{aid}.task2-TC.labels"
    out = []
    if f.exists():
        for line in f.read_text(encoding="utf-8").splitlines():
            parts = line.split("\t")
            if len(parts) == 4:
                s, e = int(parts[2]), int(parts[3])
                out.append(Span(s, e, parts[1], 1.0, text[s:e]))
    return sorted(out, key=lambda s: (s.start, s.end, s.technique))


def run(text: str, spans, rules: bool):
    ET.TYPE_RULES = rules
    try:
        return E.extract_entities(text, spans)
    finally:
        ET.TYPE_RULES = True


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ptc", required=True, type=Path, help="PTC folder with articles/ and labels-tc/")
    ap.add_argument("-n", type=int, default=40, help="number of articles (default 40)")
    ap.add_argument("-v", "--verbose", action="store_true", help="print each change")
    a = ap.parse_args(argv)
    arts = sorted((a.ptc / "articles").glob("article*.txt"))[: a.n]
    if not arts:
        print(f"compare_entity_types_ptc: no articles in {a.ptc / 'articles'}", file=sys.stderr)
        return 2
    n_ent = relabelled = uncertain = dropped = n_spans = changed = 0
    moves: Counter = Counter()
    for p in arts:
        aid = p.stem.removeprefix("article")
        text = read_text_file(p)
        spans = spans_of(a.ptc, aid, text)
        base_e, base_s = run(text, spans, False)
        new_e, new_s = run(text, spans, True)
        by_off = {(m.start, m.end): e for e in new_e for m in e.mentions}
        for e in base_e:
            n_ent += 1
            after = next((by_off[(m.start, m.end)] for m in e.mentions if (m.start, m.end) in by_off), None)
            if after is None:
                dropped += 1
                if a.verbose:
                    print(f"  {aid} dropped {e.name!r} ({e.label})")
            elif after.label != e.label:
                relabelled += 1
                moves[(e.label, after.label)] += 1
                if a.verbose:
                    print(f"  {aid} {e.name!r}: {e.label} -> {after.label}")
        uncertain += sum(not E.type_is_certain(e) for e in new_e)
        bmap = {e.id: tuple((m.start, m.end) for m in e.mentions) for e in base_e}
        nmap = {e.id: tuple((m.start, m.end) for m in e.mentions) for e in new_e}
        bnames = {e.id: e.name for e in base_e}
        nnames = {e.id: e.name for e in new_e}
        for b, n in zip(base_s, new_s):
            n_spans += 1
            if bmap.get(b.target) != nmap.get(n.target):
                changed += 1
                if a.verbose:
                    print(f"  {aid} span {b.start}-{b.end} {b.technique}: target {bnames.get(b.target)!r} -> {nnames.get(n.target)!r}")
    print(f"{len(arts)} articles, {n_ent} entities (baseline): type changed {relabelled}, dropped {dropped}; "
          f"with the rules {uncertain} entities have type_is_certain() False")
    print("type changes: " + ", ".join(f"{x}->{y} {c}" for (x, y), c in moves.most_common()))
    print(f"{n_spans} gold spans: target changed for {changed}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
