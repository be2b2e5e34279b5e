"""Reading and writing Propaganda Techniques Corpus (PTC) files.

Articles are read with ``newline=""`` so that offsets refer to the exact bytes-as-characters of the
file (no newline translation). Label files are ``id<TAB>technique<TAB>start<TAB>end`` (TC) or
``id<TAB>start<TAB>end`` (SI).
"""

from __future__ import annotations

import re
from pathlib import Path

from ..document import InputError, read_text_file

_ID_RE = re.compile(r"article(\d+)")


def article_id(path: str | Path) -> str:
    """The digits of ``article(\\d+)`` in the file name, else the file stem."""
    name = Path(path).name
    m = _ID_RE.search(name)
    return m.group(1) if m else Path(name).stem


def load_articles(directory: str | Path) -> dict[str, str]:
    """All ``*.txt`` articles in a folder, keyed by article id, in sorted file order."""
    directory = Path(directory)
    if not directory.is_dir():
        raise InputError(f"{directory}: not a folder of articles")
    out: dict[str, str] = {}
    names: dict[str, str] = {}
    for p in sorted(directory.glob("*.txt")):
        aid = article_id(p)
        if aid in out:  # e.g. article7.txt and "article7 (copy).txt": one would silently replace the other
            raise InputError(f"{directory}: {names[aid]} and {p.name} have the same article id {aid}")
        out[aid], names[aid] = read_text_file(p), p.name
    return out


def _offset(cell: str) -> int:
    """A character offset: ASCII digits only (``int`` would also take " 1", "1_0", "+1" or "١")."""
    if not (cell.isascii() and cell.isdigit()):
        raise ValueError(cell)
    return int(cell)


def _parse_rows(path: Path, with_technique: bool) -> list[tuple]:
    rows = []
    text = read_text_file(path)  # one clear line for a binary, non-UTF-8 or unreadable file
    text = text.removeprefix("\ufeff")  # a BOM (offsets here are numbers, not positions in this file)
    # rows end at line feeds only: str.splitlines() also splits at \x0c, \x85, \u2028, ...
    for lineno, line in enumerate(text.split("\n"), 1):
        line = line.removesuffix("\r")
        if not line.strip():
            continue
        parts = line.split("\t")
        try:
            if with_technique and len(parts) == 4:
                if not parts[0] or not parts[1]:
                    raise ValueError
                rows.append((parts[0], parts[1], _offset(parts[2]), _offset(parts[3])))
            elif not with_technique and len(parts) >= 3:
                if not parts[0]:
                    raise ValueError
                rows.append((parts[0], _offset(parts[-2]), _offset(parts[-1])))
            else:
                raise ValueError
        except ValueError:
            want = "id<TAB>technique<TAB>start<TAB>end" if with_technique else "id<TAB>start<TAB>end"
            raise InputError(f"{path}:{lineno}: expected {want}, got {line!r}") from None
    return rows


def read_tc_file(path: str | Path) -> list[tuple[str, str, int, int]]:
    """Rows ``(id, technique, start, end)`` of one TC label or prediction file."""
    return _parse_rows(Path(path), True)


def read_si_file(path: str | Path) -> list[tuple[str, int, int]]:
    """Rows ``(id, start, end)`` of one SI file (a TC file also works: its technique is dropped)."""
    return _parse_rows(Path(path), False)


def _files(path: Path, pattern: str) -> list[Path]:
    if path.is_dir():
        return sorted(path.glob(pattern))
    if path.is_file():
        return [path]
    raise InputError(f"{path}: no such file or folder")


def _label_files(path: Path) -> list[Path]:
    files = _files(path, "*.labels")
    if not files:
        raise InputError(f"{path}: no *.labels files in this folder")
    return files


def load_tc_labels(path: str | Path) -> list[tuple[str, str, int, int]]:
    """All TC rows of a folder of ``*.labels`` files (or of one file)."""
    return [row for f in _label_files(Path(path)) for row in read_tc_file(f)]


def load_si_labels(path: str | Path) -> list[tuple[str, int, int]]:
    return [row for f in _label_files(Path(path)) for row in read_si_file(f)]


def load_labels_by_article(path: str | Path) -> dict[str, list[tuple[str, int, int]]]:
    """TC labels grouped by article: ``{id: [(technique, start, end), ...]}``."""
    out: dict[str, list[tuple[str, int, int]]] = {}
    for aid, tech, s, e in load_tc_labels(path):
        out.setdefault(aid, []).append((tech, s, e))
    return out
