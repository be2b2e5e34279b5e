"""``spinscope claims``: score the check-worthiness of sentences in a TSV file (CheckThat! format)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import InputError


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add ``claims`` to the ``spinscope`` subcommands."""
    p = subparsers.add_parser(
        "claims", help="score the check-worthiness of sentences in a TSV file (CheckThat! format)",
        description="Score each sentence of a TSV file with a header and columns Sentence_id and Text "
                    "(other columns are ignored); print Sentence_id<TAB>score<TAB>label (Yes/No at the "
                    "model's threshold), one row per input row, in the same order, after a header row.")
    p.add_argument("sentences", metavar="SENTENCES.tsv", help="TSV file with columns Sentence_id and Text, or - for stdin")
    p.add_argument("-o", "--output", metavar="OUT", help="write here instead of stdout")
    p.add_argument("--model", type=Path, help="model folder holding claims.json (default: the shipped model)")
    p.add_argument("--threshold", type=float, help="label Yes at or above this score (default: the model's)")
    p.add_argument("--eval", action="store_true",
                   help="also print precision, recall and F1 of the Yes class against the file's class_label column (stderr)")
    p.set_defaults(func=run)
    return p


def _err(msg: str) -> None:
    from ..output import err

    err(msg, "spinscope claims")


def run(args) -> int:
    from ..claims import ClaimScorer, default_claim_scorer, read_sentences_tsv, yes_f1
    from ..errors import ModelError

    try:
        rows = read_sentences_tsv(args.sentences, extra=("class_label",) if args.eval else ())
    except InputError as e:
        _err(str(e))
        return 2
    from ..output import OutputError, open_output

    try:  # before the model runs, so that an unwritable -o costs nothing
        out = open_output(args.output, newline="")
    except OutputError as e:
        _err(str(e))
        return 2
    try:
        scorer = ClaimScorer(args.model) if args.model else default_claim_scorer()
    except ModelError as e:
        _err(str(e))
        return 2
    threshold = scorer.threshold if args.threshold is None else args.threshold
    scores = scorer.score_sentences([r["text"] for r in rows])
    try:
        out.write("Sentence_id\tscore\tlabel\n")
        for r, s in zip(rows, scores):
            out.write(f"{r['id']}\t{float(s):.4f}\t{'Yes' if s >= threshold else 'No'}\n")
        out.flush()
    finally:
        if out is not sys.stdout:
            out.close()
    if args.eval:
        gold = [r["class_label"].strip().lower() in ("yes", "1", "true") for r in rows]
        m = yes_f1([bool(s >= threshold) for s in scores], gold)
        print(f"Yes class: precision {m['precision']:.3f}  recall {m['recall']:.3f}  F1 {m['f1']:.3f}  "
              f"(n={m['n']}, threshold {threshold:.3f})", file=sys.stderr)
    return 0
