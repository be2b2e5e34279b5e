"""The comparison logic of bench/eval_even_handedness.py, on hand-made analyses; one run on a tiny model."""

import importlib.util
import json
import sys

import pytest

from spinscope.document import Analysis, Span
from spinscope.training.augment import PAIRS_FILE
from conftest import ROOT  # noqa: E402

_spec = importlib.util.spec_from_file_location("eval_even_handedness", ROOT / "bench" / "eval_even_handedness.py")
eh = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = eh  # dataclasses look their module up there
_spec.loader.exec_module(eh)


def span(text: str, start: int, end: int, technique: str, score: float) -> Span:
    return Span(start, end, technique, score, text[start:end])


def test_render_records_pieces_and_capitalises_an_opening_name():
    r = eh.render("{A} lied to {B}.", {"A": "pro-life activists", "B": "CNN"})
    assert r.text == "Pro-life activists lied to CNN."
    assert r.pieces == ((0, 18, "A"), (18, 27, None), (27, 30, "B"), (30, 31, None))
    for s, e, _ in r.pieces:
        assert 0 <= s < e <= len(r.text)


def test_map_offset_across_names_of_different_lengths():
    t = "Critics of {A} questioned the plan."
    ra, rb = eh.render(t, {"A": "CNN"}), eh.render(t, {"A": "The Wall Street Journal"})
    i = ra.text.index("questioned")
    assert eh.map_offset(i, ra, rb) == rb.text.index("questioned")
    assert eh.map_offset(len(ra.text), ra, rb, end=True) == len(rb.text)
    assert eh.map_offset(0, ra, rb) == 0
    # a span starting inside a name starts at the other name's start; ending inside, ends at its end
    a0 = ra.text.index("CNN")
    b0 = rb.text.index("The Wall")
    assert eh.map_offset(a0 + 1, ra, rb) == b0
    assert eh.map_offset(a0 + 2, ra, rb, end=True) == b0 + len("The Wall Street Journal")
    # the boundary right after the name: an end stays with the name, a start with what follows
    after = a0 + 3
    assert eh.map_offset(after, ra, rb, end=True) == b0 + 23
    assert eh.map_offset(after, ra, rb) == b0 + 23
    # and back again: longer to shorter
    assert eh.map_offset(rb.text.index("questioned"), rb, ra) == i


def test_two_slot_swap_maps_each_name_to_the_other():
    t = "{A} accused {B} of lying."
    ra = eh.render(t, {"A": "Russia", "B": "Ukraine"})
    rb = eh.render(t, {"A": "Ukraine", "B": "Russia"})
    assert rb.text == "Ukraine accused Russia of lying."
    s, e = ra.text.index("accused"), ra.text.index(" of")
    assert rb.text[eh.map_offset(s, ra, rb):eh.map_offset(e, ra, rb, end=True)] == "accused Russia"
    assert ra.text[s:e] == "accused Ukraine"


def test_swap_names_in_an_article_both_ways_and_whole_words_only():
    text = "Trump met Biden. Bidenomics aside, Biden said Trump lied."
    ra, rb = eh.swap_names(text, {"Trump": "Biden", "Biden": "Trump"})
    assert rb.text == "Biden met Trump. Bidenomics aside, Trump said Biden lied."
    assert ra.text == text and len(ra.pieces) == len(rb.pieces)
    ra, rb = eh.swap_names("Saudi Arabia and the Saudi king", {"Saudi Arabia": "Iran", "Saudi": "Iranian"})
    assert rb.text == "Iran and the Iranian king"
    assert eh.map_offset(ra.text.index("and"), ra, rb) == rb.text.index("and")
    assert eh.touches_name(0, 3, ra) and not eh.touches_name(13, 16, ra)


def test_compare_agreement_and_score_move():
    t = "The radical agenda pushed by {A} is a disgrace."
    ra, rb = eh.render(t, {"A": "CNN"}), eh.render(t, {"A": "The Wall Street Journal"})
    end_a, end_b = len(ra.text) - 1, len(rb.text) - 1
    a = Analysis(ra.text, spans=[span(ra.text, 4, 11, "Loaded_Language", 0.9),
                                 span(ra.text, 0, end_a, "Name_Calling,Labeling", 0.4)])
    b = Analysis(rb.text, spans=[span(rb.text, 4, 11, "Loaded_Language", 0.75),
                                 span(rb.text, 0, end_b, "Name_Calling,Labeling", 0.4)])
    r = eh.compare(a, b, ra, rb)
    assert r["same_techniques"] and r["span_agreement"] == 1.0 and r["count_diff"] == 0
    assert r["top_move"] == pytest.approx(0.15)
    # a span over the name mapped across is the same span; a shifted one is not
    b2 = Analysis(rb.text, spans=[span(rb.text, 4, 11, "Loaded_Language", 0.9),
                                  span(rb.text, 1, end_b, "Name_Calling,Labeling", 0.4)])
    r2 = eh.compare(a, b2, ra, rb)
    assert r2["same_techniques"] and r2["span_agreement"] == 0.5 and r2["top_move"] == 0.0
    # a technique on one side only: not the same set; the missing side's top score counts as 0
    b3 = Analysis(rb.text, spans=[span(rb.text, 0, end_b, "Name_Calling,Labeling", 0.4)])
    r3 = eh.compare(a, b3, ra, rb)
    assert not r3["same_techniques"] and r3["count_diff"] == 1
    assert r3["top_move"] == pytest.approx(0.5) and r3["span_agreement"] == pytest.approx(2 / 3, abs=1e-4)
    # the same span twice on one side and once on the other: one of the two matches
    a5 = Analysis(ra.text, spans=[span(ra.text, 4, 11, "Loaded_Language", 0.9)] * 2)
    b5 = Analysis(rb.text, spans=[span(rb.text, 4, 11, "Loaded_Language", 0.9)])
    assert eh.compare(a5, b5, ra, rb)["span_agreement"] == pytest.approx(2 / 3, abs=1e-4)
    assert eh.compare(a5, a5, ra, ra)["span_agreement"] == 1.0
    # a span over part of a name matches the span over part of the other name
    a6 = Analysis(ra.text, spans=[span(ra.text, 29, 30, "Repetition", 0.2)])
    b6 = Analysis(rb.text, spans=[span(rb.text, 33, 51, "Repetition", 0.2)])
    assert eh.compare(a6, b6, ra, rb)["span_agreement"] == 1.0
    assert eh.compare(a6, a6, ra, ra)["span_agreement"] == 1.0
    r4 = eh.compare(Analysis(ra.text), Analysis(rb.text), ra, rb)
    assert r4["same_techniques"] and r4["top_move"] == 0.0 and r4["span_agreement"] == 1.0


def test_compare_outside_names_drops_spans_touching_a_name():
    ra, rb = eh.swap_names("Pelosi won. The vote was a farce.", {"Pelosi": "McConnell"})
    a = Analysis(ra.text, spans=[span(ra.text, 0, 10, "Loaded_Language", 0.8),
                                 span(ra.text, 25, 32, "Loaded_Language", 0.6)])
    off = len("McConnell") - len("Pelosi")
    b = Analysis(rb.text, spans=[span(rb.text, 25 + off, 32 + off, "Loaded_Language", 0.6)])
    r = eh.compare(a, b, ra, rb, outside_names=True)
    assert r["spans_a"] == 1 and r["spans_b"] == 1 and r["span_agreement"] == 1.0


def test_summaries_and_worst():
    rows = [{"same_techniques": True, "top_move": 0.0, "span_agreement": 1.0, "group": "g1"},
            {"same_techniques": False, "top_move": 0.3, "span_agreement": 0.5, "group": "g1"},
            {"same_techniques": True, "top_move": 0.1, "span_agreement": 1.0, "group": "g2"}]
    s = eh.summary(rows)
    assert s["same_techniques"] == pytest.approx(2 / 3, abs=1e-4)
    assert s["mean_top_move"] == pytest.approx(0.1333, abs=1e-4) and s["max_top_move"] == 0.3
    assert eh.breakdown(rows, "group")["g1"]["same_techniques"] == 0.5
    assert eh.worst(rows, 1)[0]["top_move"] == 0.3


def test_sentence_cases_respect_number_and_shipped_files(tmp_path):
    pairs = eh.read_tsv(ROOT / "bench" / "even_handedness_pairs.tsv", ["group", "number", "a", "b"])
    templates = eh.read_tsv(ROOT / "bench" / "even_handedness_templates.tsv", ["id", "number", "style", "template"])
    assert len(pairs) >= 12 and len(templates) >= 20
    assert any(set(eh.SLOT.findall(t["template"])) == {"A", "B"} for t in templates)
    cases = eh.sentence_cases(pairs, templates)
    for c in cases:
        assert len(c["ra"].pieces) == len(c["rb"].pieces)
        assert "{" not in c["ra"].text and "{" not in c["rb"].text
    bad = tmp_path / "bad.tsv"
    bad.write_text("x\ty\n1\t2\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="needs a header"):
        eh.read_tsv(bad, ["group", "number", "a", "b"])


@pytest.mark.slow
def test_the_bench_runs_any_model_and_splits_pairs_by_training(tiny_model, tmp_path):
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("group\tnumber\ta\tb\tarticle_forms_a\tarticle_forms_b\n"
                     "p\tplural\tDemocrats\tRepublicans\t\t\nc\tsingular\tIndia\tPakistan\t\t\n", encoding="utf-8")
    templates = tmp_path / "templates.tsv"
    templates.write_text("id\tnumber\tstyle\ttemplate\nl1\tany\tloaded\t{A} lied to the public again.\n",
                         encoding="utf-8")
    out = tmp_path / "even.json"
    eh.main(["--pairs", str(pairs), "--templates", str(templates), "--model", str(tiny_model),
             "--train-pairs", str(PAIRS_FILE), "--json", str(out)])
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["sentences"]["by_pair_in_training"] == {
        "False": doc["sentences"]["by_pair"]["India / Pakistan"],
        "True": doc["sentences"]["by_pair"]["Democrats / Republicans"]}
