"""Where commands write: a file named by ``-o`` or stdout, with one clear line when it cannot be
written, and a quiet stdout once it is gone."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .errors import OutputError


def open_output(path: str | None, newline: str | None = None):
    """``path`` opened for writing (stdout for None), or OutputError with one clear line."""
    if not path:
        return sys.stdout
    try:
        return open(path, "w", encoding="utf-8", newline=newline)
    except FileNotFoundError:
        raise OutputError(f"{path}: cannot write: its folder {str(Path(path).parent)!r} does not exist") from None
    except IsADirectoryError:
        raise OutputError(f"{path}: is a folder; give a file name") from None
    except OSError as e:
        raise OutputError(f"{path}: cannot write ({e.strerror or e})") from None


def stdout_to_devnull() -> None:
    """Point stdout at /dev/null, so that the interpreter's last flush of what could not be written
    (a closed pipe, a full disk) is not a second error at exit."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def err(msg: str, prog: str = "spinscope") -> None:
    """One error line on stderr, ``prog: msg``; messages name files and inputs, so no control
    character of theirs reaches the terminal."""
    print(f"{prog}: {terminal_safe(msg)}", file=sys.stderr)


# An article is untrusted input. Its control characters would reach the terminal as they are: an
# ESC in the text could clear the screen, retitle the window or write to the clipboard (OSC 52).
# They are shown as Unicode control pictures instead (ESC as ␛), one character for one, so what
# the reader sees lines up with the text; a carriage return (of CRLF line ends) is dropped.
_SAFE = {c: 0x2400 + c for c in range(0x20) if c not in (9, 10, 13)}
_SAFE.update({13: None, 0x7F: 0x2421})
_SAFE.update({c: 0xFFFD for c in range(0x80, 0xA0)})  # C1 controls (0x9B is CSI on some terminals)


def terminal_safe(s: str) -> str:
    """``s`` with every control character but tab and line feed made visible (see above)."""
    return s.translate(_SAFE)


def os_message(e: Exception) -> str:
    """One line for an InputError, or an OSError such as --out naming an existing file."""
    if isinstance(e, OSError) and e.filename is not None:
        return f"{e.filename}: {e.strerror or e}"
    return str(e)
