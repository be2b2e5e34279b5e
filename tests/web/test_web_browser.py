"""The web app in a real browser: the real server (``spinscope serve``) driven by Debian's Chromium.

Skips when Playwright for Python or /usr/bin/chromium is missing (``apt-get install chromium``).
No browser is downloaded: Playwright drives the system Chromium. Every request the page makes
to anything but the test server is aborted and fails the test.
With ``SPINSCOPE_SCREENSHOTS=1`` it saves docs/screenshots/webapp.png.
"""

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT

pytestmark = pytest.mark.slow  # a real headless Chromium

CHROMIUM = Path("/usr/bin/chromium")
playwright_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
if not CHROMIUM.exists():
    pytest.skip("Debian's Chromium is not installed (/usr/bin/chromium; apt-get install chromium)", allow_module_level=True)

SAMPLE = (ROOT / "spinscope" / "samples" / "sample_article.txt").read_text(encoding="utf-8")
HOSTILE = (
    "Breaking news <script>window.__pwned = 1; alert('pwned')</script> The corrupt council once again betrayed the families.\n"
    "Critics called the mayor a clown and a liar. <img src=x onerror=\"window.__pwned=1;alert(1)\">\n"
    "Read <a href=\"javascript:window.__pwned=1;alert(3)\">the truth</a> now. </textarea><script>window.__pwned=2</script>\n"
    "<svg onload=\"window.__pwned=3\"></svg> <iframe src=\"javascript:parent.__pwned=4\"></iframe> \"quoted\" & done.\n"
)
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
TIMEOUT_MS = 120_000  # the shipped model on a busy 2-core machine


@pytest.fixture(scope="module")
def server():
    """``spinscope serve`` on a free 127.0.0.1 port (port 0: the server says which it got)."""
    cmd = [sys.executable, "-m", "spinscope", "serve", "--host", "127.0.0.1", "--port", "0"]
    if os.environ.get("SPINSCOPE_TEST_MODEL"):  # development only; the default is the shipped model
        cmd += ["--model", os.environ["SPINSCOPE_TEST_MODEL"]]
    env = dict(os.environ, SPINSCOPE_THREADS="1", PYTHONWARNINGS="ignore")
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = None
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            line = proc.stderr.readline()
            if not line:
                if proc.poll() is not None:
                    break
                continue
            m = re.search(r"serving on (http://127\.0\.0\.1:\d+)/", line)
            if m:
                url = m.group(1)
                break
        if url is None:
            proc.kill()
            pytest.fail(f"the server did not start: {proc.stderr.read() if proc.poll() is not None else 'timeout'}")
        yield url
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture()
def page(browser, server):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    outside, dialogs = [], []

    def only_local(route):
        if route.request.url.startswith(server + "/") or route.request.url.startswith(("data:", "about:")):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    ctx.route("**/*", only_local)
    pg = ctx.new_page()
    pg.set_default_timeout(TIMEOUT_MS)
    pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    pg.outside, pg.dialogs = outside, dialogs
    yield pg
    ctx.close()
    assert not outside, f"the page tried to reach {outside}"
    assert not dialogs, f"a dialog opened: {dialogs}"


def analyze(page, server, text, title=""):
    page.goto(server + "/")
    page.fill("#text", text)
    if title:
        page.fill("#title", title)
    with page.expect_navigation(timeout=TIMEOUT_MS):
        page.click("#analyze")
    page.wait_for_selector("#article", state="attached")


def test_paste_analyze_filter_tooltip(page, server):
    analyze(page, server, SAMPLE, "The Harbour Bridge")
    expect = playwright_api.expect
    # the report is the page itself (no inner frame, no scrollbar of its own)
    assert page.locator("iframe").count() == 0
    frame = page
    segs = frame.locator("#article .seg")
    expect(segs.first).to_be_visible(timeout=TIMEOUT_MS)
    n = segs.count()
    assert n > 0
    assert "City Hall has once again betrayed" in frame.locator("#article").inner_text()
    # at first only the likelier spans; "Show all" shows every one
    frame.locator("#thr-all").click()
    expect(frame.locator("#shown")).to_have_text(re.compile(r"^all \d+ spans shown"))
    # filter: hide the first technique in the legend; its pieces are switched off
    off_before = frame.locator("#article .seg.off").count()
    button = frame.locator(".legend button").first
    expect(button).to_have_attribute("aria-pressed", "true")
    shown_before = frame.locator("#shown").inner_text()
    button.click()
    expect(button).to_have_attribute("aria-pressed", "false")
    expect(frame.locator("#shown")).not_to_have_text(shown_before)
    assert frame.locator("#article .seg.off").count() > off_before
    button.click()  # and back
    expect(button).to_have_attribute("aria-pressed", "true")
    # tooltip: hovering a highlighted piece opens it with the technique's explanation
    seg = frame.locator("#article .seg:not(.off)").first
    seg.scroll_into_view_if_needed()
    seg.hover()
    tip = frame.locator("#tip")
    expect(tip).to_be_visible()
    assert tip.inner_text().strip()
    if os.environ.get("SPINSCOPE_SCREENSHOTS") == "1":
        out = ROOT / "docs" / "screenshots" / "webapp.png"
        out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out), full_page=True)
    # downloads: the report alone and the JSON
    with page.expect_download() as got:
        page.click("#download-json")
    data = json.loads(Path(got.value.path()).read_text(encoding="utf-8"))
    assert data["title"] == "The Harbour Bridge" and data["spans"]
    with page.expect_download() as got:
        page.click("#download-report")
    assert got.value.suggested_filename.endswith(".spinscope.html")
    assert "City Hall has once again betrayed" in Path(got.value.path()).read_text(encoding="utf-8")
    # and the form is there to edit the text and analyse again
    page.click("#sp-again summary")
    assert page.input_value("#text") == SAMPLE


def test_hostile_article_runs_nothing(page, server):
    analyze(page, server, HOSTILE, title="<script>window.__pwned=9</script>")
    page.wait_for_timeout(1000)  # give any injected handler time to fire
    assert page.evaluate("() => window.__pwned") is None
    assert page.dialogs == []
    assert page.input_value("#text") == HOSTILE  # the textarea holds the text, it was not closed early
    assert page.input_value("#title") == "<script>window.__pwned=9</script>"
    article = page.locator("#article")
    playwright_api.expect(article).to_be_visible()
    shown = article.inner_text()
    assert page.locator("#article script, #article img, #article a, #article svg, #article iframe").count() == 0
    # hovering the pieces and opening a tooltip does not run anything either
    page.locator("#thr-all").click()
    page.locator("#article .seg").first.hover()
    page.wait_for_timeout(300)
    assert page.evaluate("() => window.__pwned") is None
    for literal in ("<script>window.__pwned = 1;", "<img src=x onerror=", 'href="javascript:', "</textarea>", "<svg onload="):
        assert literal in shown, literal
    assert page.evaluate("() => window.__pwned") is None


def test_docs_render_offline(page, server):
    page.goto(server + "/docs")
    playwright_api.expect(page.locator(".swagger-ui .info .title")).to_contain_text("spinscope", timeout=60_000)
    playwright_api.expect(page.locator(".opblock-summary-path", has_text="/api/analyze")).to_be_visible()


@pytest.mark.parametrize("width", [390, 1280])
def test_no_horizontal_scroll_at_phone_and_desktop_widths(browser, server, width):
    ctx = browser.new_context(viewport={"width": width, "height": 800})
    try:
        page = ctx.new_page()
        page.goto(server + "/")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        analyze(page, server, SAMPLE, "The Harbour Bridge")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    finally:
        ctx.close()
