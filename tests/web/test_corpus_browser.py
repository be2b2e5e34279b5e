"""The corpus dashboard in a real browser: the router on a bare FastAPI app served by uvicorn,
driven by Debian's Chromium through Playwright.

Skips when Playwright for Python or /usr/bin/chromium is missing; no browser is downloaded.
Every request to anything but the test server is aborted and fails the test.
"""

import os
import socket
import threading
import time
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
playwright_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
uvicorn = pytest.importorskip("uvicorn", reason="uvicorn is not installed")
if not CHROMIUM.exists():
    pytest.skip("Debian's Chromium is not installed (/usr/bin/chromium; apt-get install chromium)", allow_module_level=True)

from fastapi import FastAPI  # noqa: E402

from spinscope.web import dashboard  # noqa: E402
from spinscope.corpus import Record, Store  # noqa: E402
from corpus_data import FAKE, HOSTILE_TITLE, hand_result, text_of  # noqa: E402
from conftest import ROOT  # noqa: E402

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
pytestmark = pytest.mark.slow  # a real headless Chromium

TECHS = ["Loaded_Language", "Doubt", "Name_Calling,Labeling", "Slogans"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db = tmp_path_factory.mktemp("dash") / "dash.sqlite"
    items = []
    for i in range(30):
        text = text_of(i, 60)
        spans = [(k * 20, k * 20 + 12, TECHS[(i + k) % len(TECHS)]) for k in range(1 + i % 4)]
        items.append((Record(text=text, origin=f"d{i}", title=HOSTILE_TITLE if i == 7 else f"Article {i}",
                             source=("north", "south", "east")[i % 3], published=f"2024-{1 + i % 6:02d}-{1 + i:02d}"),
                      hand_result(text, spans)))
    with Store(db) as st:
        st.write_new(items, "add", FAKE)
    app = FastAPI()
    app.include_router(dashboard.corpus_router(db), prefix="/corpus")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", lifespan="off"))
    th = threading.Thread(target=srv.run, daemon=True)
    th.start()
    deadline = time.monotonic() + 30
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    th.join(10)


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture()
def page(browser, server):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    outside, dialogs, errors = [], [], []

    def only_local(route):
        if route.request.url.startswith(server + "/") or route.request.url.startswith(("data:", "about:")):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    ctx.route("**/*", only_local)
    pg = ctx.new_page()
    pg.set_default_timeout(30_000)
    pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    ctx.close()
    assert not outside, f"the page tried to reach {outside}"
    assert not dialogs, f"a dialog opened: {dialogs}"
    assert not errors, f"console errors (CSP violations included): {errors}"


def test_overview_charts_and_filter(page, server):
    page.goto(f"{server}/corpus/")
    for sel in ("svg#over-time", "svg#by-source"):
        box = page.locator(sel).bounding_box()
        assert box and box["width"] > 300 and box["height"] > 100
    assert page.locator("svg#over-time polyline").count() == 4
    assert page.locator("svg#by-source g.bar").count() == 3
    assert page.locator("#n-docs").inner_text() == "30"
    if os.environ.get("SPINSCOPE_SCREENSHOTS") == "1":
        out = ROOT / "docs" / "screenshots" / "dashboard.png"
        page.screenshot(path=str(out), full_page=True)
    page.select_option("select[name=source]", "north")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**/corpus/?source=north*")
    assert page.locator("#n-docs").inner_text() == "10"
    assert page.locator("svg#by-source g.bar").count() == 1


def test_article_list_report_and_side_by_side(page, server):
    page.goto(f"{server}/corpus/articles?technique=Doubt")
    rows = page.locator("#articles tbody tr")
    n = rows.count()
    assert 0 < n < 30 and page.locator("#count").inner_text() == f"{n} documents"
    # the hostile title is text, not markup
    page.goto(f"{server}/corpus/articles")
    assert page.get_by_text(HOSTILE_TITLE).count() == 1
    assert page.evaluate("window.__pwned === undefined")
    # one report: its own script runs under its own policy
    page.locator("#articles tbody tr").first.locator("a").click()
    page.wait_for_selector("#article")
    assert page.evaluate("document.documentElement.classList.contains('js')")
    page.go_back()
    # two side by side
    page.locator("#articles tbody tr").nth(0).locator("input[name=a]").check()
    page.locator("#articles tbody tr").nth(1).locator("input[name=b]").check()
    page.click("text=Compare A and B side by side")
    page.wait_for_url("**/corpus/compare?a=*&b=*")
    assert page.locator("iframe").count() == 2
    for k in range(2):
        frame = page.frame_locator("iframe").nth(k)
        frame.locator("#article").wait_for()
        assert frame.locator("html.js").count() == 1  # the report's script ran inside the sandboxed frame
        assert frame.locator("h1").inner_text().startswith("Article")


def test_an_article_page_links_back(page, server):
    page.goto(f"{server}/corpus/articles/1")
    page.wait_for_selector("#article")
    page.click("text=← Articles")
    page.wait_for_url("**/corpus/articles")
    assert page.locator("#articles tbody tr").count() > 0


@pytest.mark.parametrize("path", ["/corpus/", "/corpus/articles", "/corpus/articles/1", "/corpus/compare?a=1&b=2"])
def test_no_horizontal_scroll_on_a_phone(browser, server, path):
    ctx = browser.new_context(viewport={"width": 390, "height": 800})
    try:
        pg = ctx.new_page()
        pg.goto(server + path)
        assert pg.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        ctx.close()
