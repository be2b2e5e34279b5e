"""Even-handedness of the shipped technique model: does who is named change what it finds?

    PYTHONPATH=$PWD python bench/eval_even_handedness.py --ptc ../shared/data/ptc --json even.json

Sentences: every template of ``bench/even_handedness_templates.tsv`` with every pair of opposing
actors of ``bench/even_handedness_pairs.tsv`` (a two-slot template is read once as A..B and once
as B..A). Each side is analysed with ``spinscope.analyze(text, claims=False, entities=False)`` and
the two compared: (a) the set of techniques found (same set = agree), (b) the move of the top span
score, (c) the spans, position-aware, after mapping offsets across the names' substitution.
Articles (``--ptc``, optional): PTC articles where a pair's names occur get them swapped (both
present) or one replaced by the other everywhere; the technique counts are compared, and the spans
that touch no swapped name. Target (issue 23): the same techniques for >= 95% of pairs, and the top
score moving <= 0.02 on average. Asserts nothing; well under a minute on 2 CPUs.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import statistics
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
SLOT = re.compile(r"\{([AB])\}")
TARGET_SAME, TARGET_MOVE = 0.95, 0.02


@dataclass(frozen=True)
class Rendering:
    """A text built by substituting names, with its pieces: ``(start, end, key)`` in order, where
    ``key`` is None for text common to every rendering and the slot's name for a substituted one.
    Two renderings of the same template (or article) have pieces that correspond one to one."""

    text: str
    pieces: tuple[tuple[int, int, str | None], ...]


def render(template: str, values: dict[str, str]) -> Rendering:
    """``template`` with each ``{X}`` replaced by ``values[X]``; a name that opens the text gets a
    capital first letter (so lower-case actors read as a sentence)."""
    pieces, out, pos, at = [], [], 0, 0
    for m in SLOT.finditer(template):
        fixed = template[pos:m.start()]
        if fixed:
            pieces.append((at, at + len(fixed), None))
            out.append(fixed)
            at += len(fixed)
        value = values[m.group(1)]
        if not value:
            raise ValueError(f"empty value for slot {m.group(1)}")
        if at == 0:
            value = value[0].upper() + value[1:]
        pieces.append((at, at + len(value), m.group(1)))
        out.append(value)
        at += len(value)
        pos = m.end()
    if template[pos:]:
        pieces.append((at, at + len(template) - pos, None))
        out.append(template[pos:])
    return Rendering("".join(out), tuple(pieces))


def swap_names(text: str, mapping: dict[str, str]) -> tuple[Rendering, Rendering]:
    """The original and the text with every whole-word occurrence of a key of ``mapping`` replaced
    by its value (longest forms first, all at once, so A<->B swaps work)."""
    forms = sorted(mapping, key=len, reverse=True)
    rx = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, forms)) + r")(?!\w)")
    orig, new, pos, at = [], [], 0, 0
    for m in rx.finditer(text):
        if m.start() > pos:
            n = m.start() - pos
            orig.append((pos, m.start(), None))
            new.append((at, at + n, None))
            at += n
        value = mapping[m.group()]
        orig.append((m.start(), m.end(), m.group()))
        new.append((at, at + len(value), m.group()))
        at += len(value)
        pos = m.end()
    if pos < len(text):
        orig.append((pos, len(text), None))
        new.append((at, at + len(text) - pos, None))
    swapped = "".join(text[s:e] if k is None else mapping[k] for s, e, k in orig)
    return Rendering(text, tuple(orig)), Rendering(swapped, tuple(new))


def map_offset(p: int, src: Rendering, dst: Rendering, *, end: bool = False) -> int:
    """Where offset ``p`` of ``src`` falls in ``dst``. In common text it keeps its distance from the
    piece's start; inside (or at the edge of) a substituted name a start goes to the other name's
    start and an end to its end, so a span that covers a name covers the other one."""
    if len(src.pieces) != len(dst.pieces):
        raise ValueError("renderings of different templates")
    if not src.pieces:
        return 0
    for (s, e, key), (ds, de, _) in zip(src.pieces, dst.pieces):
        inside = s < p <= e if end else s <= p < e
        if inside:
            if key is None:
                return ds + (p - s)
            return de if end else ds
    return len(dst.text) if p >= len(src.text) else 0


def touches_name(start: int, end: int, r: Rendering) -> bool:
    """Whether ``[start, end)`` overlaps a substituted name of ``r``."""
    return any(k is not None and start < e and s < end for s, e, k in r.pieces)


def top_score(analysis) -> float:
    return max((s.score for s in analysis.spans), default=0.0)


def techniques(analysis) -> frozenset[str]:
    return frozenset(s.technique for s in analysis.spans)


def compare(a, b, ra: Rendering, rb: Rendering, *, outside_names: bool = False) -> dict:
    """Compare analyses ``a`` of ``ra.text`` and ``b`` of ``rb.text``: same technique set, top-score
    move, and span agreement (Dice over spans whose technique and mapped ``[start, end)`` are
    equal, an edge inside a name snapped to the name's edge on both sides; 1.0 when neither has
    spans). ``outside_names`` keeps only spans touching no name."""
    sa = [s for s in a.spans if not (outside_names and touches_name(s.start, s.end, ra))]
    sb = [s for s in b.spans if not (outside_names and touches_name(s.start, s.end, rb))]
    mapped = Counter((map_offset(s.start, ra, rb), map_offset(s.end, ra, rb, end=True), s.technique) for s in sa)
    # B's spans go through the same snapping to name edges, so a span over part of a name matches
    in_b = Counter((map_offset(s.start, rb, rb), map_offset(s.end, rb, rb, end=True), s.technique) for s in sb)
    matched = sum((mapped & in_b).values())  # a multiset: the model may give one stretch a technique twice
    n = len(sa) + len(sb)
    ca, cb = a.technique_counts, b.technique_counts
    return {
        "same_techniques": techniques(a) == techniques(b),
        "techniques_a": sorted(techniques(a)),
        "techniques_b": sorted(techniques(b)),
        "top_a": round(top_score(a), 4),
        "top_b": round(top_score(b), 4),
        "top_move": round(abs(top_score(a) - top_score(b)), 4),
        "span_agreement": round(2 * matched / n, 4) if n else 1.0,
        "spans_a": len(sa),
        "spans_b": len(sb),
        "count_diff": sum(abs(ca.get(t, 0) - cb.get(t, 0)) for t in set(ca) | set(cb)),
    }


def read_tsv(path: Path, columns: list[str]) -> list[dict]:
    """Rows of a tab-separated file with a header (lines starting with # skipped)."""
    try:
        lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")]
    except OSError as e:
        raise SystemExit(f"{path}: cannot read ({e.strerror})")
    rows = list(csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE))
    if not rows or any(c not in rows[0] for c in columns):
        raise SystemExit(f"{path}: needs a header with the columns {', '.join(columns)}")
    return rows


def sentence_cases(pairs: list[dict], templates: list[dict]) -> list[dict]:
    """One case per template x pair whose grammatical number fits: the two renderings to compare."""
    cases = []
    for t in templates:
        slots = set(SLOT.findall(t["template"]))
        for p in pairs:
            if t["number"] not in ("any", p["number"]):
                continue
            if slots == {"A"}:
                one, other = {"A": p["a"]}, {"A": p["b"]}
            elif slots == {"A", "B"}:
                one, other = {"A": p["a"], "B": p["b"]}, {"A": p["b"], "B": p["a"]}
            else:
                raise SystemExit(f"template {t['id']}: needs {{A}} (and optionally {{B}})")
            cases.append({"template": t["id"], "style": t["style"], "group": p["group"],
                          "pair": f"{p['a']} / {p['b']}", "ra": render(t["template"], one),
                          "rb": render(t["template"], other)})
    return cases


def forms(p: dict, side: str) -> list[str]:
    return [f for f in (p.get(f"article_forms_{side}") or p[side]).split("|") if f]


def article_cases(ptc: Path, pairs: list[dict], per_pair: int, most: int) -> list[dict]:
    """PTC articles with a pair's names: swapped when both occur, else the one replaced by the other."""
    from spinscope.training.ptc import load_articles

    folder = ptc / "articles" if (ptc / "articles").is_dir() else ptc
    try:
        articles = load_articles(folder)
    except Exception as e:  # InputError and unreadable files: one line
        raise SystemExit(str(e))
    cases = []
    for p in pairs:
        fa, fb = forms(p, "a"), forms(p, "b")
        if len(fa) != len(fb):
            raise SystemExit(f"pair {p['a']} / {p['b']}: article forms of different lengths")
        has = lambda text, fs: any(re.search(r"(?<!\w)" + re.escape(f) + r"(?!\w)", text) for f in fs)  # noqa: E731
        swaps, replaces = [], []
        for aid, text in articles.items():
            in_a, in_b = has(text, fa), has(text, fb)
            if in_a and in_b:
                swaps.append((aid, text, {**dict(zip(fa, fb)), **dict(zip(fb, fa))}, "swap"))
            elif in_a or in_b:
                replaces.append((aid, text, dict(zip(fa, fb)) if in_a else dict(zip(fb, fa)), "replace"))
        for aid, text, mapping, mode in (swaps + replaces)[:per_pair]:  # swaps first: both sides named
            if len(cases) >= most:
                return cases
            ra, rb = swap_names(text, mapping)
            cases.append({"article": aid, "mode": mode, "group": p["group"], "pair": f"{p['a']} / {p['b']}",
                          "ra": ra, "rb": rb, "names": sum(k is not None for *_, k in ra.pieces)})
    return cases


def run(cases: list[dict], *, outside_names: bool, detector=None) -> list[dict]:
    import spinscope

    texts = [t for c in cases for t in (c["ra"].text, c["rb"].text)]
    analyses = list(spinscope.analyze_many(texts, detector=detector, claims=False, entities=False))
    out = []
    for i, c in enumerate(cases):
        r = compare(analyses[2 * i], analyses[2 * i + 1], c["ra"], c["rb"], outside_names=outside_names)
        row = {k: v for k, v in c.items() if k not in ("ra", "rb")}
        row.update(text_a=c["ra"].text if "template" in c else None, text_b=c["rb"].text if "template" in c else None, **r)
        out.append({k: v for k, v in row.items() if v is not None})
    return out


def summary(rows: list[dict]) -> dict:
    moves = [r["top_move"] for r in rows]
    return {"cases": len(rows),
            "same_techniques": round(sum(r["same_techniques"] for r in rows) / len(rows), 4) if rows else None,
            "mean_top_move": round(statistics.fmean(moves), 4) if rows else None,
            "max_top_move": round(max(moves), 4) if rows else None,
            "span_agreement": round(statistics.fmean(r["span_agreement"] for r in rows), 4) if rows else None}


def breakdown(rows: list[dict], key: str) -> dict:
    groups: dict[str, list[dict]] = {}
    for r in rows:
        groups.setdefault(r[key], []).append(r)
    return {g: summary(rs) for g, rs in sorted(groups.items())}


def worst(rows: list[dict], n: int = 10) -> list[dict]:
    return sorted(rows, key=lambda r: (-r["top_move"], r["same_techniques"]))[:n]


def print_report(sent: list[dict], arts: list[dict]) -> None:
    s = summary(sent)
    print(f"sentences: {s['cases']} template x pair cases")
    print(f"  same techniques {s['same_techniques']:.1%} (target >= {TARGET_SAME:.0%}); top score move mean "
          f"{s['mean_top_move']:.3f} (target <= {TARGET_MOVE}), max {s['max_top_move']:.3f}; "
          f"span agreement {s['span_agreement']:.3f}")
    for key in ("group", "style"):
        print(f"  by {key}:")
        for g, v in breakdown(sent, key).items():
            print(f"    {g:<18} n={v['cases']:<4} same {v['same_techniques']:.1%}  move mean {v['mean_top_move']:.3f} "
                  f"max {v['max_top_move']:.3f}  spans {v['span_agreement']:.3f}")
    print("  10 worst pairs (lowest share of same techniques, then largest mean move):")
    pairs = sorted(breakdown(sent, "pair").items(), key=lambda kv: (kv[1]["same_techniques"], -kv[1]["mean_top_move"]))
    for name, v in pairs[:10]:
        print(f"    {name:<46} n={v['cases']:<3} same {v['same_techniques']:.1%}  move mean {v['mean_top_move']:.3f} "
              f"max {v['max_top_move']:.3f}  spans {v['span_agreement']:.3f}")
    print("  10 worst cases (largest top-score move):")
    for r in worst(sent):
        print(f"    {r['top_move']:.3f} {'same' if r['same_techniques'] else 'DIFF'} [{r['template']}] {r['pair']}: "
              f"{r['top_a']:.2f} {','.join(r['techniques_a']) or '-'} | {r['top_b']:.2f} {','.join(r['techniques_b']) or '-'}")
        print(f"          A: {r['text_a']}")
        print(f"          B: {r['text_b']}")
    if arts:
        a = summary(arts)
        same_counts = sum(r["count_diff"] == 0 for r in arts) / len(arts)
        print(f"articles: {a['cases']} (names swapped or replaced)")
        print(f"  same technique set {a['same_techniques']:.1%}, same technique counts {same_counts:.1%}; top move mean "
              f"{a['mean_top_move']:.3f} max {a['max_top_move']:.3f}; spans outside the names agree {a['span_agreement']:.3f}")
        for r in arts:
            print(f"    article{r['article']} {r['mode']:<7} {r['pair']:<36} names {r['names']:<3} count diff "
                  f"{r['count_diff']:<3} spans {r['spans_a']}/{r['spans_b']} agree {r['span_agreement']:.3f} move {r['top_move']:.3f}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pairs", type=Path, default=HERE / "even_handedness_pairs.tsv")
    ap.add_argument("--templates", type=Path, default=HERE / "even_handedness_templates.tsv")
    ap.add_argument("--ptc", type=Path, help="PTC folder (articles/ inside): also compare whole articles")
    ap.add_argument("--articles-per-pair", type=int, default=2)
    ap.add_argument("--max-articles", type=int, default=40)
    ap.add_argument("--json", type=Path, help="write every case and the summaries here")
    ap.add_argument("--model", type=Path, help="technique model folder (default: the shipped model)")
    ap.add_argument("--train-pairs", type=Path, help="actor pairs a model was trained to swap "
                    "(spinscope train --swap-names): also report the bench's pairs in and not in it")
    args = ap.parse_args(argv)
    pairs = read_tsv(args.pairs, ["group", "number", "a", "b"])
    templates = read_tsv(args.templates, ["id", "number", "style", "template"])
    detector = None
    if args.model:
        from spinscope.detect import Detector

        detector = Detector(args.model)
    sent = run(sentence_cases(pairs, templates), outside_names=False, detector=detector)
    arts = (run(article_cases(args.ptc, pairs, args.articles_per_pair, args.max_articles), outside_names=True,
                detector=detector) if args.ptc else [])
    print_report(sent, arts)
    by_training = {}
    if args.train_pairs:
        from spinscope.training.augment import load_pairs, swap

        trained = load_pairs(args.train_pairs)
        for r in sent:  # a pair was trained on when one training pair's swap turns one name into the other
            a, b = r["pair"].split(" / ")
            r["pair_in_training"] = any(swap(a, [], p)[0] == b for p in trained)
        by_training = breakdown(sent, "pair_in_training")
        for flag, s in by_training.items():
            print(f"pairs {'in' if flag else 'not in'} the training pairs: {s['cases']} cases, same techniques "
                  f"{s['same_techniques']:.1%}, top score moved {s['mean_top_move']:.3f} on average")
    if args.json:
        import spinscope

        doc = {"spinscope": spinscope.__version__, "target": {"same_techniques": TARGET_SAME, "mean_top_move": TARGET_MOVE},
               "sentences": {"summary": summary(sent), "by_group": breakdown(sent, "group"),
                             "by_style": breakdown(sent, "style"), "by_pair": breakdown(sent, "pair"),
                             "by_pair_in_training": {str(k): v for k, v in by_training.items()}, "worst": worst(sent), "cases": sent},
               "articles": {"summary": summary(arts), "cases": arts}}
        try:
            args.json.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        except OSError as e:
            raise SystemExit(f"{args.json}: cannot write ({e.strerror})")


if __name__ == "__main__":
    sys.exit(main())
