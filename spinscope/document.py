"""The objects spinscope hands back: an :class:`Analysis` of one text, its sentences and spans.

Offsets are sacred: every ``start``/``end`` is ``[start, end)`` in characters (Python ``str``
indices) of the exact input text.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from .errors import InputError

SCHEMA_VERSION = "1.0"



_SURROGATE = re.compile("[\ud800-\udfff]")


def check_unicode(value: str, what: str = "the text") -> None:
    """ValueError if ``value`` holds an unpaired surrogate (U+D800-U+DFFF).

    Such a ``str`` is not Unicode text: it cannot be encoded as UTF-8, tokenised, stored or sent
    back. JSON's ``"\\ud800"`` escapes make them (a file read as strict UTF-8 never does)."""
    m = _SURROGATE.search(value)
    if m:
        raise ValueError(f"{what} is not valid Unicode: an unpaired surrogate U+{ord(m.group()):04X} "
                         f"at character {m.start()}")


@dataclass(frozen=True, slots=True)
class Sentence:
    start: int
    end: int
    text: str

    def as_dict(self) -> dict:
        return {"start": self.start, "end": self.end, "text": self.text}


@dataclass(frozen=True, slots=True)
class Alternative:
    technique: str
    score: float


@dataclass(frozen=True, slots=True)
class Span:
    """A stretch of text ``[start, end)`` that uses a persuasion technique."""

    start: int
    end: int
    technique: str  # PTC label, see spinscope.techniques
    score: float  # 0-1: confidence that this span uses this technique
    text: str
    explanation: str = ""
    span_score: float = 0.0  # 0-1: confidence that the span is persuasive at all
    triggers: tuple[str, ...] = ()  # words that weighed most towards the technique
    alternatives: tuple[Alternative, ...] = ()  # runner-up techniques, scored like technique_score
    target: str | None = None  # id of the entity the span is aimed at (see Analysis.entities), if any
    technique_score: float = 0.0  # 0-1: the classifier's probability of this technique for this span

    def as_dict(self) -> dict:
        return {
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "technique": self.technique,
            "score": round(self.score, 4),
            "span_score": round(self.span_score, 4),
            "technique_score": round(self.technique_score, 4),
            "explanation": self.explanation,
            "triggers": list(self.triggers),
            "alternatives": [
                {"technique": a.technique, "score": round(a.score, 4)} for a in self.alternatives
            ],
            "target": self.target,
        }


@dataclass(frozen=True)
class Claim:
    """A sentence that makes a check-worthy factual claim."""

    start: int
    end: int
    text: str
    score: float  # 0-1 check-worthiness

    def as_dict(self) -> dict:
        return {"start": self.start, "end": self.end, "text": self.text, "score": round(self.score, 4)}


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    text: str

    def as_dict(self) -> dict:
        return {"start": self.start, "end": self.end, "text": self.text}


@dataclass
class Entity:
    """A person, organisation, place, group, event or date, with all its mentions merged."""

    id: str  # stable within one analysis, e.g. "e3"
    name: str  # canonical (longest) form
    label: str  # spaCy label: PERSON, ORG, GPE, LOC, NORP, EVENT, DATE, ...
    mentions: list[Mention] = field(default_factory=list)
    country: str | None = None  # ISO 3166 alpha-2 for places, when known
    techniques: dict[str, int] = field(default_factory=dict)  # techniques aimed at it

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "label": self.label,
            "country": self.country,
            "mentions": [m.as_dict() for m in self.mentions],
            "techniques": self.techniques,
        }


@dataclass
class Analysis:
    """Everything spinscope found in one text."""

    text: str
    title: str | None = None
    sentences: list[Sentence] = field(default_factory=list)
    spans: list[Span] = field(default_factory=list)
    model: dict = field(default_factory=dict)
    claims: list[Claim] = field(default_factory=list)  # ranked by score, best first
    entities: list[Entity] = field(default_factory=list)  # ranked by mentions
    # what a reader should know about this analysis as a whole, in plain words: e.g. that the
    # text does not look like English, or that an HTML page's article body was not found
    notes: list[str] = field(default_factory=list)

    @property
    def technique_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for s in self.spans:
            counts[s.technique] = counts.get(s.technique, 0) + 1
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    @property
    def word_count(self) -> int:
        return len(self.text.split())

    def above(self, min_score: float) -> "Analysis":
        """A copy with only the spans scored ``min_score`` or more; each entity's technique counts
        then count only those spans. Everything else is shared with this analysis."""
        spans = [s for s in self.spans if s.score >= min_score]
        if len(spans) == len(self.spans):
            return self
        aimed: dict[str, dict[str, int]] = {}
        for s in spans:
            if s.target is not None:
                counts = aimed.setdefault(s.target, {})
                counts[s.technique] = counts.get(s.technique, 0) + 1
        entities = [replace(e, techniques=dict(sorted(aimed.get(e.id, {}).items(), key=lambda kv: (-kv[1], kv[0]))))
                    for e in self.entities]
        return replace(self, spans=spans, entities=entities)

    def as_dict(self) -> dict:
        return {
            "schema_version": SCHEMA_VERSION,
            "title": self.title,
            "text": self.text,
            "length": len(self.text),
            "word_count": self.word_count,
            "model": self.model,
            "notes": list(self.notes),
            "sentences": [s.as_dict() for s in self.sentences],
            "spans": [s.as_dict() for s in self.spans],
            "technique_counts": self.technique_counts,
            "claims": [c.as_dict() for c in self.claims],
            "entities": [e.as_dict() for e in self.entities],
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.as_dict(), ensure_ascii=False, indent=indent)


# --- reading input ---------------------------------------------------------------------------


def decode_bytes(data: bytes, name: str) -> str:
    """Strict UTF-8 decoding with a clear error for binary or non-UTF-8 input."""
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):  # UTF-32 byte order marks
        raise InputError(f"{name}: UTF-32 text, not UTF-8; convert it first, e.g. with iconv -f UTF-32 -t UTF-8")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 byte order marks
        raise InputError(f"{name}: UTF-16 text, not UTF-8; convert it first, e.g. with iconv -f UTF-16 -t UTF-8")
    if b"\x00" in data[:65536]:
        raise InputError(f"{name}: looks like a binary file (it contains NUL bytes); give a UTF-8 text file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(
            f"{name}: not UTF-8 text (invalid byte 0x{data[e.start]:02x} at byte {e.start}); "
            "convert it to UTF-8 first, e.g. with iconv"
        ) from None


MAX_INPUT_BYTES = 16_000_000  # a long article is 100 KB; past this, a file is no article (or a device)
_NUL_WINDOW = 65_536  # where a NUL means a binary file (text in UTF-16/32 starts with a byte order mark)
_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")


def read_bounded(stream, name: str, limit: int = MAX_INPUT_BYTES, *, binary_hint: str = "a UTF-8 text file",
                 binary_ok=None) -> bytes:
    """Read a binary stream to its end, but never more than ``limit`` bytes: an endless device,
    pipe or file is refused by name before memory grows, and so is a NUL in its first 64 KiB,
    unless ``binary_ok(head)`` says those bytes begin a document format that is read as such
    (see :func:`spinscope.inputs.documents.has_document_magic`)."""
    chunks: list[bytes] = []
    total = 0
    checked = False
    while True:
        chunk = stream.read(1 << 20)
        if chunk:
            chunks.append(chunk)
            total += len(chunk)
        if not checked and (total >= _NUL_WINDOW or not chunk):
            head = b"".join(chunks)[:_NUL_WINDOW]
            if b"\x00" in head and not head.startswith(_BOMS) and not (binary_ok and binary_ok(head)):
                raise InputError(f"{name}: looks like a binary file (it contains NUL bytes); give {binary_hint}")
            checked = True
        if not chunk:
            return b"".join(chunks)
        if total > limit:
            raise InputError(f"{name}: larger than {limit:,} bytes, too large for an article; "
                             "split it into articles (one file each) first")


def read_file_bytes(path: str | Path, *, binary_hint: str = "a UTF-8 text file", binary_ok=None) -> bytes:
    """A file's bytes through :func:`read_bounded`, with one clear line for a folder or an unreadable file."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            return read_bounded(f, str(path), binary_hint=binary_hint, binary_ok=binary_ok)
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, not a file") from None
    except OSError as e:
        raise InputError(f"{path}: cannot read ({e.strerror or e})") from None


def read_text_file(path: str | Path) -> str:
    """Read a text file exactly: strict UTF-8, no newline translation (offsets stay exact)."""
    return decode_bytes(read_file_bytes(path), str(path))


# --- sentences -------------------------------------------------------------------------------

# A sentence ends at a line break, or at . ! ? (plus closing quotes/brackets) followed by white
# space and something that can start a sentence. Abbreviations like "U.S." or "Mr." followed by
# a capital are a known weakness; PTC articles come one sentence per line, so lines are primary.
# It starts only where a run of end marks starts, and never gives back what it took: a run of n
# dots that ends no sentence was retried from each of its n positions (quadratic).
# (The look-behind comes after the first mark so that the engine can still skip ahead to marks.)
_SENT_END = re.compile(r"""[.!?…](?<![.!?…][.!?…])[.!?…]*+["'”’)\]]*+(?=\s+["'“‘(\[]?[A-Z0-9])""")
_ABBREV = re.compile(r"(?:\b(?:Mr|Mrs|Ms|Dr|Prof|Sr|Jr|St|Gen|Sen|Rep|Gov|Lt|Col|Capt|No|vs|etc|Inc|Ltd|Co)\.|\b[A-Z]\.)$")


def blocks(text: str, size: int) -> list[tuple[int, str]]:
    """``(offset, piece)`` pieces of ``text`` of at most ``size`` characters (the last of any
    length up to it), each cut after the last line break in its second half, else after the last
    space there, else at ``size``; so that long texts are processed in bounded memory."""
    out: list[tuple[int, str]] = []
    pos, n = 0, len(text)
    while pos < n:
        end = n
        if n - pos > size:
            limit = pos + size
            cut = text.rfind("\n", pos + size // 2, limit)
            if cut < 0:
                cut = text.rfind(" ", pos + size // 2, limit)
            end = cut + 1 if cut >= 0 else limit
        out.append((pos, text[pos:end]))
        pos = end
    return out


def covered_length(intervals) -> int:
    """How many positions the ``[start, end)`` intervals cover together (overlaps counted once)."""
    total, end = 0, -1
    for a, b in sorted(intervals):
        if b <= end:
            continue
        total += b - max(a, end)
        end = b
    return total


def split_sentences(text: str) -> list[Sentence]:
    """Split text into sentences with exact offsets; blank stretches belong to no sentence."""
    out: list[Sentence] = []
    for line in re.finditer(r"[^\n\r]+", text):  # a lone \r ends a line too (old Mac texts)
        ls = line.start()
        piece = line.group()
        cuts = [0]
        for m in _SENT_END.finditer(piece):
            # the abbreviation test reads only the last few characters (the longest abbreviation,
            # with the character before it, is 6): reading the whole prefix was quadratic on a long line
            if _ABBREV.search(piece[max(0, m.end() - 16) : m.end()]):
                continue
            cuts.append(m.end())
        cuts.append(len(piece))
        for a, b in zip(cuts, cuts[1:]):
            seg = piece[a:b]
            lead = len(seg) - len(seg.lstrip())
            trail = len(seg.rstrip())
            if trail > lead:
                out.append(Sentence(ls + a + lead, ls + a + trail, seg[lead:trail]))
    return out
