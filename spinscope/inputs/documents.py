"""Documents in other formats as plain text: PDF, Word (.docx) and Markdown; the rest refused by name.

:func:`document_page` looks at a file's bytes (its magic, then its suffix) and gives the
:class:`~spinscope.inputs.html.Page` of a PDF (:func:`read_pdf`, pypdf), a Word document
(:func:`read_docx`, python-docx) or a Markdown file (:func:`read_markdown`, markdown-it-py), with a
``note`` that says the text was extracted; None when the bytes are text or HTML for the caller to
read. RTF, legacy Word, OpenDocument, Pages, spreadsheets, presentations, images and archives are
refused with one line that names the format. Offsets of an analysis refer to the extracted text.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from pathlib import Path

from ..document import MAX_INPUT_BYTES, InputError, decode_bytes
from .html import Page, strip_tags

PDF_SUFFIXES = (".pdf",)
DOCX_SUFFIXES = (".docx",)
MARKDOWN_SUFFIXES = (".md", ".markdown")
DOCUMENT_SUFFIXES = PDF_SUFFIXES + DOCX_SUFFIXES + MARKDOWN_SUFFIXES  # read, besides text and HTML

_SAVE_AS = "save it as .docx, .pdf or .txt"
_SPREADSHEETS = "spreadsheets are not supported; copy the article text into a .txt file"
_PRESENTATIONS = "presentations are not supported; save the text as .pdf or .txt"
REFUSED_SUFFIXES = {  # suffix -> why, in the words of the one line that refuses it
    ".rtf": f"RTF documents are not supported; {_SAVE_AS}",
    ".doc": f"legacy Word (.doc) documents are not supported; {_SAVE_AS}",
    ".dot": f"legacy Word (.dot) templates are not supported; {_SAVE_AS}",
    ".odt": f"OpenDocument text (.odt) files are not supported; {_SAVE_AS}",
    ".ott": f"OpenDocument templates (.ott) are not supported; {_SAVE_AS}",
    ".fodt": f"OpenDocument text (.fodt) files are not supported; {_SAVE_AS}",
    ".pages": "Apple Pages documents are not supported; export it as .docx, .pdf or .txt",
    ".wpd": f"WordPerfect documents are not supported; {_SAVE_AS}",
    ".wps": f"Microsoft Works documents are not supported; {_SAVE_AS}",
    ".epub": "EPUB books are not supported; give the chapter as .txt, .html or .pdf",
    ".xls": _SPREADSHEETS, ".xlsx": _SPREADSHEETS, ".ods": _SPREADSHEETS, ".numbers": _SPREADSHEETS,
    ".csv": "a CSV file is not one article; use `spinscope corpus add` for a table of articles",
    ".ppt": _PRESENTATIONS, ".pptx": _PRESENTATIONS, ".odp": _PRESENTATIONS, ".key": _PRESENTATIONS,
}
_OLE_SUFFIXES = (".doc", ".dot", ".xls", ".ppt", ".wps")
_ZIP_CONTENT = (  # a member that names the kind of a ZIP-based format -> the suffix it is refused as
    ("xl/workbook.xml", ".xlsx"), ("ppt/presentation.xml", ".pptx"), ("Index/Document.iwa", ".pages"),
)
_OPENDOCUMENT = {"application/vnd.oasis.opendocument.text": ".odt",
                 "application/vnd.oasis.opendocument.text-template": ".ott",
                 "application/vnd.oasis.opendocument.spreadsheet": ".ods",
                 "application/vnd.oasis.opendocument.presentation": ".odp",
                 "application/epub+zip": ".epub"}
_IMAGE = "an image, not text; spinscope does not read text in images (run OCR on it first)"
_MAGIC = (  # (how the bytes begin, kind)
    (b"%PDF-", "pdf"), (b"PK\x03\x04", "zip"), (b"PK\x05\x06", "zip"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole"), (b"{\\rtf", "rtf"), (b"\x89PNG\r\n\x1a\n", "image"),
    (b"\xff\xd8\xff", "image"), (b"GIF87a", "image"), (b"GIF89a", "image"),
    (b"II*\x00", "image"), (b"MM\x00*", "image"), (b"\x1f\x8b", "gzip"),
)
MAX_UNPACKED = 200_000_000  # all members of a .docx together, unpacked: a 10 MB file of text is far less
MAX_MEMBERS = 10_000


def _kind(head: bytes) -> str | None:
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image"
    if head[:1].isspace() or head.startswith(b"\xef\xbb\xbf"):  # white space or a BOM before a header
        head = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    return next((kind for magic, kind in _MAGIC if head.startswith(magic)), None)


def has_document_magic(head: bytes) -> bool:
    """Whether ``head`` (a file's first bytes) begins a format this module reads or names, so that
    NUL bytes in it do not make it "a binary file" (see :func:`spinscope.document.read_bounded`)."""
    return _kind(head) is not None


def refusal(name: str, suffix: str) -> str:
    """The one line that refuses a file of a format that is not read (``suffix`` in REFUSED_SUFFIXES)."""
    return f"{name}: {REFUSED_SUFFIXES[suffix]}"


def document_page(data: bytes, name: str, *, by_suffix: bool = True) -> Page | None:
    """The :class:`Page` of ``data`` when it is a document in another format, None when it is text or
    HTML (the caller reads those). The bytes' magic decides first (a PDF named .txt is a PDF); then,
    if ``by_suffix``, the suffix of ``name`` (Markdown has no magic). InputError, naming ``name``,
    for a refused format or a document that cannot be read."""
    suffix = Path(name).suffix.lower() if by_suffix else ""
    kind = _kind(data[:1024])
    if kind == "pdf":
        return read_pdf(data, name)
    if kind == "zip":
        return _zip_page(data, name, suffix)
    if kind == "ole":
        if suffix in _OLE_SUFFIXES:
            raise InputError(refusal(name, suffix))
        raise InputError(f"{name}: a legacy Microsoft Office (97-2003) file, such as a .doc, which is not "
                         f"supported; {_SAVE_AS}")
    if kind == "rtf":
        raise InputError(refusal(name, ".rtf"))
    if kind == "image":
        raise InputError(f"{name}: {_IMAGE}")
    if kind == "gzip":
        raise InputError(f"{name}: a gzip-compressed file; decompress it first (gunzip)")
    if suffix in PDF_SUFFIXES:
        raise InputError(f"{name}: not a PDF file (its first bytes hold no %PDF- header)")
    if suffix in DOCX_SUFFIXES:
        raise InputError(f"{name}: not a Word .docx file (it is not a ZIP archive)")
    if suffix in MARKDOWN_SUFFIXES:
        return read_markdown(decode_bytes(data, name), name)
    if suffix in REFUSED_SUFFIXES and suffix != ".csv":  # a .csv of plain text stays what it was
        raise InputError(refusal(name, suffix))
    return None


def _zip_page(data: bytes, name: str, suffix: str) -> Page:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = set(z.namelist())
            mimetype = z.read("mimetype")[:100].decode("ascii", "replace").strip() if "mimetype" in names else ""
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, KeyError) as e:
        what = "Word document" if suffix in DOCX_SUFFIXES else "ZIP archive"
        raise InputError(f"{name}: cannot read the {what}: a damaged ZIP archive ({_short(e)})") from None
    if "word/document.xml" in names:
        return read_docx(data, name)
    refused = _OPENDOCUMENT.get(mimetype) or next((s for member, s in _ZIP_CONTENT if member in names), None)
    if refused is None and suffix in REFUSED_SUFFIXES:
        refused = suffix
    if refused:
        raise InputError(refusal(name, refused))
    if suffix in DOCX_SUFFIXES:
        raise InputError(f"{name}: cannot read the Word document: the ZIP archive has no word/document.xml")
    raise InputError(f"{name}: a ZIP archive, not a document; unzip it and give its files")


def _short(e: BaseException, limit: int = 120) -> str:
    text = " ".join(str(e).split()) or type(e).__name__
    return text if len(text) <= limit else text[:limit] + "…"


_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _clean(text: str) -> str:
    """Line ends as \\n, no control characters but tabs and line ends, no lone surrogates."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _SURROGATE.sub("\ufffd", _CONTROL.sub("", text))


def _paragraphs(lines: list[str]) -> str:
    """Lines without trailing blanks, at most one blank line in a row, ending with one newline."""
    out: list[str] = []
    for ln in lines:
        ln = ln.rstrip()
        if ln.strip() or (out and out[-1]):
            out.append(ln if ln.strip() else "")
    while out and not out[-1]:
        out.pop()
    return "\n".join(out) + "\n" if out else ""


def _too_long(name: str) -> InputError:
    return InputError(f"{name}: its text is longer than {MAX_INPUT_BYTES:,} characters, too large for an "
                      "article; split it first")


# --- PDF -------------------------------------------------------------------------------------

_ENDS_SENTENCE = re.compile(r"""[.!?…:;"'”’»)\]]\s*$""")


def reflow(page: str) -> str:
    """Join the lines of a PDF page that wrap inside a paragraph, since a line break ends a sentence
    for the detector. A line is joined to the next when it does not end a sentence and the next one
    starts with a small letter, or it is about as long as a full line of the page (a wrapped line).
    A line that ends with a hyphen inside a word is joined without a space, keeping the hyphen."""
    lines = [ln.rstrip() for ln in page.split("\n")]
    lengths = sorted(len(ln) for ln in lines if ln.strip())
    if not lengths:
        return ""
    full = lengths[int(0.9 * (len(lengths) - 1))]  # a full line's length on this page
    out: list[str] = []
    prev = ""  # the last line read, as it was on the page
    for ln in lines:
        nxt = ln.strip()
        if out and out[-1] and prev and nxt and not _ENDS_SENTENCE.search(prev) and (
                nxt[0].islower() or (full >= 40 and len(prev) >= 0.8 * full and nxt[0].isalnum())):
            glue = "" if prev.endswith("-") and len(prev) > 1 and prev[-2].isalpha() and nxt[0].islower() else " "
            out[-1] = out[-1] + glue + nxt
        else:
            out.append(ln)
        prev = ln
    return "\n".join(out)


def read_pdf(data: bytes, name: str) -> Page:
    """The text of a PDF's pages (pypdf), separated by blank lines; its title from its metadata.

    An encrypted PDF is read when it opens without a password; a damaged one, one that needs a
    password, and one without a text layer (a scan) are InputError."""
    from pypdf import PdfReader
    from pypdf.errors import DependencyError

    _quiet("pypdf")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except DependencyError:
                raise InputError(f"{name}: the PDF is encrypted with AES, which needs the Python package "
                                 "'cryptography' to open; install it, or save a copy without encryption") from None
            if not opened:
                raise InputError(f"{name}: the PDF is protected by a password; save a copy without one "
                                 "(or its text) and give that")
        texts: list[str] = []
        total = 0
        for page in reader.pages:
            text = reflow(_clean(page.extract_text() or ""))
            total += len(text)
            if total > MAX_INPUT_BYTES:
                raise _too_long(name)
            texts.append(text)
        title = _pdf_title(reader)
    except InputError:
        raise
    except Exception as e:  # noqa: BLE001 - pypdf parses untrusted bytes; any failure is a damaged file
        raise InputError(f"{name}: cannot read the PDF, it looks damaged ({_short(e)})") from None
    pages = [t.strip("\n") for t in texts if t.strip()]
    if not pages:
        raise InputError(f"{name}: the PDF has no text layer (it is a scan or holds only images); "
                         "run OCR on it first (e.g. ocrmypdf) and give the result")
    n, empty = len(texts), len(texts) - len(pages)
    note = f"text extracted from a PDF ({n} page{'s' if n != 1 else ''}"
    if empty:
        note += f", {empty} of them without text, left out"
    note += "); layout, tables and images are not analysed; offsets refer to the extracted text"
    return Page(_paragraphs("\n\n".join(pages).split("\n")), title, note)


def _pdf_title(reader) -> str | None:
    try:
        meta = reader.metadata
        title = meta.title if meta is not None else None
    except Exception:  # noqa: BLE001 - damaged metadata only loses the title
        return None
    if not isinstance(title, str):
        return None
    return " ".join(_clean(title).split()) or None


def _quiet(logger: str) -> None:
    """Keep a library's warnings about damaged files off stderr (Python's last-resort handler),
    while still passing them to any logging the application sets up."""
    log = logging.getLogger(logger)
    if not log.handlers:
        log.addHandler(logging.NullHandler())


# --- Word ------------------------------------------------------------------------------------

# A run's text as Word shows it with changes accepted: inserted runs included, deleted and moved-away
# text (w:delText, w:moveFrom) and text boxes (pull quotes repeat the text) left out.
_RUN_TEXT = ("./w:r/w:t | ./w:r/w:tab | ./w:r/w:br | ./w:r/w:cr | ./w:r/w:noBreakHyphen"
             " | ./w:hyperlink/w:r/w:t | ./w:hyperlink/w:r/w:tab | ./w:hyperlink/w:r/w:br"
             " | ./w:ins/w:r/w:t | ./w:ins/w:r/w:tab | ./w:ins/w:r/w:br | ./w:moveTo/w:r/w:t"
             " | ./w:smartTag/w:r/w:t | ./w:sdt/w:sdtContent/w:r/w:t | ./w:fldSimple/w:r/w:t")


def _paragraph_text(p) -> str:
    parts = []
    for el in p._p.xpath(_RUN_TEXT):  # noqa: SLF001 - python-docx's element, for the runs it skips
        tag = el.tag.rsplit("}", 1)[-1]
        if tag == "t":
            parts.append(el.text or "")
        else:
            parts.append({"tab": "\t", "noBreakHyphen": "-"}.get(tag, "\n"))
    return "".join(parts)


def _style(p) -> str:
    try:
        return p.style.name or ""
    except Exception:  # noqa: BLE001 - a damaged style table only loses the heading's kind
        return ""


def read_docx(data: bytes, name: str) -> Page:
    """The paragraphs of a Word .docx document (python-docx), one a line, headings included, and its
    tables row by row (cells separated by tabs). A leading Title or Heading 1 paragraph is the title
    (and not analysed, as an HTML page's title is not); else the title in its properties, if any."""
    _check_zip_size(data, name)
    from docx import Document
    from docx.table import Table

    try:
        doc = Document(io.BytesIO(data))
        lines: list[str] = []
        styles: list[str] = []
        total = 0
        for block in doc.iter_inner_content():
            if isinstance(block, Table):
                rows = []
                for row in block.rows:
                    cells, seen = [], set()
                    for cell in row.cells:  # a merged cell comes once for each grid column it spans
                        if id(cell._tc) in seen:  # noqa: SLF001
                            continue
                        seen.add(id(cell._tc))  # noqa: SLF001
                        cells.append(" ".join(_paragraph_text(p) for p in cell.paragraphs).strip())
                    rows.append("\t".join(cells))
                new, kinds = rows, ["table"] * len(rows)
            else:
                new, kinds = [_paragraph_text(block)], [_style(block)]
            for line, kind in zip(new, kinds):
                line = _clean(line)
                total += len(line) + 1
                if total > MAX_INPUT_BYTES:
                    raise _too_long(name)
                lines.append(line)
                styles.append(kind)
        core_title = doc.core_properties.title
    except InputError:
        raise
    except Exception as e:  # noqa: BLE001 - python-docx parses untrusted bytes; any failure is a damaged file
        raise InputError(f"{name}: cannot read the Word document, it looks damaged or is not a .docx "
                         f"({_short(e)})") from None
    title = None
    first = next((i for i, ln in enumerate(lines) if ln.strip()), None)
    if first is not None and (styles[first] == "Title" or styles[first] == "Heading 1"):
        title = " ".join(lines[first].split())
        del lines[first]
    elif isinstance(core_title, str) and core_title.strip():
        title = " ".join(_clean(core_title).split())
    text = _paragraphs([ln for line in lines for ln in line.split("\n")])
    if not text.strip():
        raise InputError(f"{name}: the Word document has no text (only images, or empty)")
    note = ("text extracted from a Word document; tables are read row by row; images, text boxes, headers, "
            "footers, footnotes and comments are not analysed; offsets refer to the extracted text")
    return Page(text, title or None, note)


def _check_zip_size(data: bytes, name: str) -> None:
    """Refuse a .docx that would unpack to far more than any document (a ZIP bomb) before it is read."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as e:
        raise InputError(f"{name}: cannot read the Word document: a damaged ZIP archive ({_short(e)})") from None
    if len(infos) > MAX_MEMBERS or sum(i.file_size for i in infos) > MAX_UNPACKED:
        raise InputError(f"{name}: the Word document unpacks to more than {MAX_UNPACKED:,} bytes "
                         f"(or {MAX_MEMBERS:,} parts), too large for an article")


# --- Markdown --------------------------------------------------------------------------------

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
_FRONT_TITLE = re.compile(r"""^title:[ \t]*["']?(.*?)["']?[ \t]*$""", re.M)


def read_markdown(text: str, name: str = "markdown") -> Page:
    """Markdown rendered to plain text (markdown-it-py, CommonMark with tables): no heading, list,
    emphasis or link marks; a line break inside a paragraph is a space; a list item or a table row
    (cells separated by tabs) is a line. A leading ``# Title`` (or a YAML front matter ``title:``) is
    the title and is not analysed; other headings are lines. Raw HTML in it is reduced to its text."""
    from markdown_it import MarkdownIt

    text = _clean(text.lstrip("\ufeff"))
    title = None
    fm = _FRONT_MATTER.match(text[:20_000])
    if fm:
        m = _FRONT_TITLE.search(fm.group(1) or "")
        title = (m.group(1).strip() or None) if m else None
        text = text[fm.end():]
    tokens = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).parse(text)
    if len(tokens) >= 3 and tokens[0].type == "heading_open" and tokens[0].tag == "h1":
        heading = " ".join(_inline_text(tokens[1]).split())
        if heading:
            title = title or heading
            tokens = tokens[3:]
    body = _paragraphs("".join(_block_text(tok) for tok in tokens).split("\n"))
    note = ("text rendered from Markdown: heading, list, emphasis and link marks are removed; "
            "offsets refer to the rendered text")
    return Page(body, title, note if body.strip() else None)  # nothing to analyse: the callers say so


_BLOCK_ENDS = {"paragraph_close": "\n\n", "heading_close": "\n\n", "list_item_close": "\n", "tr_close": "\n",
               "th_close": "\t", "td_close": "\t", "hr": "\n", "bullet_list_close": "\n", "ordered_list_close": "\n",
               "table_close": "\n", "blockquote_close": "\n"}


def _block_text(tok) -> str:
    if tok.type == "inline":
        return _inline_text(tok).strip(" ")
    if tok.type in ("fence", "code_block"):
        return tok.content + "\n"
    if tok.type == "html_block":
        return strip_tags(tok.content)[0] + "\n"
    if tok.type == "paragraph_close" and tok.hidden:  # a tight list's item: one line each
        return ""
    return _BLOCK_ENDS.get(tok.type, "")


def _inline_text(tok) -> str:
    out = []
    for child in tok.children or ():
        if child.type in ("text", "code_inline"):
            out.append(child.content)
        elif child.type == "softbreak":  # a wrapped line, not a sentence end
            out.append(" ")
        elif child.type == "hardbreak":
            out.append("\n")
        # emphasis, links and inline HTML tags are marks; images are left out
    return "".join(out)
