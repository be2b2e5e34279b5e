"""Rendering an :class:`~spinscope.document.Analysis` for people (terminal) and programs (TSV)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from . import techniques as T
from .document import Analysis


def ptc_si_rows(article_id: str, analysis: Analysis) -> list[str]:
    return [f"{article_id}\t{s.start}\t{s.end}" for s in analysis.spans]


def ptc_tc_rows(article_id: str, analysis: Analysis) -> list[str]:
    return [f"{article_id}\t{s.technique}\t{s.start}\t{s.end}" for s in analysis.spans]


def highlighted(analysis: Analysis) -> Text:
    """The text with each span underlined and coloured by technique (overlaps: the later wins)."""
    text = Text(analysis.text)
    for s in analysis.spans:
        text.stylize(f"underline {T.get(s.technique).colour}", s.start, s.end)
    return text


def render_text(analysis: Analysis, console: Console, source: str | None = None) -> None:
    """Readable terminal output: header, highlighted text, one row per span, counts."""
    head = source or analysis.title or "text"
    n = len(analysis.spans)
    words = analysis.word_count
    console.rule(f"[bold]{head}[/bold]")
    console.print(
        f"{words} words, {len(analysis.sentences)} sentences, {n} technique span{'s' if n != 1 else ''}"
        + (f" ({100 * n / words:.1f} per 100 words)" if words else "")
    )
    if not n:
        return
    if console.is_terminal:
        console.print(highlighted(analysis))
    table = Table(show_header=True, header_style="bold", expand=False)
    table.add_column("chars", justify="right", no_wrap=True)
    table.add_column("technique", no_wrap=True)
    table.add_column("score", justify="right")
    table.add_column("span")
    for s in analysis.spans:
        t = T.get(s.technique)
        snippet = s.text if len(s.text) <= 90 else s.text[:87] + "…"
        table.add_row(f"{s.start}-{s.end}", Text(t.name, style=t.colour), f"{s.score:.2f}", Text(snippet))
    console.print(table)
    counts = ", ".join(f"{T.get(k).name} ×{v}" for k, v in analysis.technique_counts.items())
    console.print(f"[bold]Techniques:[/bold] {counts}")
