"""Input records: text files, HTML, documents, JSONL and CSV read into :class:`Record` (or a :class:`Problem`)."""

from __future__ import annotations

import csv
import hashlib
import json
import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Iterable, Iterator

from ..document import (
    MAX_INPUT_BYTES,
    InputError,
    check_unicode,
    decode_bytes,
    read_file_bytes,
)
from ..inputs.documents import DOCUMENT_SUFFIXES
from ..inputs.html import HTML_SUFFIXES

FIELDS = ("text", "title", "url", "source", "published")
TEXT_SUFFIXES = (".txt",)
JSONL_SUFFIXES = (".jsonl", ".ndjson")
CSV_SUFFIXES = (".csv",)
SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES + DOCUMENT_SUFFIXES + JSONL_SUFFIXES + CSV_SUFFIXES
KINDS = ".txt, .html, .pdf, .docx, .md, .jsonl or .csv"

def text_hash(text: str) -> str:
    """The content hash that identifies a document: SHA-256 of its exact text (UTF-8)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class Record:
    """One document to store: its text, the known fields and any other fields as metadata."""

    text: str
    origin: str  # where it came from: a path, or "path: line N" / "path: row N"
    title: str | None = None
    url: str | None = None
    source: str | None = None
    published: str | None = None  # YYYY-MM-DD
    metadata: dict = field(default_factory=dict)
    hash: str = ""

    def __post_init__(self):
        if not self.hash:
            self.hash = text_hash(self.text)

    def fields(self) -> dict:
        return {"hash": self.hash, "text": self.text, "title": self.title, "url": self.url, "source": self.source,
                "published": self.published, "origin": self.origin, "metadata": self.metadata}


@dataclass(frozen=True)
class Problem:
    """An input that was skipped, and why (one line)."""

    message: str

    def __str__(self) -> str:
        return self.message


def parse_published(value) -> tuple[str | None, str | None]:
    """``(YYYY-MM-DD, full timestamp or None)`` from an ISO date or date-time; ValueError otherwise."""
    if value is None:
        return None, None
    if not isinstance(value, str):
        raise ValueError(f"field 'published' must be an ISO date string, not {type(value).__name__}")
    v = value.strip()
    if not v:
        return None, None
    try:
        if len(v) == 10:
            return date.fromisoformat(v).isoformat(), None
        d = datetime.fromisoformat(v.replace("Z", "+00:00") if v.endswith("Z") else v)
        return d.date().isoformat(), v
    except ValueError:
        raise ValueError(f"field 'published' is not an ISO date (YYYY-MM-DD): {v[:40]!r}") from None


def record_from_fields(obj: dict, origin: str, default_source: str | None = None) -> Record:
    """A :class:`Record` from a JSON object or CSV row; ValueError (with the reason) if unusable."""
    if not isinstance(obj, dict):
        raise ValueError(f"expected an object with a 'text' field, got {type(obj).__name__}")
    if None in obj:  # csv.DictReader puts surplus cells under None
        raise ValueError("the row has more cells than the header")
    text = obj.get("text")
    if text is None:
        raise ValueError("no 'text' field")
    if not isinstance(text, str):
        raise ValueError(f"field 'text' must be a string, not {type(text).__name__}")
    if not text.strip():
        raise ValueError("empty text")
    check_unicode(text, "field 'text'")
    vals = {}
    for name in ("title", "url", "source"):
        v = obj.get(name)
        if v is not None and not isinstance(v, str):
            raise ValueError(f"field '{name}' must be a string, not {type(v).__name__}")
        if v is not None:
            check_unicode(v, f"field '{name}'")
        vals[name] = (v.strip() or None) if isinstance(v, str) else None
    published, stamp = parse_published(obj.get("published"))
    metadata = {k: v for k, v in obj.items() if k not in FIELDS}
    try:  # the other fields are stored, and served, as standard JSON text
        json.dumps(metadata, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("a field other than text, title, url and source holds an unpaired surrogate "
                         "(not valid Unicode)") from None
    except ValueError:
        raise ValueError("a field other than text, title, url and source holds NaN or an infinite number, "
                         "which standard JSON cannot carry") from None
    if stamp:
        metadata.setdefault("published_at", stamp)
    return Record(text=text, origin=origin, title=vals["title"], url=vals["url"],
                  source=vals["source"] or default_source, published=published, metadata=metadata)


def expand_paths(paths: Iterable[str | Path]) -> tuple[list[Path], list[Problem], Counter]:
    """Input files: given files, and every supported file under given folders (recursively, sorted).

    Returns ``(files, problems, ignored)``: problems for missing paths and unsupported files that
    were named explicitly; ``ignored`` counts the other files in folders by suffix.
    """
    files: list[Path] = []
    problems: list[Problem] = []
    ignored: Counter = Counter()
    for p in paths:
        path = Path(p)
        if path.is_dir():
            found, before = [], len(problems)
            seen_dirs: set[tuple[int, int]] = set()  # (device, inode): a linked folder is read once, loops end
            def unreadable(e: OSError) -> None:  # os.walk's onerror: say so, not "has no files"
                problems.append(Problem(f"{e.filename}: cannot read folder ({e.strerror or e})"))

            for dirpath, dirnames, filenames in os.walk(path, followlinks=True, onerror=unreadable):
                try:
                    st = os.stat(dirpath)
                except OSError:
                    dirnames[:] = []
                    continue
                if (st.st_dev, st.st_ino) in seen_dirs:
                    dirnames[:] = []
                    continue
                seen_dirs.add((st.st_dev, st.st_ino))
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for name in sorted(filenames):
                    if name.startswith((".", "~$")):  # and Word's lock files
                        ignored["(hidden)"] += 1
                        continue
                    f = Path(dirpath) / name
                    if f.suffix.lower() not in SUFFIXES:
                        ignored[f.suffix.lower() or "(no suffix)"] += 1
                    elif f.exists() and not f.is_file():  # reading a pipe could wait forever
                        problems.append(Problem(f"{f}: not a regular file (a pipe, socket or device); skipped"))
                    else:
                        found.append(f)
            if not found and len(problems) == before:
                problems.append(Problem(f"{p}: folder has no {KINDS} files"))
            files.extend(found)
        elif not path.exists():
            problems.append(Problem(f"{p}: no such file or folder"))
        elif path.suffix.lower() not in SUFFIXES:
            problems.append(Problem(_unsupported(p, path.suffix)))
        else:
            files.append(path)
    return files, problems, ignored


def _unsupported(p, suffix: str) -> str:
    from ..inputs.documents import REFUSED_SUFFIXES, refusal

    if suffix.lower() in REFUSED_SUFFIXES:
        return refusal(str(p), suffix.lower())
    return f"{p}: unsupported file type {suffix or '(no suffix)'!r}; give {KINDS} files or folders"


def _html_tools():
    """``(decode, extract_page)`` from spinscope.inputs.html, or None when it is not available."""
    try:
        from ..inputs.html import decode_html_bytes, extract_page
    except ImportError:  # pragma: no cover - spinscope.inputs ships with spinscope
        return None
    return decode_html_bytes, extract_page


def _bounded_lines(f, limit: int = MAX_INPUT_BYTES) -> Iterator[bytes | None]:
    """The lines of a binary file, each read only up to ``limit`` bytes: a longer line is skipped
    (read through in pieces) and given as None, so one endless line cannot fill memory."""
    while True:
        line = f.readline(limit + 1)
        if not line:
            return
        if len(line) <= limit or line.endswith(b"\n"):
            yield line
            continue
        while line and not line.endswith(b"\n"):
            line = f.readline(1 << 20)
        yield None


def _read_jsonl(path: Path, default_source: str | None) -> Iterator[Record | Problem]:
    with open(path, "rb") as f:
        for n, raw in enumerate(_bounded_lines(f), 1):
            where = f"{path}: line {n}"
            if raw is None:
                yield Problem(f"{where}: longer than {MAX_INPUT_BYTES:,} bytes, too large for an article")
                continue
            if not raw.strip():
                continue
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                yield Problem(f"{where}: not UTF-8 (invalid byte 0x{raw[e.start]:02x})")
                continue
            if n == 1:
                line = line.lstrip("\ufeff")
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                yield Problem(f"{where}: invalid JSON ({e.msg} at column {e.colno})")
                continue
            except (ValueError, RecursionError) as e:  # a 5,000-digit number, or nesting too deep
                yield Problem(f"{where}: invalid JSON ({str(e).split(';')[0] or type(e).__name__})")
                continue
            try:
                yield record_from_fields(obj, where, default_source)
            except ValueError as e:
                yield Problem(f"{where}: {e}")


def _read_csv(path: Path, default_source: str | None) -> Iterator[Record | Problem]:
    csv.field_size_limit(MAX_INPUT_BYTES)
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            if reader.fieldnames is None:
                yield Problem(f"{path}: empty CSV file")
                return
            if "text" not in reader.fieldnames:
                yield Problem(f"{path}: CSV has no 'text' column (columns: {', '.join(reader.fieldnames)[:200]})")
                return
            for n, row in enumerate(reader, 1):
                where = f"{path}: row {n}"
                row = {k: None if v == "" and k != "text" else v for k, v in row.items()}
                try:
                    yield record_from_fields(row, where, default_source)
                except ValueError as e:
                    yield Problem(f"{where}: {e}")
    except UnicodeDecodeError as e:
        yield Problem(f"{path}: not UTF-8 text (invalid byte 0x{e.object[e.start]:02x}); the rest of the file was skipped")
    except csv.Error as e:
        yield Problem(f"{path}: malformed CSV ({e}); the rest of the file was skipped")


def read_records(files: Iterable[Path], default_source: str | None = None) -> Iterator[Record | Problem]:
    """Every document in ``files`` (see :func:`expand_paths`), or a :class:`Problem` for each bad one."""
    for path in files:
        suffix = path.suffix.lower()
        try:
            if suffix in JSONL_SUFFIXES:
                yield from _read_jsonl(path, default_source)
            elif suffix in CSV_SUFFIXES:
                yield from _read_csv(path, default_source)
            else:
                yield _file_record(path, default_source)
        except InputError as e:
            yield Problem(str(e))
        except OSError as e:
            yield Problem(f"{path}: cannot read ({e.strerror or e})")


def _file_record(path: Path, default_source: str | None) -> Record | Problem:
    """The one document of a text, HTML, PDF, Word or Markdown file (by its content, then its suffix)."""
    from ..inputs.documents import document_page, has_document_magic

    is_html = path.suffix.lower() in HTML_SUFFIXES
    data = read_file_bytes(path, binary_hint="an HTML or text file" if is_html else "a UTF-8 text file",
                           binary_ok=has_document_magic)
    page = document_page(data, str(path))
    if page is None and is_html:
        html = _html_tools()
        if html is None:
            return Problem(f"{path}: HTML input is not available in this installation")
        decode, extract = html
        page = extract(decode(data, str(path)))
        if not page.text.strip():
            return Problem(f"{path}: no article text found in the HTML")
    elif page is None:
        text = decode_bytes(data, str(path))
        if not text.strip():
            return Problem(f"{path}: empty text")
        return Record(text=text, origin=str(path), source=default_source)
    if not page.text.strip():
        return Problem(f"{path}: empty text")
    # a page whose article body was not found, or text extracted from a PDF, keeps its note in the metadata
    return Record(text=page.text, origin=str(path), title=page.title, source=default_source,
                  metadata={"input_note": page.note} if page.note else {})


def count_records(files: Iterable[Path]) -> int:
    """About how many documents ``files`` hold (for the progress bar): cheap, no parsing of texts."""
    n = 0
    for path in files:
        suffix = path.suffix.lower()
        try:
            if suffix in JSONL_SUFFIXES:
                with open(path, "rb") as f:
                    n += sum(1 for line in f if line.strip())
            elif suffix in CSV_SUFFIXES:
                csv.field_size_limit(MAX_INPUT_BYTES)
                with open(path, encoding="utf-8-sig", newline="", errors="replace") as f:
                    n += max(0, sum(1 for _ in csv.reader(f)) - 1)
            else:
                n += 1
        except (OSError, csv.Error):
            n += 1
    return n


