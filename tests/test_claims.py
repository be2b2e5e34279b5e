"""Check-worthy claims: the TSV reader and command, ranking with exact offsets, training on a tiny
generated ClaimBuster-like file (both modes), and the shipped model on two obvious sentences."""

from __future__ import annotations

import csv
import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT

from spinscope.claims import ClaimScorer, detect_with_claims, find_claims, rank_claims, read_sentences_tsv
from spinscope.document import InputError, split_sentences

CHECKWORTHY = "Unemployment fell to 3.5 percent in 2019, the lowest rate in 50 years."
OPINION = "I think we should all be kind to each other."


def run_spinscope(*args, check: bool = False) -> subprocess.CompletedProcess:
    """The real ``spinscope`` command (``python -m spinscope ARGS``) with one thread."""
    env = dict(os.environ, PYTHONWARNINGS="ignore", SPINSCOPE_THREADS="1")
    proc = subprocess.run([sys.executable, "-m", "spinscope", *map(str, args)], capture_output=True, env=env, cwd=ROOT,
                          timeout=600)
    if check and proc.returncode != 0:
        raise AssertionError(f"spinscope {' '.join(map(str, args))} failed ({proc.returncode}):\n{proc.stderr.decode()}")
    return proc


# --- a tiny ClaimBuster-like data set --------------------------------------------------------

_POS = ["Unemployment rose to {n} percent in {y}.", "We spent {n} billion dollars on defense in {y}.",
        "The deficit grew by {n} percent since {y}.", "Crime fell {n} percent between {y} and 2016.",
        "Taxes went up {n} times in {y}."]
_NEG = ["I think we should {v} together.", "Thank you very much, {p}.", "I want to {v} with the American people.",
        "Let me say this about {p}.", "We can {v} and we will."]


def write_claimbuster(folder: Path, n: int = 120, seed: int = 0) -> Path:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    header = ["Sentence_id", "Text", "Speaker", "Speaker_title", "Speaker_party", "File_id", "Length",
              "Line_number", "Sentiment", "Verdict"]
    for name, count, start in (("crowdsourced.csv", n, 1), ("groundtruth.csv", n // 4, 10_000)):
        with open(folder / name, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(header)
            for k in range(count):
                pos = rng.random() < 0.35
                if pos:
                    text = rng.choice(_POS).format(n=rng.randint(2, 90), y=rng.randint(1990, 2020))
                else:
                    text = rng.choice(_NEG).format(v=rng.choice(["work", "stand", "move forward"]),
                                                   p=rng.choice(["Jim", "my opponent", "this"]))
                verdict = 1 if pos else rng.choice([0, -1])
                speaker = rng.choice(["A", "B"])
                w.writerow([start + k, text, speaker, "Senator", "X", f"debate{k % 3}.txt", len(text.split()),
                            start + k, 0.0, verdict])
    return folder


@pytest.fixture(scope="module")
def claims_data(tmp_path_factory) -> Path:
    return write_claimbuster(tmp_path_factory.mktemp("claimbuster"))


@pytest.fixture(scope="module")
def tiny_finetuned(claims_data, tmp_path_factory) -> Path:
    pytest.importorskip("torch")
    out = tmp_path_factory.mktemp("claims") / "ft"
    run_spinscope("train", "claims", "--data", claims_data, "--out", out, "--mode", "finetune", "--tiny",
               "--epochs", "1", "--batch-size", "8", "--threads", "1", check=True)
    return out


# --- the TSV reader and the command ----------------------------------------------------------


def test_tsv_reader_quoting_crlf_header(tmp_path):
    p = tmp_path / "s.tsv"
    p.write_bytes(
        b'\xef\xbb\xbfSentence_id\tText\tclass_label\r\n'
        b'1\t"He said ""no"" twice."\tNo\r\n'
        b'2\t"A tab\there, and a line\r\nbreak."\tYes\r\n'
        b'3\tPlain text, 5 percent.\tYes\r\n'
        b'\r\n'
    )
    rows = read_sentences_tsv(p, extra=("class_label",))
    assert [r["id"] for r in rows] == ["1", "2", "3"]
    assert rows[0]["text"] == 'He said "no" twice.'
    assert rows[1]["text"] == "A tab\there, and a line\r\nbreak."
    assert rows[2]["text"] == "Plain text, 5 percent." and rows[2]["class_label"] == "Yes"
    # columns in another order, extra columns ignored, LF line ends
    q = tmp_path / "q.tsv"
    q.write_text("x\tText\tSentence_id\nfoo\tHello.\t7\n", encoding="utf-8")
    assert read_sentences_tsv(q) == [{"id": "7", "text": "Hello."}]


@pytest.mark.parametrize("content, message", [
    (None, "no such file"),
    ("Sentence_id\tclass_label\r\n1\tYes\r\n", "no 'Text' column"),
    ("id\tText\n1\tHi.\n", "no 'Sentence_id' column"),
    ("", "empty file"),
    ("Sentence_id\tText\n1\n", "line 2"),
])
def test_claims_command_errors_are_one_line(tmp_path, content, message):
    p = tmp_path / "in.tsv"
    if content is not None:
        p.write_text(content, encoding="utf-8", newline="")
    with pytest.raises(InputError, match=message):
        read_sentences_tsv(p)
    proc = run_spinscope("claims", p, "--model", tmp_path / "no-model")
    err = proc.stderr.decode()
    assert proc.returncode == 2 and message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_claims_command_scores_in_order(tiny_finetuned, tmp_path):
    p = tmp_path / "ct.tsv"
    p.write_bytes(b'Sentence_id\tText\tclass_label\r\n'
                  b'37436\t"He said ""the deficit rose 40 percent"" in 2010."\tYes\r\n'
                  b'11\tThank you very much.\tNo\r\n'
                  b'5\tTaxes went up 3 times in 1999.\tYes\r\n')
    proc = run_spinscope("claims", p, "--model", tiny_finetuned, "--eval", check=True)
    lines = proc.stdout.decode().splitlines()
    assert lines[0] == "Sentence_id\tscore\tlabel"
    rows = [line.split("\t") for line in lines[1:]]
    assert [r[0] for r in rows] == ["37436", "11", "5"]
    thr = json.loads((tiny_finetuned / "claims.json").read_text())["threshold"]
    for _, score, label in rows:
        assert 0.0 <= float(score) <= 1.0 and label == ("Yes" if float(score) >= thr else "No")
    assert "F1" in proc.stderr.decode()
    out = tmp_path / "o.tsv"
    run_spinscope("claims", p, "--model", tiny_finetuned, "--threshold", "0", "-o", out, check=True)
    assert [r.split("\t")[2] for r in out.read_text().splitlines()[1:]] == ["Yes"] * 3
    missing = run_spinscope("claims", p, "--model", tmp_path)
    assert missing.returncode == 2 and "claims.json missing" in missing.stderr.decode()


# --- claims of a text ------------------------------------------------------------------------

TEXT = ("Budget row deepens\n\n"
        "I think we should all be kind to each other. The deficit grew by 12 percent in 2019, officials said.\n"
        "Mr. Smith disagreed.  Unemployment fell to 3.5 percent last year!\n")


class DigitScorer:
    """A stand-in scorer: the share of characters that are digits, times 3."""

    threshold = 0.1
    pools_in_context = False

    def score_sentences(self, texts):
        return np.asarray([min(1.0, 3 * sum(c.isdigit() for c in t) / max(1, len(t))) for t in texts], np.float32)


def test_claims_are_ranked_sentences_with_exact_offsets():
    sentences = split_sentences(TEXT)
    claims = find_claims(TEXT, sentences, DigitScorer())
    assert [c.text for c in claims] == ["The deficit grew by 12 percent in 2019, officials said.",
                                        "Unemployment fell to 3.5 percent last year!"]
    for c in claims:
        assert TEXT[c.start : c.end] == c.text and 0.0 < c.score <= 1.0  # scored (unscored would be 0)
    assert claims[0].score >= claims[1].score
    assert find_claims(TEXT, sentences, DigitScorer(), threshold=0.0, limit=3)[-1].score == 0.0
    assert len(find_claims(TEXT, sentences, DigitScorer(), threshold=0.0)) == len(sentences)
    assert find_claims(TEXT, sentences, DigitScorer(), threshold=1.01) == []
    assert find_claims("", [], DigitScorer()) == []
    # ties keep text order
    tied = rank_claims(sentences, [0.5] * len(sentences), 0.5)
    assert [c.start for c in tied] == sorted(c.start for c in tied)


def test_finetuned_model_in_analyze_path(tiny_finetuned, tiny_model):
    from spinscope.detect import Detector

    det = Detector(tiny_model)
    scorer = ClaimScorer(tiny_finetuned)
    sentences = split_sentences(TEXT)
    spans, claims = detect_with_claims(det, scorer, TEXT, sentences, claim_threshold=0.0)
    assert spans == det.detect(TEXT)
    iso = scorer.score_sentences([s.text for s in sentences])
    assert sorted(round(c.score, 5) for c in claims) == sorted(round(float(s), 5) for s in iso)


# --- training --------------------------------------------------------------------------------


def test_finetune_training_files_log_and_reproducibility(claims_data, tiny_finetuned, tmp_path):
    cfg = json.loads((tiny_finetuned / "claims.json").read_text())
    assert cfg["mode"] == "finetune" and set(cfg["sha256"]) == {"claims.int8.onnx", "tokenizer.json"}
    assert cfg["train"]["seed"] == 13 and 0.05 <= cfg["threshold"] <= 0.95
    log = [json.loads(line) for line in (tiny_finetuned / "train_claims.log.jsonl").read_text().splitlines()]
    assert log[0]["event"] == "start" and log[-1]["event"] == "done"
    assert log[0]["n_dev"] == round(0.1 * log[0]["n_pos"]) + round(0.1 * (log[0]["n"] - log[0]["n_pos"]))
    from spinscope.training.claims import run_train_claims

    again = run_train_claims(claims_data, tmp_path / "again", mode="finetune", tiny=True, epochs=1, batch_size=8,
                             threads=1)
    assert again["threshold"] == cfg["threshold"]
    texts = [CHECKWORTHY, OPINION, "x"]
    np.testing.assert_allclose(ClaimScorer(tmp_path / "again").score_sentences(texts),
                               ClaimScorer(tiny_finetuned).score_sentences(texts), atol=1e-6)
    bad = tmp_path / "bad"
    shutil.copytree(tiny_finetuned, bad)
    with open(bad / "claims.int8.onnx", "ab") as f:
        f.write(b"x")
    from spinscope.detect import ModelError

    with pytest.raises(ModelError, match="checksum"):
        ClaimScorer(bad)


def test_shared_training_on_tiny_technique_model(claims_data, tiny_model, tmp_path, monkeypatch):
    pytest.importorskip("torch")
    from spinscope import detect
    from spinscope.detect import Detector, ModelError

    out = tmp_path / "shared"
    proc = run_spinscope("train", "claims", "--data", claims_data, "--out", out, "--mode", "shared",
                         "--technique-model", tiny_model, "--threads", "1", "--calibration", "none", check=True)
    summary = json.loads(proc.stdout)
    assert {g["train_features"] for g in summary["grid"]} == {"sentence", "context", "both"}
    assert {g["pooling"] for g in summary["grid"]} == {"mean", "mean+max"}
    cfg = json.loads((out / "claims.json").read_text())
    assert cfg["mode"] == "shared" and set(cfg["sha256"]) == {"claims_head.npz"} and cfg["pooling"] in ("mean", "mean+max")
    assert cfg["threshold"] == summary["threshold"] and cfg["train_features"] == "both"
    scorer = ClaimScorer(out)  # the technique model was copied beside the head
    det = Detector(tiny_model)
    assert ClaimScorer(out, detector=det).detector is det
    s = scorer.score_sentences([CHECKWORTHY, OPINION])
    assert s.shape == (2,) and np.all((s >= 0) & (s <= 1))
    # in analyze: one encoder pass gives the same spans, and a score for every sentence
    sentences = split_sentences(TEXT)
    spans, claims = detect_with_claims(det, ClaimScorer(out, detector=det), TEXT, sentences, claim_threshold=0.0)
    assert spans == det.detect(TEXT) and len(claims) == len(sentences)
    for c in claims:
        assert TEXT[c.start : c.end] == c.text and 0.0 < c.score <= 1.0  # scored (unscored would be 0)
    # a detector with another encoder: its spans, and the claims scored by the head's own encoder
    stranger = Detector(tiny_model)
    stranger.config = {**stranger.config, "sha256": {stranger.config["onnx"]: "f" * 64}}
    _, claims2 = detect_with_claims(stranger, scorer, TEXT, sentences, claim_threshold=0.0)
    iso = scorer.score_sentences([s.text for s in sentences])
    assert sorted(round(c.score, 5) for c in claims2) == sorted(round(float(x), 5) for x in iso)
    # blocks: every sentence is still scored, offsets stay exact
    long_text = TEXT * 20
    monkeypatch.setattr(detect.detector, "BLOCK_CHARS", 300)
    sents = split_sentences(long_text)
    _, claims = detect_with_claims(det, ClaimScorer(out, detector=det), long_text, sents, claim_threshold=0.0)
    assert len(claims) == len(sents) and all(long_text[c.start : c.end] == c.text and c.score > 0 for c in claims)
    # a head is tied to its encoder
    c2 = json.loads((out / "claims.json").read_text())
    c2["encoder_sha256"] = "0" * 64
    (out / "claims.json").write_text(json.dumps(c2))
    with pytest.raises(ModelError, match="another technique encoder"):
        ClaimScorer(out)


# --- the shipped model -----------------------------------------------------------------------


def test_shipped_model_prefers_a_checkable_claim():
    scorer = ClaimScorer()
    yes, no = scorer.score_sentences([CHECKWORTHY, OPINION])
    assert yes > no
    assert yes >= scorer.threshold > no


# --- validation on held-out debates, calibration and reliability -----------------------------


def _debate_items(files_sentences: dict[str, int]) -> list[dict]:
    items = []
    for f, n in files_sentences.items():
        for k in range(n):
            items.append({"id": f"{f}-{k}", "text": f"s{k}", "label": k % 2, "file": f, "line": k, "speaker": "A"})
    return items


def test_split_debates_holds_out_the_latest_whole_debates():
    from spinscope.training.claims import split_debates

    files = {"2016-10-19.txt": 4, "1960-09-26.txt": 3, "2012-10-22.txt": 2, "1988-10-13.txt": 5,
             "2016-09-26.txt": 3, "2008-10-15.txt": 2}  # not in date order
    items = _debate_items(files)
    random.Random(1).shuffle(items)
    tr, va, te, names = split_debates(items, 2, 2)
    assert names == {"train": ["1960-09-26.txt", "1988-10-13.txt"], "val": ["2008-10-15.txt", "2012-10-22.txt"],
                     "test": ["2016-09-26.txt", "2016-10-19.txt"]}
    assert sorted(tr + va + te) == list(range(len(items)))
    file_of = lambda idx: {items[i]["file"] for i in idx}  # noqa: E731
    assert file_of(te) == set(names["test"]) and file_of(va) == set(names["val"]) and file_of(tr) == set(names["train"])
    assert not file_of(tr) & file_of(te) and not file_of(va) & file_of(te) and not file_of(tr) & file_of(va)
    assert len(te) == 7 and len(va) == 4
    with pytest.raises(SystemExit, match="6 debates cannot give 3 held-out and 3 validation"):
        split_debates(items, 3, 3)
    with pytest.raises(SystemExit, match="cannot give 0 held-out"):
        split_debates(items, 0, 2)


def test_reliability_table_and_ece_on_hand_made_scores():
    from spinscope.training.calibration import format_reliability, reliability_table

    t = reliability_table(np.array([0.05, 0.15, 0.15, 0.95, 1.0]), np.array([0, 0, 1, 1, 1]))
    assert [b["n"] for b in t["bins"]] == [1, 2, 0, 0, 0, 0, 0, 0, 0, 2]
    assert t["bins"][1]["mean_score"] == pytest.approx(0.15) and t["bins"][1]["share_yes"] == 0.5
    assert t["bins"][9]["mean_score"] == pytest.approx(0.975) and t["bins"][9]["share_yes"] == 1.0
    assert t["bins"][2]["mean_score"] is None and t["bins"][0]["lo"] == 0.0 and t["bins"][9]["hi"] == 1.0
    assert t["ece"] == pytest.approx((0.05 + 2 * 0.35 + 2 * 0.025) / 5)
    assert reliability_table(np.array([0.0, 1.0]), np.array([0, 1]))["ece"] == 0.0
    text = format_reliability("x", t)
    assert "ECE 0.1600 over 5 sentences" in text and len(text.splitlines()) == 12


def test_calibration_fitted_on_validation_and_threshold_never_on_test():
    from spinscope.claims import apply_calibration
    from spinscope.training.claims import best_threshold, holdout_report
    from spinscope.training.calibration import fit_isotonic, fit_platt

    rng = np.random.default_rng(0)
    # validation: raw scores overconfident; truth follows sigmoid(0.5 * logit(s) - 0.3)
    s = rng.uniform(0.01, 0.99, 4000)
    p = 1 / (1 + np.exp(-(0.5 * np.log(s / (1 - s)) - 0.3)))
    y = (rng.uniform(size=s.size) < p).astype(int)
    platt = fit_platt(s, y)
    assert platt["a"] == pytest.approx(0.5, abs=0.08) and platt["b"] == pytest.approx(-0.3, abs=0.1)
    iso = fit_isotonic(s, y)
    assert np.all(np.diff(iso["y"]) > 0) and np.all(np.diff(iso["x"]) > 0)
    assert np.all(np.diff(apply_calibration(iso, np.linspace(0, 1, 50))) >= 0)
    # a test set whose best threshold (0.8) is not validation's: the report keeps validation's
    vs, vy = np.array([0.1, 0.2, 0.35, 0.4, 0.6, 0.9]), np.array([0, 0, 1, 1, 1, 1])
    ts, ty = np.array([0.3, 0.5, 0.7, 0.85, 0.9]), np.array([0, 0, 0, 1, 1])
    thr = best_threshold(vs, vy)[0]
    assert thr == 0.21 and best_threshold(ts, ty)[0] != thr
    rep = holdout_report(vs, vy, thr, {"heldout": (ts, ty)}, "platt")
    assert rep["threshold"] == thr and rep["calibration"] == fit_platt(vs, vy)
    assert (rep["heldout"]["tp"], rep["heldout"]["fp"], rep["heldout"]["fn"]) == (2, 3, 0)
    assert rep["validation"]["f1"] == 1.0
    assert rep["heldout"]["reliability_raw"]["n"] == 5
    assert holdout_report(vs, vy, thr, {"heldout": (ts, ty)}, "isotonic")["calibration"]["method"] == "isotonic"


def test_shared_training_with_held_out_debates(claims_data, tiny_model, tmp_path):
    pytest.importorskip("torch")
    from spinscope.training.claims import run_train_claims

    tsv = tmp_path / "dt.tsv"
    tsv.write_text("Sentence_id\tText\tclass_label\r\n1\t" + CHECKWORTHY + "\tYes\r\n2\t" + OPINION + "\tNo\r\n",
                   encoding="utf-8")
    out = tmp_path / "held"
    s = run_train_claims(claims_data, out, technique_model=tiny_model, threads=1, holdout_debates=1, val_debates=1,
                         dev_test=tsv, feature_cache=tmp_path / "cache")
    assert s["debates"] == {"train": ["debate0.txt"], "val": ["debate1.txt"], "test": ["debate2.txt"]}
    rep = s["report"]
    n_test = sum(1 for r in csv.DictReader(open(claims_data / "crowdsourced.csv")) if r["File_id"] == "debate2.txt") + \
        sum(1 for r in csv.DictReader(open(claims_data / "groundtruth.csv")) if r["File_id"] == "debate2.txt")
    assert rep["heldout_sentence"]["n"] == rep["heldout_context"]["n"] == n_test
    assert rep["dev_test"]["n"] == 2 and rep["threshold"] == pytest.approx(s["threshold"], abs=5e-5)
    assert s["n_train"] + s["n_dev"] + n_test == 150 and s["n_train"] > 0 and s["n_dev"] > 0
    log = [json.loads(x) for x in (out / "train_claims.log.jsonl").read_text().splitlines()]
    assert [e for e in log if e["event"] == "heldout"][0]["heldout_sentence"]["reliability_raw"]["n"] == n_test
    assert len(list((tmp_path / "cache").glob("claims_features_*.npz"))) == 1
    again = run_train_claims(claims_data, tmp_path / "again", technique_model=tiny_model, threads=1, holdout_debates=1,
                             val_debates=1, dev_test=tsv, feature_cache=tmp_path / "cache")
    assert again["report"] == rep  # from the cached vectors, the same numbers
    proc = run_spinscope("train", "claims", "--data", claims_data, "--out", tmp_path / "x", "--technique-model",
                      tiny_model, "--holdout-debates", "3")
    assert proc.returncode != 0 and b"Traceback" not in proc.stderr
    assert b"3 debates cannot give 3 held-out and 3 validation" in proc.stderr


# --- class balance and the applied score calibration ------------------------------------------


def test_class_balance_weighs_the_positive_class():
    pytest.importorskip("torch")
    from spinscope.claims import sigmoid
    from spinscope.training.claims import fit_logreg

    rng = np.random.default_rng(0)
    y = (rng.uniform(size=600) < 0.25).astype(np.int64)
    X = (rng.normal(size=(600, 4)) + 0.8 * y[:, None]).astype(np.float32)  # overlapping classes
    w1, b1 = fit_logreg(X, y, 0.01, 1)
    w3, b3 = fit_logreg(X, y, 0.01, 1, pos_weight=3.0)
    p1, p3 = sigmoid(X @ w1 + b1), sigmoid(X @ w3 + b3)
    assert abs(p1.mean() - y.mean()) < 0.02  # unweighted: calibrated in the mean
    assert p3.mean() > p1.mean() + 0.1 and b3 > b1


def test_choose_calibration_by_cross_fitted_ece():
    from spinscope.training.claims import choose_calibration

    rng = np.random.default_rng(1)
    s = rng.uniform(0.01, 0.99, 3000)
    groups = [f"d{k % 3}" for k in range(s.size)]
    smooth = (rng.uniform(size=s.size) < 1 / (1 + np.exp(-(0.5 * np.log(s / (1 - s)) - 0.3)))).astype(int)
    step = (rng.uniform(size=s.size) < np.where(s < 0.5, 0.1, 0.9)).astype(int)
    cal, ece = choose_calibration(s, smooth, groups, "auto")
    assert cal["method"] == "platt" and set(ece) == {"platt", "isotonic"} and ece["platt"] < ece["isotonic"]
    cal, ece = choose_calibration(s, step, groups, "auto")
    assert cal["method"] == "isotonic" and ece["isotonic"] < ece["platt"]
    assert choose_calibration(s, step, groups, "platt")[0]["method"] == "platt"
    assert choose_calibration(s, step, groups, "none") == (None, {})
    assert choose_calibration(s, 1 - smooth, groups, "platt")[0] is None  # scores falling with Yes: left raw


def test_threshold_on_the_calibrated_scale_labels_the_same_sentences():
    from spinscope.claims import apply_calibration, check_calibration
    from spinscope.training.claims import calibrated_threshold
    from spinscope.training.calibration import fit_isotonic, fit_platt

    rng = np.random.default_rng(2)
    s = np.round(rng.uniform(0.01, 0.99, 2000), 2)  # many equal scores, as duplicate sentences give
    y = (rng.uniform(size=s.size) < s ** 2).astype(int)
    for cal in (fit_platt(s, y), fit_isotonic(s, y)):
        assert check_calibration(cal) is None  # isotonic: equal scores pooled, so x strictly increasing
        for t in (0.2, 0.33, 0.5, 0.71):
            thr = calibrated_threshold(cal, t)
            assert np.array_equal(apply_calibration(cal, s) >= thr, s >= t)
    assert calibrated_threshold(None, 0.33) == 0.33


def test_final_split_has_no_test_debates():
    from spinscope.training.claims import split_debates

    items = _debate_items({"2016-10-19.txt": 4, "1960-09-26.txt": 3, "2012-10-22.txt": 2, "1988-10-13.txt": 5})
    tr, va, te, names = split_debates(items, 0, 2, final=True)
    assert te == [] and names["val"] == ["2012-10-22.txt", "2016-10-19.txt"] and len(va) == 6 and len(tr) == 8
    with pytest.raises(SystemExit, match="cannot give 0 held-out"):
        split_debates(items, 0, 2)


@pytest.fixture(scope="module")
def balanced_shared(claims_data, tiny_model, tmp_path_factory) -> Path:
    """A shared-mode head trained by the real command with --class-balance, validated on the latest debate."""
    pytest.importorskip("torch")
    out = tmp_path_factory.mktemp("claims") / "balanced"
    run_spinscope("train", "claims", "--data", claims_data, "--out", out, "--technique-model", tiny_model,
               "--threads", "1", "--class-balance", "--val-debates", "1", "--calibration", "platt", check=True)
    return out


def test_class_balanced_training_records_its_weight_and_map(balanced_shared, claims_data):
    from spinscope.training.claims import load_claimbuster

    cfg = json.loads((balanced_shared / "claims.json").read_text())
    items = [r for r in load_claimbuster(claims_data) if r["file"] != "debate2.txt"]  # debate2: validation
    pos = sum(r["label"] for r in items)
    assert cfg["class_balance"] is True and cfg["pos_weight"] == round((len(items) - pos) / pos, 4)
    assert cfg["calibration_map"]["method"] == "platt" and cfg["calibration_map"]["a"] > 0
    assert cfg["train"]["settings"]["val_debates"] == 1 and cfg["train"]["n_dev"] == sum(
        1 for r in load_claimbuster(claims_data) if r["file"] == "debate2.txt")
    log = [json.loads(x) for x in (balanced_shared / "train_claims.log.jsonl").read_text().splitlines()]
    assert [e["method"] for e in log if e["event"] == "calibration"] == ["platt"]


def test_runtime_applies_the_calibration_map(balanced_shared, tmp_path):
    from spinscope.claims import apply_calibration, sentence_vectors, sigmoid
    from spinscope.detect import ModelError

    cfg = json.loads((balanced_shared / "claims.json").read_text())
    raw_dir = tmp_path / "raw"
    shutil.copytree(balanced_shared, raw_dir)
    (raw_dir / "claims.json").write_text(json.dumps({k: v for k, v in cfg.items() if k != "calibration_map"}))
    texts = [CHECKWORTHY, OPINION, "Taxes went up 3 times in 1999.", "Thank you, Jim."]
    calibrated, raw = ClaimScorer(balanced_shared), ClaimScorer(raw_dir)
    # without a map: the head's sigmoid, exactly as before
    head = np.load(raw_dir / "claims_head.npz")
    F = sentence_vectors(raw.detector, texts, raw.max_len, raw.pooling)
    expect_raw = sigmoid(F @ head["weight"].reshape(-1) + float(head["bias"][0])).astype(np.float32)
    np.testing.assert_array_equal(raw.score_sentences(texts), expect_raw)
    got = calibrated.score_sentences(texts)
    np.testing.assert_allclose(got, apply_calibration(cfg["calibration_map"], expect_raw), rtol=1e-6)
    assert not np.allclose(got, expect_raw, atol=1e-3)  # the map moves the scores
    # in analyze, the same map on the in-context scores
    sentences = split_sentences(TEXT)
    _, claims = detect_with_claims(calibrated.detector, calibrated, TEXT, sentences, claim_threshold=0.0)
    _, claims_raw = detect_with_claims(raw.detector, raw, TEXT, sentences, claim_threshold=0.0)
    by_start = {c.start: c.score for c in claims_raw}
    for c in claims:
        assert c.score == pytest.approx(float(apply_calibration(cfg["calibration_map"], by_start[c.start])), rel=1e-5)
    # spinscope claims: same format, labels at the model's threshold on the calibrated scale
    tsv = tmp_path / "s.tsv"
    tsv.write_text("Sentence_id\tText\n" + "".join(f"{k}\t{t}\n" for k, t in enumerate(texts)), encoding="utf-8")
    lines = run_spinscope("claims", tsv, "--model", balanced_shared, check=True).stdout.decode().splitlines()
    assert lines[0] == "Sentence_id\tscore\tlabel" and len(lines) == 1 + len(texts)
    for (k, score, label), g in zip((x.split("\t") for x in lines[1:]), got):
        assert float(score) == pytest.approx(float(g), abs=6e-5)
        assert label == ("Yes" if g >= cfg["threshold"] else "No")
    # a malformed map is refused in one line
    bad = tmp_path / "bad"
    shutil.copytree(balanced_shared, bad)
    (bad / "claims.json").write_text(json.dumps({**cfg, "calibration_map": {"method": "isotonic", "x": [0.5, 0.2],
                                                                          "y": [0.1, 0.2]}}))
    with pytest.raises(ModelError, match="isotonic score calibration is malformed"):
        ClaimScorer(bad)
    proc = run_spinscope("claims", tsv, "--model", bad)
    assert proc.returncode == 2 and len(proc.stderr.decode().strip().splitlines()) == 1


def test_finetune_with_fewer_layers_exports_a_shallower_model(claims_data, tiny_finetuned, tmp_path):
    import onnx

    from spinscope.training.claims import run_train_claims

    run_train_claims(claims_data, tmp_path / "one", mode="finetune", tiny=True, epochs=1, batch_size=8, threads=1,
                     layers=1)
    cfg = json.loads((tmp_path / "one" / "claims.json").read_text())
    assert cfg["train"]["settings"]["layers"] == 1

    def n_nodes(folder):
        return len(onnx.load(str(folder / "claims.int8.onnx")).graph.node)

    assert n_nodes(tmp_path / "one") < n_nodes(tiny_finetuned)
    assert len(ClaimScorer(tmp_path / "one").score_sentences([CHECKWORTHY, OPINION])) == 2


def test_a_shared_head_is_tied_to_how_its_encoder_masks_names(claims_data, tiny_model, tmp_path):
    pytest.importorskip("torch")
    from spinscope.detect import Detector, ModelError

    masked = tmp_path / "masked"
    shutil.copytree(tiny_model, masked)
    cfg = json.loads((masked / "config.json").read_text())
    cfg["mask_names"] = "x"
    (masked / "config.json").write_text(json.dumps(cfg))
    out = tmp_path / "head"
    run_spinscope("train", "claims", "--data", claims_data, "--out", out, "--mode", "shared", "--technique-model",
                  masked, "--threads", "1", "--calibration", "none", "--features", "sentence", "--pooling", "mean",
                  check=True)
    assert json.loads((out / "claims.json").read_text())["encoder_mask_names"] == "x"
    scorer = ClaimScorer(out, detector=Detector(masked))
    assert scorer.shares_encoder(scorer.detector)
    # the masked encoder reads names as one token: two names, one score
    a, b = scorer.score_sentences(["Joe Biden said taxes rose 40 percent.", "Donald Trump said taxes rose 40 percent."])
    assert a == pytest.approx(b, abs=1e-6)
    with pytest.raises(ModelError, match="masks names"):
        ClaimScorer(out, detector=Detector(tiny_model))


def test_claimbuster_items_keep_the_three_verdicts(tmp_path):
    from spinscope.training.claimbuster import load_claimbuster

    items = load_claimbuster(write_claimbuster(tmp_path / "cb"))
    assert {r["verdict"] for r in items} <= {-1, 0, 1} and len({r["verdict"] for r in items}) >= 2
    assert all(r["label"] == (r["verdict"] == 1) for r in items)


def test_a_head_on_inner_layers_pools_them_beside_the_last(claims_data, tiny_model, tmp_path):
    """--pool-layers: the head reads inner layers' states beside the last; technique spans unchanged."""
    pytest.importorskip("torch")
    from spinscope.detect import Detector, ModelError

    det = Detector(tiny_model)
    assert det.layer_outputs == ["hidden_1"]  # exported models output their inner layers (2 layers here)
    out = tmp_path / "layers"
    run_spinscope("train", "claims", "--data", claims_data, "--out", out, "--mode", "shared", "--technique-model",
                  tiny_model, "--threads", "1", "--calibration", "none", "--pool-layers", "1", check=True)
    cfg = json.loads((out / "claims.json").read_text())
    assert cfg["layers"] == ["hidden_1"] and cfg["train"]["settings"]["pool_layers"] == [1]
    scorer = ClaimScorer(out, detector=det)
    width = 2 * det.hidden_size * (2 if cfg["pooling"] == "mean+max" else 1)
    assert scorer.layers == ("hidden_1",) and scorer.w.shape == (width,)
    # the inner layer's states differ from the last one's: the head's second half reads something else
    _, last, inner = det.run_window(np.arange(100, 120), layers=("hidden_1",))
    assert inner.shape == last.shape and not np.allclose(inner, last)
    sentences = split_sentences(TEXT)
    spans, claims = detect_with_claims(det, scorer, TEXT, sentences, claim_threshold=0.0)
    assert spans == det.detect(TEXT) and len(claims) == len(sentences)
    assert all(TEXT[c.start : c.end] == c.text and 0.0 < c.score <= 1.0 for c in claims)
    s = scorer.score_sentences([CHECKWORTHY, OPINION])
    assert s.shape == (2,) and np.all((s >= 0) & (s <= 1))
    # an encoder without those outputs is refused, with the way out
    bare = tmp_path / "bare"
    shutil.copytree(tiny_model, bare)
    c2 = json.loads((out / "claims.json").read_text())
    c2["layers"] = ["hidden_7"]
    (out / "claims.json").write_text(json.dumps(c2))
    with pytest.raises(ModelError, match="hidden_7.*does not output"):
        ClaimScorer(out, detector=det)


@pytest.mark.parametrize("value", ["x", "0", "-1"])
def test_pool_layers_takes_layer_numbers(claims_data, tiny_model, tmp_path, value):
    proc = run_spinscope("train", "claims", "--data", claims_data, "--out", tmp_path / "o", "--technique-model",
                         tiny_model, "--pool-layers", value)
    assert proc.returncode == 2 and b"--pool-layers" in proc.stderr and b"Traceback" not in proc.stderr


def test_pool_layers_the_encoder_lacks_is_a_clear_error(claims_data, tiny_model, tmp_path):
    proc = run_spinscope("train", "claims", "--data", claims_data, "--out", tmp_path / "o", "--technique-model",
                         tiny_model, "--pool-layers", "5", "--threads", "1")
    assert proc.returncode != 0 and b"outputs no hidden_5" in proc.stderr and b"Traceback" not in proc.stderr
