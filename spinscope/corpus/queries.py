"""Queries over a store: technique counts and densities, grouped and filtered; two sources compared."""

from __future__ import annotations

import math
import sqlite3
from collections import Counter
from dataclasses import dataclass
from datetime import date

from ..errors import CorpusError
from .store import Store

GROUPINGS = ("technique", "source", "month", "entity")
STAT_FORMATS = ("table", "csv", "json")
NO_GROUP = "(none)"  # group value of documents without a source / date


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


def per_k(n, words) -> float:
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
    r["spans_per_1k_words"] = round(per_k(r["spans"], r["words"]), 4)
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
                        "spans": n, "spans_per_1k_words": round(per_k(n, words), 4), "share_covered": None})
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
        ra, rb = per_k(xa, wa), per_k(xb, wb)
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


