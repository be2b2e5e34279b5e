"""Reading inputs other than plain text: HTML pages, web addresses, files.

Everything here hands back plain text (and a title where there is one); spinscope's offsets then
refer to that text, which the :class:`~spinscope.document.Analysis` carries as ``text``.

- :func:`extract_page` takes the main article text out of an HTML page (trafilatura, with a plain
  tag-stripping fallback that its :class:`Page`'s ``note`` names); :func:`extract_html` gives just
  ``(text, title)``. Nothing in the page is ever executed or fetched.
- :func:`fetch_url` fetches an ``http``/``https`` address with a guard against server-side request
  forgery: every resolved address of every redirect hop must be public unless ``allow_private``,
  and the connection goes to the address that was checked (no second DNS look-up to rebind).
- :func:`open_source` is what the CLI uses: a URL, an HTML file, a PDF, Word or Markdown file
  (:mod:`spinscope.formats`) or a text file (:func:`read_source` without the note).
"""

from __future__ import annotations

import bisect
import codecs
import html as htmllib
import ipaddress
import re
import sys
import threading
import time
import zlib
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, urljoin, urlsplit

from . import __version__
from .document import InputError, decode_bytes, read_bounded, read_file_bytes

USER_AGENT = f"spinscope/{__version__} (article analysis)"
HTML_SUFFIXES = (".html", ".htm", ".xhtml")
_REDIRECTS = (301, 302, 303, 307, 308)
_CHUNK = 64 * 1024


# --- HTML -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """What was read from one input: its ``text``, its ``title`` (or None), and a ``note`` for the
    reader when the text is not what they would expect, such as all of a page's visible text where
    its article body could not be found. ``note`` is None when there is nothing to say."""

    text: str
    title: str | None = None
    note: str | None = None


ALL_TEXT = "so all of its visible text is analysed (with any menus and footers)"
NO_BODY_NOTE = f"no article body found in the page, {ALL_TEXT}"
HEAVY_NOTE = f"the page's markup is too heavy to find its article body in bounded time, {ALL_TEXT}"


def extract_html(html: str) -> tuple[str, str | None]:
    """Main article text and title of an HTML page: ``(text, title)``; ``title`` may be None.

    The same as :func:`extract_page`, without its note."""
    page = extract_page(html)
    return page.text, page.title


def extract_page(html: str) -> Page:
    """Main article text and title of an HTML page, as a :class:`Page`.

    trafilatura finds the article body (boilerplate such as menus and footers is left out), and
    paragraphs the page repeats in a row are kept (:func:`restore_repeats`). When it finds nothing,
    or the markup has a shape it would take minutes over (:func:`main_text_extractable`), the plain
    tag-stripping extraction (all the visible text) is used instead, and the page's ``note`` says
    so. Scripts, styles and other non-text elements never reach the text.
    """
    if not isinstance(html, str):
        raise TypeError(f"extract_html() takes a str, not {type(html).__name__}")
    if not html.strip():
        return Page("", None)
    page, page_title, shape = _strip(html)
    note = None
    if main_text_extractable(html, shape):
        text, title = _trafilatura(html)
        if not text or not text.strip():
            text, note = page, NO_BODY_NOTE
        else:
            text = restore_repeats(text, page)
    else:
        text, title, note = page, None, HEAVY_NOTE
    if not title:
        title = page_title if page_title is not None else _title_only(html)
    text = _tidy(text)
    if not text.strip():
        note = None  # nothing at all to analyse: the callers say so themselves
    return Page(text, (title.strip() or None) if title else None, note)


def _trafilatura(html: str) -> tuple[str | None, str | None]:
    try:
        import trafilatura
    except ImportError:  # pragma: no cover - trafilatura is a core dependency
        return None, None
    try:
        doc = trafilatura.bare_extraction(
            html, with_metadata=True, include_comments=False, include_tables=True, include_images=False,
            include_links=False, include_formatting=False, fast=False, deduplicate=False,
        )
    except Exception:  # trafilatura is a heuristic over untrusted markup: any failure -> fallback
        return None, None
    if doc is None:
        return None, None
    if isinstance(doc, dict):  # older trafilatura
        return doc.get("text"), doc.get("title")
    return getattr(doc, "text", None), getattr(doc, "title", None)


def _key(line: str) -> str:
    return " ".join(line.split())


def restore_repeats(extracted: str, page: str) -> str:
    """Put back the paragraphs that repeat the one before them on the page and that the extraction dropped.

    trafilatura deletes an element equal to the element before it (when longer than 50 characters),
    whatever ``deduplicate`` says: a paragraph printed twice in a row comes out once. That loses
    exactly what the Repetition technique is about, and the text would differ from what a reader of
    the page sees. ``page`` is the page's whole visible text (:func:`strip_tags`), in order. Each
    extracted line is found in it, moving forward only; where the page repeats that line right after
    it, and the extraction does not, the repeats are put back. Lines the extraction rewrote, and all
    the page's other text (menus, footers), are left as they were.
    """
    keys = [k for k in (_key(ln) for ln in page.split("\n")) if k]
    where: dict[str, list[int]] = {}
    for i, k in enumerate(keys):
        where.setdefault(k, []).append(i)
    lines = extracted.split("\n")
    line_keys = [_key(ln) for ln in lines] + [""]
    out: list[str] = []
    j = 0  # the page's lines before j are used up
    for i, line in enumerate(lines):
        out.append(line)
        k = line_keys[i]
        if not k or k not in where:
            continue
        found = where[k]
        m = bisect.bisect_left(found, j)
        if m == len(found):
            continue
        j = found[m] + 1
        if line_keys[i + 1] == k:
            continue  # the extraction kept the next copy itself
        while j < len(keys) and keys[j] == k:
            out.append(line)
            j += 1
    return "\n".join(out)


def _tidy(text: str) -> str:
    """Normalise line ends and trailing blanks; at most one blank line between paragraphs."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [ln.rstrip() for ln in text.split("\n")]
    out: list[str] = []
    for ln in lines:
        if not ln.strip():
            if out and out[-1] != "":
                out.append("")
            continue
        out.append(ln)
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out) + ("\n" if out else "")


_SKIP = {"script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "math", "head",
         "canvas", "audio", "video", "select", "button", "textarea", "nav", "form"}
_BLOCK = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table", "section",
          "article", "header", "footer", "blockquote", "pre", "hr", "dd", "dt", "dl", "figcaption", "main",
          "aside", "address", "td", "th", "caption"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Stripper(HTMLParser):
    """Visible text and title; also measures the markup shapes that make trafilatura slow."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0
        self.in_title = False
        self.title: list[str] = []
        self.max_attributes = 0  # on one tag
        self.inline = 0  # inline tags on the page
        self.max_inline_run = 0  # inline tags inside one block element, with no block between
        self._open: list[str] = []  # open elements (not void ones)
        self._opened: dict[str, int] = {}  # how many of each tag are open
        self._runs: list[int] = [0]  # inline tags counted for each open block element (and the page)

    def _push(self, tag: str) -> None:
        self._open.append(tag)
        self._opened[tag] = self._opened.get(tag, 0) + 1
        if tag in _BLOCK:
            self._runs.append(0)

    def _pop_to(self, tag: str) -> None:
        if not self._opened.get(tag):
            return  # a stray end tag
        while self._open:
            top = self._open.pop()
            self._opened[top] -= 1
            if top in _BLOCK:
                self._runs.pop()
            if top == tag:
                return

    def handle_starttag(self, tag, attrs):
        self.max_attributes = max(self.max_attributes, len(attrs))
        if tag not in _BLOCK and tag not in _SKIP:
            self.inline += 1
            self._runs[-1] += 1
            self.max_inline_run = max(self.max_inline_run, self._runs[-1])
        if tag not in _VOID:
            self._push(tag)
        if tag == "title":
            self.in_title = True
        if tag in _SKIP and tag not in _VOID:
            self.skip += 1
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_startendtag(self, tag, attrs):
        self.max_attributes = max(self.max_attributes, len(attrs))
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        self._pop_to(tag)
        if tag == "title":
            self.in_title = False
        if tag in _SKIP and tag not in _VOID:
            self.skip = max(0, self.skip - 1)
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data):
        if self.in_title:
            self.title.append(data)
        elif not self.skip:
            self.parts.append(data)


def strip_tags(html: str) -> tuple[str, str | None]:
    """Plain extraction: the visible text of ``<body>`` (no scripts, styles, forms), and ``<title>``."""
    text, title, _ = _strip(html)
    return text, title


def _strip(html: str) -> tuple[str, str | None, _Stripper | None]:
    p = _Stripper()
    try:
        p.feed(html)
        p.close()
    except Exception:  # pragma: no cover - html.parser is lenient; be safe with hostile input
        return re.sub(r"<[^>]*>", " ", html), None, None
    raw = "".join(p.parts)
    # collapse runs of spaces inside lines, keep line structure
    lines = [re.sub(r"[ \t\f\v\u00a0]+", " ", ln).strip() for ln in raw.split("\n")]
    text = "\n".join(lines)
    text = re.sub(r"\n{3,}", "\n\n", text).strip("\n")
    title = " ".join("".join(p.title).split()) or None
    return (text + "\n" if text else ""), title, p


# trafilatura, and lxml under it, take time quadratic in some shapes of markup that real pages do not
# have; such pages get the plain extraction (all the visible text) in linear time instead.
MAX_ATTRIBUTES = 1_000  # on one tag: lxml compares each attribute with the ones before it
MAX_INLINE_RUN = 2_000  # inline tags in one block element: 8,000 take trafilatura 3 s, 30,000 take 80 s
MAX_INLINE = 30_000  # inline tags on the page: 3,000 paragraphs of 10 links take 6 s, 60,000 spans 24 s
MAX_EXTRACT_CHARS = 10_000_000  # about 12 s of trafilatura for ordinary markup


def main_text_extractable(html: str, shape: _Stripper | None) -> bool:
    """Whether trafilatura can be given this page in bounded time (see the limits above)."""
    return (shape is not None and len(html) <= MAX_EXTRACT_CHARS
            and shape.max_attributes <= MAX_ATTRIBUTES and shape.max_inline_run <= MAX_INLINE_RUN
            and shape.inline <= MAX_INLINE)


def _title_only(html: str) -> str | None:
    m = re.search(r"<title[^>]*>(.*?)</title\s*>", html, re.I | re.S)
    if not m:
        return None
    return " ".join(htmllib.unescape(re.sub(r"<[^>]*>", "", m.group(1))).split()) or None


def looks_like_html(text: str) -> bool:
    head = text[:2048].lstrip().lower()
    return head.startswith(("<!doctype html", "<html", "<?xml")) or bool(
        re.search(r"<(html|head|body|article|p|div)[\s>]", text[:8192], re.I)
    )


_XML_ENCODING = re.compile(rb"""\s*<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)


def _charset_from_content_type(ctype: str | None) -> str | None:
    if not ctype:
        return None
    m = re.search(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", ctype, re.I)
    return m.group(1) if m else None


# Labels that Python's codecs know but a web page must not get: transforms, escape decoders and
# encodings browsers refuse (UTF-7 turns "+ADw-" into "<"). Anything else must be a text encoding.
_REFUSED_CODECS = {"unicode-escape", "raw-unicode-escape", "utf-7", "idna", "punycode", "undefined",
                   "unicode-internal", "utf-32", "utf-32-le", "utf-32-be"}


def text_codec(label: str | None) -> str | None:
    """The Python codec for a declared charset, or None when there is none to trust."""
    if not label:
        return None
    try:
        info = codecs.lookup(label)
    except (LookupError, ValueError):
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name.replace("_", "-") in _REFUSED_CODECS:
        return None  # base64, hex, zlib, rot13, ... are not text encodings
    return info.name


def _decode(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec, errors="replace")
    except (LookupError, UnicodeError, ValueError):
        return None


def decode_html_bytes(data: bytes, name: str, content_type: str | None = None) -> str:
    """Decode an HTML page: BOM, else the declared charset (HTTP header or ``<meta>``), else strict UTF-8.

    A page that declares its charset is decoded with it (bytes it cannot decode become U+FFFD);
    an undeclared one must be UTF-8.
    """
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return decode_bytes(data, name)  # no browser reads UTF-32: one clear line instead of NULs
    for bom, enc in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            return data[len(bom):].decode(enc, errors="replace")
    declared = _charset_from_content_type(content_type)
    if not declared:
        m = _XML_ENCODING.match(data[:1024]) or _META_CHARSET.search(data[:8192])  # XHTML: <?xml encoding?>
        declared = m.group(1).decode("ascii", "replace") if m else None
    codec = text_codec(declared)
    if codec is not None and codec.startswith("utf-16") and not _charset_from_content_type(content_type):
        codec = "utf-8"  # a <meta> readable as ASCII cannot be true (HTML spec: UTF-8)
    if codec is not None:
        text = _decode(data, codec)
        if text is not None:
            return text
    return decode_bytes(data, name)


# --- fetching ---------------------------------------------------------------------------------


def address_refusal(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why a fetch must not go to ``ip`` (e.g. 'a loopback address'), or None if it is public."""
    if isinstance(ip, ipaddress.IPv6Address):
        mapped = ip.ipv4_mapped or ip.sixtofour
        if mapped is None and ip.teredo:
            mapped = ip.teredo[1]
        if mapped is not None:
            why = address_refusal(mapped)
            if why:
                return why
    checks = (
        ("is_unspecified", "an unspecified address"),
        ("is_loopback", "a loopback address"),
        ("is_link_local", "a link-local address"),
        ("is_multicast", "a multicast address"),
        ("is_reserved", "a reserved address"),
        ("is_private", "a private address"),
    )
    for attr, why in checks:
        if getattr(ip, attr):
            return why
    if not ip.is_global:
        return "a non-public address"
    return None


@dataclass
class Fetched:
    body: bytes
    final_url: str
    content_type: str | None  # as sent, e.g. 'text/html; charset=utf-8'

    @property
    def mime(self) -> str:
        return (self.content_type or "").split(";")[0].strip().lower()

    @property
    def is_html(self) -> bool:
        if self.mime in ("text/html", "application/xhtml+xml"):
            return True
        if self.mime in ("", "application/octet-stream"):
            return looks_like_html(self.body[:8192].decode("latin-1"))
        if self.mime in ("application/xml", "text/xml"):  # XHTML served as XML; not a feed or other XML
            return re.search(r"<html[\s>]", self.body[:8192].decode("latin-1"), re.I) is not None
        return False

    def text(self) -> str:
        if self.is_html:
            return decode_html_bytes(self.body, self.final_url, self.content_type)
        codec = text_codec(_charset_from_content_type(self.content_type))
        text = _decode(self.body, codec) if codec else None
        return text if text is not None else decode_bytes(self.body, self.final_url)


# The network modules (http.client, ssl, socket: about 30 ms of imports) are imported where a URL
# is fetched, so that reading files does not pay for them.


def _resolve(host: str, port: int, url: str, allow_private: bool) -> list[tuple]:
    """getaddrinfo, then refuse if any address is not public (unless ``allow_private``)."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError) as e:
        raise InputError(f"{url}: cannot resolve host {host!r} ({getattr(e, 'strerror', None) or e})") from None
    if not infos:
        raise InputError(f"{url}: host {host!r} has no address")
    out = []
    for family, socktype, proto, _, sockaddr in infos:
        addr = sockaddr[0].split("%", 1)[0]
        try:
            ip = ipaddress.ip_address(addr)
        except ValueError:
            raise InputError(f"{url}: host {host!r} resolves to an unusable address {addr!r}") from None
        if not allow_private:
            why = address_refusal(ip)
            if why:
                raise InputError(
                    f"{url}: refused: host {host!r} resolves to {ip}, {why} "
                    "(only public addresses may be fetched)"
                )
        out.append((family, socktype, proto, sockaddr))
    return out


def _connect(addrs: list[tuple], timeout: float) -> socket.socket:
    """Connect to the first reachable of the already-checked addresses."""
    import socket

    last: OSError | None = None
    for family, socktype, proto, sockaddr in addrs:
        sock = socket.socket(family, socktype, proto)
        try:
            sock.settimeout(timeout)
            sock.connect(sockaddr)
            return sock
        except OSError as e:
            last = e
            sock.close()
    raise last or OSError("no address to connect to")


def _connection(scheme: str, host: str, port: int, addrs: list[tuple], timeout: float):
    """An http.client connection whose socket goes to a checked address (SNI and Host stay ``host``)."""
    import http.client
    import ssl

    if scheme == "https":
        conn = http.client.HTTPSConnection(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
    conn._create_connection = lambda *_a, **_k: _connect(addrs, timeout)  # noqa: SLF001 - pin the address
    return conn


def _check_url(url: str) -> tuple[str, str, int, str]:
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as e:
        raise InputError(f"{url}: not a valid URL ({e})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise InputError(f"{url}: only http:// and https:// URLs can be fetched")
    host = parts.hostname
    if not host:
        raise InputError(f"{url}: the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise InputError(f"{url}: URLs with a user name or password are not fetched")
    if any(c in url for c in "\r\n\t ") or any(ord(c) < 32 for c in url):
        raise InputError(f"{url!r}: the URL contains white space or control characters")
    # non-ASCII in the path or query is sent percent-encoded (UTF-8), as browsers do; http.client
    # would raise UnicodeEncodeError. What is already percent-encoded stays as it is.
    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=~-._")
    if parts.query:
        path += "?" + quote(parts.query, safe="/%:@!$&'()*+,;=~-._?")
    try:
        host.encode("ascii")
    except UnicodeEncodeError:
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise InputError(f"{url}: not a valid host name {host!r}") from None
    return scheme, host, port or (443 if scheme == "https" else 80), path


def fetch(url: str, *, timeout: float = 10, max_bytes: int = 5_000_000, max_redirects: int = 5,
          allow_private: bool = False) -> Fetched:
    """Fetch ``url`` (GET), following up to ``max_redirects`` redirects, each hop checked.

    ``timeout`` bounds each network operation and also the whole fetch. The body (after gzip or
    deflate decoding) may not exceed ``max_bytes``. Any failure raises InputError.
    """
    import http.client
    import ssl

    deadline = time.monotonic() + timeout
    current = url
    for hop in range(max_redirects + 1):
        scheme, host, port, path = _check_url(current)
        addrs = _resolve(host, port, current, allow_private)
        left = deadline - time.monotonic()
        if left <= 0:
            raise InputError(f"{url}: timed out after {timeout:g} s")
        conn = _connection(scheme, host, port, addrs, min(timeout, left))
        watchdog = threading.Timer(left, _shut, (conn,))
        watchdog.daemon = True
        watchdog.start()
        try:
            try:
                conn.request("GET", path, headers={
                    "User-Agent": USER_AGENT,
                    "Accept": "text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.1",
                    "Accept-Encoding": "gzip, deflate",
                    "Connection": "close",
                })
                resp = conn.getresponse()
            except (OSError, http.client.HTTPException, ssl.SSLError, ValueError) as e:
                if time.monotonic() >= deadline:
                    raise InputError(f"{url}: timed out after {timeout:g} s") from None
                raise InputError(f"{current}: cannot fetch ({_reason(e)})") from None
            if resp.status in _REDIRECTS:
                loc = resp.getheader("Location")
                if not loc:
                    raise InputError(f"{current}: redirect ({resp.status}) without a Location")
                if hop == max_redirects:
                    raise InputError(f"{url}: too many redirects (more than {max_redirects})")
                try:  # http.client reads header bytes as Latin-1; servers send UTF-8 there
                    loc = loc.encode("latin-1").decode("utf-8")
                except UnicodeError:
                    pass
                try:
                    current = urljoin(current, loc.strip())
                except ValueError as e:  # e.g. "http://[::1/"
                    raise InputError(f"{current}: redirect to an invalid URL ({e})") from None
                continue
            if not 200 <= resp.status < 300:
                raise InputError(f"{current}: HTTP {resp.status} {_shown(resp.reason)}".rstrip())
            ctype = resp.getheader("Content-Type")
            mime = (ctype or "").split(";")[0].strip().lower()
            if mime and not (mime.startswith("text/") or mime in (
                    "application/xhtml+xml", "application/xml", "application/octet-stream")):
                raise InputError(f"{current}: content type {_shown(mime)} is not HTML or text")
            body = _read_capped(resp, current, max_bytes, deadline, timeout)
            return Fetched(body, current, ctype)
        finally:
            watchdog.cancel()
            conn.close()
    raise InputError(f"{url}: too many redirects (more than {max_redirects})")  # pragma: no cover


def _shut(conn) -> None:
    """Watchdog: end a fetch that has run past its deadline (the blocked read then fails)."""
    import socket

    sock = getattr(conn, "sock", None)
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def _shown(value: str | None, limit: int = 100) -> str:
    """A server's words (a status reason, a header) fit for a message: printable and short."""
    text = "".join(c if c.isprintable() else "\ufffd" for c in (value or "")[: limit + 1])
    return text if len(text) <= limit else text[:limit] + "…"


def _reason(e: BaseException) -> str:
    if isinstance(e, TimeoutError):  # socket.timeout is TimeoutError since Python 3.10
        return "timed out"
    return getattr(e, "strerror", None) or str(e) or type(e).__name__


def _read_capped(resp, url: str, max_bytes: int, deadline: float, timeout: float) -> bytes:
    import http.client

    length = resp.getheader("Content-Length")
    if length and length.strip().isdigit() and int(length) > max_bytes:
        raise InputError(f"{url}: too large ({int(length)} bytes; the limit is {max_bytes})")
    enc = (resp.getheader("Content-Encoding") or "identity").strip().lower()
    if enc in ("gzip", "x-gzip"):
        dec = zlib.decompressobj(16 + zlib.MAX_WBITS)
    elif enc == "deflate":
        dec = zlib.decompressobj()
    elif enc == "identity":
        dec = None
    else:
        raise InputError(f"{url}: unsupported Content-Encoding {enc!r}")
    out = bytearray()
    raw = 0
    while True:
        if time.monotonic() > deadline:
            raise InputError(f"{url}: timed out after {timeout:g} s")
        try:
            chunk = resp.read1(_CHUNK) if hasattr(resp, "read1") else resp.read(_CHUNK)
        except (OSError, http.client.HTTPException) as e:
            if time.monotonic() > deadline:
                raise InputError(f"{url}: timed out after {timeout:g} s") from None
            raise InputError(f"{url}: cannot fetch ({_reason(e)})") from None
        if not chunk:
            if time.monotonic() > deadline:
                raise InputError(f"{url}: timed out after {timeout:g} s")
            break
        raw += len(chunk)
        if raw > max_bytes:
            raise InputError(f"{url}: too large (over {max_bytes} bytes)")
        if dec is None:
            out += chunk
        else:
            try:
                out += dec.decompress(chunk, max_bytes + 1 - len(out))
            except zlib.error as e:
                raise InputError(f"{url}: bad {enc} data ({e})") from None
            if dec.unconsumed_tail:
                raise InputError(f"{url}: too large once decompressed (over {max_bytes} bytes)")
        if len(out) > max_bytes:
            raise InputError(f"{url}: too large (over {max_bytes} bytes)")
    # a page cut short is an error, not a shorter article
    if length and length.strip().isdigit() and dec is None and raw < int(length):
        raise InputError(f"{url}: the connection closed before the end of the page ({raw} of {int(length)} bytes)")
    if dec is not None and raw and not dec.eof:
        raise InputError(f"{url}: the {enc} data ends early (the page was cut short)")
    return bytes(out)


def fetch_url(url: str, *, timeout: float = 10, max_bytes: int = 5_000_000, max_redirects: int = 5,
              allow_private: bool = False) -> tuple[str, str]:
    """Fetch an http(s) page: ``(html_or_text, final_url)``. See :func:`fetch` for the guard."""
    f = fetch(url, timeout=timeout, max_bytes=max_bytes, max_redirects=max_redirects, allow_private=allow_private)
    return f.text(), f.final_url


def load_url(url: str, *, html: bool | None = None, allow_private: bool = False, timeout: float = 10,
             max_bytes: int = 5_000_000) -> tuple[str, str | None, str]:
    """Fetch ``url`` and return ``(text, title, final_url)``: HTML pages are extracted."""
    page, final = load_page(url, html=html, allow_private=allow_private, timeout=timeout, max_bytes=max_bytes)
    return page.text, page.title, final


def load_page(url: str, *, html: bool | None = None, allow_private: bool = False, timeout: float = 10,
              max_bytes: int = 5_000_000) -> tuple[Page, str]:
    """Fetch ``url`` and return ``(page, final_url)``: HTML pages are extracted (:func:`extract_page`)."""
    f = fetch(url, timeout=timeout, max_bytes=max_bytes, allow_private=allow_private)
    body = f.text()
    if html is True or (html is None and f.is_html):
        return extract_page(body), f.final_url
    return Page(body, None), f.final_url


def is_url(arg: str) -> bool:
    return bool(re.match(r"(?i)^https?://", arg.strip()))


# --- the CLI's reader -------------------------------------------------------------------------


def read_source(arg: str, *, html: bool | None = None, allow_private: bool = True) -> tuple[str, str | None]:
    """Read one CLI input: ``(text, title)``. The same as :func:`open_source`, without its note."""
    page = open_source(arg, html=html, allow_private=allow_private)
    return page.text, page.title


def open_source(arg: str, *, html: bool | None = None, allow_private: bool = True) -> Page:
    """Read one CLI input as a :class:`Page`.

    - ``http://``/``https://`` URL: fetched (private addresses only if ``allow_private``); HTML
      pages are extracted unless ``html`` is False.
    - ``-``: standard input (strict UTF-8; extracted if ``html`` is True; a PDF or .docx is read).
    - a PDF, Word .docx or Markdown file (by its content, or its suffix): its text, with a note
      (:func:`spinscope.formats.document_page`); RTF, .doc, .odt and other formats are refused by name.
    - a ``.html``/``.htm`` file, or any file with ``html=True``: decoded with its declared charset
      (else strict UTF-8) and extracted.
    - any other file: returned unchanged (strict UTF-8), title None.
    """
    from .formats import document_page, has_document_magic

    if is_url(arg):
        return load_page(arg, html=html, allow_private=allow_private)[0]
    if arg == "-":
        data = read_bounded(sys.stdin.buffer, "stdin", binary_ok=has_document_magic)
        page = document_page(data, "stdin", by_suffix=False)
        if page is not None:
            return page
        if html:
            return extract_page(decode_html_bytes(data, "stdin"))
        return Page(decode_bytes(data, "stdin"), None)
    path = Path(arg)
    if not path.exists():
        raise InputError(f"{arg}: no such file")
    as_html = html is True or (html is None and path.suffix.lower() in HTML_SUFFIXES)
    if as_html and path.is_dir():
        raise InputError(f"{arg}: is a folder, not a file")
    data = read_file_bytes(path, binary_hint="an HTML or text file" if as_html else "a UTF-8 text file",
                           binary_ok=has_document_magic)
    # --html says what the inputs are: only their content, not a suffix such as .md, can overrule it
    page = document_page(data, arg, by_suffix=not html)
    if page is not None:
        return page
    if as_html:
        return extract_page(decode_html_bytes(data, arg))
    return Page(decode_bytes(data, arg), None)
