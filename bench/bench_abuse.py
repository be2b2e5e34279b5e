"""Abuse the real server on loopback and print what it held: /healthz latency (p50/p95, a new
connection each time) during each attack, the attack's own outcome, 5xx answers, peak RSS.

    python bench/bench_abuse.py [--quick]

Attacks, one after another (bounded in count and time; about 2 minutes, --quick about 1):
a 2 MB text without a space; 2 MB of dots (the model's worst case: one token per character,
stopped by the time limit); 300 idle connections with half-sent headers; 300 silent connections.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def start_server(time_limit: float) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen([sys.executable, "-m", "spinscope", "serve", "--port", "0", "--time-limit", str(time_limit)],
                            stderr=subprocess.PIPE, text=True, cwd=ROOT)
    line = proc.stderr.readline()
    m = re.search(r":(\d+)/", line)
    if not m:
        proc.kill()
        raise SystemExit(f"server did not start: {line}{proc.stderr.read()}")
    threading.Thread(target=proc.stderr.read, daemon=True).start()  # keep draining its log
    return proc, int(m.group(1))


def healthz(port: int) -> tuple[float, int]:
    t = time.perf_counter()
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        c.request("GET", "/healthz")
        status = c.getresponse().status
    except OSError:
        status = 0
    finally:
        c.close()
    return (time.perf_counter() - t) * 1000, status


def poll(port: int, stop: threading.Event, every: float = 0.05, limit: int = 2000) -> list[tuple[float, int]]:
    out = []
    while not stop.is_set() and len(out) < limit:
        out.append(healthz(port))
        time.sleep(every)
    return out


def post(port: int, payload: dict) -> tuple[int, float, str]:
    body = json.dumps(payload).encode()
    t = time.perf_counter()
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        c.request("POST", "/api/analyze", body=body, headers={"Content-Type": "application/json"})
        r = c.getresponse()
        data = r.read()
        return r.status, time.perf_counter() - t, data[:150].decode("utf-8", "replace")
    finally:
        c.close()


def peak_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def summary(name: str, samples: list[tuple[float, int]], extra: str) -> int:
    ms = sorted(s for s, _ in samples)
    p95 = ms[min(len(ms) - 1, int(0.95 * len(ms)))] if ms else float("nan")
    bad = sum(1 for _, st in samples if st != 200)
    print(f"{name:34s} /healthz n={len(ms):4d} p50 {statistics.median(ms) if ms else float('nan'):7.1f} ms"
          f"  p95 {p95:7.1f} ms  not-200 {bad:3d}  | {extra}", flush=True)
    return sum(1 for _, st in samples if st >= 500)


def during(port: int, attack) -> tuple[list, object]:
    stop = threading.Event()
    box: dict = {}
    t = threading.Thread(target=lambda: box.update(samples=poll(port, stop)))
    t.start()
    try:
        result = attack()
    finally:
        stop.set()
        t.join()
    return box["samples"], result


def idle_connections(port: int, n: int, partial: bool) -> list[socket.socket]:
    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port))
        if partial:
            s.sendall(b"POST /api/analyze HTTP/1.1\r\nHost: x\r\nContent-Len")
        socks.append(s)
    return socks


def closed_by_server(socks: list[socket.socket]) -> int:
    n = 0
    for s in socks:
        s.settimeout(0.05)
        try:
            data = s.recv(4096)
            n += data == b"" or data.startswith(b"HTTP/1.1 408")
        except (socket.timeout, OSError):
            pass
    return n


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="1 MB texts and 150 connections")
    ap.add_argument("--time-limit", type=float, default=25.0)
    args = ap.parse_args()
    size = 1_000_000 if args.quick else 2_000_000 - 40  # the JSON around it fits the 2 MB body limit
    n_conn = 150 if args.quick else 300
    proc, port = start_server(args.time_limit)
    fives = 0
    try:
        for _ in range(3):
            healthz(port)
        quiet = [healthz(port) for _ in range(40)]
        fives += summary("quiet", quiet, "baseline")

        samples, (st, secs, head) = during(port, lambda: post(port, {"text": "x" * size}))
        fives += summary(f"{size / 1e6:.0f} MB without a space", samples, f"answer {st} in {secs:.1f} s")
        samples, (st, secs, head) = during(port, lambda: post(port, {"text": "." * size, "entities": False}))
        fives += summary(f"{size / 1e6:.0f} MB of dots", samples, f"answer {st} in {secs:.1f} s: {head[:70]}")

        for partial in (True, False):
            socks = idle_connections(port, n_conn, partial)
            samples, _ = during(port, lambda: time.sleep(4))
            what = "half-sent headers" if partial else "silent"
            time.sleep(8)  # past the 10 s header deadline
            closed = closed_by_server(socks)
            fives += summary(f"{n_conn} idle ({what})", samples, f"{closed}/{n_conn} closed by the server after 12 s")
            for s in socks:
                s.close()
        alive = healthz(port)[1]
        print(f"server still answering: {alive == 200}; 5xx on /healthz: {fives}; "
              f"peak RSS {peak_rss_mb(proc.pid):.0f} MB", flush=True)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
