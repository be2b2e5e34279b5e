"""PTC label, prediction and span files, and the commands that read them, on bad input: one clear
line and exit 2, never a traceback or a silently wrong score."""

from __future__ import annotations

import shutil

import pytest

from conftest import run_cli
from spinscope.training import ptc
from spinscope.document import InputError, split_sentences


def _write(path, data: bytes):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_label_rows_decode_strictly_and_name_the_file(tmp_path):
    f = _write(tmp_path / "a.labels", "1\tDoub\xe9\t0\t10\n".encode("latin-1"))
    with pytest.raises(InputError, match=r"a.labels: not UTF-8 text \(invalid byte 0xe9"):
        ptc.read_tc_file(f)
    f = _write(tmp_path / "b.labels", b"\x00\x01\x02")
    with pytest.raises(InputError, match="binary"):
        ptc.read_tc_file(f)


def test_label_rows_bom_crlf_and_only_line_feeds_end_rows(tmp_path):
    f = _write(tmp_path / "a.labels", b"\xef\xbb\xbf1\tDoubt\t0\t10\r\n2\tSlogans\t3\t7\r\n")
    assert ptc.read_tc_file(f) == [("1", "Doubt", 0, 10), ("2", "Slogans", 3, 7)]  # the BOM was part of the id
    f = _write(tmp_path / "b.labels", b"1\tDoubt\t0\t10\x0c1\tDoubt\t0\t5\n")
    with pytest.raises(InputError, match=r"b.labels:1: expected id<TAB>technique<TAB>start<TAB>end"):
        ptc.read_tc_file(f)  # a form feed is not a row end (str.splitlines made two rows of it)


@pytest.mark.parametrize("row", ["1\tDoubt\t-5\t3", "1\tDoubt\t 1\t3", "1\tDoubt\t1_0\t30", "1\tDoubt\t+1\t3",
                                 "1\tDoubt\t١\t3", "\tDoubt\t1\t3", "1\t\t1\t3"])
def test_label_rows_take_plain_offsets_and_ids(tmp_path, row):
    f = _write(tmp_path / "a.labels", (row + "\n").encode())
    with pytest.raises(InputError, match="a.labels:1: expected"):
        ptc.read_tc_file(f)


def test_a_labels_folder_without_labels_is_an_error(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match=r"empty: no \*.labels files in this folder"):
        ptc.load_tc_labels(tmp_path / "empty")


def test_eval_and_classify_give_one_line_for_bad_files(tmp_path, ptc_dir):
    pred = _write(tmp_path / "p.tsv", "1\tDoub\xe9\t0\t10\n".encode("latin-1"))
    proc = run_cli("eval", "--labels", ptc_dir / "labels-tc", "--predictions", pred, "--task", "full")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr.decode()
    assert proc.stderr.decode().strip() == f"spinscope: {pred}: not UTF-8 text (invalid byte 0xe9 at byte 6); " \
                                           "convert it to UTF-8 first, e.g. with iconv"
    proc = run_cli("classify", ptc_dir / "articles", pred)
    assert proc.returncode == 2 and "not UTF-8" in proc.stderr.decode()
    (tmp_path / "nolabels").mkdir()
    proc = run_cli("eval", "--labels", tmp_path / "nolabels", "--predictions", pred, "--task", "si")
    assert proc.returncode == 2 and "no *.labels files" in proc.stderr.decode()


def test_classify_refuses_an_unwritable_output_before_running(tmp_path, ptc_dir, tiny_model):
    aid = ptc.article_id(sorted((ptc_dir / "articles").glob("*.txt"))[0])
    spans = _write(tmp_path / "s.tsv", f"{aid}\t?\t0\t5\n".encode())
    proc = run_cli("classify", ptc_dir / "articles", spans, "-o", tmp_path / "no" / "such" / "x.tsv",
                   "--model", tiny_model)
    assert proc.returncode == 2 and "cannot write" in proc.stderr.decode() and "Traceback" not in proc.stderr.decode()


def test_eval_refuses_gold_that_does_not_fit_the_articles(tmp_path, ptc_dir, tiny_model):
    arts = tmp_path / "arts"
    shutil.copytree(ptc_dir / "articles", arts)
    first = sorted(arts.glob("*.txt"))[0]
    first.unlink()  # its labels now name a missing article: those gold spans were dropped silently
    proc = run_cli("eval", "--articles", arts, "--labels", ptc_dir / "labels-tc", "--model", tiny_model)
    assert proc.returncode == 2 and f"labels for article id(s) {ptc.article_id(first)}" in proc.stderr.decode()
    labels = _write(tmp_path / "lab" / "x.labels", f"{ptc.article_id(sorted(arts.glob('*.txt'))[0])}\tDoubt\t0\t999999\n".encode())
    proc = run_cli("eval", "--articles", arts, "--labels", labels.parent, "--model", tiny_model)
    assert proc.returncode == 2 and "gold span 0-999999 is outside article" in proc.stderr.decode()


@pytest.mark.parametrize("args, message", [
    (["--batch-size", "0"], "--batch-size must be at least 1, not 0"),
    (["--threads", "0"], "--threads must be at least 1, not 0"),
    (["--limit", "-1"], "--limit and --max-steps take 0 (no limit) or a positive number, not -1"),
    (["--dev-fraction", "1.5"], "--dev-fraction is a share of the articles: 0 up to below 1, not 1.5"),
])
def test_train_checks_its_arguments(tmp_path, ptc_dir, args, message):
    pytest.importorskip("torch")
    proc = run_cli("train", "techniques", "--data", ptc_dir, "--out", tmp_path / "o", "--tiny", *args)
    assert proc.returncode == 2 and proc.stderr.decode().strip() == f"spinscope train: {message}"
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
def test_train_refuses_bad_data_with_one_line(tmp_path, ptc_dir):
    pytest.importorskip("torch")
    proc = run_cli("train", "techniques", "--data", tmp_path / "none", "--out", tmp_path / "o", "--tiny")
    assert proc.returncode == 2 and "not a PTC folder (it has no articles/ folder)" in proc.stderr.decode()
    assert not (tmp_path / "o").exists()  # nothing is made before the data is checked
    bad = tmp_path / "bad"
    shutil.copytree(ptc_dir, bad)
    label = sorted((bad / "labels-tc").glob("*.labels"))[0]
    aid = label.read_text(encoding="utf-8").split("\t", 1)[0]
    label.write_text(label.read_text(encoding="utf-8") + f"{aid}\tNot_A_Technique\t0\t3\n", encoding="utf-8")
    proc = run_cli("train", "techniques", "--data", bad, "--out", tmp_path / "o", "--tiny")
    assert proc.returncode == 2 and "unknown technique 'Not_A_Technique'" in proc.stderr.decode()
    (tmp_path / "afile").write_text("x")
    proc = run_cli("train", "techniques", "--data", ptc_dir, "--out", tmp_path / "afile", "--tiny", "--max-steps", "1")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr.decode() and "afile" in proc.stderr.decode()
    for args, msg in ((["--folds", "1"], "--folds must be between 2 and the number of articles"),
                      (["--folds", "3", "--only", "7"], "--only takes fold numbers 0 to 2, not 7")):
        proc = run_cli("train", "cv", "--data", ptc_dir, "--out", tmp_path / "cv", "--tiny", *args)
        assert proc.returncode == 2 and msg in proc.stderr.decode(), proc.stderr.decode()


def test_sentences_after_a_long_run_of_end_marks():
    # the end-mark pattern was retried from every position of a run (quadratic: 40,000 dots, 40 s)
    text = "Breaking news" + "." * 50_000 + " Then it Ended!!! " + "?" * 30_000 + "x. Done"
    sents = split_sentences(text)
    assert [(s.text[:12], s.text[-3:]) for s in sents] == [("Breaking new", "..."), ("Then it Ende", "?x."),
                                                            ("Done", "one")]
    assert all(text[s.start : s.end] == s.text for s in sents)


def test_two_articles_with_one_id_are_refused(tmp_path):
    _write(tmp_path / "article7.txt", b"one")
    _write(tmp_path / "article7 (copy).txt", b"two")
    with pytest.raises(InputError, match=r"article7 \(copy\).txt and article7.txt have the same article id 7"):
        ptc.load_articles(tmp_path)


def test_analyze_many_as_tuples_takes_pairs_only():
    import spinscope

    with pytest.raises(TypeError, match=r"takes \(text, context\) pairs, not str"):
        list(spinscope.analyze_many(["ab", "cd"], as_tuples=True, claims=False, entities=False))
