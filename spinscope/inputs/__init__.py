"""Inputs other than plain text, each handed back as plain text (and a title where there is one):
HTML pages (:mod:`.html`), web addresses fetched with an SSRF guard (:mod:`.fetch`), PDF, Word and
Markdown files (:mod:`.documents`), and the command line's reader (:mod:`.open`). spinscope's
offsets then refer to that text, which the :class:`~spinscope.document.Analysis` carries.
"""

from .documents import DOCUMENT_SUFFIXES, document_page
from .fetch import fetch_url, is_url, load_page
from .html import (
    HTML_SUFFIXES,
    Page,
    decode_html_bytes,
    extract_html,
    extract_page,
    strip_tags,
)
from .open import open_source, read_source

__all__ = [
    "DOCUMENT_SUFFIXES", "HTML_SUFFIXES", "Page", "decode_html_bytes", "document_page", "extract_html",
    "extract_page", "fetch_url", "is_url", "load_page", "open_source", "read_source", "strip_tags",
]
