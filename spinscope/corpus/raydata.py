"""``spinscope corpus run --engine ray``: the corpus analysis on a Ray cluster, with Ray Data.

The driver (where the command runs) reads and parses the inputs exactly as ``corpus add`` does,
drops repeated texts, and hands the documents to Ray Data. A pool of actors, each holding one
loaded model (:class:`AnalyzeBatch`, a callable class for ``map_batches``), analyses them; the
driver collects the rows in input order and writes the Parquet files of
:func:`spinscope.corpus.parquet.run_to_parquet`, so ``--out`` is a folder on the driver's machine.
``spinscope corpus import DB DIR`` then loads them into a store.

Ray is an optional extra: ``pip install 'spinscope[ray]'``. The cluster's nodes need spinscope
installed (the same version); a model given with ``--model`` is shipped to the actors by Ray, so
its folder need only exist on the driver.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

from .. import __version__
from ..errors import CorpusError
from .ingest import Report, analyze_options, check_model
from .parquet import ParquetSink, output_row, unique_records
from .progress import Progress
from .schema import now
from .workers import analyze_one, load_detector, model_identity, warm_up

ROWS_PER_TASK = 8  # documents per map_batches call


def _ray():
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise CorpusError("the ray engine needs Ray: pip install 'spinscope[ray]' (or use --engine local)") from None
    return ray


def check_address(address: str, timeout: float = 5.0) -> None:
    """Fail fast (CorpusError) when nothing listens at a ``host:port`` or ``ray://host:port`` address:
    ``ray.init`` itself would keep retrying for minutes. ``auto`` and other forms are left to Ray."""
    import socket
    from urllib.parse import urlsplit

    a = address.strip()
    if a in ("auto", "local") or "://" in a and not a.startswith("ray://"):
        return
    parts = urlsplit(a if "://" in a else f"tcp://{a}")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        raise CorpusError(f"not a Ray address: {address!r} (give host:port, ray://host:port or auto)") from None
    if not host or not port:
        raise CorpusError(f"not a Ray address: {address!r} (give host:port, ray://host:port or auto)")
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as e:
        raise CorpusError(f"cannot connect to Ray at {address}: {e.strerror or e}") from None


def model_files(model: str | Path | None) -> dict[str, bytes] | None:
    """The files of a model folder, to ship to the actors (None: the shipped model of the workers)."""
    if model is None:
        return None
    folder = Path(model)
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


class AnalyzeBatch:
    """Ray Data callable class: loads the model once per actor, then analyses batches of rows.

    Rows in: the document fields (``hash``, ``text``, ``title``, ...; ``metadata`` as JSON).
    Rows out: :data:`spinscope.corpus.PARQUET_COLUMNS` plus ``error`` (None when the analysis worked).
    """

    def __init__(self, files_ref: list | None, fingerprint: str, threads: int = 1, options: dict | None = None):
        self.fingerprint = fingerprint
        self.options = options or {}
        model_dir = None
        if files_ref is not None:  # [ObjectRef]: in a list so that Ray hands over the ref, not the bytes
            import ray

            files = ray.get(files_ref[0])
            model_dir = tempfile.mkdtemp(prefix="spinscope-model-")
            for name, data in files.items():
                with open(os.path.join(model_dir, name), "wb") as f:
                    f.write(data)
        self.detector = load_detector(model_dir, threads)
        warm_up(self.detector, self.options)

    def __call__(self, batch):
        import pyarrow as pa

        from .parquet import parquet_schema

        out = []
        for rec in batch.to_pylist():
            result = analyze_one(self.detector, rec["text"], rec.get("title"), self.options)
            row = output_row(rec, result if "error" not in result else {}, self.fingerprint)
            row["error"] = result.get("error")
            out.append(row)
        schema = parquet_schema().append(pa.field("error", pa.string()))
        return pa.Table.from_pylist(out, schema=schema)


def run_ray(paths, out, *, address: str | None = None, source: str | None = None, workers: int = 1,
            model: str | Path | None = None, quiet: bool = False, stream=None, num_cpus: int | None = None,
            claims: bool = True, entities: bool = True) -> Report:
    """Analyse ``paths`` on Ray into Parquet files in ``out`` (see the module doc).

    Uses the Ray runtime already initialised in this process, else connects to ``address`` (or
    ``RAY_ADDRESS``), else starts a local one (with ``num_cpus`` CPUs, default all).
    """
    ray = _ray()
    t0 = time.monotonic()
    options = analyze_options(claims, entities)
    identity = model_identity(model)
    files = model_files(model)
    sink = ParquetSink(Path(out))
    report = Report()
    show = Progress(None, "corpus run (ray)", quiet=quiet, stream=stream, summary=False)
    rows = []
    for rec in unique_records(paths, source, show, report):
        d = rec.fields()
        d["metadata"] = json.dumps(d["metadata"], ensure_ascii=False, sort_keys=True, default=str)
        rows.append(d)
    started = False
    if not ray.is_initialized():
        address = address or os.environ.get("RAY_ADDRESS") or None
        if address:
            check_address(address)
        kwargs = {"address": address} if address else {}
        if not address and num_cpus:
            kwargs["num_cpus"] = num_cpus
        try:
            ray.init(log_to_driver=not quiet, logging_level="ERROR", **kwargs)
        except (ConnectionError, RuntimeError, ValueError, TimeoutError) as e:
            raise CorpusError(f"cannot connect to Ray{' at ' + address if address else ''}: {e}") from None
        started = True
    try:
        ctx = ray.data.DataContext.get_current()
        ctx.execution_options.preserve_order = True  # rows come back in input order, as with --engine local
        ctx.enable_progress_bars = not quiet
        if quiet:
            import logging

            logging.getLogger("ray.data").setLevel(logging.ERROR)
        threads = int(os.environ.get("SPINSCOPE_THREADS") or 1)
        if rows:
            ds = ray.data.from_items(rows, override_num_blocks=max(1, min(len(rows), max(workers * 4, len(rows) // 500))))
            files_ref = [ray.put(files)] if files is not None else None
            ds = ds.map_batches(AnalyzeBatch, fn_constructor_kwargs={"files_ref": files_ref,
                                                                     "fingerprint": identity.fingerprint,
                                                                     "threads": threads, "options": options},
                                batch_size=ROWS_PER_TASK, batch_format="pyarrow",
                                compute=ray.data.ActorPoolStrategy(size=workers), num_cpus=threads)
            for batch in ds.iter_batches(batch_format="pyarrow", batch_size=256):
                for row in batch.to_pylist():
                    err = row.pop("error", None)
                    if err:
                        msg = f"{row.get('origin')}: {err}"
                        show.problem(msg)
                        report.problems.append(msg)
                        continue
                    check_model({"model": json.loads(row["model"])}, identity)
                    sink.add(row)
                    report.added += 1
        sink.close({"engine": "ray", "model": identity.info, "options": options, "model_fingerprint": identity.fingerprint,
                    "spinscope_version": __version__, "created_at": now(), "problems": len(report.problems)})
    finally:
        show.close()
        if started:
            ray.shutdown()
    report.seconds = time.monotonic() - t0
    return report
