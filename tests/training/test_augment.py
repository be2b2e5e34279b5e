"""Name-swap augmentation and resumable training: offsets carried across swaps, a stopped run resumed."""

import json

import numpy as np
import pytest

from spinscope.document import InputError
from spinscope.training import augment
from tests.conftest import run_cli

PAIR = augment.ActorPair("test", ("Joe Biden", "Biden", "Democrats"), ("Donald Trump", "Trump", "Republicans"))


def test_swap_exchanges_both_sides_and_carries_the_labels():
    text = "Biden said Democrats lie. Trump said Republicans never lie, and Joe Biden is a fool."
    labels = [("Loaded_Language", text.index("lie"), text.index("lie") + 3),
              ("Name_Calling,Labeling", text.index("Joe Biden is a fool"), len(text) - 1),
              ("Doubt", text.index("Trump"), text.index("Trump") + len("Trump said"))]
    new, moved = augment.swap(text, labels, PAIR)
    assert new == "Trump said Republicans lie. Biden said Democrats never lie, and Donald Trump is a fool."
    got = {t: new[s:e] for t, s, e in moved}
    assert got == {"Loaded_Language": "lie", "Name_Calling,Labeling": "Donald Trump is a fool",
                   "Doubt": "Biden said"}


def test_a_boundary_inside_a_name_goes_to_the_name_s_edge():
    text = "Vote for Joe Biden today."
    s, e = text.index("Biden"), text.index("today") + 5  # starts inside "Joe Biden"
    new, moved = augment.swap(text, [("Slogans", s, e)], PAIR)
    assert new[moved[0][1]:moved[0][2]] == "Donald Trump today"


def test_names_inside_other_words_are_left_alone_and_absent_pairs_give_no_version():
    text = "Bidenomics and Trumpet players."
    assert augment.swap(text, [], PAIR)[0] == text
    assert augment.variants(text, [], [PAIR]) == []


def test_the_shipped_pairs_load_and_each_form_maps_back():
    pairs = augment.load_pairs()
    assert len(pairs) >= 20
    for p in pairs:
        m = p.mapping()
        for a, b in zip(p.a, p.b):
            assert m[a] == b and m[b] in p.a


def test_a_bad_pairs_file_is_one_error(tmp_path):
    bad = tmp_path / "pairs.tsv"
    bad.write_text("group\ta\tb\nx\tone|two\tthree\n", encoding="utf-8")
    with pytest.raises(InputError, match="same number of forms"):
        augment.load_pairs(bad)
    with pytest.raises(InputError, match="cannot read"):
        augment.load_pairs(tmp_path / "missing.tsv")


def test_choose_reads_the_original_or_a_version():
    import random

    rng = random.Random(1)
    picks = [augment.choose(rng, 2, 0.5) for _ in range(400)]
    assert set(picks) == {-1, 0, 1} and 150 < picks.count(-1) < 250
    assert augment.choose(rng, 0, 1.0) == -1


@pytest.mark.slow
def test_a_stopped_training_resumes_to_the_same_model(ptc_dir, tiny_model, tmp_path):
    pytest.importorskip("torch")
    out = tmp_path / "resumed"
    args = ("train", "techniques", "--data", ptc_dir, "--out", out, "--tiny", "--epochs", "2",
            "--batch-size", "4", "--threads", "1", "--threshold", "0.9")
    first = run_cli(*args, "--time-limit", "0.0001")
    assert first.returncode == 3 and b"run the same command again to resume" in first.stderr
    assert (out / "checkpoint.pt").exists() and not (out / "tc_head.npz").exists()
    run_cli(*args, check=True)
    assert not (out / "checkpoint.pt").exists()
    events = [json.loads(line)["event"] for line in (out / "train.log.jsonl").read_text().splitlines()]
    assert "checkpoint" in events and "resume" in events
    a, b = np.load(tiny_model / "tc_head.npz"), np.load(out / "tc_head.npz")  # tiny_model: the same run, unbroken
    np.testing.assert_array_equal(a["weight"], b["weight"])
    other = tmp_path / "other"
    assert run_cli(*args[:5], other, *args[6:], "--time-limit", "0.0001").returncode == 3
    clash = run_cli(*args[:5], other, *args[6:], "--lr", "1e-3")
    assert clash.returncode == 2 and b"other settings" in clash.stderr and b"Traceback" not in clash.stderr


@pytest.mark.slow
def test_training_with_swapped_names_logs_its_versions(ptc_dir, tmp_path):
    pytest.importorskip("torch")
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("group\ta\tb\ntown\tcouncil|mayor\tcommittee|governor\n", encoding="utf-8")
    out = tmp_path / "swap"
    run_cli("train", "techniques", "--data", ptc_dir, "--out", out, "--tiny", "--epochs", "2", "--batch-size", "4",
            "--threads", "1", "--swap-names", pairs, "--swap-prob", "1", check=True)
    log = [json.loads(line) for line in (out / "train.log.jsonl").read_text().splitlines()]
    swap = next(r for r in log if r["event"] == "swap_names")
    assert swap["pairs"] == 1 and swap["articles"] >= 2 and swap["versions"] == swap["articles"]
    bad = run_cli("train", "techniques", "--data", ptc_dir, "--out", tmp_path / "x", "--tiny", "--swap-names",
                  tmp_path / "none.tsv")
    assert bad.returncode == 2 and b"cannot read the actor pairs" in bad.stderr and b"Traceback" not in bad.stderr
