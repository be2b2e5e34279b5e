"""Parquet, the exchange format of ``corpus run`` (local processes or Ray) and ``corpus import``."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Iterator

from ..errors import CorpusError
from .ingest import Report
from .progress import Progress
from .records import Problem, Record, expand_paths, read_records
from .results import model_with_notes, split_notes
from .store import Store
from .workers import ModelIdentity


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
        "model": json.dumps(model_with_notes(result), sort_keys=True),  # notes ride with the model, as in the store
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
                        model, notes = split_notes(json.loads(row["model"]))
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


