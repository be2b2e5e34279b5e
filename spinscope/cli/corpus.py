"""``spinscope corpus ...``: the command line of the corpus store."""

from __future__ import annotations

import argparse
import csv
import json
import sqlite3
import sys
from pathlib import Path

from ..corpus.ingest import Report, add_paths, reanalyze
from ..corpus.parquet import import_parquet
from ..corpus.queries import GROUPINGS, STAT_FORMATS, Filters, compare, stats
from ..corpus.run import run_to_parquet
from ..corpus.store import Store
from ..errors import CorpusError
from ..output import err
from ..techniques import lookup


def _positive(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    if n > 2**31 - 1:  # SQLite takes 64-bit integers; nothing here needs more than this
        raise argparse.ArgumentTypeError(f"too large: {value} (at most {2**31 - 1:,})")
    return n


def add_parser(subparsers) -> None:
    """Add ``spinscope corpus ...`` to the CLI's subparsers."""
    p = subparsers.add_parser("corpus", help="store and query whole corpora (SQLite)",
                              description="Analyse whole corpora into a SQLite store and query them.")
    p.set_defaults(func=run)
    sub = p.add_subparsers(dest="corpus_command", required=True, metavar="ACTION")

    def stages(q):
        q.add_argument("--no-entities", action="store_true",
                       help="skip entities and span targets (the slowest stage: several times faster without)")
        q.add_argument("--no-claims", action="store_true", help="skip check-worthy claims")

    q = sub.add_parser("add", help="add .txt/.html/.pdf/.docx/.md files, folders, JSONL or CSV to a store (resumable)")
    q.add_argument("db", metavar="DB.sqlite")
    q.add_argument("paths", nargs="+", metavar="PATH", help="files or folders (.txt, .html, .pdf, .docx, .md, .jsonl, .csv)")
    q.add_argument("--source", help="source name for documents that do not give one")
    q.add_argument("--workers", type=_positive, default=1, metavar="N", help="analysis processes (default 1)")
    q.add_argument("--model", type=Path, help="model folder (default: the shipped model)")
    q.add_argument("--batch", type=_positive, default=16, metavar="N", help="documents per transaction (default 16)")
    stages(q)
    q.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")

    q = sub.add_parser("reanalyze", help="analyse stored documents again with another (newer) model")
    q.add_argument("db", metavar="DB.sqlite")
    q.add_argument("--model", type=Path, help="model folder (default: the shipped model)")
    q.add_argument("--workers", type=_positive, default=1, metavar="N")
    q.add_argument("--all", action="store_true", help="also documents already analysed by this model")
    stages(q)
    q.add_argument("-q", "--quiet", action="store_true")

    def filters(q, multi_source=True):
        q.add_argument("--since", metavar="DATE", help="published on or after (YYYY-MM-DD, YYYY-MM or YYYY)")
        q.add_argument("--until", metavar="DATE", help="published on or before")
        q.add_argument("--search", metavar="WORDS", help="only documents containing all these words (full-text)")
        q.add_argument("--format", "-f", choices=STAT_FORMATS, default="table")

    q = sub.add_parser("stats", help="technique counts and densities, grouped and filtered")
    q.add_argument("db", metavar="DB.sqlite")
    q.add_argument("--by", choices=GROUPINGS, default="technique")
    q.add_argument("--source", action="append", default=[], metavar="S", help="only this source (repeatable)")
    q.add_argument("--top", type=_positive, default=50, help="entities to show with --by entity")
    filters(q)

    q = sub.add_parser("compare", help="technique profiles of two sources, with a significance test")
    q.add_argument("db", metavar="DB.sqlite")
    q.add_argument("--source", action="append", default=[], metavar="S", required=True, help="give it twice: A and B")
    filters(q)

    q = sub.add_parser("run", help="analyse inputs into Parquet files (local processes or a Ray cluster)")
    q.add_argument("paths", nargs="+", metavar="INPUT")
    q.add_argument("--out", required=True, type=Path, metavar="DIR", help="folder for the Parquet files")
    q.add_argument("--engine", choices=("local", "ray"), default="local")
    q.add_argument("--address", metavar="ADDR", help="Ray cluster address (default: RAY_ADDRESS, else a local Ray)")
    q.add_argument("--source", help="source name for documents that do not give one")
    q.add_argument("--workers", type=_positive, default=1, metavar="N",
                   help="processes (local) or model actors (ray); default 1")
    q.add_argument("--model", type=Path, help="model folder (default: the shipped model)")
    stages(q)
    q.add_argument("-q", "--quiet", action="store_true")

    q = sub.add_parser("import", help="load the Parquet output of 'corpus run' into a store")
    q.add_argument("db", metavar="DB.sqlite")
    q.add_argument("folder", type=Path, metavar="DIR")
    q.add_argument("-q", "--quiet", action="store_true")

    q = sub.add_parser("info", help="what a store holds: documents, models, runs")
    q.add_argument("db", metavar="DB.sqlite")
    q.add_argument("--check", action="store_true", help="also check the store's consistency")
    q.add_argument("--json", action="store_true")


def _summary(report: Report, verb: str, quiet: bool) -> int:
    if not quiet:
        rate = report.added / report.seconds if report.seconds > 0 else 0.0
        extra = f", {len(report.problems)} skipped (see above)" if report.problems else ""
        print(f"{verb} {report.added} document{'s' if report.added != 1 else ''}, {report.existing} already there"
              f"{extra} in {report.seconds:.1f} s ({rate:.1f} docs/s)", file=sys.stderr)
    return 2 if report.problems else 0


def _print_rows(rows: list[dict], columns: list[tuple[str, str]], fmt: str, doc: dict, title: str) -> None:
    if fmt == "json":
        print(json.dumps(doc, indent=2, ensure_ascii=False))
        return
    if fmt == "csv":
        w = csv.writer(sys.stdout, lineterminator="\n")
        w.writerow([k for k, _ in columns])
        for r in rows:
            w.writerow(["" if r.get(k) is None else r.get(k) for k, _ in columns])
        return
    from rich.table import Table
    from rich.text import Text

    from ..output import terminal_safe
    from ..render.terminal import pipe_console

    # every cell and the title as Text: source, group and entity names come from the data, and a
    # str cell would be read as Rich markup ("[/x] News" raised MarkupError; "[bold]x" lost its brackets)
    table = Table(title=Text(terminal_safe(title)), title_justify="left")
    for k, head in columns:
        table.add_column(head, justify="right" if k not in ("group", "technique", "source") else "left",
                         no_wrap=k != "group", min_width=len(head))
    prev = None
    for r in rows:
        if prev is not None and "group" in r and r["group"] != prev:
            table.add_section()
        prev = r.get("group")
        cells = []
        for k, _ in columns:
            v = r.get(k)
            if k == "technique":
                v = "All techniques" if v == "all" else lookup(v).name
            elif k == "share_covered" and v is not None:
                v = f"{100 * v:.1f}%"
            elif k in ("spans_per_1k_words", "per_1k_a", "per_1k_b", "difference") and v is not None:
                v = f"{v:.2f}"
            elif k == "z" and v is not None:
                v = f"{v:.2f}"
            elif k in ("p", "p_holm") and v is not None:
                v = f"{v:.3g}"
            elif k == "significant":
                v = "yes" if v else ""
            cells.append(Text("" if v is None else terminal_safe(str(v))))
        table.add_row(*cells)
    pipe_console(highlight=False, soft_wrap=False, width=None if sys.stdout.isatty() else 200).print(table)


def _cmd_stats(args) -> int:
    f = Filters(sources=tuple(args.source), since=args.since, until=args.until, search=args.search)
    with Store.for_reading(args.db) as st:
        doc = stats(st, args.by, f, top=args.top)
    cols = [("group", args.by.capitalize())] if args.by != "technique" else []
    cols += [("technique", "Technique"), ("documents", "Documents"), ("words", "Words"), ("spans", "Spans"),
             ("spans_per_1k_words", "per 1,000 words"), ("share_covered", "Text covered")]
    if args.by == "entity":
        cols.insert(3, ("mentions", "Mentions"))
    title = f"{doc['documents']} documents, {doc['words']:,} words"
    _print_rows(doc["rows"], cols, args.format, doc, title)
    return 0


def _cmd_compare(args) -> int:
    if len(args.source) != 2 or args.source[0] == args.source[1]:
        err("compare needs two different sources: --source A --source B")
        return 2
    f = Filters(since=args.since, until=args.until, search=args.search)
    with Store.for_reading(args.db) as st:
        doc = compare(st, args.source[0], args.source[1], f)
    a, b = doc["a"], doc["b"]
    cols = [("technique", "Technique"), ("spans_a", "A spans"), ("per_1k_a", "A /1k words"),
            ("spans_b", "B spans"), ("per_1k_b", "B /1k words"), ("difference", "A − B"), ("z", "z"), ("p", "p"),
            ("p_holm", "p (Holm)"), ("significant", "p<0.05")]
    title = (f"A = {a['source']} ({a['documents']} docs, {a['words']:,} words) vs B = {b['source']} "
             f"({b['documents']} docs, {b['words']:,} words)\nTest: {doc['test']}")
    _print_rows(doc["rows"], cols, args.format, doc, title)
    return 0


def _cmd_info(args) -> int:
    with Store.for_reading(args.db) as st:
        info = st.info()
        if args.check:
            info["problems"] = st.check()
    if args.json:
        print(json.dumps(info, indent=2))
    else:
        print(f"{info['path']}: schema {info['schema_version']}, {info['documents']} documents, "
              f"{info['words']:,} words, {info['spans']} spans, {info['sources']} sources, "
              f"published {info['published'][0] or '?'} to {info['published'][1] or '?'}")
        for m in info["models"]:
            print(f"  model {m['name']} {m['version']} ({m['fingerprint']}): {m['documents']} documents")
        for r in info["runs"]:
            print(f"  run {r['id']}: {r['command']} {r['model_version']} {r['started_at']} -> "
                  f"{r['finished_at'] or 'interrupted'} ({r['n_documents']} documents)")
        if args.check:
            print("check: " + ("ok" if not info["problems"] else "; ".join(info["problems"])))
    return 1 if args.check and info["problems"] else 0


def run(args) -> int:
    """Run ``spinscope corpus ACTION``; returns the exit code (2 on errors, which are one line)."""
    try:
        action = args.corpus_command
        if action == "add":
            rep = add_paths(args.db, args.paths, source=args.source, workers=args.workers, model=args.model,
                            batch=args.batch, quiet=args.quiet, claims=not args.no_claims,
                            entities=not args.no_entities)
            if rep.kept_source:  # the same text keeps the source it was first stored with
                n = rep.kept_source
                err(f"note: {n} document{'s were' if n != 1 else ' was'} already in the store and kept "
                    f"{'their' if n != 1 else 'its'} first source; --source {args.source!r} applies to new documents only")
            return _summary(rep, "added", args.quiet)
        if action == "reanalyze":
            rep = reanalyze(args.db, model=args.model, workers=args.workers, every=args.all, quiet=args.quiet,
                            claims=not args.no_claims, entities=not args.no_entities)
            return _summary(rep, "re-analysed", args.quiet)
        if action == "stats":
            return _cmd_stats(args)
        if action == "compare":
            return _cmd_compare(args)
        if action == "run":
            rep = run_to_parquet(args.paths, args.out, engine=args.engine, address=args.address, source=args.source,
                                 workers=args.workers, model=args.model, quiet=args.quiet,
                                 claims=not args.no_claims, entities=not args.no_entities)
            return _summary(rep, f"wrote to {args.out}:", args.quiet)
        if action == "import":
            rep = import_parquet(args.db, args.folder, quiet=args.quiet)
            return _summary(rep, "imported", args.quiet)
        if action == "info":
            return _cmd_info(args)
        err(f"unknown corpus action {action!r}")
        return 2
    except CorpusError as e:
        err(str(e))
        return 2
    except sqlite3.Error as e:
        err(f"{getattr(args, 'db', 'store')}: database error ({e})")
        return 2
    except BrokenPipeError:
        raise
    except OSError as e:
        err(f"{getattr(e, 'filename', None) or 'I/O'}: {e.strerror or e}")
        return 2
