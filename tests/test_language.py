"""The "does not look like English" note (spinscope.language) and where readers see it."""

import json

import pytest

import spinscope
from conftest import ROOT, run_cli
from spinscope.language import english_share, language_note

GERMAN = ("Die korrupte Regierung hat die hart arbeitenden Familien dieser Stadt wieder einmal verraten. "
          "Echte Patrioten werden sich diesen Eliten niemals beugen, die nur an ihren eigenen Vorteil denken. "
          "Jeder weiß, dass der Bürgermeister über die Brücke gelogen hat.")
SPANISH = ("El gobierno corrupto ha vuelto a traicionar a las familias trabajadoras de esta ciudad. Los verdaderos "
           "patriotas nunca se rendirán ante estas élites que solo piensan en su propio beneficio.")
FRENCH = ("Le gouvernement corrompu a encore une fois trahi les familles travailleuses de cette ville. Les vrais "
          "patriotes ne se rendront jamais devant ces élites qui ne pensent qu'à leur propre intérêt.")
CHINESE = "腐败的政府再一次背叛了这个城市里辛勤工作的家庭。真正的爱国者永远不会向这些只考虑自己利益的精英屈服。" * 3
NAMES = ("Top Congressional Democrats Nancy Pelosi, Chuck Schumer, Adam Schiff and Mark Warner penned a joint letter "
         "to ODNI Director Dan Coates, Deputy AG Rod Rosenstein and FBI Director Christopher Wray on Monday about it.")
SAMPLE = (ROOT / "spinscope" / "samples" / "sample_article.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("text", [GERMAN, SPANISH, FRENCH, CHINESE])
def test_other_languages_get_a_note(text):
    note = language_note(text)
    assert note and note.startswith("the text does not look like English")


@pytest.mark.parametrize("text", [SAMPLE, NAMES, "Real patriots will never surrender!", "Die Regierung lügt.", ""])
def test_english_and_short_texts_get_none(text):
    assert language_note(text) is None


def test_share_counts_lowercase_words_only():
    assert english_share("The Mayor of London") == (1.0, 1, 2)  # only "of" counts
    assert english_share("it’s over") == (1.0, 2, 8)  # a curly apostrophe reads as a straight one
    assert english_share("123 ... !!!") == (0.0, 0, 0)
    links = " ".join(f"https://www.example.com/news/story-{i} @someone{i} #tagged{i} me{i}@mail.example.org" for i in range(30))
    assert english_share(links) == (0.0, 0, 0) and language_note(links + " " + NAMES) is None


def test_the_analysis_and_every_output_carry_it(tmp_path):
    a = spinscope.analyze(GERMAN, entities=False)  # the shipped model, as the command uses
    assert a.notes == [language_note(GERMAN)] and a.as_dict()["notes"] == a.notes
    assert spinscope.analyze(SAMPLE, entities=False).notes == []
    f = tmp_path / "de.txt"
    f.write_text(GERMAN, encoding="utf-8")
    proc = run_cli("analyze", str(f), "--format", "json", "--no-entities", check=True)
    assert json.loads(proc.stdout)["notes"] == a.notes
    assert proc.stderr.decode().strip() == f"spinscope: {f}: note: {a.notes[0]}"
    proc = run_cli("analyze", str(f), "--no-entities", check=True)
    assert b"Note: the text does not look like English" in proc.stdout and proc.stderr == b""
    from spinscope.render.html import render_html

    assert 'class="note" role="note">Note: the text does not look like English' in render_html(a)
