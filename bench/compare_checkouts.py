"""Whether two checkouts of spinscope are the same program: their outputs compared byte for byte.

    git worktree add /tmp/old <commit>
    python bench/compare_checkouts.py --old /tmp/old --ptc ../shared/data/ptc [--json-articles 50]
        [--claims-tsv ../shared/data/claims/CT24_checkworthy_english_dev-test.tsv] [--save DIR]
    python bench/compare_checkouts.py --old-outputs DIR --ptc ...   (against outputs saved earlier)

Each checkout runs its own code (``python -m spinscope`` started in its folder) to make: the JSON of
``spinscope analyze`` for the first N PTC articles (everything on), the SemEval TSVs (``ptc-si``,
``ptc-tc``) for all articles, the HTML report and JSON of the bundled sample, ``spinscope claims``,
and the answers of a real ``spinscope serve`` (with a corpus store) to a fixed list of requests.
Prints one line per output (same / DIFFERENT, with the first differing byte) and exits 1 if any
differ.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = "spinscope/samples/sample_article.txt"

# (method, path, JSON body or None): what the web app and its dashboard are asked
REQUESTS = [
    ("GET", "/healthz", None),
    ("GET", "/openapi.json", None),
    ("GET", "/api/techniques", None),
    ("GET", "/", None),
    ("POST", "/api/analyze", {"text": "SAMPLE"}),
    ("POST", "/api/analyze", {"text": "SAMPLE", "title": "A title", "claims": False}),
    ("POST", "/api/analyze", {"text": "SAMPLE", "entities": False, "claims": False}),
    ("POST", "/api/analyze", {"html": "<html><body><article><h1>Title</h1><p>SAMPLE</p></article></body></html>"}),
    ("POST", "/api/analyze", {"text": ""}),
    ("POST", "/api/analyze", {"text": 5}),
    ("POST", "/api/analyze", {"nothing": True}),
    ("FORM", "/", {"text": "SAMPLE", "title": "A title"}),
    ("GET", "/nope", None),
    ("GET", "/corpus/", None),
    ("GET", "/corpus/articles", None),
    ("GET", "/corpus/articles?q=war", None),
    ("GET", "/corpus/articles/1", None),
    ("GET", "/corpus/compare?a=one&b=two", None),
    ("GET", "/corpus/api/stats?by=source", None),
    ("GET", "/corpus/api/compare?a=one&b=two", None),
    ("GET", "/corpus/articles/999999", None),
]


def run(checkout: Path, args: list[str], out: Path | None = None, stdin: str | None = None) -> bytes:
    """``python -m spinscope ARGS`` in the checkout; its stdout (or the file it wrote)."""
    env = dict(os.environ, PYTHONPATH=str(checkout), PYTHONHASHSEED="0")
    p = subprocess.run([sys.executable, "-m", "spinscope", *args], cwd=checkout, env=env, input=stdin,
                       capture_output=True, text=stdin is not None)
    if p.returncode != 0:
        sys.exit(f"{checkout}: spinscope {' '.join(args)} failed ({p.returncode}): {p.stderr[-2000:]}")
    return out.read_bytes() if out else (p.stdout.encode() if isinstance(p.stdout, str) else p.stdout)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_answers(checkout: Path, db: Path, sample: str) -> dict[str, bytes]:
    """Start ``spinscope serve --db`` in the checkout and record its answers to REQUESTS."""
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(checkout), PYTHONHASHSEED="0")
    proc = subprocess.Popen([sys.executable, "-m", "spinscope", "serve", "--port", str(port), "--db", str(db)],
                            cwd=checkout, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2).read()
                break
            except OSError:
                time.sleep(0.1)
        answers = {}
        for i, (method, path, body) in enumerate(REQUESTS):
            data, ctype = None, "application/json"
            if method == "FORM":  # the web page's form
                data = urllib.parse.urlencode({k: v.replace("SAMPLE", sample) for k, v in body.items()}).encode()
                method, ctype = "POST", "application/x-www-form-urlencoded"
            elif body is not None:
                data = json.dumps(body).replace("SAMPLE", json.dumps(sample)[1:-1]).encode()
            req = urllib.request.Request(base + path, data=data, method=method, headers={"Content-Type": ctype})
            try:
                with urllib.request.urlopen(req, timeout=120) as r:
                    status, payload, ctype = r.status, r.read(), r.headers.get("content-type")
            except urllib.error.HTTPError as e:
                status, payload, ctype = e.code, e.read(), e.headers.get("content-type")
            answers[f"api{i:02d} {method} {path}"] = f"{status} {ctype}\n".encode() + payload
        return answers
    finally:
        proc.terminate()
        proc.wait(10)


def outputs(checkout: Path, ptc: Path, n_json: int, work: Path, claims_tsv: Path | None) -> dict[str, bytes]:
    """Every output of one checkout, by name."""
    work.mkdir(parents=True, exist_ok=True)
    arts = sorted((ptc / "articles").glob("*.txt"))
    few = work / "few"
    few.mkdir(exist_ok=True)
    for a in arts[:n_json]:
        shutil.copy(a, few / a.name)
    got: dict[str, bytes] = {}
    got["analyze json (first %d PTC articles)" % n_json] = run(
        checkout, ["analyze", str(few), "--format", "json", "-o", str(work / "a.json"), "-q"], work / "a.json")
    for fmt in ("ptc-si", "ptc-tc"):
        got[f"analyze {fmt} (all {len(arts)} PTC articles)"] = run(
            checkout, ["analyze", str(ptc / "articles"), "--format", fmt, "--no-entities", "--no-claims",
                       "-o", str(work / f"{fmt}.tsv"), "-q"], work / f"{fmt}.tsv")
    sample = work / "sample_article.txt"  # at the same path for both: the path shows in outputs
    shutil.copy(ROOT / SAMPLE, sample)
    got["analyze html (sample)"] = run(checkout, ["analyze", str(sample), "--format", "html",
                                                  "-o", str(work / "s.html"), "-q"], work / "s.html")
    got["analyze json (sample)"] = run(checkout, ["analyze", str(sample), "--format", "json", "-q"])
    got["analyze text (sample, piped)"] = run(checkout, ["analyze", str(sample), "--min-score", "0", "--explain", "-q"])
    got["analyze json (stdin)"] = run(checkout, ["analyze", "-", "--format", "json", "-q"],
                                      stdin=sample.read_text(encoding="utf-8"))
    if claims_tsv:
        got["claims (TSV)"] = run(checkout, ["claims", str(claims_tsv)])
    db = work / "corpus.db"
    for name, src in (("one", arts[:6]), ("two", arts[6:12])):
        d = work / name
        d.mkdir(exist_ok=True)
        for a in src:
            shutil.copy(a, d / a.name)
        run(checkout, ["corpus", "add", str(db), str(d), "--source", name, "-q"])
    for by in ("technique", "source", "month", "entity"):
        got[f"corpus stats --by {by}"] = run(checkout, ["corpus", "stats", str(db), "--by", by, "--format", "json"])
    got["corpus compare"] = run(checkout, ["corpus", "compare", str(db), "--source", "one", "--source", "two"])
    got["corpus info (times masked)"] = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", b"<time>",
                                                run(checkout, ["corpus", "info", str(db)]))
    got.update(serve_answers(checkout, db, sample.read_text(encoding="utf-8")))
    return got


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--old", type=Path, help="the other checkout (e.g. a git worktree)")
    ap.add_argument("--old-outputs", type=Path, help="instead of --old: outputs saved by an earlier --save")
    ap.add_argument("--save", type=Path, help="save the old checkout's outputs here, for --old-outputs")
    ap.add_argument("--new", type=Path, default=ROOT)
    ap.add_argument("--ptc", type=Path, required=True, help="the PTC folder (articles/)")
    ap.add_argument("--json-articles", type=int, default=50)
    ap.add_argument("--save-only", action="store_true", help="with --save: only record the old checkout's outputs")
    ap.add_argument("--claims-tsv", type=Path, help="sentences for 'spinscope claims' (Sentence_id, Text)")
    args = ap.parse_args()
    if not (args.old or args.old_outputs):
        ap.error("give --old or --old-outputs")
    # both checkouts write under the same path: paths show in some outputs (corpus origins)
    tmp = Path(tempfile.gettempdir()) / "spinscope-compare"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    opts = (args.ptc.resolve(), args.json_articles)
    try:
        if args.old_outputs:
            saved = json.loads((args.old_outputs / "outputs.json").read_text(encoding="utf-8"))
            if saved["options"] != [str(opts[0]), opts[1], str(args.claims_tsv)]:
                sys.exit(f"{args.old_outputs}: saved with other options {saved['options']}")
            old = {k: bytes.fromhex(v) for k, v in saved["outputs"].items()}
        else:
            old = outputs(args.old.resolve(), *opts, tmp / "work", args.claims_tsv)
            shutil.rmtree(tmp / "work")
            if args.save:
                args.save.mkdir(parents=True, exist_ok=True)
                (args.save / "outputs.json").write_text(json.dumps(
                    {"options": [str(opts[0]), opts[1], str(args.claims_tsv)],
                     "outputs": {k: v.hex() for k, v in old.items()}}), encoding="utf-8")
                if args.save_only:
                    return 0
        new = outputs(args.new.resolve(), *opts, tmp / "work", args.claims_tsv)
        differ = 0
        for name in old:
            a, b = old[name], new.get(name, b"")
            if a == b:
                print(f"same       {len(a):>10,} bytes  {name}")
            else:
                differ += 1
                at = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
                print(f"DIFFERENT  {len(a):>10,} vs {len(b):,} bytes, first at byte {at}: {name}\n"
                      f"    old: {a[max(0, at - 60):at + 60]!r}\n    new: {b[max(0, at - 60):at + 60]!r}")
        print(f"{len(old) - differ} of {len(old)} outputs byte-identical")
        return 1 if differ else 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
