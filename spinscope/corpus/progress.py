"""Progress of a corpus command on stderr."""

from __future__ import annotations

import sys
import time


class Progress:
    """A progress bar with rate and ETA on stderr (rich), or plain lines every few seconds when
    stderr is not a terminal; problems are printed as ``spinscope: ...`` lines either way."""

    def __init__(self, total: int | None, label: str, *, quiet: bool = False, stream=None, every: float = 5.0,
                 summary: bool = True):
        self.stream = stream or sys.stderr
        self.summary = summary
        self.total, self.label, self.quiet, self.every = total, label, quiet, every
        self.done = 0
        self.t0 = time.monotonic()
        self._last = self.t0
        self._bar = None
        if not quiet and summary and self.stream.isatty():
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                ProgressColumn,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )
            from rich.progress import Progress as RichProgress
            from rich.text import Text

            class Rate(ProgressColumn):
                def render(self, task):
                    return Text(f"{task.speed:.1f} docs/s" if task.speed else "– docs/s")

            self._bar = RichProgress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), Rate(),
                                     TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                                     console=Console(file=self.stream), transient=False)
            self._bar.start()
            self._task = self._bar.add_task(label, total=total)

    def advance(self, n: int = 1) -> None:
        self.done += n
        if self.total and self.done > self.total:  # the total is counted cheaply, so it can be short
            self.total = self.done
            if self._bar is not None:
                self._bar.update(self._task, total=self.total)
        if self._bar is not None:
            self._bar.advance(self._task, n)
        elif not self.quiet and self.summary:
            now = time.monotonic()
            if now - self._last >= self.every:
                self._last = now
                self._line()

    def _line(self) -> None:
        el = time.monotonic() - self.t0
        rate = self.done / el if el > 0 else 0.0
        tot = f"/{self.total}" if self.total else ""
        eta = ""
        if self.total and rate > 0:
            left = max(0.0, (self.total - self.done) / rate)
            eta = f", ETA {int(left // 3600)}:{int(left % 3600 // 60):02d}:{int(left % 60):02d}"
        print(f"{self.label}: {self.done}{tot} documents, {rate:.1f} docs/s{eta}", file=self.stream, flush=True)

    def problem(self, message: str) -> None:
        from ..output import terminal_safe

        message = terminal_safe(message)
        if self._bar is not None:
            self._bar.console.print(f"spinscope: {message}", markup=False, highlight=False)
        else:
            print(f"spinscope: {message}", file=self.stream, flush=True)

    def note(self, message: str) -> None:
        if self.quiet:
            return
        if self._bar is not None:
            self._bar.console.print(message, markup=False, highlight=False)
        else:
            print(message, file=self.stream, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
        elif not self.quiet and self.summary and self.done:
            self._line()


