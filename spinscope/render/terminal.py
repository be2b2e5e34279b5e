"""The terminal output of ``spinscope analyze``: the article with its spans marked and numbered, a
note for each span, then the techniques, the most loaded sentences, the check-worthy claims and
the entities. It is laid out for 80 columns and wraps to any width; piped, it is plain text
(spans in ⟦brackets⟧); in a terminal, spans are underlined in their technique's colour.

By default only spans scored :data:`DEFAULT_MIN_SCORE` or more are shown (``--min-score 0``
shows all); the output says how many are hidden, and what a score means.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..document import Analysis
from ..output import terminal_safe
from ..techniques import lookup
from .summary import (
    DEFAULT_MIN_SCORE,
    SCORE_MEANING,
    SHORT_TEXT_WORDS,
    article_summary,
    claim_digest,
    headline,
    more_claims_line,
    plural,
    reader_notes,
    segments,
)

if TYPE_CHECKING:
    from rich.console import Console


def pipe_console(**options):
    """A Rich console (``rich.console.Console(**options)``) that lets a closed pipe
    (``spinscope ... | head``) end the command quietly: Rich's own handling exits with status 1;
    this one raises ``BrokenPipeError``, which the command line turns into status 0, as for the
    other formats."""
    from rich.console import Console

    class PipeConsole(Console):
        def on_broken_pipe(self) -> None:
            self.quiet = True
            raise BrokenPipeError

    return PipeConsole(**options)

_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def marker(n: int) -> str:
    """The superscript number that follows span ``n`` in the article."""
    return str(n).translate(_SUPERSCRIPT)


def score_meaning(shown: int, total: int, min_score: float) -> str:
    """One plain paragraph: what a score means, and which spans are shown."""
    line = SCORE_MEANING
    hidden = total - shown
    if hidden and shown:
        line += (f" Shown: the {plural(shown, 'span')} scored {min_score:.0%} or more; "
                 f"{hidden:,} below that {'is' if hidden == 1 else 'are'} hidden (--min-score 0 shows all {total:,}).")
    elif hidden:
        line += (f" No span scored {min_score:.0%} or more; {plural(hidden, 'span')} below that "
                 f"{'is' if hidden == 1 else 'are'} hidden (--min-score 0 shows {'it' if hidden == 1 else 'them'}).")
    return line


def marked_article(analysis: Analysis, *, plain: bool):
    """The article as Rich ``Text``: each span followed by its superscript number; in colour
    (underlined, overlaps in bold) or, ``plain``, between ⟦ and ⟧."""
    from rich.text import Text

    text = Text()
    spans = analysis.spans
    n = len(analysis.text)
    for seg in segments(analysis):
        if plain:
            for i in seg.spans:
                if spans[i].start == seg.start:
                    text.append("⟦")
        piece = terminal_safe(analysis.text[seg.start:seg.end])
        if not seg.spans:
            text.append(piece)
            continue
        if plain:
            text.append(piece)
        else:
            best = max(seg.spans, key=lambda i: (spans[i].score, -i))
            style = f"underline {lookup(spans[best].technique).colour}"
            text.append(piece, style=style + (" bold" if len(seg.spans) > 1 else ""))
        for i in seg.spans:
            if min(spans[i].end, n) == seg.end:
                text.append(("⟧" if plain else "") + marker(i + 1),
                            style="" if plain else f"bold {lookup(spans[i].technique).colour}")
    return text


def _heading(console, title: str) -> None:
    from rich.text import Text

    console.print()
    console.print(Text(title, style="bold"))


def _wrapped(console, body, first: str = "", indent: int | None = None) -> None:
    """``body`` (Rich ``Text``) wrapped to the console's width, each line without trailing
    spaces: the first line after ``first``, the others under it (a hanging indent)."""
    from rich.text import Text

    indent = len(first) if indent is None else indent
    width = max(20, console.width - indent)
    for k, line in enumerate(body.wrap(console, width)):
        line.rstrip()
        console.print(Text(first if k == 0 else " " * indent) + line, soft_wrap=True)


def _notes_grid(rows, console):
    """Numbered rows (number, Rich ``Text``), each wrapping under itself, not under the number."""
    if not rows:
        return
    w = max(len(num) for num, _ in rows)
    for num, body in rows:
        _wrapped(console, body, num.rjust(w) + " ")


def render_text(analysis: Analysis, console: Console, source: str | None = None, *,
                min_score: float = DEFAULT_MIN_SCORE, explain: bool = False) -> None:
    """Write ``analysis`` to ``console`` as described in the module docstring. ``explain`` adds
    each span's explanation under its note."""
    from rich.text import Text

    plain = not console.is_terminal
    shown = analysis.above(min_score)
    summ = article_summary(shown)
    total = len(analysis.spans)
    head = terminal_safe(source or analysis.title or "text")
    console.rule(Text(head, style="bold"))
    title = headline(analysis)
    if title and title != source:
        console.print(Text(terminal_safe(title), style="italic"))
    words = analysis.word_count
    line = (f"{plural(words, 'word')}, {plural(len(analysis.sentences), 'sentence')}, "
            f"{plural(total, 'technique span')}")
    if words >= SHORT_TEXT_WORDS and total:
        line += f" ({100 * total / words:.1f} per 100 words)"
    _wrapped(console, Text(line))
    for note in reader_notes(analysis):
        _wrapped(console, Text(f"Note: {terminal_safe(note)}.", style="yellow"), indent=0)
    if total:
        _wrapped(console, Text(score_meaning(len(shown.spans), total, min_score), style="dim"))

    _heading(console, "Article")
    _wrapped(console, marked_article(shown, plain=plain))

    if shown.spans:
        _heading(console, "Spans")
        rows = []
        for i, s in enumerate(shown.spans, 1):
            t = lookup(s.technique)
            body = Text()
            body.append(t.name, style=f"bold {t.colour}")
            body.append(f" {s.score:.0%}: ")
            body.append(f"“{terminal_safe(s.text)}”")
            if explain and s.explanation:
                body.append("\n" + terminal_safe(_explanation(s.explanation, t.name)), style="dim")
            rows.append((f"{marker(i)}" if not plain else f"{i}.", body))
        _notes_grid(rows, console)

        _heading(console, "Techniques")
        from rich.table import Table

        table = Table.grid(padding=(0, 2))
        table.add_column()
        table.add_column(justify="right")
        table.add_column(justify="right")
        table.add_row(Text("technique", style="dim"), Text("spans", style="dim"), Text("mean confidence", style="dim"))
        scores: dict[str, list[float]] = {}
        for s in shown.spans:
            scores.setdefault(s.technique, []).append(s.score)
        for label, c in shown.technique_counts.items():
            t = lookup(label)
            table.add_row(Text(t.name, style=f"bold {t.colour}"), str(c),
                          f"{sum(scores[label]) / len(scores[label]):.0%}")
        console.print(table)
        _wrapped(console, Text(", ".join(f"{lookup(k).name} ×{v}" for k, v in shown.technique_counts.items())),
                 "Techniques: ")

    if summ.top_sentences:
        _heading(console, "Most loaded sentences")
        rows = []
        for k, ls in enumerate(summ.top_sentences, 1):
            names = ", ".join(lookup(x).name for x in ls.techniques)
            rows.append((f"{k}.", Text(terminal_safe(ls.sentence.text)) + Text(f" ({names})", style="dim")))
        _notes_grid(rows, console)

    _heading(console, "Check-worthy claims (best first)")
    if analysis.claims:
        digest = claim_digest(analysis)
        _notes_grid([(f"{c.score:.0%}", Text(terminal_safe(c.text))) for c in digest.first], console)
        if more := more_claims_line(digest):
            console.print(Text(f"and {more}; --format json lists them all", style="dim"))
    else:
        console.print(Text("none found" if analysis.text.strip() else "no text", style="dim"))

    _heading(console, "Entities")
    entity_lines = _entity_lines(shown)
    if entity_lines:
        for line in entity_lines:
            _wrapped(console, Text(terminal_safe(line)), "  ", indent=4)
    else:
        console.print(Text("none found", style="dim"))


_CONFIDENCE = re.compile(r"\s*Confidence \d+%\.$")


def _explanation(text: str, name: str) -> str:
    """A span's explanation without what its note already says (the technique's name and the score)."""
    if text.startswith(name + ": "):
        text = text[len(name) + 2:]
    return _CONFIDENCE.sub("", text)


def _entity_lines(analysis: Analysis, limit: int = 10) -> list[str]:
    """Targeted entities first ("CIA (ORG, 5 mentions) — Name calling ×3"), then the most
    mentioned others, in one list of at most ``limit``."""
    if not analysis.entities:
        return []
    from ..entities import (
        describe,
        profile_lines,
        ranked_by_mentions,
        ranked_by_techniques,
    )

    out = profile_lines(analysis, limit=limit)
    targeted = {e.id for e in ranked_by_techniques(analysis)}
    others = [e for e in ranked_by_mentions(analysis) if e.id not in targeted][: max(0, limit - len(out))]
    if others:
        out.append(("Also named: " if out else "Named: ") + ", ".join(describe(e) for e in others))
    return out
