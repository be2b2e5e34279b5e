"""A time budget for one analysis: the server gives each request a deadline, and the long loops of
the pipeline (the encoder's windows, spaCy's pieces) check it, so a text that would take minutes
stops with :class:`AnalysisTimeout` and frees its worker instead of holding it."""

from __future__ import annotations

import time
from contextlib import contextmanager
from contextvars import ContextVar

from .errors import AnalysisTimeout

_deadline: ContextVar[float | None] = ContextVar("spinscope_deadline", default=None)



@contextmanager
def time_limit(seconds: float | None, *, started: float | None = None):
    """Within the block, :func:`check_time` raises AnalysisTimeout once ``seconds`` have passed
    since ``started`` (a ``time.monotonic()`` value; default now). None: no limit."""
    if seconds is None:
        yield
        return
    token = _deadline.set((started if started is not None else time.monotonic()) + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def check_time() -> None:
    """Raise AnalysisTimeout if the current time budget is spent; cheap when there is none."""
    deadline = _deadline.get()
    if deadline is not None and time.monotonic() > deadline:
        raise AnalysisTimeout("the analysis ran past its time limit")


def checked(items):
    """``items``, checking the time budget before each one (for loops over pieces of a text)."""
    for item in items:
        check_time()
        yield item
