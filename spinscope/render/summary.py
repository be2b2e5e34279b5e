"""What every view of an analysis shows alike: segments and tracks over the text, the summary, the
most loaded sentences, the notes for the reader and what a score means.

Offsets are ``[start, end)`` in characters (Python ``str`` indices) of ``analysis.text``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from ..document import Analysis, Claim, Sentence, Span, covered_length, split_sentences


class Segment(NamedTuple):
    start: int
    end: int
    spans: tuple[int, ...]  # indices into analysis.spans of the spans covering [start, end)


def _bounds(span: Span, n: int) -> tuple[int, int]:
    return max(0, min(span.start, n)), max(0, min(span.end, n))


def segments(analysis: Analysis) -> list[Segment]:
    """Cut the text at every span boundary; each piece lists the spans covering it.

    The pieces are contiguous and cover the whole text, so ``"".join(text[s:e])`` is the text.
    Empty spans (and the parts of spans outside the text) cover nothing.
    """
    n = len(analysis.text)
    cuts = {0, n}
    for s in analysis.spans:
        a, b = _bounds(s, n)
        if a < b:
            cuts.update((a, b))
    points = sorted(cuts)
    out: list[Segment] = []
    # sweep: spans sorted by start; active set pruned at each piece
    order = sorted((i for i, s in enumerate(analysis.spans) if _bounds(s, n)[0] < _bounds(s, n)[1]),
                   key=lambda i: (analysis.spans[i].start, i))
    active: list[int] = []
    k = 0
    for a, b in zip(points, points[1:]):
        while k < len(order) and _bounds(analysis.spans[order[k]], n)[0] <= a:
            active.append(order[k])
            k += 1
        active = [i for i in active if _bounds(analysis.spans[i], n)[1] > a]
        out.append(Segment(a, b, tuple(sorted(active))))
    return out


def span_tracks(spans: list[Span]) -> list[int]:
    """Underline level of each span: overlapping spans get different levels, each span keeps one.

    Greedy interval colouring (by start, longer first): the same rule as the report's script.
    """
    order = sorted(range(len(spans)), key=lambda i: (spans[i].start, -(spans[i].end - spans[i].start), i))
    ends: list[int] = []
    out = [0] * len(spans)
    for i in order:
        k = 0
        while k < len(ends) and ends[k] > spans[i].start:
            k += 1
        if k == len(ends):
            ends.append(spans[i].end)
        else:
            ends[k] = spans[i].end
        out[i] = k
    return out


@dataclass(frozen=True)
class LoadedSentence:
    sentence: Sentence
    span_chars: int  # characters of the sentence inside at least one span
    n_spans: int  # spans overlapping the sentence
    techniques: tuple[str, ...]  # their labels, in order of first appearance
    weight: float = 0.0  # the sum of their scores: what ranks the sentences


@dataclass(frozen=True)
class Summary:
    n_spans: int
    words: int
    covered_chars: int  # characters inside at least one span
    share: float  # covered_chars / len(text), 0 for an empty text
    spans_per_100_words: float
    top_sentences: tuple[LoadedSentence, ...]


def article_summary(analysis: Analysis, top: int = 3) -> Summary:
    """Share of characters in spans, spans per 100 words and the ``top`` most loaded sentences.

    Sentences are ranked by the summed scores of the spans overlapping them (a few confident
    spans outrank a long doubtful one), then by characters inside spans, then by position;
    sentences without spans are not listed.
    """
    n = len(analysis.text)
    valid = sorted(((*_bounds(s, n), i) for i, s in enumerate(analysis.spans)), key=lambda x: (x[0], x[1], x[2]))
    valid = [v for v in valid if v[0] < v[1]]
    covered = covered_length([(a, b) for a, b, _ in valid])
    words = analysis.word_count
    sentences = sorted(analysis.sentences or split_sentences(analysis.text), key=lambda x: x.start)
    loaded: list[LoadedSentence] = []
    active: list[tuple[int, int, int]] = []  # spans started before the sentence ends, sweep by start
    k = 0
    for sent in sentences:
        while k < len(valid) and valid[k][0] < sent.end:
            active.append(valid[k])
            k += 1
        active = [v for v in active if v[1] > sent.start]
        inside = [(max(a, sent.start), min(b, sent.end)) for a, b, _ in active if a < sent.end]
        if not inside:
            continue
        labels: list[str] = []
        for _, _, i in active:
            if analysis.spans[i].technique not in labels:
                labels.append(analysis.spans[i].technique)
        weight = sum(analysis.spans[i].score for a, _, i in active if a < sent.end)
        loaded.append(LoadedSentence(sent, covered_length(inside), len(inside), tuple(labels), weight))
    loaded.sort(key=lambda ls: (-ls.weight, -ls.span_chars, ls.sentence.start))
    return Summary(
        n_spans=len(analysis.spans),
        words=words,
        covered_chars=covered,
        share=covered / n if n else 0.0,
        spans_per_100_words=100 * len(analysis.spans) / words if words else 0.0,
        top_sentences=tuple(loaded[:top]),
    )


def clip(s: str, limit: int) -> str:
    return s if len(s) <= limit else s[: limit - 1].rstrip() + "…"


SCORE_MEANING = ("A span's confidence is calibrated: of spans scored 30%, about 3 in 10 use that technique "
                 "there (measured on articles the model did not learn from). A span is evidence for a "
                 "reader to weigh, not a verdict.")
DEFAULT_MIN_SCORE = 0.3  # of spans scored 0.3-0.4, a third are right (model card); below, fewer
SHORT_TEXT_WORDS = 20  # fewer words than this: too little text to judge


def plural(n: int, word: str, many: str | None = None) -> str:
    """``"1 word"``, ``"2 words"``, ``"1,024 sentences"``."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def headline(analysis: Analysis) -> str | None:
    """The title, else the text's first line when it reads as a headline (short, not a sentence
    that runs on, followed by more text): what a reader would call the article."""
    if analysis.title:
        return analysis.title
    first, sep, rest = analysis.text.strip().partition("\n")
    first = first.strip()
    if sep and rest.strip() and 0 < len(first) <= 150 and len(first.split()) <= 25 and not first.endswith((".", ",", ";", ":")):
        return first
    return None


def reader_notes(analysis: Analysis) -> list[str]:
    """The analysis's notes, and one for a text too short to judge."""
    notes = list(analysis.notes)
    words = analysis.word_count
    if 0 < words < SHORT_TEXT_WORDS:
        notes.append(f"a text of {plural(words, 'word')} is too short to judge: spinscope's models read whole "
                     "news articles, and spans in a few words mean little")
    return notes


CLAIMS_FIRST = 5  # claims a reader is asked to check first; the rest are listed apart
CLAIM_MEANING = ("A claim's score is the estimated probability that a fact-checker would call the sentence "
                 "worth checking (calibrated on US political debates; news articles hold more factual "
                 "sentences, so many score high). Check the first few; the rest are listed for completeness.")


@dataclass(frozen=True)
class ClaimDigest:
    """The few claims to check first (the best ``CLAIMS_FIRST``) and the rest, each best first."""

    first: list[Claim]
    rest: list[Claim]


def claim_digest(analysis: Analysis, first: int = CLAIMS_FIRST) -> ClaimDigest:
    claims = sorted(analysis.claims, key=lambda c: (-c.score, c.start))
    return ClaimDigest(claims[:first], claims[first:])


def claim_line(claim: Claim, limit: int = 160) -> str:
    return f"{claim.score:.0%}  {clip(claim.text, limit)}"


def more_claims_line(digest: ClaimDigest) -> str | None:
    """'21 more sentences scored check-worthy (35–68%)', or None when every claim is among the first."""
    if not digest.rest:
        return None
    lo, hi = min(c.score for c in digest.rest), max(c.score for c in digest.rest)
    span = f"{hi:.0%}" if round(lo * 100) == round(hi * 100) else f"{round(lo * 100)}–{hi:.0%}"
    return f"{plural(len(digest.rest), 'more sentence')} scored check-worthy ({span})"


def target_lines(analysis: Analysis, limit: int = 10) -> list[str]:
    """'CIA (ORG, 3 mentions) — Name calling ×3, ...' for each entity techniques are aimed at."""
    if not analysis.entities:
        return []
    from ..entities import profile_lines

    return profile_lines(analysis, limit=limit)
