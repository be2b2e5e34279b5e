"""SemEval-2020 Task 11 TSV rows of an analysis (SI and TC formats), with ids made safe for TSV."""

from __future__ import annotations

import re

from ..document import Analysis

_TSV_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def tsv_field(value: str) -> str:
    """``value`` safe as one TSV field: tabs, line breaks and other control characters become "_"
    (a file name may hold any of them, and one would split or shift the row)."""
    return _TSV_UNSAFE.sub("_", value)


def ptc_si_rows(article_id: str, analysis: Analysis) -> list[str]:
    aid = tsv_field(article_id)
    return [f"{aid}\t{s.start}\t{s.end}" for s in analysis.spans]


def ptc_tc_rows(article_id: str, analysis: Analysis) -> list[str]:
    aid = tsv_field(article_id)
    return [f"{aid}\t{tsv_field(s.technique)}\t{s.start}\t{s.end}" for s in analysis.spans]


