"""The terminal output, through the real CLI: 80 columns and pipes, a wide terminal, colours,
--min-score and --explain, claims and entities always shown, notes for short texts."""

from __future__ import annotations

import io
import os
import re

import pytest
from rich.console import Console

from conftest import ROOT, run_cli
from spinscope.document import Analysis, Span, split_sentences
from spinscope.render.summary import DEFAULT_MIN_SCORE, plural
from spinscope.render.terminal import marked_article, render_text

SAMPLE = ROOT / "spinscope" / "samples" / "sample_article.txt"
FACTS = ("The unemployment rate fell to 3.9 percent in March, the Labor Department said on Friday, "
         "while wages in Ohio and Texas rose 4 percent from a year earlier.\n")


def cli_text(*args, columns: int | None = None, input: bytes | None = None) -> str:
    env = {**os.environ, "COLUMNS": str(columns)} if columns else None
    r = run_cli("analyze", *args, input=input, env=env, check=True)
    return r.stdout.decode()


def lines_of(out: str) -> list[str]:
    return out.splitlines()


def test_piped_output_fits_80_columns_and_holds_the_whole_article():
    out = cli_text(str(SAMPLE), "--min-score", "0")
    assert "\x1b[" not in out
    lines = lines_of(out)
    assert max(len(x) for x in lines) <= 80 and all(x == x.rstrip() for x in lines)
    # the article is all there, spans in brackets with their numbers
    article = out.split("\nArticle\n", 1)[1].split("\n\nSpans\n", 1)[0]
    unmarked = re.sub(r"[⟦⟧⁰¹²³⁴⁵⁶⁷⁸⁹]", "", article)
    assert " ".join(unmarked.split()) == " ".join(SAMPLE.read_text(encoding="utf-8").split())
    assert "⟦Real patriots" in article
    # a note per span, numbered as in the article
    n = out.count("⟧")
    notes = re.findall(r"^ *(\d+)\. ", out.split("\nSpans\n", 1)[1].split("\n\nTechniques\n", 1)[0], re.M)
    assert [int(x) for x in notes] == list(range(1, n + 1))
    for heading in ("Techniques", "Most loaded sentences", "Check-worthy claims (best first)", "Entities"):
        assert f"\n{heading}\n" in out


def test_a_wide_terminal_gets_the_same_only_wider():
    narrow, wide = cli_text(str(SAMPLE), "--min-score", "0"), cli_text(str(SAMPLE), "--min-score", "0", columns=140)
    assert max(len(x) for x in lines_of(wide)) > 80 and max(len(x) for x in lines_of(wide)) <= 140
    assert len(lines_of(wide)) < len(lines_of(narrow))
    assert " ".join(narrow.split()[5:]) == " ".join(wide.split()[5:])  # the rule above differs in width only


@pytest.mark.slow
def test_min_score_and_what_scores_mean():
    default = cli_text(str(SAMPLE))
    everything = cli_text(str(SAMPLE), "--min-score", "0")
    assert "confidence is calibrated" in default and "--min-score 0 shows" in default  # all, or them when none is shown
    assert default.count("⟧") < everything.count("⟧")
    assert "hidden" not in everything
    none = cli_text(str(SAMPLE), "--min-score", "1")
    assert "⟦" not in none and "No span scored 100% or more" in none
    r = run_cli("analyze", str(SAMPLE), "--min-score", "2")
    assert r.returncode == 2 and b"between 0 and 1" in r.stderr


def test_min_score_filters_the_machine_formats_only_when_asked():
    import json

    all_spans = json.loads(cli_text(str(SAMPLE), "--format", "json", "--no-entities"))["spans"]
    some = json.loads(cli_text(str(SAMPLE), "--format", "json", "--no-entities", "--min-score", str(DEFAULT_MIN_SCORE)))["spans"]
    assert some == [s for s in all_spans if s["score"] >= DEFAULT_MIN_SCORE] and len(some) < len(all_spans)


def test_explain_adds_each_spans_reasons():
    plain = cli_text(str(SAMPLE), "--min-score", "0")
    explained = cli_text(str(SAMPLE), "--min-score", "0", "--explain")
    assert "Words that weighed most" not in plain and "Words that weighed most" in explained


def test_claims_and_entities_are_shown_without_any_span():
    out = cli_text("-", "--min-score", "0", input=FACTS.encode())
    claims = out.split("Check-worthy claims (best first)\n", 1)[1]
    assert re.match(r"\s*\d+% The unemployment rate fell", claims)
    assert "Labor Department (ORG" in out and "Ohio (GPE" in out


def test_short_texts_get_a_note_and_counts_are_singular():
    out = cli_text("-", input=b"Hi")
    assert "1 word, 1 sentence," in out and "too short to judge" in out


def test_colours_in_a_terminal_and_no_brackets():
    text = "The corrupt council lied to us. Everyone knows it."
    a = Analysis(text=text, sentences=split_sentences(text),
                 spans=[Span(4, 11, "Loaded_Language", 0.8, "corrupt"), Span(32, 50, "Bandwagon,Reductio_ad_hitlerum", 0.5, "Everyone knows it.")])
    buf = io.StringIO()
    render_text(a, Console(file=buf, force_terminal=True, color_system="truecolor", width=80), source="t.txt")
    out = buf.getvalue()
    assert "\x1b[" in out and "⟦" not in out and "¹" in out and "²" in out


def test_marked_article_keeps_every_character():
    text = "Overlap here: big bad wolf."
    a = Analysis(text=text, spans=[Span(14, 21, "Loaded_Language", 0.5, "big bad"), Span(18, 26, "Name_Calling,Labeling", 0.6, "bad wolf")])
    marked = marked_article(a, plain=True).plain
    assert marked == "Overlap here: ⟦big ⟦bad⟧¹ wolf⟧²."
    assert re.sub(r"[⟦⟧¹²]", "", marked) == text


@pytest.mark.parametrize("n, word, out", [(1, "word", "1 word"), (0, "word", "0 words"), (2, "sentence", "2 sentences"),
                                          (1234, "span", "1,234 spans")])
def test_plural(n, word, out):
    assert plural(n, word) == out
