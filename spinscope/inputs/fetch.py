"""Fetching an ``http``/``https`` address with a guard against server-side request forgery.

Every resolved address of every redirect hop must be public unless ``allow_private``, and the
connection goes to the address that was checked (no second DNS look-up to rebind).
"""

from __future__ import annotations

import ipaddress
import re
import threading
import time
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote, urljoin, urlsplit

if TYPE_CHECKING:
    import socket

from .. import __version__
from ..document import InputError, decode_bytes
from .html import (
    Page,
    charset_from_content_type,
    decode_html_bytes,
    decode_with,
    extract_page,
    looks_like_html,
    text_codec,
)

USER_AGENT = f"spinscope/{__version__} (article analysis)"
_REDIRECTS = (301, 302, 303, 307, 308)
_CHUNK = 64 * 1024
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
        codec = text_codec(charset_from_content_type(self.content_type))
        text = decode_with(self.body, codec) if codec else None
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


