"""Self-training: a teacher's span probabilities on unlabeled articles as soft targets."""

import json
import shutil

import numpy as np
import pytest

from tests.conftest import ROOT, run_cli

pytest.importorskip("torch")

UNLABELED = {
    "a1": "The senator said the plan would destroy the country. Critics called it a disgrace.\n",
    "a2": "Rain is expected on Tuesday. The council meets at noon to discuss the new bridge.\n",
    "blank": "   \n",
}


@pytest.fixture
def unlabeled_dir(tmp_path):
    d = tmp_path / "news"
    d.mkdir()
    for k, v in UNLABELED.items():
        (d / f"{k}.txt").write_text(v, encoding="utf-8")
    (d / "notes.md").write_text("not an article", encoding="utf-8")
    return d


def test_teacher_probabilities_line_up_with_the_student_tokens(tiny_model, unlabeled_dir):
    from spinscope.detect import Detector
    from spinscope.detect.masking import encode
    from spinscope.training.data import load_tokenizer
    from spinscope.training.self_training import label_articles, read_unlabeled

    texts = read_unlabeled(unlabeled_dir)
    assert sorted(texts) == ["a1", "a2"]  # blank and non-.txt files skipped
    assert list(read_unlabeled(unlabeled_dir, limit=1)) == ["a1"]
    tok = load_tokenizer(tiny_model)
    soft = label_articles(tiny_model, texts, tok, None, threads=1)
    assert [s.id for s in soft] == ["a1#0", "a2#0"]
    det = Detector(tiny_model)
    for s, text in zip(soft, texts.values()):
        ids, _ = encode(tok, text, None)
        np.testing.assert_array_equal(s.ids, ids)
        np.testing.assert_allclose(s.probs, det.encode(text)[0].probs, atol=1e-6)
        np.testing.assert_allclose(s.probs.sum(-1), 1.0, atol=1e-4)


def test_a_teacher_that_masks_names_otherwise_is_refused(tiny_model, unlabeled_dir):
    from spinscope.detect.masking import placeholder_ids
    from spinscope.document import InputError
    from spinscope.training.data import load_tokenizer
    from spinscope.training.self_training import label_articles, read_unlabeled

    tok = load_tokenizer(tiny_model)
    texts = {"x": "Senator Warren met President Biden in Boston."}
    with pytest.raises(InputError, match="masks names otherwise"):
        label_articles(tiny_model, texts, tok, placeholder_ids("x", tok), threads=1)
    (unlabeled_dir / "empty").mkdir()
    with pytest.raises(InputError, match="no non-empty"):
        read_unlabeled(unlabeled_dir / "empty")
    with pytest.raises(InputError, match="not a folder"):
        read_unlabeled(unlabeled_dir / "missing")


def test_soft_loss_pulls_towards_the_teacher_and_gold_loss_is_unchanged():
    import torch

    from spinscope.training.techniques import _span_loss

    logits = torch.tensor([[[2.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]]])
    tags = torch.tensor([[0, 1, -100]])
    plain = torch.nn.functional.cross_entropy(logits.reshape(-1, 3), tags.reshape(-1), ignore_index=-100)
    assert torch.allclose(_span_loss(torch, logits, tags, None, 1.0, "cpu"), plain)
    soft = torch.zeros(1, 3, 3)
    soft[0, 2] = torch.tensor([0.2, 0.3, 0.5])
    both = _span_loss(torch, logits, tags, soft, 0.5, "cpu")
    expected = plain + 0.5 * -(soft[0, 2] * torch.log_softmax(logits[0, 2], -1)).sum()
    assert torch.allclose(both, expected)
    # only soft tokens in the batch: no NaN from an empty gold mean
    only = _span_loss(torch, logits, torch.full((1, 3), -100), soft, 1.0, "cpu")
    assert torch.isfinite(only) and only > 0


def test_train_with_unlabeled_articles_and_a_teacher(ptc_dir, tiny_model, unlabeled_dir, tmp_path):
    out = tmp_path / "student"
    run_cli("train", "techniques", "--data", ptc_dir, "--out", out, "--tiny", "--epochs", "1", "--batch-size", "4",
            "--threads", "1", "--unlabeled", unlabeled_dir, "--teacher", tiny_model, "--soft-weight", "0.5", check=True)
    log = [json.loads(line) for line in (out / "train.log.jsonl").read_text().splitlines()]
    st = [e for e in log if e["event"] == "self_training"]
    assert st and st[0]["articles"] == 2 and st[0]["blocks"] == 2 and 0.0 < st[0]["teacher_inside"] < 1.0
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["train"]["self_training"]["blocks"] == 2
    plain = tmp_path / "plain"
    run_cli("train", "techniques", "--data", ptc_dir, "--out", plain, "--tiny", "--epochs", "1", "--batch-size", "4",
            "--threads", "1", check=True)
    base = [json.loads(line) for line in (plain / "train.log.jsonl").read_text().splitlines()]
    epoch = lambda lg: next(e for e in lg if e["event"] == "epoch")  # noqa: E731
    assert epoch(log)["si_loss"] != epoch(base)["si_loss"]  # the soft windows were trained on
    assert "self_training" not in json.loads((plain / "config.json").read_text())["train"]


@pytest.mark.parametrize("args, message", [
    (["--unlabeled", "."], "go together"),
    (["--teacher", "/nonexistent"], "go together"),
    (["--unlabeled", ".", "--teacher", "/nonexistent"], "not an exported technique model"),
    (["--unlabeled", ".", "--teacher", ".", "--unlabeled-limit", "-1"], "--unlabeled-limit"),
])
def test_bad_self_training_options_are_one_line_errors(ptc_dir, tmp_path, args, message):
    proc = run_cli("train", "techniques", "--data", ptc_dir, "--out", tmp_path / "m", "--tiny", *args)
    assert proc.returncode == 2 and message in proc.stderr.decode() and b"Traceback" not in proc.stderr


def test_cv_gives_each_fold_its_own_teacher(ptc_dir, tiny_model, tmp_path, unlabeled_dir):
    teachers = str(tmp_path / "teachers" / "fold{fold}")
    proc = run_cli("train", "cv", "--data", ptc_dir, "--out", tmp_path / "cv", "--tiny", "--folds", "2", "--only", "1",
                   "--unlabeled", unlabeled_dir, "--teacher", teachers)
    assert proc.returncode == 2 and "teachers/fold1" in proc.stderr.decode() and b"Traceback" not in proc.stderr
    shutil.copytree(tiny_model, tmp_path / "teachers" / "fold1")
    run_cli("train", "cv", "--data", ptc_dir, "--out", tmp_path / "cv", "--tiny", "--folds", "2", "--only", "1",
            "--epochs", "1", "--batch-size", "4", "--threads", "1", "--unlabeled", unlabeled_dir, "--teacher", teachers,
            check=True)
    cfg = json.loads((tmp_path / "cv" / "fold1" / "model" / "config.json").read_text())
    assert cfg["train"]["self_training"]["teacher"] == str(tmp_path / "teachers" / "fold1")


def test_a_teacher_of_another_tokenizer_is_lined_up_by_characters():
    from spinscope.training.self_training import align_probs

    # "unbelievable claims": the teacher reads [unbelievable][claims], the student [un][##believ][##able][claims]
    teacher_offsets = np.array([[0, 12], [13, 19]])
    teacher = np.array([[0.1, 0.8, 0.1], [0.2, 0.1, 0.7]], np.float32)
    student_offsets = np.array([[0, 2], [2, 8], [8, 12], [13, 19]])
    p = align_probs(student_offsets, teacher_offsets, teacher)
    np.testing.assert_allclose(p[0], [0.1, 0.8, 0.1])
    np.testing.assert_allclose(p[1], [0.1, 0.0, 0.9])  # inside the same teacher token: no new begin
    np.testing.assert_allclose(p[2], [0.1, 0.0, 0.9])
    np.testing.assert_allclose(p[3], teacher[1])
    np.testing.assert_allclose(p.sum(-1), 1.0, atol=1e-6)
    # the student splits less finely, or the teacher has no tokens at all
    np.testing.assert_allclose(align_probs(np.array([[0, 19]]), teacher_offsets, teacher), teacher[:1])
    assert align_probs(student_offsets, np.zeros((0, 2), int), np.zeros((0, 3)))[:, 0].tolist() == [1.0] * 4


def _roberta_style_tokenizer(folder):
    """The shipped vocabulary with MPNet's way of opening and closing a text (<s> ... </s>)."""
    from tokenizers import Tokenizer, processors

    tok = Tokenizer.from_file(str(ROOT / "spinscope/models/tokenizer.json"))
    cls, sep = tok.token_to_id("[unused0]"), tok.token_to_id("[unused1]")
    tok.post_processor = processors.RobertaProcessing(("[unused1]", sep), ("[unused0]", cls))
    folder.mkdir(parents=True, exist_ok=True)
    tok.save(str(folder / "tokenizer.json"))
    return tok, cls, sep


def test_window_tokens_come_from_the_tokenizer_s_own_template(tmp_path):
    from tokenizers import Tokenizer

    from spinscope.detect.masking import special_ids

    assert special_ids(Tokenizer.from_file(str(ROOT / "spinscope/models/tokenizer.json"))) == (101, 102)
    tok, cls, sep = _roberta_style_tokenizer(tmp_path / "t")
    assert special_ids(tok) == (cls, sep)  # not the [CLS]/[SEP] its vocabulary also holds


def test_an_mpnet_encoder_trains_exports_and_teaches(ptc_dir, tmp_path, unlabeled_dir):
    """MPNet (all-mpnet-base-v2's architecture: no token types, no sdpa attention, <s>/</s>) as
    the encoder of a teacher, here tiny and random; a MiniLM-vocabulary student learns from it."""
    from transformers import MPNetConfig, MPNetModel

    enc = tmp_path / "mpnet"
    _roberta_style_tokenizer(enc)
    MPNetModel(MPNetConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                           intermediate_size=64, max_position_embeddings=514)).save_pretrained(enc)
    teacher = tmp_path / "teacher"
    run_cli("train", "techniques", "--data", ptc_dir, "--out", teacher, "--encoder", enc, "--epochs", "1",
            "--batch-size", "4", "--threads", "1", "--max-steps", "2", check=True)
    cfg = json.loads((teacher / "config.json").read_text())
    assert cfg["train"]["encoder"] == "mpnet"
    from spinscope.detect import Detector

    det = Detector(teacher)
    assert (det.cls_id, det.sep_id) == (1, 2)  # [unused0], [unused1]
    det.detect("The senator said the plan would destroy the country.")
    out = tmp_path / "student"
    run_cli("train", "techniques", "--data", ptc_dir, "--out", out, "--tiny", "--epochs", "1", "--batch-size", "4",
            "--threads", "1", "--unlabeled", unlabeled_dir, "--teacher", teacher, check=True)
    # a small ensemble of teachers of two tokenizers: the MPNet one is lined up on the student's tokens
    from spinscope.training.data import load_tokenizer
    from spinscope.training.self_training import read_soft_labels

    labels = tmp_path / "mixed.jsonl.gz"
    run_cli("train", "soft-labels", "--teacher", out, "--teacher", teacher, "--unlabeled", unlabeled_dir, "--out", labels,
            "--threads", "1", check=True)
    tok = load_tokenizer(out)
    for blk in read_soft_labels(labels, tok, None):
        assert blk.probs.shape == (len(blk.ids), 3)
        np.testing.assert_allclose(blk.probs.sum(-1), 1.0, atol=1e-3)


def test_soft_labels_file_reads_back_as_the_teacher_labelled(tiny_model, unlabeled_dir, tmp_path):
    import gzip

    from spinscope.detect.masking import placeholder_ids
    from spinscope.document import InputError
    from spinscope.training.data import load_tokenizer
    from spinscope.training.self_training import label_articles, read_soft_labels, read_unlabeled, write_soft_labels

    tok = load_tokenizer(tiny_model)
    texts = read_unlabeled(unlabeled_dir)
    path = tmp_path / "soft" / "labels.jsonl.gz"
    summary = write_soft_labels([tiny_model], texts, path, threads=1)
    assert summary["articles"] == 2 and summary["blocks"] == 2 and summary["mask"] == []
    assert not list(path.parent.glob("*.part"))
    direct = label_articles(tiny_model, texts, tok, None, threads=1)
    read = read_soft_labels(path, tok, None)
    assert [s.id for s in read] == [s.id for s in direct]
    for a, b in zip(read, direct):
        np.testing.assert_array_equal(a.ids, b.ids)
        np.testing.assert_allclose(a.probs, b.probs, atol=1e-4)
    assert [s.id for s in read_soft_labels(path, tok, None, limit=1)] == ["a1#0"]
    with pytest.raises(InputError, match="masks names otherwise"):
        read_soft_labels(path, tok, placeholder_ids("x", tok))
    (tmp_path / "plain.txt").write_text("not gzip")
    with gzip.open(tmp_path / "other.gz", "wt") as f:
        f.write('{"format": "something else"}\n')
    for bad, message in ((tmp_path / "plain.txt", "unreadable"), (tmp_path / "other.gz", "not a soft-labels file"),
                         (tmp_path / "missing.gz", "no such file")):
        with pytest.raises(InputError, match=message):
            read_soft_labels(bad, tok, None)


def test_train_from_a_soft_labels_file(ptc_dir, tiny_model, unlabeled_dir, tmp_path):
    labels = tmp_path / "labels.jsonl.gz"
    proc = run_cli("train", "soft-labels", "--teacher", tiny_model, "--unlabeled", unlabeled_dir, "--out", labels,
                   "--threads", "1", check=True)
    assert json.loads(proc.stdout)["blocks"] == 2
    out = tmp_path / "student"
    run_cli("train", "techniques", "--data", ptc_dir, "--out", out, "--tiny", "--epochs", "1", "--batch-size", "4",
            "--threads", "1", "--soft-labels", labels, check=True)
    log = [json.loads(line) for line in (out / "train.log.jsonl").read_text().splitlines()]
    st = [e for e in log if e["event"] == "self_training"]
    assert st and st[0]["articles"] == 2 and st[0]["blocks"] == 2
    assert json.loads((out / "config.json").read_text())["train"]["self_training"]["soft_labels"] == str(labels)
    folds = str(tmp_path / "fold{fold}.jsonl.gz")
    proc = run_cli("train", "cv", "--data", ptc_dir, "--out", tmp_path / "cv", "--tiny", "--folds", "2", "--only", "1",
                   "--soft-labels", folds)
    assert proc.returncode == 2 and "fold1.jsonl.gz: no such file" in proc.stderr.decode()


@pytest.mark.parametrize("args, message", [
    (["train", "soft-labels", "--teacher", "/nonexistent", "--unlabeled", ".", "--out", "x.gz"], "not an exported"),
    (["train", "soft-labels", "--teacher", "/nonexistent", "--unlabeled", ".", "--out", "."], "is a folder"),
    (["train", "techniques", "--data", ".", "--out", "m", "--tiny", "--soft-labels", "/nonexistent.gz"], "no such file"),
    (["train", "techniques", "--data", ".", "--out", "m", "--tiny", "--soft-labels", "a.gz", "--teacher", "."],
     "replaces --unlabeled and --teacher"),
])
def test_bad_soft_labels_options_are_one_line_errors(args, message):
    proc = run_cli(*args)
    assert proc.returncode == 2 and message in proc.stderr.decode() and b"Traceback" not in proc.stderr


def test_soft_labels_of_several_teachers_are_their_mean(ptc_dir, tiny_model, unlabeled_dir, tmp_path):
    from spinscope.training.data import load_tokenizer
    from spinscope.training.self_training import label_articles, read_soft_labels, read_unlabeled

    other = tmp_path / "other"
    run_cli("train", "techniques", "--data", ptc_dir, "--out", other, "--tiny", "--epochs", "1", "--batch-size", "4",
            "--threads", "1", "--seed", "5", check=True)
    path = tmp_path / "mean.jsonl.gz"
    proc = run_cli("train", "soft-labels", "--teacher", tiny_model, "--teacher", other, "--unlabeled", unlabeled_dir,
                   "--out", path, "--threads", "1", check=True)
    assert len(json.loads(proc.stdout)["teachers"]) == 2
    tok = load_tokenizer(tiny_model)
    texts = read_unlabeled(unlabeled_dir)
    one, two = (label_articles(t, texts, tok, None, threads=1) for t in (tiny_model, other))
    assert not np.allclose(one[0].probs, two[0].probs, atol=1e-3)  # two different teachers
    for got, a, b in zip(read_soft_labels(path, tok, None), one, two):
        np.testing.assert_allclose(got.probs, (a.probs + b.probs) / 2, atol=1e-4)
