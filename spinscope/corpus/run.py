"""``corpus run``: inputs analysed into Parquet files, by local processes or a Ray cluster (:mod:`.raydata`)."""

from __future__ import annotations

import time
from pathlib import Path

from .. import __version__
from ..errors import CorpusError
from .ingest import Report, analyze_options, drain_results
from .parquet import ParquetSink, output_row, unique_records
from .progress import Progress
from .records import Record, count_records, expand_paths
from .schema import now
from .workers import analyse_stream, model_identity


def run_to_parquet(paths, out: str | Path, *, engine: str = "local", address: str | None = None,
                   source: str | None = None, workers: int = 1, model: str | Path | None = None,
                   quiet: bool = False, stream=None, claims: bool = True, entities: bool = True) -> Report:
    """Analyse inputs into Parquet files in ``out`` (rows: :data:`PARQUET_COLUMNS`, sorted like the
    inputs), with local processes (``engine="local"``) or a Ray cluster (``engine="ray"``)."""
    if engine == "ray":
        from .raydata import run_ray

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
        drain_results(analyse_stream(work(), workers=workers, model=str(model) if model else None,
                              options=analyze_options(claims, entities)),
               done, identity, prog, report, keep)
        sink.close({"engine": "local", "model": identity.info, "options": analyze_options(claims, entities), "model_fingerprint": identity.fingerprint,
                    "spinscope_version": __version__, "created_at": now(), "problems": len(report.problems)})
    finally:
        prog.close()
    report.seconds = time.monotonic() - t0
    return report
