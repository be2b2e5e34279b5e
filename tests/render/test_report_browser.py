"""The HTML report in a real headless Chromium (Playwright for Python, Debian's /usr/bin/chromium).

Needs ``pip install playwright`` (the Python package only; no ``playwright install``) and
``apt-get install chromium`` (or ``SPINSCOPE_CHROMIUM=/path/to/chromium``). Skipped when either is
missing. With ``SPINSCOPE_SCREENSHOTS=1`` the
screenshots are also written to ``docs/screenshots/``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("SPINSCOPE_CHROMIUM", "/usr/bin/chromium")  # Debian's; override for other systems
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright (the Python package) is not installed: pip install playwright")
if not os.access(CHROMIUM, os.X_OK):
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)", allow_module_level=True)

from test_report import ROOT, SAMPLE, hostile_analysis, sample_analysis  # noqa: E402

from spinscope.document import Analysis, Span, split_sentences  # noqa: E402
from spinscope.render.html import render_html, render_index  # noqa: E402
from spinscope.render.summary import segments  # noqa: E402

pytestmark = pytest.mark.slow  # a real headless Chromium

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
SCREENSHOTS = ROOT / "docs" / "screenshots"


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        try:
            b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        except Exception as e:  # pragma: no cover - depends on the machine
            pytest.skip(f"cannot start {CHROMIUM}: {e}")
        yield b
        b.close()


class Opened:
    """A report opened from disk with every other request aborted, and what happened meanwhile."""

    def __init__(self, browser, path: Path, viewport=(1100, 900), allow_folder: bool = False):
        self.url = path.resolve().as_uri()
        folder = path.resolve().parent.as_uri() + "/"
        self.allowed = (lambda u: u.startswith(folder)) if allow_folder else (lambda u: u == self.url)
        self.context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]},
                                           java_script_enabled=True)
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.blocked: list[str] = []
        self.failed: list[str] = []
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        self.dialogs: list[str] = []
        page = self.page

        def route(r):
            if self.allowed(r.request.url):
                r.continue_()
            else:
                self.blocked.append(r.request.url)
                r.abort()

        page.route("**/*", route)
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("requestfailed", lambda r: self.failed.append(r.url))
        page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))
        page.on("pageerror", lambda e: self.page_errors.append(str(e)))

        def dialog(d):
            self.dialogs.append(d.message)
            d.dismiss()

        page.on("dialog", dialog)
        page.goto(self.url, wait_until="load")

    def assert_clean(self):
        assert [u for u in self.requests if not self.allowed(u) and not u.startswith("data:")] == []
        assert self.blocked == [] and self.failed == []
        assert self.console_errors == [] and self.page_errors == []
        assert self.dialogs == []

    def close(self):
        self.context.close()


def save(tmp_path: Path, analysis: Analysis, name: str, source: str | None = None) -> Path:
    path = tmp_path / name
    path.write_text(render_html(analysis, source=source or name), encoding="utf-8")
    return path


@pytest.fixture
def sample_page(browser, tmp_path):
    a = sample_analysis()
    o = Opened(browser, save(tmp_path, a, "sample.html", "sample_article.txt"))
    yield a, o
    o.close()


def visible_segments(page) -> int:
    return page.locator("#article mark.seg:not(.off)").count()


def test_renders_completely_offline(sample_page):
    a, o = sample_page
    page = o.page
    n_seg = sum(1 for s in segments(a) if s.spans)
    # at first only spans scored 30% or more; "Show all" shows every one
    likely = {i for i, s in enumerate(a.spans) if s.score >= 0.3}
    assert visible_segments(page) == sum(1 for s in segments(a) if set(s.spans) & likely)
    assert page.locator("#st-spans").inner_text() == str(len(likely))  # (all of this hand-built sample)
    assert page.locator("#thr-out").inner_text() == "30%"
    page.locator("#thr-all").click()
    assert visible_segments(page) == n_seg and page.locator("#thr-out").inner_text() == "0%"
    assert page.locator("#article mark.seg").count() == n_seg
    # every highlighted piece has its stacked underline(s)
    shadows = page.eval_on_selector_all("#article mark.seg", "els => els.map(e => getComputedStyle(e).boxShadow)")
    assert all(s and s != "none" for s in shadows)
    multi = page.eval_on_selector_all("#article mark.seg.multi",
                                      "els => els.map(e => getComputedStyle(e).boxShadow.split('px 0px 0px').length)")
    assert multi and all(k >= 5 for k in multi)  # two coloured levels (+ gaps)
    # the text is all there, line breaks kept
    assert page.eval_on_selector("#article", "e => e.textContent") == a.text
    assert page.eval_on_selector("#article", "e => getComputedStyle(e).whiteSpace") == "pre-wrap"
    # chart, legend, summary
    chart = page.locator("svg#chart")
    assert chart.is_visible()
    assert page.locator("svg#chart rect.bar").count() == len(a.technique_counts) == 14
    assert page.locator("button.lg").count() == 14
    assert page.locator("ol.top li").count() == 3
    assert page.locator("#spans tbody tr").count() == len(a.spans)
    assert page.title().startswith("The Harbour Bridge Scandal Nobody Wants You to See")  # the headline, not the file name
    o.assert_clean()


def test_tooltip_on_hover_and_keyboard(sample_page):
    a, o = sample_page
    page = o.page
    tip = page.locator("#tip")
    assert tip.is_hidden()
    seg = page.locator("#article mark.seg", has_text="betrayed").first
    seg.hover()
    tip.wait_for(state="visible")
    text = tip.inner_text()
    assert "Loaded language" in text and "91%" in text
    assert "emotional charge" in text  # the definition
    assert "Appeal to fear or prejudice" in text and "41%" in text  # the span around it
    assert "Words that weighed most" in text  # the explanation
    page.mouse.move(1, 1)
    tip.wait_for(state="hidden")

    # keyboard: Tab reaches the highlights, focus shows the tooltip, Escape hides it
    page.locator("#thr-all").focus()
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.matches('#article mark.seg')")
    assert focused
    assert page.evaluate("document.activeElement.textContent") == a.text[: a.spans[0].end]
    tip.wait_for(state="visible")
    assert "Loaded language" in tip.inner_text() and "62%" in tip.inner_text()
    assert page.evaluate("document.activeElement.getAttribute('aria-describedby')") == "tip"
    assert tip.get_attribute("role") == "tooltip"
    page.keyboard.press("Escape")
    tip.wait_for(state="hidden")
    page.keyboard.press("Tab")
    tip.wait_for(state="visible")
    assert "Appeal to fear or prejudice" in tip.inner_text()
    o.assert_clean()


def test_legend_toggles_a_technique(sample_page):
    a, o = sample_page
    page = o.page
    button = page.locator("button.lg", has_text="Repetition")
    assert button.get_attribute("aria-pressed") == "true"
    rep = [i for i, s in enumerate(a.spans) if s.technique == "Repetition"]
    only_rep = sum(1 for s in segments(a) if s.spans and set(s.spans) <= set(rep))
    before = visible_segments(page)
    server_side = page.eval_on_selector_all("#article mark.seg", "els => els.map(e => getComputedStyle(e).boxShadow)")
    disaster = page.locator("#article mark.seg", has_text="disaster")
    assert disaster.count() == 4
    button.click()
    assert button.get_attribute("aria-pressed") == "false"
    assert visible_segments(page) == before - only_rep
    for k in range(4):
        assert "off" in disaster.nth(k).get_attribute("class")
        assert disaster.nth(k).evaluate("e => getComputedStyle(e).boxShadow") == "none"
        assert disaster.nth(k).get_attribute("tabindex") == "-1"
    assert page.locator("#spans tbody tr:visible").count() == len(a.spans) - 4
    assert "20 of 24 spans shown" in page.locator("#shown").inner_text()
    # keyboard: Enter on the focused legend entry switches it back on
    button.focus()
    page.keyboard.press("Enter")
    assert button.get_attribute("aria-pressed") == "true"
    assert visible_segments(page) == before
    # the script draws the same stacked underlines as the server did
    again = page.eval_on_selector_all("#article mark.seg", "els => els.map(e => getComputedStyle(e).boxShadow)")
    assert again == server_side
    o.assert_clean()


def test_slider_hides_low_confidence_spans(sample_page):
    a, o = sample_page
    page = o.page
    page.locator("#thr").fill("60")
    assert page.locator("#thr-out").inner_text() == "60%"
    keep = {i for i, s in enumerate(a.spans) if s.score >= 0.6}
    expected = sum(1 for s in segments(a) if set(s.spans) & keep)
    assert visible_segments(page) == expected < sum(1 for s in segments(a) if s.spans)
    # counts follow the threshold: loaded language 0.62, 0.91, 0.70 stay; 0.55 goes
    lg = page.locator("button.lg", has_text="Loaded language").locator(".n")
    assert lg.inner_text() == "3"
    assert page.locator("#st-spans").inner_text() == str(len(keep))
    assert page.locator("svg#chart text[data-count]").first.text_content() == "3"
    # "drowning in debt" (0.55) lies in a 0.86 span: still highlighted, one level only
    debt = page.locator("#article mark.seg", has_text="drowning in debt")
    assert "off" not in debt.get_attribute("class") and "multi" not in debt.get_attribute("class")
    debt.hover()
    assert "55%" not in page.locator("#tip").inner_text()
    page.locator("#thr").fill("0")
    assert visible_segments(page) == sum(1 for s in segments(a) if s.spans)
    o.assert_clean()


def test_script_injection_runs_nothing(browser, tmp_path):
    a = hostile_analysis()
    extra = ("\n<script>window.__pwned = 1</script><img src=x onerror=\"window.__pwned = 2\">"
             "<svg onload=\"window.__pwned = 3\"></svg><a href=\"javascript:window.__pwned=4\">go</a>\n")
    text = a.text + extra
    a = Analysis(text=text, title=a.title, sentences=split_sentences(text),
                 spans=a.spans + [Span(len(a.text) + 1, len(text) - 1, "Doubt", 0.8, text[len(a.text) + 1 : -1],
                                       "</script><script>window.__pwned=5</script>")])
    o = Opened(browser, save(tmp_path, a, "evil.html", "<script>window.__pwned=6</script>.txt"))
    try:
        page = o.page
        page.wait_for_timeout(200)
        assert page.evaluate("window.__pwned") is None
        article = page.locator("#article")
        assert "<script>alert(1)</script>" in article.inner_text()
        assert "</textarea>" in article.inner_text() and "javascript:" in article.inner_text()
        assert page.get_by_text("<script>alert(1)</script>").first.is_visible()
        assert page.locator("#article img, #article script, #article a, #article svg").count() == 0
        assert article.evaluate("e => e.textContent") == text
        assert page.title().startswith("<script>alert('title')</script>")
        # hovering the hostile spans and reading their tooltips runs nothing either
        for k in range(page.locator("#article mark.seg").count()):
            page.locator("#article mark.seg").nth(k).hover()
        assert "</script><script>window.__pwned=5</script>" in page.locator("#tip").inner_text()
        assert page.locator("a", has_text="go").count() == 0
        assert page.evaluate("window.__pwned") is None
        o.assert_clean()
    finally:
        o.close()


def test_print_layout(sample_page):
    a, o = sample_page
    page = o.page
    page.emulate_media(media="print")
    assert page.locator(".thr").is_hidden()
    assert page.locator("#tip").is_hidden()
    assert page.locator("#spans").is_visible()
    assert page.locator("#article mark.seg").first.evaluate("e => getComputedStyle(e).boxShadow") != "none"
    pdf = page.pdf(format="A4", print_background=True)
    assert pdf[:5] == b"%PDF-" and len(pdf) > 10_000
    o.assert_clean()


def test_index_page_links_to_the_reports(browser, tmp_path):
    a = sample_analysis()
    h = hostile_analysis()
    (tmp_path / "sample article.html").write_text(render_html(a, source="sample_article.txt"), encoding="utf-8")
    (tmp_path / "evil.html").write_text(render_html(h, source="evil.txt"), encoding="utf-8")
    (tmp_path / "index.html").write_text(render_index([("sample_article.txt", "sample article.html", a),
                                                       ("<b>evil</b>.txt", "evil.html", h)]), encoding="utf-8")
    o = Opened(browser, tmp_path / "index.html", allow_folder=True)
    try:
        page = o.page
        links = page.locator("#index a")
        assert links.count() == 2
        assert links.nth(1).inner_text() == "<b>evil</b>.txt"
        row = page.locator("#index tbody tr").first
        assert str(len(a.spans)) in row.inner_text() and "Loaded language 4" in row.inner_text()
        assert page.locator("svg#chart-all rect.bar").count() == 14
        links.first.click()
        page.wait_for_url("**/sample%20article.html")
        assert page.locator("#article mark.seg").count() == sum(1 for s in segments(a) if s.spans)
        o.assert_clean()
    finally:
        o.close()


def real_or_hand_built() -> Analysis:
    """The sample article, analysed by the shipped model when there is one, else hand-built."""
    if (ROOT / "spinscope" / "models" / "config.json").exists():
        import spinscope

        return spinscope.analyze(SAMPLE.read_text(encoding="utf-8"))
    return sample_analysis()


def test_screenshots(browser, tmp_path):
    a = real_or_hand_built()
    o = Opened(browser, save(tmp_path, a, "report.html", "sample_article.txt"), viewport=(1100, 900))
    try:
        page = o.page
        full = tmp_path / "report.png"
        page.screenshot(path=str(full), full_page=True)
        if not page.locator("#article mark.seg:not(.off)").count():
            page.locator("#thr-all").click()  # no span of the sample at 30%: every one, as a reader would ask
        seg = page.locator("#article mark.seg.multi:not(.off)").first
        if not seg.count():
            seg = page.locator("#article mark.seg:not(.off)").first
        seg.scroll_into_view_if_needed()
        seg.hover()
        page.locator("#tip").wait_for(state="visible")
        tip = tmp_path / "report-tooltip.png"
        page.screenshot(path=str(tip))
        assert full.stat().st_size > 20_000 and tip.stat().st_size > 20_000
        o.assert_clean()
        if os.environ.get("SPINSCOPE_SCREENSHOTS") == "1":
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(full, SCREENSHOTS / "report.png")
            shutil.copyfile(tip, SCREENSHOTS / "report-tooltip.png")
    finally:
        o.close()
