"""The HTML and terminal reports, on hand-built analyses (no model)."""

from __future__ import annotations

import html
import io
import json
import re
from html.parser import HTMLParser

import pytest
from rich.console import Console

from spinscope.render.terminal import render_text
from spinscope import cli
from spinscope import techniques as T
from spinscope.document import Analysis, Sentence, Span, split_sentences
from spinscope.render.summary import article_summary, segments, span_tracks
from spinscope.render.html import json_for_script, render_html, render_index
from spinscope.render.tsv import ptc_si_rows, ptc_tc_rows
from spinscope.output import terminal_safe
from conftest import ROOT  # noqa: E402

SAMPLE = ROOT / "spinscope" / "samples" / "sample_article.txt"


# --- hand-built analyses ------------------------------------------------------------------------


def make_span(text: str, phrase: str, technique: str, score: float, nth: int = 0, explanation: str | None = None) -> Span:
    start = -1
    for _ in range(nth + 1):
        start = text.index(phrase, start + 1)
    t = T.get(technique)
    if explanation is None:
        explanation = f"{t.name}: {t.definition} Words that weighed most: “{phrase.split()[0]}”. Confidence {score:.0%}."
    return Span(start, start + len(phrase), technique, score, phrase, explanation, min(1.0, score + 0.1))


SAMPLE_SPANS = [
    ("The Harbour Bridge Scandal Nobody Wants You to See", "Loaded_Language", 0.62, 0),
    ("once again betrayed the hardworking families of Port Alder", "Appeal_to_fear-prejudice", 0.41, 0),
    ("betrayed", "Loaded_Language", 0.91, 0),
    ("hardworking families", "Flag-Waving", 0.38, 0),
    ("Is it really?", "Doubt", 0.83, 0),
    ("Or is it simply the latest gift to her friends?", "Doubt", 0.77, 0),
    ("Every honest resident knows the answer.", "Bandwagon,Reductio_ad_hitlerum", 0.66, 0),
    ("Real patriots who love this town will not stand by", "Flag-Waving", 0.88, 0),
    ("a gang of career politicians", "Name_Calling,Labeling", 0.9, 0),
    ("gang", "Loaded_Language", 0.7, 0),
    ("Experts agree that the bridge will cost far more than promised", "Appeal_to_Authority", 0.72, 0),
    ("is a fantasy that will collapse the moment the first pile is driven", "Exaggeration,Minimisation", 0.58, 0),
    ("anti-progress", "Name_Calling,Labeling", 0.64, 0),
    ("But what about the millions they wasted on the stadium nobody uses?", "Whataboutism,Straw_Men,Red_Herring", 0.8, 0),
    ("If this contract goes ahead, our taxes will soar", "Causal_Oversimplification", 0.35, 0),
    ("our taxes will soar, small shops will close, and our children will inherit a city drowning in debt",
     "Appeal_to_fear-prejudice", 0.86, 0),
    ("drowning in debt", "Loaded_Language", 0.55, 0),
    ("There are only two choices: stop the bridge deal now, or watch Port Alder go bankrupt.",
     "Black-and-White_Fallacy", 0.81, 0),
    ("disaster", "Repetition", 0.61, 0),
    ("disaster", "Repetition", 0.63, 1),
    ("disaster", "Repetition", 0.6, 2),
    ("disaster", "Repetition", 0.57, 3),
    ("Enough is enough.", "Thought-terminating_Cliches", 0.7, 0),
    ("Take back our harbour!", "Slogans", 0.84, 0),
]


def sample_analysis() -> Analysis:
    """The bundled sample article with hand-placed spans of all 14 techniques (nested, overlapping)."""
    text = SAMPLE.read_text(encoding="utf-8")
    spans = [make_span(text, p, t, s, nth) for p, t, s, nth in SAMPLE_SPANS]
    spans.sort(key=lambda s: (s.start, s.end))
    return Analysis(text=text, sentences=split_sentences(text), spans=spans,
                    model={"name": "hand-built", "version": "test"})


HOSTILE = (
    "Breaking </title><script>alert(1)</script> news\n"
    "Look: <img src=x onerror=alert(1)> and <a href=\"javascript:alert(1)\">click</a> here.\n"
    "Close this </textarea></style></script><!-- & &amp; \"quoted\" 'single' --> \u2028end\n"
)


def hostile_analysis() -> Analysis:
    text = HOSTILE
    bad = "<script>alert(1)</script>"
    spans = [
        Span(text.index(bad), text.index(bad) + len(bad), "Loaded_Language", 0.9, bad,
             "Words that weighed most: “</script><script>alert(2)</script>” & \"more\"."),
        Span(text.index("<img"), text.index("<img") + 30, "Doubt", 0.5, text[text.index("<img"):text.index("<img") + 30],
             "<b onmouseover=alert(3)>x</b>"),
        Span(text.index("</textarea>"), text.index("-->") + 3, "Slogans", 0.7,
             text[text.index("</textarea>"):text.index("-->") + 3], "'\"><svg onload=alert(4)>"),
    ]
    return Analysis(text=text, title="<script>alert('title')</script>", sentences=split_sentences(text), spans=spans)


class _Collector(HTMLParser):
    """Tags, script bodies and the text of #article, as a browser's parser sees them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[tuple[dict, str]] = []
        self._script: dict | None = None
        self.article = ""
        self.marks = 0
        self._depth = 0  # inside #article

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "script":
            self._script = a
            self.scripts.append((a, ""))
        if self._depth:
            self._depth += 1
            if tag == "mark":
                self.marks += 1
        elif a.get("id") == "article":
            self._depth = 1

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None
        if self._depth:
            self._depth -= 1

    def handle_data(self, data):
        if self._script is not None:
            a, body = self.scripts[-1]
            self.scripts[-1] = (a, body + data)
        elif self._depth:
            self.article += data


def parse(doc: str) -> _Collector:
    p = _Collector()
    p.feed(doc)
    p.close()
    return p


def embedded_data(doc: str) -> dict:
    m = re.search(r'<script type="application/json" id="spinscope-data">(.*?)</script>', doc, re.S)
    assert m
    return json.loads(m.group(1))


# --- geometry and numbers ----------------------------------------------------------------------


def test_segments_cover_the_text_exactly_with_overlaps():
    a = sample_analysis()
    segs = segments(a)
    assert "".join(a.text[s.start : s.end] for s in segs) == a.text
    assert all(s.start < s.end for s in segs)
    assert all(x.end == y.start for x, y in zip(segs, segs[1:]))
    # every span is covered by exactly the segments inside it
    for i, sp in enumerate(a.spans):
        inside = [s for s in segs if sp.start <= s.start and s.end <= sp.end]
        assert "".join(a.text[s.start : s.end] for s in inside) == sp.text
        assert all(i in s.spans for s in inside)
        assert all(i not in s.spans for s in segs if s not in inside)
    # nesting: "gang" lies inside "a gang of career politicians" -> two spans on that piece
    gang = a.text.index("gang")
    [seg] = [s for s in segs if s.start == gang]
    assert {a.spans[i].technique for i in seg.spans} == {"Loaded_Language", "Name_Calling,Labeling"}
    # "drowning in debt" lies in the fear span; the cause span ends before it
    debt = a.text.index("drowning in debt")
    [seg] = [s for s in segs if s.start == debt]
    assert len(seg.spans) == 2


def test_segments_edge_cases():
    assert segments(Analysis(text="")) == []
    text = "abc def"
    a = Analysis(text=text, spans=[Span(2, 2, "Doubt", 0.5, ""), Span(4, 99, "Doubt", 0.5, "def"),
                                   Span(0, 7, "Slogans", 0.5, text)])
    segs = segments(a)
    assert [(s.start, s.end, s.spans) for s in segs] == [(0, 4, (2,)), (4, 7, (1, 2))]


def test_span_tracks_keep_overlaps_apart():
    spans = [Span(0, 10, "Doubt", 0.5, ""), Span(5, 20, "Doubt", 0.5, ""), Span(12, 15, "Doubt", 0.5, ""),
             Span(2, 4, "Doubt", 0.5, ""), Span(20, 25, "Doubt", 0.5, "")]
    tr = span_tracks(spans)
    assert tr == [0, 1, 0, 1, 0]  # (2, 4) ends before (5, 20) starts: they share level 1
    for i, x in enumerate(spans):
        for j, y in enumerate(spans):
            if i < j and x.start < y.end and y.start < x.end:
                assert tr[i] != tr[j]


def test_summary_on_a_hand_computed_case():
    text = "One two three four. Five six seven eight nine ten!\nEleven twelve."
    #       0         1         2         3         4         5         6
    sents = split_sentences(text)
    assert [s.text for s in sents] == ["One two three four.", "Five six seven eight nine ten!", "Eleven twelve."]
    spans = [Span(4, 13, "Loaded_Language", 0.9, text[4:13]),     # "two three" (9 chars, sentence 1)
             Span(8, 18, "Doubt", 0.4, text[8:18]),               # "three four" (overlap 8-13 -> union 4-18 = 14)
             Span(20, 28, "Slogans", 0.7, text[20:28]),           # "Five six" (8 chars, sentence 2)
             Span(52, 58, "Slogans", 0.6, text[52:58])]           # "Eleven" (6 chars, sentence 3)
    a = Analysis(text=text, sentences=sents, spans=spans)
    s = article_summary(a)
    assert s.covered_chars == 14 + 8 + 6
    assert s.share == pytest.approx(28 / len(text))
    assert s.words == 12
    assert s.spans_per_100_words == pytest.approx(100 * 4 / 12)
    assert [t.sentence.text for t in s.top_sentences] == [
        "One two three four.", "Five six seven eight nine ten!", "Eleven twelve."]
    assert [t.span_chars for t in s.top_sentences] == [14, 8, 6]
    assert [t.n_spans for t in s.top_sentences] == [2, 1, 1]
    assert s.top_sentences[0].techniques == ("Loaded_Language", "Doubt")
    # ties on characters are broken by the number of spans
    a2 = Analysis(text=text, sentences=sents, spans=[Span(0, 3, "Doubt", 0.5, "One"), Span(20, 24, "Doubt", 0.5, "Five"),
                                                      Span(20, 22, "Slogans", 0.5, "Fi")])
    assert article_summary(a2, top=1).top_sentences[0].sentence.text.startswith("Five")
    empty = article_summary(Analysis(text=""))
    assert (empty.share, empty.spans_per_100_words, empty.top_sentences) == (0.0, 0.0, ())


def test_summary_shown_in_the_report():
    text = "One two three four. Five six seven eight nine ten!\nEleven twelve."
    spans = [Span(4, 13, "Loaded_Language", 0.9, text[4:13]), Span(8, 18, "Doubt", 0.4, text[8:18])]
    doc = render_html(Analysis(text=text, sentences=split_sentences(text), spans=spans))
    assert '<b id="st-share">21.5%</b>' in doc  # 14 / 65
    assert '<b id="st-per100">16.7</b>' in doc  # 2 / 12 words
    assert "<q>One two three four.</q>" in doc
    assert "14 characters in 2 spans: Loaded language, Doubt" in doc


# --- HTML safety --------------------------------------------------------------------------------


def test_hostile_article_is_escaped_everywhere():
    a = hostile_analysis()
    doc = render_html(a, source="evil<script>.txt")
    p = parse(doc)
    # the only scripts are ours: the JSON data and the hashed inline script
    assert len(p.scripts) == 2
    assert p.scripts[0][0] == {"type": "application/json", "id": "spinscope-data"}
    assert p.scripts[1][0] == {}
    assert "alert" not in p.scripts[1][1]
    # no element or attribute comes from the article
    for tag, attrs in p.tags:
        assert tag not in ("img", "a", "textarea", "iframe", "object"), (tag, attrs)
        if tag == "svg":
            assert attrs.get("id") == "chart"
        assert not any(k.startswith("on") for k in attrs), (tag, attrs)
        assert not any("javascript:" in (v or "") for v in attrs.values())
    names = [tag for tag, _ in p.tags]
    assert names.count("style") == 1 and names.count("title") == 2  # ours: <head> and the chart's
    # the article text comes back exactly (the parser normalises nothing here: no CR)
    assert p.article == a.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in doc
    assert "&lt;img src=x onerror=alert(1)&gt;" in doc
    assert "&lt;/textarea&gt;" in doc
    assert "<script>alert" not in doc and "<img" not in doc and "</textarea>" not in doc
    body = doc.split("<body>", 1)[1].split('<script type="application/json"', 1)[0]
    assert "<script" not in body
    # title and source
    assert "<title>&lt;script&gt;alert(&#x27;title&#x27;)&lt;/script&gt; – spinscope report</title>" in doc
    assert "evil&lt;script&gt;.txt" in doc


def test_json_in_script_cannot_break_out():
    a = hostile_analysis()
    doc = render_html(a)
    raw = re.search(r'<script type="application/json" id="spinscope-data">(.*?)</script>', doc, re.S).group(1)
    assert "<" not in raw and ">" not in raw and "&" not in raw and "\u2028" not in raw
    data = json.loads(raw)
    assert data["s"][0][4] == "Words that weighed most: “</script><script>alert(2)</script>” & \"more\"."
    assert json.loads(json_for_script({"x": "</script>&\u2029"})) == {"x": "</script>&\u2029"}
    assert json_for_script("</script>") == '"\\u003c/script\\u003e"'


def test_content_security_policy_and_no_network():
    doc = render_html(sample_analysis(), source="sample_article.txt")
    m = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', doc)
    assert m
    csp = html.unescape(m.group(1))
    assert "default-src 'none'" in csp and "script-src 'sha256-" in csp and "unsafe-eval" not in csp
    # the hash is the hash of our inline script
    import base64
    import hashlib

    script = parse(doc).scripts[1][1]
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in csp
    # nothing that would fetch: no external URL in src/href, no @import, no url() but data:
    assert not re.search(r'(src|href)="(?!data:|#)', doc)
    assert "@import" not in doc
    assert not re.search(r"url\((?!data:)", doc)
    assert "http://" not in doc.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in doc


# --- HTML content -------------------------------------------------------------------------------


def test_report_structure_legend_and_chart():
    a = sample_analysis()
    doc = render_html(a, source="sample_article.txt")
    p = parse(doc)
    assert p.article == a.text
    n_seg = sum(1 for s in segments(a) if s.spans)
    assert p.marks == n_seg
    assert doc.count('tabindex="0"') == n_seg
    # legend: one button per technique found, with its count, in count order
    counts = a.technique_counts
    legend = re.findall(r'<button type="button" class="lg" data-t="(\d+)" aria-pressed="true"[^>]*>'
                        r'<span class="sw"[^>]*></span><span>([^<]+)</span><span class="n" data-count="\d+">(\d+)</span>', doc)
    assert [(html.unescape(name), int(c)) for _, name, c in legend] == [(T.get(k).name, v) for k, v in counts.items()]
    assert counts["Loaded_Language"] == 4 and counts["Repetition"] == 4
    assert "Not found:" not in doc  # the sample uses all 14
    # chart: one bar per technique, widths proportional
    bars = re.findall(r'<rect class="bar" data-t="(\d+)"[^>]* width="([\d.]+)" fill="(#[0-9a-f]{6})"/>', doc)
    assert len(bars) == len(counts) == 14
    assert float(bars[0][1]) == 330.0
    # data for the script matches the spans
    data = embedded_data(doc)
    assert len(data["s"]) == len(a.spans)
    assert [[s.start, s.end] for s in a.spans] == [x[2:4] for x in data["s"]]
    assert data["n"] == len(a.text) and data["w"] == a.word_count
    # stacked underlines on the nested piece: two coloured levels
    seg_html = re.search(r'<mark class="seg multi"[^>]*>gang</mark>', doc).group()
    assert T.get("Name_Calling,Labeling").colour in seg_html and T.get("Loaded_Language").colour in seg_html
    # print styles, line breaks kept
    assert "@media print" in doc and "white-space: pre-wrap" in doc
    assert "The Harbour Bridge Scandal Nobody Wants You to See</mark>\n\nCity Hall" in doc


def test_unknown_technique_and_empty_analysis_render():
    text = "Plain text.\r\nMore."
    doc = render_html(Analysis(text=text, spans=[Span(0, 5, "Mystery_Label", 0.5, "Plain")]))
    assert "Mystery Label" in doc
    empty = render_html(Analysis(text=""))
    assert 'id="article"' in empty and "No technique spans found." in empty
    assert 'id="thr"' not in empty


def test_size_of_a_1000_word_article():
    a = sample_analysis()
    # ~1,000 words: the sample four times over, spans shifted
    k = 4
    text = "\n\n".join([a.text] * k)
    spans = []
    for j in range(k):
        off = j * (len(a.text) + 2)
        spans += [Span(s.start + off, s.end + off, s.technique, s.score, s.text, s.explanation) for s in a.spans]
    big = Analysis(text=text, sentences=split_sentences(text), spans=spans)
    assert 900 <= big.word_count <= 1100
    doc = render_html(big, source="big.txt")
    size = len(doc.encode("utf-8"))
    assert size <= 300_000, size
    assert parse(doc).article == text


# --- index --------------------------------------------------------------------------------------


def test_index_links_and_counts():
    a = sample_analysis()
    h = hostile_analysis()
    doc = render_index([("articles/sample_article.txt", "sample_article.html", a),
                        ("<b>evil</b>.txt", "evil file#1.html", h),
                        ("js", "javascript:alert(1)", Analysis(text="x"))])
    p = parse(doc)
    links = [attrs["href"] for tag, attrs in p.tags if tag == "a"]
    assert links == ["sample_article.html", "evil%20file%231.html", "javascript%3Aalert%281%29"]
    assert "&lt;b&gt;evil&lt;/b&gt;.txt" in doc and "<b>evil" not in doc
    assert ">articles/sample_article.txt</a>" in doc
    assert p.scripts == []
    assert "script-src 'none'" in html.unescape(doc)
    assert f'<td class="num">{len(a.spans)}</td>' in doc
    assert "Loaded language 4" in doc
    assert "3 articles, 27 technique spans" in doc


# --- terminal -----------------------------------------------------------------------------------


def test_text_output_plain_when_not_a_terminal():
    buf = io.StringIO()
    render_text(sample_analysis(), Console(file=buf, highlight=False, soft_wrap=False, width=100), source="x[1].txt",
                min_score=0)
    out = buf.getvalue()
    assert "\x1b[" not in out
    assert "x[1].txt" in out and "words" in out and "Techniques:" in out
    assert "mean confidence" in out and "Most loaded sentences" in out
    assert "Loaded language ×4" in out


def test_text_output_colours_on_a_terminal():
    buf = io.StringIO()
    con = Console(file=buf, force_terminal=True, color_system="truecolor", width=100, highlight=False)
    render_text(sample_analysis(), con, source="sample_article.txt", min_score=0)
    out = buf.getvalue()
    assert "\x1b[" in out
    assert "\x1b[4" in out or ";4;" in out or ";4m" in out  # underline
    assert "48;2" not in out  # no background fills
    assert "Real patriots" in out


@pytest.mark.parametrize("terminal", [True, False])
def test_text_output_shows_control_characters_of_the_article_harmlessly(terminal):
    # an article is untrusted: its ESC sequences must not reach the terminal (clear screen, retitle
    # the window, OSC 52 clipboard writes); they are shown as control pictures, one for one
    text = "The corrupt \x1b[2J\x1b]0;pwned\x07 elites \x1b]52;c;aGk=\x07 lie!\r\nEveryone \x9b31m knows."
    a = Analysis(text=text, title="T\x1b[31mitle", sentences=split_sentences(text),
                 spans=[make_span(text, "corrupt \x1b[2J", "Loaded_Language", 0.9),
                        make_span(text, "Everyone \x9b31m knows", "Bandwagon,Reductio_ad_hitlerum", 0.6)])
    buf = io.StringIO()
    con = Console(file=buf, force_terminal=terminal, color_system="truecolor" if terminal else None, width=120,
                  highlight=False)
    render_text(a, con, source="evil\x1b]0;x\x07.txt", min_score=0)
    out = buf.getvalue()
    for bad in ("\x1b[2J", "\x1b]", "\x07", "\x9b", "\x1b[31mitle", "\r"):
        assert bad not in out
    assert "␛[2J" in out and "␛]52;c;aGk=␇" in out and "evil␛]0;x␇.txt" in out and "Everyone \ufffd31m knows" in out
    assert ("\x1b[" in out) == terminal  # Rich's own styles still colour a terminal
    assert terminal_safe("a\tb\nc\r\n\x00\x7f") == "a\tb\nc\n␀␡"


def test_tsv_rows_unchanged():
    a = Analysis(text="abc", spans=[Span(0, 3, "Doubt", 0.5, "abc")])
    assert ptc_si_rows("1", a) == ["1\t0\t3"]
    assert ptc_tc_rows("1", a) == ["1\tDoubt\t0\t3"]


# --- CLI (in process, with a stand-in detector) -------------------------------------------------


class FakeDetector:
    info = {"name": "fake", "version": "0"}

    def detect(self, text: str) -> list[Span]:
        return [Span(m.start(), m.end(), "Loaded_Language", 0.8, m.group(), "because")
                for m in re.finditer(r"corrupt|shameless", text)]


@pytest.fixture
def fake_detector(monkeypatch):
    import spinscope
    import spinscope.detect

    monkeypatch.setattr(spinscope.detect.detector, "default_detector", lambda: FakeDetector())
    monkeypatch.setattr(spinscope.pipeline, "_claims_available", lambda: False)  # the claims head needs the real encoder


def test_cli_html_single_file_and_stdout(tmp_path, fake_detector, capsys):
    art = tmp_path / "article42.txt"
    art.write_text("The corrupt council <script>x</script>.\n", encoding="utf-8")
    out = tmp_path / "report.html"
    assert cli.main(["analyze", str(art), "--format", "html", "-o", str(out)]) == 0
    doc = out.read_text(encoding="utf-8")
    assert doc.startswith("<!DOCTYPE html>") and "&lt;script&gt;x" in doc and ">corrupt</mark>" in doc
    assert cli.main(["analyze", str(art), "--format", "html"]) == 0
    assert capsys.readouterr().out == doc


def test_cli_html_folder_with_index(tmp_path, fake_detector, capsys):
    src = tmp_path / "in"
    src.mkdir()
    (src / "article1.txt").write_text("A corrupt deal.", encoding="utf-8")
    (src / "index.txt").write_text("Shameless? No, shameless.", encoding="utf-8")
    (src / "bad.txt").write_bytes(b"\xff\xfe")
    other = tmp_path / "other"
    other.mkdir()
    (other / "article1.txt").write_text("Nothing here.", encoding="utf-8")
    dest = tmp_path / "out" / "reports"
    assert cli.main(["analyze", str(src), str(other), "--format", "html", "-o", str(dest), "-q"]) == 2  # bad.txt
    names = sorted(p.name for p in dest.iterdir())
    assert names == ["1-2.html", "1.html", "index-2.html", "index.html"]
    index = (dest / "index.html").read_text(encoding="utf-8")
    assert re.findall(r'<a href="([^"]+)">', index) == ["1.html", "index-2.html", "1-2.html"]
    assert str(src / "article1.txt") in index
    err = capsys.readouterr().err
    assert "bad.txt" in err and "Traceback" not in err


def test_cli_html_several_inputs_without_output_is_one_clear_line(tmp_path, fake_detector, capsys):
    for n in ("a.txt", "b.txt"):
        (tmp_path / n).write_text("corrupt", encoding="utf-8")
    assert cli.main(["analyze", str(tmp_path), "--format", "html"]) == 2
    cap = capsys.readouterr()
    assert cap.out == ""
    lines = cap.err.strip().splitlines()
    assert len(lines) == 1 and "-o FOLDER" in lines[0]
    # -o that is an existing file is refused too
    f = tmp_path / "x.html"
    f.write_text("", encoding="utf-8")
    assert cli.main(["analyze", str(tmp_path / "a.txt"), str(tmp_path / "b.txt"), "--format", "html", "-o", str(f)]) == 2


def test_cli_text_format_piped(tmp_path, fake_detector, capsys):
    art = tmp_path / "a.txt"
    art.write_text("The corrupt and shameless council.", encoding="utf-8")
    assert cli.main(["analyze", str(art)]) == 0
    out = capsys.readouterr().out
    assert "a.txt" in out and "words" in out and "Techniques:" in out and "\x1b[" not in out


def test_sentence_type_is_public():
    # render works with hand-made sentences too
    s = Sentence(0, 3, "abc")
    assert render_html(Analysis(text="abc", sentences=[s], spans=[Span(0, 3, "Doubt", 0.5, "abc")])).count("<mark") == 1


def test_footer_says_names_were_masked_only_when_they_were():
    text = "Joe Biden lied."
    masked = render_html(Analysis(text=text, model={"calibrated": True, "mask_names": True}))
    plain = render_html(Analysis(text=text, model={"calibrated": True, "mask_names": False}))
    sides = render_html(Analysis(text=text, model={"calibrated": True, "mask_names": True, "mask_sides": True}))
    assert "read every name as the same placeholder" in masked and "camp" not in masked
    assert "every camp named in lower case" in sides
    assert "placeholder" not in plain
