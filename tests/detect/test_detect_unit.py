import numpy as np
import pytest

from spinscope.detect import best_window, decode_spans, make_windows, repetition_count, snap_span, token_owners


@pytest.mark.parametrize("min_last", [0, 128, 2])
@pytest.mark.parametrize("n,size,stride", [(1, 254, 222), (254, 254, 222), (255, 254, 222), (1000, 254, 222), (10, 4, 3),
                                           (477, 254, 222), (476, 254, 222)])
def test_windows_cover_every_token(n, size, stride, min_last):
    wins = make_windows(n, size, stride, min_last=min_last)
    assert [a for a, _ in wins] == sorted({a for a, _ in wins})  # distinct, in order
    assert wins[0][0] == 0 and wins[-1][1] == n
    covered = np.zeros(n, bool)
    for a, b in wins:
        assert 0 <= a < b <= n and b - a <= size
        covered[a:b] = True
    assert covered.all()
    owner = token_owners(wins, n)
    for t in range(n):
        a, b = wins[owner[t]]
        assert a <= t < b


def test_windows_with_offset_still_cover():
    wins = make_windows(1000, 254, 254, offset=100)
    assert wins[0] == (0, 254) and wins[1] == (100, 354) and wins[-1] == (746, 1000)


def test_short_last_window():
    # full windows at 0, 222, 444, 666; the last starts at the next stride (888), not at 1100 - 254
    assert make_windows(1100, 254, 222, min_last=128) == [(0, 254), (222, 476), (444, 698), (666, 920), (888, 1100)]
    assert make_windows(1100, 254, 222) == [(0, 254), (222, 476), (444, 698), (666, 920), (846, 1100)]
    # ... but at least min_last tokens long
    assert make_windows(477, 254, 222, min_last=128) == [(0, 254), (222, 476), (349, 477)]
    assert make_windows(255, 254, 222, min_last=128) == [(0, 254), (127, 255)]
    assert make_windows(200, 254, 222, min_last=128) == [(0, 200)]


def test_best_window_prefers_central_placement():
    wins = [(0, 10), (5, 15)]
    assert best_window(wins, 8, 10) == 1  # margin 3 in the second window, 0 in the first
    assert best_window(wins, 1, 3) == 0


def test_snap_span_extends_words_and_trims():
    text = 'He said: "unbelievable lies," then left.'
    s = text.index("believ")
    assert text[slice(*snap_span(text, s, s + 4))] == "unbelievable"
    s = text.index(": ")
    e = text.index(",") + 1
    assert text[slice(*snap_span(text, s, e))] == '"unbelievable lies'
    assert snap_span("...", 0, 3) == (3, 3)


def test_snap_span_trims_emoji_and_invisible_characters_at_the_edges():
    # the tokenizer reads emoji as [UNK] tokens, which can sit at a span's edge; no PTC gold span
    # starts or ends with a symbol, a format character or a no-break space
    text = "😀 😀 The corrupt elites\u00a0🔥\u200d lied! ★"
    assert text[slice(*snap_span(text, 0, len(text)))] == "The corrupt elites\u00a0🔥\u200d lied!"  # "!" may end one
    inner = "\ufe0f\u2060#MAGA “quoted” $5\u00a0"
    assert inner[slice(*snap_span(inner, 0, len(inner)))] == "#MAGA “quoted” $5"  # hashtags, quotes, currency stay
    assert snap_span("😀\u200b😀", 0, 3) == (3, 3)  # nothing left: the caller drops it
    accent = "Caf\u0065\u0301 \U0001F525\ufe0f"  # a decomposed é keeps its accent; the emoji's selector goes
    assert accent[slice(*snap_span(accent, 0, len(accent)))] == "Caf\u0065\u0301"
    # a word is extended only within [lo, hi): the block the span was found in
    text = "a" * 50
    assert snap_span(text, 20, 25) == (0, 50)
    assert snap_span(text, 20, 25, 10, 30) == (10, 30)


def test_snap_span_never_cuts_a_word_at_its_apostrophe():
    # the tokenizer splits "It’s" into "it", "’", "s": 0.9.0 gave spans such as "’s no secret" and
    # "they don'" (28 of 5,118 on PTC's articles)
    text = "It’s no secret they don't care about Mr. Trump’s wall, rock 'n' roll"
    snap = lambda s, e: text[slice(*snap_span(text, s, e))]
    assert snap(2, 14) == snap(3, 14) == "It’s no secret"  # from the apostrophe, or after it
    they, dont = text.index("they"), text.index("don't")
    assert snap(they, dont + 3) == snap(they, dont + 4) == "they don't"
    mr, trump = text.index("Mr."), text.index("Trump")
    assert snap(mr, trump + 5) == "Mr. Trump"  # a span may end before a possessive, as 9 PTC spans do
    assert snap(mr, trump + 6) == "Mr. Trump’s"  # but not on its apostrophe
    assert text[slice(*snap_span(text, trump, trump + 5, possessive=False))] == "Trump’s"  # a trigger word
    rock = text.index("'n'")
    assert snap(rock, rock + 3) == "'n'"  # quote marks around a word are not inside one
    assert text[slice(*snap_span(text, they, dont + 3, 0, dont + 4))] == "they don"  # only within [lo, hi)


def test_spans_without_a_letter_or_digit_are_dropped(tiny_model):
    from spinscope.detect import Detector, has_word

    assert not has_word('x " ****', 1, 8) and has_word("up 5%", 3, 5)
    det = Detector(tiny_model)
    text = 'He said " and then 100% more.'
    blocks = det.encode(text)
    blk = blocks[0]
    blk.probs[:] = [0.99, 0.0, 0.01]
    for ch in ('"', "%"):
        tok = int(np.searchsorted(blk.offsets[:, 0], text.index(ch)))
        blk.probs[tok] = [0.1, 0.9, 0.0]  # a lone quote mark, a lone "%"
    assert [text[s:e] for _, s, e, _ in det.span_bounds(text, blocks, 0.5, 0, 0.0, 0.0)] == []
    blk.probs[tok - 1] = [0.1, 0.9, 0.0]  # "100" begins the span, "%" is inside it
    blk.probs[tok] = [0.1, 0.0, 0.9]
    assert [text[s:e] for _, s, e, _ in det.span_bounds(text, blocks, 0.5, 0, 0.0, 0.0)] == ["100%"]


def test_detector_spans_stay_in_their_block_on_text_with_no_spaces(tiny_model, monkeypatch):
    from spinscope import detect

    monkeypatch.setattr(detect.detector, "BLOCK_CHARS", 400)
    det = detect.Detector(tiny_model)
    det.threshold = 1.01  # every token inside
    text = "x" * 2000  # one "word" of 2,000 letters: cut into blocks of 400 characters
    spans = det.detect(text)
    assert spans
    for sp in spans:
        assert sp.end - sp.start <= 400 and text[sp.start : sp.end] == sp.text


def test_decode_spans_thresholds_and_b_splits():
    p = np.array([
        [0.9, 0.05, 0.05],  # O
        [0.1, 0.8, 0.1],  # B
        [0.2, 0.1, 0.7],  # I
        [0.1, 0.8, 0.1],  # B: a new span
        [0.8, 0.1, 0.1],  # O
        [0.4, 0.1, 0.5],  # I, only with a high threshold
    ], np.float32)
    got = decode_spans(p, 0.5)
    assert [(a, b) for a, b, _ in got] == [(1, 3), (3, 4), (5, 6)]
    assert got[0][2] == pytest.approx(1 - (0.1 + 0.2) / 2)
    assert [(a, b) for a, b, _ in decode_spans(p, 0.3)] == [(1, 3), (3, 4)]


def test_repetition_count():
    text = "build the wall. we will build the wall! Build The Wall".lower()
    assert repetition_count(text, "build the wall") == 2
    assert repetition_count(text, "we") == 0  # too short to count


def test_decode_spans_joins_small_gaps_but_not_across_lines():
    p = np.array([[0.1, 0.8, 0.1], [0.9, 0.05, 0.05], [0.2, 0.1, 0.7], [0.9, 0.05, 0.05], [0.9, 0.05, 0.05],
                  [0.1, 0.1, 0.8]], np.float32)
    assert [(a, b) for a, b, _ in decode_spans(p, 0.5)] == [(0, 1), (2, 3), (5, 6)]
    assert [(a, b) for a, b, _ in decode_spans(p, 0.5, gap=1)] == [(0, 3), (5, 6)]
    assert [(a, b) for a, b, _ in decode_spans(p, 0.5, gap=2)] == [(0, 6)]
    breaks = np.array([False, False, True, False, False, False])
    assert [(a, b) for a, b, _ in decode_spans(p, 0.5, gap=2, breaks=breaks)] == [(0, 1), (2, 6)]


def test_decode_spans_peak_keeps_only_spans_with_a_confident_token():
    p = np.array([
        [0.6, 0.1, 0.3],  # weak: P(inside) 0.4
        [0.55, 0.05, 0.4],  # weak: 0.45
        [0.9, 0.05, 0.05],  # O
        [0.6, 0.1, 0.3],  # weak
        [0.2, 0.1, 0.7],  # confident: 0.8
        [0.9, 0.05, 0.05],  # O
    ], np.float32)
    assert [(a, b) for a, b, _ in decode_spans(p, 0.7)] == [(0, 2), (3, 5)]
    assert [(a, b) for a, b, _ in decode_spans(p, 0.7, peak=0.5)] == [(3, 5)]  # the weak run goes
    assert [(a, b) for a, b, _ in decode_spans(p, 0.7, peak=0.45)] == [(0, 2), (3, 5)]  # >= peak stays
    assert decode_spans(p, 0.7, peak=0.9) == []
    # the peak is checked after joining: a weak run joined to a confident one stays, whole
    assert [(a, b) for a, b, _ in decode_spans(p, 0.7, gap=1, peak=0.5)] == [(0, 5)]
    # a peak at or below 1 - threshold changes nothing
    assert decode_spans(p, 0.7, peak=0.3) == decode_spans(p, 0.7)


def test_line_breaks():
    from spinscope.detect import line_breaks

    text = "ab cd\nef"
    offsets = np.array([[0, 2], [3, 5], [6, 8]])
    assert line_breaks(text, offsets).tolist() == [False, False, True]


def test_newlines_before_counts_characters_not_bytes():
    from spinscope.detect import newlines_before

    text = "😀 ab\n\n\u00e9 \r\ncd 😀\u2028ef\n"
    # token offsets are character offsets; astral characters and CRLF must not shift the counts
    offsets = np.array([[0, 1], [2, 4], [7, 8], [11, 13], [14, 15], [16, 18]])
    naive = [0] + [text.count("\n", offsets[i - 1, 1], offsets[i, 0]) for i in range(1, len(offsets))]
    assert newlines_before(text, offsets).tolist() == naive == [0, 0, 2, 1, 0, 0]
    assert newlines_before(text, offsets[:1]).tolist() == [0]
    assert newlines_before("", np.zeros((0, 2), np.int64)).tolist() == []


def test_decode_spans_never_cross_a_blank_line():
    from spinscope.detect import line_breaks

    p = np.array([[0.1, 0.1, 0.8]] * 4, np.float32)  # every token inside, no confident B
    text = "aa bb\n \ncc\ndd"
    offsets = np.array([[0, 2], [3, 5], [8, 10], [11, 13]])
    paras = line_breaks(text, offsets, blank=True)
    assert paras.tolist() == [False, False, True, False]  # a single line break is not a paragraph
    assert [(a, b) for a, b, _ in decode_spans(p, 0.5)] == [(0, 4)]
    assert [(a, b) for a, b, _ in decode_spans(p, 0.5, paragraphs=paras)] == [(0, 2), (2, 4)]


def test_sentence_starts():
    from spinscope.detect import sentence_starts

    text = "Aa bb. Cc dd! Ee"
    offsets = np.array([[0, 2], [3, 5], [5, 6], [7, 9], [10, 12], [12, 13], [14, 16]])
    assert sentence_starts(text, offsets).tolist() == [False, False, False, True, False, False, True]
    assert sentence_starts("Aa", offsets[:1]).tolist() == [False]


def test_detector_ends_spans_at_sentence_ends(tiny_model):
    from spinscope.detect import Detector

    det = Detector(tiny_model)
    det.threshold = 1.01  # every token inside: one span per sentence, none across a sentence end
    text = "The council betrayed the town. Real patriots will never surrender! Nobody asked why."
    starts = [text.index("Real"), text.index("Nobody")]

    def crossing(spans):
        return [s.text for s in spans if any(s.start < x < s.end for x in starts)]

    spans = det.detect(text)
    assert spans and not crossing(spans)
    assert spans[-1].text.endswith("why") and spans[0].start == 0
    det.split_sentences = False
    assert crossing(det.detect(text))


def test_detector_splits_spans_at_blank_lines(tiny_model):
    from spinscope.detect import Detector

    det = Detector(tiny_model)
    det.threshold = 1.01  # every token inside: one span per paragraph, none across a blank line
    text = "First paragraph here.\n\nSecond paragraph here.\nSame paragraph."
    spans = det.detect(text)
    assert spans and all("\n\n" not in s.text for s in spans)
    det.split_paragraphs = det.split_sentences = False  # (a sentence ends at a blank line too)
    assert any("\n\n" in s.text for s in det.detect(text))


def _outside(*p_outside):
    """Token probabilities (outside, begin, inside) with the given P(outside)."""
    p = np.array(p_outside, float)
    return np.stack([p, np.zeros_like(p), 1 - p], 1)


def test_extend_to_sentence_end():
    from spinscope.detect import extend_to_sentence_end

    #                 0    1    2    3    4    5 |  6    7
    probs = _outside(0.9, 0.2, 0.3, 0.8, 0.7, 0.99, 0.1, 0.95)
    ends = np.array([0, 0, 0, 0, 0, 0, 1, 0], bool)  # a sentence starts at token 6
    words = np.array([1, 1, 1, 1, 1, 0, 1, 1], bool)  # token 5 is closing punctuation
    runs = [(1, 3), (6, 7)]
    # words 3 and 4 are below 0.85: the span reaches word 4; the full stop (5) neither blocks nor joins
    assert extend_to_sentence_end(runs, probs, 0.85, ends, words) == [(1, 5), (6, 7)]
    # word 3 is not below 0.8: no extension at all (all or nothing)
    assert extend_to_sentence_end(runs, probs, 0.8, ends, words) == runs
    # each span within its own sentence: the first stops before token 6, the second reaches the text's end
    assert extend_to_sentence_end(runs, probs, 0.99, ends, words) == [(1, 5), (6, 8)]
    # without word marks the punctuation counts as a word, and it blocks at 0.85
    assert extend_to_sentence_end(runs, probs, 0.85, ends) == runs
    # a span followed by another in its sentence stays as it is
    assert extend_to_sentence_end([(1, 2), (3, 4)], probs, 0.99, ends, words) == [(1, 2), (3, 5)]
    # already at the sentence end, or nothing after it: unchanged
    assert extend_to_sentence_end([(1, 5)], probs, 0.99, ends, words) == [(1, 5)]
    assert extend_to_sentence_end([(6, 8)], probs, 0.99, ends, words) == [(6, 8)]


def test_decode_spans_extend_rescores_the_longer_span():
    probs = _outside(0.2, 0.4, 0.8, 0.7)
    assert decode_spans(probs, 0.5) == [(0, 2, pytest.approx(0.7))]
    assert decode_spans(probs, 0.5, extend=0.85) == [(0, 4, pytest.approx(0.475))]
    assert decode_spans(probs, 0.5, extend=0.0) == decode_spans(probs, 0.5)


def test_detector_extends_the_last_span_of_a_sentence(tiny_model):
    from spinscope.detect import Detector

    det = Detector(tiny_model)
    text = "Take back our harbour! The vote was close."
    blocks = det.encode(text)
    blk = blocks[0]
    harbour = text.index("harbour")
    first = int(np.searchsorted(blk.offsets[:, 0], harbour))  # the first token of "harbour"
    blk.probs[:] = [0.99, 0.0, 0.01]  # outside everywhere ...
    blk.probs[:first] = [0.2, 0.0, 0.8]  # ... but "Take back our"
    blk.probs[first:first + 1] = [0.7, 0.0, 0.3]  # "harbour" nearly inside
    spans = lambda **kw: [text[s:e] for _, s, e, _ in det.span_bounds(text, blocks, 0.5, 0, 0.0, **kw)]
    assert spans(extend=0.0) == ["Take back our"]
    assert spans(extend=0.9) == ["Take back our harbour"]  # not the "!", not into the next sentence
    assert spans(extend=0.6) == ["Take back our"]
    det.extend = 0.9
    assert [s.text for s in det.decode(text, blocks, 0.5, 0, 0.0)] == ["Take back our harbour"]


def test_function_words():
    from spinscope.detect import is_function_word

    for w in ("the", "The", "is", "of", "it's", "it’s", "and", "would"):
        assert is_function_word(w), w
    # rhetorical cues stay: negations, quantifiers, intensifiers, question words, us and them
    for w in ("not", "never", "only", "all", "every", "no", "some", "very", "just", "why", "we", "our",
              "they", "them", "they're", "disaster", "Theresa", "Isis", "Ofcom"):
        assert not is_function_word(w), w


def test_triggers_of_the_shipped_model_are_content_words():
    # 0.8.1 named a function word among the triggers of 427 of 712 spans on 50 PTC articles
    import spinscope
    from spinscope.detect import MODEL_DIR, is_function_word

    if not (MODEL_DIR / "config.json").exists():
        pytest.skip("no shipped model")
    text = (MODEL_DIR.parent / "samples" / "sample_article.txt").read_text(encoding="utf-8")
    spans = spinscope.analyze(text, entities=False, claims=False).spans
    assert len(spans) >= 10
    assert all(not is_function_word(w) for s in spans for w in s.triggers)
    assert sum(bool(s.triggers) for s in spans) >= len(spans) - 1
    for s in spans:
        assert all(w in s.text for w in s.triggers)  # words of the span itself
        if s.triggers:
            assert "Words that weighed most: “" + s.triggers[0] + "”" in s.explanation


def test_old_mac_line_breaks_give_the_same_spans():
    # a text whose lines end in \r alone was one line: a span ran across a line break
    import spinscope
    from spinscope.detect import MODEL_DIR

    if not (MODEL_DIR / "config.json").exists():
        pytest.skip("no shipped model")
    text = (MODEL_DIR.parent / "samples" / "sample_article.txt").read_text(encoding="utf-8")
    unix = spinscope.analyze(text, entities=False, claims=False)
    mac = spinscope.analyze(text.replace("\n", "\r"), entities=False, claims=False)
    assert [(s.start, s.end) for s in mac.spans] == [(s.start, s.end) for s in unix.spans]
    assert [(s.start, s.end) for s in mac.sentences] == [(s.start, s.end) for s in unix.sentences]


def test_word_tokens_is_any_letter_or_digit_per_token():
    from spinscope.detect import word_tokens

    text = "It’s _ __x 42% “¡Olé!” 😀 \u0661\u0662 ½ ---"
    offsets = [(a, b) for a in range(len(text)) for b in range(a + 1, min(a + 5, len(text)) + 1)]
    got = word_tokens(text, np.array(offsets))
    assert got.tolist() == [any(c.isalnum() for c in text[a:b]) for a, b in offsets]
    assert word_tokens("", np.zeros((0, 2), np.int64)).tolist() == []


@pytest.mark.parametrize("text, want", [("they lied}", "they lied"), ("(they lied", "they lied"), ("(they lied)", "(they lied)"),
                                        ("a (b) c)", "a (b) c"), ("Take it back!", "Take it back!"), ("[x] y]", "[x] y")])
def test_spans_do_not_end_or_start_with_an_unmatched_bracket(text, want):
    s, e = snap_span(text, 0, len(text))
    assert text[s:e] == want


def test_sentences_split_once_give_the_same_blocks_and_spans(tiny_model, monkeypatch):
    """The decoding's sentence starts from the pipeline's split equal each block's own split,
    also across block cuts inside a line (after a space) and at abbreviations."""
    import random

    from spinscope import detect
    from spinscope.detect.decoding import sentence_starts
    from spinscope.document import split_sentences

    monkeypatch.setattr(detect.detector, "BLOCK_CHARS", 300)
    det = detect.Detector(tiny_model)
    det.threshold = 0.0  # many spans, so that sentence ends matter to the decoding
    rnd = random.Random(5)
    words = ["the", "Council", "Mr.", "Dr.", "U.S.", "said", "\u201cNo!\u201d", "Why?", "it", "rose", "5%.", "(Yes.)", "A.", "..."]
    for _ in range(5):
        text = "".join(rnd.choice(words) + rnd.choice([" ", " ", " ", ". ", "\n", "\n\n", "  "]) for _ in range(400))
        sentences = split_sentences(text)
        own = [sentence_starts(b.text, b.offsets) for b in det.iter_encoded(text)]
        given = [b.sentence_starts for b in det.iter_encoded(text, sentences)]
        assert len(own) > 3 and all(np.array_equal(a, b) for a, b in zip(own, given, strict=True))
        assert det.detect(text, sentences=sentences) == det.detect(text)
