"""``corpus run --engine ray`` on a local Ray (2 CPUs) gives exactly what the local engine gives.

Skips when Ray is not installed (``pip install 'spinscope[ray]'``; CI installs the extra).
"""

import json
import os
import subprocess
import sys
from io import StringIO

import pytest

from conftest import ROOT

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'spinscope[ray]')")
pytest.importorskip("ray.data", reason="Ray Data is not installed (pip install 'spinscope[ray]')")
pq = pytest.importorskip("pyarrow.parquet", reason="pyarrow is not installed (pip install 'spinscope[ray]')")

from spinscope import corpus  # noqa: E402
from corpus_data import text_of  # noqa: E402


pytestmark = [pytest.mark.slow,  # starts a Ray cluster
              pytest.mark.filterwarnings("ignore::DeprecationWarning")]  # Ray Data's own, on pickling its context


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def fixture_corpus(tmp_path_factory):
    d = tmp_path_factory.mktemp("raycorpus")
    with open(d / "feed.jsonl", "w", encoding="utf-8") as f:
        for i in range(24):
            f.write(json.dumps({"text": text_of(i, 80), "title": f"T{i}", "source": "ab"[i % 2],
                                "published": f"2024-0{1 + i % 9}-01", "extra": {"i": i}}) + "\n")
        f.write(json.dumps({"text": text_of(3, 80)}) + "\n")  # repeated: written once
        f.write("{broken\n")
    (d / "one.txt").write_text("Critics called the mayor a clown and a liar.\n", encoding="utf-8")
    return d


def test_ray_and_local_engines_give_identical_results(local_ray, fixture_corpus, tiny_model, tmp_path, monkeypatch):
    monkeypatch.setenv("SPINSCOPE_THREADS", "1")
    ray_out, local_out = tmp_path / "ray", tmp_path / "local"
    rep_ray = corpus.run_to_parquet([fixture_corpus], ray_out, engine="ray", workers=2, model=tiny_model, quiet=True,
                                    stream=StringIO())
    rep_local = corpus.run_to_parquet([fixture_corpus], local_out, engine="local", workers=1, model=tiny_model,
                                      quiet=True, stream=StringIO())
    assert (rep_ray.added, rep_ray.existing, len(rep_ray.problems)) == (25, 1, 1)
    assert (rep_local.added, rep_local.existing, rep_local.problems) == (rep_ray.added, 1, rep_ray.problems)
    a, b = pq.read_table(ray_out).to_pylist(), pq.read_table(local_out).to_pylist()
    assert len(a) == 25 and a == b  # same rows, same order, same spans and scores
    assert sum(len(json.loads(r["spans"])) for r in a) > 0
    ma = json.loads((ray_out / "_manifest.json").read_text(encoding="utf-8"))
    assert ma["engine"] == "ray" and ma["rows"] == 25
    # and the store made from Ray's output equals the one `corpus add` makes
    corpus.import_parquet(tmp_path / "ray.sqlite", ray_out, quiet=True, stream=StringIO())
    corpus.add_paths(tmp_path / "add.sqlite", [fixture_corpus], model=tiny_model, quiet=True, stream=StringIO())
    with corpus.Store(tmp_path / "ray.sqlite") as r, corpus.Store(tmp_path / "add.sqlite") as s:
        assert r.check() == []
        assert corpus.stats(r, "month") == corpus.stats(s, "month")
        q = ("SELECT d.hash, s.start_char, s.end_char, s.technique, s.score, s.explanation FROM spans s"
             " JOIN documents d ON d.analysis_id = s.analysis_id ORDER BY 1, 2, 3, 4")
        assert r.conn.execute(q).fetchall() == s.conn.execute(q).fetchall()


def test_cli_ray_engine_connects_to_a_given_address_or_says_why_not(fixture_corpus, tiny_model, tmp_path):
    env = dict(os.environ, SPINSCOPE_THREADS="1", PYTHONWARNINGS="ignore")
    env.pop("RAY_ADDRESS", None)
    proc = subprocess.run([sys.executable, "-m", "spinscope", "corpus", "run", "--engine", "ray", "--address",
                           "127.0.0.1:1", str(fixture_corpus), "--out", str(tmp_path / "o"), "--model", str(tiny_model),
                           "-q"], capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert proc.returncode == 2
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("spinscope: cannot connect to Ray at 127.0.0.1:1"), proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
