"""Shared fixtures: a tiny PTC-format corpus written here, and a tiny model trained on it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# (text, [(technique, phrase), ...]): each phrase is labelled at its first occurrence.
ARTICLES = {
    "900000001": (
        "Council backs bridge deal\n\n"
        "The corrupt council once again betrayed the hardworking families of the town.\n"
        "Critics called the mayor a clown and a liar.\n"
        "Is the deal really legal?\n"
        "Experts agree the bridge will be a total catastrophe.\n",
        [("Loaded_Language", "corrupt"), ("Name_Calling,Labeling", "a clown and a liar"),
         ("Doubt", "Is the deal really legal?"), ("Exaggeration,Minimisation", "a total catastrophe")],
    ),
    "900000002": (
        "Patriots rally downtown\n\n"
        "Real patriots will never surrender our great nation to foreign bureaucrats.\n"
        "Make our town great again!\n"
        "If we do nothing, criminals will flood our streets and destroy our homes.\n"
        "Either you stand with us or you stand with the criminals.\n",
        [("Flag-Waving", "Real patriots will never surrender our great nation"),
         ("Slogans", "Make our town great again!"),
         ("Appeal_to_fear-prejudice", "criminals will flood our streets and destroy our homes"),
         ("Black-and-White_Fallacy", "Either you stand with us or you stand with the criminals")],
    ),
    "900000003": (
        "Taxes and the stadium\n\n"
        "Taxes went up because of the new governor, plain and simple.\n"
        "But what about the stadium the other party wasted millions on?\n"
        "Everyone already knows the truth about this scandal.\n"
        "It is what it is.\n",
        [("Causal_Oversimplification", "Taxes went up because of the new governor"),
         ("Whataboutism,Straw_Men,Red_Herring", "what about the stadium the other party wasted millions on"),
         ("Bandwagon,Reductio_ad_hitlerum", "Everyone already knows the truth"),
         ("Thought-terminating_Cliches", "It is what it is.")],
    ),
    "900000004": (
        "Doctor warns on water\n\n"
        "A famous professor said the water is poisoned, so it must be true.\n"
        "The disaster is a disaster for families and a disaster for children.\n"
        "The shameless officials ignored the brutal facts.\n",
        [("Appeal_to_Authority", "A famous professor said the water is poisoned"),
         ("Repetition", "disaster"), ("Loaded_Language", "shameless"), ("Loaded_Language", "brutal")],
    ),
    "900000005": (
        "Quiet week at the market – prices steady ☕\n\n"
        "Vegetable prices were steady this week, traders said.\n"
        "The market opens at 8 a.m. on Saturdays.\n"
        "Officials described the radical plan as a reckless gamble.\n",
        [("Name_Calling,Labeling", "radical"), ("Loaded_Language", "a reckless gamble")],
    ),
    "900000006": (
        "Union vote\r\n\r\n"
        "The greedy bosses crushed the union vote.\r\n"
        "Workers said the result was “a betrayal of everything we fought for”.\r\n",
        [("Loaded_Language", "greedy"), ("Name_Calling,Labeling", "greedy bosses"),
         ("Loaded_Language", "a betrayal of everything we fought for")],
    ),
}


def write_ptc(folder: Path, ids=None) -> Path:
    (folder / "articles").mkdir(parents=True, exist_ok=True)
    (folder / "labels-tc").mkdir(parents=True, exist_ok=True)
    for aid, (text, labels) in ARTICLES.items():
        if ids and aid not in ids:
            continue
        with open(folder / "articles" / f"article{aid}.txt", "w", encoding="utf-8", newline="") as f:
            f.write(text)
        rows = []
        for tech, phrase in labels:
            s = text.index(phrase)
            rows.append(f"{aid}\t{tech}\t{s}\t{s + len(phrase)}\n")
        with open(folder / "labels-tc" / f"article{aid}.task2-TC.labels", "w", encoding="utf-8") as f:
            f.writelines(rows)
    return folder


@pytest.fixture(scope="session")
def ptc_dir(tmp_path_factory) -> Path:
    return write_ptc(tmp_path_factory.mktemp("ptc"))


def run_cli(*args, input: bytes | None = None, check: bool = False, env=None, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run the real ``spinscope`` command in a subprocess."""
    e = dict(os.environ, PYTHONWARNINGS="ignore", SPINSCOPE_THREADS="1")
    if env:
        e.update(env)
    proc = subprocess.run([sys.executable, "-m", "spinscope.cli", *map(str, args)], input=input,
                          capture_output=True, env=e, cwd=ROOT, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"spinscope {' '.join(map(str, args))} failed ({proc.returncode}):\n{proc.stderr.decode()}")
    return proc


@pytest.fixture(scope="session")
def tiny_model(ptc_dir, tmp_path_factory) -> Path:
    """A tiny random-encoder model trained for a few steps by the real ``spinscope train``."""
    pytest.importorskip("torch")
    out = tmp_path_factory.mktemp("model") / "tiny"
    run_cli("train", "techniques", "--data", ptc_dir, "--out", out, "--tiny", "--epochs", "2",
            "--batch-size", "4", "--threads", "1", "--threshold", "0.9", check=True)
    return out
