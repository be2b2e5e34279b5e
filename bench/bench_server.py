"""Latency of the web server (``spinscope serve``): POST /api/analyze and /healthz under load.

    python bench/bench_server.py [--articles ../shared/data/ptc/articles] [--n 40] [--words 1000]

Starts the real server on a free 127.0.0.1 port, sends a ~1,000-word article (the bundled sample
repeated, or PTC articles joined when --articles is given) and prints p50/p95 latency with 1 and
with 4 concurrent clients (--n requests per setting), and /healthz latency while 4 analyses run.
All traffic stays on 127.0.0.1; every loop is bounded in count and time. Prints numbers; asserts
nothing. Run it at normal priority on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "spinscope" / "samples" / "sample_article.txt"
DEADLINE_S = 900  # the whole benchmark stops after this, whatever happens


def article(words: int, folder: Path | None) -> str:
    sources = sorted(folder.glob("*.txt")) if folder else [SAMPLE]
    if not sources:
        sys.exit(f"{folder}: no .txt files")
    parts, n, i = [], 0, 0
    while n < words:
        t = sources[i % len(sources)].read_text(encoding="utf-8")
        parts.append(t)
        n += len(t.split())
        i += 1
    text = "\n".join(parts)
    found = list(re.finditer(r"\S+", text))
    return text[: found[words - 1].end()] + "\n" if len(found) > words else text


def pct(xs: list[float], q: float) -> float:
    s = sorted(xs)
    k = max(0, min(len(s) - 1, round(q / 100 * len(s) + 0.5) - 1))  # nearest rank
    return s[k]


def fmt(xs: list[float]) -> str:
    return (f"p50 {1000 * pct(xs, 50):7.1f} ms  p95 {1000 * pct(xs, 95):7.1f} ms  "
            f"max {1000 * max(xs):7.1f} ms  (n={len(xs)})")


class Client:
    def __init__(self, host: str, port: int):
        self.conn = http.client.HTTPConnection(host, port, timeout=300)

    def post(self, body: bytes) -> float:
        t = time.perf_counter()
        self.conn.request("POST", "/api/analyze", body=body, headers={"Content-Type": "application/json"})
        r = self.conn.getresponse()
        data = r.read()
        dt = time.perf_counter() - t
        if r.status != 200:
            raise RuntimeError(f"HTTP {r.status}: {data[:200]!r}")
        return dt

    def get(self, path: str) -> float:
        t = time.perf_counter()
        self.conn.request("GET", path)
        r = self.conn.getresponse()
        r.read()
        dt = time.perf_counter() - t
        if r.status != 200:
            raise RuntimeError(f"HTTP {r.status} for {path}")
        return dt


def start_server(model: str | None, threads: str | None) -> tuple[subprocess.Popen, str, int]:
    cmd = [sys.executable, "-m", "spinscope", "serve", "--host", "127.0.0.1", "--port", "0"]
    if model:
        cmd += ["--model", model]
    env = dict(os.environ)
    if threads:
        env["SPINSCOPE_THREADS"] = threads
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    t0 = time.monotonic()
    while time.monotonic() - t0 < 120:
        line = proc.stderr.readline()
        m = re.search(r"serving on http://(127\.0\.0\.1):(\d+)/", line or "")
        if m:
            threading.Thread(target=proc.stderr.read, daemon=True).start()  # keep draining
            return proc, m.group(1), int(m.group(2))
        if not line and proc.poll() is not None:
            break
    proc.kill()
    sys.exit(f"server did not start: {proc.stderr.read()}")


def run_clients(host, port, body: bytes, clients: int, n: int, stop_at: float) -> tuple[list[float], float]:
    """``n`` requests shared by ``clients`` threads (each on its own keep-alive connection)."""
    lat: list[float] = []
    lock = threading.Lock()
    todo = [n]
    errors: list[str] = []

    def worker():
        c = Client(host, port)
        while time.monotonic() < stop_at:
            with lock:
                if todo[0] <= 0:
                    return
                todo[0] -= 1
            try:
                dt = c.post(body)
            except Exception as e:  # noqa: BLE001 - report, do not hang
                errors.append(str(e))
                return
            with lock:
                lat.append(dt)

    t = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(max(1.0, stop_at - time.monotonic()))
    wall = time.perf_counter() - t
    if errors:
        print(f"  errors: {errors[:3]}")
    return lat, wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--articles", type=Path, help="a folder of PTC articles to join (default: the bundled sample, repeated)")
    ap.add_argument("--words", type=int, default=1000)
    ap.add_argument("--n", type=int, default=40, help="requests per setting (default 40)")
    ap.add_argument("--model", help="model folder (default: the shipped model)")
    ap.add_argument("--threads", help="SPINSCOPE_THREADS for the server (default: its own choice)")
    args = ap.parse_args()
    stop_at = time.monotonic() + DEADLINE_S

    text = article(args.words, args.articles)
    body = json.dumps({"text": text, "title": "benchmark"}).encode()
    try:
        load = os.getloadavg()
    except OSError:
        load = (float("nan"),) * 3
    print(f"article: {len(text.split())} words, {len(text)} chars; {os.cpu_count()} CPUs; load average {load[0]:.2f}; "
          f"SPINSCOPE_THREADS={args.threads or os.environ.get('SPINSCOPE_THREADS', 'default')}")
    proc, host, port = start_server(args.model, args.threads)
    try:
        c = Client(host, port)
        for _ in range(3):  # warm up
            c.post(body)
        model = json.loads((lambda r: r.read())(_get(host, port, "/healthz")))["model"]
        print(f"server: http://{host}:{port}/  model {model.get('name')} {model.get('version')}")

        lat1, wall1 = run_clients(host, port, body, 1, args.n, stop_at)
        print(f"POST /api/analyze, 1 client : {fmt(lat1)}  {len(lat1) / wall1:.2f} req/s")
        lean = json.dumps({"text": text, "title": "benchmark", "entities": False}).encode()
        Client(host, port).post(lean)
        lat0, wall0 = run_clients(host, port, lean, 1, args.n, stop_at)
        print(f"POST /api/analyze, 1 client, \"entities\": false: {fmt(lat0)}  {len(lat0) / wall0:.2f} req/s")

        # 4 clients, with /healthz polled every 20 ms while they run
        hz: list[float] = []
        done = threading.Event()

        def poll():
            h = Client(host, port)
            time.sleep(0.5)  # let the 4 analyses start
            while not done.is_set() and time.monotonic() < stop_at and len(hz) < 5000:
                hz.append(h.get("/healthz"))
                time.sleep(0.02)

        poller = threading.Thread(target=poll)
        poller.start()
        lat4, wall4 = run_clients(host, port, body, 4, args.n, stop_at)
        done.set()
        poller.join(10)
        print(f"POST /api/analyze, 4 clients: {fmt(lat4)}  {len(lat4) / wall4:.2f} req/s")
        print(f"GET /healthz while 4 analyses run: {fmt(hz)}")
        idle = [Client(host, port).get("/healthz") for _ in range(20)]
        print(f"GET /healthz, idle: {fmt(idle)}")
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()


def _get(host, port, path):
    conn = http.client.HTTPConnection(host, port, timeout=30)
    conn.request("GET", path)
    return conn.getresponse()


if __name__ == "__main__":
    main()
