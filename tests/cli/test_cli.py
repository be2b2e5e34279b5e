"""The real ``spinscope`` command with the shipped model."""

import json
import subprocess
import sys

import pytest

from conftest import ROOT, run_cli

SAMPLE = ROOT / "spinscope" / "samples" / "sample_article.txt"
SCHEMA = json.loads((ROOT / "spinscope" / "analysis.schema.json").read_text())


@pytest.fixture(scope="module")
def sample_json():
    proc = run_cli("analyze", SAMPLE, "--format", "json", check=True)
    return json.loads(proc.stdout)


def test_json_follows_schema_and_offsets(sample_json):
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(sample_json, SCHEMA)
    text = SAMPLE.read_text(encoding="utf-8")
    assert sample_json["text"] == text
    assert sample_json["id"] == "sample_article"
    assert sample_json["spans"], "the sample article is full of techniques; the model should find some"
    for s in sample_json["spans"]:
        assert text[s["start"] : s["end"]] == s["text"]
        assert s["explanation"].strip()
        # the technique is the classifier's choice: no runner-up has a higher probability
        assert 0 < s["technique_score"] <= 1 and all(a["score"] <= s["technique_score"] for a in s["alternatives"])
    assert sample_json["notes"] == []


def test_text_output_is_readable():
    out = run_cli("analyze", SAMPLE, "--min-score", "0", check=True).stdout.decode()
    assert "sample_article.txt" in out and "words" in out and "Techniques:" in out
    assert "\x1b[" not in out  # plain when piped
    default = run_cli("analyze", SAMPLE, check=True).stdout.decode()  # spans under 30% hidden, and counted
    assert "words" in default and ("Techniques:" in default or "--min-score 0 shows them" in default)


@pytest.mark.slow
def test_ptc_formats_and_ids(tmp_path, sample_json):
    art = tmp_path / "article123456.txt"
    art.write_bytes(SAMPLE.read_bytes())
    si = run_cli("analyze", art, "--format", "ptc-si", check=True).stdout.decode().splitlines()
    tc = run_cli("analyze", art, "--format", "ptc-tc", check=True).stdout.decode().splitlines()
    assert len(si) == len(tc) == len(sample_json["spans"])
    for a, b, s in zip(si, tc, sample_json["spans"]):
        assert a == f"123456\t{s['start']}\t{s['end']}"
        assert b == f"123456\t{s['technique']}\t{s['start']}\t{s['end']}"


def test_stdin_and_output_file(tmp_path, sample_json):
    out = tmp_path / "o.json"
    run_cli("analyze", "-", "--format", "json", "-o", out, input=SAMPLE.read_bytes(), check=True)
    doc = json.loads(out.read_text())
    assert doc["id"] == "stdin"
    assert doc["spans"] == sample_json["spans"]


@pytest.mark.slow
def test_folder_batch_matches_single_files(tmp_path):
    texts = {
        "article1.txt": SAMPLE.read_text(encoding="utf-8"),
        "article2.txt": "Quiet day. The shameless, corrupt regime lied again and again to the people.\n",
        "article3.txt": "",
    }
    for name, t in texts.items():
        (tmp_path / name).write_text(t, encoding="utf-8")
    batch = run_cli("analyze", tmp_path, "--format", "ptc-tc", check=True)
    single = b"".join(run_cli("analyze", tmp_path / n, "--format", "ptc-tc", check=True).stdout for n in sorted(texts))
    assert batch.stdout == single
    assert b"[3/3]" in batch.stderr  # progress for many files


@pytest.mark.slow
def test_folder_batch_json_matches_single_files_with_entities(tmp_path):
    # several inputs go through analyze_many (spaCy in a second thread): same entities and targets
    texts = {
        "article7.txt": "The corrupt regime of Bashar al-Assad gassed its own people, said the CIA.\n",
        "article8.txt": "Critics called Mayor John Smith a clown and a liar in Boston.\n",
        "article9.txt": SAMPLE.read_text(encoding="utf-8"),
    }
    for name, t in texts.items():
        (tmp_path / name).write_text(t, encoding="utf-8")
    batch = [json.loads(line) for line in run_cli("analyze", tmp_path, "--format", "json", "-q", check=True).stdout.splitlines()]
    single = [json.loads(run_cli("analyze", tmp_path / n, "--format", "json", check=True).stdout) for n in sorted(texts)]
    assert batch == single
    assert all(d["entities"] for d in batch) and any(s.get("target") for d in batch for s in d["spans"])


def test_bad_inputs_get_one_clear_line_and_exit_2(tmp_path):
    good = tmp_path / "good.txt"
    good.write_text("The corrupt elite betrayed us all.", encoding="utf-8")
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    latin = tmp_path / "latin1.txt"
    latin.write_bytes("café au lait".encode("latin-1"))
    proc = run_cli("analyze", binary, latin, tmp_path / "missing.txt", good, "--format", "ptc-si", "-q")
    assert proc.returncode == 2
    err = proc.stderr.decode()
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 3
    assert "binary.txt" in lines[0] and "binary" in lines[0]
    assert "latin1.txt" in lines[1] and "not UTF-8" in lines[1]
    assert "missing.txt" in lines[2]
    assert proc.stdout.decode().startswith("good\t") or proc.stdout == b""  # the good file was processed


def test_file_names_with_control_characters_reach_stderr_harmlessly(tmp_path):
    evil = tmp_path / "evil\x1b]0;pwned\x07.txt"
    evil.write_bytes(b"\xff")
    (tmp_path / "ok.txt").write_text("Fine.", encoding="utf-8")
    proc = run_cli("analyze", tmp_path, "--format", "ptc-si")
    err = proc.stderr.decode()
    assert proc.returncode == 2 and "Traceback" not in err
    assert "\x1b" not in err and "\x07" not in err
    assert "evil␛]0;pwned␇.txt" in err and "[1/2]" in err  # in the progress line and in the error


def test_a_pipe_in_a_folder_is_skipped_not_waited_on(tmp_path):
    import os

    (tmp_path / "good.txt").write_text("The corrupt elite betrayed us all.", encoding="utf-8")
    os.mkfifo(tmp_path / "pipe.txt")  # no writer: reading it would wait forever
    proc = run_cli("analyze", tmp_path, "--format", "ptc-si", "-q", timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.decode().strip() == f"spinscope: {tmp_path / 'pipe.txt'}: not a regular file (a pipe, socket or device); skipped"


def test_empty_and_whitespace_give_empty_analysis():
    for data in (b"", b"   \n\t  \n"):
        doc = json.loads(run_cli("analyze", "-", "--format", "json", input=data, check=True).stdout)
        assert doc["spans"] == [] and doc["sentences"] == []


def test_html_with_scripts_is_just_text():
    text = b'<script>alert(1)</script> <img src=x onerror=alert(2)> The corrupt regime lied.'
    doc = json.loads(run_cli("analyze", "-", "--format", "json", input=text, check=True).stdout)
    assert doc["text"] == text.decode()


def test_a_page_with_no_article_body_gets_a_note(tmp_path):
    from spinscope.inputs.html import NO_BODY_NOTE

    menu = tmp_path / "menu.html"
    menu.write_text("<html><body><aside><a href='/'>Home</a></aside><aside>The corrupt elites lied.</aside></body></html>",
                    encoding="utf-8")
    article = tmp_path / "article.html"
    article.write_text("<html><body><nav>Home</nav><article><p>" + "The corrupt council lied to us again. " * 12
                       + "</p></article></body></html>", encoding="utf-8")
    proc = run_cli("analyze", str(menu), str(article), "--format", "json", "-q", "--no-entities", check=True)
    docs = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert docs[0]["notes"] == [NO_BODY_NOTE] and docs[0]["text"] == "Home\n\nThe corrupt elites lied.\n"
    assert docs[1]["notes"] == [] and "Home" not in docs[1]["text"]
    assert proc.stderr.decode().splitlines() == [f"spinscope: {menu}: note: {NO_BODY_NOTE}"]
    text = run_cli("analyze", str(menu), "--no-entities", check=True)  # the text output shows it itself
    assert b"Note: no article body found" in text.stdout and text.stderr == b""
    for doc in docs:
        jsonschema = pytest.importorskip("jsonschema")
        jsonschema.validate(doc, SCHEMA)


def test_usage_errors_do_not_trace():
    proc = run_cli("analyze")
    assert proc.returncode == 2 and b"usage" in proc.stderr and b"Traceback" not in proc.stderr
    proc = run_cli("analyze", "--format", "nope", "x")
    assert proc.returncode == 2 and b"Traceback" not in proc.stderr


def test_api_analyze_empty_and_types():
    import spinscope

    assert spinscope.analyze("").spans == []
    with pytest.raises(TypeError):
        spinscope.analyze(b"bytes")


def test_the_command_runs_without_importing_torch():
    # thinc would import PyTorch (installed by the training extras) just to look: a second of start-up
    import subprocess
    import sys

    code = ("import sys; sys.argv = ['spinscope', 'analyze', '-', '--format', 'json']; "
            "from spinscope.cli import run; rc = run(); "
            "print('real torch' if getattr(sys.modules.get('torch'), '__file__', None) else 'no torch', file=sys.stderr); "
            "sys.exit(rc)")
    proc = subprocess.run([sys.executable, "-c", code], input=b"The corrupt regime of Assad lied in Paris.",
                          capture_output=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr.decode()
    assert json.loads(proc.stdout)["entities"]  # spaCy ran
    assert proc.stderr.decode().strip().endswith("no torch")


def test_python_dash_m_spinscope_runs_the_command():
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "spinscope", "--version"], capture_output=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.decode().startswith("spinscope ")


def test_commands_outside_the_one_run_are_listed_with_their_real_help_lines():
    import argparse

    from spinscope.cli import COMMANDS, build_parser, command_of

    def lines(parser):
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        return {c.dest: c.help for c in sub._choices_actions}, sub.choices

    full, full_parsers = lines(build_parser())
    lean, lean_parsers = lines(build_parser("analyze"))
    assert lean == full and list(COMMANDS) == list(full)
    # only the command being run gets its whole parser
    assert lean_parsers["corpus"]._actions[-1].dest != "corpus_command"
    assert full_parsers["corpus"].format_help() == lines(build_parser("corpus"))[1]["corpus"].format_help()
    assert command_of(["--quiet", "corpus", "add"]) == "corpus" and command_of(["--help"]) is None


def modules_after_analyze(fmt: str) -> set[str]:
    """The modules a run of ``spinscope analyze - --format FMT`` (techniques only) has imported."""
    import subprocess
    import sys

    code = (f"import sys; from spinscope.cli import main; rc = main(['analyze', '-', '--format', '{fmt}', "
            "'--no-entities', '--no-claims']); print(' '.join(sys.modules), file=sys.stderr); sys.exit(rc)")
    proc = subprocess.run([sys.executable, "-c", code], input=b"The corrupt regime lied.", capture_output=True,
                          cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr.decode()
    return set(proc.stderr.decode().strip().splitlines()[-1].split())


def test_analyze_imports_no_other_commands_modules():
    loaded = modules_after_analyze("ptc-si")
    assert not loaded & {"spinscope.corpus", "spinscope.web", "spinscope.web.app", "spinscope.training.claims",
                         "spinscope.training.techniques", "spinscope.cli.corpus", "spinscope.cli.serve", "torch"}
    helptext = run_cli("--help", check=True).stdout.decode()
    for name in ("analyze", "corpus", "serve", "claims", "train"):
        assert name in helptext
    assert "ACTION" in run_cli("corpus", "--help", check=True).stdout.decode()


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_output_into_a_pipe_closed_early_ends_quietly_with_status_0(tmp_path, fmt):
    import os
    import subprocess
    import sys

    big = tmp_path / "big.txt"  # output well over a pipe's 64 KB buffer, so the writer meets the closed pipe
    big.write_text("\n\n".join([SAMPLE.read_text(encoding="utf-8")] * 30), encoding="utf-8")
    cmd = (f'set -o pipefail; "{sys.executable}" -m spinscope.cli analyze "{big}" --format {fmt} '
           f'--no-entities --no-claims | head -c 100 > /dev/null')
    proc = subprocess.run(["bash", "-c", cmd], capture_output=True, cwd=ROOT, timeout=300,
                          env=dict(os.environ, SPINSCOPE_THREADS="1"))
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stderr == b""


def test_json_output_does_not_import_rich():
    assert not any(m.startswith("rich") for m in modules_after_analyze("json"))


@pytest.mark.parametrize("what", ["techniques", "cv"])
def test_train_without_the_training_extras_is_one_line(what, tmp_path):
    code = ("import sys; sys.modules['torch'] = None; sys.modules['transformers'] = None; "
            f"sys.path.insert(0, {str(ROOT)!r}); from spinscope.cli import main; "
            f"sys.exit(main(['train', '{what}', '--data', {str(tmp_path)!r}, '--out', {str(tmp_path / 'out')!r}]))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120)
    lines = r.stderr.decode().strip().splitlines()
    assert r.returncode == 2 and len(lines) == 1 and "pip install 'spinscope[train]'" in lines[0], r.stderr.decode()
