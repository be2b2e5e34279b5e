"""Name masking: which words count as names, and the token replacement that keeps offsets exact."""

import json
import shutil

import numpy as np
import pytest

from spinscope.detect import Detector
from spinscope.detect.masking import (encode, mask_tokens, merge_mentions, name_mentions, placeholder_ids,
                                      side_mentions)
from spinscope.errors import ModelError


def names(text: str) -> list[str]:
    return [text[s:e] for s, e in name_mentions(text)]


def test_runs_of_capitalised_words_are_one_name():
    assert names("Yesterday Joe Biden met Fox News in New York.") == ["Joe Biden", "Fox News", "New York"]
    assert names("New York is big.") == ["York"]  # an opening common word is not read as a name


def test_sentence_initial_common_words_are_not_names_but_initial_names_are():
    assert names("Once again, Russia lied. Critics of Ukraine spoke. Ukraine said no.") == ["Russia", "Ukraine", "Ukraine"]
    assert names("The New York Times reported it.") == ["New York Times"]
    assert names("“China lied,” he said. (India did not.)") == ["China", "India"]


def test_capitals_and_title_case_lines_only_mask_uncommon_words():
    assert names("THIS IS A DISGRACE, says CNN.") == ["CNN"]
    title = "Border Wall Funding Fight Heads Into Final Week\n\nIt was quiet."
    assert names(title) == []


def test_pronoun_i_and_technique_words_stay():
    assert names("I think Hitler and the Nazis were worse than Stalin.") == []
    assert names("pro-Trump voters") == ["Trump"]


def test_side_words_are_plural_camps_and_wing_forms_in_any_case():
    text = "Progressives and pro-life activists met right-wing Conservatives about a conservative estimate."
    assert [text[s:e] for s, e in side_mentions(text)] == ["Progressives", "pro-life", "right-wing", "Conservatives"]
    assert side_mentions("a liberal arts degree, the progressive tax, pro-lifelong learning") == []


def masked_mentions(text: str) -> list[str]:
    """What a model with a side placeholder masks in ``text``: names and sides, adjacent ones joined."""
    return [text[s:e] for s, e in merge_mentions(name_mentions(text), side_mentions(text), text)]


def test_issue_camps_are_side_words():
    text = "Gun-rights groups, gun-control groups and anti-abortion activists; abortion-rights lawyers."
    assert [text[s:e] for s, e in side_mentions(text)] == ["Gun-rights", "gun-control", "anti-abortion", "abortion-rights"]


def test_colour_words_of_race_are_sides_only_before_people_or_names():
    text = "a white man and a Black woman; black voters, White Americans and black Muslims"
    assert [text[s:e] for s, e in side_mentions(text)] == ["white", "Black", "black", "White", "black"]
    assert side_mentions("the black market, a white paper, black and white, the Black Death") == []


def test_black_and_white_americans_are_masked_alike_wherever_they_stand():
    # news style capitalises "Black" and not "white"; a sentence's first word says nothing either
    for text in ("Black Americans said so.", "White Americans said so.", "Polls of Black Americans and white Americans."):
        assert all(m.endswith("Americans") and m.split()[0].lower() in {"black", "white"}
                   for m in masked_mentions(text)), text
    assert masked_mentions("Pro-life Republicans met left-wing Democrats.") == ["Pro-life Republicans", "left-wing Democrats"]
    assert masked_mentions("Angry Americans and angry voters.") == ["Americans"]


def test_a_side_placeholder_masks_camps_alike_and_only_when_asked(tiny_model):
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(tiny_model / "tokenizer.json"))
    tok.no_padding()
    with_sides = placeholder_ids({"name": "[UNK]", "side": "[UNK]"}, tok)
    names_only = placeholder_ids("[UNK]", tok)
    assert "side" in with_sides and "side" not in names_only
    a, b = "Even progressives said so.", "Even conservatives said so."
    ia, oa = encode(tok, a, with_sides)
    ib, ob = encode(tok, b, with_sides)
    assert ia.tolist() == ib.tolist() and a[oa[1][0]:oa[1][1]] == "progressives" and b[ob[1][0]:ob[1][1]] == "conservatives"
    assert encode(tok, a, names_only)[0].tolist() != encode(tok, b, names_only)[0].tolist()
    with pytest.raises(ValueError, match="side"):
        placeholder_ids({"name": "[UNK]", "party": "[UNK]"}, tok)


def test_mask_tokens_collapses_each_mention_to_one_token_with_its_offsets():
    ids = np.array([10, 11, 12, 13, 14])
    offsets = np.array([[0, 3], [4, 7], [7, 10], [11, 15], [16, 19]])  # "the Bid en said foo"
    new_ids, new_offsets = mask_tokens(ids, offsets, [(4, 10), (16, 19)], 99)
    assert new_ids.tolist() == [10, 99, 13, 99]
    assert new_offsets.tolist() == [[0, 3], [4, 10], [11, 15], [16, 19]]
    same_ids, same_offsets = mask_tokens(ids, offsets, [], 99)
    assert same_ids is ids and same_offsets is offsets


def masked_copy(model_dir, tmp_path, word):
    out = tmp_path / "masked"
    shutil.copytree(model_dir, out)
    cfg = json.loads((out / "config.json").read_text())
    cfg["mask_names"] = word
    (out / "config.json").write_text(json.dumps(cfg))
    return out


def test_masked_detector_labels_opposing_names_alike_with_exact_offsets(tiny_model, tmp_path):
    det = Detector(masked_copy(tiny_model, tmp_path, "[UNK]"), threads=1)
    assert det.info["mask_names"] is True and det.info["mask_sides"] is False
    a = "Everyone knows that Joe Biden lies to the public, and Joe Biden will destroy us all."
    b = "Everyone knows that Donald Trump lies to the public, and Donald Trump will destroy us all."
    sa, sb = det.detect(a, threshold=1.01), det.detect(b, threshold=1.01)
    assert sa and len(sa) == len(sb)
    for x, y in zip(sa, sb):
        assert x.technique == y.technique and x.score == pytest.approx(y.score, abs=1e-6)
    for text, spans in ((a, sa), (b, sb)):
        for s in spans:
            assert text[s.start : s.end] == s.text
    plain = Detector(tiny_model, threads=1)
    assert plain.info["mask_names"] is False
    pa, pb = plain.detect(a, threshold=1.01), plain.detect(b, threshold=1.01)  # unmasked, the names count
    assert [(s.technique, round(s.score, 6)) for s in pa] != [(s.technique, round(s.score, 6)) for s in pb]


def test_a_detector_with_a_side_placeholder_reads_opposing_camps_alike(tiny_model, tmp_path):
    det = Detector(masked_copy(tiny_model, tmp_path, {"name": "[UNK]", "side": "[UNK]"}), threads=1)
    assert det.info["mask_names"] is True and det.info["mask_sides"] is True
    a = "The radical agenda pushed by progressives is a disgrace and a threat to every decent family."
    b = a.replace("progressives", "conservatives")
    sa, sb = det.detect(a, threshold=1.01), det.detect(b, threshold=1.01)
    assert sa and [(s.technique, round(s.score, 6)) for s in sa] == [(s.technique, round(s.score, 6)) for s in sb]
    assert all(b[s.start:s.end] == s.text for s in sb) and all(a[s.start:s.end] == s.text for s in sa)


def test_a_placeholder_outside_the_vocabulary_is_refused(tiny_model, tmp_path):
    with pytest.raises(ModelError, match="mask_names"):
        Detector(masked_copy(tiny_model, tmp_path, "notawordpiece##"), threads=1)


def test_training_with_masked_names_exports_a_model_that_masks(ptc_dir, tmp_path):
    """``train techniques --mask-names`` and ``train classifier --mask-names``: the exported
    model masks as it was trained, and a classifier trained with another mask is refused."""
    pytest.importorskip("torch")
    from conftest import run_cli

    mask = '{"name": "x", "country": "country"}'
    model = tmp_path / "m"
    run_cli("train", "techniques", "--data", ptc_dir, "--out", model, "--tiny", "--epochs", "1", "--batch-size", "4",
            "--threads", "1", "--max-steps", "2", "--mask-names", mask, check=True)
    cfg = json.loads((model / "config.json").read_text())
    assert cfg["mask_names"] == {"name": "x", "country": "country"}
    det = Detector(model, threads=1)
    assert det.mask_ids["country"] != det.mask_ids["name"] == det.mask_ids["nationality"]
    run_cli("train", "classifier", "--data", ptc_dir, "--out", tmp_path / "c", "--tiny", "--epochs", "1",
            "--threads", "1", "--max-steps", "2", "--mask-names", mask, "--into", model, check=True)
    text = "Russia and Joe Biden lied again. Russia lied."
    spans = Detector(model, threads=1).detect(text, threshold=1.01)
    assert spans and all(text[s.start : s.end] == s.text for s in spans)
    cfg["mask_names"] = "someone"
    (model / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(ModelError, match="trained with mask_names"):
        Detector(model, threads=1)
    proc = run_cli("train", "classifier", "--data", ptc_dir, "--out", tmp_path / "d", "--tiny", "--mask-names", "{bad")
    assert proc.returncode == 2 and b"not valid JSON" in proc.stderr


def test_kinds_of_names():
    from spinscope.detect.masking import name_kind

    assert [name_kind(n) for n in ("Russia", "the United States", "North Korea", "Israel’s")] == ["country"] * 4
    assert [name_kind(n) for n in ("Americans", "Russian", "Israelis")] == ["nationality"] * 3
    assert [name_kind(n) for n in ("Hamas", "Joe Biden", "CNN")] == ["name"] * 3


def test_the_shipped_model_labels_opposing_sides_alike():
    """The shipped model masks names: the same sentence about either side gets the same spans."""
    from spinscope import analyze

    template = "Once again, {} lied to the public, and this time the consequences will be disastrous."
    for a, b in (("Joe Biden", "Donald Trump"), ("Russia", "Ukraine"), ("CNN", "Fox News")):
        sa = analyze(template.format(a), claims=False, entities=False).spans
        sb = analyze(template.format(b), claims=False, entities=False).spans
        assert sa, "the loaded sentence should get a span"
        assert [(s.technique, round(s.score, 6)) for s in sa] == [(s.technique, round(s.score, 6)) for s in sb]


def test_the_shipped_model_reads_race_words_and_issue_camps_alike():
    """Sentences that differ only in a colour word of race or an issue camp get the same result."""
    from spinscope import analyze

    for a, b in (("Black Americans released a statement after the vote.", "White Americans released a statement after the vote."),
                 ("Polls of black voters moved.", "Polls of white voters moved."),
                 ("The so-called experts at gun-rights groups were wrong.", "The so-called experts at gun-control groups were wrong.")):
        ra, rb = analyze(a, claims=False, entities=False), analyze(b, claims=False, entities=False)
        assert [(s.start, s.technique, round(s.score, 6)) for s in ra.spans] == \
            [(s.start, s.technique, round(s.score, 6)) for s in rb.spans], (a, b)
