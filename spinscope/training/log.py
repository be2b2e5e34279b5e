"""The training log: one JSON object a line, flushed as it goes."""

from __future__ import annotations

import json
import sys
import time


def log_line(log, **kw) -> None:
    kw["time"] = round(time.time(), 1)
    line = json.dumps(kw)
    print(line, file=sys.stderr, flush=True)
    if log is not None:
        log.write(line + "\n")
        log.flush()


