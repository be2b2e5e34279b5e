"""Build spinscope/detect/common_words.txt: English words that are mostly written in lower case.

    python tools/build_common_words.py ../shared/data/ptc/articles ../shared/data/unlabeled/news

Name masking (spinscope.detect.masking) treats a capitalised word as a name, except at a sentence
start, where a capital says nothing: there a word is a name unless it is on this list. A word is
listed when it occurs at least MIN_LOWER times in lower case and at least as often in lower case
as capitalised inside a sentence, over the given folders of .txt files (no labels are read; the
list holds single words and counts nothing else).
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

MIN_LOWER = 3
WORD = re.compile(r"[^\W\d_][^\W_]*(?:['’][^\W\d_]+)?")
OUT = Path(__file__).resolve().parent.parent / "spinscope" / "detect" / "common_words.txt"


def main(folders: list[str]) -> None:
    lower, capital = Counter(), Counter()
    for folder in folders:
        for path in sorted(Path(folder).glob("*.txt")):
            text = path.read_text(encoding="utf-8", errors="replace")
            for m in WORD.finditer(text):
                w = m.group()
                before = text[max(0, m.start() - 3) : m.start()].rstrip(" \t\"“‘'([")
                initial = not before or before[-1] in ".!?:\n"
                if w[0].islower():
                    lower[w] += 1
                elif not initial and w[0].isupper() and not w.isupper():
                    capital[w.lower()] += 1
    words = sorted(w for w, n in lower.items() if n >= MIN_LOWER and n >= capital[w] and w.isalpha())
    OUT.write_text("\n".join(words) + "\n", encoding="utf-8")
    print(f"{len(words)} words -> {OUT}")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    main(sys.argv[1:])
