"""Training data: PTC articles as token windows with BIO and technique labels, ClaimBuster windows, folds."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import techniques as T
from ..detect import (
    make_windows,
    repetition_count,
)
from ..document import InputError
from ..detect.masking import encode
from . import ptc, scoring

O, B, I = 0, 1, 2
@dataclass
class Article:
    id: str
    text: str
    ids: np.ndarray
    offsets: np.ndarray
    bio: np.ndarray
    spans: list = field(default_factory=list)  # (a, b, target[C], rep, n_tokens)


def token_range(offsets: np.ndarray, s: int, e: int) -> tuple[int, int]:
    a = int(np.searchsorted(offsets[:, 1], s, side="right"))
    b = int(np.searchsorted(offsets[:, 0], e, side="left"))
    if a >= len(offsets):
        return a, a
    return a, max(b, a + 1)


def prepare(tokenizer, aid: str, text: str, labels: list[tuple[str, int, int]],
            mask_ids: dict[str, int] | None = None) -> Article:
    ids, offs = encode(tokenizer, text, mask_ids)
    bio = np.zeros(len(ids), np.int64)
    for s, e in scoring.merge_spans((s, e) for _, s, e in labels):
        a, b = token_range(offs, s, e)
        if b > a:
            bio[a:b] = I
            bio[a] = B
    groups: dict[tuple[int, int], list[str]] = {}
    for tech, s, e in labels:
        groups.setdefault((s, e), []).append(tech)
    lower = text.lower()
    spans = []
    C = len(T.LABELS)
    for (s, e), techs in sorted(groups.items()):
        a, b = token_range(offs, s, e)
        if b <= a:
            continue
        target = np.zeros(C, np.float32)
        for t in techs:
            target[T.LABELS.index(t)] += 1.0 / len(techs)
        spans.append((a, b, target, repetition_count(lower, text[s:e]), b - a))
    return Article(aid, text, ids, offs, bio, spans)


@dataclass
class ClaimsWindow:
    """Token ids of a stretch of ClaimBuster debate (or one sentence alone) and its labelled
    sentences as token ranges ``(a, b, label)`` into ``ids``."""
    ids: np.ndarray
    sents: list
    alone: bool = False


def prepare_claims(tokenizer, data: Path, seed: int, size: int, dev_fraction: float = 0.1,
                   holdout_debates: int = 0, val_debates: int = 0,
                   mask_ids: dict[str, int] | None = None) -> list[ClaimsWindow]:
    """ClaimBuster sentences for the auxiliary check-worthiness loss, in context and alone.

    Sentences are labelled in windows of their rebuilt debate transcript (as ``analyze`` sees an
    article) and also on their own (as ``spinscope claims`` scores a sentence). The held-out share
    that ``spinscope train claims`` uses to choose its head and threshold (same seed, same split) is
    never given a label here. With ``holdout_debates`` the latest debates (and ``val_debates`` before
    them), as ``spinscope train claims --holdout-debates`` splits them, are not given one either, so
    that the claims head can be validated on debates whose labels the encoder never saw.
    """
    from .claimbuster import debates, load_claimbuster, split_debates, split_dev

    items = load_claimbuster(Path(data))
    _, dev = split_dev(len(items), [r["label"] for r in items], seed, dev_fraction)
    held = set(dev)
    if holdout_debates:
        _, va, te, _ = split_debates(items, holdout_debates, val_debates)
        held.update(va + te)
    out: list[ClaimsWindow] = []
    for text, spans in debates(items):
        ids, offs = encode(tokenizer, text, mask_ids)
        ranges = []
        for i, s, e in spans:
            if i in held:
                continue
            a, b = token_range(offs, s, e)
            if b > a:
                ranges.append((a, b, items[i]["label"]))
        done: set[int] = set()  # windows may overlap at the end: each sentence is labelled once
        for ws, we in make_windows(len(ids), size, size):
            inside = [(a - ws, b - ws, lab) for k, (a, b, lab) in enumerate(ranges)
                      if a >= ws and b <= we and k not in done]
            done.update(k for k, (a, b, _) in enumerate(ranges) if a >= ws and b <= we)
            if inside:
                out.append(ClaimsWindow(ids[ws:we], inside))
    for i, r in enumerate(items):
        if i in held:
            continue
        ids = encode(tokenizer, r["text"], mask_ids)[0][:size]
        if len(ids):
            out.append(ClaimsWindow(ids, [(0, len(ids), items[i]["label"])], alone=True))
    return out


def claims_batches(windows: list[ClaimsWindow], batch_size: int, seed: int):
    """Endless seeded stream of batches: context windows by ``batch_size``, sentences alone by 4x."""
    ctx = [w for w in windows if not w.alone]
    alone = [w for w in windows if w.alone]
    rng = random.Random(seed)
    while True:
        batches = []
        for pool, size in ((ctx, batch_size), (alone, batch_size * 4)):
            order = list(range(len(pool)))
            rng.shuffle(order)
            batches += [[pool[i] for i in order[k : k + size]] for k in range(0, len(order), size)]
        rng.shuffle(batches)
        yield from batches


def load_data(data: Path, limit: int = 0):
    """Articles and labels of a PTC folder (``articles/``, ``labels-tc/``), checked before any training:
    InputError names what is missing or wrong."""
    for sub in ("articles", "labels-tc"):
        if not (data / sub).is_dir():
            raise InputError(f"{data}: not a PTC folder (it has no {sub}/ folder)")
    articles = ptc.load_articles(data / "articles")
    labels = ptc.load_labels_by_article(data / "labels-tc")
    ids = sorted(articles)
    if limit:
        ids = ids[:limit]
    if not any(articles[a].strip() for a in ids):
        raise InputError(f"{data / 'articles'}: no article with text to train on")
    for aid in ids:
        for tech, s, e in labels.get(aid, []):
            if tech not in T.LABELS:
                raise InputError(f"{data / 'labels-tc'}: article {aid}: unknown technique {tech!r} "
                                 f"(the 14 PTC labels are in spinscope.techniques.LABELS)")
    return {a: articles[a] for a in ids}, labels


def prepare_all(tokenizer, articles, labels, ids, mask_ids: dict[str, int] | None = None):
    return [prepare(tokenizer, a, articles[a], labels.get(a, []), mask_ids) for a in ids]


def load_tokenizer(encoder_dir: Path):
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(encoder_dir / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    return tok


def dev_split(ids: list[str], seed: int, fraction: float) -> list[str]:
    """The articles held out (seeded) to choose the decoding settings."""
    if not fraction:
        return []
    shuffled = sorted(ids)
    random.Random(seed).shuffle(shuffled)
    return sorted(shuffled[: max(1, int(len(ids) * fraction))])


def cv_folds(ids, seed: int, folds: int) -> list[list[str]]:
    """The test articles of each cross-validation fold (seeded; every article in exactly one)."""
    ids = sorted(ids)
    random.Random(seed).shuffle(ids)
    return [sorted(ids[k::folds]) for k in range(folds)]


def write_subset(data: Path, dest: Path, ids: list[str]) -> None:
    """A PTC-format folder holding only the given articles (symlinks, no copies)."""
    (dest / "articles").mkdir(parents=True, exist_ok=True)
    (dest / "labels-tc").mkdir(parents=True, exist_ok=True)
    want = set(ids)
    for p in (data / "articles").glob("*.txt"):
        if ptc.article_id(p) in want:
            link = dest / "articles" / p.name
            if not link.exists():
                link.symlink_to(p.resolve())
    for p in (data / "labels-tc").glob("*.labels"):
        if ptc.article_id(p) in want:
            link = dest / "labels-tc" / p.name
            if not link.exists():
                link.symlink_to(p.resolve())
