"""The span classifier on a tiny model: the real ``spinscope train classifier``, its input, and its use at run time."""

import json
import shutil

import numpy as np
import pytest

from conftest import ARTICLES, run_cli

pytest.importorskip("torch")


@pytest.fixture(scope="module")
def with_classifier(tiny_model, ptc_dir, tmp_path_factory):
    """The tiny technique model with a tiny span classifier installed by ``--into``."""
    base = tmp_path_factory.mktemp("clf")
    model = base / "model"
    shutil.copytree(tiny_model, model)
    run_cli("train", "classifier", "--data", ptc_dir, "--out", base / "run", "--tiny", "--epochs", "2",
            "--batch-size", "4", "--threads", "1", "--into", model, check=True)
    return base


def test_span_input_is_its_sentence_with_the_span_marked():
    from spinscope.detect.span_input import SIDE_TOKENS, span_input

    ids = np.arange(1000, 1100)
    starts = np.zeros(100, bool)
    starts[[0, 40, 60]] = True  # sentences [0, 40), [40, 60), [60, 100)
    x, t = span_input(ids, starts, 45, 50, 101, 102)
    assert list(x) == [101, *range(1040, 1060), 102]
    assert list(np.flatnonzero(t)) == list(range(6, 11))  # the span's tokens, 1045-1049
    x, _ = span_input(ids, starts, 62, 64, 101, 102)  # the sentence is cut to SIDE_TOKENS each side
    assert list(x[1:-1]) == list(range(1060, 1064 + SIDE_TOKENS))


def test_span_input_as_a_pair_is_span_then_its_sentence():
    from spinscope.detect.span_input import SIDE_TOKENS, span_input

    ids = np.arange(1000, 1100)
    starts = np.zeros(100, bool)
    starts[[0, 40, 60]] = True
    x, t = span_input(ids, starts, 45, 50, 101, 102, marked=False)
    assert list(x[:7]) == [101, *range(1045, 1050), 102]
    assert list(x[7:]) == list(range(1040, 1060)) + [102]  # the sentence alone, span inside
    assert list(t) == [0] * 7 + [1] * 21
    x, _ = span_input(ids, starts, 62, 64, 101, 102, marked=False)
    assert list(x[4:-1]) == list(range(1060, 1064 + SIDE_TOKENS))


def test_long_spans_keep_their_first_and_last_tokens():
    from spinscope.detect.span_input import SPAN_TOKENS, span_input

    ids = np.arange(1000, 1200)
    x, t = span_input(ids, np.zeros(200, bool), 10, 150, 101, 102)
    span = list(x[t == 1])
    assert span[0] == 1010 and span[-1] == 1149 and len(span) == SPAN_TOKENS


def test_trained_classifier_files_log_and_fold_score(with_classifier):
    cfg = json.loads((with_classifier / "model" / "classifier" / "config.json").read_text())
    assert cfg["labels"][0] == "Appeal_to_Authority" and set(cfg["sha256"]) == {cfg["onnx"]}
    assert cfg["input"] == "marked" and len(cfg["tokenizer_sha256"]) == 64
    log = [json.loads(line) for line in (with_classifier / "run" / "train.log.jsonl").read_text().splitlines()]
    assert log[0]["event"] == "start" and log[-1]["event"] == "done"
    assert not (with_classifier / "run" / "checkpoint.pt").exists()


def test_out_of_fold_run_scores_its_test_fold(ptc_dir, tmp_path):
    proc = run_cli("train", "classifier", "--data", ptc_dir, "--out", tmp_path / "f", "--tiny", "--epochs", "1",
                   "--batch-size", "4", "--threads", "1", "--folds", "2", "--fold", "1", check=True)
    res = json.loads((tmp_path / "f" / "result.json").read_text())
    assert res["tc"]["n_gold"] > 0 and 0.0 <= res["tc"]["f1"] <= 1.0
    assert b"TC F1 on fold 1" in proc.stderr
    oof = np.load(tmp_path / "f" / "oof.npz")
    assert oof["probs"].shape[1] == 14 and np.allclose(oof["probs"].sum(1), 1.0, atol=1e-4)


def test_detector_uses_the_classifier_and_keeps_offsets(tiny_model, with_classifier):
    from spinscope.detect import Detector

    text = ARTICLES["900000001"][0]
    plain, clf = Detector(tiny_model), Detector(with_classifier / "model")
    assert clf.classifier is not None and plain.classifier is None
    rows = [(0, 25), (30, 60), (100, 140)]
    p0, p1 = plain.classify(text, rows), clf.classify(text, rows)
    assert all(np.isclose(p.sum(), 1.0, atol=1e-4) for p in p1)
    assert not all(np.allclose(a, b) for a, b in zip(p0, p1))  # the classifier's probabilities, not the head's
    a = plain.detect(text, threshold=0.0)
    b = clf.detect(text, threshold=0.0)
    assert [(s.start, s.end) for s in a] == [(s.start, s.end) for s in b]  # same spans, only labels may move
    assert all(text[s.start : s.end] == s.text for s in b)
    alone = clf.classify(text, [rows[1]])[0]  # a span's label does not depend on the spans beside it
    assert np.array_equal(alone, p1[1])
    sib = clf.with_threads(2)
    assert [(s.start, s.end, s.technique) for s in sib.detect(text, threshold=0.0)] == [
        (s.start, s.end, s.technique) for s in b]


def test_a_damaged_classifier_is_refused(with_classifier, tmp_path):
    from spinscope.detect import Detector, ModelError

    bad = tmp_path / "bad"
    shutil.copytree(with_classifier / "model", bad)
    cfg = json.loads((bad / "classifier" / "config.json").read_text())
    with open(bad / "classifier" / cfg["onnx"], "ab") as f:
        f.write(b"x")
    with pytest.raises(ModelError, match="checksum"):
        Detector(bad)
    proc = run_cli("analyze", "--model", bad, "-", input=b"Some text.")
    assert proc.returncode == 2 and b"checksum" in proc.stderr and b"Traceback" not in proc.stderr


def test_a_classifier_of_another_tokenizer_is_refused(with_classifier, tmp_path):
    from spinscope.detect import Detector, ModelError

    bad = tmp_path / "bad"
    shutil.copytree(with_classifier / "model", bad)
    cfg = json.loads((bad / "classifier" / "config.json").read_text())
    cfg["tokenizer_sha256"] = "0" * 64
    (bad / "classifier" / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(ModelError, match="another tokenizer"):
        Detector(bad)


def test_bad_classifier_arguments_are_one_line(ptc_dir, tmp_path):
    proc = run_cli("train", "classifier", "--data", ptc_dir, "--out", tmp_path / "x", "--tiny", "--into", tmp_path)
    assert proc.returncode == 2 and b"not a technique model folder" in proc.stderr and b"Traceback" not in proc.stderr
    proc = run_cli("train", "classifier", "--data", ptc_dir, "--out", tmp_path / "x", "--tiny", "--fold", "9")
    assert proc.returncode == 2 and b"--fold" in proc.stderr and b"Traceback" not in proc.stderr


def test_repetition_boost_moves_only_spans_whose_phrase_recurs(tiny_model, tmp_path):
    from spinscope.detect import Detector

    boosted = tmp_path / "boosted"
    shutil.copytree(tiny_model, boosted)
    cfg = json.loads((boosted / "config.json").read_text())
    cfg["repetition_boost"] = 1000.0
    (boosted / "config.json").write_text(json.dumps(cfg))
    text = "Stop the steal now. They lied to us. We say it again: stop the steal now."
    rows = [(0, 19), (20, 35)]  # the first phrase recurs, the second does not
    plain, boost = Detector(tiny_model), Detector(boosted)
    p0, p1 = plain.classify(text, rows), boost.classify(text, rows)
    r = plain.labels.index("Repetition")
    assert np.argmax(p1[0]) == r and np.isclose(p1[0].sum(), 1.0, atol=1e-5)
    assert np.allclose(p0[1], p1[1])


def test_eval_fold_bench_runs_on_a_tiny_fold(with_classifier, ptc_dir, tmp_path):
    import subprocess
    import sys

    from conftest import ROOT

    out = tmp_path / "fold.json"
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "eval_fold.py"), "--model", str(with_classifier / "model"),
                           "--ptc", str(ptc_dir), "--folds", "2", "--fold", "0", "--classifier",
                           str(with_classifier / "run" / "model"), "--boost-grid", "1,4", "--weight-grid", "1,0.5",
                           "--json", str(out)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    res = json.loads(out.read_text())
    assert len(res["crossfit"]["chosen"]) == 2 and 0.0 <= res["crossfit"]["tc"] <= 1.0
    assert set(res["crossfit"]["grid_all_articles"]) == {"1.0/1.0", "1.0/4.0", "0.5/1.0", "0.5/4.0"}
    assert "TC   F1" in proc.stdout and "reliability" in proc.stdout


def test_eval_score_map_bench_writes_a_map_that_train_reads(with_classifier, ptc_dir, tmp_path):
    import subprocess
    import sys

    from conftest import ROOT
    from spinscope.training.export import load_score_map

    out = tmp_path / "calibration.json"
    tagger, clf = str(with_classifier / "model"), str(with_classifier / "run" / "model")
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "eval_score_map.py"), "--ptc", str(ptc_dir),
                           "--folds", "2", "--fold", "0", tagger, clf, "--fold", "1", tagger, clf, "--out", str(out),
                           "--settings-from", tagger],  # the tiny model's settings: no mask, no score map yet
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "| fold | spans |" in proc.stdout and "reliability, the map of the other folds" in proc.stdout
    score_map = load_score_map(out)
    assert score_map["x"][0] == 0.0 and score_map["x"][-1] == 1.0
    assert all(a <= b for a, b in zip(score_map["y"], score_map["y"][1:]))
    one = subprocess.run([sys.executable, str(ROOT / "bench" / "eval_score_map.py"), "--ptc", str(ptc_dir),
                          "--fold", "0", tagger, clf], capture_output=True, text=True, timeout=600)
    assert one.returncode == 1 and "two folds or more" in one.stderr
