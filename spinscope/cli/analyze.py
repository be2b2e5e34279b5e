"""``spinscope analyze``: find persuasion techniques in files, folders, URLs or stdin."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

from ..document import InputError
from ..output import OutputError, err, open_output

FORMATS = ("text", "json", "ptc-si", "ptc-tc", "html")


# --- inputs ----------------------------------------------------------------------------------


def expand_inputs(paths: list[str]) -> tuple[list[str], int]:
    """Files to analyse: files as given, every .txt, .pdf, .docx and .md file of a folder (sorted),
    '-' for stdin.

    Returns ``(files, skipped)``. A pipe, socket or device with such a name inside a folder is
    skipped with one line (reading it could wait forever); one named on the command line is read,
    as ``spinscope analyze <(curl ...)`` expects."""
    from ..inputs.documents import DOCUMENT_SUFFIXES

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
    """One input as a :class:`~spinscope.inputs.Page` (text, title, note): a file, '-', an HTML
    file (extracted) or an http(s) URL."""
    from ..inputs.open import open_source

    return open_source(p, html=html)


def input_id(p: str) -> str:
    from ..training.ptc import article_id

    return "stdin" if p == "-" else article_id(p)


# --- analyze ---------------------------------------------------------------------------------


def run(args) -> int:
    from .. import analyze_many
    from ..detect import ModelError
    from ..detect.detector import load_detector
    from ..output import terminal_safe
    from ..render.html import render_html, render_index
    from ..render.summary import DEFAULT_MIN_SCORE
    from ..render.terminal import pipe_console, render_text
    from ..render.tsv import ptc_si_rows, ptc_tc_rows

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
        """``(page, path)`` of each input that can be read; errors reported as met."""
        for i, p in enumerate(files, 1):
            if progress:
                print(f"[{i}/{len(files)}] {terminal_safe(str(p))}", file=sys.stderr, flush=True)
            try:
                page = read_input(p, html=True if args.html else None)
            except InputError as e:
                err(str(e))
                unreadable.append(p)
                continue
            yield (replace(page, title=args.title) if args.title else page), p

    try:
        for analysis, p in analyze_many(readable(), detector=detector, claims=not args.no_claims,
                                                 entities=not args.no_entities, as_tuples=True):
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
                if indent is None:  # one line a document: the C encoder, faster than streaming
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


def _score(value: str) -> float:
    try:
        v = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if not 0.0 <= v <= 1.0:
        raise argparse.ArgumentTypeError(f"a score is between 0 and 1, not {value}")
    return v



def add_parser(subparsers) -> None:
    p = subparsers.add_parser("analyze", help="find persuasion techniques in texts", epilog=(
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
    p.set_defaults(func=run)
