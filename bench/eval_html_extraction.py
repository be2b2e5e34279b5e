"""How much of an article survives HTML extraction: PTC articles wrapped as web pages.

    python bench/eval_html_extraction.py --articles ../shared/data/ptc/articles

Each article becomes a page: its first line the ``<title>`` and ``<h1>``, every other non-blank
line a ``<p>`` inside ``<article>``, with a script, a navigation bar and a footer around it.
``spinscope.inputs.html.extract_html`` then extracts it, and the body lines it gives back are counted
(as a multiset, white space collapsed), so a paragraph the article repeats must come back as often
as it was written. Prints the share of body lines kept, how many pages kept all of them, the
extraction time, and the first pages that lost lines with what they lost. Asserts nothing.
"""

from __future__ import annotations

import argparse
import html
import time
from collections import Counter
from pathlib import Path

from spinscope.inputs.html import extract_html


def page_of(text: str) -> tuple[str, list[str]]:
    lines = [ln for ln in text.split("\n") if ln.strip()]
    title = html.escape(lines[0]) if lines else ""
    body = "\n".join(f"<p>{html.escape(ln)}</p>" for ln in lines[1:])
    page = (f"<!doctype html><html><head><title>{title}</title><script>var tracking = 1;</script></head>"
            f"<body><nav><a href='/'>Home</a> <a href='/world'>World</a></nav><article><h1>{title}</h1>"
            f"{body}</article><footer>Copyright 2026 Example News. All rights reserved.</footer></body></html>")
    return page, lines[1:]


def _key(line: str) -> str:
    return " ".join(line.split())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", required=True, type=Path, help="a folder of PTC article*.txt files")
    ap.add_argument("--show", type=int, default=10, help="pages with losses to list")
    args = ap.parse_args()
    files = sorted(args.articles.glob("*.txt"))
    total = kept = whole = 0
    seconds = 0.0
    losses = []
    for f in files:
        page, body = page_of(f.read_text(encoding="utf-8"))
        t0 = time.perf_counter()
        text, _ = extract_html(page)
        seconds += time.perf_counter() - t0
        got, want = Counter(_key(ln) for ln in text.split("\n")), Counter(_key(ln) for ln in body)
        n = sum(min(got[k], c) for k, c in want.items())
        total += len(body)
        kept += n
        whole += n == len(body)
        if n < len(body):
            losses.append((f.name, [(k[:60], c, got[k]) for k, c in want.items() if got[k] < c][:3]))
    print(f"{len(files)} pages, {total} body lines: kept {kept} ({kept / max(total, 1):.4f}); "
          f"{whole} pages kept every line; extraction {seconds:.1f} s")
    for name, lost in losses[:args.show]:
        print(f"  {name}: (line, written, extracted) {lost}")


if __name__ == "__main__":
    main()
