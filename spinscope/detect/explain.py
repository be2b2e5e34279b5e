"""A span's plain-language explanation and the words that weighed most (function words left out)."""

from __future__ import annotations

from .. import techniques as T

# English function words that are never offered as the words that triggered a technique: articles,
# plain pronouns, auxiliaries, prepositions and conjunctions. Contextual hidden states spread a
# phrase's meaning over all its tokens, so "the" or "is" can weigh as much as "disaster" does, and
# naming them tells a reader nothing. Words that are rhetorical cues stay: negations and quantifiers
# ("not", "never", "only", "all", "every", "no", "some"), intensifiers ("very", "just"), question
# words, and the in-group and out-group pronouns ("we", "our", "they", "them").
FUNCTION_WORDS = frozenset("""
a an the this that these those it its itself i me my myself he him his himself she her hers herself
you your yours yourself one ones which whom whose
am is are was were be been being do does did doing done have has had having will would shall should
can could may might must 's 're 've 'd 'll 'm
of in on at by for with about against between into through during before after above below to from up
down out off over under upon onto within across along around behind toward towards via per than as
and or but nor so yet if then because while whereas although though whether
there here s t
""".split())


def is_function_word(word: str) -> bool:
    """Whether ``word`` is an English function word ("the", "is", "of", "it's"...), by its letters."""
    w = word.lower().replace("’", "'")
    return w in FUNCTION_WORDS or ("'" in w and w.split("'")[0] in FUNCTION_WORDS)


def explain(technique: str, triggers: tuple[str, ...], rep: int, score: float) -> str:
    t = T.get(technique)
    parts = [f"{t.name}: {t.definition}"]
    if technique == "Repetition" and rep:
        parts.append(f"This phrase occurs {rep + 1} times in the text.")
    if triggers:
        quoted = ", ".join(f"“{w}”" for w in triggers)
        parts.append(f"Words that weighed most: {quoted}.")
    parts.append(f"Confidence {score:.0%}.")
    return " ".join(parts)


