"""One input of the command line as text: a URL, an HTML file, a PDF, Word or Markdown file
(:mod:`.documents`), a text file, or ``-`` for stdin.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ..document import InputError, decode_bytes, read_bounded, read_file_bytes
from .fetch import is_url, load_page
from .html import HTML_SUFFIXES, Page, decode_html_bytes, extract_page

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
      (:func:`spinscope.inputs.documents.document_page`); RTF, .doc, .odt and other formats are refused by name.
    - a ``.html``/``.htm`` file, or any file with ``html=True``: decoded with its declared charset
      (else strict UTF-8) and extracted.
    - any other file: returned unchanged (strict UTF-8), title None.
    """
    from .documents import document_page, has_document_magic

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
