"""Where commands write: a file named by ``-o`` or stdout, with one clear line when it cannot be
written, and a quiet stdout once it is gone."""

from __future__ import annotations

import os
import sys
from pathlib import Path


class OutputError(Exception):
    """An output that cannot be written; the message names it and says why."""


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
    from .report import terminal_safe

    print(f"{prog}: {terminal_safe(msg)}", file=sys.stderr)
