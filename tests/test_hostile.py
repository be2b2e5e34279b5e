"""Hostile input: time linear in the input, bounded reads, one-line errors for every output and store
problem, and a server that stays responsive under slow, idle and huge requests (the real CLI and
the real server)."""

from __future__ import annotations

import gc
import http.client
import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import ROOT, run_cli
from spinscope import entities, language
from spinscope.entities import nlp as entities_nlp
from spinscope.corpus import ModelIdentity, Record, Store, result_from_analysis
from spinscope.corpus.records import _read_jsonl
from spinscope.document import Analysis, Span, split_sentences
from spinscope.render.tsv import ptc_tc_rows
from spinscope.inputs.html import extract_html

FAKE = ModelIdentity({"name": "fake", "version": "1", "threshold": 0.5}, "fake0001", None)


def best_time(fn, arg, repeat: int = 5) -> float:
    """The fastest of ``repeat`` timings of ``fn(arg)``, each over enough calls to last >= 20 ms,
    so that timer granularity and a busy machine's hiccups do not decide a ratio; the garbage
    collector is off while timing (as in ``timeit``), since its passes grow with what is alive."""
    t = time.perf_counter()
    fn(arg)
    calls = max(1, int(0.02 / max(time.perf_counter() - t, 1e-6)))
    out = float("inf")
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        for _ in range(repeat):
            t = time.perf_counter()
            for _ in range(calls):
                fn(arg)
            out = min(out, (time.perf_counter() - t) / calls)
    finally:
        if was_enabled:
            gc.enable()
    return out


def growth(fn, make, n: int) -> float:
    """How much longer ``fn`` takes on an input 4x as long: about 4 if linear, 16 if quadratic.
    A ratio far above 4 is measured again (up to three times, the lowest kept): a busy machine
    slows one measurement, a quadratic cost slows every one."""
    fn(make(n // 4))  # warm up
    small, large = make(n), make(4 * n)
    ratio = float("inf")
    for _ in range(3):
        ratio = min(ratio, best_time(fn, large) / max(best_time(fn, small), 1e-6))
        if ratio < 6:
            break
    return ratio


# --- time linear in the input ------------------------------------------------------------------

SHAPES = ["x", "@", "x@", "a.b@", ".", "!?", "-", "'", "’s", "<", "&#", "Mr. ", "\"a\" ", "(a) ", "http://x"]


@pytest.mark.parametrize("shape", SHAPES)
def test_language_and_sentences_take_linear_time(shape):
    make = lambda n: shape * (n // len(shape))  # noqa: E731
    assert growth(language.english_share, make, 40_000) < 8
    assert growth(split_sentences, make, 40_000) < 8


@pytest.mark.parametrize("html", [
    lambda n: "<p>text</p><!--" + "x" * n,  # an unclosed comment
    lambda n: "<div>" * (n // 5) + "words",  # nesting without end
    lambda n: "<a " + "b=c " * (n // 4) + ">",  # one tag, endless attributes
    lambda n: "<" * n,
    lambda n: "&amp;" * (n // 5),
])
def test_html_extraction_takes_linear_time(html):
    assert growth(extract_html, html, 20_000) < 8


def test_entities_take_linear_time_on_words_without_spaces():
    # spaCy's suffix search was quadratic in a word's length: "!?" x 16,000 took 26 s
    assert growth(lambda t: entities.extract_entities(t), lambda n: "!?" * (n // 2), 8_000) < 8


@pytest.mark.slow
def test_targets_take_linear_time_in_a_run_on_sentence():
    # every span walked the whole run-on "sentence" looking for its target
    def run(text):
        spans = [Span(i, i + 3, "Loaded_Language", 0.9, text[i:i + 3]) for i in range(0, len(text) - 4, 200)]
        entities.extract_entities(text, spans)

    assert growth(run, lambda n: "Mr. " * (n // 4), 4_000) < 8


@pytest.mark.parametrize("run", ["}", "(", ")]}", "!?)"])
def test_span_snapping_takes_linear_time_on_runs_of_brackets(run):
    from spinscope.detect import snap_span

    assert growth(lambda t: snap_span(t, 0, len(t)), lambda n: "a" + run * (n // len(run)), 20_000) < 8


def test_a_long_jsonl_token_is_read_in_linear_time(tmp_path):
    def run(path):
        list(_read_jsonl(path, None))

    def make(n):
        p = tmp_path / f"r{n}.jsonl"
        p.write_text(json.dumps({"text": "a" + "x" * n + "@y.z"}) + "\n", encoding="utf-8")
        return p

    assert growth(run, make, 200_000) < 8


def test_over_long_words_reach_spacy_as_spaces_and_mentions_keep_the_input():
    text = "Barack Obama met Angela Merkel. " + "x" * 500 + " Then Obama left."
    pieces = entities_nlp._chunks(text)
    assert [len(p) for _, p in pieces] == [len(text)] and "x" not in pieces[0][1]
    found, _ = entities.extract_entities(text)
    for e in found:
        for m in e.mentions:
            assert text[m.start:m.end] == m.text


# --- the CLI: bounded reads and one-line errors --------------------------------------------------


def one_line_error(r: subprocess.CompletedProcess, *needles: str) -> None:
    lines = r.stderr.decode().strip().splitlines()
    assert r.returncode == 2, r.stderr.decode()
    assert "Traceback" not in r.stderr.decode()
    assert len(lines) == 1 and lines[0].startswith("spinscope"), lines
    for n in needles:
        assert n in lines[0], lines[0]


@pytest.fixture(scope="module")
def article(tmp_path_factory) -> Path:
    p = tmp_path_factory.mktemp("a") / "a.txt"
    p.write_text("The corrupt council betrayed the town.\nCritics called the mayor a clown and a liar.\n",
                 encoding="utf-8")
    return p


def test_output_errors_are_one_line(article, tmp_path):
    one_line_error(run_cli("analyze", str(article), "-o", "/nonexistent/dir/out.txt"), "does not exist")
    one_line_error(run_cli("analyze", str(article), "-o", str(tmp_path)), "is a folder")
    one_line_error(run_cli("analyze", str(article), "--format", "json", "-o", "/dev/full"), "No space left")


def test_a_full_stdout_is_one_line():
    code = (f"import sys; sys.path.insert(0, {str(ROOT)!r}); from spinscope.cli import main; "
            "sys.exit(main(['analyze', '-', '--format', 'json', '--no-entities']))")
    with open("/dev/full", "w") as full:
        r = subprocess.run([sys.executable, "-c", code], input=b"The corrupt council lied.", stdout=full,
                           stderr=subprocess.PIPE, timeout=300)
    one_line_error(r, "No space left")


def test_a_closed_pipe_is_quiet(article):
    p = subprocess.Popen([sys.executable, "-m", "spinscope", "analyze", str(article), str(article), "--format",
                          "json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    p.stdout.read(5)
    p.stdout.close()
    err = p.stderr.read().decode()
    assert p.wait(300) == 0 and "Traceback" not in err and "Exception" not in err


def test_endless_inputs_stop_at_a_bound(tmp_path):
    one_line_error(run_cli("analyze", "/dev/zero", timeout=60), "binary")
    link = tmp_path / "zero.txt"
    link.symlink_to("/dev/zero")
    one_line_error(run_cli("analyze", str(link), timeout=60), "binary")
    one_line_error(run_cli("analyze", "-", input=b"y\n" * 8_100_000, timeout=60), "larger than 16,000,000 bytes")


def test_tsv_ids_cannot_break_rows(tmp_path):
    a = Analysis(text="a clown", spans=[Span(2, 7, "Name_Calling,Labeling", 0.9, "clown")])
    (row,) = ptc_tc_rows("bad\tname\nwith\x1besc", a)
    assert row.split("\t") == ["bad_name_with_esc", "Name_Calling,Labeling", "2", "7"]
    f = tmp_path / "tab\there.txt"
    f.write_text("The corrupt council betrayed the town. Critics called the mayor a clown and a liar.\n",
                 encoding="utf-8")
    r = run_cli("analyze", str(f), "--format", "ptc-tc", "--no-entities")
    assert r.returncode == 0, r.stderr
    for line in r.stdout.decode().splitlines():
        assert len(line.split("\t")) == 4 and "\x1b" not in line


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any folder")
def test_an_unreadable_folder_is_named(tmp_path):
    d = tmp_path / "locked"
    d.mkdir()
    (d / "a.txt").write_text("text", encoding="utf-8")
    d.chmod(0)
    try:
        r = run_cli("analyze", str(d))
        assert r.returncode == 2 and b"cannot read folder" in r.stderr
    finally:
        d.chmod(0o755)


# --- stores ------------------------------------------------------------------------------------


def small_store(path: Path, n: int = 30) -> Path:
    docs = []
    for i in range(n):
        text = f"Document {i} says the corrupt council betrayed the town. " * 20
        a = Analysis(text=text, spans=[Span(14, 21, "Loaded_Language", 0.9, text[14:21])],
                     model={"name": "fake", "version": "1"})
        docs.append((Record(text=text, origin=str(i), source="A", published="2024-01-05"), result_from_analysis(a)))
    with Store(path) as st:
        st.write_new(docs, "add", FAKE)
    return path


def test_bad_stores_for_serve_are_one_line(tmp_path):
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(os.urandom(4096))
    foreign = tmp_path / "foreign.db"
    with sqlite3.connect(foreign) as c:
        c.execute("CREATE TABLE x (a)")
    newer = small_store(tmp_path / "newer.db", 2)
    with sqlite3.connect(newer) as c:
        c.execute("PRAGMA user_version = 99")
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    for db, needle in ((garbage, "not a usable corpus store"), (foreign, "not a spinscope corpus store"),
                       (newer, "newer than this spinscope"), (empty, "an empty file")):
        one_line_error(run_cli("serve", "--port", "0", "--db", str(db), timeout=120), needle)
    one_line_error(run_cli("corpus", "info", str(empty)), "an empty file")
    assert empty.stat().st_size == 0  # not turned into a store


def test_a_read_only_store_can_be_checked(tmp_path):
    db = small_store(tmp_path / "s.db", 3)
    with Store(db, readonly=True) as st:
        assert st.check() == []


def test_a_damaged_store_gives_json_errors(tmp_path):
    from fastapi.testclient import TestClient

    from spinscope.web import create_app

    db = small_store(tmp_path / "s.db", 60)
    with sqlite3.connect(db) as c:
        c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    app = create_app(detector=_NoModel(), db=db)
    data = bytearray(db.read_bytes())
    page = 4096
    for i in range(2 * page, len(data) - page, page):  # every page but the first: tables and indexes
        data[i + 8:i + 100] = os.urandom(92)
    db.write_bytes(bytes(data))
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get("/corpus/api/stats")
        assert r.status_code == 500 and "cannot be read" in r.json()["error"]
        r = client.get("/corpus/")
        assert r.status_code == 500 and "cannot be read" in r.text and "Traceback" not in r.text


class _NoModel:
    info = {"name": "none", "version": "0"}


# --- the real server ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server():
    """``spinscope serve`` with short limits: 3 s per analysis, 2 s for headers and bodies, 400 connections."""
    cmd = [sys.executable, "-m", "spinscope", "serve", "--port", "0", "--time-limit", "3", "--header-timeout", "2",
           "--body-timeout", "2", "--max-connections", "400"]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    line = proc.stderr.readline()
    m = re.search(r":(\d+)/", line)
    if not m:
        proc.kill()
        pytest.fail(f"the server did not start: {line}{proc.stderr.read()}")
    log: list[str] = []
    threading.Thread(target=lambda: log.extend(proc.stderr), daemon=True).start()
    yield int(m.group(1)), log
    proc.terminate()
    proc.wait(10)
    assert not any("Traceback" in x for x in log), "".join(log)


def request(port: int, method: str, path: str, payload=None, timeout: float = 120) -> tuple[int, dict]:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        body = json.dumps(payload).encode() if payload is not None else None
        c.request(method, path, body=body, headers={"Content-Type": "application/json"} if body else {})
        r = c.getresponse()
        return r.status, json.loads(r.read() or b"null")
    finally:
        c.close()


def healthz_while(port: int, work) -> tuple[list[float], object]:
    """Seconds of each /healthz (a new connection each) while ``work()`` runs, and its result."""
    times: list[float] = []
    done = threading.Event()

    def poll():
        while not done.is_set():
            t = time.perf_counter()
            status, _ = request(port, "GET", "/healthz", timeout=30)
            assert status == 200
            times.append(time.perf_counter() - t)
            time.sleep(0.05)

    t = threading.Thread(target=poll)
    t.start()
    try:
        result = work()
    finally:
        done.set()
        t.join()
    return times, result


def test_healthz_answers_while_a_2mb_text_without_spaces_is_analysed(server):
    port, _ = server
    times, (status, doc) = healthz_while(port, lambda: request(port, "POST", "/api/analyze", {"text": "x" * 1_999_980}))
    assert status in (200, 504), doc
    assert times and max(times) < 2.0  # the event loop never stopped (it stopped for minutes before)


def test_an_analysis_past_the_time_limit_is_a_json_504(server):
    port, _ = server
    t = time.perf_counter()
    status, doc = request(port, "POST", "/api/analyze", {"text": ". " * 400_000, "entities": False})
    assert status == 504 and "limit of 3 s" in doc["error"]
    assert time.perf_counter() - t < 15


def test_idle_connections_do_not_lock_others_out(server):
    port, _ = server
    socks = []
    try:
        for i in range(300):
            s = socket.create_connection(("127.0.0.1", port))
            if i % 2:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow")  # half-sent headers
            socks.append(s)
        times, _ = healthz_while(port, lambda: time.sleep(1.0))
        assert times and max(times) < 2.0
        time.sleep(2.5)  # past the header deadline: the server has answered 408 and closed each
        s = socks[1]
        s.settimeout(5)
        got = s.recv(4096)
        assert got.startswith(b"HTTP/1.1 408") and b'"error"' in got
    finally:
        for s in socks:
            s.close()


def test_over_the_connection_cap_is_a_json_503(server):
    port, _ = server
    socks = []
    try:
        for _ in range(400):
            socks.append(socket.create_connection(("127.0.0.1", port)))
        time.sleep(0.3)
        extra = socket.create_connection(("127.0.0.1", port))
        extra.settimeout(5)
        got = extra.recv(4096)
        extra.close()
        assert got.startswith(b"HTTP/1.1 503") and b"too many open connections" in got
    finally:
        for s in socks:
            s.close()


def test_a_slow_body_is_a_json_408(server):
    port, _ = server
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(10)
    s.sendall(b"POST /api/analyze HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"te")
    got = b""
    while b'"}' not in got:  # the head and the body may come in two pieces
        piece = s.recv(4096)
        if not piece:
            break
        got += piece
    s.close()
    assert got.startswith(b"HTTP/1.1 408") and b"did not arrive within 2 s" in got


def test_openapi_says_exactly_one_input_and_strict_types(server):
    port, _ = server
    status, spec = request(port, "GET", "/openapi.json")
    schema = spec["paths"]["/api/analyze"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert [s["required"] for s in schema["oneOf"]] == [["text"], ["html"], ["url"]]
    assert all(s["additionalProperties"] is False for s in schema["oneOf"])
    assert schema["oneOf"][0]["properties"]["entities"]["type"] == "boolean"
    status, doc = request(port, "POST", "/api/analyze", {"text": "Hi there.", "entities": None})
    assert status == 422 and '"entities" must be true or false, not null' in doc["error"]
