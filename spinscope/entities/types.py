"""One type per entity from its mentions' spaCy labels, checked against geonames; whether a renderer
should show it (:func:`type_is_certain`)."""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from typing import TYPE_CHECKING

from ..document import Entity
from .countries import (
    PERSON_PLACE_POP,
    PLACE_ALIASES,
    PLACE_POP,
    country_of_name,
    geonames,
    geonames_key,
)
from .names import name_key, name_tokens

if TYPE_CHECKING:
    from .mentions import MentionGroup
from .nlp import PIPELINES, PLACE_LABELS

# The type rules of :func:`decide_type` (places from geonames, one type across merged mentions, a
# common word at the end of "Empire of Chaos" is no place); False gives spaCy's types as they are
# (``bench/eval_entity_types.py --baseline``).
TYPE_RULES = True
# --- entity types ----------------------------------------------------------------------------

_PERSON_TYPE_LABELS = frozenset(("PERSON", "ORG", "NORP"))  # spaCy's usual mistakes for a place


@lru_cache(maxsize=8192)
def place_size(name: str) -> int:
    """How well known ``name`` is as a place: 10**9 for a country, US state, capital or a name of
    :data:`PLACE_ALIASES`, else the population of the biggest city of that name (its main name
    in geonames: the other names are too noisy, "White House" is one of Casablanca's), else 0."""
    k = geonames_key(name)
    if not k:
        return 0
    geo = geonames()
    if k in geo["countries"] or k in geo["states"] or k in geo["capitals"] or k in PLACE_ALIASES:
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


def common_word_tail(text: str, m: tuple[int, int, str, str]) -> bool:
    """A capitalised common word that ends a title-cased "X of Y" phrase ("Chaos" in "Empire of
    Chaos") and is no known place: not an entity of its own."""
    s, _, t, label = m
    if label not in ("GPE", "LOC", "ORG", "NORP") or not t.isalpha() or not t[0].isupper() or t.isupper():
        return False
    if not _OF_PHRASE.search(text, max(0, s - 40), s) or t.casefold() not in _common_words():
        return False
    return place_size(t) == 0 and country_of_name(t) is None


def person_name_words(text: str, raw) -> frozenset[str]:
    """Case-folded words known to name people in ``text``: the words of multi-word PERSON
    mentions and a word right after a title ("President Jackson")."""
    out = set()
    for _, _, t, label in raw:
        toks = name_tokens(name_key(t, label))
        if label == "PERSON" and len(toks) >= 2:
            out.update(toks)
    for m in re.finditer(r"\b(?:Mr|Mrs|Ms|Dr|Sen|Gov|Rep|President|Senator|General|Minister|Governor)\.?\s+([A-Z][\w'’-]+)", text):
        out.add(m.group(1).casefold())
    return frozenset(out)


def decide_type(text: str, mentions, root: "MentionGroup", person_words: frozenset[str]) -> tuple[str, bool]:
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
    keys = {name_key(m[2], m[3]) for m in mentions}
    if root.label == "PERSON" and len(root.tokens) >= 2 and votes["PERSON"] > 0:
        return "PERSON", True
    if len(tied) == 1:
        label = tied[0]
    elif "PERSON" in tied and any(m[3] == "PERSON" and len(name_tokens(name_key(m[2], m[3]))) >= 2 for m in mentions):
        label = "PERSON"
    else:
        label = root.label if root.label in tied else tied[0]
    if label in ("DATE", "EVENT"):
        return label, votes[label] * 3 >= 2 * n
    single = all(len(name_tokens(k)) == 1 for k in keys)
    if label not in ("PERSON", "NORP") and single and len(keys) == 1:
        k = next(iter(keys))
        if k in person_words and not any(m[3] == "PERSON" and name_key(m[2], m[3]) == k for m in mentions) \
                and place_size(mentions[0][2]) == 0:
            return "PERSON", True
    if label in _PERSON_TYPE_LABELS:
        need = PERSON_PLACE_POP if label == "PERSON" else PLACE_POP
        if all(name_tokens(k)[-1] not in person_words and place_size(m[2]) >= need
               for m, k in ((m, name_key(m[2], m[3])) for m in mentions)):
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
    tail = re.search(r"\bof (?:the )?([a-z]+)$", name_key(texts[0], label))
    if not tail:
        return False
    w = tail.group(1)
    if place_size(w) or country_of_name(w):  # "Gulf of Mexico"
        return False
    return w in _common_words() or (w.endswith("s") and w[:-1] in _common_words())  # "Lies"


def type_is_certain(entity: Entity) -> bool:
    """Whether a renderer should show ``entity.label``: False where the type is a guess.

    For entities of :func:`extract_entities` the rule of :func:`decide_type`: at least 2/3 of the
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


