"""The main article text of an HTML page (trafilatura, with a plain tag-stripping fallback that the
:class:`Page`'s ``note`` names), and HTML bytes decoded by their declared charset. Nothing in the
page is ever executed or fetched.
"""

from __future__ import annotations

import bisect
import codecs
import html as htmllib
import re
from dataclasses import dataclass
from html.parser import HTMLParser

from ..document import decode_bytes

HTML_SUFFIXES = (".html", ".htm", ".xhtml")
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


def charset_from_content_type(ctype: str | None) -> str | None:
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


def decode_with(data: bytes, codec: str) -> str | None:
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
    declared = charset_from_content_type(content_type)
    if not declared:
        m = _XML_ENCODING.match(data[:1024]) or _META_CHARSET.search(data[:8192])  # XHTML: <?xml encoding?>
        declared = m.group(1).decode("ascii", "replace") if m else None
    codec = text_codec(declared)
    if codec is not None and codec.startswith("utf-16") and not charset_from_content_type(content_type):
        codec = "utf-8"  # a <meta> readable as ASCII cannot be true (HTML spec: UTF-8)
    if codec is not None:
        text = decode_with(data, codec)
        if text is not None:
            return text
    return decode_bytes(data, name)


