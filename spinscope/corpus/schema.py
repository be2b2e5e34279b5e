"""The store's SQLite schema, its migrations, and opening a connection.

``PRAGMA user_version`` is the schema version; :data:`MIGRATIONS` bring an older store up to date
when it is opened.
"""

from __future__ import annotations

import os
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from ..errors import CorpusError

SCHEMA_VERSION = 2

def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


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


def connect(path: str | Path, readonly: bool = False) -> sqlite3.Connection:
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
            conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('migrated_at', ?)", (now(),))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    return old

