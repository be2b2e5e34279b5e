"""Two checkouts of spinscope, the same ``spinscope analyze`` command, runs interleaved.

    git worktree add /tmp/old v0.5.0-commit
    python bench/bench_cli_ab.py --old /tmp/old --articles DIR [--runs 8] [-- --no-entities --no-claims]

Each run is the real CLI (``python -m spinscope analyze DIR --format json -o /dev/null -q``)
started in the checkout's folder, so it imports that checkout's package and models; the order of
the pair alternates. Prints the median wall time of each, their ratio and how many pairs the new
one won. Asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--old", type=Path, required=True, help="the other checkout (e.g. a git worktree)")
    ap.add_argument("--new", type=Path, default=ROOT)
    ap.add_argument("--articles", type=Path, required=True, help="a folder of .txt articles")
    ap.add_argument("--runs", type=int, default=8)
    ap.add_argument("extra", nargs="*", help="more analyze options, after --")
    args = ap.parse_args()
    cmd = [sys.executable, "-m", "spinscope", "analyze", str(args.articles.resolve()), "--format", "json",
           "-o", os.devnull, "-q", *args.extra]
    n = len(list(args.articles.glob("*.txt")))
    for where in (args.old, args.new):
        if not (where / "spinscope" / "__main__.py").is_file():
            sys.exit(f"{where}: not a spinscope checkout (no spinscope/__main__.py); make one with 'git worktree add'")
    if not n:
        sys.exit(f"{args.articles}: no .txt articles")
    times: dict[str, list[float]] = {"old": [], "new": []}
    for r in range(args.runs):
        for k in ("old", "new") if r % 2 == 0 else ("new", "old"):
            t = time.perf_counter()
            proc = subprocess.run(cmd, cwd=args.old if k == "old" else args.new, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE)
            if proc.returncode:
                sys.exit(f"the {k} checkout's command failed (status {proc.returncode}):\n{proc.stderr.decode()}")
            times[k].append(time.perf_counter() - t)
    for k, v in times.items():
        m = statistics.median(v)
        print(f"{k}: median {m:.2f} s = {n / m:.1f} articles/s  {[round(x, 2) for x in v]}")
    won = sum(a > b for a, b in zip(times["old"], times["new"]))
    print(f"new/old speed {statistics.median(times['old']) / statistics.median(times['new']):.3f}x; "
          f"new faster in {won} of {args.runs} pairs")


if __name__ == "__main__":
    main()
