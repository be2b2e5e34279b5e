"""``spinscope classify``: label given spans with techniques (the SemEval TC task)."""

from __future__ import annotations

from pathlib import Path

from ..document import InputError
from ..output import OutputError, err, open_output


def run(args) -> int:
    from ..detect import ModelError
    from ..detect.detector import load_detector
    from ..training import ptc
    from ..training.evaluation import tc_predictions

    try:
        articles = ptc.load_articles(args.articles)
        rows = ptc.read_tc_file(args.spans)
        detector = load_detector(args.model)
    except (InputError, ModelError, OSError) as e:
        err(str(e))
        return 2
    missing = sorted({r[0] for r in rows} - set(articles))
    if missing:
        err(f"{args.spans}: no article for id(s) {', '.join(missing[:5])} in {args.articles}")
        return 2
    for aid, _, s, e in rows:
        if not (0 <= s < e <= len(articles[aid])):
            err(f"{args.spans}: span {s}-{e} is outside article {aid} (length {len(articles[aid])})")
            return 2
    try:  # before the model runs, so that an unwritable -o costs nothing
        out = open_output(args.output)
    except OutputError as e:
        err(str(e))
        return 2
    preds = tc_predictions(detector, articles, rows)
    for (aid, _, s, e), p in zip(rows, preds):
        out.write(f"{aid}\t{p}\t{s}\t{e}\n")
    if args.output:
        out.close()
    return 0


# --- eval --------------------------------------------------------------------------------------


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("classify", help="label given spans with techniques (SemEval TC task)")
    p.add_argument("articles", type=Path, metavar="ARTICLES_DIR")
    p.add_argument("spans", type=Path, metavar="SPANS.tsv", help="rows id<TAB>technique<TAB>start<TAB>end (technique may be ?)")
    p.add_argument("-o", "--output", metavar="OUT")
    p.add_argument("--model", type=Path)
    p.set_defaults(func=run)
