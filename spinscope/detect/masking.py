"""Name masking: the encoder reads one placeholder token wherever the text names someone.

So that the same words get the same label whoever they are about, a model whose config sets
``mask_names`` (a placeholder word of its vocabulary) replaces the tokens of each name with that
one token before the encoder runs. The placeholder token keeps the name's character offsets, so
spans, snapping and the text shown are those of the exact input.

A name is a run of capitalised words (``Joe Biden``, ``CNN``, ``New York Times``). Where a capital
says nothing (a word that opens a sentence, a word in capitals, a line in title case) a word
counts only when it is not a common lower-case word (``common_words.txt``, built by
``tools/build_common_words.py``). Words whose meaning is a technique's own (Reductio ad
hitlerum: ``Hitler``, ``Nazis``) stay readable. ``mask_names`` may also map kinds of name to
placeholders of their own: ``country``, ``nationality`` (``Americans``) and ``name`` for the rest.
With a ``side`` placeholder it also masks the lower-case words that name a political camp
(``progressives``, ``conservatives``, ``left-wing``: ``SIDES``), which capitals do not reveal.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import numpy as np

WORD = re.compile(r"[^\W\d_][^\W_]*")
# names that carry a technique themselves, left unmasked
KEEP = frozenset("""
hitler nazi nazis nazism neo fascist fascists fascism gestapo holocaust stalin stalinist mussolini
kkk
""".split())
# lower-case names of political camps, masked with a "side" placeholder: plural nouns and the
# "-wing" forms only, as the singular adjectives also mean other things ("a conservative estimate");
# and the camps of the wedge issues, named by both sides alike ("gun-rights", "anti-abortion")
SIDES = (
    "liberals", "conservatives", "progressives", "left-wingers", "right-wingers", "left-wing",
    "right-wing", "centrists", "centre-left", "center-left", "centre-right", "center-right",
    "libertarians", "pro-life", "pro-choice", "pro-lifers", "pro-choicers",
    "gun-rights", "gun-control", "pro-gun", "anti-gun", "abortion-rights", "anti-abortion",
    "pro-immigration", "anti-immigration",
)
# colour words of race, masked as a side where they qualify people: news style capitalises one and
# not the other ("Black Americans", "white Americans"), so capitals alone would mask them unevenly
RACES = ("black", "white", "brown")
PEOPLE = frozenset("""
people person persons man men woman women boy boys girl girls child children kid kids youth youths
teen teens teenager teenagers family families voter voters resident residents citizen citizens
student students worker workers employee employees officer officers cop cops community communities
neighborhood neighborhoods neighbourhood neighbourhoods leader leaders male males female females
folk folks parent parents mother mothers father fathers victim victims suspect suspects driver
drivers patient patients owner owners population majority minority household households
""".split())
_SIDE_WORDS = "|".join(re.escape(w) for w in SIDES)
SIDE = re.compile(r"(?<![\w-])(?:" + _SIDE_WORDS + r")(?![\w-])", re.IGNORECASE)
RACE = re.compile(r"(?<![\w-])(" + "|".join(RACES) + r") +([^\W\d_][\w'’]*)", re.IGNORECASE)
_OPENERS = " \t\"“‘'([«"


@lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """Lower-case words mostly written in lower case (one a line in ``common_words.txt``)."""
    path = Path(__file__).with_name("common_words.txt")
    return frozenset(path.read_text(encoding="utf-8").split())


def _sentence_initial(text: str, start: int) -> bool:
    """Whether the word at ``start`` opens the text, a line or a sentence (quotes skipped)."""
    k = start
    while k > 0 and text[k - 1] in _OPENERS:
        k -= 1
    return k == 0 or text[k - 1] in ".!?:;\n\r" or text[k - 1] in "\u2028\u2029"


def _title_lines(text: str) -> list[tuple[int, int]]:
    """``[start, end)`` of the lines written in title case: no full stop, and three in four words
    of four letters or more capitalised."""
    out, at = [], 0
    for line in text.splitlines(keepends=True):
        words = [w for w in WORD.findall(line) if len(w) > 3]
        if (len(words) >= 3 and sum(w[0].isupper() for w in words) >= 0.75 * len(words)
                and not re.search(r"[.!?]\s+\S", line) and not line.rstrip(" \t\r\n\"”’'").endswith(".")):
            out.append((at, at + len(line)))
        at += len(line)
    return out


def name_mentions(text: str) -> list[tuple[int, int]]:
    """``[start, end)`` of each name in ``text``: maximal runs of name words joined by one space."""
    common = common_words()
    titles = _title_lines(text)
    out: list[list[int]] = []
    for m in WORD.finditer(text):
        w, s, e = m.group(), m.start(), m.end()
        if not w[0].isupper() or w == "I" or w.lower() in KEEP:
            continue
        initial = _sentence_initial(text, s)
        uninformative = initial or w.isupper() or any(a <= s < b for a, b in titles)
        if uninformative and w.lower() in common:
            continue
        if out and not initial and text[out[-1][1] : s] == " ":
            out[-1][1] = e
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]


def side_mentions(text: str) -> list[tuple[int, int]]:
    """``[start, end)`` of each word of ``SIDES`` in ``text``, in any case, and of each colour word
    of race followed by a word for people or a name that is no common word (``white voters``,
    ``Black Americans``, ``black Muslims``; not ``Black Death``)."""
    out = [m.span() for m in SIDE.finditer(text)]
    for m in RACE.finditer(text):
        nxt = m.group(2)
        if nxt.lower() in PEOPLE or (nxt[0].isupper() and (nxt.lower() not in common_words()
                                                            or name_kind(nxt) != "name")):
            out.append(m.span(1))
    return sorted(out)


def merge_mentions(a: list[tuple[int, int]], b: list[tuple[int, int]], text: str | None = None
                   ) -> list[tuple[int, int]]:
    """The mentions of ``a`` and ``b`` in order, overlapping ones joined into one; with ``text``,
    also a mention of ``b`` and one of ``a`` that only a space parts (``white`` ``Americans``)."""
    bs = set(b)
    out: list[list[int]] = []
    side: list[bool] = []
    for s, e in sorted(a + b):
        joins = out and (s < out[-1][1] or (text is not None and text[out[-1][1]:s] == " "
                                            and (side[-1] or (s, e) in bs)))
        if joins:
            out[-1][1] = max(out[-1][1], e)
            side[-1] = side[-1] or (s, e) in bs
        else:
            out.append([s, e])
            side.append((s, e) in bs)
    return [(s, e) for s, e in out]


def name_kind(name: str) -> str:
    """``country``, ``nationality`` or ``name``: what kind of name ``name`` (one mention) is."""
    from ..entities.countries import nation_words

    countries, demonyms = nation_words()
    k = " ".join(name.replace("’", "'").split()).casefold()
    k = k.removeprefix("the ").removesuffix("'s")
    if k in countries:
        return "country"
    if k in demonyms or (k.endswith("s") and k[:-1] in demonyms):
        return "nationality"
    return "name"


KINDS = ("name", "country", "nationality")  # every kind has a placeholder ("name"'s by default)
OPTIONAL_KINDS = ("side",)  # masked only when given a placeholder


def placeholder_ids(value, tokenizer) -> dict[str, int]:
    """Placeholder token ids by kind of name, from a config's ``mask_names`` (a word, or a mapping
    with ``name`` and optionally ``country``, ``nationality`` and ``side``). ValueError if malformed
    or a word is not one token of ``tokenizer``'s vocabulary."""
    words = {"name": value} if isinstance(value, str) else dict(value)
    if "name" not in words or set(words) - set(KINDS) - set(OPTIONAL_KINDS):
        raise ValueError(f"mask_names must be a word or a mapping with 'name' (and 'country', "
                         f"'nationality', 'side'), not {value!r}")
    ids = {}
    for kind in KINDS + tuple(k for k in OPTIONAL_KINDS if k in words):
        word = str(words.get(kind, words["name"]))
        ids[kind] = tokenizer.token_to_id(word)
        if ids[kind] is None:
            raise ValueError(f"mask_names {word!r} is not in the tokenizer's vocabulary")
    return ids


def mask_names(text: str, ids: np.ndarray, offsets: np.ndarray, mask_ids: dict[str, int]
               ) -> tuple[np.ndarray, np.ndarray]:
    """The tokens of ``text`` (``ids``, ``offsets``) with every name masked by its kind's placeholder."""
    mentions = name_mentions(text)
    sides = set(side_mentions(text)) if "side" in mask_ids else set()
    if sides:
        mentions = merge_mentions(mentions, sorted(sides), text)
    if len(set(mask_ids.values())) == 1:
        fill: int | list[int] = mask_ids["name"]
    else:
        fill = [mask_ids["side" if (s, e) in sides else name_kind(text[s:e])] for s, e in mentions]
    return mask_tokens(ids, offsets, mentions, fill)


def special_ids(tokenizer) -> tuple[int, int]:
    """The ids of the tokens that open and close a window, as the tokenizer's own post-processor
    adds them (BERT's ``[CLS]``/``[SEP]``; MPNet's ``<s>``/``</s>``, though its vocabulary also
    holds a ``[CLS]``)."""
    enc = tokenizer.encode("a", add_special_tokens=True)
    added = [i for i, special, real in zip(enc.ids, enc.special_tokens_mask, enc.attention_mask) if special and real]
    if len(added) == 2:  # padding, where a tokenizer has it on, is special but not real
        return added[0], added[1]
    for first, last in (("[CLS]", "[SEP]"), ("<s>", "</s>")):
        a, b = tokenizer.token_to_id(first), tokenizer.token_to_id(last)
        if a is not None and b is not None:
            return a, b
    raise ValueError("the tokenizer has neither [CLS]/[SEP] nor <s>/</s>")


def encode(tokenizer, text: str, mask_ids: dict[str, int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(ids, offsets)`` of ``text`` without special tokens, names masked when ``mask_ids``: the
    one encoding the detector and every training reads, so that all see the same tokens."""
    enc = tokenizer.encode(text, add_special_tokens=False)
    ids = np.asarray(enc.ids, dtype=np.int64)
    offsets = np.asarray(enc.offsets, dtype=np.int64).reshape(-1, 2)
    return mask_names(text, ids, offsets, mask_ids) if mask_ids else (ids, offsets)


def mask_tokens(ids: np.ndarray, offsets: np.ndarray, mentions: list[tuple[int, int]],
                placeholder: int | list[int]) -> tuple[np.ndarray, np.ndarray]:
    """``(ids, offsets)`` with the tokens of each mention replaced by one placeholder token (one for
    all, or one per mention) whose offsets are the mention's. A token belongs to a mention when it
    starts inside it."""
    if not mentions or len(ids) == 0:
        return ids, offsets
    bounds = np.asarray(mentions, dtype=np.int64)
    k = np.searchsorted(bounds[:, 0], offsets[:, 0], side="right") - 1
    inside = (k >= 0) & (offsets[:, 0] < bounds[np.maximum(k, 0), 1])
    if not inside.any():
        return ids, offsets
    first = inside.copy()
    first[1:] &= ~(inside[:-1] & (k[1:] == k[:-1]))
    keep = ~inside | first
    fill = np.asarray(placeholder, dtype=ids.dtype)[k] if isinstance(placeholder, list) else placeholder
    new_ids = np.where(first, fill, ids)[keep]
    new_offsets = offsets.copy()
    new_offsets[first] = bounds[k[first]]
    return new_ids.astype(ids.dtype), new_offsets[keep]
