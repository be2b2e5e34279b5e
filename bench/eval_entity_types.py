"""How often spinscope gives an entity the right type, with and without its type rules.

Reads bench/entity_types_gold.tsv (hand-written news sentences, an entity name and its correct
type, or NONE for a name that should not be listed), runs spinscope.entities.extract_entities on
each sentence and counts, per row:

- found: some entity has a mention whose text is the name ("the" and a possessive stripped);
- right type: found and the entity's label is the gold type (NONE rows: not listed, or listed
  with a type that type_is_certain() says not to show);
- right type hidden: right, but type_is_certain() is False (a renderer would leave it out);
- shown wrong: found, type_is_certain() is True and the label is not the gold type (a wrong
  type a renderer would print).

    python bench/eval_entity_types.py [--gold bench/entity_types_gold.tsv] [--baseline] [-v]

Without --baseline both runs are printed: spaCy's types as they are (TYPE_RULES off) and with
the rules; --baseline prints only the first.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from spinscope import entities as E  # noqa: E402
from spinscope.entities import types as ET


def norm(s: str) -> str:
    s = re.sub(r"^the\s+", "", s.strip(), flags=re.I)
    return re.sub(r"['’]s$", "", s).casefold()


def read_gold(path: Path) -> list[tuple[str, str, str]]:
    rows = []
    with path.open(encoding="utf-8", newline="") as f:
        lines = (ln for ln in f if not ln.startswith("#"))
        for r in csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE):
            rows.append((r["text"], r["name"], r["type"]))
    return rows


def evaluate(rows, rules: bool, verbose: bool = False) -> dict:
    ET.TYPE_RULES = rules
    cache: dict[str, list] = {}
    n = found = right = shown_wrong = hidden_right = none_rows = none_right = 0
    for text, name, gold in rows:
        if text not in cache:
            cache[text], _ = E.extract_entities(text)
        hit = next((e for e in cache[text] if any(norm(m.text) == norm(name) for m in e.mentions)), None)
        n += 1
        certain = hit is not None and (E.type_is_certain(hit) if rules else True)
        if gold == "NONE":
            none_rows += 1
            ok = hit is None or not certain
            none_right += ok
            right += ok
            shown_wrong += not ok
        else:
            found += hit is not None
            ok = hit is not None and hit.label == gold
            right += ok
            shown_wrong += hit is not None and certain and not ok
            hidden_right += ok and not certain
        if verbose and not ok:
            got = f"{hit.label}{'' if certain else '?'}" if hit else "-"
            print(f"  {'rules' if rules else 'base '} {name!r}: gold {gold}, got {got}  | {text}")
    typed = n - none_rows
    return {"rows": n, "typed": typed, "found": found, "right": right, "shown_wrong": shown_wrong, "hidden_right": hidden_right,
            "none_rows": none_rows, "none_right": none_right}


def line(title: str, r: dict) -> str:
    return (f"{title}: right type {r['right']}/{r['rows']} = {r['right'] / r['rows']:.1%}; "
            f"found {r['found']}/{r['typed']} = {r['found'] / r['typed']:.1%}; "
            f"wrong type shown {r['shown_wrong']}/{r['rows']}; right type hidden {r['hidden_right']}; NONE rows right {r['none_right']}/{r['none_rows']}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--gold", type=Path, default=ROOT / "bench" / "entity_types_gold.tsv")
    ap.add_argument("--baseline", action="store_true", help="only spaCy's types, without the type rules")
    ap.add_argument("-v", "--verbose", action="store_true", help="print each row that is not right")
    a = ap.parse_args(argv)
    try:
        rows = read_gold(a.gold)
    except (OSError, KeyError, csv.Error) as e:
        print(f"eval_entity_types: cannot read {a.gold}: {e}", file=sys.stderr)
        return 2
    if not rows:
        print(f"eval_entity_types: no rows in {a.gold}", file=sys.stderr)
        return 2
    print(line("baseline (spaCy types)", evaluate(rows, False, a.verbose)))
    if not a.baseline:
        print(line("type rules            ", evaluate(rows, True, a.verbose)))
    ET.TYPE_RULES = True
    return 0


if __name__ == "__main__":
    sys.exit(main())
