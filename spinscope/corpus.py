"""Whole corpora: ingest many articles into one SQLite store, analyse each once, query them.

- :func:`add_paths` reads ``.txt``, ``.html``, ``.pdf``, ``.docx`` and ``.md`` files (see
  :mod:`spinscope.formats`), folders, and JSONL/CSV files with the fields
  ``text`` (required), ``title``, ``url``, ``source``, ``published`` (ISO date) and any others (kept
  as metadata). Each document is identified by the SHA-256 of its text: adding it again stores
  nothing new. Every document is written together with its analysis in one transaction (small
  batches), so an interrupted ``add`` (even ``kill -9``) can simply be run again.
- :func:`reanalyze` re-runs a (newer) model over stored documents: explicit, never automatic.
- :func:`stats` and :func:`compare` give technique counts and densities, grouped and filtered;
  :func:`corpus_router` serves them as a dashboard (FastAPI ``APIRouter``, server-side SVG).
- :func:`run_to_parquet` analyses inputs into Parquet files (``--engine local``, or a Ray cluster
  with ``--engine ray``, see :mod:`spinscope.corpus_ray`); :func:`import_parquet` loads them.

The store (SQLite, WAL mode) is versioned: ``PRAGMA user_version`` is the schema version and
:data:`MIGRATIONS` bring an older store up to date when it is opened.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import math
import os
import sqlite3
import sys
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Callable, Iterable, Iterator

from . import __version__
from .document import (
    Alternative,
    Analysis,
    Claim,
    Entity,
    InputError,
    Mention,
    Span,
    check_unicode,
    covered_length,
    MAX_INPUT_BYTES,
    decode_bytes,
    read_file_bytes,
    split_sentences,
)
from .formats import DOCUMENT_SUFFIXES
from .output import err
from .sources import HTML_SUFFIXES

SCHEMA_VERSION = 2
# an analysis's notes for the reader (Analysis.notes) are stored in its model_info JSON under this key
NOTES_KEY = "analysis_notes"


def _model_with_notes(result: dict) -> dict:
    """The result's model information as stored: with its notes, if any, under :data:`NOTES_KEY`."""
    model = result.get("model") or {}
    return {**model, NOTES_KEY: list(result["notes"])} if result.get("notes") else model


def _split_notes(model: dict) -> tuple[dict, list[str]]:
    """Stored model information back into ``(model, notes)`` (the inverse of :func:`_model_with_notes`)."""
    model = dict(model)
    return model, model.pop(NOTES_KEY, [])
FIELDS = ("text", "title", "url", "source", "published")
TEXT_SUFFIXES = (".txt",)
JSONL_SUFFIXES = (".jsonl", ".ndjson")
CSV_SUFFIXES = (".csv",)
SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES + DOCUMENT_SUFFIXES + JSONL_SUFFIXES + CSV_SUFFIXES
KINDS = ".txt, .html, .pdf, .docx, .md, .jsonl or .csv"
GROUPINGS = ("technique", "source", "month", "entity")
STAT_FORMATS = ("table", "csv", "json")
NO_GROUP = "(none)"  # group value of documents without a source / date


class CorpusError(Exception):
    """Something that stops a corpus command; the message is one line for the user."""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def text_hash(text: str) -> str:
    """The content hash that identifies a document: SHA-256 of its exact text (UTF-8)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- inputs ----------------------------------------------------------------------------------


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
    from .formats import REFUSED_SUFFIXES, refusal

    if suffix.lower() in REFUSED_SUFFIXES:
        return refusal(str(p), suffix.lower())
    return f"{p}: unsupported file type {suffix or '(no suffix)'!r}; give {KINDS} files or folders"


def _html_tools():
    """``(decode, extract_page)`` from spinscope.sources, or None when it is not available."""
    try:
        from .sources import decode_html_bytes, extract_page
    except ImportError:  # pragma: no cover - spinscope.sources ships with spinscope
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
    from .formats import document_page, has_document_magic

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


# --- analysis results ------------------------------------------------------------------------


def result_from_analysis(analysis: Analysis) -> dict:
    """What the store keeps of an analysis (texts of spans, claims and mentions are cut from the text)."""
    d = analysis.as_dict()
    for key in ("spans", "claims"):
        for item in d[key]:
            item.pop("text", None)
    for ent in d["entities"]:
        ent["mentions"] = [[m["start"], m["end"]] for m in ent["mentions"]]
    return {"model": d["model"], "notes": d["notes"], "spans": d["spans"], "claims": d["claims"],
            "entities": d["entities"]}


def analysis_from_result(text: str, title: str | None, result: dict) -> Analysis:
    """Rebuild the :class:`Analysis` that :func:`result_from_analysis` was made from."""
    spans = [
        Span(start=s["start"], end=s["end"], technique=s["technique"], score=s["score"], text=text[s["start"]:s["end"]],
             explanation=s.get("explanation", ""), span_score=s.get("span_score", 0.0),
             triggers=tuple(s.get("triggers", ())),
             alternatives=tuple(Alternative(a["technique"], a["score"]) for a in s.get("alternatives", ())),
             target=s.get("target"), technique_score=s.get("technique_score", 0.0))
        for s in result.get("spans", ())
    ]
    claims = [Claim(c["start"], c["end"], text[c["start"]:c["end"]], c["score"]) for c in result.get("claims", ())]
    entities = [
        Entity(id=e["id"], name=e["name"], label=e["label"],
               mentions=[Mention(a, b, text[a:b]) for a, b in e.get("mentions", ())],
               country=e.get("country"), techniques=dict(e.get("techniques") or {}))
        for e in result.get("entities", ())
    ]
    return Analysis(text=text, title=title, sentences=split_sentences(text), spans=spans,
                    model=dict(result.get("model") or {}), claims=claims, entities=entities,
                    notes=list(result.get("notes") or ()))


# --- the store -------------------------------------------------------------------------------

_SCHEMA_1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    command TEXT NOT NULL,
    model_name TEXT NOT NULL,
    model_version TEXT NOT NULL,
    model_fingerprint TEXT NOT NULL,
    model_info TEXT NOT NULL,
    spinscope_version TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    n_documents INTEGER NOT NULL DEFAULT 0,
    options TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE documents (
    id INTEGER PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,
    text TEXT NOT NULL,
    title TEXT,
    url TEXT,
    source TEXT,
    published TEXT,
    origin TEXT,
    metadata TEXT NOT NULL DEFAULT '{}',
    words INTEGER NOT NULL,
    chars INTEGER NOT NULL,
    added_at TEXT NOT NULL,
    analysis_id INTEGER REFERENCES analyses(id)
);
CREATE INDEX documents_source ON documents(source, published);
CREATE INDEX documents_published ON documents(published);
CREATE INDEX documents_analysis ON documents(analysis_id);
CREATE TABLE analyses (
    id INTEGER PRIMARY KEY,
    doc_id INTEGER NOT NULL REFERENCES documents(id),
    run_id INTEGER NOT NULL REFERENCES runs(id),
    n_spans INTEGER NOT NULL,
    covered INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    model_info TEXT
);
CREATE INDEX analyses_doc ON analyses(doc_id);
CREATE TABLE spans (
    id INTEGER PRIMARY KEY,
    analysis_id INTEGER NOT NULL REFERENCES analyses(id),
    doc_id INTEGER NOT NULL REFERENCES documents(id),
    start_char INTEGER NOT NULL,
    end_char INTEGER NOT NULL,
    technique TEXT NOT NULL,
    score REAL NOT NULL,
    span_score REAL NOT NULL,
    explanation TEXT NOT NULL,
    triggers TEXT NOT NULL,
    alternatives TEXT NOT NULL,
    target TEXT
);
CREATE INDEX spans_analysis ON spans(analysis_id);
CREATE TABLE doc_techniques (
    analysis_id INTEGER NOT NULL REFERENCES analyses(id),
    doc_id INTEGER NOT NULL REFERENCES documents(id),
    technique TEXT NOT NULL,
    n_spans INTEGER NOT NULL,
    covered INTEGER NOT NULL,
    PRIMARY KEY (analysis_id, technique)
) WITHOUT ROWID;
CREATE TABLE claims (
    id INTEGER PRIMARY KEY,
    analysis_id INTEGER NOT NULL REFERENCES analyses(id),
    doc_id INTEGER NOT NULL REFERENCES documents(id),
    start_char INTEGER NOT NULL,
    end_char INTEGER NOT NULL,
    score REAL NOT NULL
);
CREATE INDEX claims_analysis ON claims(analysis_id);
CREATE TABLE entities (
    id INTEGER PRIMARY KEY,
    analysis_id INTEGER NOT NULL REFERENCES analyses(id),
    doc_id INTEGER NOT NULL REFERENCES documents(id),
    key TEXT NOT NULL,
    name TEXT NOT NULL,
    label TEXT NOT NULL,
    country TEXT,
    n_mentions INTEGER NOT NULL,
    mentions TEXT NOT NULL,
    techniques TEXT NOT NULL,
    n_spans INTEGER NOT NULL,
    covered INTEGER NOT NULL
);
CREATE INDEX entities_analysis ON entities(analysis_id);
CREATE VIRTUAL TABLE documents_fts USING fts5(
    title, text, content='documents', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
);
"""

# MIGRATIONS[v] takes a store at version v-1 to version v (one transaction each).
# (Never executescript(): it commits the open transaction first.)


def _statements(conn: sqlite3.Connection, script: str) -> None:
    for stmt in script.split(";"):
        if stmt.strip():
            conn.execute(stmt)


MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {
    1: lambda conn: _statements(conn, _SCHEMA_1),
    # 0.9.0: the classifier's probability of a span's technique (spans stored before read as 0)
    2: lambda conn: conn.execute("ALTER TABLE spans ADD COLUMN technique_score REAL"),
}


def _connect(path: str | Path, readonly: bool = False) -> sqlite3.Connection:
    if readonly:
        from urllib.parse import quote

        where = Path(path).resolve()
        # in a folder nobody may write, no writer can exist, and SQLite could not create the WAL
        # index it needs to read: the file is opened as immutable
        flags = "mode=ro" + ("" if os.access(where.parent, os.W_OK) else "&immutable=1")
        conn = sqlite3.connect(f"file:{quote(where.as_posix())}?{flags}", uri=True, isolation_level=None,
                               check_same_thread=False)
    else:
        conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout = 30000")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def migrate(conn: sqlite3.Connection, target: int | None = None) -> int:
    """Bring the store to schema ``target`` (default: :data:`SCHEMA_VERSION`); returns the old version."""
    target = SCHEMA_VERSION if target is None else target
    old = conn.execute("PRAGMA user_version").fetchone()[0]
    if old == 0 and conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0]:
        raise CorpusError("an SQLite database that is not a spinscope corpus store (it has other tables)")
    if old > SCHEMA_VERSION:
        raise CorpusError(f"the store has schema version {old}, newer than this spinscope knows ({SCHEMA_VERSION}); "
                          "upgrade spinscope")
    for v in range(old + 1, target + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            if conn.execute("PRAGMA user_version").fetchone()[0] >= v:  # another process migrated meanwhile
                conn.execute("ROLLBACK")
                continue
            MIGRATIONS[v](conn)
            conn.execute(f"PRAGMA user_version = {int(v)}")
            conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?)", (str(v),))
            conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('migrated_at', ?)", (_now(),))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    return old


FTS_COPY_MAX_BYTES = 500_000_000  # a read-only store up to this size has its full-text index checked


class Store:
    """A corpus store: one SQLite file (WAL mode). One writer at a time; readers never block it."""

    def __init__(self, path: str | Path, *, create: bool = True, readonly: bool = False):
        self.path = Path(path)
        if not self.path.exists() and (readonly or not create):
            raise CorpusError(f"{path}: no such corpus store")
        if self.path.is_dir():
            raise CorpusError(f"{path}: is a folder, not a corpus store")
        if (readonly or not create) and self.path.stat().st_size == 0:
            raise CorpusError(f"{path}: an empty file, not a corpus store")
        self.readonly = readonly
        try:
            self.conn = _connect(self.path, readonly=readonly)
            if readonly:
                version = self.conn.execute("PRAGMA user_version").fetchone()[0]
                if version != SCHEMA_VERSION:
                    raise CorpusError(f"schema version {version}, expected {SCHEMA_VERSION}; "
                                      "open it once with a spinscope corpus command to migrate it")
            else:
                self.conn.execute("PRAGMA journal_mode = WAL")
                self.conn.execute("PRAGMA synchronous = NORMAL")
                migrate(self.conn)
        except CorpusError as e:
            raise CorpusError(f"{path}: {e}") from None
        except sqlite3.DatabaseError as e:
            raise CorpusError(f"{path}: not a usable corpus store ({e})") from None
        self._runs: dict[str, int] = {}
        self._run_info: dict[int, dict] = {}

    @classmethod
    def for_reading(cls, path: str | Path) -> "Store":
        """An existing store opened to read: read-only where it (or its folder) cannot be written,
        else as usual (so that an older store is migrated first)."""
        p = Path(path)
        writable = p.is_file() and os.access(p, os.W_OK) and os.access(p.resolve().parent, os.W_OK)
        return cls(p, create=False, readonly=not writable)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- writing --

    def has(self, h: str) -> bool:
        return self.conn.execute("SELECT 1 FROM documents WHERE hash = ?", (h,)).fetchone() is not None

    def source_of(self, h: str) -> str | None:
        """The source of the stored document with hash ``h`` (None if none, or not stored)."""
        row = self.conn.execute("SELECT source FROM documents WHERE hash = ?", (h,)).fetchone()
        return row[0] if row else None

    def _run_id(self, command: str, identity: "ModelIdentity", info: dict | None = None,
                options: dict | None = None) -> int:
        """The run of this command with this model (created inside the current transaction).

        ``info`` is what the loaded model reported (``Detector.info``, as carried by the results);
        it is what the store records, ``identity.info`` being only a guess from the model's files."""
        if identity.fingerprint not in self._runs:
            info = {k: v for k, v in (info or identity.info).items() if k != "notes"}  # notes are per document
            cur = self.conn.execute(
                "INSERT INTO runs(command, model_name, model_version, model_fingerprint, model_info, spinscope_version,"
                " started_at, options) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (command, str(info.get("name", "")), str(info.get("version", "")),
                 identity.fingerprint, json.dumps(info, sort_keys=True), __version__, _now(),
                 json.dumps(options or {}, sort_keys=True)))
            self._run_info[cur.lastrowid] = info
            self._runs[identity.fingerprint] = cur.lastrowid
        return self._runs[identity.fingerprint]

    def finish_runs(self) -> None:
        if not self._runs:
            return
        self.conn.execute("BEGIN IMMEDIATE")
        for run_id in self._runs.values():
            self.conn.execute("UPDATE runs SET finished_at = ?, n_documents = "
                              "(SELECT COUNT(*) FROM analyses WHERE run_id = ?) WHERE id = ?", (_now(), run_id, run_id))
        self.conn.execute("COMMIT")
        self._runs.clear()

    def _insert_analysis(self, doc_id: int, run_id: int, text: str, result: dict) -> int:
        spans = result.get("spans", [])
        covered = covered_length((s["start"], s["end"]) for s in spans)
        model = _model_with_notes(result)  # the reader's notes (e.g. not English) ride in model_info
        own = json.dumps(model, sort_keys=True) if model != self._run_info.get(run_id) else None  # e.g. notes
        cur = self.conn.execute("INSERT INTO analyses(doc_id, run_id, n_spans, covered, created_at, model_info)"
                                " VALUES (?, ?, ?, ?, ?, ?)", (doc_id, run_id, len(spans), covered, _now(), own))
        aid = cur.lastrowid
        self.conn.executemany(
            "INSERT INTO spans(analysis_id, doc_id, start_char, end_char, technique, score, span_score, explanation,"
            " triggers, alternatives, target, technique_score) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(aid, doc_id, s["start"], s["end"], s["technique"], s["score"], s.get("span_score", 0.0),
              s.get("explanation", ""), json.dumps(s.get("triggers", []), ensure_ascii=False),
              json.dumps(s.get("alternatives", []), ensure_ascii=False), s.get("target"),
              s.get("technique_score", 0.0)) for s in spans])
        by_tech: dict[str, list[tuple[int, int]]] = {}
        for s in spans:
            by_tech.setdefault(s["technique"], []).append((s["start"], s["end"]))
        self.conn.executemany(
            "INSERT INTO doc_techniques(analysis_id, doc_id, technique, n_spans, covered) VALUES (?, ?, ?, ?, ?)",
            [(aid, doc_id, t, len(iv), covered_length(iv)) for t, iv in by_tech.items()])
        self.conn.executemany(
            "INSERT INTO claims(analysis_id, doc_id, start_char, end_char, score) VALUES (?, ?, ?, ?, ?)",
            [(aid, doc_id, c["start"], c["end"], c["score"]) for c in result.get("claims", [])])
        ents = []
        for e in result.get("entities", []):
            targeted = [(s["start"], s["end"]) for s in spans if s.get("target") == e["id"]]
            ents.append((aid, doc_id, e["id"], e["name"], e["label"], e.get("country"), len(e.get("mentions", [])),
                         json.dumps(e.get("mentions", [])), json.dumps(e.get("techniques") or {}, ensure_ascii=False),
                         len(targeted), covered_length(targeted)))
        self.conn.executemany(
            "INSERT INTO entities(analysis_id, doc_id, key, name, label, country, n_mentions, mentions, techniques,"
            " n_spans, covered) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", ents)
        self.conn.execute("UPDATE documents SET analysis_id = ? WHERE id = ?", (aid, doc_id))
        return aid

    def write_new(self, items: list[tuple[Record, dict]], command: str, identity: "ModelIdentity",
                  options: dict | None = None) -> int:
        """Store documents with their analyses, all in one transaction; returns how many were new."""
        if not items:
            return 0
        added = 0
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            run_id = self._run_id(command, identity, items[0][1].get("model"), options)
            for rec, result in items:
                cur = self.conn.execute(
                    "INSERT OR IGNORE INTO documents(hash, text, title, url, source, published, origin, metadata, words,"
                    " chars, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (rec.hash, rec.text, rec.title, rec.url, rec.source, rec.published, rec.origin,
                     json.dumps(rec.metadata, ensure_ascii=False, sort_keys=True, default=str),
                     len(rec.text.split()), len(rec.text), _now()))
                if cur.rowcount == 0:
                    continue  # stored meanwhile (another process)
                doc_id = cur.lastrowid
                self.conn.execute("INSERT INTO documents_fts(rowid, title, text) VALUES (?, ?, ?)",
                                  (doc_id, rec.title or "", rec.text))
                self._insert_analysis(doc_id, run_id, rec.text, result)
                added += 1
            self.conn.execute("COMMIT")
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        return added

    def write_reanalysis(self, items: list[tuple[int, str, dict]], identity: "ModelIdentity",
                         options: dict | None = None) -> int:
        """New analyses ``(doc_id, text, result)`` of stored documents, in one transaction."""
        if not items:
            return 0
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            run_id = self._run_id("reanalyze", identity, items[0][2].get("model"), options)
            for doc_id, text, result in items:
                self._insert_analysis(doc_id, run_id, text, result)
            self.conn.execute("COMMIT")
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        return len(items)

    # -- reading --

    def document(self, doc_id: int) -> dict | None:
        cur = self.conn.execute(
            "SELECT d.id, d.hash, d.text, d.title, d.url, d.source, d.published, d.origin, d.metadata, d.words, d.chars,"
            " d.added_at, d.analysis_id, COALESCE(a.model_info, r.model_info) AS model_info FROM documents d LEFT JOIN analyses a ON a.id = d.analysis_id"
            " LEFT JOIN runs r ON r.id = a.run_id WHERE d.id = ?", (doc_id,))
        row = cur.fetchone()
        if row is None:
            return None
        keys = [c[0] for c in cur.description]
        doc = dict(zip(keys, row))
        doc["metadata"] = json.loads(doc["metadata"] or "{}")
        doc["model"], doc["notes"] = _split_notes(json.loads(doc.pop("model_info") or "{}"))
        return doc

    def result(self, analysis_id: int) -> dict:
        """The stored analysis as a result dict (see :func:`result_from_analysis`)."""
        row = self.conn.execute("SELECT COALESCE(a.model_info, r.model_info) FROM analyses a JOIN runs r"
                                " ON r.id = a.run_id WHERE a.id = ?", (analysis_id,)).fetchone()
        spans = [
            {"start": s, "end": e, "technique": t, "score": sc, "span_score": ss, "explanation": ex,
             "triggers": json.loads(tr), "alternatives": json.loads(al), "target": tg, "technique_score": ts or 0.0}
            for s, e, t, sc, ss, ex, tr, al, tg, ts in self.conn.execute(
                "SELECT start_char, end_char, technique, score, span_score, explanation, triggers, alternatives, target,"
                " technique_score"
                " FROM spans WHERE analysis_id = ? ORDER BY id", (analysis_id,))
        ]
        claims = [{"start": s, "end": e, "score": sc} for s, e, sc in self.conn.execute(
            "SELECT start_char, end_char, score FROM claims WHERE analysis_id = ? ORDER BY id", (analysis_id,))]
        entities = [
            {"id": k, "name": n, "label": lb, "country": c, "mentions": json.loads(m), "techniques": json.loads(t)}
            for k, n, lb, c, m, t in self.conn.execute(
                "SELECT key, name, label, country, mentions, techniques FROM entities WHERE analysis_id = ? ORDER BY id",
                (analysis_id,))
        ]
        model, notes = _split_notes(json.loads(row[0]) if row else {})
        return {"model": model, "notes": notes, "spans": spans, "claims": claims, "entities": entities}

    def analysis(self, doc_id: int) -> tuple[Analysis, dict]:
        """The stored document's current :class:`Analysis`, rebuilt, and the document's fields."""
        doc = self.document(doc_id)
        if doc is None:
            raise KeyError(doc_id)
        result = self.result(doc["analysis_id"]) if doc["analysis_id"] else {"model": {}}
        return analysis_from_result(doc["text"], doc["title"], result), doc

    def info(self) -> dict:
        c = self.conn
        runs = [dict(zip(("id", "command", "model_name", "model_version", "model_fingerprint", "started_at",
                          "finished_at", "n_documents", "options"), r[:-1] + (json.loads(r[-1]),)))
                for r in c.execute("SELECT id, command, model_name, model_version, model_fingerprint, started_at,"
                                   " finished_at, CASE WHEN finished_at IS NULL THEN (SELECT COUNT(*) FROM analyses a"
                                   " WHERE a.run_id = runs.id) ELSE n_documents END, options FROM runs ORDER BY id")]
        models = [{"name": n, "version": v, "fingerprint": f, "documents": k} for n, v, f, k in c.execute(
            "SELECT r.model_name, r.model_version, r.model_fingerprint, COUNT(*) FROM documents d"
            " JOIN analyses a ON a.id = d.analysis_id JOIN runs r ON r.id = a.run_id GROUP BY 1, 2, 3 ORDER BY 4 DESC")]
        return {
            "path": str(self.path),
            "schema_version": c.execute("PRAGMA user_version").fetchone()[0],
            "documents": c.execute("SELECT COUNT(*) FROM documents").fetchone()[0],
            "words": c.execute("SELECT COALESCE(SUM(words), 0) FROM documents").fetchone()[0],
            "spans": c.execute("SELECT COALESCE(SUM(a.n_spans), 0) FROM documents d JOIN analyses a"
                               " ON a.id = d.analysis_id").fetchone()[0],
            "sources": c.execute("SELECT COUNT(DISTINCT source) FROM documents").fetchone()[0],
            "published": list(c.execute("SELECT MIN(published), MAX(published) FROM documents").fetchone()),
            "models": models,
            "runs": runs,
        }

    def check(self) -> list[str]:
        """Consistency problems (empty when the store is sound): used by tests and ``corpus info --check``."""
        c = self.conn
        out = []
        ok = c.execute("PRAGMA integrity_check").fetchone()[0]
        if ok != "ok":
            out.append(f"integrity_check: {ok}")
        if c.execute("PRAGMA foreign_key_check").fetchone():
            out.append("foreign key violations")
        n = c.execute("SELECT COUNT(*) FROM documents WHERE analysis_id IS NULL").fetchone()[0]
        if n:
            out.append(f"{n} documents without an analysis")
        n = c.execute("SELECT COUNT(*) FROM documents d JOIN analyses a ON a.id = d.analysis_id"
                      " WHERE a.doc_id != d.id").fetchone()[0]
        if n:
            out.append(f"{n} documents point at another document's analysis")
        n = c.execute("SELECT COUNT(*) FROM analyses a WHERE a.n_spans != (SELECT COUNT(*) FROM spans s"
                      " WHERE s.analysis_id = a.id)").fetchone()[0]
        if n:
            out.append(f"{n} analyses with missing or extra spans")
        n = c.execute("SELECT COUNT(*) FROM spans s LEFT JOIN analyses a ON a.id = s.analysis_id"
                      " WHERE a.id IS NULL").fetchone()[0]
        if n:
            out.append(f"{n} orphan spans")
        problem = self._fts_problem()
        if problem:
            out.append(f"full-text index: {problem}")
        return out

    def _fts_problem(self) -> str | None:
        """What FTS5's integrity check says is wrong with the full-text index, if anything. The
        check is written as an INSERT, so a read-only store is checked in a copy in memory."""
        conn = self.conn
        if self.readonly:
            if self.path.stat().st_size > FTS_COPY_MAX_BYTES:
                return None
            conn = sqlite3.connect(":memory:")
            self.conn.backup(conn)
        try:
            conn.execute("INSERT INTO documents_fts(documents_fts, rank) VALUES ('integrity-check', 1)")
        except sqlite3.DatabaseError as e:
            return str(e)
        finally:
            if conn is not self.conn:
                conn.close()
        return None


# --- the model -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelIdentity:
    """What the store records of a model: ``Detector.info`` and a fingerprint of its files."""

    info: dict
    fingerprint: str
    model_dir: str | None  # None: the shipped model


def model_identity(model: str | Path | None = None, detector=None) -> ModelIdentity:
    """Identify a model without loading it (``detector``: an already loaded one)."""
    if detector is not None:
        cfg = Path(getattr(detector, "model_dir", "")) / "config.json"
        raw = cfg.read_bytes() if cfg.is_file() else json.dumps(detector.info, sort_keys=True).encode()
        return ModelIdentity(dict(detector.info), hashlib.sha256(raw).hexdigest()[:16],
                             str(detector.model_dir) if hasattr(detector, "model_dir") else None)
    from .detect import MODEL_DIR

    folder = Path(model) if model else MODEL_DIR
    cfg_path = folder / "config.json"
    try:
        raw = cfg_path.read_bytes()
        cfg = json.loads(raw)
    except FileNotFoundError:
        raise CorpusError(f"no model in {folder} (config.json missing); train one with 'spinscope train'") from None
    except (OSError, ValueError) as e:
        raise CorpusError(f"{cfg_path}: cannot read the model configuration ({e})") from None
    # the same fields as Detector.info
    info = {"name": cfg.get("name", "spinscope-techniques"), "version": cfg.get("version", "unknown"),
            "threshold": cfg.get("threshold")}
    return ModelIdentity(info, hashlib.sha256(raw).hexdigest()[:16], str(folder) if model else None)


def load_detector(model_dir: str | None, threads: int | None = None):
    from .detect import Detector, ModelError, default_detector

    try:
        if model_dir is None and threads is None:
            return default_detector()
        return Detector(model_dir, threads=threads)
    except ModelError as e:
        raise CorpusError(str(e)) from None
    except ImportError as e:
        raise CorpusError(f"cannot load the model: missing dependency ({e.name or e})") from None


def analyze_one(detector, text: str, title: str | None, options: dict | None = None) -> dict:
    """Analyse one text into a result dict; ``{"error": ...}`` if the analysis itself fails.

    ``options``: keyword arguments for :func:`spinscope.analyze` (``claims``, ``entities``)."""
    from . import analyze

    try:
        return result_from_analysis(analyze(text, title=title, detector=detector, **(options or {})))
    except Exception as e:  # noqa: BLE001 - reported per document, the others go on
        return _failed(e)


def _failed(e: BaseException) -> dict:
    """The result of an analysis that raised ``e``."""
    return {"error": f"analysis failed ({type(e).__name__}: {e})"}


# worker processes (multiprocessing): each loads the model once, in its initializer
_WORKER: dict = {}


def _die_with_parent() -> None:
    """Make a worker end when its parent dies (even by SIGKILL), so that none is left behind."""
    parent = os.getppid()
    try:  # Linux: the kernel sends SIGKILL when the parent goes
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:  # noqa: BLE001 - not Linux: the watchdog below does it
        pass

    def watch():
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def warm_up(detector, options: dict | None = None) -> None:
    """Load every model that :func:`spinscope.analyze` uses lazily (entities, claims) now, once."""
    analyze_one(detector, "Warm-up: the council met on Monday in Paris.", None, options)


def _init_worker(model_dir: str | None, threads: int | None, options: dict | None = None) -> None:
    _die_with_parent()
    try:
        _WORKER["detector"] = load_detector(model_dir, threads)
        _WORKER["options"] = options or {}
        warm_up(_WORKER["detector"], options)
    except Exception as e:  # noqa: BLE001 - reported by the first task, not by a crash loop
        _WORKER["error"] = CorpusError(str(e))


def _work(batch: list[tuple[str, str | None]]) -> list[dict]:
    if "error" in _WORKER:
        raise _WORKER["error"]
    det = _WORKER["detector"]
    return [analyze_one(det, text, title, _WORKER["options"]) for text, title in batch]


def analyse_stream(items: Iterator[tuple[object, str, str | None]], *, workers: int = 1, model: str | None = None,
                   detector=None, task_size: int = 4, options: dict | None = None) -> Iterator[tuple[object, dict]]:
    """Analyse ``(key, text, title)`` items; yields ``(key, result)`` in input order.

    ``workers`` > 1 runs that many processes, each loading the model once (the caller, alone,
    writes the results). At most a few batches per worker are in flight, so memory stays flat
    however many items come.
    """
    if workers <= 1 or detector is not None:
        from . import analyze_many

        det = detector or load_detector(model)
        # pipelined: spaCy on one document while the technique model reads the next
        for res, key in analyze_many(((text, key) for key, text, _ in items), detector=det, as_tuples=True,
                                     return_exceptions=True, **(options or {})):
            if isinstance(res, Exception):
                yield key, _failed(res)
            else:
                yield key, result_from_analysis(res)
        return
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    threads = None if os.environ.get("SPINSCOPE_THREADS") else max(1, (os.cpu_count() or 1) // workers)
    pool = ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn"), initializer=_init_worker,
                               initargs=(model, threads, options))
    inflight: deque = deque()
    max_inflight = workers * 3
    try:
        batch: list = []

        def submit(b):
            inflight.append((b, pool.submit(_work, [(t, ti) for _, t, ti in b])))

        def drain(limit):
            while len(inflight) > limit:
                b, fut = inflight.popleft()
                try:
                    results = fut.result()
                except BrokenProcessPool:
                    raise CorpusError("a worker process died (out of memory?); what was stored is kept: "
                                      "run the command again to go on") from None
                for (key, _, _), r in zip(b, results):
                    yield key, r

        for item in items:
            batch.append(item)
            if len(batch) >= task_size:
                submit(batch)
                batch = []
                yield from drain(max_inflight)
        if batch:
            submit(batch)
        yield from drain(0)
    finally:
        for _, fut in inflight:
            fut.cancel()
        pool.shutdown(wait=True, cancel_futures=True)


# --- progress --------------------------------------------------------------------------------


class Progress:
    """A progress bar with rate and ETA on stderr (rich), or plain lines every few seconds when
    stderr is not a terminal; problems are printed as ``spinscope: ...`` lines either way."""

    def __init__(self, total: int | None, label: str, *, quiet: bool = False, stream=None, every: float = 5.0,
                 summary: bool = True):
        self.stream = stream or sys.stderr
        self.summary = summary
        self.total, self.label, self.quiet, self.every = total, label, quiet, every
        self.done = 0
        self.t0 = time.monotonic()
        self._last = self.t0
        self._bar = None
        if not quiet and summary and self.stream.isatty():
            from rich.console import Console
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress as RichProgress, ProgressColumn,
                                       TextColumn, TimeElapsedColumn, TimeRemainingColumn)
            from rich.text import Text

            class Rate(ProgressColumn):
                def render(self, task):
                    return Text(f"{task.speed:.1f} docs/s" if task.speed else "– docs/s")

            self._bar = RichProgress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), Rate(),
                                     TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                                     console=Console(file=self.stream), transient=False)
            self._bar.start()
            self._task = self._bar.add_task(label, total=total)

    def advance(self, n: int = 1) -> None:
        self.done += n
        if self.total and self.done > self.total:  # the total is counted cheaply, so it can be short
            self.total = self.done
            if self._bar is not None:
                self._bar.update(self._task, total=self.total)
        if self._bar is not None:
            self._bar.advance(self._task, n)
        elif not self.quiet and self.summary:
            now = time.monotonic()
            if now - self._last >= self.every:
                self._last = now
                self._line()

    def _line(self) -> None:
        el = time.monotonic() - self.t0
        rate = self.done / el if el > 0 else 0.0
        tot = f"/{self.total}" if self.total else ""
        eta = ""
        if self.total and rate > 0:
            left = max(0.0, (self.total - self.done) / rate)
            eta = f", ETA {int(left // 3600)}:{int(left % 3600 // 60):02d}:{int(left % 60):02d}"
        print(f"{self.label}: {self.done}{tot} documents, {rate:.1f} docs/s{eta}", file=self.stream, flush=True)

    def problem(self, message: str) -> None:
        from .report import terminal_safe

        message = terminal_safe(message)
        if self._bar is not None:
            self._bar.console.print(f"spinscope: {message}", markup=False, highlight=False)
        else:
            print(f"spinscope: {message}", file=self.stream, flush=True)

    def note(self, message: str) -> None:
        if self.quiet:
            return
        if self._bar is not None:
            self._bar.console.print(message, markup=False, highlight=False)
        else:
            print(message, file=self.stream, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
        elif not self.quiet and self.summary and self.done:
            self._line()


# --- add and reanalyze -----------------------------------------------------------------------


@dataclass
class Report:
    """What a corpus command did."""

    added: int = 0  # documents stored (add/import) or re-analysed (reanalyze)
    existing: int = 0  # documents already in the store (or repeated in the input)
    kept_source: int = 0  # of those, stored under another source, which they keep
    problems: list[str] = field(default_factory=list)  # skipped inputs, "path: reason"
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return {"added": self.added, "existing": self.existing, "problems": len(self.problems),
                "seconds": round(self.seconds, 3)}


class _Writer:
    """Buffers results and commits them in small transactions (by count, or once a second)."""

    def __init__(self, flush: Callable[[list], int], batch: int, interval: float = 1.0):
        self.flush_fn, self.batch, self.interval = flush, max(1, batch), interval
        self.items: list = []
        self.keys: set = set()
        self.last = time.monotonic()
        self.written = 0

    def add(self, key, item) -> None:
        self.items.append(item)
        self.keys.add(key)
        if len(self.items) >= self.batch or time.monotonic() - self.last >= self.interval:
            self.flush()

    def flush(self) -> None:
        if self.items:
            self.written += self.flush_fn(self.items)
        self.items = []
        self.keys.clear()
        self.last = time.monotonic()


def add_paths(db: str | Path, paths: Iterable[str | Path], *, source: str | None = None, workers: int = 1,
              model: str | Path | None = None, detector=None, batch: int = 16, quiet: bool = False,
              stream=None, claims: bool = True, entities: bool = True) -> Report:
    """Ingest files and folders into the store at ``db``; see the module doc. Never raises for bad
    inputs: they are reported (``spinscope: path: reason`` on ``stream``) and listed in the report."""
    t0 = time.monotonic()
    report = Report()
    files, problems, ignored = expand_paths(paths)
    identity = model_identity(model, detector)
    store = Store(db)
    prog = Progress(None if quiet else count_records(files), "corpus add", quiet=quiet, stream=stream)
    for p in problems:
        prog.problem(str(p))
        report.problems.append(str(p))
    if ignored:
        prog.note("ignored in folders: " + ", ".join(f"{n} {s}" for s, n in sorted(ignored.items())))
    options = _options(claims, entities)
    writer = _Writer(lambda items: store.write_new(items, "add", identity, options), batch)
    inflight: set[str] = set()

    def work() -> Iterator[tuple[str, str, str | None]]:
        for item in read_records(files, source):
            if isinstance(item, Problem):
                prog.problem(str(item))
                report.problems.append(str(item))
                prog.advance()
                continue
            if item.hash in inflight or item.hash in writer.keys or store.has(item.hash):
                report.existing += 1
                if item.source is not None and store.source_of(item.hash) not in (None, item.source):
                    report.kept_source += 1
                prog.advance()
                continue
            inflight.add(item.hash)
            records[item.hash] = item
            yield item.hash, item.text, item.title

    records: dict[str, Record] = {}

    def done(h):
        inflight.discard(h)
        rec = records.pop(h)
        return rec.origin, rec

    try:
        _drain(analyse_stream(work(), workers=workers, model=str(model) if model else None, detector=detector,
                              options=options),
               done, identity, prog, report, lambda h, rec, result: writer.add(h, (rec, result)))
        writer.flush()
        store.finish_runs()
    finally:
        prog.close()
        store.close()
    report.added = writer.written
    report.seconds = time.monotonic() - t0
    return report


def _options(claims: bool, entities: bool) -> dict:
    """Keyword arguments for analyze(): only the stages that are switched off (the defaults stay)."""
    return {k: False for k, on in (("claims", claims), ("entities", entities)) if not on}


def _drain(results: Iterator[tuple[object, dict]], done: Callable, identity: ModelIdentity, prog: Progress,
           report: Report, keep: Callable) -> None:
    """Consume ``analyse_stream`` results: ``done(key)`` gives ``(label, item)`` for each; a failed
    analysis is reported as ``label: error``, a good one (made by the expected model) goes to
    ``keep(key, item, result)``."""
    for key, result in results:
        label, item = done(key)
        if "error" in result:
            msg = f"{label}: {result['error']}"
            prog.problem(msg)
            report.problems.append(msg)
        else:
            _check_model(result, identity)
            keep(key, item, result)
        prog.advance()


def _check_model(result: dict, identity: ModelIdentity) -> None:
    got = result.get("model") or {}
    if got.get("name") != identity.info.get("name") or got.get("version") != identity.info.get("version"):
        raise CorpusError(f"the workers ran model {got.get('name')} {got.get('version')}, expected "
                          f"{identity.info.get('name')} {identity.info.get('version')}")


def reanalyze(db: str | Path, *, model: str | Path | None = None, detector=None, workers: int = 1,
              every: bool = False, batch: int = 16, quiet: bool = False, stream=None, claims: bool = True,
              entities: bool = True) -> Report:
    """Analyse again, with ``model``, every stored document whose current analysis was made by
    another model (``every``: all documents). The old analyses are kept (see ``runs``); each
    document's current analysis switches in the same transaction that stores the new one."""
    t0 = time.monotonic()
    store = Store(db, create=False)  # a mistyped path is an error, not a new empty store
    identity = model_identity(model, detector)
    report = Report()
    if every:
        ids = [r[0] for r in store.conn.execute("SELECT id FROM documents ORDER BY id")]
    else:
        ids = [r[0] for r in store.conn.execute(
            "SELECT d.id FROM documents d LEFT JOIN analyses a ON a.id = d.analysis_id LEFT JOIN runs r"
            " ON r.id = a.run_id WHERE r.model_fingerprint IS NULL OR r.model_fingerprint != ? ORDER BY d.id",
            (identity.fingerprint,))]
    report.existing = store.conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0] - len(ids)
    prog = Progress(len(ids), "corpus reanalyze", quiet=quiet, stream=stream)
    options = _options(claims, entities)
    writer = _Writer(lambda items: store.write_reanalysis(items, identity, options), batch)
    texts: dict[int, str] = {}

    def work():
        for k in range(0, len(ids), 256):
            chunk = ids[k:k + 256]
            marks = ",".join("?" * len(chunk))
            rows = store.conn.execute(f"SELECT id, text, title FROM documents WHERE id IN ({marks}) ORDER BY id",
                                      chunk).fetchall()
            for doc_id, text, title in rows:
                texts[doc_id] = text
                yield doc_id, text, title

    try:
        _drain(analyse_stream(work(), workers=workers, model=str(model) if model else None, detector=detector,
                              options=options),
               lambda doc_id: (f"document {doc_id}", texts.pop(doc_id)), identity, prog, report,
               lambda doc_id, text, result: writer.add(doc_id, (doc_id, text, result)))
        writer.flush()
        store.finish_runs()
    finally:
        prog.close()
        store.close()
    report.added = writer.written
    report.seconds = time.monotonic() - t0
    return report


# --- Parquet: the exchange format of `corpus run` / `corpus import` ------------------------------

PARQUET_COLUMNS = ("hash", "text", "title", "url", "source", "published", "origin", "metadata", "model",
                   "model_fingerprint", "spans", "claims", "entities")


def _pyarrow():
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise CorpusError("Parquet needs pyarrow: pip install 'spinscope[ray]'") from None
    return pa, pq


def output_row(rec: dict, result: dict, fingerprint: str) -> dict:
    """One Parquet row: the document's fields and its analysis (JSON strings)."""
    return {
        "hash": rec["hash"], "text": rec["text"], "title": rec.get("title"), "url": rec.get("url"),
        "source": rec.get("source"), "published": rec.get("published"), "origin": rec.get("origin"),
        "metadata": rec["metadata"] if isinstance(rec.get("metadata"), str)
        else json.dumps(rec.get("metadata") or {}, ensure_ascii=False, sort_keys=True, default=str),
        "model": json.dumps(_model_with_notes(result), sort_keys=True),  # notes ride with the model, as in the store
        "model_fingerprint": fingerprint,
        "spans": json.dumps(result.get("spans", []), ensure_ascii=False),
        "claims": json.dumps(result.get("claims", []), ensure_ascii=False),
        "entities": json.dumps(result.get("entities", []), ensure_ascii=False),
    }


def parquet_schema():
    pa, _ = _pyarrow()
    return pa.schema([(c, pa.string()) for c in PARQUET_COLUMNS])


class ParquetSink:
    """Writes rows to ``DIR/part-NNNNN.parquet`` files of at most ``rows_per_file`` rows."""

    def __init__(self, out: Path, rows_per_file: int = 5000):
        pa, pq = _pyarrow()
        self.pa, self.pq = pa, pq
        self.out = Path(out)
        try:
            self.out.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise CorpusError(f"{out}: cannot create folder ({e.strerror or e})") from None
        if any(self.out.glob("part-*.parquet")):
            raise CorpusError(f"{out}: already holds part-*.parquet files; give an empty or new folder")
        self.rows_per_file = rows_per_file
        self.buf: list[dict] = []
        self.writer = None
        self.in_file = 0
        self.files = 0
        self.rows = 0

    def add(self, row: dict) -> None:
        self.buf.append(row)
        if len(self.buf) >= 256:
            self._flush()

    def _flush(self) -> None:
        while self.buf:
            if self.writer is None:
                path = self.out / f"part-{self.files:05d}.parquet"
                self.writer = self.pq.ParquetWriter(str(path), parquet_schema(), compression="zstd")
                self.files += 1
                self.in_file = 0
            take = self.buf[: self.rows_per_file - self.in_file]
            self.buf = self.buf[len(take):]
            self.writer.write_table(self.pa.Table.from_pylist(take, schema=parquet_schema()))
            self.in_file += len(take)
            self.rows += len(take)
            if self.in_file >= self.rows_per_file:
                self.writer.close()
                self.writer = None

    def close(self, manifest: dict) -> None:
        self._flush()
        if self.writer is not None:
            self.writer.close()
        (self.out / "_manifest.json").write_text(json.dumps({**manifest, "rows": self.rows, "files": self.files},
                                                           indent=2), encoding="utf-8")


def unique_records(paths, source: str | None, prog: Progress, report: Report) -> Iterator[Record]:
    """Records of ``paths`` with problems reported and repeated texts dropped (first one kept)."""
    files, problems, ignored = expand_paths(paths)
    for p in problems:
        prog.problem(str(p))
        report.problems.append(str(p))
    if ignored:
        prog.note("ignored in folders: " + ", ".join(f"{n} {s}" for s, n in sorted(ignored.items())))
    seen: set[str] = set()
    for item in read_records(files, source):
        if isinstance(item, Problem):
            prog.problem(str(item))
            report.problems.append(str(item))
            prog.advance()
        elif item.hash in seen:
            report.existing += 1
            prog.advance()
        else:
            seen.add(item.hash)
            yield item


def run_to_parquet(paths, out: str | Path, *, engine: str = "local", address: str | None = None,
                   source: str | None = None, workers: int = 1, model: str | Path | None = None,
                   quiet: bool = False, stream=None, claims: bool = True, entities: bool = True) -> Report:
    """Analyse inputs into Parquet files in ``out`` (rows: :data:`PARQUET_COLUMNS`, sorted like the
    inputs), with local processes (``engine="local"``) or a Ray cluster (``engine="ray"``)."""
    if engine == "ray":
        from .corpus_ray import run_ray

        return run_ray(paths, out, address=address, source=source, workers=workers, model=model, quiet=quiet,
                       stream=stream, claims=claims, entities=entities)
    if engine != "local":
        raise CorpusError(f"unknown engine {engine!r}; use local or ray")
    t0 = time.monotonic()
    identity = model_identity(model)
    sink = ParquetSink(Path(out))
    report = Report()
    files, _, _ = expand_paths(paths)
    prog = Progress(None if quiet else count_records(files), "corpus run", quiet=quiet, stream=stream)
    recs: dict[str, Record] = {}

    def work():
        for rec in unique_records(paths, source, prog, report):
            recs[rec.hash] = rec
            yield rec.hash, rec.text, rec.title

    def done(h):
        rec = recs.pop(h)
        return rec.origin, rec

    def keep(h, rec, result):
        sink.add(output_row(rec.fields(), result, identity.fingerprint))
        report.added += 1

    try:
        _drain(analyse_stream(work(), workers=workers, model=str(model) if model else None,
                              options=_options(claims, entities)),
               done, identity, prog, report, keep)
        sink.close({"engine": "local", "model": identity.info, "options": _options(claims, entities), "model_fingerprint": identity.fingerprint,
                    "spinscope_version": __version__, "created_at": _now(), "problems": len(report.problems)})
    finally:
        prog.close()
    report.seconds = time.monotonic() - t0
    return report


def import_parquet(db: str | Path, folder: str | Path, *, batch: int = 64, quiet: bool = False,
                   stream=None) -> Report:
    """Load the Parquet output of ``corpus run`` into a store (documents already there are skipped)."""
    t0 = time.monotonic()
    folder = Path(folder)
    if not folder.is_dir():
        raise CorpusError(f"{folder}: no such folder")
    _, pq = _pyarrow()
    files = sorted(folder.glob("*.parquet")) or sorted(folder.rglob("*.parquet"))
    if not files:
        raise CorpusError(f"{folder}: no .parquet files")
    report = Report()
    total = 0
    readable = []
    for f in files:
        try:
            pf = pq.ParquetFile(str(f))
            missing = [c for c in ("hash", "text", "model", "model_fingerprint", "spans") if c not in pf.schema_arrow.names]
            if missing:
                raise ValueError(f"missing columns {', '.join(missing)}")
            total += pf.metadata.num_rows
            readable.append(f)
        except Exception as e:  # noqa: BLE001 - any damage: report the file, import the others
            report.problems.append(f"{f}: cannot import ({e})")
    prog = Progress(total, "corpus import", quiet=quiet, stream=stream)
    for p in report.problems:
        prog.problem(p)
    store = Store(db)
    idents: dict[str, ModelIdentity] = {}
    pending: dict[str, list] = {}

    def flush(fp):
        items = pending.pop(fp, [])
        report.added += store.write_new(items, "import", idents[fp])

    try:
        for f in readable:
            for rb in pq.ParquetFile(str(f)).iter_batches(batch_size=256):
                for n, row in enumerate(rb.to_pylist()):
                    try:
                        rec = Record(text=row["text"], origin=row.get("origin") or str(f), title=row.get("title"),
                                     url=row.get("url"), source=row.get("source"), published=row.get("published"),
                                     metadata=json.loads(row.get("metadata") or "{}"))
                        if rec.hash != row["hash"]:
                            raise ValueError("hash does not match the text")
                        model, notes = _split_notes(json.loads(row["model"]))
                        result = {"model": model, "notes": notes, "spans": json.loads(row["spans"]),
                                  "claims": json.loads(row.get("claims") or "[]"),
                                  "entities": json.loads(row.get("entities") or "[]")}
                    except (TypeError, ValueError, AttributeError) as e:
                        msg = f"{f}: row {row.get('origin') or n}: {e}"
                        prog.problem(msg)
                        report.problems.append(msg)
                        prog.advance()
                        continue
                    fp = row["model_fingerprint"]
                    if fp not in idents:
                        idents[fp] = ModelIdentity(result["model"], fp, None)
                    if store.has(rec.hash) or any(rec.hash == r.hash for pl in pending.values() for r, _ in pl):
                        report.existing += 1
                    else:
                        pending.setdefault(fp, []).append((rec, result))
                        if len(pending[fp]) >= batch:
                            flush(fp)
                    prog.advance()
        for fp in list(pending):
            flush(fp)
        store.finish_runs()
    finally:
        prog.close()
        store.close()
    report.seconds = time.monotonic() - t0
    return report


# --- queries ---------------------------------------------------------------------------------


def _date_bound(value: str | None, end: bool) -> str | None:
    """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` as the first (or, for ``end``, last) day it covers."""
    if value is None or value == "":
        return None
    v = value.strip()
    try:
        if len(v) == 4 and v.isdigit():
            return f"{v}-12-31" if end else f"{v}-01-01"
        if len(v) == 7:
            if v[4] != "-" or not (v[:4].isdigit() and v[5:7].isdigit()):  # int() would take "+024"
                raise ValueError
            y, m = int(v[:4]), int(v[5:7])
            if not 1 <= m <= 12:
                raise ValueError
            if not end:
                return date(y, m, 1).isoformat()
            if m == 12:
                return f"{v}-31"  # (9999-12 has no next month to count back from)
            return date.fromordinal(date(y, m + 1, 1).toordinal() - 1).isoformat()
        if len(v) == 10 and v[4] == v[7] == "-" and v[8:].isdigit() and v[:4].isdigit() and v[5:7].isdigit():
            import calendar

            y, m = int(v[:4]), int(v[5:7])
            if 1 <= m <= 12 and y >= 1:  # "2023-02-30": the month's last day
                return date(y, m, min(int(v[8:]), calendar.monthrange(y, m)[1])).isoformat()
        return date.fromisoformat(v).isoformat()
    except ValueError:
        raise CorpusError(f"not a date: {value!r} (give YYYY-MM-DD, YYYY-MM or YYYY)") from None


def fts_query(words: str) -> str:
    """A safe FTS5 query from free words: every word must occur (a trailing * matches a prefix)."""
    terms = []
    for w in words.split():
        prefix = w.endswith("*")
        w = w.rstrip("*").replace('"', "")
        if any(ch.isalnum() for ch in w):  # punctuation alone is no word (and would match nothing)
            terms.append(f'"{w}"' + ("*" if prefix else ""))
    if not terms:
        raise CorpusError("--search needs at least one word")
    return " ".join(terms)


@dataclass
class Filters:
    sources: tuple[str, ...] = ()
    since: str | None = None
    until: str | None = None
    search: str | None = None
    techniques: tuple[str, ...] = ()  # documents that use one of these (article list only)
    wordless_search_fails: bool = True  # a search of punctuation alone: an error (CLI), or no match (web)

    def where(self, alias: str = "d") -> tuple[str, list]:
        parts, params = [f"{alias}.analysis_id IS NOT NULL"], []
        if self.sources:
            parts.append(f"{alias}.source IN ({','.join('?' * len(self.sources))})")
            params += list(self.sources)
        lo, hi = _date_bound(self.since, False), _date_bound(self.until, True)
        if lo:
            parts.append(f"{alias}.published >= ?")
            params.append(lo)
        if hi:
            parts.append(f"{alias}.published <= ?")
            params.append(hi)
        if self.search:
            try:
                query = fts_query(self.search)
            except CorpusError:
                if self.wordless_search_fails:
                    raise
                parts.append("0")  # no words to look for: no document has them
            else:
                parts.append(f"{alias}.id IN (SELECT rowid FROM documents_fts WHERE documents_fts MATCH ?)")
                params.append(query)
        if self.techniques:
            parts.append(f"EXISTS (SELECT 1 FROM doc_techniques t2 WHERE t2.analysis_id = {alias}.analysis_id"
                         f" AND t2.technique IN ({','.join('?' * len(self.techniques))}))")
            params += list(self.techniques)
        return " AND ".join(parts), params

    def as_dict(self) -> dict:
        return {"source": list(self.sources), "since": self.since, "until": self.until, "search": self.search,
                "technique": list(self.techniques)}


_GROUP_SQL = {"technique": "'all'", "source": f"COALESCE(d.source, '{NO_GROUP}')",
              "month": f"COALESCE(substr(d.published, 1, 7), '{NO_GROUP}')"}


def _per_k(n, words) -> float:
    return 1000.0 * n / words if words else 0.0


def _share(covered, chars) -> float:
    return covered / chars if chars else 0.0


def _query(conn: sqlite3.Connection, sql: str, params: list) -> list[tuple]:
    try:
        return conn.execute(sql, params).fetchall()
    except sqlite3.OperationalError as e:
        if "fts5" in str(e).lower() or "MATCH" in sql:
            raise CorpusError(f"search: {e}") from None
        raise


def stats(conn_or_store, by: str = "technique", filters: Filters | None = None, top: int = 50) -> dict:
    """Technique counts and densities of the documents that pass ``filters``, grouped ``by``
    technique (one group), source, month or entity (entities that spans aim at).

    Each row: ``group``, ``technique`` (``"all"`` for all techniques together), ``documents`` (in
    the group; for a technique: those using it), ``words``, ``spans``, ``spans_per_1k_words`` and
    ``share_covered`` (share of the group's characters inside a span of that technique)."""
    conn = conn_or_store.conn if isinstance(conn_or_store, Store) else conn_or_store
    filters = filters or Filters()
    if by not in GROUPINGS:
        raise CorpusError(f"unknown grouping {by!r}; use one of {', '.join(GROUPINGS)}")
    where, params = filters.where()
    total = _query(conn, f"SELECT COUNT(*), COALESCE(SUM(d.words), 0), COALESCE(SUM(d.chars), 0) FROM documents d"
                         f" WHERE {where}", params)[0]
    out = {"by": by, "filters": filters.as_dict(), "documents": total[0], "words": total[1], "rows": []}
    if by == "entity":
        out["rows"] = _entity_rows(conn, where, params, top)
        return out
    g = _GROUP_SQL[by]
    groups = {}
    for key, docs, words, chars, spans, covered in _query(conn, (
            f"SELECT {g}, COUNT(*), SUM(d.words), SUM(d.chars), SUM(a.n_spans), SUM(a.covered) FROM documents d"
            f" JOIN analyses a ON a.id = d.analysis_id WHERE {where} GROUP BY 1"), params):
        groups[key] = {"group": key, "technique": "all", "documents": docs, "words": words, "chars": chars,
                       "spans": spans, "covered": covered}
    per: dict[str, list[dict]] = {}
    for key, tech, docs, spans, covered in _query(conn, (
            f"SELECT {g}, t.technique, COUNT(*), SUM(t.n_spans), SUM(t.covered) FROM documents d"
            f" JOIN doc_techniques t ON t.analysis_id = d.analysis_id WHERE {where} GROUP BY 1, 2"), params):
        gr = groups[key]
        per.setdefault(key, []).append({"group": key, "technique": tech, "documents": docs, "words": gr["words"],
                                        "chars": gr["chars"], "spans": spans, "covered": covered})
    keys = sorted(groups, key=lambda k: (k == NO_GROUP, k))
    if by == "source":
        keys = sorted(groups, key=lambda k: (k == NO_GROUP, -groups[k]["documents"], k))
    for key in keys:
        rows = [groups[key]] + sorted(per.get(key, []), key=lambda r: (-r["spans"], r["technique"]))
        for r in rows:
            out["rows"].append(_finish_row(r))
    return out


def _finish_row(r: dict) -> dict:
    chars = r.pop("chars")
    covered = r.pop("covered")
    r["spans_per_1k_words"] = round(_per_k(r["spans"], r["words"]), 4)
    r["share_covered"] = round(_share(covered, chars), 6)
    return r


def _entity_rows(conn, where: str, params: list, top: int) -> list[dict]:
    rows = _query(conn, f"""
        WITH per AS (
            SELECT lower(e.name) AS k, e.label AS label, MAX(e.name) AS name, e.doc_id AS doc_id,
                   SUM(e.n_mentions) AS mentions, SUM(e.n_spans) AS spans, SUM(e.covered) AS covered
            FROM documents d JOIN entities e ON e.analysis_id = d.analysis_id
            WHERE {where} GROUP BY 1, 2, 4)
        SELECT per.k, per.label, MAX(per.name), COUNT(*), SUM(per.mentions), SUM(per.spans), SUM(per.covered),
               SUM(d.words), SUM(d.chars)
        FROM per JOIN documents d ON d.id = per.doc_id
        GROUP BY 1, 2 ORDER BY SUM(per.spans) DESC, SUM(per.mentions) DESC, 3 LIMIT ?""", params + [top])
    if not rows:
        return []
    keys = [(k, label) for k, label, *_ in rows]
    techs: dict[tuple, Counter] = {k: Counter() for k in keys}
    marks = " OR ".join("(lower(e.name) = ? AND e.label = ?)" for _ in keys)
    for k, label, tech, n in _query(conn, f"""
            SELECT lower(e.name), e.label, j.key, SUM(j.value)
            FROM documents d JOIN entities e ON e.analysis_id = d.analysis_id, json_each(e.techniques) j
            WHERE {where} AND ({marks}) GROUP BY 1, 2, 3""", params + [x for kk in keys for x in kk]):
        techs[(k, label)][tech] += int(n or 0)
    out = []
    for k, label, name, docs, mentions, spans, covered, words, chars in rows:
        group = f"{name} ({label})"
        out.append(_finish_row({"group": group, "technique": "all", "documents": docs, "mentions": mentions,
                                "words": words, "chars": chars, "spans": spans, "covered": covered}))
        for tech, n in sorted(techs[(k, label)].items(), key=lambda kv: (-kv[1], kv[0])):
            out.append({"group": group, "technique": tech, "documents": None, "mentions": None, "words": words,
                        "spans": n, "spans_per_1k_words": round(_per_k(n, words), 4), "share_covered": None})
    return out


def two_proportion_z(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float]:
    """Two-sided two-proportion z-test of ``x1/n1`` against ``x2/n2`` (pooled); ``(z, p)``."""
    if n1 <= 0 or n2 <= 0:
        return 0.0, 1.0
    p = (x1 + x2) / (n1 + n2)
    se = math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))
    if se == 0:
        return 0.0, 1.0
    z = (x1 / n1 - x2 / n2) / se
    return z, math.erfc(abs(z) / math.sqrt(2))


def holm(pvalues: list[float]) -> list[float]:
    """Holm–Bonferroni adjusted p-values (same order as given)."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    adj = [1.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * pvalues[i]))
        adj[i] = running
    return adj


TEST_NOTE = ("two-proportion z-test on spans per word (pooled, two-sided), Holm-adjusted over the techniques; "
             "it treats words as independent, so with few articles read it as a rough guide")


def compare(conn_or_store, a: str, b: str, filters: Filters | None = None) -> dict:
    """Technique profiles of sources ``a`` and ``b`` side by side, with a test per technique."""
    conn = conn_or_store.conn if isinstance(conn_or_store, Store) else conn_or_store
    base = filters or Filters()
    prof = {}
    for src in (a, b):
        f = Filters(sources=(src,), since=base.since, until=base.until, search=base.search)
        prof[src] = stats(conn, "technique", f)
        if prof[src]["documents"] == 0:
            filtered = filters is not None and (filters.since or filters.until or filters.search)
            raise CorpusError(f"no documents from source {src!r}" + (" with these filters" if filtered else ""))
    rows = {}
    for src in (a, b):
        for r in prof[src]["rows"]:
            rows.setdefault(r["technique"], {})[src] = r
    techs = ["all"] + sorted((t for t in rows if t != "all"),
                             key=lambda t: -sum(rows[t][s]["spans"] for s in rows[t]))
    wa, wb = prof[a]["words"], prof[b]["words"]
    out_rows = []
    for t in techs:
        xa = rows[t].get(a, {}).get("spans", 0)
        xb = rows[t].get(b, {}).get("spans", 0)
        z, p = two_proportion_z(xa, wa, xb, wb)
        ra, rb = _per_k(xa, wa), _per_k(xb, wb)
        out_rows.append({"technique": t, "spans_a": xa, "per_1k_a": round(ra, 4), "spans_b": xb,
                         "per_1k_b": round(rb, 4), "difference": round(ra - rb, 4),
                         "ratio": round(ra / rb, 4) if rb else None, "z": round(z, 4), "p": p})
    tech_rows = [r for r in out_rows if r["technique"] != "all"]
    for r, adj in zip(tech_rows, holm([r["p"] for r in tech_rows])):
        r["p_holm"] = adj
    out_rows[0]["p_holm"] = out_rows[0]["p"]
    for r in out_rows:
        r["significant"] = r["p_holm"] < 0.05
        r["p"] = float(f"{r['p']:.4g}")
        r["p_holm"] = float(f"{r['p_holm']:.4g}")
    return {"a": {"source": a, "documents": prof[a]["documents"], "words": wa},
            "b": {"source": b, "documents": prof[b]["documents"], "words": wb},
            "filters": base.as_dict(), "test": TEST_NOTE, "rows": out_rows}


def list_documents(conn, filters: Filters | None = None, limit: int = 50, offset: int = 0) -> tuple[int, list[dict]]:
    """``(total, page)`` of stored documents passing ``filters``, newest first."""
    where, params = (filters or Filters()).where()
    total = _query(conn, f"SELECT COUNT(*) FROM documents d WHERE {where}", params)[0][0]
    rows = _query(conn, f"""
        SELECT d.id, d.title, d.source, d.published, d.url, d.words, d.chars, a.n_spans, a.covered,
               substr(d.text, 1, 160)
        FROM documents d JOIN analyses a ON a.id = d.analysis_id WHERE {where}
        ORDER BY d.published IS NULL, d.published DESC, d.id DESC LIMIT ? OFFSET ?""", params + [limit, offset])
    keys = ("id", "title", "source", "published", "url", "words", "chars", "spans", "covered", "snippet")
    return total, [dict(zip(keys, r)) for r in rows]


# --- dashboard ---------------------------------------------------------------------------------


def _tech(label: str):
    from . import techniques as T

    return T.lookup(label)


def _esc(s) -> str:
    import html

    return html.escape("" if s is None else str(s), quote=True)


def _months_between(first: str, last: str) -> list[str]:
    y, m = int(first[:4]), int(first[5:7])
    out = []
    while f"{y:04d}-{m:02d}" <= last and len(out) < 1200:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def line_chart_svg(series: dict[str, dict[str, float]], months: list[str], *, title: str, svg_id: str = "over-time",
                   unit: str = "spans per 1,000 words") -> str:
    """A line chart (inline SVG): one line per technique over ``months``; points carry tooltips."""
    if not months or not series:
        return '<p class="muted">No dated documents.</p>'
    w, h, left, right, top, bottom = 760, 300, 52, 36, 14, 46
    pw, ph = w - left - right, h - top - bottom
    ymax = max((v for s in series.values() for v in s.values()), default=0) or 1.0
    step = 10 ** math.floor(math.log10(ymax))
    for mult in (1, 2, 2.5, 5, 10):
        if ymax / (step * mult) <= 5:
            step *= mult
            break
    ymax = math.ceil(ymax / step) * step
    nx = len(months)

    def x(i):
        return left + (pw * i / (nx - 1) if nx > 1 else pw / 2)

    def y(v):
        return top + ph - ph * v / ymax

    out = [f'<svg id="{_esc(svg_id)}" class="chart" xmlns="http://www.w3.org/2000/svg" role="img" '
           f'aria-labelledby="{_esc(svg_id)}-t" viewBox="0 0 {w} {h}" width="100%" preserveAspectRatio="xMinYMin meet">',
           f'<title id="{_esc(svg_id)}-t">{_esc(title)}</title>']
    k = 0.0
    while k <= ymax + 1e-9:
        out.append(f'<line x1="{left}" x2="{w - right}" y1="{y(k):.1f}" y2="{y(k):.1f}" class="grid"/>'
                   f'<text x="{left - 6}" y="{y(k) + 4:.1f}" text-anchor="end" class="ax">{k:g}</text>')
        k += step
    every = max(1, math.ceil(nx / 12))
    for i, mth in enumerate(months):
        if i % every == 0 or i == nx - 1:
            anchor = "end" if i == nx - 1 and nx > 1 else "start" if i == 0 and nx > 1 else "middle"
            out.append(f'<text x="{x(i):.1f}" y="{h - bottom + 16}" text-anchor="{anchor}" class="ax">{_esc(mth)}</text>')
    out.append(f'<text x="{left}" y="{h - 6}" class="ax">{_esc(unit)}</text>')
    for label, pts in series.items():
        t = _tech(label)
        coords = [(x(i), y(pts[m])) for i, m in enumerate(months) if m in pts]
        if not coords:
            continue
        path = " ".join(f"{a:.1f},{b:.1f}" for a, b in coords)
        out.append(f'<g class="series" data-technique="{_esc(label)}"><polyline fill="none" stroke="{_esc(t.colour)}" '
                   f'stroke-width="2" points="{path}"/>')
        for i, m in enumerate(months):
            if m in pts:
                out.append(f'<circle cx="{x(i):.1f}" cy="{y(pts[m]):.1f}" r="3" fill="{_esc(t.colour)}">'
                           f"<title>{_esc(t.name)}, {_esc(m)}: {pts[m]:.2f}</title></circle>")
        out.append("</g>")
    out.append("</svg>")
    return "".join(out)


def stacked_bars_svg(rows: list[tuple[str, list[tuple[str, float]]]], *, title: str, svg_id: str = "by-source",
                     unit: str = "spans per 1,000 words") -> str:
    """Horizontal stacked bars (inline SVG): one bar per group, one segment per technique."""
    if not rows:
        return '<p class="muted">No documents.</p>'
    label_w, bar_w, row, top = 170, 520, 26, 8
    w = label_w + bar_w + 70
    h = top + row * len(rows) + 24
    vmax = max(sum(v for _, v in segs) for _, segs in rows) or 1.0
    out = [f'<svg id="{_esc(svg_id)}" class="chart" xmlns="http://www.w3.org/2000/svg" role="img" '
           f'aria-labelledby="{_esc(svg_id)}-t" viewBox="0 0 {w} {h}" width="100%" preserveAspectRatio="xMinYMin meet">',
           f'<title id="{_esc(svg_id)}-t">{_esc(title)}</title>']
    for k, (group, segs) in enumerate(rows):
        yy = top + k * row
        name = group if len(group) <= 24 else group[:23] + "…"
        out.append(f'<g class="bar" data-group="{_esc(group)}"><text x="{label_w - 8}" y="{yy + 16}" text-anchor="end">'
                   f"<title>{_esc(group)}</title>{_esc(name)}</text>")
        xx = float(label_w)
        for label, v in segs:
            if v <= 0:
                continue
            t = _tech(label)
            ww = bar_w * v / vmax
            out.append(f'<rect x="{xx:.1f}" y="{yy + 3}" width="{ww:.1f}" height="18" fill="{_esc(t.colour)}" '
                       f'data-technique="{_esc(label)}"><title>{_esc(group)}: {_esc(t.name)} {v:.2f}</title></rect>')
            xx += ww
        out.append(f'<text x="{xx + 6:.1f}" y="{yy + 16}" class="ax">{sum(v for _, v in segs):.1f}</text></g>')
    out.append(f'<text x="{label_w}" y="{h - 6}" class="ax">{_esc(unit)}</text></svg>')
    return "".join(out)


def _legend(labels: Iterable[str]) -> str:
    items = "".join(f'<li><span class="sw" style="background:{_esc(_tech(x).colour)}"></span>{_esc(_tech(x).name)}</li>'
                    for x in labels)
    return f'<ul class="legend">{items}</ul>'


_CSS = """
:root{--fg:#1b1f24;--bg:#fff;--muted:#5c6570;--line:#d8dde3;--accent:#0b57d0}
@media (prefers-color-scheme: dark){:root{--fg:#e6e9ed;--bg:#14171a;--muted:#9aa4ae;--line:#333b44;--accent:#8ab4f8}}
body{font:15px/1.5 system-ui,sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;max-width:1100px;padding:0 16px 40px}
header{border-bottom:1px solid var(--line);margin-bottom:12px}nav a{margin-right:14px}a{color:var(--accent)}
h1{font-size:1.5rem;margin:16px 0 4px}h2{font-size:1.15rem;margin:24px 0 8px}.muted,.meta{color:var(--muted)}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line);vertical-align:top}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.chart{max-width:100%;height:auto}.chart text{font-size:12px;fill:var(--fg)}.chart .ax{fill:var(--muted)}.chart .grid{stroke:var(--line)}
.legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:4px 14px;font-size:13px}
.sw{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:5px;vertical-align:-1px}
form.filters{display:flex;flex-wrap:wrap;gap:8px 12px;align-items:end;margin:8px 0 12px}
form.filters label{display:flex;flex-direction:column;font-size:13px;color:var(--muted)}
input,select,button{font:inherit}.stats{display:flex;gap:28px;list-style:none;padding:0}.stats b{display:block;font-size:1.4rem}
.pair{display:grid;grid-template-columns:1fr 1fr;gap:12px}.pair iframe{width:100%;height:80vh;border:1px solid var(--line)}
.pager a{margin-right:10px}
form.filters label>input,form.filters label>select,form.filters button{height:2.1rem;box-sizing:border-box;margin-top:2px}
form.filters button{padding:0 14px}.stats{flex-wrap:wrap;gap:8px 28px}
.back{display:flex;flex-wrap:wrap;gap:4px 14px;padding:6px 0 8px;border-bottom:1px solid var(--line);margin-bottom:10px}
@media (max-width:40rem){
 body{padding:0 10px 32px}table{display:block;overflow-x:auto}th,td{padding:4px 5px}
 section{overflow-x:auto}svg.chart{min-width:520px}.pair{grid-template-columns:1fr}
 form.filters label{flex:1 1 40%}form.filters label>input,form.filters label>select{width:100%}
}
"""

_PAGE_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-src 'self'; form-action 'self'; "
             "base-uri 'none'; frame-ancestors 'self'")


def _page(title: str, body: str, nav: dict[str, str]) -> str:
    links = "".join(f'<a href="{_esc(href)}">{_esc(name)}</a>' for name, href in nav.items())
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<meta name=\"referrer\" content=\"no-referrer\">\n<title>{_esc(title)} – spinscope corpus</title>\n"
            f"<link rel=\"icon\" href=\"data:,\">\n<style>{_CSS}</style>\n</head>\n<body>\n"
            f"<header><nav aria-label=\"Corpus\">{links}</nav><h1>{_esc(title)}</h1></header>\n{body}\n"
            f"<footer class=\"muted\"><p>spinscope {_esc(__version__)}. Densities are technique spans per 1,000 words. "
            "Confidence is the model's estimate, not proof.</p></footer>\n</body>\n</html>\n")


def corpus_router(db_path: str | Path, *, top_techniques: int = 6):
    """A FastAPI ``APIRouter`` with the corpus dashboard of the store at ``db_path``; see
    :func:`spinscope.corpus_web.corpus_router`."""
    from .corpus_web import corpus_router as make

    return make(db_path, top_techniques=top_techniques)


# --- command line ------------------------------------------------------------------------------


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


def add_corpus_parser(subparsers) -> None:
    """Add ``spinscope corpus ...`` to the CLI's subparsers (handled by :func:`cmd_corpus`)."""
    p = subparsers.add_parser("corpus", help="store and query whole corpora (SQLite)",
                              description="Analyse whole corpora into a SQLite store and query them.")
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

    from .report import pipe_console, terminal_safe

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
                v = "All techniques" if v == "all" else _tech(v).name
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


def cmd_corpus(args) -> int:
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


def main(argv: list[str] | None = None) -> int:
    """``python -m spinscope.corpus ACTION ...``: the same as ``spinscope corpus ACTION ...``."""
    parser = argparse.ArgumentParser(prog="spinscope", description="Analyse whole corpora into a SQLite store.")
    parser.add_argument("--version", action="version", version=f"spinscope {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_corpus_parser(sub)
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] not in (["corpus"], ["--version"]):
        argv = ["corpus", *argv]
    args = parser.parse_args(argv)
    try:
        return cmd_corpus(args)
    except KeyboardInterrupt:
        err("interrupted")
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    from spinscope.corpus import main as _main  # the package's module, so that worker processes find it

    sys.exit(_main())
