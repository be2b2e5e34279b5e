"""The web app and HTTP API (spinscope.web) through FastAPI's TestClient, with the shipped model."""

import http.server
import ipaddress
import json
import os
import re
import statistics
import threading
import time
from html.parser import HTMLParser

import pytest

from conftest import ROOT

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from spinscope.inputs import fetch, html as sources  # noqa: E402
from spinscope import techniques  # noqa: E402
from spinscope.document import Span  # noqa: E402
from spinscope.web import create_app  # noqa: E402

SAMPLE = (ROOT / "spinscope" / "samples" / "sample_article.txt").read_text(encoding="utf-8")
SCHEMA = json.loads((ROOT / "spinscope" / "analysis.schema.json").read_text(encoding="utf-8"))

HOSTILE = (
    "Breaking: <script>window.__pwned = 1; alert('pwned')</script> The corrupt council betrayed us.\n"
    "Critics called the mayor a clown and a liar. <img src=x onerror=\"window.__pwned=1;alert(1)\">\n"
    "Click <a href=\"javascript:window.__pwned=1\">here</a> </textarea><script>alert(2)</script> "
    "\"quotes\" & 'apostrophes' {{ 7*7 }} {% raw %}\n"
)


@pytest.fixture(scope="module")
def detector():
    from spinscope.detect import Detector, default_detector

    path = os.environ.get("SPINSCOPE_TEST_MODEL")  # development only; the default is the shipped model
    return Detector(path) if path else default_detector()


@pytest.fixture(scope="module")
def client(detector):
    with TestClient(create_app(detector=detector)) as c:
        yield c


@pytest.fixture(scope="module")
def fetch_client(detector):
    with TestClient(create_app(detector=detector, allow_fetch=True)) as c:
        yield c


def post_json(c, payload, **kw):
    return c.post("/api/analyze", json=payload, **kw)


# --- the API ------------------------------------------------------------------------------------


def test_healthz(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert body["model"]["name"] and body["model"]["version"]


def test_techniques(client):
    r = client.get("/api/techniques")
    assert r.status_code == 200
    assert r.json() == [t.as_dict() for t in techniques.TECHNIQUES]
    assert len(r.json()) == 14


def test_analyze_text_follows_schema(client, detector):
    jsonschema = pytest.importorskip("jsonschema")
    r = post_json(client, {"text": SAMPLE, "title": "Harbour bridge"})
    assert r.status_code == 200, r.text
    doc = r.json()
    jsonschema.validate(doc, SCHEMA)
    assert doc["text"] == SAMPLE and doc["title"] == "Harbour bridge" and doc["length"] == len(SAMPLE)
    assert doc["spans"], "the sample article is full of techniques"
    for s in doc["spans"]:
        assert SAMPLE[s["start"]:s["end"]] == s["text"]
    # the same as the Python API / --format json
    import spinscope

    assert doc == spinscope.analyze(SAMPLE, title="Harbour bridge", detector=detector).as_dict()


def test_analyze_stages_can_be_skipped(client, detector):
    import spinscope

    r = post_json(client, {"text": SAMPLE, "entities": False, "claims": False})
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["entities"] == [] and doc["claims"] == []
    assert all(s["target"] is None for s in doc["spans"])
    assert doc == spinscope.analyze(SAMPLE, detector=detector, claims=False, entities=False).as_dict()
    full = post_json(client, {"text": SAMPLE, "entities": True}).json()
    assert full["entities"], "the sample names people and places"
    assert [(s["start"], s["end"], s["technique"]) for s in full["spans"]] == \
        [(s["start"], s["end"], s["technique"]) for s in doc["spans"]]
    bad = post_json(client, {"text": SAMPLE, "entities": "no"})
    assert bad.status_code == 422 and '"entities" must be true or false' in bad.json()["error"]


def test_analyze_html_extracts_first(client):
    jsonschema = pytest.importorskip("jsonschema")
    page = ("<html><head><title>Bridge</title><script>window.__pwned=1</script></head><body><article><p>"
            + SAMPLE.replace("\n\n", "</p><p>") + "</p></article></body></html>")
    r = post_json(client, {"html": page})
    assert r.status_code == 200, r.text
    doc = r.json()
    jsonschema.validate(doc, SCHEMA)
    assert "__pwned" not in doc["text"] and "<p>" not in doc["text"]
    assert "City Hall has once again betrayed" in doc["text"]
    assert doc["title"]
    assert doc["notes"] == []  # the article body was found
    for s in doc["spans"]:
        assert doc["text"][s["start"]:s["end"]] == s["text"]
    menu = post_json(client, {"html": "<aside><a href='/'>Home</a></aside><aside>The corrupt elites lied.</aside>"}).json()
    jsonschema.validate(menu, SCHEMA)
    assert menu["notes"] == [sources.NO_BODY_NOTE] and menu["text"].startswith("Home")


def test_blank_text_is_an_empty_analysis(client):
    r = post_json(client, {"text": " \n\t\u0085 "})
    assert r.status_code == 200 and r.json()["spans"] == [] and r.json()["text"] == " \n\t\u0085 "


def test_html_without_text_is_an_empty_analysis_with_a_note(client):
    r = post_json(client, {"html": "<script>only()</script>"})
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["text"] == "" and doc["spans"] == [] and doc["notes"] == ["the page has no text to analyse"]


def test_blank_but_valid_and_unicode(client):
    r = post_json(client, {"text": "Ünïcödé – “quotes” ☕ and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 outside the BMP.\n", "title": None})
    assert r.status_code == 200
    doc = r.json()
    for s in doc["spans"]:
        assert doc["text"][s["start"]:s["end"]] == s["text"]


@pytest.mark.parametrize("payload,status,msg", [
    ({}, 422, 'missing "text"'),
    ({"title": "x"}, 422, 'missing "text"'),
    ({"text": None}, 422, '"text" must be a string, not null'),
    ({"text": "ok", "entities": None}, 422, '"entities" must be true or false, not null'),
    ({"text": "ok", "claims": "yes"}, 422, '"claims" must be true or false, not a string'),
    ({"text": "ok", "colour": "red"}, 422, '"colour" is not a field'),
    ({"text": ""}, 422, "empty"),
    ({"text": 42}, 422, "must be a string, not a number"),
    ({"text": ["a"]}, 422, "must be a string, not an array"),
    ({"text": {"a": 1}}, 422, "must be a string, not an object"),
    ({"text": "ok", "title": 5}, 422, '"title" must be a string'),
    ({"text": "ok", "html": "<p>x</p>"}, 422, "only one of"),
    ({"html": 3}, 422, '"html" must be a string'),
    ([1, 2], 422, "JSON object"),
    ("text", 422, "JSON object"),
    ({"url": "http://example.org/"}, 403, "--allow-fetch"),
])
def test_analyze_errors(client, payload, status, msg):
    r = post_json(client, payload)
    assert r.status_code == status, r.text
    assert msg in r.json()["error"]
    assert set(r.json()) == {"error"}


@pytest.mark.parametrize("body, msg", [
    (rb'{"text": "lone \ud800 surrogate"}', '"text" is not valid Unicode: an unpaired surrogate U+D800 at character 5'),
    (rb'{"text": "ok", "title": "\udfff"}', '"title" is not valid Unicode: an unpaired surrogate U+DFFF at character 0'),
    (rb'{"html": "<p>\ud800</p>"}', '"html" is not valid Unicode'),
])
def test_unpaired_surrogate_escapes_are_422_not_500(client, body, msg):
    # JSON allows "\ud800"; the str it gives is not text (it was a 500 from the tokenizer)
    r = client.post("/api/analyze", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 422, r.text
    assert msg in r.json()["error"]
    ok = client.post("/api/analyze", content=rb'{"text": "a pair \ud83d\ude00 is fine", "entities": false}',
                     headers={"Content-Type": "application/json"})
    assert ok.status_code == 200 and ok.json()["text"] == "a pair 😀 is fine"


@pytest.mark.parametrize("body", [b"{", b"{'text': 'x'}", b"", b"\xff\xfe{}", b'{"text": "x"} trailing',
                                  b"[" * 100_000, b'{"text": "x", "n": ' + b"9" * 5000 + b"}"])
def test_invalid_json_is_422(client, body):
    r = client.post("/api/analyze", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 422
    assert r.json()["error"].startswith("invalid JSON")


@pytest.mark.parametrize("ctype", [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonx"])
def test_wrong_content_type_is_415(client, ctype):
    headers = {"Content-Type": ctype} if ctype else {}
    r = client.post("/api/analyze", content=b'{"text": "hello"}', headers=headers)
    assert r.status_code == 415
    assert "application/json" in r.json()["error"]


def test_json_with_charset_accepted(client):
    r = client.post("/api/analyze", content='{"text": "Café"}'.encode(), headers={"Content-Type": "application/json; charset=utf-8"})
    assert r.status_code == 200 and r.json()["text"] == "Café"


def test_body_limit_413(detector):
    with TestClient(create_app(detector=detector, max_body=1000)) as c:
        big = json.dumps({"text": "word " * 400})
        r = c.post("/api/analyze", content=big, headers={"Content-Type": "application/json"})
        assert r.status_code == 413 and "1000 bytes" in r.json()["error"]

        def chunks():  # no Content-Length: the streamed size is counted
            for _ in range(10):
                yield b" " * 200
            yield b'{"text": "x"}'

        r = c.post("/api/analyze", content=chunks(), headers={"Content-Type": "application/json"})
        assert r.status_code == 413 and "1000 bytes" in r.json()["error"]
        r = c.post("/", files={"file": ("a.txt", b"x" * 5000, "text/plain")})
        assert r.status_code == 413
        assert c.post("/api/analyze", json={"text": "small enough"}).status_code == 200
        r = c.post("/api/analyze", content=b"{}", headers={"Content-Type": "application/json", "Content-Length": "abc"})
        assert r.status_code == 400


def test_unknown_route_and_method_are_json(client):
    r = client.get("/nope")
    assert r.status_code == 404 and "error" in r.json()
    r = client.get("/api/analyze")
    assert r.status_code == 405 and "error" in r.json()


def test_openapi_and_docs_offline(client):
    spec = client.get("/openapi.json").json()
    assert "/api/analyze" in spec["paths"] and "/api/techniques" in spec["paths"] and "/healthz" in spec["paths"]
    assert "requestBody" in spec["paths"]["/api/analyze"]["post"]
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "cdn." not in docs.text and "https://" not in docs.text
    assets = re.findall(r'(?:src|href)="(/[^"]+\.(?:js|css))"', docs.text)
    assert assets
    for a in assets:
        assert client.get(a).status_code == 200


# --- URLs ---------------------------------------------------------------------------------------


@pytest.fixture()
def no_outside_connections(monkeypatch):
    real = fetch._connect

    def guarded(addrs, timeout):
        for a in addrs:
            assert ipaddress.ip_address(a[3][0].split("%")[0]).is_loopback, f"tried to connect to {a[3][0]}"
        return real(addrs, timeout)

    monkeypatch.setattr(fetch, "_connect", guarded)


@pytest.mark.parametrize("url,reason", [
    ("http://127.0.0.1:1/", "loopback"), ("http://10.0.0.1/", "private"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"), ("http://[::1]/", "loopback"),
    ("file:///etc/passwd", "only http"),
])
def test_url_refused_is_400(fetch_client, url, reason, no_outside_connections):
    r = post_json(fetch_client, {"url": url})
    assert r.status_code == 400
    assert reason in r.json()["error"]


def test_url_fetched_when_private_allowed(detector, no_outside_connections):
    page = ("<html><head><title>Local page</title></head><body><article><p>"
            + SAMPLE.replace("\n\n", "</p><p>") + "</p><script>window.__pwned=1</script></article></body></html>").encode()

    class H(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    t.start()
    url = f"http://127.0.0.1:{srv.server_address[1]}/story"
    try:
        with TestClient(create_app(detector=detector, allow_fetch=True, allow_private=True)) as c:
            r = post_json(c, {"url": url})
            assert r.status_code == 200, r.text
            doc = r.json()
            assert doc["source"] == url and "City Hall" in doc["text"] and "__pwned" not in doc["text"]
            for s in doc["spans"]:
                assert doc["text"][s["start"]:s["end"]] == s["text"]
            page_r = c.post("/", data={"url": url, "text": ""})
            assert page_r.status_code == 200 and "City Hall" in page_r.text
        with TestClient(create_app(detector=detector, allow_fetch=True)) as c:  # default: private refused
            r = post_json(c, {"url": url})
            assert r.status_code == 400 and "loopback" in r.json()["error"]
            page_r = c.post("/", data={"url": url, "text": ""})
            assert page_r.status_code == 400 and "loopback" in page_r.text
    finally:
        srv.shutdown()
        srv.server_close()


def test_url_fetches_have_a_pool_of_their_own(detector, monkeypatch):
    # each fetch may take up to its deadline: 40 slow servers used to fill anyio's default thread
    # pool, which the rest of the app shares; now at most INPUT_WORKERS run and the others wait
    from spinscope.web import app as web_app

    gate, lock, seen = threading.Event(), threading.Lock(), {"now": 0, "peak": 0}

    def slow_load(url, **kw):
        with lock:
            seen["now"] += 1
            seen["peak"] = max(seen["peak"], seen["now"])
        gate.wait(30)
        with lock:
            seen["now"] -= 1
        return sources.Page("Real patriots will never surrender.", None), url

    monkeypatch.setattr(fetch, "load_page", slow_load)
    n = web_app.INPUT_WORKERS + 4
    with TestClient(create_app(detector=detector, allow_fetch=True)) as c:
        results = []
        threads = [threading.Thread(target=lambda i=i: results.append(post_json(c, {"url": f"http://example.com/{i}"})))
                   for i in range(n)]
        for t in threads:
            t.start()
        try:
            deadline = time.monotonic() + 10
            while seen["now"] < web_app.INPUT_WORKERS and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(0.3)  # give any request beyond the pool the time to start
            assert seen["now"] == seen["peak"] == web_app.INPUT_WORKERS
            assert c.get("/healthz").status_code == 200  # the rest of the app still answers
        finally:
            gate.set()
            for t in threads:
                t.join(30)
    assert len(results) == n and all(r.status_code == 200 for r in results)
    assert seen["peak"] == web_app.INPUT_WORKERS


# --- the page -----------------------------------------------------------------------------------


class Tags(HTMLParser):
    """Every start tag with its attributes, and the text of <script> elements."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.scripts, self._in_script = [], [], False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._in_script = True
            self.scripts.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data


def parse(html):
    p = Tags()
    p.feed(html)
    p.close()
    return p


def assert_nothing_active(doc: Tags, *, allow_scripts: bool):
    for tag, attrs in doc.tags:
        for k, v in attrs.items():
            assert not k.startswith("on"), f"<{tag} {k}=...> is an event handler"
            if k in ("href", "src", "action", "formaction") and v:
                assert not v.strip().lower().startswith(("javascript:", "data:text/html")), f"<{tag} {k}={v}>"
                assert not re.match(r"(?i)^(https?:)?//", v.strip()), f"<{tag} {k}={v}> loads from the network"
        assert tag not in ("img", "object", "embed", "base"), f"<{tag}> in the page"
    if not allow_scripts:
        assert not any(t == "script" for t, _ in doc.tags)
    for s in doc.scripts:
        assert "__pwned" not in s and "alert(" not in s


def test_index_page(client):
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    doc = parse(r.text)
    names = {a.get("name") for t, a in doc.tags if t in ("input", "textarea")}
    assert {"text", "title", "file"} <= names and "url" not in names
    assert_nothing_active(doc, allow_scripts=False)
    csp = r.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'none'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"


def test_index_page_url_field_only_when_fetch_allowed(fetch_client, client):
    names = {a.get("name") for t, a in parse(fetch_client.get("/").text).tags if t == "input"}
    assert "url" in names
    r = client.post("/", data={"text": "", "url": "http://127.0.0.1/"})  # ignored when fetch is off
    assert r.status_code == 422


def test_form_analysis_shows_report(client):
    import base64

    r = client.post("/", data={"text": SAMPLE, "title": "Harbour bridge"})
    assert r.status_code == 200
    doc = parse(r.text)
    # the report is the page itself, not a frame; downloads of the report and the JSON; the form again
    assert not [a for t, a in doc.tags if t == "iframe"]
    assert 'id="article"' in r.text and "City Hall has once again betrayed" in re.sub(r"<[^>]*>", "", r.text)
    links = {a["id"]: a for t, a in doc.tags if t == "a" and a.get("id", "").startswith("download-")}
    assert links["download-report"]["download"].endswith(".spinscope.html")
    assert links["download-json"]["download"].endswith(".spinscope.json")
    data = json.loads(base64.b64decode(links["download-json"]["href"].split(",", 1)[1]))
    assert data["title"] == "Harbour bridge" and "City Hall has once again betrayed" in data["text"]
    report = base64.b64decode(links["download-report"]["href"].split(",", 1)[1]).decode()
    assert report.startswith("<!DOCTYPE html>") and 'id="sp-bar"' not in report  # the report alone
    assert 'id="text"' in r.text and 'action="/"' in r.text
    assert "form-action &#x27;self&#x27;" in r.text  # the report's own policy lets its form post here


def test_hostile_text_is_escaped(client):
    r = client.post("/", data={"text": HOSTILE, "title": "<script>alert('t')</script>"})
    assert r.status_code == 200
    page = r.text
    assert page.count("</textarea>") == 1  # the text cannot close the textarea early
    assert "&lt;script&gt;window.__pwned" in page
    assert "<script>alert" not in page and "<img src=x" not in page
    doc = parse(page)
    assert_nothing_active(doc, allow_scripts=True)  # the report's own script only
    textarea = page[page.index("<textarea"):page.index("</textarea>")]
    assert "{{ 7*7 }}" in textarea and "49" not in textarea  # no template evaluation
    hashes = re.findall(r"'sha256-[^']+'", r.headers["content-security-policy"])
    assert hashes and "'unsafe-inline'" not in r.headers["content-security-policy"].split("script-src")[1].split(";")[0]


def test_uploads(client):
    r = client.post("/", files={"file": ("story.txt", SAMPLE.encode(), "text/plain")}, data={"text": ""})
    assert r.status_code == 200 and "City Hall" in r.text
    html_page = b"<html><head><title>Up</title><script>window.__pwned=1</script></head><body><p>" + SAMPLE.encode() + b"</p></body></html>"
    r = client.post("/", files={"file": ("story.html", html_page, "text/html")})
    assert r.status_code == 200 and "City Hall" in r.text
    assert "window.__pwned=1" not in r.text
    assert "Note: " not in r.text
    menu = b"<html><body><aside><a href='/'>Home</a></aside><aside>The corrupt elites lied.</aside></body></html>"
    r = client.post("/", files={"file": ("menu.html", menu, "text/html")})
    assert r.status_code == 200 and "Note: no article body found" in r.text  # in the report
    r = client.post("/", files={"file": ("latin.txt", "Café".encode("latin-1"), "text/plain")})
    assert r.status_code == 422 and "not UTF-8" in r.text
    r = client.post("/", files={"file": ("bin.txt", b"\x00\x01\x02", "application/octet-stream")})
    assert r.status_code == 422 and "binary" in r.text
    r = client.post("/", data={"text": "   "})
    assert r.status_code == 422 and "Nothing to analyse" in r.text
    r = client.post("/", content=b"text=x", headers={"Content-Type": "text/plain"})
    assert r.status_code == 415


# --- concurrency --------------------------------------------------------------------------------


class SlowDetector:
    """Sleeps in detect(); records the threads it ran on."""

    info = {"name": "slow", "version": "0", "threshold": 0.5}

    def __init__(self, seconds):
        self.seconds = seconds
        self.threads = set()
        self.running = 0
        self.peak = 0
        self.lock = threading.Lock()

    def detect(self, text):
        with self.lock:
            self.threads.add(threading.current_thread().name)
            self.running += 1
            self.peak = max(self.peak, self.running)
        time.sleep(self.seconds)
        with self.lock:
            self.running -= 1
        return [Span(0, 4, "Loaded_Language", 0.9, text[:4])]


def test_inference_off_the_event_loop():
    det = SlowDetector(1.5)
    with TestClient(create_app(detector=det, workers=4)) as c:
        results = []
        workers = [threading.Thread(target=lambda: results.append(post_json(c, {"text": "long article"})))
                   for _ in range(4)]
        for w in workers:
            w.start()
        deadline = time.monotonic() + 30  # the first request also loads the claims scorer
        while det.running < 4 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert det.running == 4
        lat = []
        while det.running == 4 and len(lat) < 10:
            t0 = time.perf_counter()
            assert c.get("/healthz").status_code == 200
            lat.append(time.perf_counter() - t0)
        for w in workers:
            w.join(10)
        assert [r.status_code for r in results] == [200] * 4
        assert det.peak == 4
        assert lat and statistics.median(lat) < 0.1, lat
        assert "MainThread" not in det.threads


def test_concurrent_real_analyses_agree(client):
    want = post_json(client, {"text": SAMPLE}).json()
    got = []
    threads = [threading.Thread(target=lambda: got.append(post_json(client, {"text": SAMPLE}).json())) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert len(got) == 4 and all(g == want for g in got)


def test_model_error_is_503(monkeypatch):
    from spinscope import detect
    from spinscope.detect import ModelError

    def broken():
        raise ModelError("no model in /nowhere (config.json missing)")

    monkeypatch.setattr(detect.detector, "default_detector", broken)
    with TestClient(create_app()) as c:
        r = c.get("/healthz")
        assert r.status_code == 503 and "config.json missing" in r.json()["error"]
        r = post_json(c, {"text": "hello"})
        assert r.status_code == 503 and "model not available" in r.json()["error"]


def test_serve_command_line():
    import argparse
    import socket
    import subprocess
    import sys

    from spinscope.cli.serve import add_parser as add_serve_parser
    from spinscope.cli.serve import run as cmd_serve

    parser = argparse.ArgumentParser()
    add_serve_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["serve"])
    assert (args.host, args.port, args.allow_fetch, args.allow_private, args.max_body) == ("127.0.0.1", 8000, False, False, 2_000_000)
    args = parser.parse_args(["serve", "--port", "9", "--allow-fetch", "--allow-private", "--max-body", "10"])
    assert (args.port, args.allow_fetch, args.allow_private, args.max_body) == (9, True, True, 10)
    assert cmd_serve(parser.parse_args(["serve", "--max-body", "0"])) == 2

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    try:
        port = taken.getsockname()[1]
        proc = subprocess.run([sys.executable, "-m", "spinscope", "serve", "--port", str(port)],
                              capture_output=True, text=True, timeout=120, cwd=ROOT)
    finally:
        taken.close()
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and f"port {port} on 127.0.0.1 is already in use" in lines[0], proc.stderr
