"""The dashboard's charts: server-side SVG, with the techniques' colours."""

from __future__ import annotations

import math
from typing import Iterable

from ..techniques import lookup


def esc(s) -> str:
    import html

    return html.escape("" if s is None else str(s), quote=True)


def months_between(first: str, last: str) -> list[str]:
    y, m = int(first[:4]), int(first[5:7])
    out = []
    while f"{y:04d}-{m:02d}" <= last and len(out) < 1200:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def line_chart_svg(series: dict[str, dict[str, float]], months: list[str], *, title: str, svg_id: str = "over-time",
                   unit: str = "spans per 1,000 words") -> str:
    """A line chart (inline SVG): one line per technique over ``months``; points carry tooltips."""
    if not months or not series:
        return '<p class="muted">No dated documents.</p>'
    w, h, left, right, top, bottom = 760, 300, 52, 36, 14, 46
    pw, ph = w - left - right, h - top - bottom
    ymax = max((v for s in series.values() for v in s.values()), default=0) or 1.0
    step = 10 ** math.floor(math.log10(ymax))
    for mult in (1, 2, 2.5, 5, 10):
        if ymax / (step * mult) <= 5:
            step *= mult
            break
    ymax = math.ceil(ymax / step) * step
    nx = len(months)

    def x(i):
        return left + (pw * i / (nx - 1) if nx > 1 else pw / 2)

    def y(v):
        return top + ph - ph * v / ymax

    out = [f'<svg id="{esc(svg_id)}" class="chart" xmlns="http://www.w3.org/2000/svg" role="img" '
           f'aria-labelledby="{esc(svg_id)}-t" viewBox="0 0 {w} {h}" width="100%" preserveAspectRatio="xMinYMin meet">',
           f'<title id="{esc(svg_id)}-t">{esc(title)}</title>']
    k = 0.0
    while k <= ymax + 1e-9:
        out.append(f'<line x1="{left}" x2="{w - right}" y1="{y(k):.1f}" y2="{y(k):.1f}" class="grid"/>'
                   f'<text x="{left - 6}" y="{y(k) + 4:.1f}" text-anchor="end" class="ax">{k:g}</text>')
        k += step
    every = max(1, math.ceil(nx / 12))
    for i, mth in enumerate(months):
        if i % every == 0 or i == nx - 1:
            anchor = "end" if i == nx - 1 and nx > 1 else "start" if i == 0 and nx > 1 else "middle"
            out.append(f'<text x="{x(i):.1f}" y="{h - bottom + 16}" text-anchor="{anchor}" class="ax">{esc(mth)}</text>')
    out.append(f'<text x="{left}" y="{h - 6}" class="ax">{esc(unit)}</text>')
    for label, pts in series.items():
        t = lookup(label)
        coords = [(x(i), y(pts[m])) for i, m in enumerate(months) if m in pts]
        if not coords:
            continue
        path = " ".join(f"{a:.1f},{b:.1f}" for a, b in coords)
        out.append(f'<g class="series" data-technique="{esc(label)}"><polyline fill="none" stroke="{esc(t.colour)}" '
                   f'stroke-width="2" points="{path}"/>')
        for i, m in enumerate(months):
            if m in pts:
                out.append(f'<circle cx="{x(i):.1f}" cy="{y(pts[m]):.1f}" r="3" fill="{esc(t.colour)}">'
                           f"<title>{esc(t.name)}, {esc(m)}: {pts[m]:.2f}</title></circle>")
        out.append("</g>")
    out.append("</svg>")
    return "".join(out)


def stacked_bars_svg(rows: list[tuple[str, list[tuple[str, float]]]], *, title: str, svg_id: str = "by-source",
                     unit: str = "spans per 1,000 words") -> str:
    """Horizontal stacked bars (inline SVG): one bar per group, one segment per technique."""
    if not rows:
        return '<p class="muted">No documents.</p>'
    label_w, bar_w, row, top = 170, 520, 26, 8
    w = label_w + bar_w + 70
    h = top + row * len(rows) + 24
    vmax = max(sum(v for _, v in segs) for _, segs in rows) or 1.0
    out = [f'<svg id="{esc(svg_id)}" class="chart" xmlns="http://www.w3.org/2000/svg" role="img" '
           f'aria-labelledby="{esc(svg_id)}-t" viewBox="0 0 {w} {h}" width="100%" preserveAspectRatio="xMinYMin meet">',
           f'<title id="{esc(svg_id)}-t">{esc(title)}</title>']
    for k, (group, segs) in enumerate(rows):
        yy = top + k * row
        name = group if len(group) <= 24 else group[:23] + "…"
        out.append(f'<g class="bar" data-group="{esc(group)}"><text x="{label_w - 8}" y="{yy + 16}" text-anchor="end">'
                   f"<title>{esc(group)}</title>{esc(name)}</text>")
        xx = float(label_w)
        for label, v in segs:
            if v <= 0:
                continue
            t = lookup(label)
            ww = bar_w * v / vmax
            out.append(f'<rect x="{xx:.1f}" y="{yy + 3}" width="{ww:.1f}" height="18" fill="{esc(t.colour)}" '
                       f'data-technique="{esc(label)}"><title>{esc(group)}: {esc(t.name)} {v:.2f}</title></rect>')
            xx += ww
        out.append(f'<text x="{xx + 6:.1f}" y="{yy + 16}" class="ax">{sum(v for _, v in segs):.1f}</text></g>')
    out.append(f'<text x="{label_w}" y="{h - 6}" class="ax">{esc(unit)}</text></svg>')
    return "".join(out)


def legend(labels: Iterable[str]) -> str:
    items = "".join(f'<li><span class="sw" style="background:{esc(lookup(x).colour)}"></span>{esc(lookup(x).name)}</li>'
                    for x in labels)
    return f'<ul class="legend">{items}</ul>'

