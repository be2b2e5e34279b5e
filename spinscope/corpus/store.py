"""The corpus store: one SQLite file (WAL mode) of documents and their analyses."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

from .. import __version__
from ..document import (
    Analysis,
    covered_length,
)
from ..errors import CorpusError
from . import schema
from .records import Record
from .results import analysis_from_result, model_with_notes, split_notes
from .schema import connect, migrate, now

if TYPE_CHECKING:
    from .workers import ModelIdentity

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
            self.conn = connect(self.path, readonly=readonly)
            if readonly:
                version = self.conn.execute("PRAGMA user_version").fetchone()[0]
                if version != schema.SCHEMA_VERSION:
                    raise CorpusError(f"schema version {version}, expected {schema.SCHEMA_VERSION}; "
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
                 identity.fingerprint, json.dumps(info, sort_keys=True), __version__, now(),
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
                              "(SELECT COUNT(*) FROM analyses WHERE run_id = ?) WHERE id = ?", (now(), run_id, run_id))
        self.conn.execute("COMMIT")
        self._runs.clear()

    def _insert_analysis(self, doc_id: int, run_id: int, text: str, result: dict) -> int:
        spans = result.get("spans", [])
        covered = covered_length((s["start"], s["end"]) for s in spans)
        model = model_with_notes(result)  # the reader's notes (e.g. not English) ride in model_info
        own = json.dumps(model, sort_keys=True) if model != self._run_info.get(run_id) else None  # e.g. notes
        cur = self.conn.execute("INSERT INTO analyses(doc_id, run_id, n_spans, covered, created_at, model_info)"
                                " VALUES (?, ?, ?, ?, ?, ?)", (doc_id, run_id, len(spans), covered, now(), own))
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
                     len(rec.text.split()), len(rec.text), now()))
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
        doc["model"], doc["notes"] = split_notes(json.loads(doc.pop("model_info") or "{}"))
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
        model, notes = split_notes(json.loads(row[0]) if row else {})
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


