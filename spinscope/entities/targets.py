"""Each technique span's target: the entity it is aimed at, found inside the span or through the
dependency parse, or ``None`` when there is none to find.

The attribute ruler does not run: the target rules need the part of speech of a few tokens,
which :class:`PosRules` works out from the ruler's own patterns.
"""

from __future__ import annotations

from typing import Sequence

from ..document import Span
from .mentions import EntityIndex
from .nlp import TARGET_LABELS, PosRules

# --- targets ---------------------------------------------------------------------------------

_REL_PRONOUNS = frozenset(("which", "who", "that", "whom", "whose"))
_PERSON_PRONOUNS = frozenset(("he", "she", "him", "his", "her", "himself", "herself"))
_GROUP_PRONOUNS = frozenset(("its", "their"))


MAX_PHRASE_TOKENS = 64


class _Targeter:
    """Find the entity a character span is aimed at, in one parsed Doc (at offset ``off``)."""

    def __init__(self, text: str, off: int, doc, index: EntityIndex, pos_rules: "PosRules | None" = None):
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


def targets_for(text: str, docs, index: EntityIndex, spans: Sequence[Span], pos_rules=None) -> list[int | None]:
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


