"""The corpus dashboard: a FastAPI ``APIRouter`` over a corpus store (see :mod:`spinscope.corpus`).

Server-side pages, no script of their own and nothing from a CDN: charts are inline SVG. Every
page's own Content-Security-Policy allows only inline styles and frames from the same origin;
article reports (``spinscope.render.html.render_html``) carry their own policy for their one script.

(No ``from __future__ import annotations`` here: FastAPI reads the endpoint annotations.)
"""

import math
from pathlib import Path
from typing import Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse

from ..corpus.queries import (
    GROUPINGS,
    NO_GROUP,
    Filters,
    compare,
    list_documents,
    per_k,
    stats,
)
from ..corpus.store import Store
from ..errors import CorpusError
from ..render.html import render_html
from ..techniques import lookup
from .charts import esc, legend, line_chart_svg, months_between, stacked_bars_svg
from .page import PAGE_CSP, render_page

# YYYY, YYYY-MM or YYYY-MM-DD (a day past the month's end counts as its last day), or nothing
DATE_PATTERN = (r"^$|^([0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})"
                r"(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)?$")


def _date():  # one Query per parameter: FastAPI must not share one between two
    return Query(default="", pattern=DATE_PATTERN, description="YYYY, YYYY-MM or YYYY-MM-DD")


_ERRORS = {status: {"description": text, "content": {"application/json": {"schema": {
    "type": "object", "properties": {"error": {"type": "string"}}}}, "text/html": {}}}
    for status, text in ((400, "A filter the store cannot apply."),
                         (404, "No such document or source in this corpus."),
                         (422, "A parameter of the wrong form."),
                         (500, "The corpus store cannot be read (damaged or replaced)."))}


def corpus_router(db_path, *, top_techniques: int = 6) -> APIRouter:
    """A FastAPI ``APIRouter`` with the corpus dashboard of the store at ``db_path``.

    Pages (relative to where the router is mounted): ``/`` overview (technique use over time,
    by source, top targeted entities), ``/articles`` (filterable list), ``/articles/{id}`` (the
    article's report), ``/compare?a=ID&b=ID`` (two articles side by side), and JSON at
    ``/api/stats`` and ``/api/compare``. Mount it with ``app.include_router(router, prefix="/corpus")``.
    """
    db_path = Path(db_path)
    Store.for_reading(db_path).close()  # exists, is a store, is migrated (where it can be written)
    router = APIRouter(responses=_ERRORS)
    headers = {"Content-Security-Policy": PAGE_CSP, "X-Content-Type-Options": "nosniff",
               "Referrer-Policy": "no-referrer"}

    def conn():
        return Store(db_path, readonly=True)

    def url(request: Request, name: str, **params) -> str:
        path_params = {k: v for k, v in params.items() if k == "doc_id"}
        base = request.app.url_path_for(name, **path_params)
        root = request.scope.get("root_path", "")
        q = {k: v for k, v in params.items() if k != "doc_id" and v not in (None, "", [], ())}

        return f"{root}{base}" + (f"?{urlencode(q, doseq=True)}" if q else "")

    def nav(request: Request) -> dict[str, str]:
        return {"Overview": url(request, "corpus_overview"), "Articles": url(request, "corpus_articles")}

    def html(body: str, status: int = 200, extra: dict | None = None) -> HTMLResponse:
        return HTMLResponse(body, status_code=status, headers={**headers, **(extra or {})})

    def error_page(request: Request, status: int, message: str) -> HTMLResponse:
        return html(render_page("Not found" if status == 404 else "Bad request", f"<p>{esc(message)}</p>", nav(request)),
                    status)

    def filters_from(source, since, until, q, technique) -> Filters:
        return Filters(sources=tuple(s for s in source if s), since=since or None, until=until or None,
                       search=q or None, techniques=tuple(t for t in technique if t), wordless_search_fails=False)

    @router.get("/", response_class=HTMLResponse, name="corpus_overview")
    def overview(request: Request, source: list[str] = Query(default=[]), since: str = _date(), until: str = _date(),
                 q: str = ""):
        try:
            f = filters_from(source, since, until, q, [])
            with conn() as st:
                info = st.info()
                monthly = stats(st, "month", f)
                by_source = stats(st, "source", f)
                overall = stats(st, "technique", f)
                ents = stats(st, "entity", f, top=15)
                sources_all = [r[0] for r in st.conn.execute(
                    "SELECT DISTINCT source FROM documents WHERE source IS NOT NULL ORDER BY 1")]
        except CorpusError as e:
            return error_page(request, 400, str(e))
        tech_rank = [r["technique"] for r in overall["rows"] if r["technique"] != "all"]
        shown = tech_rank[:top_techniques]
        months_present = sorted({r["group"] for r in monthly["rows"] if r["group"] != NO_GROUP})
        months = months_between(months_present[0], months_present[-1]) if months_present else []
        series: dict[str, dict[str, float]] = {t: {} for t in shown}
        totals_by_month = {r["group"]: r for r in monthly["rows"] if r["technique"] == "all"}
        for m in months:
            if m in totals_by_month:
                for t in shown:
                    series[t][m] = 0.0
        for r in monthly["rows"]:
            if r["technique"] in series and r["group"] != NO_GROUP:
                series[r["technique"]][r["group"]] = r["spans_per_1k_words"]
        src_rows = []
        for r in by_source["rows"]:
            if r["technique"] == "all":
                src_rows.append((r["group"], []))
            else:
                src_rows[-1][1].append((r["technique"], r["spans_per_1k_words"]))
        for _, segs in src_rows:
            segs.sort(key=lambda kv: tech_rank.index(kv[0]) if kv[0] in tech_rank else 99)
        body = [_filter_form(url(request, "corpus_overview"), f, sources_all, with_technique=False)]
        body.append('<ul class="stats">'
                    f'<li><b id="n-docs">{overall["documents"]}</b>documents</li>'
                    f'<li><b>{overall["words"]:,}</b>words</li>'
                    f'<li><b>{sum(r["spans"] for r in overall["rows"] if r["technique"] == "all")}</b>technique spans</li>'
                    f'<li><b>{info["sources"]}</b>sources</li></ul>')
        body.append('<section aria-labelledby="h-time"><h2 id="h-time">Technique use over time</h2>')
        body.append(line_chart_svg(series, months, title="Technique use per month (spans per 1,000 words)"))
        body.append(legend(shown) + "</section>")
        body.append('<section aria-labelledby="h-src"><h2 id="h-src">By source</h2>')
        body.append(stacked_bars_svg(src_rows, title="Technique density by source (spans per 1,000 words)"))
        body.append(legend(tech_rank) + "</section>")
        body.append('<section aria-labelledby="h-tech"><h2 id="h-tech">Techniques</h2><table id="techniques"><thead><tr>'
                    '<th>Technique</th><th class="num">Spans</th><th class="num">Documents</th>'
                    '<th class="num">per 1,000 words</th><th class="num">Text covered</th></tr></thead><tbody>')
        for r in overall["rows"]:
            name = "All techniques" if r["technique"] == "all" else lookup(r["technique"]).name
            link = url(request, "corpus_articles", source=list(f.sources), since=f.since, until=f.until, q=f.search,
                       technique=r["technique"] if r["technique"] != "all" else None)
            body.append(f'<tr><td><a href="{esc(link)}">{esc(name)}</a></td><td class="num">{r["spans"]}</td>'
                        f'<td class="num">{r["documents"]}</td><td class="num">{r["spans_per_1k_words"]:.2f}</td>'
                        f'<td class="num">{100 * r["share_covered"]:.1f}%</td></tr>')
        body.append("</tbody></table></section>")
        body.append('<section aria-labelledby="h-ent"><h2 id="h-ent">Top targeted entities</h2>')
        ent_rows = [r for r in ents["rows"] if r["technique"] == "all"]
        if ent_rows:
            body.append('<table id="entities"><thead><tr><th>Entity</th><th class="num">Spans aimed at it</th>'
                        '<th class="num">Mentions</th><th class="num">Documents</th><th>Techniques</th></tr></thead><tbody>')
            for r in ent_rows:
                techs = ", ".join(f"{lookup(x['technique']).name} {x['spans']}" for x in ents["rows"]
                                  if x["group"] == r["group"] and x["technique"] != "all")
                body.append(f'<tr><td>{esc(r["group"])}</td><td class="num">{r["spans"]}</td>'
                            f'<td class="num">{r["mentions"]}</td><td class="num">{r["documents"]}</td>'
                            f"<td>{esc(techs)}</td></tr>")
            body.append("</tbody></table>")
        else:
            body.append('<p class="muted">No entities in the stored analyses.</p>')
        body.append("</section>")
        return html(render_page("Corpus overview", "\n".join(body), nav(request)))

    @router.get("/articles", response_class=HTMLResponse, name="corpus_articles")
    def articles(request: Request, source: list[str] = Query(default=[]), since: str = _date(), until: str = _date(),
                 q: str = "", technique: list[str] = Query(default=[]), page: int = Query(default=1, ge=1, le=10**9)):
        per_page = 50
        try:
            f = filters_from(source, since, until, q, technique)
            with conn() as st:
                total, docs = list_documents(st.conn, f, per_page, (page - 1) * per_page)
                sources_all = [r[0] for r in st.conn.execute(
                    "SELECT DISTINCT source FROM documents WHERE source IS NOT NULL ORDER BY 1")]
        except CorpusError as e:
            return error_page(request, 400, str(e))
        body = [_filter_form(url(request, "corpus_articles"), f, sources_all, with_technique=True)]
        body.append(f'<p class="meta" id="count">{total} document{"s" if total != 1 else ""}</p>')
        body.append(f'<form method="get" action="{esc(url(request, "corpus_compare"))}">'
                    '<table id="articles"><thead><tr><th>A</th><th>B</th><th>Article</th><th>Source</th><th>Published</th>'
                    '<th class="num">Words</th><th class="num">Spans</th><th class="num">per 1,000 words</th></tr></thead><tbody>')
        for d in docs:
            title = d["title"] or (d["snippet"].split("\n", 1)[0][:100] + "…")
            body.append(
                f'<tr data-id="{d["id"]}"><td><input type="radio" name="a" value="{d["id"]}" aria-label="compare as A"></td>'
                f'<td><input type="radio" name="b" value="{d["id"]}" aria-label="compare as B"></td>'
                f'<td><a href="{esc(url(request, "corpus_article", doc_id=d["id"]))}">{esc(title)}</a></td>'
                f'<td>{esc(d["source"] or "")}</td><td>{esc(d["published"] or "")}</td>'
                f'<td class="num">{d["words"]}</td><td class="num">{d["spans"]}</td>'
                f'<td class="num">{per_k(d["spans"], d["words"]):.1f}</td></tr>')
        body.append('</tbody></table><p><button type="submit">Compare A and B side by side</button></p></form>')
        pages = max(1, math.ceil(total / per_page))
        if pages > 1:
            common = dict(source=list(f.sources), since=f.since, until=f.until, q=f.search, technique=list(f.techniques))
            links = []
            if page > 1:
                links.append(f'<a rel="prev" href="{esc(url(request, "corpus_articles", **common, page=page - 1))}">← newer</a>')
            links.append(f"page {page} of {pages}")
            if page < pages:
                links.append(f'<a rel="next" href="{esc(url(request, "corpus_articles", **common, page=page + 1))}">older →</a>')
            body.append(f'<p class="pager">{" ".join(links)}</p>')
        return html(render_page("Articles", "\n".join(body), nav(request)))

    @router.get("/articles/{doc_id}", response_class=HTMLResponse, name="corpus_article")
    def article(request: Request, doc_id: int):
        if not _storable(doc_id):  # SQLite's integers are 64-bit: a larger id was an OverflowError (500)
            return error_page(request, 404, f"no document {doc_id} in this corpus")
        try:
            with conn() as st:
                analysis, doc = st.analysis(doc_id)
        except KeyError:
            return error_page(request, 404, f"no document {doc_id} in this corpus")
        except CorpusError as e:  # the store went missing or is damaged
            return error_page(request, 400, str(e))
        name = doc["url"] or doc["origin"] or f"document {doc_id}"
        if doc["source"]:
            name = f"{doc['source']}: {name}"
        # the report carries its own CSP (a hash for its one script); it may be framed by our pages
        back = ('<style>.sp-back{display:flex;flex-wrap:wrap;gap:4px 14px;font-size:.92rem;padding:0 0 .6rem;'
                'border-bottom:1px solid var(--line);margin:0 0 1rem}@media print{.sp-back{display:none}}</style>'
                '<nav class="sp-back" aria-label="Corpus">'
                f'<a href="{esc(url(request, "corpus_articles"))}" target="_top">← Articles</a>'
                f'<a href="{esc(url(request, "corpus_overview"))}" target="_top">Overview</a>'
                f'<a href="{esc(url(request, "corpus_articles", source=[doc["source"]] if doc["source"] else []))}" '
                f'target="_top">More from this source</a></nav>')
        return HTMLResponse(render_html(analysis, source=name, toolbar=back), headers={
            "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
            "Content-Security-Policy": "frame-ancestors 'self'"})

    @router.get("/compare", response_class=HTMLResponse, name="corpus_compare")
    def compare_page(request: Request, a: int, b: int):
        for k in (a, b):
            if not _storable(k):
                return error_page(request, 404, f"no document {k} in this corpus")
        try:
            with conn() as st:
                docs = [st.document(a), st.document(b)]
        except CorpusError as e:
            return error_page(request, 400, str(e))
        for k, d in zip((a, b), docs):
            if d is None:
                return error_page(request, 404, f"no document {k} in this corpus")
        cols = []
        for label, d in zip("AB", docs):
            title = d["title"] or d["origin"] or f"document {d['id']}"
            src = url(request, "corpus_article", doc_id=d["id"])
            cols.append(f'<div><h2>{label}: <a href="{esc(src)}">{esc(title)}</a></h2>'
                        f'<p class="meta">{esc(d["source"] or "")} {esc(d["published"] or "")}</p>'
                        f'<iframe sandbox="allow-scripts" title="Report {label}" src="{esc(src)}"></iframe></div>')
        return html(render_page("Two articles side by side", f'<div class="pair">{"".join(cols)}</div>', nav(request)))

    @router.get("/api/stats", name="corpus_api_stats")
    def api_stats(by: Literal[GROUPINGS] = "technique", source: list[str] = Query(default=[]), since: str = _date(), until: str = _date(),
                  q: str = ""):
        try:
            with conn() as st:
                return stats(st, by, filters_from(source, since, until, q, []))
        except CorpusError as e:
            return JSONResponse({"error": str(e)}, status_code=400)

    @router.get("/api/compare", name="corpus_api_compare")
    def api_compare(a: str, b: str, since: str = _date(), until: str = _date(), q: str = ""):
        try:
            with conn() as st:
                missing = [x for x in (a, b) if st.conn.execute(
                    "SELECT 1 FROM documents WHERE source = ? LIMIT 1", (x,)).fetchone() is None]
                if missing:
                    return JSONResponse({"error": f"no documents from source {missing[0]!r}"}, status_code=404)
                return compare(st, a, b, filters_from([], since, until, q, []))
        except CorpusError as e:
            return JSONResponse({"error": str(e)}, status_code=400)

    return router


def _storable(n: int) -> bool:
    """Whether ``n`` fits an SQLite integer (document ids do)."""
    return -(2**63) <= n < 2**63


def _filter_form(action: str, f: Filters, sources: list, *, with_technique: bool) -> str:
    from .. import techniques as T

    opts = "".join(f'<option value="{esc(s)}"{" selected" if s in f.sources else ""}>{esc(s)}</option>'
                   for s in sources)
    parts = [f'<form class="filters" method="get" action="{esc(action)}" role="search">',
             f'<label>Source<select name="source"><option value="">all</option>{opts}</select></label>',
             f'<label>From<input type="date" name="since" value="{esc(f.since or "")}"></label>',
             f'<label>To<input type="date" name="until" value="{esc(f.until or "")}"></label>',
             f'<label>Words<input type="search" name="q" value="{esc(f.search or "")}" placeholder="keyword"></label>']
    if with_technique:
        topts = "".join(f'<option value="{esc(t.label)}"{" selected" if t.label in f.techniques else ""}>'
                        f"{esc(t.name)}</option>" for t in T.TECHNIQUES)
        parts.append(f'<label>Technique<select name="technique"><option value="">any</option>{topts}</select></label>')
    parts.append('<button type="submit">Filter</button></form>')
    return "".join(parts)
