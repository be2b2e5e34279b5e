"""``spinscope eval``: score the models, or a prediction file, against PTC labels."""

from __future__ import annotations

import json
from pathlib import Path

from ..document import InputError
from ..output import err


def _print_scores(name: str, prf: dict) -> None:
    print(f"{name:5s} P {prf['precision']:.4f}  R {prf['recall']:.4f}  F1 {prf['f1']:.4f}"
          f"  (pred {prf['n_pred']}, gold {prf['n_gold']})")


def _print_per_technique(title: str, per: dict) -> None:
    print(f"{title}:")
    for k, v in per.items():
        print(f"  {k:38s} F1 {v['f1']:.4f}  P {v['precision']:.4f}  R {v['recall']:.4f}  gold {v['n_gold']}")


def run(args) -> int:
    from ..training import ptc, scoring

    try:
        gold = ptc.load_tc_labels(args.labels)
    except (InputError, OSError) as e:
        err(str(e))
        return 2
    if args.predictions:
        try:
            if args.task == "si":
                pred_si = ptc.read_si_file(args.predictions)
                res = {"si": scoring.score_si([(a, s, e) for a, _, s, e in gold], pred_si).as_dict()}
            else:
                pred = ptc.read_tc_file(args.predictions)
                if args.task == "tc":
                    res = {"tc": scoring.score_tc(gold, pred).as_dict(),
                           "tc_per_technique": {k: v.as_dict() for k, v in scoring.score_tc_per_technique(gold, pred).items()}}
                else:
                    full, per = scoring.score_full(gold, pred)
                    res = {"full": full.as_dict(), "full_per_technique": {k: v.as_dict() for k, v in per.items()}}
        except (InputError, OSError) as e:
            err(str(e))
            return 2
    else:
        if not args.articles:
            err("eval needs --articles DIR (to run the models) or --predictions FILE (to score a file)")
            return 2
        from ..detect import ModelError
        from ..detect.detector import load_detector
        from ..training.evaluation import evaluate

        try:
            articles = ptc.load_articles(args.articles)
            detector = load_detector(args.model)
        except (InputError, ModelError, OSError) as e:
            err(str(e))
            return 2
        if not articles:
            err(f"{args.articles}: no *.txt articles in this folder")
            return 2
        # gold spans must fit the articles they name: scores over missing articles or spans past
        # an article's end would be silently wrong (as in classify)
        missing = sorted({g[0] for g in gold} - set(articles))
        if missing:
            err(f"{args.labels}: labels for article id(s) {', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}"
                f" not in {args.articles}")
            return 2
        for aid, _, s, e in gold:
            if not (0 <= s < e <= len(articles[aid])):
                err(f"{args.labels}: gold span {s}-{e} is outside article {aid} (length {len(articles[aid])})")
                return 2
        res = evaluate(detector, articles, gold)
    if args.json:
        print(json.dumps(res, indent=2))
        return 0
    for key in ("si", "tc", "full"):
        if key in res:
            _print_scores(key.upper(), res[key])
    if "tc_per_technique" in res:
        _print_per_technique("TC per technique", res["tc_per_technique"])
    if "full_per_technique" in res:
        _print_per_technique("FULL per technique", res["full_per_technique"])
    return 0


# --- train ---------------------------------------------------------------------------------------



def add_parser(subparsers) -> None:
    p = subparsers.add_parser("eval", help="score the models, or a prediction file, against PTC labels")
    p.add_argument("--labels", required=True, type=Path, help="folder of *.labels (TC format) or one file")
    p.add_argument("--articles", type=Path, help="articles to run the models on")
    p.add_argument("--predictions", type=Path, help="a prediction file to score instead")
    p.add_argument("--task", choices=("si", "tc", "full"), default="full", help="task of --predictions")
    p.add_argument("--model", type=Path)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)
