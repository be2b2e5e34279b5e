"""The claim list a reader sees: the few to check first, the rest counted and folded away."""

from __future__ import annotations

import io
import re

from rich.console import Console

from spinscope.document import Analysis, Claim, split_sentences
from spinscope.render.html import render_html
from spinscope.render.summary import CLAIMS_FIRST, claim_digest, more_claims_line
from spinscope.render.terminal import render_text

TEXT = " ".join(f"In {1990 + i} the city spent {i + 2} million dollars on roads." for i in range(9))


def with_claims(scores: list[float]) -> Analysis:
    sents = split_sentences(TEXT)
    claims = [Claim(s.start, s.end, s.text, sc) for s, sc in zip(sents, scores)]
    return Analysis(text=TEXT, sentences=sents, claims=sorted(claims, key=lambda c: -c.score))


def test_the_best_few_come_first_and_none_is_lost():
    a = with_claims([0.4, 0.9, 0.36, 0.8, 0.5, 0.7, 0.6, 0.38, 0.95])
    d = claim_digest(a)
    assert [c.score for c in d.first] == [0.95, 0.9, 0.8, 0.7, 0.6] and len(d.first) == CLAIMS_FIRST
    assert [c.score for c in d.rest] == [0.5, 0.4, 0.38, 0.36]
    assert more_claims_line(d) == "4 more sentences scored check-worthy (36–50%)"
    for c in d.first + d.rest:  # offsets still point at the sentence
        assert TEXT[c.start:c.end] == c.text


def test_no_more_line_when_all_claims_are_first():
    d = claim_digest(with_claims([0.9, 0.5]))
    assert len(d.first) == 2 and d.rest == [] and more_claims_line(d) is None
    assert more_claims_line(claim_digest(with_claims([0.9] * 5 + [0.4]))) == "1 more sentence scored check-worthy (40%)"


def test_terminal_shows_the_first_and_counts_the_rest():
    buf = io.StringIO()
    render_text(with_claims([0.4, 0.9, 0.36, 0.8, 0.5, 0.7, 0.6, 0.38, 0.95]), Console(file=buf, width=100))
    out = buf.getvalue().split("Check-worthy claims (best first)\n", 1)[1].split("Entities", 1)[0]
    assert re.findall(r"^\s*(\d+)% In", out, re.M) == ["95", "90", "80", "70", "60"]
    assert "and 4 more sentences scored check-worthy (36–50%); --format json lists them all" in out


def test_html_lists_every_claim_once_the_rest_folded():
    page = render_html(with_claims([0.4, 0.9, 0.36, 0.8, 0.5, 0.7, 0.6, 0.38, 0.95]))
    section = page.split('id="h-claims"', 1)[1].split("</section>", 1)[0]
    first, rest = section.split('<details class="more-claims">', 1)
    assert len(re.findall(r"<li>\d+%", first)) == 5 and len(re.findall(r"<li>\d+%", rest)) == 4
    assert "<summary>4 more sentences scored check-worthy (36–50%)</summary>" in rest and '<ol start="6">' in rest
    assert "probability" in first  # what the score means
    few = render_html(with_claims([0.9, 0.5])).split('id="h-claims"', 1)[1].split("</section>", 1)[0]
    assert "<details" not in few and len(re.findall(r"<li>\d+%", few)) == 2
    none = render_html(with_claims([])).split('id="h-claims"', 1)[1].split("</section>", 1)[0]
    assert "No sentence was scored check-worthy." in none
