"""Analysing documents for the store: the model's identity, one analysis, a pool of worker processes."""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ..errors import CorpusError
from .results import result_from_analysis


@dataclass(frozen=True)
class ModelIdentity:
    """What the store records of a model: ``Detector.info`` and a fingerprint of its files."""

    info: dict
    fingerprint: str
    model_dir: str | None  # None: the shipped model


def _claims_model_bytes() -> bytes:
    """The shipped claims model's configuration and head: a new claims model makes stored analyses stale too."""
    from ..claims import CONFIG_NAME, MODEL_DIR

    out = b""
    try:
        cfg = (MODEL_DIR / CONFIG_NAME).read_bytes()
        out = cfg + (MODEL_DIR / json.loads(cfg).get("head", "")).read_bytes()
    except (OSError, ValueError):
        pass  # no (readable) claims model: analyses carry no claims, nothing to fingerprint
    return out


def _classifier_bytes(folder: Path) -> bytes:
    """A span classifier's configuration (with its checksum): a new classifier makes stored analyses stale."""
    try:
        return b"\0" + (folder / "classifier" / "config.json").read_bytes()
    except OSError:
        return b""


def _fingerprint(technique_config: bytes) -> str:
    return hashlib.sha256(technique_config + b"\0" + _claims_model_bytes()).hexdigest()[:16]


def model_identity(model: str | Path | None = None, detector=None) -> ModelIdentity:
    """Identify a model without loading it (``detector``: an already loaded one). The fingerprint
    covers the technique model's configuration and the claims model the analyses use."""
    if detector is not None:
        cfg = Path(getattr(detector, "model_dir", "")) / "config.json"
        raw = cfg.read_bytes() + _classifier_bytes(cfg.parent) if cfg.is_file() else json.dumps(detector.info, sort_keys=True).encode()
        return ModelIdentity(dict(detector.info), _fingerprint(raw),
                             str(detector.model_dir) if hasattr(detector, "model_dir") else None)
    from ..detect import MODEL_DIR

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
    return ModelIdentity(info, _fingerprint(raw + _classifier_bytes(folder)), str(folder) if model else None)


def load_detector(model_dir: str | None, threads: int | None = None):
    from ..detect import Detector, ModelError
    from ..detect.detector import default_detector

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
    from .. import analyze

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
        from .. import analyze_many

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


