"""The technique detector: span identification and technique classification with one encoder.

One int8 ONNX encoder (fine-tuned all-MiniLM-L6-v2) runs over overlapping token windows of the
text and gives, per token, the probability of Outside / Begin / Inside a persuasive span (SI),
plus its hidden state. Spans are decoded from those probabilities, snapped to word boundaries and
trimmed; each span is then classified (TC) by a linear head over features pooled from the
hidden states of the window where the span sits most centrally.

The feature and window code here is shared with ``spinscope.train`` so that training and
inference see exactly the same inputs.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import os
import re
import threading
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import techniques as T
from .budget import check_time
from .document import Alternative, Span

MODEL_DIR = Path(__file__).parent / "models"
CONTEXT = 16  # tokens of context on each side pooled for a span
# The last window of a text starts where the stride puts it (but at least this many tokens before
# the end) instead of ending a full window at the last token: 6% fewer tokens through the encoder
# on PTC, and out-of-fold SI F1 0.414 against 0.412, TC 0.604 against 0.603 (model card)
LAST_WINDOW = 128
BLOCK_CHARS = 30_000  # longer texts are processed block by block (bounded memory)
LEAD_TRIM = " \t\r\n.,;:!?)]}-–—"
TRAIL_TRIM = " \t\r\n.,;:([{-–—"


# --- windows ---------------------------------------------------------------------------------


def make_windows(n_tokens: int, size: int, stride: int, offset: int = 0, min_last: int = 0) -> list[tuple[int, int]]:
    """Token windows ``[a, b)`` of at most ``size`` covering ``[0, n_tokens)``, ``stride`` apart.

    The first window starts at 0, the next ones at ``offset + k * stride`` (training shifts them
    each epoch). With ``min_last=0`` the last window is ``[n_tokens - size, n_tokens)``, full
    length. With ``min_last > 0`` it starts where the stride puts it, but ``min_last`` tokens
    before the end at the latest: it can be shorter than ``size``.
    """
    if n_tokens <= 0:
        return []
    if n_tokens <= size:
        return [(0, n_tokens)]
    last = min(min_last, size) if min_last > 0 else size  # the last window's least length
    out = [(0, size)]
    a = offset or stride
    while a + size < n_tokens:
        out.append((a, a + size))
        a += stride
    out.append((min(a, n_tokens - last), n_tokens))  # after the one before, which ended before n_tokens
    return out


def best_window(windows: list[tuple[int, int]], a: int, b: int) -> int:
    """Index of the window holding token range ``[a, b)`` with the largest margin (or overlap)."""
    best, best_key = 0, None
    for i, (ws, we) in enumerate(windows):
        overlap = min(b, we) - max(a, ws)
        margin = min(a - ws, we - b)
        key = (overlap, margin)
        if best_key is None or key > best_key:
            best, best_key = i, key
    return best


def token_owners(windows: list[tuple[int, int]], n_tokens: int) -> np.ndarray:
    """For each token, the window in which it is most central."""
    owner = np.zeros(n_tokens, dtype=np.int64)
    margin = np.full(n_tokens, -1, dtype=np.int64)
    idx = np.arange(n_tokens)
    for i, (ws, we) in enumerate(windows):
        m = np.minimum(idx[ws:we] - ws, we - 1 - idx[ws:we])
        better = m > margin[ws:we]
        owner[ws:we][better] = i
        margin[ws:we][better] = m[better]
    return owner


# --- span helpers ----------------------------------------------------------------------------


def snap_span(text: str, s: int, e: int, lo: int = 0, hi: int | None = None, *,
              possessive: bool = True) -> tuple[int, int]:
    """Extend ``[s, e)`` to whole words, then trim white space, punctuation and symbols such as
    emoji at the edges.

    An apostrophe between letters belongs to the word ("don't"), but a span may end before a
    possessive "'s" unless ``possessive`` is false. The extension stays within ``[lo, hi)`` (the
    block the span was found in), so a "word" of millions of letters costs one block, not the whole
    text, for every span in it."""
    hi = len(text) if hi is None else min(hi, len(text))
    while s > lo and _in_word(text, s - 1, lo, hi) and _in_word(text, s, lo, hi):
        s -= 1
    while e < hi and _in_word(text, e, lo, hi) and _in_word(text, e - 1, lo, hi) and not (
            possessive and _possessive(text, e, lo, hi)):
        e += 1
    while s < e and (text[s] in LEAD_TRIM or _edge_junk(text[s], lead=True)):
        s += 1
    while e > s and (text[e - 1] in TRAIL_TRIM or _edge_junk(text[e - 1])):
        e -= 1
    # a closing bracket whose opener is outside the span ends none ("they lied}" -> "they lied"),
    # nor does an opener start one whose closer is outside; the brackets are counted once, so a
    # long run of them costs its length, not its square
    if any(text[i] in _OPENERS or text[i] in _CLOSERS for i in (s, e - 1) if s < e):
        counts = Counter(ch for ch in text[s:e] if ch in _BRACKETS)
        while e > s:
            ch = text[e - 1]
            if not (ch in TRAIL_TRIM or _edge_junk(ch) or (ch in _CLOSERS and counts[_CLOSERS[ch]] < counts[ch])):
                break
            counts[ch] -= 1
            e -= 1
        while s < e:
            ch = text[s]
            if not (ch in LEAD_TRIM or _edge_junk(ch, lead=True) or (ch in _OPENERS and counts[_OPENERS[ch]] < counts[ch])):
                break
            counts[ch] -= 1
            s += 1
    return s, e


_CLOSERS = {")": "(", "]": "[", "}": "{"}
_OPENERS = {v: k for k, v in _CLOSERS.items()}
_BRACKETS = frozenset("()[]{}")


def has_word(text: str, s: int, e: int) -> bool:
    """Whether ``text[s:e]`` holds a letter or digit. None of PTC's 5,070 gold spans lacks one; a
    span of a lone quote mark, "%" or "****" is dropped."""
    return any(ch.isalnum() for ch in text[s:e])


APOSTROPHES = "'\u2019\u02bc"


def _inner_apostrophe(text: str, i: int, lo: int, hi: int) -> bool:
    """Whether ``text[i]`` is an apostrophe inside a word ("don't", "It's")."""
    return lo < i < hi - 1 and text[i] in APOSTROPHES and text[i - 1].isalnum() and text[i + 1].isalnum()


def _in_word(text: str, i: int, lo: int, hi: int) -> bool:
    """Whether ``text[i]`` is part of a word: a letter, a digit or an apostrophe inside a word, so
    that a span neither starts nor ends at one, nor right after one."""
    return text[i].isalnum() or _inner_apostrophe(text, i, lo, hi)


def _possessive(text: str, i: int, lo: int, hi: int) -> bool:
    """Whether a possessive "'s" starts at ``i``, which a span may end before: PTC's annotators end 9
    spans before one ("Mr. Trump|'s") and 11 after one."""
    return _inner_apostrophe(text, i, lo, hi) and text[i + 1] in "sS" and (i + 2 >= hi or not text[i + 2].isalnum())


# symbols other than currency and maths (emoji, dingbats, arrows, modifier marks), controls, format
# characters (zero-width joiners, variation selectors) and separators of any kind (no-break spaces):
# none of PTC's 5,070 gold spans starts or ends with one, and the tokenizer reads most as [UNK]
_EDGE_JUNK = frozenset({"So", "Sk", "Cc", "Cf", "Co", "Cn", "Cs", "Zs", "Zl", "Zp"})


def _edge_junk(ch: str, lead: bool = False) -> bool:
    """Whether ``ch`` may not start (``lead``) or end a span. A combining mark never starts one; at
    the end it belongs to the letter before it, except for the emoji variation selectors."""
    if ch < " " or ch == "\x7f":
        return True
    if ch <= "\x7f":
        return False
    cat = unicodedata.category(ch)
    return cat in _EDGE_JUNK or ch in "\ufe0e\ufe0f" or (lead and cat in ("Mn", "Me"))


def _norm(s: str) -> str:
    return " ".join(s.lower().split())


def repetition_count(text_lower: str, phrase: str) -> int:
    """How often else the span's phrase occurs in the article (case-insensitive)."""
    p = phrase.lower().strip()
    if len(p) < 3:
        return 0
    return max(0, text_lower.count(p) - 1)


def extra_features(n_tokens: int, rep: int) -> np.ndarray:
    return np.array([math.log1p(rep), 1.0 if rep > 0 else 0.0, math.log1p(n_tokens) / 5.0], np.float32)


def pool_features(hidden: np.ndarray, a: int, b: int, extras: np.ndarray) -> np.ndarray:
    """Features of the span at window-token positions ``[a, b)`` (``hidden`` is [T, H])."""
    a = max(a, 0)
    b = max(min(b, hidden.shape[0]), a + 1)
    span = hidden[a:b]
    ctx = hidden[max(0, a - CONTEXT) : min(hidden.shape[0], b + CONTEXT)]
    return np.concatenate([span.mean(0), span.max(0), ctx.mean(0), extras]).astype(np.float32)


def decode_spans(probs: np.ndarray, threshold: float, gap: int = 0,
                 breaks: np.ndarray | None = None,
                 paragraphs: np.ndarray | None = None, peak: float = 0.0, extend: float = 0.0,
                 ends: np.ndarray | None = None, words: np.ndarray | None = None) -> list[tuple[int, int, float]]:
    """Token runs ``[a, b)`` where P(outside) < threshold; a confident B starts a new run, and so
    does a token after a blank line (``paragraphs[i]``: no PTC span crosses one).

    Runs separated by at most ``gap`` outside tokens are joined, unless a line break lies
    between them (``breaks[i]`` is true when a line break precedes token ``i``). With ``peak``
    (hysteresis), a joined span is kept only if some token in it has P(inside) >= peak: the
    threshold says how far a span reaches, the peak whether there is one at all. With ``extend``,
    the last span of a sentence reaches to the sentence's last word when every word after it has
    P(outside) < extend (:func:`extend_to_sentence_end`; ``ends``, ``words`` as there). A span's
    score is the mean P(inside) of its tokens.
    """
    inside = probs[:, 0] < threshold
    out: list[tuple[int, int]] = []
    a = None
    for i in range(len(probs)):
        if inside[i]:
            starts_new = a is not None and (
                (probs[i, 1] > probs[i, 2] and probs[i, 1] > 0.5) or (paragraphs is not None and paragraphs[i]))
            if a is None:
                a = i
            elif starts_new:
                out.append((a, i))
                a = i
        elif a is not None:
            out.append((a, i))
            a = None
    if a is not None:
        out.append((a, len(probs)))
    out = join_runs(out, gap, breaks)
    if peak > 0:
        out = [(a, b) for a, b in out if 1.0 - probs[a:b, 0].min() >= peak]
    if extend > 0:
        out = extend_to_sentence_end(out, probs, extend, ends, words)
    return [(a, b, float(1.0 - probs[a:b, 0].mean())) for a, b in out]


def extend_to_sentence_end(runs: list[tuple[int, int]], probs: np.ndarray, extend: float,
                           ends: np.ndarray | None = None, words: np.ndarray | None = None) -> list[tuple[int, int]]:
    """Sorted token runs, each carried to the last word of its sentence when no other run follows in
    that sentence and every word in between has P(outside) < ``extend``.

    The model's probabilities tend to fade before a phrase ends ("Take back our | harbour!"), while
    PTC's annotators mark it to the end. ``ends[i]``: a sentence or line starts at token ``i`` (none
    given: the text is one sentence); ``words[i]``: token ``i`` has a letter or digit (none given:
    all do), so closing punctuation neither blocks the extension nor is added by it.
    """
    n = len(probs)
    bounds = np.flatnonzero(ends) if ends is not None else np.zeros(0, np.int64)
    out = []
    for r, (a, b) in enumerate(runs):
        k = int(np.searchsorted(bounds, b, side="left"))
        z = int(bounds[k]) if k < len(bounds) else n  # the first token of the next sentence
        following = runs[r + 1][0] if r + 1 < len(runs) else n
        if following >= z:
            w = np.arange(b, z) if words is None else b + np.flatnonzero(words[b:z])
            if len(w) and bool((probs[w, 0] < extend).all()):
                b = int(w[-1]) + 1
        out.append((a, b))
    return out


_NOT_ALNUM = re.compile(r"[\W_]")  # \w is str.isalnum() plus "_"


def word_tokens(text: str, offsets: np.ndarray) -> np.ndarray:
    """``out[i]`` is true when token ``i`` has a letter or digit: fewer of its characters than its
    length are neither (2.5x faster than testing each token's characters)."""
    offsets = np.asarray(offsets, np.int64).reshape(-1, 2)
    other = np.fromiter((m.start() for m in _NOT_ALNUM.finditer(text)), np.int64)
    n_other = np.searchsorted(other, offsets[:, 1]) - np.searchsorted(other, offsets[:, 0])
    return n_other < offsets[:, 1] - offsets[:, 0]


def join_runs(runs: list[tuple[int, int]], gap: int, breaks: np.ndarray | None = None) -> list[tuple[int, int]]:
    """Sorted token runs, with those at most ``gap`` tokens apart joined unless a line break
    (``breaks[i]``: one precedes token ``i``) lies between them."""
    if gap <= 0 or not runs:
        return runs
    joined = [runs[0]]
    for a, b in runs[1:]:
        pa, pb = joined[-1]
        if 0 < a - pb <= gap and (breaks is None or not breaks[pb : a + 1].any()):
            joined[-1] = (pa, b)
        else:
            joined.append((a, b))
    return joined


def newlines_before(text: str, offsets: np.ndarray) -> np.ndarray:
    """``out[i]``: how many line breaks lie between token ``i - 1`` and token ``i`` (two or more:
    a blank line, since only white space lies between tokens)."""
    out = np.zeros(len(offsets), np.int64)
    if len(offsets) > 1:
        breaks = np.flatnonzero(np.frombuffer(text.encode("utf-32-le"), np.uint32) == 10)  # by character
        out[1:] = np.searchsorted(breaks, offsets[1:, 0]) - np.searchsorted(breaks, offsets[:-1, 1])
    return out


def sentence_starts(text: str, offsets: np.ndarray) -> np.ndarray:
    """``out[i]`` is true when a sentence (``document.split_sentences``) starts after token
    ``i - 1`` ends and at or before token ``i`` starts."""
    from .document import split_sentences

    out = np.zeros(len(offsets), bool)
    if len(offsets) > 1:
        starts = np.array([s.start for s in split_sentences(text)], np.int64)
        out[1:] = np.searchsorted(starts, offsets[1:, 0], side="right") > np.searchsorted(starts, offsets[:-1, 1], side="right")
    return out


def line_breaks(text: str, offsets: np.ndarray, blank: bool = False) -> np.ndarray:
    """``out[i]`` is true when a line break (with ``blank``: a blank line) lies between token
    ``i - 1`` and token ``i``."""
    return newlines_before(text, offsets) >= (2 if blank else 1)


def softmax(x: np.ndarray) -> np.ndarray:
    z = np.exp(x - x.max(-1, keepdims=True))
    return z / z.sum(-1, keepdims=True)


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


# --- the model -------------------------------------------------------------------------------


class ModelError(Exception):
    """The model files are missing, damaged or inconsistent."""


# ONNX Runtime graph optimisers turned off for the encoder (see session_options)
DISABLED_OPTIMIZERS = "SkipLayerNormFusion"


def session_options(threads: int, spinning: bool = True, disabled: str = DISABLED_OPTIMIZERS):
    """ONNX Runtime session options for the encoder: ``threads`` intra-op threads, one graph at a
    time, quiet; with ``spinning=False`` idle threads sleep instead of busy-waiting for the next op.

    ONNX Runtime's SkipLayerNormFusion (each residual Add + LayerNormalization as one
    SkipLayerNormalization kernel) is turned off. On this int8 encoder that kernel is slow: the
    four of them took 1.9 ms of a 19.6 ms window (one thread), the Adds and LayerNormalizations
    in their place about 0.5 ms, so windows run 1.06-1.11x faster (``all-fusions`` in
    bench/bench_onnx_opt.py). The outputs differ from the fused graph's by rounding that the
    dynamic int8 quantisation amplifies (up to 0.07 in a token probability) and are as close to
    the fp32 network's (mean |difference| in token probabilities 0.0265 against 0.0264);
    out-of-fold SI F1 at the shipped decoding 0.4135 against 0.4137 (model card).

    ``disabled``: ONNX Runtime optimiser names to turn off, separated by ";" ("" for none).
    """
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.log_severity_level = 3
    if not spinning:
        so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    if disabled:
        so.add_session_config_entry("optimization.disable_specified_optimizers", disabled)
    return so


_REFIT = "; refit it with 'spinscope train cv' (it writes calibration.json)"


def checked_score_map(cal, where: Path) -> dict | None:
    """The ``score_calibration`` of a model config, checked: knots ``x`` increasing, ``y`` in [0, 1]
    and non-decreasing (so that calibration never reorders spans of one technique), and optional
    positive ``technique_factor`` per technique (see ``evaluation.fit_technique_factors``)."""
    if not cal:
        return None
    try:
        x = [float(v) for v in cal["x"]]
        y = [float(v) for v in cal["y"]]
    except (KeyError, TypeError, ValueError) as e:
        raise ModelError(f"{where}: score_calibration needs lists of numbers 'x' and 'y' ({e}){_REFIT}") from None
    if not x or len(x) != len(y) or any(b <= a for a, b in zip(x, x[1:])) \
            or any(b < a for a, b in zip(y, y[1:])) or not all(0.0 <= v <= 1.0 for v in y):
        raise ModelError(f"{where}: score_calibration must have x increasing and y non-decreasing in [0, 1], of equal length{_REFIT}")
    factors = cal.get("technique_factor") or {}
    try:
        factors = {str(k): float(v) for k, v in dict(factors).items()}
    except (TypeError, ValueError) as e:
        raise ModelError(f"{where}: score_calibration technique_factor must map techniques to numbers ({e}){_REFIT}") from None
    if not all(math.isfinite(v) and v > 0 for v in factors.values()):
        raise ModelError(f"{where}: score_calibration technique factors must be positive numbers{_REFIT}")
    return {"x": x, "y": y, "technique_factor": factors}


def apply_score_map(score_map: dict, raw, techniques=None):
    """The calibrated score(s) for raw score(s): the curve (``x``, ``y``) of a score map (see
    ``evaluation.fit_score_map``), then, with ``techniques`` (one per score) and a map that has
    ``technique_factor``, each scaled by its technique's factor (capped at 1)."""
    mapped = np.interp(raw, score_map["x"], score_map["y"])
    factors = score_map.get("technique_factor")
    if factors and techniques is not None:
        f = np.array([factors.get(t, 1.0) for t in np.atleast_1d(techniques)], np.float64)
        mapped = np.minimum(1.0, mapped * (f if np.ndim(mapped) else f[0]))
    return mapped


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclass
class _Block:
    start: int  # char offset of the block in the text
    text: str
    offsets: np.ndarray  # [n, 2] char offsets within the block
    windows: list[tuple[int, int]]
    hidden: list[np.ndarray]  # per window [T, H] (content tokens only)
    probs: np.ndarray  # [n, 3] per token, from its owner window
    lower: str = ""  # lower-cased block text, for the repetition feature
    newlines: np.ndarray | None = None  # per token, line breaks before it (set when first decoded)
    sentence_starts: np.ndarray | None = None  # per token, whether a new sentence starts at it (same)
    words: np.ndarray | None = None  # per token, whether it has a letter or digit (same)


class Detector:
    """Runs the shipped (or a given) technique model. Load once, call many times."""

    def __init__(self, model_dir: str | Path | None = None, threads: int | None = None, verify: bool = True,
                 lazy: bool = False):
        from tokenizers import Tokenizer

        self.model_dir = Path(model_dir) if model_dir else MODEL_DIR
        cfg_path = self.model_dir / "config.json"
        if not cfg_path.exists():
            raise ModelError(f"no model in {self.model_dir} (config.json missing); train one with 'spinscope train'")
        self.config = json.loads(cfg_path.read_text(encoding="utf-8"))
        if verify:
            self._verify()
        self.labels: list[str] = self.config["labels"]
        self.max_len: int = self.config["max_len"]
        self.stride: int = self.config.get("infer_stride", self.max_len - 2 - 32)
        self.threshold: float = self._number("threshold", None, float)
        self.gap: int = self._number("gap", 0, int)
        self.peak: float = self._number("peak", 0.0, float)
        # the last span of a sentence reaches its end when the words after it are nearly inside (0: off)
        self.extend: float = self._number("extend", 0.0, float)
        self.split_paragraphs: bool = bool(self.config.get("split_paragraphs", True))
        # no span crosses a sentence end either, and runs are not joined across one: in prose (several
        # sentences a line) gap joining otherwise ran spans over sentences (model card, 0.2.4)
        self.split_sentences: bool = bool(self.config.get("split_sentences", True))
        # a map from a span's raw score and technique to the share of such spans that are right,
        # fitted out of fold by 'spinscope train cv' (absent: scores stay raw)
        self.score_map: dict | None = checked_score_map(self.config.get("score_calibration"), cfg_path)
        self.tokenizer = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()
        self.cls_id = self.tokenizer.token_to_id("[CLS]")
        self.sep_id = self.tokenizer.token_to_id("[SEP]")
        heads = np.load(self.model_dir / "tc_head.npz")
        self.W = heads["weight"].astype(np.float32)  # [C, F]
        self.b = heads["bias"].astype(np.float32)
        self.threads = threads or int(os.environ.get("SPINSCOPE_THREADS", 0)) or min(4, os.cpu_count() or 1)
        self._own_session = None  # made on first use: analyze_many may only ever need siblings
        self._mask_input = False  # whether the ONNX graph takes an attention mask (set with a session)
        self._siblings: dict[int, Detector] = {}
        self._siblings_lock = threading.Lock()
        if not lazy:
            self.session  # noqa: B018 - load now, so that a broken model fails here
        self.hidden_size = self.config["hidden_size"]

    @property
    def session(self):
        """The ONNX Runtime session on :attr:`threads` threads (made on first use with ``lazy``)."""
        if self._own_session is None:
            with self._siblings_lock:
                if self._own_session is None:
                    self._own_session = self._session(self.threads, spinning=True)
        return self._own_session

    @session.setter
    def session(self, value) -> None:
        self._own_session = value

    def _session(self, threads: int, spinning: bool):
        import onnxruntime as ort

        so = session_options(threads, spinning)
        session = ort.InferenceSession(str(self.model_dir / self.config["onnx"]), so, providers=["CPUExecutionProvider"])
        # models exported before 0.2.3 also take an attention mask (all ones: windows are never padded)
        self._mask_input = any(i.name == "attention_mask" for i in session.get_inputs())
        return session

    def with_threads(self, threads: int) -> "Detector":
        """This detector with its own ONNX Runtime session on ``threads`` threads (idle threads
        sleep rather than spin), made once and kept; the same results, for running beside other
        work (:func:`spinscope.analyze_many` leaves a core to spaCy)."""
        threads = max(1, threads)
        if threads == self.threads:
            return self
        with self._siblings_lock:
            sib = self._siblings.get(threads)
            if sib is None:
                sib = copy.copy(self)
                sib.threads = threads
                sib.session = self._session(threads, spinning=False)
                sib._mask_input = self._mask_input  # set by _session
                sib._siblings = {}
                sib._siblings_lock = threading.Lock()
                self._siblings[threads] = sib
        return sib

    @property
    def takes_mask(self) -> bool:
        """Whether the ONNX graph takes an attention mask: models exported before 0.2.3 do (and
        can run padded batches); later ones take ``input_ids`` alone, one unpadded window a run."""
        self.session  # noqa: B018 - the inputs are known once a session is made
        return self._mask_input

    def _verify(self) -> None:
        for name, digest in self.config.get("sha256", {}).items():
            p = self.model_dir / name
            if not p.exists():
                raise ModelError(f"model file {p} is missing")
            if sha256(p) != digest:
                raise ModelError(f"model file {p} does not match its checksum; reinstall spinscope")

    def _number(self, key: str, default, kind):
        """A decoding setting of the config (``default`` None: required), as ``kind``."""
        value = self.config.get(key, default)
        try:
            if value is None or isinstance(value, bool):
                raise TypeError
            return kind(value)
        except (TypeError, ValueError):
            got = f"not {value!r}" if key in self.config else "it is missing"
            raise ModelError(f"{self.model_dir / 'config.json'}: '{key}' must be a number ({got}); "
                             f"set it with 'spinscope train ... --{key}' or reinstall spinscope for the shipped model") from None

    @property
    def info(self) -> dict:
        return {
            "name": self.config.get("name", "spinscope-techniques"),
            "version": self.config.get("version", "unknown"),
            "threshold": self.threshold,
            "gap": self.gap,
            "peak": self.peak,
            "extend": self.extend,
            "calibrated": self.score_map is not None,
        }

    # -- encoding --

    def _run_window(self, ids: np.ndarray, session=None) -> tuple[np.ndarray, np.ndarray]:
        session = session or self.session
        x = np.concatenate([[self.cls_id], ids, [self.sep_id]]).astype(np.int64)[None, :]
        feed = {"input_ids": x, "attention_mask": np.ones_like(x)} if self._mask_input else {"input_ids": x}
        probs, hidden = session.run(None, feed)
        return probs[0, 1:-1], hidden[0, 1:-1]

    def _tokenize(self, text: str) -> tuple[np.ndarray, np.ndarray, list[tuple[int, int]], np.ndarray]:
        """``(ids, offsets, windows, owner)`` of a block: its token ids and character offsets, the
        model's overlapping windows over them, and which window owns (scores) each token."""
        enc = self.tokenizer.encode(text, add_special_tokens=False)
        ids = np.asarray(enc.ids, dtype=np.int64)
        offsets = np.asarray(enc.offsets, dtype=np.int64).reshape(-1, 2)
        windows = make_windows(len(ids), self.max_len - 2, self.stride, min_last=LAST_WINDOW)
        return ids, offsets, windows, token_owners(windows, len(ids))

    def _encode_block(self, text: str, start: int) -> _Block:
        ids, offsets, windows, owner = self._tokenize(text)
        n = len(ids)
        probs = np.zeros((n, 3), np.float32)
        hidden = []
        for i, (ws, we) in enumerate(windows):
            check_time()
            p, h = self._run_window(ids[ws:we])
            hidden.append(h)
            mine = owner[ws:we] == i
            probs[ws:we][mine] = p[mine]
        return _Block(start, text, offsets, windows, hidden, probs, text.lower())

    def _blocks(self, text: str):
        """Split long texts at line breaks (else spaces) into blocks of about BLOCK_CHARS."""
        pos = 0
        n = len(text)
        while pos < n:
            end = n if n - pos <= BLOCK_CHARS else None
            if end is None:
                limit = pos + BLOCK_CHARS
                cut = text.rfind("\n", pos + BLOCK_CHARS // 2, limit)
                if cut < 0:
                    cut = text.rfind(" ", pos + BLOCK_CHARS // 2, limit)
                end = cut + 1 if cut >= 0 else limit
            yield pos, text[pos:end]
            pos = end

    # -- classification --

    def _classify_in_block(self, blk: _Block, s: int, e: int):
        """Class probabilities, extras and pooled info for char span [s, e) (absolute offsets)."""
        bs, be = s - blk.start, e - blk.start
        offs = blk.offsets
        # tokens overlapping the span
        a = int(np.searchsorted(offs[:, 1], bs, side="right"))
        b = int(np.searchsorted(offs[:, 0], be, side="left"))
        if b <= a:  # span with no tokens (e.g. only punctuation the tokenizer keeps): nearest token
            a = min(a, max(len(offs) - 1, 0))
            b = a + 1
        wi = best_window(blk.windows, a, b)
        ws, we = blk.windows[wi]
        # repetition is counted within the block: the whole text for any normal article
        rep = repetition_count(blk.lower, blk.text[max(bs, 0) : be])
        feats = pool_features(blk.hidden[wi], a - ws, b - ws, extra_features(b - a, rep))
        logits = self.W @ feats + self.b
        return softmax(logits), rep, (wi, a, b)

    def _triggers(self, blk: _Block, wi: int, a: int, b: int, cls: int) -> tuple[str, ...]:
        """Words whose tokens add most to the technique's logit through the span's mean pool, at most
        three, function words left out (:data:`FUNCTION_WORDS`)."""
        ws, we = blk.windows[wi]
        a2, b2 = max(a, ws), min(b, we)
        if b2 <= a2:
            return ()
        h = blk.hidden[wi][a2 - ws : b2 - ws]
        contrib = h @ self.W[cls, : self.hidden_size] / (b2 - a2)
        words: dict[tuple[int, int], float] = {}
        for k in range(b2 - a2):
            ts, te = blk.offsets[a2 + k]
            ws_, we_ = snap_span(blk.text, int(ts), int(te), possessive=False)  # "Trump’s": one word
            if we_ <= ws_ or not has_word(blk.text, ws_, we_) or is_function_word(blk.text[ws_:we_]):
                continue
            words[(ws_, we_)] = words.get((ws_, we_), 0.0) + float(contrib[k])
        top = sorted((v, k) for k, v in words.items() if v > 0)[::-1][:3]
        seen, out = set(), []
        for _, (x, y) in top:
            w = blk.text[x:y]
            if w.lower() not in seen:
                seen.add(w.lower())
                out.append(w)
        return tuple(out)

    def _span(self, blk, text, probs, rep, loc, s, e, span_score, rank: int = 0) -> Span:
        order = np.argsort(-probs)
        cls = int(order[rank])
        technique = self.labels[cls]
        score = float(probs[cls]) * (span_score if span_score > 0 else 1.0)
        if self.score_map is not None:
            score = float(apply_score_map(self.score_map, score, technique))
        triggers = self._triggers(blk, *loc, cls)
        alts = tuple(Alternative(self.labels[int(j)], float(probs[int(j)])) for j in order[:3] if int(j) != cls)[:2]
        return Span(
            start=s,
            end=e,
            technique=technique,
            score=score,
            text=text[s:e],
            explanation=explain(technique, triggers, rep, score),
            span_score=span_score,
            triggers=triggers,
            alternatives=alts,
            technique_score=float(probs[cls]),
        )

    # -- public --

    def encode(self, text: str) -> list[_Block]:
        """Run the encoder over the text, block by block (keeps everything in memory)."""
        return [self._encode_block(block, start) for start, block in self._blocks(text) if block.strip()]

    def span_bounds(self, text: str, blocks, threshold: float | None = None, gap: int | None = None,
                    peak: float | None = None, extend: float | None = None) -> list[tuple[_Block, int, int, float]]:
        """``(block, start, end, span score)`` of the spans that :meth:`decode` labels, unlabelled:
        the SI decoding alone (settings default to the model's)."""
        threshold = self.threshold if threshold is None else threshold
        gap = self.gap if gap is None else gap
        peak = self.peak if peak is None else peak
        extend = self.extend if extend is None else extend
        out = []
        for blk in blocks:
            if len(blk.offsets) == 0:
                continue
            if blk.newlines is None:  # once per block, however many decoding settings are tried
                blk.newlines = newlines_before(blk.text, blk.offsets)
            # where a line (or, with split_sentences, a sentence) starts: runs are not joined across
            # it, and an extended span stops before it
            ends = blk.newlines >= 1
            paras = blk.newlines >= 2 if self.split_paragraphs else None
            if self.split_sentences:
                if blk.sentence_starts is None:
                    blk.sentence_starts = sentence_starts(blk.text, blk.offsets)
                ends = ends | blk.sentence_starts
                paras = blk.sentence_starts if paras is None else paras | blk.sentence_starts
            if extend > 0 and blk.words is None:
                blk.words = word_tokens(blk.text, blk.offsets)
            for a, b, sscore in decode_spans(blk.probs, threshold, gap, ends, paras, peak, extend, ends, blk.words):
                s = blk.start + int(blk.offsets[a, 0])
                e = blk.start + int(blk.offsets[b - 1, 1])
                s, e = snap_span(text, s, e, blk.start, blk.start + len(blk.text))
                if e > s and has_word(text, s, e):  # no PTC span is punctuation or symbols alone
                    out.append((blk, s, e, sscore))
        return out

    def decode(self, text: str, blocks, threshold: float | None = None, gap: int | None = None,
               peak: float | None = None, extend: float | None = None) -> list[Span]:
        """Spans from encoded blocks at a given SI threshold, gap, peak and extend (default: the model's)."""
        spans: list[Span] = []
        for blk, s, e, sscore in self.span_bounds(text, blocks, threshold, gap, peak, extend):
            probs, rep, loc = self._classify_in_block(blk, s, e)
            spans.append(self._span(blk, text, probs, rep, loc, s, e, sscore))
        spans.sort(key=lambda sp: (sp.start, sp.end, sp.technique))
        return spans

    def detect(self, text: str, threshold: float | None = None) -> list[Span]:
        """All technique spans in ``text``, sorted by position. Memory is bounded by the block size."""
        spans: list[Span] = []
        for start, block in self._blocks(text):
            if block.strip():
                spans.extend(self.decode(text, [self._encode_block(block, start)], threshold))
        return spans

    def classify(self, text: str, spans: list[tuple[int, int]]) -> list[np.ndarray]:
        """Technique probabilities (in ``self.labels`` order) for given character spans."""
        out: list[np.ndarray | None] = [None] * len(spans)
        for start, block in self._blocks(text):
            end = start + len(block)
            todo = [i for i, (s, e) in enumerate(spans) if out[i] is None and (start <= s < end or (s >= end and end == len(text)))]
            if not todo:
                continue
            blk = self._encode_block(block, start)
            for i in todo:
                s, e = spans[i]
                if len(blk.offsets) == 0:
                    out[i] = np.full(len(self.labels), 1.0 / len(self.labels), np.float32)
                    continue
                probs, _, _ = self._classify_in_block(blk, s, min(e, end))
                out[i] = probs
        return [p if p is not None else np.full(len(self.labels), 1.0 / len(self.labels), np.float32) for p in out]


_DEFAULT: Detector | None = None


def load_detector(model_dir: str | Path | None = None) -> Detector:
    """The model in ``model_dir``, or the shipped one (loaded once per process) when None."""
    return Detector(model_dir) if model_dir else default_detector()


def default_detector() -> Detector:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Detector(lazy=True)  # its own session is made when first needed
    return _DEFAULT
