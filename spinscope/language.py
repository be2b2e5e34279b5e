"""Does a text look like English? spinscope's models know English news only.

A text in another language is not refused: the analysis goes on, but its spans mean little (a
German article gets "Appeal to authority" on sentences that appeal to nobody; a Spanish one, no
spans at all, which a reader would take for a clean article). So the analysis carries a note.

The test is the share of a text's words that are among the most common words of English (the
function words and the commonest content words); capitalised words (names, mostly) are not counted.
English news and debate text scores well above the threshold and other languages well below it
(``bench/eval_language.py`` measures both). Texts under
:data:`MIN_WORDS` counted words and :data:`MIN_LETTERS` letters are too short to tell and get no
note.
"""

from __future__ import annotations

import re

# the commonest words of English text, function words first; written out, so nothing is downloaded
COMMON_ENGLISH = frozenset("""
the of and to a in that is was he for it with as his on be at by i this had not are but from or have an
they which one you were her all she there would their we him been has when who will more no if out so
said what up its about into than them can only other new some could time these two may then do first any
my now such like our over man me even most made after also did many before must through back years where
much your way well down should because each just those people how too little state good very make world
still own see men work long get here between both life being under never day same another know while
last might us great old year off come since against go came right used take three himself few house use
during without again place around however home small found thought went say part once general high upon
school every don't does got united left number course war until always away something fact though water
less public put think almost hand enough far took head yet government system better set told nothing
night end why called didn't eyes find going look asked later knew point next program city business give
group toward young days let room president side social given present several order national second
possible rather per face among form important often things looking early white case john become large
big need four within felt along children saw best church ever least power development light thing
seemed family interest want members others mind country area done turned although open god service
certain kind problem began different door thus help sense means whole matter perhaps itself york it's
times law human line above name example action company hands local show whether five history gave today
either act feet across taken past quite anything having seen death experience body word half really
week free
""".split())

MIN_WORDS = 20  # fewer words than this (and fewer letters than MIN_LETTERS): too short to tell
MIN_LETTERS = 100  # scripts written without spaces (Japanese, Chinese) have few but long "words"
MIN_SHARE = 0.2  # English news: 0.42 or more; other languages: mostly 0.15 or less (module docstring)

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
# addresses, e-mail addresses, @handles and #hashtags are no language's words. Every pattern here
# runs in linear time: an e-mail address starts only after a space or an "@" (a free start made
# 80,000 characters without a space take 10 s), and the text is read in pieces cut at spaces.
_NOT_WORDS = re.compile(r"(?i)\b(?:https?://|www\.)\S+|(?<![^\s@])[^\s@]+@[^\s@]+\.\w+|[@#]\w+")
PIECE_CHARS = 50_000  # one regex call at a time holds the GIL; short calls let other threads run


def _pieces(text: str):
    """``text`` in pieces of about PIECE_CHARS, cut after a space where there is one."""
    pos, n = 0, len(text)
    while pos < n:
        end = min(n, pos + PIECE_CHARS)
        if end < n:
            cut = text.rfind(" ", pos + PIECE_CHARS // 2, end)
            end = cut + 1 if cut >= 0 else end
        yield text[pos:end]
        pos = end


def english_share(text: str) -> tuple[float, int, int]:
    """``(share, words, letters)``: the share of the text's words that are common English words,
    how many words it has, and their letters. A word is a run of letters (with inner apostrophes);
    capitalised words are left out, since names are in no language's list of common words, and so
    are web and e-mail addresses, @handles and #hashtags."""
    hits = total = letters = 0
    for piece in _pieces(text):
        for m in _WORD.finditer(_NOT_WORDS.sub(" ", piece)):
            w = m.group()
            if w[0].isupper():
                continue
            total += 1
            letters += len(w)
            if w.replace("’", "'") in COMMON_ENGLISH:
                hits += 1
    return (hits / total if total else 0.0), total, letters


def language_note(text: str) -> str | None:
    """A note for the reader when ``text`` does not look like English, else None."""
    share, words, letters = english_share(text)
    if (words < MIN_WORDS and letters < MIN_LETTERS) or share >= MIN_SHARE:
        return None
    return (f"the text does not look like English ({share:.0%} of its words are common English words, "
            f"against 40% or more in English news); spinscope's models know English only, so what they "
            "find here, or do not find, means little")
