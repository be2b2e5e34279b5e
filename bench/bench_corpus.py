"""Speed and memory of ``spinscope corpus``: ingest throughput (1 and 2 worker processes, and the
Ray engine on 2 CPUs), memory over a 10,000-document ingest, query latency on that store, and
kill -9 / resume.

    python bench/bench_corpus.py throughput --articles ../shared/data/ptc/articles [--n 100]
    python bench/bench_corpus.py ingest [--n 10000] [--workers 2] [--db /tmp/corpus10k.sqlite]
    python bench/bench_corpus.py query --db /tmp/corpus10k.sqlite [--repeat 20]
    python bench/bench_corpus.py kill [--n 200] [--points 20,80,140]
    python bench/bench_corpus.py all --articles ../shared/data/ptc/articles

``--model DIR`` picks a model (default: the shipped one); ``--fast`` measures technique spans only
(``--no-entities --no-claims``). Prints numbers; asserts nothing. The machine is shared: compare
numbers from one run, and note what else was running.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORDS = ("the council mayor government minister election vote tax budget bridge school hospital police court "
         "report plan deal law city nation people families workers critics experts officials party leader "
         "announced said claimed warned promised denied approved rejected corrupt shameless brutal radical "
         "disaster catastrophe great patriots betrayal crisis threat freedom truth lies scandal").split()
SOURCES = ("daily-post", "morning-star", "the-herald", "city-news", "free-voice")


def corpus_cmd(*args, env=None) -> list[str]:
    return [sys.executable, "-m", "spinscope", "corpus", *map(str, args)]


def stages(args) -> list[str]:
    return ["--no-entities", "--no-claims"] if args.fast else []


def run(cmd, env=None) -> float:
    t = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env or os.environ, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if proc.returncode not in (0,):
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return wall


def synthetic(n: int, path: Path, seed: int = 13, words: int = 60) -> Path:
    """``n`` short JSONL documents over 5 sources and 24 months."""
    rnd = random.Random(seed)
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            sents = []
            for _ in range(max(1, words // 12)):
                s = " ".join(rnd.choice(WORDS) for _ in range(12))
                sents.append(s[0].upper() + s[1:] + rnd.choice([".", ".", ".", "!", "?"]))
            f.write(json.dumps({"text": f"Story {i}. " + " ".join(sents), "title": f"Story {i}",
                                "source": SOURCES[i % len(SOURCES)],
                                "published": f"{2023 + (i % 24) // 12}-{1 + i % 12:02d}-{1 + i % 28:02d}",
                                "section": rnd.choice(["politics", "local", "world"])}) + "\n")
    return path


def rss_tree(pid: int) -> tuple[int, int]:
    """(RSS of pid, RSS of pid and all its descendants) in bytes, from /proc."""
    kids: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            stat = (p / "stat").read_text()
            statm = (p / "statm").read_text().split()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        kids.setdefault(ppid, []).append(int(p.name))
        rss[int(p.name)] = int(statm[1]) * page
    total, todo = 0, [pid]
    while todo:
        q = todo.pop()
        total += rss.get(q, 0)
        todo.extend(kids.get(q, []))
    return rss.get(pid, 0), total


def count_docs(db: Path) -> int:
    try:
        c = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return c.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
        finally:
            c.close()
    except sqlite3.Error:
        return 0


# --- throughput --------------------------------------------------------------------------------


def bench_throughput(args) -> dict:
    src = sorted(Path(args.articles).glob("*.txt"))[: args.n]
    if not src:
        sys.exit(f"{args.articles}: no .txt files")
    tmp = Path(tempfile.mkdtemp(prefix="bench-corpus-"))
    folder = tmp / "articles"
    folder.mkdir()
    for f in src:
        shutil.copy(f, folder / f.name)
    words = sum(len(f.read_text(encoding="utf-8").split()) for f in src)
    model = (["--model", args.model] if args.model else []) + stages(args)
    env = {k: v for k, v in os.environ.items() if k != "SPINSCOPE_THREADS"}
    out = {"articles": len(src), "words": words, "fast": args.fast}
    for w in (1, 2):
        db = tmp / f"w{w}.sqlite"
        wall = run(corpus_cmd("add", db, folder, "--workers", w, "-q", *model), env)
        out[f"local_{w}_workers"] = {"wall_s": round(wall, 2), "articles_per_s": round(len(src) / wall, 2)}
        print(f"corpus add --workers {w}: {len(src)} articles in {wall:.1f} s = {len(src) / wall:.2f} articles/s "
              "(process start and model load included)", flush=True)
    code = f"""
import json, sys, time
sys.path.insert(0, {str(ROOT)!r})
import ray
t = time.perf_counter()
ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
t_init = time.perf_counter() - t
from spinscope.corpus.raydata import run_ray
t = time.perf_counter()
rep = run_ray([{str(folder)!r}], {str(tmp / 'ray-out')!r}, workers=2, model={args.model!r}, quiet=True,
              claims={not args.fast}, entities={not args.fast})
print(json.dumps({{"init_s": t_init, "run_s": time.perf_counter() - t, "added": rep.added}}))
ray.shutdown()
"""
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if proc.returncode:
        print(f"ray engine failed:\n{proc.stderr[-3000:]}")
    else:
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        out["ray_2_cpus"] = {"wall_s": round(wall, 2), "articles_per_s": round(len(src) / wall, 2),
                             "ray_init_s": round(r["init_s"], 2), "run_s": round(r["run_s"], 2),
                             "articles_per_s_after_init": round(len(src) / r["run_s"], 2)}
        print(f"corpus run --engine ray (2 CPUs, 2 actors): {len(src)} articles in {wall:.1f} s = "
              f"{len(src) / wall:.2f} articles/s; Ray start {r['init_s']:.1f} s, then {r['run_s']:.1f} s = "
              f"{len(src) / r['run_s']:.2f} articles/s", flush=True)
    shutil.rmtree(tmp, ignore_errors=True)
    return out


# --- ingest with memory over time -----------------------------------------------------------------


def bench_ingest(args) -> dict:
    db = Path(args.db)
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    data = synthetic(args.n, tmp / "docs.jsonl")
    model = (["--model", args.model] if args.model else []) + stages(args)
    env = {k: v for k, v in os.environ.items() if k != "SPINSCOPE_THREADS"}
    cmd = corpus_cmd("add", db, data, "--workers", args.workers, "-q", *model)
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    samples = []
    while proc.poll() is None:
        own, tree = rss_tree(proc.pid)
        samples.append((time.perf_counter() - t0, count_docs(db), own, tree))
        time.sleep(args.sample)
    wall = time.perf_counter() - t0
    if proc.returncode:
        sys.exit(f"ingest failed:\n{proc.stderr.read()[-3000:]}")
    mb = 1 / 2**20
    print(f"ingest of {args.n} synthetic documents (~60 words) with {args.workers} worker(s): {wall:.1f} s = "
          f"{args.n / wall:.1f} docs/s; store {db.stat().st_size * mb:.0f} MB")
    print("   t(s)    stored   RSS parent (MB)   RSS parent+workers (MB)")
    marks = set()
    for t, n, own, tree in samples:
        k = int(10 * n / args.n)
        if k not in marks or t == samples[-1][0]:
            marks.add(k)
            print(f"{t:7.1f} {n:9d} {own * mb:17.0f} {tree * mb:25.0f}")
    later = [s for s in samples if s[1] >= args.n * 0.1]
    peak_own = max(s[2] for s in samples) * mb
    peak_tree = max(s[3] for s in samples) * mb
    res = {"n": args.n, "workers": args.workers, "wall_s": round(wall, 1), "docs_per_s": round(args.n / wall, 1),
           "peak_rss_parent_mb": round(peak_own), "peak_rss_tree_mb": round(peak_tree),
           "rss_parent_at_10pct_mb": round(later[0][2] * mb) if later else None,
           "rss_parent_at_end_mb": round(later[-1][2] * mb) if later else None,
           "store_mb": round(db.stat().st_size * mb)}
    print(f"peak RSS: parent {peak_own:.0f} MB, parent+workers {peak_tree:.0f} MB; parent RSS from 10% to the end: "
          f"{res['rss_parent_at_10pct_mb']} -> {res['rss_parent_at_end_mb']} MB")
    shutil.rmtree(tmp, ignore_errors=True)
    return res


# --- queries ------------------------------------------------------------------------------------


def bench_query(args) -> dict:
    from spinscope.corpus import Filters, Store, stats

    db = Path(args.db)
    if count_docs(db) == 0:
        sys.exit(f"{db}: empty or missing; run the ingest benchmark first")
    res = {"documents": count_docs(db)}
    queries = {
        "stats --by month": ("month", Filters()),
        "stats --search 'corrupt council'": ("technique", Filters(search="corrupt council")),
        "stats --by source --since 2023-06 --search scandal": ("source", Filters(since="2023-06", search="scandal")),
        "stats --by technique": ("technique", Filters()),
    }
    with Store(db, readonly=True) as st:
        for name, (by, f) in queries.items():
            times = []
            for _ in range(args.repeat):
                t = time.perf_counter()
                doc = stats(st, by, f)
                times.append(time.perf_counter() - t)
            res[name] = {"median_ms": round(1000 * statistics.median(times), 1),
                         "max_ms": round(1000 * max(times), 1), "documents": doc["documents"]}
            print(f"{name}: median {1000 * statistics.median(times):.1f} ms, max {1000 * max(times):.1f} ms "
                  f"({doc['documents']} documents matched)", flush=True)
    for name, extra in (("CLI stats --by month", ["--by", "month"]),
                        ("CLI stats --search 'corrupt council'", ["--search", "corrupt council"])):
        walls = [run(corpus_cmd("stats", db, *extra, "--format", "json")) for _ in range(5)]
        res[name] = {"median_wall_ms": round(1000 * statistics.median(walls))}
        print(f"{name} (whole command, Python start included): median {1000 * statistics.median(walls):.0f} ms")
    return res


# --- kill -9 and resume ------------------------------------------------------------------------------


def bench_kill(args) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="bench-kill-"))
    folder = tmp / "docs"
    folder.mkdir()
    rnd = random.Random(7)
    for i in range(args.n):
        (folder / f"doc{i:04d}.txt").write_text(
            f"Story {i}.\n" + " ".join(rnd.choice(WORDS) for _ in range(80)) + ".\n", encoding="utf-8")
    db = tmp / "kill.sqlite"
    model = (["--model", args.model] if args.model else []) + stages(args)
    from spinscope.corpus import Store

    runs = []
    points = [int(x) for x in args.points.split(",")]
    for k, point in enumerate(points):
        workers = "2" if k % 2 else "1"
        t0 = time.perf_counter()
        proc = subprocess.Popen(corpus_cmd("add", db, folder, "-q", "--workers", workers, *model), cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while proc.poll() is None and count_docs(db) < point:
            time.sleep(0.01)
        killed = proc.poll() is None
        if killed:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        with Store(db) as st:
            problems = st.check()
            n_docs = st.conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
            n_an = st.conn.execute("SELECT COUNT(*) FROM analyses").fetchone()[0]
            orphans = st.conn.execute("SELECT COUNT(*) FROM spans s LEFT JOIN analyses a ON a.id = s.analysis_id"
                                      " WHERE a.id IS NULL").fetchone()[0]
        runs.append({"run": k + 1, "workers": workers, "kill_at": point, "killed": killed,
                     "seconds": round(time.perf_counter() - t0, 1), "documents": n_docs, "analyses": n_an,
                     "orphan_spans": orphans, "check": problems or "ok"})
        print(f"run {k + 1} (--workers {workers}): kill -9 once >= {point} stored -> "
              f"{'killed' if killed else 'finished'}; documents {n_docs}, analyses {n_an}, orphan spans {orphans}, "
              f"check {problems or 'ok'}", flush=True)
    wall = run(corpus_cmd("add", db, folder, "-q", *model))
    with Store(db) as st:
        n_docs = st.conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
        distinct = st.conn.execute("SELECT COUNT(DISTINCT hash) FROM documents").fetchone()[0]
        n_an = st.conn.execute("SELECT COUNT(*) FROM analyses").fetchone()[0]
        problems = st.check()
    runs.append({"run": len(points) + 1, "final": True, "seconds": round(wall, 1), "documents": n_docs,
                 "distinct": distinct, "analyses": n_an, "check": problems or "ok"})
    print(f"final run: documents {n_docs} (distinct {distinct}) of {args.n}, analyses {n_an}, check {problems or 'ok'}")
    shutil.rmtree(tmp, ignore_errors=True)
    return {"n": args.n, "runs": runs}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=("throughput", "ingest", "query", "kill", "all"))
    ap.add_argument("--articles", help="folder of .txt articles (PTC) for the throughput benchmark")
    ap.add_argument("--n", type=int, help="articles (throughput, default 100) / documents (ingest 10000, kill 200)")
    ap.add_argument("--workers", type=int, default=2, help="ingest: worker processes")
    ap.add_argument("--db", default=str(Path(tempfile.gettempdir()) / "spinscope-corpus-10k.sqlite"))
    ap.add_argument("--model", help="model folder (default: the shipped model)")
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--sample", type=float, default=0.5, help="ingest: seconds between memory samples")
    ap.add_argument("--points", default="20,80,140", help="kill: documents stored before each kill -9")
    ap.add_argument("--fast", action="store_true", help="technique spans only (--no-entities --no-claims)")
    ap.add_argument("--json", help="also write the numbers here")
    args = ap.parse_args()
    results = {}
    todo = ("throughput", "ingest", "query", "kill") if args.what == "all" else (args.what,)
    for what in todo:
        a = argparse.Namespace(**vars(args))
        if a.n is None or args.what == "all":
            a.n = {"throughput": a.n or 100, "ingest": 10000, "kill": 200}.get(what)
        if what == "throughput" and not a.articles:
            sys.exit("throughput needs --articles DIR")
        print(f"== {what}", flush=True)
        results[what] = {"throughput": bench_throughput, "ingest": bench_ingest, "query": bench_query,
                         "kill": bench_kill}[what](a)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
