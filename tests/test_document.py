import json

import pytest

from spinscope import techniques as T
from spinscope.document import Analysis, InputError, Span, check_unicode, decode_bytes, read_text_file, split_sentences


def test_sentences_have_exact_offsets():
    text = "Title here\n\nFirst one. Second one!  Third?\r\nMr. Smith went to Washington. Done"
    sents = split_sentences(text)
    for s in sents:
        assert text[s.start : s.end] == s.text
        assert s.text == s.text.strip()
    assert [s.text for s in sents] == [
        "Title here", "First one.", "Second one!", "Third?", "Mr. Smith went to Washington.", "Done",
    ]


def test_a_lone_carriage_return_ends_a_line():
    # old Mac texts break lines with \r alone: they were one line, so lines without an end mark merged
    text = "Take back our harbour\rReal patriots never surrender\r\rThe end\r\n"
    sents = split_sentences(text)
    assert [s.text for s in sents] == ["Take back our harbour", "Real patriots never surrender", "The end"]
    assert all(text[s.start : s.end] == s.text for s in sents)


def test_sentences_on_one_long_line_keep_abbreviations():
    # the abbreviation test reads a bounded tail of the line (it read the whole prefix: quadratic)
    text = "It rained. " * 20_000 + "Mr. Smith and Dr. Jones met the U.S. envoy. Done"
    sents = split_sentences(text)
    assert len(sents) == 20_002
    assert [s.text for s in sents[-2:]] == ["Mr. Smith and Dr. Jones met the U.S. envoy.", "Done"]
    assert all(text[s.start : s.end] == s.text for s in sents)


def test_sentences_of_blank_text():
    assert split_sentences("") == []
    assert split_sentences(" \n\t\n ") == []


def test_decode_rejects_binary_and_bad_utf8():
    with pytest.raises(InputError, match="binary"):
        decode_bytes(b"abc\x00def", "x.bin")
    with pytest.raises(InputError, match=r"not UTF-8 text \(invalid byte 0xff at byte 3\)"):
        decode_bytes(b"abc\xffdef", "x.txt")
    assert decode_bytes("héllo ☕".encode(), "ok") == "héllo ☕"
    with pytest.raises(InputError, match=r"x.txt: UTF-16 text, not UTF-8; convert it first"):
        decode_bytes("héllo".encode("utf-16"), "x.txt")
    for codec in ("utf-32", "utf-32-be"):  # the UTF-32 LE mark starts like UTF-16's
        data = ("\ufeff" if codec.endswith("be") else "") + "héllo"
        with pytest.raises(InputError, match=r"x.txt: UTF-32 text, not UTF-8; convert it first"):
            decode_bytes(data.encode(codec), "x.txt")


def test_check_unicode_names_an_unpaired_surrogate():
    check_unicode("emoji 😀 and café")  # fine
    with pytest.raises(ValueError, match=r"^the text is not valid Unicode: an unpaired surrogate U\+DC00 at character 2$"):
        check_unicode("ab\udc00")
    import spinscope

    with pytest.raises(ValueError, match="an unpaired surrogate U\\+D800 at character 1"):
        spinscope.analyze("x\ud800 y", claims=False, entities=False)  # not a tokenizer's TypeError
    with pytest.raises(ValueError, match="^the title is not valid Unicode"):
        spinscope.analyze("x", title="\ud800", claims=False, entities=False)


def test_read_text_file_keeps_crlf(tmp_path):
    p = tmp_path / "a.txt"
    p.write_bytes(b"one\r\ntwo\r\n")
    assert read_text_file(p) == "one\r\ntwo\r\n"
    with pytest.raises(InputError, match="is a folder"):
        read_text_file(tmp_path)


def test_analysis_json_round_trip():
    text = "The corrupt council lied."
    a = Analysis(text=text, title="t", sentences=split_sentences(text),
                 spans=[Span(4, 11, "Loaded_Language", 0.8, "corrupt", "why", 0.9, ("corrupt",))])
    d = json.loads(a.to_json())
    assert d["schema_version"] == "1.0"
    assert d["spans"][0]["text"] == text[4:11]
    assert d["technique_counts"] == {"Loaded_Language": 1}


def test_techniques_are_the_ptc_fourteen():
    assert len(T.LABELS) == 14
    assert len(set(T.LABELS)) == 14
    for t in T.TECHNIQUES:
        assert t.definition and t.example and t.colour.startswith("#")
    with pytest.raises(KeyError, match="unknown technique"):
        T.get("Nope")
