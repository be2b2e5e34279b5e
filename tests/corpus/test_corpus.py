"""Whole corpora (spinscope.corpus): inputs, the SQLite store, resuming after kill -9, queries,
the significance test, the command line and the dashboard router. All with the tiny model."""

import csv
import json
import math
import os
import signal
import sqlite3
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path

import pytest

from conftest import ROOT
from corpus_data import FAKE, HOSTILE_TITLE, hand_result, text_of

from spinscope import analyze, corpus
from spinscope.cli import corpus as cli_corpus
from spinscope.corpus import queries
from spinscope.web import charts, dashboard
from spinscope.corpus import (
    CorpusError,
    Filters,
    Problem,
    Record,
    Store,
    add_paths,
    compare,
    expand_paths,
    read_records,
    result_from_analysis,
    stats,
    text_hash,
)
from spinscope.document import Analysis, Claim, Entity, Mention, Span, split_sentences

ENV = dict(os.environ, SPINSCOPE_THREADS="1", PYTHONWARNINGS="ignore")


@pytest.fixture(autouse=True)
def one_thread(monkeypatch):
    monkeypatch.setenv("SPINSCOPE_THREADS", "1")


@pytest.fixture(scope="module")
def detector(tiny_model):
    from spinscope.detect import Detector

    return Detector(tiny_model, threads=1)


def corpus_cli(*args, timeout=300) -> subprocess.CompletedProcess:
    """``python -m spinscope corpus`` (the same parser as ``spinscope corpus``)."""
    return subprocess.run([sys.executable, "-m", "spinscope", "corpus", *map(str, args)], capture_output=True, text=True,
                          env=ENV, cwd=ROOT, timeout=timeout)


@pytest.fixture()
def inputs(tmp_path) -> Path:
    """A folder with every kind of input, good and bad."""
    d = tmp_path / "in"
    (d / "sub").mkdir(parents=True)
    with open(d / "feed.jsonl", "w", encoding="utf-8") as f:
        for i in range(6):
            f.write(json.dumps({"text": text_of(i), "title": f"Title {i}", "url": f"https://example.org/{i}",
                                "source": "alpha" if i % 2 else "beta", "published": f"2024-0{1 + i % 3}-1{i}",
                                "lang": "en", "tags": ["a", i]}) + "\n")
        f.write("\n")
        f.write("{not json\n")
        f.write(json.dumps({"title": "no text"}) + "\n")
        f.write(json.dumps({"text": 42}) + "\n")
        f.write(json.dumps({"text": text_of(0)}) + "\n")  # the same text again: stored once
    with open(d / "table.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["text", "title", "source", "published", "section"])
        w.writerow([text_of(10), "CSV doc", "gamma", "2024-03-05T10:00:00Z", "politics"])
        w.writerow(["", "empty", "gamma", "", ""])
        w.writerow([text_of(11), "bad date", "gamma", "2024-13-01", ""])
    (d / "sub" / "plain.txt").write_text(text_of(20), encoding="utf-8")
    (d / "sub" / "page.html").write_text(
        "<html><head><title>A page</title></head><body><nav>Menu Home About</nav><article>"
        f"<h1>A page</h1><p>{text_of(30, 60)}</p></article></body></html>", encoding="utf-8")
    (d / "sub" / "binary.txt").write_bytes(b"\x00\x01\x02abc")
    (d / "sub" / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    (d / "sub" / "empty.txt").write_text("  \n", encoding="utf-8")
    (d / "notes.labels").write_text("ignored", encoding="utf-8")
    return d


# --- inputs ------------------------------------------------------------------------------------


def test_read_records_every_kind_and_every_problem(inputs):
    files, problems, ignored = expand_paths([inputs, inputs / "missing.txt", inputs / "notes.labels"])
    assert ignored == {".labels": 1}
    assert [str(p) for p in problems] == [f"{inputs / 'missing.txt'}: no such file or folder",
                                          f"{inputs / 'notes.labels'}: unsupported file type '.labels'; "
                                          "give .txt, .html, .pdf, .docx, .md, .jsonl or .csv files or folders"]
    items = list(read_records(files, default_source="default"))
    recs = [r for r in items if isinstance(r, Record)]
    probs = [str(p) for p in items if isinstance(p, Problem)]
    by_title = {r.title: r for r in recs}
    r0 = by_title["Title 0"]
    assert (r0.source, r0.url, r0.published) == ("beta", "https://example.org/0", "2024-01-10")
    assert r0.metadata == {"lang": "en", "tags": ["a", 0]} and r0.hash == text_hash(r0.text)
    csv_doc = by_title["CSV doc"]
    assert csv_doc.published == "2024-03-05" and csv_doc.metadata == {"section": "politics",
                                                                     "published_at": "2024-03-05T10:00:00Z"}
    plain = [r for r in recs if r.origin.endswith("plain.txt")][0]
    assert plain.source == "default" and plain.title is None and plain.text == text_of(20)
    page = [r for r in recs if r.origin.endswith("page.html")][0]
    assert page.title == "A page" and "Menu Home About" not in page.text and "Report 30" in page.text
    assert page.metadata == {}  # its article body was found
    untitled = [r for r in recs if r.origin.endswith("line 11")][0]  # the repeated text (deduplicated later)
    assert untitled.source == "default" and untitled.hash == r0.hash
    assert len(recs) == 6 + 1 + 1 + 1 + 1
    expected = [
        f"{inputs / 'feed.jsonl'}: line 8: invalid JSON",
        f"{inputs / 'feed.jsonl'}: line 9: no 'text' field",
        f"{inputs / 'feed.jsonl'}: line 10: field 'text' must be a string, not int",
        f"{inputs / 'sub' / 'binary.txt'}: looks like a binary file",
        f"{inputs / 'sub' / 'empty.txt'}: empty text",
        f"{inputs / 'sub' / 'latin1.txt'}: not UTF-8 text",
        f"{inputs / 'table.csv'}: row 2: empty text",
        f"{inputs / 'table.csv'}: row 3: field 'published' is not an ISO date",
    ]
    assert len(probs) == len(expected)
    for e in expected:
        assert any(p.startswith(e) for p in probs), (e, probs)


def test_csv_without_text_column_and_ragged_rows(tmp_path):
    (tmp_path / "a.csv").write_text("body,title\nhello,x\n", encoding="utf-8")
    (tmp_path / "b.csv").write_text("text,title\nhello there,x,surplus\n", encoding="utf-8")
    out = [str(x) for x in read_records([tmp_path / "a.csv", tmp_path / "b.csv"])]
    assert out[0].startswith(f"{tmp_path / 'a.csv'}: CSV has no 'text' column")
    assert out[1] == f"{tmp_path / 'b.csv'}: row 1: the row has more cells than the header"


def test_a_page_with_no_article_body_keeps_the_note(tmp_path):
    from spinscope.inputs.html import NO_BODY_NOTE

    (tmp_path / "asides.html").write_text("<aside><a href='/'>Home</a></aside><aside>The elites lied.</aside>",
                                          encoding="utf-8")
    [rec] = list(read_records([tmp_path / "asides.html"]))
    assert rec.text == "Home\n\nThe elites lied.\n" and rec.metadata == {"input_note": NO_BODY_NOTE}


def test_html_is_reported_when_extraction_is_unavailable(tmp_path, monkeypatch):
    (tmp_path / "p.html").write_text("<p>Hello world</p>", encoding="utf-8")
    monkeypatch.setattr(corpus.records, "_html_tools", lambda: None)
    [p] = list(read_records([tmp_path / "p.html"]))
    assert str(p) == f"{tmp_path / 'p.html'}: HTML input is not available in this installation"


# --- add, dedup, round trip ----------------------------------------------------------------------


def test_add_stores_each_document_once_with_its_analysis(tmp_path, inputs, tiny_model, detector):
    db = tmp_path / "c.sqlite"
    err = StringIO()
    rep = add_paths(db, [inputs], model=tiny_model, stream=err)
    assert rep.added == 9 and rep.existing == 1 and len(rep.problems) == 8
    assert all(line.startswith(("spinscope: ", "ignored in folders: 1 .labels", "corpus add: 18/18 documents"))
               for line in err.getvalue().splitlines())
    rep2 = add_paths(db, [inputs, inputs / "feed.jsonl"], model=tiny_model, quiet=True, stream=StringIO())
    assert rep2.added == 0 and rep2.existing == 10 + 7
    with Store(db) as st:
        assert st.check() == []
        assert st.conn.execute("SELECT COUNT(*), COUNT(DISTINCT hash) FROM documents").fetchone() == (9, 9)
        assert st.conn.execute("SELECT COUNT(*) FROM analyses").fetchone()[0] == 9
        assert st.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        runs = st.conn.execute("SELECT command, model_version, n_documents, finished_at IS NOT NULL FROM runs").fetchall()
        assert runs == [("add", "dev", 9, 1)]  # the second add stored nothing and left no run
        # the stored analysis is exactly what analyze() gives (offsets, scores, explanations, model)
        for doc_id, text, title in st.conn.execute("SELECT id, text, title FROM documents"):
            rebuilt, doc = st.analysis(doc_id)
            direct = analyze(text, title=title, detector=detector)
            assert rebuilt.as_dict() == direct.as_dict()
            assert doc["model"] == detector.info
            for s in rebuilt.spans:
                assert text[s.start:s.end] == s.text


def test_claims_entities_and_targets_survive_the_store(tmp_path):
    text = "Senator Smith lied again. The brave Smith? No: Smith is a traitor, said Acme Corp on Monday.\n"
    a = text.index("lied")
    t = text.index("a traitor")
    analysis = Analysis(
        text=text, title="Hand made", sentences=split_sentences(text), model=dict(FAKE.info),
        spans=[Span(a, a + 4, "Loaded_Language", 0.9, "lied", "expl", 0.8, ("lied",), (), "e1"),
               Span(t, t + 9, "Name_Calling,Labeling", 0.7, "a traitor", "x", 0.6, (), (), "e1"),
               Span(0, 13, "Doubt", 0.5, "Senator Smith", "", 0.5)],
        claims=[Claim(0, 25, text[0:25], 0.77)],
        entities=[Entity("e1", "Senator Smith", "PERSON",
                         [Mention(0, 13, "Senator Smith"), Mention(text.index("Smith?"), text.index("Smith?") + 5, "Smith")],
                         None, {"Loaded_Language": 1, "Name_Calling,Labeling": 1}),
                  Entity("e2", "Acme Corp", "ORG", [Mention(text.index("Acme"), text.index("Acme") + 9, "Acme Corp")],
                         "US", {})])
    db = tmp_path / "h.sqlite"
    with Store(db) as st:
        st.write_new([(Record(text=text, origin="hand", title="Hand made", source="s1", published="2024-05-01"),
                       result_from_analysis(analysis))], "add", FAKE)
        rebuilt, doc = st.analysis(1)
        assert rebuilt.as_dict() == analysis.as_dict()
        ent = stats(st, "entity")
        assert ent["rows"][0] == {"group": "Senator Smith (PERSON)", "technique": "all", "documents": 1, "mentions": 2,
                                  "words": len(text.split()), "spans": 2,
                                  "spans_per_1k_words": round(2000 / len(text.split()), 4),
                                  "share_covered": round(13 / len(text), 6)}
        assert {r["technique"] for r in ent["rows"] if r["group"].startswith("Senator")} == {
            "all", "Loaded_Language", "Name_Calling,Labeling"}
        assert any(r["group"] == "Acme Corp (ORG)" and r["spans"] == 0 for r in ent["rows"])
        # a document whose model info carries a note of its own keeps it; the others do not get it
        noted = Analysis(text="Another text here.", model={**FAKE.info, "notes": ["entities skipped"]})
        st.write_new([(Record(text=noted.text, origin="n"), result_from_analysis(noted))], "add", FAKE)
        assert st.analysis(2)[0].model == noted.model and st.analysis(1)[0].model == FAKE.info
        # the reader's notes (e.g. not English) are kept with it, and come back as the analysis's notes
        foreign = Analysis(text="Der Text ist nicht englisch.", model=dict(FAKE.info), notes=["not English"],
                           sentences=split_sentences("Der Text ist nicht englisch."))
        st.write_new([(Record(text=foreign.text, origin="f"), result_from_analysis(foreign))], "add", FAKE)
        back = st.analysis(3)[0]
        assert back.notes == ["not English"] and back.model == FAKE.info and back.as_dict() == foreign.as_dict()
        assert st.document(3)["notes"] == ["not English"] and st.document(3)["model"] == FAKE.info
        assert st.analysis(1)[0].notes == []


def test_stages_can_be_switched_off(tmp_path, inputs, tiny_model):
    db = tmp_path / "s.sqlite"
    add_paths(db, [inputs / "sub"], model=tiny_model, quiet=True, stream=StringIO(), entities=False, claims=False)
    with Store(db) as st:
        assert st.conn.execute("SELECT COUNT(*) FROM entities").fetchone()[0] == 0
        assert st.conn.execute("SELECT COUNT(*) FROM spans WHERE target IS NOT NULL").fetchone()[0] == 0
        assert st.info()["runs"][0]["options"] == {"claims": False, "entities": False}


@pytest.fixture()
def known_store(tmp_path) -> Path:
    """Documents with hand-made spans, so every number below can be worked out by hand."""
    db = tmp_path / "k.sqlite"
    t1 = "one two three four five six seven eight nine ten"  # 10 words
    t2 = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma tau upsilon"
    t3 = "red green blue cyan magenta yellow black white grey pink"  # 10 words
    t4 = "undated words here and there five six seven eight nine"  # 10 words
    docs = [
        (Record(text=t1, origin="1", source="A", published="2024-01-05"),
         hand_result(t1, [(0, 7, "Loaded_Language"), (4, 13, "Doubt"), (14, 18, "Loaded_Language")])),
        (Record(text=t2, origin="2", source="B", published="2024-01-20"), hand_result(t2, [(0, 10, "Doubt")])),
        (Record(text=t3, origin="3", source="A", published="2024-02-01"), hand_result(t3, [])),
        (Record(text=t4, origin="4", source=None, published=None), hand_result(t4, [(0, 7, "Slogans")])),
    ]
    with Store(db) as st:
        st.write_new(docs, "add", FAKE)
    return db


def test_unpaired_surrogates_are_a_problem_not_a_crash(tmp_path):
    # JSON's "\ud800" escapes give a str that is not Unicode text: it cannot be stored or analysed
    f = tmp_path / "s.jsonl"
    f.write_text('{"text": "bad \\ud800 here"}\n{"text": "ok", "source": "\\udfff"}\n'
                 '{"text": "fine", "note": ["\\ud800"]}\n{"text": "emoji \\ud83d\\ude00 is fine"}\n'
                 '{"text": "huge", "n": 1e400}\n{"text": "nan", "n": NaN}\n', encoding="utf-8")
    items = list(read_records([f]))
    assert [r.text for r in items if not isinstance(r, Problem)] == ["emoji 😀 is fine"]
    assert [str(p) for p in items if isinstance(p, Problem)] == [
        f"{f}: line 1: field 'text' is not valid Unicode: an unpaired surrogate U+D800 at character 4",
        f"{f}: line 2: field 'source' is not valid Unicode: an unpaired surrogate U+DFFF at character 0",
        f"{f}: line 3: a field other than text, title, url and source holds an unpaired surrogate (not valid Unicode)",
        f"{f}: line 5: a field other than text, title, url and source holds NaN or an infinite number, "
        "which standard JSON cannot carry",
        f"{f}: line 6: a field other than text, title, url and source holds NaN or an infinite number, "
        "which standard JSON cannot carry",
    ]


def test_jsonl_line_too_deep_or_with_a_huge_number_is_one_problem(tmp_path):
    # json.loads raises ValueError / RecursionError for these, not JSONDecodeError: the whole add
    # stopped with a traceback, and every record after the line could never be added
    f = tmp_path / "z.jsonl"
    f.write_text('{"text": "first"}\n{"text": "x", "n": ' + "9" * 5000 + '}\n{"text": "x", "m": '
                 + "[" * 100_000 + "]" * 100_000 + '}\n{"text": "last"}\n', encoding="utf-8")
    items = list(read_records([f]))
    assert [r.text for r in items if not isinstance(r, Problem)] == ["first", "last"]
    probs = [str(p) for p in items if isinstance(p, Problem)]
    assert len(probs) == 2 and all(p.startswith(f"{f}: line ") and "invalid JSON" in p for p in probs)


def test_folders_skip_pipes_and_follow_linked_folders_once(tmp_path):
    d = tmp_path / "in"
    (d / "real").mkdir(parents=True)
    (d / "real" / "a.txt").write_text("Main text.", encoding="utf-8")
    other = tmp_path / "other"
    other.mkdir()
    (other / "x.txt").write_text("Linked text.", encoding="utf-8")
    (d / "linked").symlink_to(other, target_is_directory=True)
    (other / "loop").symlink_to(d, target_is_directory=True)  # a loop back to the top
    os.mkfifo(d / "pipe.txt")  # reading it would wait forever
    (d / ".hidden.txt").write_text("hidden", encoding="utf-8")
    files, problems, ignored = expand_paths([d])
    assert sorted(f.name for f in files) == ["a.txt", "x.txt"]
    assert [str(p) for p in problems] == [f"{d / 'pipe.txt'}: not a regular file (a pipe, socket or device); skipped"]
    assert ignored == {"(hidden)": 1}


def test_info_counts_the_documents_of_an_interrupted_run(known_store):
    # known_store's run was never finished (as after a kill -9): its count is 0 in the runs table
    with Store(known_store) as st:
        runs = st.info()["runs"]
    assert [(r["finished_at"], r["n_documents"]) for r in runs] == [(None, 4)]


def test_progress_never_shows_more_done_than_in_all():
    out = StringIO()
    prog = corpus.Progress(2, "corpus add", stream=out, every=0.0)  # the cheap count can be short
    for _ in range(3):
        prog.advance()
    assert out.getvalue().splitlines()[-1].startswith("corpus add: 3/3 documents")


@pytest.mark.parametrize("value, end, expected", [
    ("9999-12", True, "9999-12-31"), ("2024-02", True, "2024-02-29"), ("2023-12", True, "2023-12-31"),
    ("2024-02", False, "2024-02-01"), ("2024", True, "2024-12-31"),
])
def test_date_bounds(value, end, expected):
    assert queries._date_bound(value, end) == expected


@pytest.mark.parametrize("value", ["+024-12", "2024-1x", "2024-13", "0000-01", "24-12-01"])
def test_date_bounds_refuse(value):
    with pytest.raises(CorpusError, match="not a date"):
        queries._date_bound(value, False)


def test_cli_refuses_a_missing_store_for_reanalyze_and_a_huge_top(tmp_path, known_store):
    ghost = tmp_path / "ghost.sqlite"
    proc = corpus_cli("reanalyze", ghost)
    assert proc.returncode == 2 and proc.stderr.strip() == f"spinscope: {ghost}: no such corpus store"
    assert not ghost.exists()  # not created
    proc = corpus_cli("stats", known_store, "--by", "entity", "--top", "9" * 23)
    assert proc.returncode == 2 and "too large" in proc.stderr and "Traceback" not in proc.stderr


def test_table_shows_names_from_the_data_verbatim_and_harmless(tmp_path):
    # source names come from the data: a str cell was read as Rich markup ("[/x] News" raised
    # MarkupError, a traceback) and an ESC in a name reached the terminal
    db = tmp_path / "names.sqlite"
    t, u = "one two three four five", "six seven eight nine ten"
    with Store(db) as st:
        st.write_new([(Record(text=t, origin="1", source="[/x] News"), hand_result(t, [(0, 3, "Doubt")])),
                      (Record(text=u, origin="2", source="[bold]Wire\x1b[2J"), hand_result(u, [(4, 9, "Doubt")]))],
                     "add", FAKE)
    proc = corpus_cli("stats", db, "--by", "source")
    assert proc.returncode == 0, proc.stderr
    assert "[/x] News" in proc.stdout and "[bold]Wire␛[2J" in proc.stdout and "\x1b" not in proc.stdout
    proc = corpus_cli("compare", db, "--source", "[/x] News", "--source", "[bold]Wire\x1b[2J")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and "\x1b[2J" not in proc.stdout


def test_stats_counts_densities_and_groups(known_store):
    with Store(known_store) as st:
        s = stats(st)
        assert (s["documents"], s["words"]) == (4, 50)
        rows = {r["technique"]: r for r in s["rows"]}
        assert rows["all"]["spans"] == 5 and rows["all"]["spans_per_1k_words"] == 100.0
        chars = len("one two three four five six seven eight nine ten") + len("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma "
                         "tau upsilon") + len("red green blue cyan magenta yellow black white grey pink") + len(
            "undated words here and there five six seven eight nine")
        assert rows["all"]["share_covered"] == round((13 + 4 + 10 + 7) / chars, 6)  # union per document
        assert rows["Loaded_Language"] == {"group": "all", "technique": "Loaded_Language", "documents": 1, "words": 50,
                                           "spans": 2, "spans_per_1k_words": 40.0,
                                           "share_covered": round(11 / chars, 6)}
        assert rows["Doubt"]["documents"] == 2 and rows["Doubt"]["spans"] == 2
        assert [r["technique"] for r in s["rows"]][:1] == ["all"]
        by_month = stats(st, "month")
        assert [(r["group"], r["technique"], r["documents"], r["spans"]) for r in by_month["rows"]] == [
            ("2024-01", "all", 2, 4), ("2024-01", "Doubt", 2, 2), ("2024-01", "Loaded_Language", 1, 2),
            ("2024-02", "all", 1, 0), ("(none)", "all", 1, 1), ("(none)", "Slogans", 1, 1)]
        by_source = stats(st, "source", Filters(since="2024-01", until="2024-01-31"))
        assert [(r["group"], r["technique"], r["words"], r["spans_per_1k_words"]) for r in by_source["rows"]] == [
            ("A", "all", 10, 300.0), ("A", "Loaded_Language", 10, 200.0), ("A", "Doubt", 10, 100.0),
            ("B", "all", 20, 50.0), ("B", "Doubt", 20, 50.0)]
        assert stats(st, "technique", Filters(search="gamma"))["documents"] == 1
        assert stats(st, "technique", Filters(search="GAMM* delta"))["documents"] == 1
        assert stats(st, "technique", Filters(search='"; DROP TABLE documents; --'))["documents"] == 0
        assert stats(st, "technique", Filters(sources=("A",), since="2024-02"))["documents"] == 1
        with pytest.raises(CorpusError, match="not a date"):
            stats(st, "technique", Filters(since="2024-99"))


def test_two_proportion_z_test_and_holm_by_hand():
    # 30 spans in 1,000 words against 10 in 1,000: pooled p = 0.02
    z, p = corpus.two_proportion_z(30, 1000, 10, 1000)
    se = math.sqrt(0.02 * 0.98 * (2 / 1000))
    assert z == pytest.approx((0.03 - 0.01) / se) and z == pytest.approx(3.1944, abs=1e-4)
    assert p == pytest.approx(math.erfc(3.1944 / math.sqrt(2)), rel=1e-3) and p == pytest.approx(0.0014, abs=1e-4)
    assert corpus.two_proportion_z(0, 100, 0, 100) == (0.0, 1.0)
    assert corpus.holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])


def test_compare_sources(known_store):
    with Store(known_store) as st:
        c = compare(st, "A", "B")
        assert c["a"] == {"source": "A", "documents": 2, "words": 20} and c["b"]["words"] == 20
        rows = {r["technique"]: r for r in c["rows"]}
        assert rows["all"]["spans_a"] == 3 and rows["all"]["spans_b"] == 1
        assert rows["Doubt"]["per_1k_a"] == 50.0 and rows["Doubt"]["per_1k_b"] == 50.0 and rows["Doubt"]["z"] == 0
        ll = rows["Loaded_Language"]
        z, p = corpus.two_proportion_z(2, 20, 0, 20)
        assert ll["z"] == round(z, 4) and ll["p"] == pytest.approx(p, rel=1e-3) and ll["ratio"] is None
        assert ll["p_holm"] == pytest.approx(min(1, 2 * p), rel=1e-3)
        assert "two-proportion z-test" in c["test"]
        with pytest.raises(CorpusError, match="no documents from source 'Z'"):
            compare(st, "A", "Z")


# --- schema and migrations -------------------------------------------------------------------


def test_schema_version_and_migrations(tmp_path, monkeypatch):
    db = tmp_path / "m.sqlite"
    with Store(db) as st:
        assert st.conn.execute("PRAGMA user_version").fetchone()[0] == corpus.SCHEMA_VERSION == 2
        st.write_new([(Record(text="hello world", origin="x"), hand_result("hello world", [(0, 5, "Doubt")]))], "add", FAKE)
    # a failing migration changes nothing
    monkeypatch.setattr(corpus.schema, "SCHEMA_VERSION", 3)

    def broken(conn):
        conn.execute("ALTER TABLE documents ADD COLUMN lang TEXT")
        raise RuntimeError("boom")

    monkeypatch.setitem(corpus.MIGRATIONS, 3, broken)
    with pytest.raises(RuntimeError):
        Store(db)
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
    assert "lang" not in [r[1] for r in conn.execute("PRAGMA table_info(documents)")]
    conn.close()
    # a working one upgrades the store and keeps the data
    monkeypatch.setitem(corpus.MIGRATIONS, 3, lambda conn: conn.execute("ALTER TABLE documents ADD COLUMN lang TEXT"))
    with Store(db) as st:
        assert st.conn.execute("PRAGMA user_version").fetchone()[0] == 3
        assert st.conn.execute("SELECT text, lang FROM documents").fetchall() == [("hello world", None)]
    monkeypatch.setattr(corpus.schema, "SCHEMA_VERSION", 2)
    with pytest.raises(CorpusError, match="schema version 3, newer than this spinscope knows"):
        Store(db)


def test_a_version_1_store_is_migrated_and_keeps_its_spans(tmp_path):
    db = tmp_path / "v1.sqlite"
    conn = sqlite3.connect(db, isolation_level=None)
    corpus.migrate(conn, target=1)  # what spinscope 0.8 created
    conn.execute("PRAGMA user_version = 1")
    conn.close()
    with Store(db) as st:  # opening migrates; the next writes carry technique_score
        assert st.conn.execute("PRAGMA user_version").fetchone()[0] == 2
        st.write_new([(Record(text="hello world", origin="x"), hand_result("hello world", [(0, 5, "Doubt")]))], "add", FAKE)
        st.conn.execute("UPDATE spans SET technique_score = NULL")  # as a row written before the migration reads
        [span] = st.analysis(1)[0].spans
        assert (span.technique, span.score, span.technique_score) == ("Doubt", 0.9, 0.0)


def test_foreign_files_are_refused(tmp_path):
    other = tmp_path / "other.db"
    c = sqlite3.connect(other)
    c.execute("CREATE TABLE x (a)")
    c.commit()
    c.close()
    with pytest.raises(CorpusError, match="not a spinscope corpus store"):
        Store(other)
    (tmp_path / "text.db").write_text("hello, not a database " * 100, encoding="utf-8")
    with pytest.raises(CorpusError, match="not a usable corpus store"):
        Store(tmp_path / "text.db")
    with pytest.raises(CorpusError, match="no such corpus store"):
        Store(tmp_path / "none.db", create=False)


# --- reanalyze, workers ------------------------------------------------------------------------


def newer_model(tiny_model: Path, tmp_path: Path) -> Path:
    """The tiny model under a new version number (same weights: the numbers stay, the runs change)."""
    import shutil

    new = tmp_path / "newer"
    shutil.copytree(tiny_model, new)
    cfg = json.loads((new / "config.json").read_text(encoding="utf-8"))
    cfg["version"] = "0.2.0"
    (new / "config.json").write_text(json.dumps(cfg), encoding="utf-8")
    return new


@pytest.mark.slow
def test_reanalyze_is_explicit_and_keeps_history(tmp_path, inputs, tiny_model):
    db = tmp_path / "r.sqlite"
    add_paths(db, [inputs], model=tiny_model, quiet=True, stream=StringIO())
    with Store(db) as st:
        before = stats(st)
    new = newer_model(tiny_model, tmp_path)
    # adding with the new model does not touch stored documents
    rep = add_paths(db, [inputs], model=new, quiet=True, stream=StringIO())
    assert rep.added == 0
    rep = corpus.reanalyze(db, model=new, workers=2, quiet=True, stream=StringIO())
    assert (rep.added, rep.existing, rep.problems) == (9, 0, [])
    assert corpus.reanalyze(db, model=new, quiet=True, stream=StringIO()).added == 0  # nothing left to do
    with Store(db) as st:
        assert st.check() == []
        info = st.info()
        assert [(m["version"], m["documents"]) for m in info["models"]] == [("0.2.0", 9)]
        assert [(r["command"], r["model_version"], r["n_documents"]) for r in info["runs"]] == [
            ("add", "dev", 9), ("reanalyze", "0.2.0", 9)]
        assert st.conn.execute("SELECT COUNT(*) FROM analyses").fetchone()[0] == 18  # the old ones are kept
        assert stats(st)["rows"] == before["rows"]  # same weights, same numbers
        assert st.analysis(1)[0].model["version"] == "0.2.0"


def test_a_new_claims_model_makes_stored_analyses_stale(tmp_path, inputs, tiny_model, monkeypatch):
    import shutil

    import spinscope.claims

    db = tmp_path / "c.sqlite"
    add_paths(db, [inputs], model=tiny_model, quiet=True, stream=StringIO(), claims=False)
    assert corpus.reanalyze(db, model=tiny_model, quiet=True, stream=StringIO(), claims=False).added == 0
    claims_dir = tmp_path / "claims-model"
    claims_dir.mkdir()
    cfg = json.loads((spinscope.claims.MODEL_DIR / "claims.json").read_text(encoding="utf-8"))
    shutil.copy(spinscope.claims.MODEL_DIR / cfg["head"], claims_dir / cfg["head"])
    cfg["version"] = "9.9.9"
    (claims_dir / "claims.json").write_text(json.dumps(cfg), encoding="utf-8")
    monkeypatch.setattr(spinscope.claims, "MODEL_DIR", claims_dir)
    rep = corpus.reanalyze(db, model=tiny_model, quiet=True, stream=StringIO(), claims=False)
    assert (rep.added, rep.existing) == (9, 0)


@pytest.mark.slow
def test_workers_give_the_same_store(tmp_path, inputs, tiny_model):
    def dump(db):
        with Store(db) as st:
            return st.conn.execute(
                "SELECT d.hash, s.start_char, s.end_char, s.technique, s.score, s.explanation FROM spans s"
                " JOIN documents d ON d.analysis_id = s.analysis_id ORDER BY 1, 2, 3, 4").fetchall()

    add_paths(tmp_path / "one.sqlite", [inputs], model=tiny_model, quiet=True, stream=StringIO())
    rep = add_paths(tmp_path / "two.sqlite", [inputs], model=tiny_model, workers=2, quiet=True, stream=StringIO())
    assert rep.added == 9
    assert dump(tmp_path / "one.sqlite") == dump(tmp_path / "two.sqlite") != []


def test_a_missing_model_is_one_line(tmp_path, inputs):
    for workers in ("1", "2"):
        proc = corpus_cli("add", tmp_path / "x.sqlite", inputs, "--model", tmp_path / "nomodel", "--workers", workers)
        assert proc.returncode == 2
        assert proc.stderr.strip().splitlines()[-1].startswith("spinscope: no model in")
        assert "Traceback" not in proc.stderr


# --- kill -9 and resume ------------------------------------------------------------------------


def _count(db: Path) -> int:
    try:
        c = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return c.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
        finally:
            c.close()
    except sqlite3.Error:
        return 0


def _children(pid: int) -> list[int]:
    out = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                stat = (p / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(p.name))
    return out


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


FAST = ("--no-entities", "--no-claims")  # the kill test is about the store, not about these stages


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc (Linux) to watch the processes")
def test_kill_9_and_resume(tmp_path, tiny_model):
    folder = tmp_path / "docs"
    folder.mkdir()
    texts = [text_of(i, 300, seed=1) for i in range(200)]
    for i, t in enumerate(texts):
        (folder / f"doc{i:03d}.txt").write_text(t, encoding="utf-8")
    db = tmp_path / "kill.sqlite"
    log = []
    for kill_at, workers in ((10, "1"), (60, "2"), (120, "1"), (170, "1")):
        proc = subprocess.Popen([sys.executable, "-m", "spinscope", "corpus", "add", str(db), str(folder), "--model",
                                 str(tiny_model), "-q", "--batch", "4", "--workers", workers, *FAST],
                                cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 300
        while proc.poll() is None and _count(db) < kill_at and time.monotonic() < deadline:
            time.sleep(0.005)
        kids = _children(proc.pid)
        killed = proc.poll() is None
        if killed:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        n = _count(db)
        log.append((kill_at, workers, killed, n))
        if killed:  # the workers go with their parent
            t = time.monotonic()
            while any(_alive(k) for k in kids) and time.monotonic() - t < 10:
                time.sleep(0.05)
            assert not any(_alive(k) for k in kids), f"workers left behind after kill -9: {kids}"
        with Store(db) as st:
            assert st.check() == [], log  # nothing half-written
            assert st.conn.execute("SELECT COUNT(*) FROM analyses").fetchone()[0] == n
    print("kill points (target, workers, killed, stored):", log)
    assert sum(k for _, _, k, n in log if n < 200) >= 2, f"too few kills landed mid-run: {log}"
    proc = corpus_cli("add", db, folder, "--model", tiny_model, "-q", *FAST)
    assert proc.returncode == 0, proc.stderr
    ref = tmp_path / "ref.sqlite"
    assert corpus_cli("add", ref, folder, "--model", tiny_model, "-q", *FAST).returncode == 0
    with Store(db) as st, Store(ref) as rs:
        assert st.check() == []
        assert sorted(r[0] for r in st.conn.execute("SELECT hash FROM documents")) == sorted(map(text_hash, texts))
        assert st.conn.execute("SELECT COUNT(*) FROM analyses").fetchone()[0] == 200
        q = ("SELECT d.hash, s.start_char, s.end_char, s.technique, s.score FROM spans s JOIN documents d"
             " ON d.analysis_id = s.analysis_id ORDER BY 1, 2, 3, 4")
        assert st.conn.execute(q).fetchall() == rs.conn.execute(q).fetchall()
        assert st.conn.execute("SELECT COUNT(*) FROM documents_fts WHERE documents_fts MATCH 'report'").fetchone()[0] == 200


# --- command line --------------------------------------------------------------------------------


def test_cli_add_stats_compare_info(tmp_path, inputs, tiny_model):
    db = tmp_path / "cli.sqlite"
    proc = corpus_cli("add", db, inputs, "--model", tiny_model, "--source", "feed")
    assert proc.returncode == 2  # some inputs were bad (reported), the others stored
    lines = proc.stderr.splitlines()
    assert sum(1 for x in lines if x.startswith("spinscope: ")) == 8
    assert lines[-1].startswith("added 9 documents, 1 already there, 8 skipped (see above)")
    assert any(x.startswith("corpus add: 18/18 documents") for x in lines)  # plain progress lines, not a TTY
    assert "Traceback" not in proc.stderr
    proc = corpus_cli("stats", db, "--by", "source", "--format", "json")
    assert proc.returncode == 0
    doc = json.loads(proc.stdout)
    assert doc["documents"] == 9 and {r["group"] for r in doc["rows"]} == {"alpha", "beta", "gamma", "feed"}
    proc = corpus_cli("stats", db, "--by", "month", "--format", "csv", "--source", "alpha", "--source", "beta")
    rows = list(csv.DictReader(StringIO(proc.stdout)))
    assert {r["group"] for r in rows} == {"2024-01", "2024-02", "2024-03"}
    assert set(rows[0]) == {"group", "technique", "documents", "words", "spans", "spans_per_1k_words", "share_covered"}
    proc = corpus_cli("stats", db, "--search", "Report 3*")
    assert proc.returncode == 0 and "Technique" in proc.stdout
    proc = corpus_cli("compare", db, "--source", "alpha", "--source", "beta", "--format", "json")
    assert proc.returncode == 0 and json.loads(proc.stdout)["a"]["documents"] == 3
    proc = corpus_cli("compare", db, "--source", "alpha", "--source", "beta")
    assert "two-proportion z-test" in proc.stdout and "p (Holm)" in proc.stdout
    proc = corpus_cli("info", db, "--check")
    assert proc.returncode == 0 and "check: ok" in proc.stdout
    for args, msg in [
        (("stats", tmp_path / "none.sqlite"), "no such corpus store"),
        (("stats", db, "--since", "yesterday"), "not a date: 'yesterday'"),
        (("compare", db, "--source", "alpha"), "compare needs two different sources"),
        (("compare", db, "--source", "alpha", "--source", "nope"), "no documents from source 'nope'"),
        (("import", db, tmp_path / "nothing"), "no such folder"),
        (("add", inputs / "feed.jsonl", inputs / "sub", "--model", tiny_model), "not a usable corpus store"),
    ]:
        proc = corpus_cli(*args)
        assert proc.returncode == 2, (args, proc.stderr)
        assert proc.stderr.strip().splitlines()[-1].startswith("spinscope: ") and msg in proc.stderr, proc.stderr
        assert "Traceback" not in proc.stderr


def test_ray_engine_without_ray_is_one_line(tmp_path, inputs, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(CorpusError, match=r"the ray engine needs Ray: pip install 'spinscope\[ray\]'"):
        corpus.run_to_parquet([inputs], tmp_path / "out", engine="ray")


def test_progress_lines_when_not_a_terminal():
    out = StringIO()
    p = corpus.Progress(10, "corpus add", stream=out, every=0.0)
    p.advance(4)
    p.problem("x.txt: bad")
    p.close()
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("corpus add: 4/10 documents, ") and "docs/s, ETA 0:00:0" in lines[0]
    assert lines[1] == "spinscope: x.txt: bad"
    quiet = StringIO()
    q = corpus.Progress(10, "x", stream=quiet, quiet=True, every=0.0)
    q.advance(3)
    q.problem("still shown")
    q.close()
    assert quiet.getvalue() == "spinscope: still shown\n"


def test_parser_wires_into_a_cli():
    import argparse

    parser = argparse.ArgumentParser(prog="spinscope")
    sub = parser.add_subparsers(dest="command")
    cli_corpus.add_parser(sub)
    args = parser.parse_args(["corpus", "add", "db.sqlite", "a", "b", "--workers", "2", "--source", "S"])
    assert (args.command, args.corpus_command, args.db, args.paths, args.workers, args.source) == (
        "corpus", "add", "db.sqlite", ["a", "b"], 2, "S")
    args = parser.parse_args(["corpus", "run", "--engine", "ray", "--address", "ray://h:10001", "in", "--out", "o"])
    assert (args.engine, args.address, args.paths) == ("ray", "ray://h:10001", ["in"])


# --- Parquet: run --engine local and import ------------------------------------------------------


@pytest.mark.slow
def test_run_local_then_import_equals_add(tmp_path, inputs, tiny_model):
    pytest.importorskip("pyarrow", reason="pyarrow is part of the 'ray' extra")
    import pyarrow.parquet as pq

    out = tmp_path / "out"
    rep = corpus.run_to_parquet([inputs], out, model=tiny_model, workers=2, quiet=True, stream=StringIO())
    assert rep.added == 9 and len(rep.problems) == 8
    table = pq.read_table(out)  # the folder reads as one dataset (the manifest starts with "_")
    assert table.num_rows == 9 and table.column_names == list(corpus.PARQUET_COLUMNS)
    manifest = json.loads((out / "_manifest.json").read_text(encoding="utf-8"))
    assert manifest["engine"] == "local" and manifest["rows"] == 9
    with pytest.raises(CorpusError, match="already holds part"):
        corpus.run_to_parquet([inputs], out, model=tiny_model, quiet=True, stream=StringIO())
    rep = corpus.import_parquet(tmp_path / "imp.sqlite", out, quiet=True, stream=StringIO())
    assert (rep.added, rep.existing) == (9, 0)
    assert corpus.import_parquet(tmp_path / "imp.sqlite", out, quiet=True, stream=StringIO()).added == 0
    add_paths(tmp_path / "add.sqlite", [inputs], model=tiny_model, quiet=True, stream=StringIO())
    q = ("SELECT d.hash, d.title, d.source, d.published, d.metadata, s.start_char, s.end_char, s.technique, s.score,"
         " s.explanation FROM documents d LEFT JOIN spans s ON s.analysis_id = d.analysis_id ORDER BY 1, 6, 7, 8")
    with Store(tmp_path / "imp.sqlite") as a, Store(tmp_path / "add.sqlite") as b:
        assert a.check() == []
        assert a.conn.execute(q).fetchall() == b.conn.execute(q).fetchall()
        assert [r["command"] for r in a.info()["runs"]] == ["import"]
        notes = {h: a.analysis(i)[0].notes for i, h in a.conn.execute("SELECT id, hash FROM documents")}
        assert notes == {h: b.analysis(i)[0].notes for i, h in b.conn.execute("SELECT id, hash FROM documents")}
        assert any(notes.values())  # the fixture's word salad does not look like English: the notes came through


# --- dashboard ---------------------------------------------------------------------------------

def _testclient():
    """FastAPI and its TestClient (which needs httpx2, or httpx for older Starlette), else skip."""
    fastapi = pytest.importorskip("fastapi")
    try:
        import httpx2  # noqa: F401 - only whether it is there
    except ImportError:
        pytest.importorskip("httpx", reason="FastAPI's TestClient needs httpx2 (pip install httpx2)")
    from fastapi.testclient import TestClient

    return fastapi.FastAPI, TestClient




@pytest.fixture()
def dash_db(tmp_path, known_store) -> Path:
    with Store(known_store) as st:
        text = "The <b>corrupt</b> council </textarea><script>alert(2)</script> lied.\n"
        st.write_new([(Record(text=text, origin="evil", title=HOSTILE_TITLE, source="<i>evil</i>",
                              published="2024-03-01"), hand_result(text, [(4, 18, "Loaded_Language")]))], "add", FAKE)
    return known_store


def test_router_pages(dash_db):
    FastAPI, TestClient = _testclient()

    app = FastAPI()
    app.include_router(dashboard.corpus_router(dash_db), prefix="/corpus")
    client = TestClient(app)
    r = client.get("/corpus/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in r.headers["content-security-policy"]
    body = r.text
    assert '<svg id="over-time"' in body and '<svg id="by-source"' in body
    assert "2024-01" in body and "2024-03" in body and 'data-group="A"' in body
    assert "<script" not in body.replace("&lt;script", "")  # the dashboard has no script, and escapes everything
    assert "http://" not in body.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in body
    # the list, its filters and links
    r = client.get("/corpus/articles")
    assert r.status_code == 200 and 'id="count">5 documents' in r.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;" in r.text and "<script>" not in r.text
    assert client.get("/corpus/articles", params={"source": "A"}).text.count('<tr data-id=') == 2
    assert client.get("/corpus/articles", params={"since": "2024-01-10", "until": "2024-02"}).text.count('<tr data-id=') == 2
    assert client.get("/corpus/articles", params={"q": "gamma"}).text.count('<tr data-id=') == 1
    assert client.get("/corpus/articles", params={"technique": "Doubt"}).text.count('<tr data-id=') == 2
    assert client.get("/corpus/articles", params={"since": "nonsense"}).status_code == 422  # the schema says YYYY[-MM[-DD]]
    assert 'href="/corpus/articles/5"' in r.text
    # one article opens its report, rebuilt from the store
    r = client.get("/corpus/articles/5")
    assert r.status_code == 200 and "spinscope report" in r.text and "frame-ancestors 'self'" in r.headers[
        "content-security-policy"]
    assert "&lt;b&gt;corrupt&lt;/b&gt;" in r.text and "<script>alert(2)" not in r.text
    assert client.get("/corpus/articles/999").status_code == 404
    # two articles side by side
    r = client.get("/corpus/compare", params={"a": 1, "b": 2})
    assert r.status_code == 200 and r.text.count('<iframe sandbox="allow-scripts"') == 2
    assert 'src="/corpus/articles/1"' in r.text and 'src="/corpus/articles/2"' in r.text
    assert client.get("/corpus/compare", params={"a": 1}).status_code == 422
    assert client.get("/corpus/compare", params={"a": 1, "b": 99}).status_code == 404
    # JSON
    s = client.get("/corpus/api/stats", params={"by": "month"}).json()
    assert s["by"] == "month" and s["documents"] == 5
    assert client.get("/corpus/api/stats", params={"by": "nope"}).status_code == 422
    c = client.get("/corpus/api/compare", params={"a": "A", "b": "B"}).json()
    assert c["a"]["documents"] == 2


def test_router_mounted_in_a_sub_app_builds_its_links(dash_db):
    FastAPI, TestClient = _testclient()

    sub = FastAPI()
    sub.include_router(dashboard.corpus_router(dash_db))
    app = FastAPI()
    app.mount("/c", sub)
    client = TestClient(app)
    r = client.get("/c/articles")
    assert r.status_code == 200 and 'href="/c/articles/1"' in r.text and 'action="/c/compare"' in r.text
    assert client.get("/c/articles/1").status_code == 200


def test_router_answers_huge_ids_and_a_lost_store_clearly(dash_db, tmp_path):
    FastAPI, TestClient = _testclient()
    import shutil

    db = tmp_path / "copy.sqlite"
    shutil.copy(dash_db, db)
    app = FastAPI()
    app.include_router(dashboard.corpus_router(db), prefix="/corpus")
    client = TestClient(app, raise_server_exceptions=False)
    # SQLite's integers are 64-bit: these were OverflowErrors (500)
    assert client.get("/corpus/articles/9223372036854775808").status_code == 404
    assert client.get("/corpus/compare", params={"a": 10**23, "b": 1}).status_code == 404
    assert client.get("/corpus/articles", params={"page": 9223372036854775807}).status_code == 422
    assert client.get("/corpus/articles", params={"page": 2}).status_code == 200  # past the end: an empty page
    db.unlink()  # the store goes away under a running server
    for path in ("/corpus/articles/1", "/corpus/compare?a=1&b=2", "/corpus/articles", "/corpus/"):
        r = client.get(path)
        assert r.status_code == 400 and "no such corpus store" in r.text, (path, r.status_code)


def test_router_needs_an_existing_store(tmp_path):
    with pytest.raises(CorpusError, match="no such corpus store"):
        dashboard.corpus_router(tmp_path / "none.sqlite")


def test_svg_charts_escape_and_scale():
    svg = charts.line_chart_svg({"Doubt": {"2024-01": 1.0, "2024-03": 4.0}, "<x>": {"2024-02": 2.0}},
                                ["2024-01", "2024-02", "2024-03"], title="t <&>")
    assert svg.startswith("<svg") and "t &lt;&amp;&gt;" in svg and "<x>" not in svg
    assert svg.count("<polyline") == 2
    bars = charts.stacked_bars_svg([("S<1>", [("Doubt", 2.0), ("Slogans", 1.0)]), ("S2", [("Doubt", 3.0)])], title="b")
    assert bars.count("<rect") == 3 and "S&lt;1&gt;" in bars
    assert charts.line_chart_svg({}, [], title="x").startswith("<p")


def test_adding_stored_documents_under_another_source_says_so(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("The corrupt council betrayed the town once again.\n", encoding="utf-8")
    db = tmp_path / "s.sqlite"
    assert corpus_cli("add", str(db), str(folder), "--source", "first", "--no-entities").returncode == 0
    r = corpus_cli("add", str(db), str(folder), "--source", "second", "--no-entities")
    assert r.returncode == 0 and "1 document was already in the store and kept its first source" in r.stderr
    with Store(db) as st:
        assert [x[0] for x in st.conn.execute("SELECT source FROM documents")] == ["first"]
