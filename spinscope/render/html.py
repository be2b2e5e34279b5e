"""One self-contained HTML report of an analysis (inline CSS, JS and SVG; no network request), and
an index page linking several reports."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from functools import cache
from importlib import resources
from urllib.parse import quote

from .. import __version__
from .. import techniques as T
from ..document import Analysis, Span, split_sentences
from ..techniques import lookup
from .summary import (
    CLAIM_MEANING,
    DEFAULT_MIN_SCORE,
    SCORE_MEANING,
    article_summary,
    claim_digest,
    claim_line,
    clip,
    headline,
    more_claims_line,
    plural,
    reader_notes,
    segments,
    span_tracks,
    target_lines,
)


def esc(s: object) -> str:
    """HTML-escape for text and (double- or single-quoted) attribute values."""
    return html.escape(str(s), quote=True)


_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def json_for_script(obj: object) -> str:
    """JSON that is safe inside ``<script>``: ``<``, ``>``, ``&`` (and U+2028/9) as \\u escapes."""
    s = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return re.sub("[<>&\u2028\u2029]", lambda m: _JSON_ESCAPES[m.group()], s)


@cache
def _asset(name: str) -> str:
    return resources.files("spinscope.render").joinpath("assets", name).read_text(encoding="utf-8")


def _csp(script: str | None, form_action: str = "'none'") -> str:
    if script is None:
        script_src = "'none'"
    else:
        digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
        script_src = f"'sha256-{digest}'"
    return ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
            f"script-src {script_src}; base-uri 'none'; form-action {form_action}")


def _head(title: str, script: str | None, form_action: str = "'none'") -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{esc(_csp(script, form_action))}\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<meta name=\"referrer\" content=\"no-referrer\">\n"
        f"<meta name=\"generator\" content=\"spinscope {esc(__version__)}\">\n"
        f"<title>{esc(title)}</title>\n<link rel=\"icon\" href=\"data:,\">\n"
        f"<style>\n{_asset('report.css')}</style>\n</head>\n"
    )


def _shadow(colours_by_level: dict[int, str]) -> str:
    """Stacked underlines: level k is a 3 px band 4k px below the text (background between)."""
    parts = []
    for k in range(max(colours_by_level) + 1):
        parts.append(f"0 {4 * k + 3}px 0 0 {colours_by_level.get(k, 'var(--bg)')}")
        parts.append(f"0 {4 * k + 4}px 0 0 var(--bg)")
    return ",".join(parts)


def chart_svg(counts: list[tuple[str, int]], *, svg_id: str = "chart", title: str = "Spans per technique") -> str:
    """A horizontal bar chart (inline SVG) of ``(label, count)``; bars carry ``data-t`` = row index."""
    if not counts:
        return '<p class="muted">No technique spans found.</p>'
    row, label_w, count_w, bar_w = 24, 250, 34, 330
    width = label_w + count_w + bar_w + 16
    height = row * len(counts) + 8
    top = max(c for _, c in counts) or 1
    out = [f'<svg id="{esc(svg_id)}" xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="{esc(svg_id)}-title" '
           f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" data-max="{top}" data-w="{bar_w}">',
           f'<title id="{esc(svg_id)}-title">{esc(title)}</title>']
    for k, (label, c) in enumerate(counts):
        t = lookup(label)
        y = 4 + k * row
        out.append(
            f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end">{esc(t.name)}</text>'
            f'<text x="{label_w + count_w - 6}" y="{y + 16}" text-anchor="end" data-count="{k}">{c}</text>'
            f'<rect class="bar" data-t="{k}" x="{label_w + count_w}" y="{y + 3}" height="16" rx="2" '
            f'width="{bar_w * c / top:.1f}" fill="{esc(t.colour)}"/>'
        )
    out.append("</svg>")
    return "".join(out)


def _short_explanation(span: Span) -> str:
    """The explanation without what the report shows next to it anyway (name, definition, confidence)."""
    t = lookup(span.technique)
    e = span.explanation.strip()
    prefix = f"{t.name}: {t.definition}"
    if e.startswith(prefix):
        e = e[len(prefix) :].lstrip()
    e = re.sub(r"\s*Confidence \d+%\.$", "", e)
    return e


def _stat(value: str, label: str, el_id: str | None = None) -> str:
    id_attr = f' id="{el_id}"' if el_id else ""
    return f"<li><b{id_attr}>{esc(value)}</b><span>{esc(label)}</span></li>"


def render_html(analysis: Analysis, *, source: str | None = None, toolbar: str | None = None) -> str:
    """One self-contained HTML report of ``analysis`` (inline CSS, JS and SVG; no network).

    The article with every span highlighted (stacked underlines where spans overlap, a tooltip per
    piece), a legend that filters techniques, a confidence slider, a bar chart, a summary and a
    table of all spans. Every piece of text is escaped; the data for the script is JSON with
    ``<``, ``>`` and ``&`` escaped. ``toolbar`` is trusted HTML put first in the body (the web
    app's links and form; its form may then post to the page's own origin).
    """
    text = analysis.text
    spans = analysis.spans
    summ = article_summary(analysis)
    counts = list(analysis.technique_counts.items())
    tech_index = {label: k for k, (label, _) in enumerate(counts)}
    techs = [lookup(label) for label, _ in counts]
    script = _asset("report.js")

    heading = headline(analysis) or source or "Text"
    page_title = f"{heading} – spinscope report"
    meta = []
    if source and source != heading:
        meta.append(source)
    meta.append(plural(summ.words, "word"))
    meta.append(plural(len(analysis.sentences or split_sentences(text)), "sentence"))
    if analysis.model:
        meta.append(f"model {analysis.model.get('name', '')} {analysis.model.get('version', '')}".strip())

    out = [_head(page_title, script, "'self'" if toolbar else "'none'"), "<body>\n", toolbar or ""]
    out.append(f'<header>\n<h1>{esc(heading)}</h1>\n<p class="meta">{" · ".join(esc(m) for m in meta)}</p>\n')
    out.extend(f'<p class="note" role="note">Note: {esc(n)}.</p>\n' for n in reader_notes(analysis))
    out.append("</header>\n")

    # summary numbers
    out.append('<section aria-labelledby="h-summary">\n<h2 id="h-summary">Summary</h2>\n<ul class="stats">')
    out.append(_stat(str(summ.n_spans), "technique spans", "st-spans"))
    out.append(_stat(f"{100 * summ.share:.1f}%", "of the characters are in a span", "st-share"))
    out.append(_stat(f"{summ.spans_per_100_words:.1f}", "spans per 100 words", "st-per100"))
    out.append(_stat(str(len(counts)), "different techniques", "st-techs"))
    out.append("</ul>\n</section>\n")

    # legend (= filter) and threshold
    out.append('<div class="controls" role="region" aria-label="Filters">\n')
    if counts:
        out.append('<ul class="legend" aria-label="Techniques: press to show or hide">')
        for k, (label, c) in enumerate(counts):
            t = techs[k]
            out.append(
                f'<li><button type="button" class="lg" data-t="{k}" aria-pressed="true" title="{esc(t.definition)}">'
                f'<span class="sw" style="background:{esc(t.colour)}"></span><span>{esc(t.name)}</span>'
                f'<span class="n" data-count="{k}">{c}</span></button></li>'
            )
        out.append("</ul>\n")
    absent = [t.name for t in T.TECHNIQUES if t.label not in tech_index]
    if absent:
        out.append(f'<p class="none">Not found: {esc(", ".join(absent))}.</p>\n')
    if spans:
        start = round(100 * DEFAULT_MIN_SCORE)
        out.append(
            '<div class="thr"><label for="thr">Minimum confidence</label>'
            f'<input type="range" id="thr" min="0" max="100" step="5" value="{start}" aria-describedby="shown">'
            f'<output id="thr-out" for="thr">{start}%</output>'
            f'<span id="shown" class="muted" aria-live="polite">all {len(spans)} spans shown</span>'
            '<button type="button" id="thr-all" class="all">Show all</button></div>\n'
        )
        if (analysis.model or {}).get("calibrated"):
            out.append(f'<p class="muted meaning">{esc(SCORE_MEANING)} At first, spans below {start}% are '
                       "hidden: they are right less often than that.</p>\n")
    out.append("</div>\n")

    # the article
    tracks = span_tracks(spans)
    out.append('<main aria-labelledby="h-article">\n<h2 id="h-article">Article</h2>\n<div id="article" class="article">')
    for seg in segments(analysis):
        piece = esc(text[seg.start : seg.end])
        if not seg.spans:
            out.append(piece)
            continue
        ids = sorted(seg.spans, key=lambda i: tracks[i])
        levels = {tracks[i]: lookup(spans[i].technique).colour for i in ids}
        top_colour = lookup(spans[ids[0]].technique).colour
        cls = "seg multi" if len(ids) > 1 else "seg"
        out.append(
            f'<mark class="{cls}" tabindex="0" aria-describedby="tip" data-s="{" ".join(map(str, seg.spans))}" '
            f'style="box-shadow:{esc(_shadow(levels))};background:{esc(top_colour)}22">{piece}</mark>'
        )
    out.append("</div>\n</main>\n")

    # chart
    out.append('<section aria-labelledby="h-chart" class="chart">\n<h2 id="h-chart">Techniques</h2>\n')
    out.append(chart_svg(counts))
    out.append("\n</section>\n")

    # most loaded sentences
    out.append('<section aria-labelledby="h-top">\n<h2 id="h-top">Most loaded sentences</h2>\n')
    if summ.top_sentences:
        out.append('<ol class="top">')
        for ls in summ.top_sentences:
            names = ", ".join(lookup(x).name for x in ls.techniques)
            out.append(
                f"<li><q>{esc(clip(ls.sentence.text, 400))}</q>"
                f'<span class="tn">{ls.span_chars} characters in {plural(ls.n_spans, "span")}: '
                f"{esc(names)}</span></li>"
            )
        out.append("</ol>\n")
    else:
        out.append('<p class="muted">No sentence uses a technique.</p>\n')
    out.append("</section>\n")

    # claims: the few to check first, the rest folded away
    out.append('<section aria-labelledby="h-claims">\n<h2 id="h-claims">Check-worthy claims</h2>\n')
    digest = claim_digest(analysis)
    if digest.first:
        out.append(f'<p class="muted meaning">{esc(CLAIM_MEANING)}</p>\n<ol class="claims">'
                   + "".join(f"<li>{esc(claim_line(c, 400))}</li>" for c in digest.first) + "</ol>\n")
        if more := more_claims_line(digest):
            out.append(f'<details class="more-claims"><summary>{esc(more)}</summary>'
                       f'<ol start="{len(digest.first) + 1}">'
                       + "".join(f"<li>{esc(claim_line(c, 400))}</li>" for c in digest.rest) + "</ol></details>\n")
    else:
        out.append('<p class="muted">No sentence was scored check-worthy.</p>\n')
    out.append("</section>\n")

    # targets
    out.append('<section aria-labelledby="h-targets">\n<h2 id="h-targets">Who is targeted</h2>\n')
    if lines := target_lines(analysis):
        out.append("<ol>" + "".join(f"<li>{esc(line)}</li>" for line in lines) + "</ol>\n")
    else:
        out.append('<p class="muted">No technique span was aimed at a named entity.</p>\n')
    out.append("</section>\n")

    # all spans
    if spans:
        out.append('<section aria-labelledby="h-spans">\n<h2 id="h-spans">All spans</h2>\n<div class="wide"><table id="spans">'
                   '<thead><tr><th class="num">#</th><th>Technique</th><th class="num">Confidence</th>'
                   "<th>Text</th><th>Why</th></tr></thead><tbody>")
        for i, s in enumerate(spans):
            t = lookup(s.technique)
            out.append(
                f'<tr data-i="{i}"><td class="num">{i + 1}</td><td class="tech"><span class="chip">'
                f'<span class="sw" style="background:{esc(t.colour)}"></span>{esc(t.name)}</span></td>'
                f'<td class="num">{round(100 * s.score)}%</td><td>{esc(clip(s.text, 240))}</td>'
                f"<td>{esc(_short_explanation(s))}</td></tr>"
            )
        out.append("</tbody></table></div>\n</section>\n")

    out.append(
        f"<footer>Made by spinscope {esc(__version__)}. Confidence is the model's estimate that a span uses "
        "the technique; it is not proof." + (
            " It is calibrated: on articles the model was not trained on, about that share of spans with that "
            "confidence overlapped an annotator's span of the same technique."
            if (analysis.model or {}).get("calibrated") else "")
        + (" The model read every name" + (", every camp named in lower case (\u201cprogressives\u201d, "
                                           "\u201cconservatives\u201d) and the colour words of race" if (analysis.model or {}).get("mask_sides") else "")
           + " as the same placeholder, so who is named did not change a label."
           if (analysis.model or {}).get("mask_names") else "")
        + " This file is self-contained and makes no network requests.</footer>\n"
    )
    data = {
        "t": [[t.label, t.name, t.definition, t.colour] for t in techs],
        "s": [[tech_index[s.technique], round(s.score, 4), s.start, s.end, _short_explanation(s)] for s in spans],
        "n": len(text),
        "w": summ.words,
    }
    out.append('<div id="tip" role="tooltip" hidden></div>\n')
    out.append(f'<script type="application/json" id="spinscope-data">{json_for_script(data)}</script>\n')
    out.append(f"<script>{script}</script>\n</body>\n</html>\n")
    return "".join(out)


def render_index(entries: list[tuple[str, str, Analysis]]) -> str:
    """An HTML index page: one row per ``(source name, relative href, analysis)``, self-contained."""
    total: dict[str, int] = {}
    for _, _, a in entries:
        for k, v in a.technique_counts.items():
            total[k] = total.get(k, 0) + v
    total_counts = sorted(total.items(), key=lambda kv: (-kv[1], kv[0]))
    n_spans = sum(len(a.spans) for _, _, a in entries)
    out = [_head("spinscope reports", None), "<body>\n"]
    out.append(f'<header>\n<h1>spinscope reports</h1>\n<p class="meta">{len(entries)} article'
               f'{"s" if len(entries) != 1 else ""}, {n_spans} technique span{"s" if n_spans != 1 else ""}</p>\n</header>\n')
    out.append('<main>\n<table id="index"><thead><tr><th>Article</th><th class="num">Words</th>'
               '<th class="num">Spans</th><th class="num">per 100 words</th><th class="num">in spans</th>'
               "<th>Techniques</th></tr></thead><tbody>")
    for name, href, a in entries:
        s = article_summary(a, top=0)
        chips = "".join(
            f'<span class="chip"><span class="sw" style="background:{esc(lookup(k).colour)}"></span>'
            f"{esc(lookup(k).name)} {v}</span>"
            for k, v in a.technique_counts.items()
        )
        out.append(
            f'<tr><td><a href="{esc(quote(href))}">{esc(name)}</a>'
            + (f'<br><span class="muted">{esc(a.title)}</span>' if a.title else "")
            + f'</td><td class="num">{s.words}</td><td class="num">{s.n_spans}</td>'
            f'<td class="num">{s.spans_per_100_words:.1f}</td><td class="num">{100 * s.share:.1f}%</td>'
            f'<td><div class="chips">{chips}</div></td></tr>'
        )
    out.append("</tbody></table>\n</main>\n")
    out.append('<section aria-labelledby="h-chart" class="chart">\n<h2 id="h-chart">Techniques in all articles</h2>\n')
    out.append(chart_svg(total_counts, svg_id="chart-all", title="Spans per technique, all articles"))
    out.append(f"\n</section>\n<footer>Made by spinscope {esc(__version__)}. Self-contained; no network requests.</footer>\n"
               "</body>\n</html>\n")
    return "".join(out)
