"""Rendering an :class:`~spinscope.document.Analysis` for people and programs: the terminal
(:mod:`.terminal`), a self-contained HTML report (:mod:`.html`), SemEval TSV (:mod:`.tsv`), and
what they all show alike (:mod:`.summary`). JSON is :meth:`Analysis.as_dict`.
"""

from .html import render_html, render_index
from .summary import article_summary, segments
from .tsv import ptc_si_rows, ptc_tc_rows

__all__ = ["article_summary", "ptc_si_rows", "ptc_tc_rows", "render_html", "render_index", "segments"]
