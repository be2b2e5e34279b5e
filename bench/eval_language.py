"""How well ``spinscope.language`` tells English from other languages.

    python bench/eval_language.py --ptc ../shared/data/ptc --claims ../shared/data/claims

English: PTC's news articles (each whole, and each line of 20 or more words), and ClaimBuster's
debate sentences, three at a time. Other languages: the example sentences that spaCy ships for
each of its languages (``spacy.lang.XX.examples``), all of a language's sentences as one text.
Prints the distribution of the English share for each set, and how many texts would get the
"does not look like English" note (:func:`spinscope.language.language_note`). Asserts nothing.
"""

from __future__ import annotations

import argparse
import csv
import importlib
import pkgutil
from pathlib import Path

from spinscope.language import MIN_LETTERS, MIN_SHARE, MIN_WORDS, english_share, language_note


def spread(name: str, texts: list[str]) -> None:
    shares = sorted(english_share(t)[0] for t in texts)
    if not shares:
        print(f"{name}: none")
        return
    noted = sum(language_note(t) is not None for t in texts)
    q = lambda p: shares[min(len(shares) - 1, int(p * len(shares)))]  # noqa: E731
    print(f"{name}: {len(texts)} texts; share min {shares[0]:.3f}, 1% {q(0.01):.3f}, 5% {q(0.05):.3f}, "
          f"median {q(0.5):.3f}, max {shares[-1]:.3f}; noted as not English: {noted}")


def spacy_examples() -> dict[str, str]:
    import spacy.lang

    out = {}
    for m in pkgutil.iter_modules(spacy.lang.__path__):
        try:
            sentences = importlib.import_module(f"spacy.lang.{m.name}.examples").sentences
        except Exception:  # languages without examples, or whose examples need extra packages
            continue
        out[m.name] = " ".join(sentences)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ptc", type=Path, required=True, help="PTC folder (articles/ inside)")
    ap.add_argument("--claims", type=Path, help="ClaimBuster folder (groundtruth.csv inside)")
    args = ap.parse_args()
    print(f"note when the share is below {MIN_SHARE} and the text has at least {MIN_WORDS} words or {MIN_LETTERS} letters"
          " (capitalised words not counted)")
    articles = [p.read_text(encoding="utf-8") for p in sorted((args.ptc / "articles").glob("*.txt"))]
    spread("PTC articles (English)", articles)
    lines = [ln for t in articles for ln in t.split("\n") if english_share(ln)[1] >= MIN_WORDS]
    spread(f"PTC lines of {MIN_WORDS}+ counted words (English)", lines)
    if args.claims:
        with open(args.claims / "groundtruth.csv", encoding="utf-8", newline="") as f:
            rows = [r["Text"] for r in csv.DictReader(f)]
        groups = [" ".join(rows[i:i + 3]) for i in range(0, len(rows), 3)]
        spread("ClaimBuster sentences, 3 at a time (English)", [g for g in groups if english_share(g)[1] >= MIN_WORDS])
    examples = spacy_examples()
    english = examples.pop("en", "")
    examples.pop("xx", None)  # the multi-language examples mix English in
    print(f"spaCy's English examples: share {english_share(english)[0]:.3f}, note: {language_note(english) is not None}")
    spread("spaCy examples, other languages", list(examples.values()))
    top = sorted(((english_share(t)[0], k, english_share(t)[1]) for k, t in examples.items()), reverse=True)[:6]
    print("  highest shares:", ", ".join(f"{k} {s:.3f} ({n} words)" for s, k, n in top))
    short = [k for k, t in examples.items() if english_share(t)[1] < MIN_WORDS and english_share(t)[2] < MIN_LETTERS]
    print(f"  too short to tell (under {MIN_WORDS} words and {MIN_LETTERS} letters): {len(short)} ({', '.join(short)})")
    missed = [k for k, t in examples.items() if k not in short and language_note(t) is None]
    print(f"  long enough but not noted: {', '.join(missed) or 'none'}")


if __name__ == "__main__":
    main()
