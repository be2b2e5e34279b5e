"""Inputs other than plain text: HTML extraction, the guarded URL fetcher, the CLI's reader."""

import gzip
import http.server
import ipaddress
import socket
import threading
import time

import pytest

from spinscope.inputs import fetch, html as sources
from spinscope.document import InputError
from spinscope.inputs.fetch import address_refusal, fetch_url
from spinscope.inputs.html import extract_html, strip_tags
from spinscope.inputs.open import read_source

ARTICLE_HTML = """<!doctype html>
<html><head><meta charset="utf-8"><title>Bridge &amp; Council | The Daily</title>
<script>window.__pwned = 1; document.write("INJECTED");</script>
<style>body { color: red }</style>
</head><body>
<nav><a href="/">Home</a> <a href="/about">About us</a></nav>
<article>
<h1>Council backs bridge deal</h1>
<p>The corrupt council once again betrayed the hardworking families of the town, critics said on Tuesday.</p>
<script>alert("xss")</script>
<p>Critics called the mayor a clown and a liar. Is the deal really legal? Experts agree that the bridge will be a
total catastrophe for everyone who lives near the harbour &mdash; and for their children.</p>
<noscript>Please enable JavaScript</noscript>
</article>
<footer>Copyright 2026 The Daily. All rights reserved.</footer>
</body></html>
"""


# --- HTML ---------------------------------------------------------------------------------------


def test_extract_html_main_text_without_scripts():
    text, title = extract_html(ARTICLE_HTML)
    assert "The corrupt council once again betrayed" in text
    assert "a clown and a liar" in text
    assert "—" in text  # entities decoded
    for bad in ("__pwned", "alert(", "INJECTED", "color: red", "enable JavaScript", "&amp;", "<"):
        assert bad not in text
    assert title and ("Bridge" in title or "Council" in title)


def test_trafilatura_imports():
    # a core dependency: when it cannot be imported, every page silently gets the plain extraction
    # (a fresh install lacked lxml_html_clean, which trafilatura needs and lxml 6 no longer carries)
    import trafilatura  # noqa: F401

    assert sources._trafilatura(ARTICLE_HTML)[0] is not None


def test_offsets_refer_to_extracted_text():
    import spinscope
    from spinscope.document import Span

    text, title = extract_html(ARTICLE_HTML)

    class Fake:  # a detector that marks a known phrase: offsets must be into the extracted text
        info = {"name": "fake", "version": "0", "threshold": 0.5}

        def detect(self, t):
            i = t.index("a clown and a liar")
            return [Span(i, i + 18, "Name_Calling,Labeling", 0.9, t[i:i + 18])]

    a = spinscope.analyze(text, title=title, detector=Fake())
    assert a.text == text
    s = a.spans[0]
    assert a.text[s.start:s.end] == s.text == "a clown and a liar"


def test_fallback_strips_tags_when_trafilatura_finds_nothing(monkeypatch):
    monkeypatch.setattr(sources, "_trafilatura", lambda html: (None, None))
    text, title = extract_html(ARTICLE_HTML)
    assert "The corrupt council once again betrayed" in text
    assert "__pwned" not in text and "alert(" not in text and "color: red" not in text
    assert "Home" not in text  # navigation dropped
    assert title == "Bridge & Council | The Daily"


REPEAT = "We will never surrender to the corrupt elites who betrayed this great nation of ours."


def test_extract_html_keeps_paragraphs_repeated_in_a_row():
    # trafilatura drops a paragraph (over 50 characters) equal to the one before it, whatever
    # deduplicate says: a slogan printed three times came out once, and Repetition lost its evidence
    page = f"""<html><head><title>T</title></head><body><nav>Home | About | {REPEAT}</nav><article>
<h1>Council backs bridge deal</h1>
<p>The council met on Tuesday to discuss the new harbour plan, debated for months by residents.</p>
<p>{REPEAT}</p><p>{REPEAT}</p><p>  {REPEAT.replace(" ", "  ")} </p>
<p>Critics said the plan was rushed and that the public consultation had been far too short.</p>
<p>{REPEAT}</p>
<p>Officials said the vote would take place next week, after a final round of hearings.</p>
</article><footer>Copyright 2026</footer></body></html>"""
    text, _ = extract_html(page)
    assert text.count(REPEAT) == 4
    lines = text.splitlines()
    i = lines.index(REPEAT)
    assert lines[i:i + 4] == [REPEAT, REPEAT, REPEAT, lines[i + 3]] and lines[i + 3].startswith("Critics")
    assert "Copyright" not in text and "Home" not in text  # boilerplate still left out


def test_restore_repeats_only_puts_back_what_the_page_repeats():
    from spinscope.inputs.html import restore_repeats

    page = "Menu\n\nA line\n\nB line\nB line\nB  line\n\nC line\nA line\nA line\n"
    assert restore_repeats("A line\nB line\nC line\nA line", page) == (
        "A line\nB line\nB line\nB line\nC line\nA line\nA line")
    # the extraction kept the copies itself: nothing doubled
    assert restore_repeats("B line\nB line\nB line", page) == "B line\nB line\nB line"
    # rewritten or unknown lines are left alone, and matching moves forward only
    assert restore_repeats("Z\nC line\nB line", page) == "Z\nC line\nB line"
    assert restore_repeats("", page) == ""


@pytest.mark.parametrize("markup", [
    "<p>" + "<span>a</span> " * 2_001 + "</p>",  # trafilatura: 30,000 of these took 80 s
    "<p>" + "<b>a " * 2_001 + "</p>",  # never closed
    "<p>x</p>" * 10 + ("<p>" + "<a href='/x'>link</a> text " * 10 + "</p>") * 3_001,  # 30,010 inline tags
    "<div " + " ".join(f'a{i}="x"' for i in range(1_001)) + "><p>x</p></div>",  # lxml: 40,000 took 13 s
])
def test_markup_trafilatura_is_slow_on_gets_the_plain_extraction(markup, monkeypatch):
    def refuse(html):
        raise AssertionError("trafilatura must not be given this page")

    monkeypatch.setattr(sources, "_trafilatura", refuse)
    page = f"<html><head><title>T</title></head><body><div>Menu</div>{markup}<p>The last paragraph.</p></body></html>"
    text, title = extract_html(page)
    assert text == strip_tags(page)[0] and "Menu" in text and text.endswith("The last paragraph.\n")
    assert title == "T"
    assert sources.extract_page(page) == sources.Page(text, "T", sources.HEAVY_NOTE)  # and the reader is told


def test_ordinary_markup_goes_to_trafilatura(monkeypatch):
    seen = []
    monkeypatch.setattr(sources, "_trafilatura", lambda html: seen.append(html) or (None, None))
    ordinary = "<div class='c' id='d'>" + ("<p>" + "<a href='/x'>link</a> text " * 10 + "</p>") * 199 + "</div>"
    page = f"<html><body>{ordinary}<p>{'<b>x</b>' * 2_000}</p>{'</span>' * 5_000}</body></html>"
    extract_html(page)
    assert seen == [page]


def test_extract_page_says_when_it_falls_back_to_all_the_text():
    page = sources.extract_page(ARTICLE_HTML)
    assert (page.text, page.title) == extract_html(ARTICLE_HTML) and page.note is None
    # trafilatura finds no body in asides alone (it falls back to all the text itself in other cases)
    menu_only = "<html><head><title>T</title></head><body><aside><a href='/'>Home</a></aside><aside>Short.</aside></body></html>"
    page = sources.extract_page(menu_only)
    assert page.text == strip_tags(menu_only)[0] == "Home\n\nShort.\n"
    assert page.note == sources.NO_BODY_NOTE and "visible text" in page.note and page.title == "T"
    # nothing to read at all: no note (the caller says there is nothing to analyse)
    assert sources.extract_page("<script>x()</script>") == sources.Page("", None, None)
    assert sources.extract_page("") == sources.Page("", None, None)


def test_strip_tags_handles_hostile_markup():
    text, title = strip_tags('<p>a<script>x="</p>"</script>b</p><img src=x onerror=alert(1)><p>&lt;c&gt;</p>')
    assert "alert" not in text and 'x="' not in text
    assert "<c>" in text  # escaped text stays text
    assert title is None
    assert extract_html("") == ("", None)
    assert extract_html("   ") == ("", None)


def test_read_source_files(tmp_path):
    page = tmp_path / "page.HTML"
    page.write_text(ARTICLE_HTML, encoding="utf-8")
    text, title = read_source(str(page))
    assert "corrupt council" in text and "<" not in text and title

    latin = tmp_path / "latin.htm"
    latin.write_bytes('<html><head><meta charset="iso-8859-1"></head><body><p>Café politics, naïve voters and a long enough paragraph to be the article.</p></body></html>'.encode("latin-1"))
    text, _ = read_source(str(latin))
    assert "Café" in text and "naïve" in text

    raw = tmp_path / "a.txt"
    raw.write_bytes("<p>kept as is</p>\r\nline 2".encode())
    assert read_source(str(raw)) == ("<p>kept as is</p>\r\nline 2", None)  # text unchanged, offsets exact
    assert read_source(str(raw), html=True)[0].startswith("kept as is")

    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"caf\xe9")
    with pytest.raises(InputError, match="not UTF-8"):
        read_source(str(bad))
    undeclared = tmp_path / "bad.html"
    undeclared.write_bytes(b"<p>caf\xe9</p>")
    with pytest.raises(InputError, match="not UTF-8"):
        read_source(str(undeclared))
    with pytest.raises(InputError, match="no such file"):
        read_source(str(tmp_path / "missing.txt"))
    utf32 = tmp_path / "wide.html"
    utf32.write_bytes("<p>The corrupt council.</p>".encode("utf-32"))  # was decoded as UTF-16: NULs
    with pytest.raises(InputError, match="wide.html: UTF-32 text, not UTF-8"):
        read_source(str(utf32))
    with pytest.raises(InputError, match="page: UTF-32 text"):
        sources.decode_html_bytes("<p>x</p>".encode("utf-32"), "page", "text/html; charset=utf-8")


# --- the SSRF guard -----------------------------------------------------------------------------


@pytest.mark.parametrize("addr,why", [
    ("127.0.0.1", "loopback"), ("10.1.2.3", "private"), ("172.16.0.1", "private"), ("192.168.1.1", "private"),
    ("169.254.169.254", "link-local"), ("0.0.0.0", "unspecified"), ("224.0.0.1", "multicast"),
    ("240.0.0.1", "reserved"), ("100.64.0.1", "non-public"), ("::1", "loopback"), ("::", "unspecified"),
    ("fe80::1", "link-local"), ("fc00::1", "private"), ("ff02::1", "multicast"), ("::ffff:127.0.0.1", "loopback"),
    ("::ffff:10.0.0.1", "private"), ("2002:0a00:0001::", "private"),
])
def test_non_public_addresses_refused(addr, why):
    assert why in address_refusal(ipaddress.ip_address(addr))


@pytest.mark.parametrize("addr", ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_allowed(addr):
    assert address_refusal(ipaddress.ip_address(addr)) is None


@pytest.fixture()
def no_outside_connections(monkeypatch):
    """Safety net: any connection attempt to a non-loopback address fails the test at once."""
    real = fetch._connect

    def guarded(addrs, timeout):
        for a in addrs:
            assert ipaddress.ip_address(a[3][0].split("%")[0]).is_loopback, f"tried to connect to {a[3][0]}"
        return real(addrs, timeout)

    monkeypatch.setattr(fetch, "_connect", guarded)


@pytest.mark.parametrize("url,reason", [
    ("http://127.0.0.1/", "loopback"),
    ("http://127.0.0.1:9/admin", "loopback"),
    ("http://10.0.0.5/", "private"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://[::1]/", "loopback"),
    ("http://[::ffff:127.0.0.1]/", "loopback"),
    ("https://0.0.0.0/", "unspecified"),
    ("http://localhost/", "loopback"),
])
def test_fetch_refuses_non_public(url, reason, no_outside_connections):
    with pytest.raises(InputError, match=reason):
        fetch_url(url, timeout=2)


@pytest.mark.parametrize("url,msg", [
    ("file:///etc/passwd", "only http"), ("ftp://example.org/x", "only http"), ("gopher://x/", "only http"),
    ("http://", "no host"), ("http://user:pw@example.org/", "user name"), ("http://exa mple.org/", "white space"),
    ("http://example.org:99999/", "not a valid URL"),
])
def test_fetch_refuses_bad_urls(url, msg, no_outside_connections):
    with pytest.raises(InputError, match=msg):
        fetch_url(url, timeout=2)


# --- a tiny local server ------------------------------------------------------------------------

BIG = b"x" * 200_000


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):  # quiet
        pass

    def _send(self, code, body=b"", ctype="text/plain; charset=utf-8", headers=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        for k, v in headers:
            self.send_header(k, v)
        if code != 204:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        port = self.server.server_address[1]
        p = self.path
        if p == "/article":
            self._send(200, ARTICLE_HTML.encode(), "text/html; charset=utf-8")
        elif p == "/text":
            self._send(200, "plain text – ok".encode())
        elif p == "/xhtml-as-xml":  # XHTML served as application/xml: extracted like any page
            self._send(200, ('<?xml version="1.0" encoding="utf-8"?>\n' + ARTICLE_HTML.split("\n", 1)[1]).encode(),
                       "application/xml")
        elif p == "/feed":  # XML that is not a page stays as it is
            self._send(200, b'<?xml version="1.0"?><rss><channel><title>t</title></channel></rss>', "text/xml")
        elif p == "/latin":
            self._send(200, "<html><body><p>Café society and a long enough paragraph to count as the article body.</p></body></html>".encode("latin-1"), "text/html; charset=ISO-8859-1")
        elif p == "/to-private":
            self._send(302, headers=[("Location", "http://10.0.0.1/secret")])
        elif p == "/to-metadata":
            self._send(301, headers=[("Location", "http://169.254.169.254/latest/meta-data/")])
        elif p == "/to-loopback":
            self._send(307, headers=[("Location", f"http://127.0.0.1:{port}/text")])
        elif p == "/to-ipv6-loopback":
            self._send(302, headers=[("Location", f"http://[::1]:{port}/text")])
        elif p == "/relative":
            self._send(302, headers=[("Location", "/text")])
        elif p.startswith("/loop"):
            n = int(p[5:] or 0)
            self._send(302, headers=[("Location", f"/loop{n + 1}")])
        elif p == "/big":
            self._send(200, BIG)
        elif p == "/big-chunked":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for _ in range(20):
                self.wfile.write(b"2710\r\n" + b"y" * 10000 + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        elif p == "/gzip":
            self._send(200, gzip.compress("zipped text".encode()), headers=[("Content-Encoding", "gzip")])
        elif p == "/gzip-bomb":
            self._send(200, gzip.compress(b"z" * 5_000_000), headers=[("Content-Encoding", "gzip")])
        elif p == "/image":
            self._send(200, b"\x89PNG\r\n", "image/png")
        elif p == "/odd-reason":  # the status reason is the server's: control characters, any length
            self.send_response(418, "\x1b]52;c;ZXZpbA==\x07 teapot" + "!" * 5_000)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif p == "/missing":
            self._send(404, b"not here")
        elif p.startswith("/cs-"):  # a charset label that names a transform codec, not a text encoding
            self._send(200, "<p>caf\u00e9 société</p>".encode(), f"text/html; charset={p[4:]}")
        elif p == "/meta-b64":
            self._send(200, b'<html><head><meta charset="base64"></head><body><p>ok text</p></body></html>', "text/html")
        elif p == "/to-bad-ipv6":
            self._send(302, headers=[("Location", "http://[::1/")])
        elif p == "/to-unicode":
            self.send_response(302)
            self.send_header("Location", "/ok/\u00e9".encode().decode("latin-1"))  # raw UTF-8 bytes, as servers send
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif p == "/ok/%C3%A9":
            self._send(200, "found é".encode())
        elif p == "/cut-short":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"only part of it")
            self.close_connection = True
        elif p == "/gzip-cut":
            body = gzip.compress(("zipped text " * 100).encode())
            self._send(200, body[:-20], headers=[("Content-Encoding", "gzip")])
        elif p == "/slow-headers":  # one header byte at a time: never idle long enough for a read timeout
            self.wfile.write(b"HTTP/1.1 200 OK\r\n")
            for _ in range(100):
                try:
                    self.wfile.write(b"X")
                    self.wfile.flush()
                except OSError:
                    return
                time.sleep(0.1)
            self.close_connection = True
        else:
            self._send(500, b"?")


@pytest.fixture(scope="module")
def server():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.timeout = 5
    t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()
    t.join(timeout=5)


@pytest.fixture()
def loopback_counts_as_public(monkeypatch, no_outside_connections):
    """Let the guard treat 127.0.0.1 (only) as public, so redirects from the test server are checked."""
    real = fetch.address_refusal
    monkeypatch.setattr(fetch, "address_refusal",
                        lambda ip: None if str(ip) == "127.0.0.1" else real(ip))


def test_local_server_refused_unless_allow_private(server, no_outside_connections):
    with pytest.raises(InputError, match="loopback"):
        fetch_url(server + "/text", timeout=5)
    body, final = fetch_url(server + "/text", timeout=5, allow_private=True)
    assert body == "plain text – ok" and final == server + "/text"


def test_redirect_to_private_address_refused(server, loopback_counts_as_public):
    assert fetch_url(server + "/text", timeout=5)[0] == "plain text – ok"  # the first hop is allowed
    with pytest.raises(InputError, match=r"10\.0\.0\.1.*private"):
        fetch_url(server + "/to-private", timeout=5)
    with pytest.raises(InputError, match="link-local"):
        fetch_url(server + "/to-metadata", timeout=5)
    with pytest.raises(InputError, match="loopback"):
        fetch_url(server + "/to-ipv6-loopback", timeout=5)


def test_redirects_followed_and_limited(server, loopback_counts_as_public):
    assert fetch_url(server + "/relative", timeout=5) == ("plain text – ok", server + "/text")
    assert fetch_url(server + "/to-loopback", timeout=5)[0] == "plain text – ok"
    with pytest.raises(InputError, match=r"too many redirects \(more than 3\)"):
        fetch_url(server + "/loop0", timeout=5, max_redirects=3)  # /loop0 -> /loop1 -> ... never ends
    assert fetch_url(server + "/relative", timeout=5, max_redirects=1)[1].endswith("/text")
    with pytest.raises(InputError, match="too many redirects"):
        fetch_url(server + "/relative", timeout=5, max_redirects=0)


def test_size_cap_and_content(server):
    kw = {"timeout": 5, "allow_private": True}
    with pytest.raises(InputError, match="too large"):
        fetch_url(server + "/big", max_bytes=50_000, **kw)
    with pytest.raises(InputError, match="too large"):
        fetch_url(server + "/big-chunked", max_bytes=50_000, **kw)  # no Content-Length: capped while streaming
    assert len(fetch_url(server + "/big-chunked", max_bytes=300_000, **kw)[0]) == 200_000
    assert fetch_url(server + "/gzip", **kw)[0] == "zipped text"
    with pytest.raises(InputError, match="too large"):
        fetch_url(server + "/gzip-bomb", max_bytes=100_000, **kw)
    with pytest.raises(InputError, match="image/png"):
        fetch_url(server + "/image", **kw)
    with pytest.raises(InputError, match="HTTP 418") as e:
        fetch_url(server + "/odd-reason", **kw)
    assert "\x1b" not in str(e.value) and "\x07" not in str(e.value) and "teapot" in str(e.value)
    assert len(str(e.value)) < 200 + len(server)
    with pytest.raises(InputError, match="HTTP 404"):
        fetch_url(server + "/missing", **kw)
    html, _ = fetch_url(server + "/latin", **kw)
    assert "Café" in html


@pytest.mark.parametrize("label", ["base64", "hex", "rot13", "zlib", "idna", "undefined", "unicode_escape", "utf-7",
                                   "no-such-charset"])
def test_a_charset_that_is_not_a_text_encoding_is_not_used(server, label):
    # base64 & co. raised LookupError/UnicodeError (a traceback, a 500); unicode_escape ran escapes
    text, _ = fetch_url(server + f"/cs-{label}", timeout=5, allow_private=True)
    assert "café société" in text
    html, _ = fetch_url(server + "/meta-b64", timeout=5, allow_private=True)
    assert "ok text" in html


def test_xhtml_encoding_from_the_xml_declaration():
    from spinscope.inputs.html import decode_html_bytes

    page = ('<?xml version="1.0" encoding="iso-8859-1"?>\n<html xmlns="http://www.w3.org/1999/xhtml">'
            "<body><p>Café</p></body></html>").encode("latin-1")
    assert "<p>Café</p>" in decode_html_bytes(page, "x.xhtml")  # was "not UTF-8 text"


def test_odd_redirects_and_addresses_are_one_line(server):
    kw = {"timeout": 5, "allow_private": True}
    with pytest.raises(InputError, match="redirect to an invalid URL"):
        fetch_url(server + "/to-bad-ipv6", **kw)  # was ValueError from urljoin
    assert fetch_url(server + "/to-unicode", **kw)[0] == "found é"  # sent percent-encoded
    assert fetch_url(server + "/ok/é", **kw)[0] == "found é"  # was UnicodeEncodeError in http.client


def test_a_page_cut_short_is_an_error(server):
    kw = {"timeout": 5, "allow_private": True}
    with pytest.raises(InputError, match=r"closed before the end of the page \(15 of 1000 bytes\)"):
        fetch_url(server + "/cut-short", **kw)
    with pytest.raises(InputError, match="gzip data ends early"):
        fetch_url(server + "/gzip-cut", **kw)


def test_the_whole_fetch_has_a_deadline(server):
    # a server trickling its headers never lets a single read time out; the watchdog ends it
    t = time.monotonic()
    with pytest.raises(InputError, match="timed out after 1 s"):
        fetch_url(server + "/slow-headers", timeout=1, allow_private=True)
    assert time.monotonic() - t < 5


def test_read_source_url(server):
    text, title = read_source(server + "/article")  # the CLI may fetch private addresses
    assert "corrupt council" in text and "__pwned" not in text and title
    assert read_source(server + "/text") == ("plain text – ok", None)
    text, title = read_source(server + "/xhtml-as-xml")  # was analysed with its markup
    assert "corrupt council" in text and "<" not in text and "__pwned" not in text and title
    assert read_source(server + "/feed")[0].startswith("<?xml")
    with pytest.raises(InputError, match="loopback"):
        read_source(server + "/article", allow_private=False)


def test_fetch_timeout(no_outside_connections):
    """A server that accepts but never answers: the fetch gives up within its timeout."""
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(1)
    try:
        with pytest.raises(InputError, match="timed out"):
            fetch_url(f"http://127.0.0.1:{lsock.getsockname()[1]}/", timeout=0.5, allow_private=True)
    finally:
        lsock.close()
