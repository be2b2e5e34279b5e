"""Whole corpora: ingest many articles into one SQLite store, analyse each once, query them.

- :func:`add_paths` reads ``.txt``, ``.html``, ``.pdf``, ``.docx`` and ``.md`` files, folders, and
  JSONL/CSV files with the fields ``text`` (required), ``title``, ``url``, ``source``, ``published``
  (ISO date) and any others (kept as metadata); each document is identified by the SHA-256 of its
  text (:mod:`.records`, :mod:`.ingest`).
- :func:`reanalyze` re-runs a (newer) model over stored documents: explicit, never automatic.
- :func:`stats` and :func:`compare` give technique counts and densities, grouped and filtered
  (:mod:`.queries`); :mod:`spinscope.web.dashboard` serves them as pages.
- :func:`run_to_parquet` analyses inputs into Parquet files (local processes, or a Ray cluster:
  :mod:`.raydata`); :func:`import_parquet` loads them (:mod:`.parquet`).

The store (:class:`Store`, SQLite in WAL mode) is versioned (:mod:`.schema`). This package never
imports the command line or the web app.
"""

from ..errors import CorpusError
from .ingest import Report, add_paths, reanalyze
from .parquet import PARQUET_COLUMNS, import_parquet
from .progress import Progress
from .queries import Filters, compare, holm, list_documents, stats, two_proportion_z
from .records import Problem, Record, expand_paths, read_records, text_hash
from .results import analysis_from_result, result_from_analysis
from .run import run_to_parquet
from .schema import MIGRATIONS, SCHEMA_VERSION, migrate
from .store import Store
from .workers import ModelIdentity, model_identity

__all__ = [
    "MIGRATIONS", "PARQUET_COLUMNS", "SCHEMA_VERSION", "CorpusError", "Filters", "ModelIdentity", "Problem",
    "Progress", "Record", "Report", "Store", "add_paths", "analysis_from_result", "compare", "expand_paths",
    "holm", "import_parquet", "list_documents", "migrate", "model_identity", "read_records", "reanalyze",
    "result_from_analysis", "run_to_parquet", "stats", "text_hash", "two_proportion_z",
]
