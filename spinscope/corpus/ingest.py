"""``add`` and ``reanalyze``: documents into the store, each with its analysis, in small transactions.

An interrupted ``add`` (even ``kill -9``) can simply be run again: every document is written
together with its analysis, and a document already stored (same SHA-256 of its text) is skipped.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from ..errors import CorpusError
from .progress import Progress
from .records import Problem, Record, count_records, expand_paths, read_records
from .store import Store
from .workers import ModelIdentity, analyse_stream, model_identity


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
    options = analyze_options(claims, entities)
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
        drain_results(analyse_stream(work(), workers=workers, model=str(model) if model else None, detector=detector,
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


def analyze_options(claims: bool, entities: bool) -> dict:
    """Keyword arguments for analyze(): only the stages that are switched off (the defaults stay)."""
    return {k: False for k, on in (("claims", claims), ("entities", entities)) if not on}


def drain_results(results: Iterator[tuple[object, dict]], done: Callable, identity: ModelIdentity, prog: Progress,
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
            check_model(result, identity)
            keep(key, item, result)
        prog.advance()


def check_model(result: dict, identity: ModelIdentity) -> None:
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
    options = analyze_options(claims, entities)
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
        drain_results(analyse_stream(work(), workers=workers, model=str(model) if model else None, detector=detector,
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


