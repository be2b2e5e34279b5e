"""The technique detector: span identification and technique classification with one encoder.

One int8 ONNX encoder (fine-tuned all-MiniLM-L6-v2) runs over overlapping token windows of the
text and gives, per token, the probability of Outside / Begin / Inside a persuasive span (SI),
plus its hidden state. Spans are decoded from those probabilities, snapped to word boundaries and
trimmed; each span is then classified (TC) by a linear head over features pooled from the
hidden states of the window where the span sits most centrally.
"""

from __future__ import annotations

import copy
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..budget import check_time
from ..document import Alternative, Sentence, Span, blocks
from ..errors import ModelError
from .calibration import apply_score_map, checked_score_map
from .classifier import SpanClassifier
from .decoding import decode_spans, newlines_before, sentence_starts, word_tokens
from .explain import explain, is_function_word
from .masking import encode, placeholder_ids, special_ids
from .features import extra_features, pool_features, repetition_count, softmax
from .runtime import DISABLED_OPTIMIZERS, session_options, sha256  # noqa: F401 - re-exported
from .spans import has_word, snap_span
from .windows import BLOCK_CHARS, LAST_WINDOW, best_window, make_windows, token_owners

MODEL_DIR = Path(__file__).parent.parent / "models"


@dataclass
class Block:
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
    ids: np.ndarray | None = None  # token ids, for the span classifier
    layers: list[np.ndarray] | None = None  # per window [T, K*H]: inner layers asked for (claims features)


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
        try:
            self.cls_id, self.sep_id = special_ids(self.tokenizer)
        except ValueError as e:
            raise ModelError(f"{self.model_dir / 'tokenizer.json'}: {e}") from None
        # the encoders read this one token for every name, so that who is named does not change
        # the labels (spinscope.detect.masking); None: names are read as written
        self.mask_ids: dict[str, int] | None = None
        if self.config.get("mask_names"):
            try:
                self.mask_ids = placeholder_ids(self.config["mask_names"], self.tokenizer)
            except ValueError as e:
                raise ModelError(f"{cfg_path}: {e}") from None
        heads = np.load(self.model_dir / "tc_head.npz")
        self.W = heads["weight"].astype(np.float32)  # [C, F]
        self.b = heads["bias"].astype(np.float32)
        self.threads = threads or int(os.environ.get("SPINSCOPE_THREADS", 0)) or min(4, os.cpu_count() or 1)
        # a second encoder that reads each span with its sentence, when the model ships one; its
        # probabilities replace the head's, or are mixed with them by 'classifier_weight'
        self.classifier: SpanClassifier | None = None
        if (self.model_dir / "classifier" / "config.json").exists():
            self.classifier = SpanClassifier(self.model_dir / "classifier", self.labels, self.threads, verify,
                                             sha256(self.model_dir / "tokenizer.json"))
        if self.classifier is not None and "mask_names" in self.classifier.config.get("train", {}):
            if self.classifier.config["train"]["mask_names"] != self.config.get("mask_names"):
                raise ModelError(f"{cfg_path}: the span classifier was trained with mask_names "
                                 f"{self.classifier.config['train']['mask_names']!r}, the model has "
                                 f"{self.config.get('mask_names')!r}")
        self.classifier_weight: float = self._number("classifier_weight", 1.0, float)
        # a span whose phrase recurs in the text is this many times likelier Repetition (1: off);
        # chosen out of fold, as Repetition is the technique the classifiers under-call most
        self.repetition_boost: float = self._number("repetition_boost", 1.0, float)
        self._rep_index = self.labels.index("Repetition") if "Repetition" in self.labels else -1
        self._own_session = None  # made on first use: analyze_many may only ever need siblings
        self._mask_input = False  # whether the ONNX graph takes an attention mask (set with a session)
        self._base_outputs = ["si_probs", "hidden"]  # the graph's first two outputs (set with a session)
        self._siblings: dict[int, Detector] = {}
        self._siblings_lock = threading.Lock()
        if not lazy:
            self.session  # noqa: B018 - load now, so that a broken model fails here
            if self.classifier is not None:
                self.classifier.session  # noqa: B018
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
        # SI probabilities and the last hidden states come first; inner layers (if any) are asked by name
        self._base_outputs = [o.name for o in session.get_outputs()[:2]]
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
                sib._base_outputs = self._base_outputs
                if self.classifier is not None:
                    sib.classifier = self.classifier.with_threads(threads)
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
            "mask_names": self.mask_ids is not None,
            "mask_sides": self.mask_ids is not None and "side" in self.mask_ids,
            "classifier": (self.classifier.config.get("train", {}).get("version", "unknown")
                           if self.classifier is not None else None),
        }

    # -- encoding --

    @property
    def layer_outputs(self) -> list[str]:
        """Names of the inner layers' hidden states the ONNX graph also outputs (``hidden_1``, ...;
        exports since spinscope 0.9.1's claims model 0.6.0, or ``spinscope train expose-layers``),
        which a claims head may pool beside the last layer."""
        return [o.name for o in self.session.get_outputs() if o.name.startswith("hidden_")]

    def run_window(self, ids: np.ndarray, session=None, layers: tuple[str, ...] = ()):
        """SI probabilities and last hidden states of one window's content tokens; with ``layers``
        (inner layer outputs) also those layers' states, concatenated ([T, K*H])."""
        session = session or self.session
        x = np.concatenate([[self.cls_id], ids, [self.sep_id]]).astype(np.int64)[None, :]
        feed = {"input_ids": x, "attention_mask": np.ones_like(x)} if self._mask_input else {"input_ids": x}
        if not layers:
            probs, hidden = session.run(self._base_outputs, feed)
            return probs[0, 1:-1], hidden[0, 1:-1]
        probs, hidden, *inner = session.run([*self._base_outputs, *layers], feed)
        return probs[0, 1:-1], hidden[0, 1:-1], np.concatenate([h[0, 1:-1] for h in inner], -1)

    def _tokenize(self, text: str) -> tuple[np.ndarray, np.ndarray, list[tuple[int, int]], np.ndarray]:
        """``(ids, offsets, windows, owner)`` of a block: its token ids and character offsets, the
        model's overlapping windows over them, and which window owns (scores) each token."""
        ids, offsets = encode(self.tokenizer, text, self.mask_ids)
        windows = make_windows(len(ids), self.max_len - 2, self.stride, min_last=LAST_WINDOW)
        return ids, offsets, windows, token_owners(windows, len(ids))

    def _encode_block(self, text: str, start: int, layers: tuple[str, ...] = ()) -> Block:
        ids, offsets, windows, owner = self._tokenize(text)
        n = len(ids)
        probs = np.zeros((n, 3), np.float32)
        hidden, inner = [], []
        for i, (ws, we) in enumerate(windows):
            check_time()
            p, h, *rest = self.run_window(ids[ws:we], layers=layers)
            hidden.append(h)
            inner.extend(rest)
            mine = owner[ws:we] == i
            probs[ws:we][mine] = p[mine]
        return Block(start, text, offsets, windows, hidden, probs, text.lower(), ids=ids,
                     layers=inner if layers else None)

    def _blocks(self, text: str):
        """Long texts in blocks of about BLOCK_CHARS, cut at line breaks (else spaces)."""
        return blocks(text, BLOCK_CHARS)

    # -- classification --

    def _classify_in_block(self, blk: Block, s: int, e: int):
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

    def _technique_probs(self, bounds, found) -> list[np.ndarray]:
        """The technique probabilities of each span: the head's (``found``), or with a span
        classifier its own, run once per block over that block's spans; then the repetition boost."""
        probs = self._classifier_probs(bounds, found)
        if self.repetition_boost != 1.0 and self._rep_index >= 0:
            for i, (_, rep_count, _) in enumerate(found):
                if rep_count > 0:
                    p = probs[i].copy()
                    p[self._rep_index] *= self.repetition_boost
                    probs[i] = p / p.sum()
        return probs

    def _classifier_probs(self, bounds, found) -> list[np.ndarray]:
        probs = [f[0] for f in found]
        if self.classifier is None or not bounds:
            return probs
        by_block: dict[int, list[int]] = {}
        for i, (blk, *_rest) in enumerate(bounds):
            by_block.setdefault(id(blk), []).append(i)
        w = self.classifier_weight
        for idx in by_block.values():
            blk = bounds[idx[0]][0]
            if blk.sentence_starts is None:
                blk.sentence_starts = sentence_starts(blk.text, blk.offsets)
            rows = [(found[i][2][1], found[i][2][2], found[i][1]) for i in idx]
            clf = self.classifier.probs(blk.ids, blk.sentence_starts, rows, self.cls_id, self.sep_id)
            for i, p in zip(idx, clf):
                probs[i] = p if w >= 1.0 else w * p + (1.0 - w) * probs[i]
        return probs

    def _triggers(self, blk: Block, wi: int, a: int, b: int, cls: int) -> tuple[str, ...]:
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

    def iter_encoded(self, text: str, sentences: list[Sentence] | None = None, layers: tuple[str, ...] = ()):
        """The text's encoded :class:`Block` s, one at a time (so memory stays bounded); blank
        blocks are skipped. ``sentences``: ``split_sentences(text)`` when the caller has it, so the
        decoding does not split the text again. ``layers``: inner layer outputs to keep as well
        (:attr:`Block.layers`), for a claims head that pools them."""
        starts = None if sentences is None else np.fromiter((s.start for s in sentences), np.int64, len(sentences))
        for start, block in self._blocks(text):
            if block.strip():
                blk = self._encode_block(block, start, layers)
                if starts is not None and self.split_sentences:
                    blk.sentence_starts = sentence_starts(blk.text, blk.offsets, starts - start)
                yield blk

    def encode(self, text: str, sentences: list[Sentence] | None = None) -> list[Block]:
        """Run the encoder over the text, block by block (keeps everything in memory)."""
        return list(self.iter_encoded(text, sentences))

    def span_bounds(self, text: str, blocks, threshold: float | None = None, gap: int | None = None,
                    peak: float | None = None, extend: float | None = None) -> list[tuple[Block, int, int, float]]:
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
        bounds = self.span_bounds(text, blocks, threshold, gap, peak, extend)
        found = [self._classify_in_block(blk, s, e) for blk, s, e, _ in bounds]
        mixed = self._technique_probs(bounds, found)
        for (blk, s, e, sscore), (_, rep, loc), probs in zip(bounds, found, mixed):
            spans.append(self._span(blk, text, probs, rep, loc, s, e, sscore))
        spans.sort(key=lambda sp: (sp.start, sp.end, sp.technique))
        return spans

    def detect(self, text: str, threshold: float | None = None, sentences: list[Sentence] | None = None) -> list[Span]:
        """All technique spans in ``text``, sorted by position. Memory is bounded by the block size.
        ``sentences``: ``split_sentences(text)``, when already split."""
        spans: list[Span] = []
        for blk in self.iter_encoded(text, sentences):
            spans.extend(self.decode(text, [blk], threshold))
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
            if len(blk.offsets) == 0:
                continue
            bounds = [(blk, spans[i][0], min(spans[i][1], end), 0.0) for i in todo]
            found = [self._classify_in_block(blk, s, e) for _, s, e, _ in bounds]
            for i, probs in zip(todo, self._technique_probs(bounds, found)):
                out[i] = probs
        return [p if p is not None else np.full(len(self.labels), 1.0 / len(self.labels), np.float32) for p in out]


def detect_spans(detector, text: str, sentences: list[Sentence] | None = None,
                 threshold: float | None = None) -> list[Span]:
    """``detector.detect(text)``, handing a :class:`Detector` the sentences already split; any
    other object with a ``detect(text[, threshold])`` method (as ``analyze`` accepts) is called plainly."""
    if isinstance(detector, Detector):
        return detector.detect(text, threshold, sentences)
    return detector.detect(text) if threshold is None else detector.detect(text, threshold)


_DEFAULT: Detector | None = None


def load_detector(model_dir: str | Path | None = None) -> Detector:
    """The model in ``model_dir``, or the shipped one (loaded once per process) when None."""
    return Detector(model_dir) if model_dir else default_detector()


def default_detector() -> Detector:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Detector(lazy=True)  # its own session is made when first needed
    return _DEFAULT
