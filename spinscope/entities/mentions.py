"""Mentions of the same entity within one text merged into one entity ("Bashar al-Assad" / "Assad",
"the CIA" / "CIA", "Trump's" / "Trump").

Offsets are sacred here too: every mention is ``[start, end)`` in characters of the exact input text.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field

from ..document import Entity, Mention
from . import types as entity_types
from .countries import country_of_name
from .names import POSSESSIVE, name_key, name_tokens
from .nlp import LABELS, PLACE_LABELS
from .types import common_word_tail, decide_type, person_name_words

_EDGE = " \t\r\n\"'“”‘’«»()[]{},;:!?-–—*#"
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
        m = POSSESSIVE.search(text, start, end)
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


@dataclass
class MentionGroup:
    key: str
    mentions: list[tuple[int, int, str, str]] = field(default_factory=list)  # start, end, text, label
    parent: "MentionGroup | None" = None

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
        return name_tokens(self.key)

    def root(self) -> "MentionGroup":
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


def _merge(groups: list[MentionGroup]) -> None:
    """Link groups that name the same entity (``parent``), conservatively."""

    def roots(gs):
        return {id(g.root()): g.root() for g in gs}

    def link(child: MentionGroup, parent: MentionGroup) -> None:
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
    by_country: dict[str, MentionGroup] = {}
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
class EntityIndex:
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


def build_entities(text: str, docs) -> EntityIndex:
    raw = _raw_mentions(text, docs)
    if entity_types.TYPE_RULES:
        raw = [m for m in raw if not common_word_tail(text, m)]
    person_words = person_name_words(text, raw) if entity_types.TYPE_RULES else frozenset()
    groups: dict[str, MentionGroup] = {}
    for m in raw:
        k = name_key(m[2], m[3])
        if not k:
            continue
        groups.setdefault(k, MentionGroup(k)).mentions.append(m)
    gs = list(groups.values())
    _merge(gs)
    merged: dict[int, list[MentionGroup]] = {}
    for g in gs:
        merged.setdefault(id(g.root()), []).append(g)
    entities: list[Entity] = []
    for members in merged.values():
        root = members[0].root()
        mentions = sorted(m for g in members for m in g.mentions)
        name = _canonical(mentions)
        label, certain = decide_type(text, mentions, root, person_words) if entity_types.TYPE_RULES else (root.label, True)
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
    return EntityIndex(entities, idx)


