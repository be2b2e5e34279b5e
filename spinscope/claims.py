"""Check-worthy claims: which sentences of a text make a factual claim worth checking.

A sentence classifier gives each sentence a check-worthiness score in 0-1 (trained on
ClaimBuster, measured on CheckThat! 2024 Task 1; see ``spinscope/models/CLAIMS_MODEL_CARD.md``).
The model comes in one of two modes, named in its config (``claims.json`` in the model folder):

- ``shared``: a logistic-regression head over the mean-pooled hidden states of the *technique*
  encoder (``spinscope.detect``). Inside ``analyze`` this costs no second encoder pass: the
  sentence vectors are pooled from the hidden states the technique detector computes anyway
  (:func:`detect_with_claims`). The head is tied to one technique encoder by its checksum.
- ``finetune``: a separately fine-tuned int8 ONNX sentence classifier (its own encoder pass).

The runtime needs only ``onnxruntime``, ``tokenizers`` and ``numpy``. ``spinscope claims
SENTENCES.tsv`` scores the sentences of a CheckThat!-style TSV file (``python -m spinscope.claims``
runs the same command).
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from pathlib import Path

import numpy as np

from .detect import detect_spans, session_options
from .detect.masking import mask_names
from .document import Claim, InputError, Sentence, decode_bytes, read_bounded

MAX_TSV_BYTES = 500_000_000  # a file of sentences may be far larger than an article

MODEL_DIR = Path(__file__).parent / "models"
CONFIG_NAME = "claims.json"
# One sentence per encoder call: int8 dynamic quantisation scales activations per call, so a
# sentence batched with others would score slightly differently; alone, its score depends on
# nothing else in the input. (Short sentences cost a few milliseconds each.)
BATCH = 1


# --- features shared by training and inference -----------------------------------------------


POOLINGS = ("mean", "mean+max")


def pool_sentence(hidden: np.ndarray, pooling: str = "mean") -> np.ndarray:
    """The sentence vector of a shared-mode head from its content tokens' hidden states ([T, H]):
    their mean ([H]), or their mean and max concatenated ([2H])."""
    if hidden.shape[0] == 0:
        return np.zeros(hidden.shape[1] * (2 if pooling == "mean+max" else 1), np.float32)
    if pooling == "mean+max":
        return np.concatenate([hidden.mean(0), hidden.max(0)]).astype(np.float32)
    return hidden.mean(0).astype(np.float32)


def _batches(lengths: list[int], size: int = BATCH):
    """Indices in batches of similar length (sorted, stable), so padding stays small."""
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], i))
    for k in range(0, len(order), size):
        yield order[k : k + size]


def _pad(rows: list[np.ndarray], cls_id: int, sep_id: int) -> tuple[np.ndarray, np.ndarray]:
    L = max(len(r) for r in rows) + 2
    ids = np.zeros((len(rows), L), np.int64)
    mask = np.zeros((len(rows), L), np.int64)
    for i, r in enumerate(rows):
        ids[i, 0] = cls_id
        ids[i, 1 : len(r) + 1] = r
        ids[i, len(r) + 1] = sep_id
        mask[i, : len(r) + 2] = 1
    return ids, mask


def sentence_vectors(detector, texts: list[str], max_len: int = 128, pooling: str = "mean",
                     layers: tuple[str, ...] = ()) -> np.ndarray:
    """Shared-mode features of sentences encoded on their own by the technique encoder: [N, W].

    Each sentence is ``[CLS] tokens [SEP]`` (at most ``max_len`` tokens); its vector is the mean
    of its content tokens' hidden states (:func:`pool_sentence`), as for a sentence in context.
    With ``layers`` (inner layer outputs) the states pooled are those layers' and the last one's,
    side by side (W = (K + 1) * H, doubled for mean+max).
    """
    width = detector.hidden_size * (len(layers) + 1)
    out = np.zeros((len(texts), width * (2 if pooling == "mean+max" else 1)), np.float32)
    if not texts:
        return out
    encs = detector.tokenizer.encode_batch(list(texts), add_special_tokens=False)
    toks = [np.asarray(e.ids, np.int64) for e in encs]
    if getattr(detector, "mask_ids", None):  # names read as the detector reads them in an article
        toks = [mask_names(t, ids, np.asarray(e.offsets, np.int64).reshape(-1, 2), detector.mask_ids)[0]
                for t, ids, e in zip(texts, toks, encs)]
    toks = [t[: max_len - 2] for t in toks]
    if not detector.takes_mask:
        # the graph takes no attention mask (technique models from 0.2.3 on): no padding, so one
        # sentence a run, as the detector runs its windows
        for i, t in enumerate(toks):
            _, hidden, *inner = detector.run_window(t, layers=layers)
            out[i] = pool_sentence(np.concatenate([*inner, hidden], -1) if layers else hidden, pooling)
        return out
    names = [o.name for o in detector.session.get_outputs()]
    for idx in _batches([len(t) for t in toks]):
        ids, mask = _pad([toks[i] for i in idx], detector.cls_id, detector.sep_id)
        outs = dict(zip(names, detector.session.run(None, {"input_ids": ids, "attention_mask": mask})))
        hidden = np.concatenate([outs[n] for n in (*layers, names[1])], -1)  # names[1]: the last layer
        for r, i in enumerate(idx):
            out[i] = pool_sentence(hidden[r, 1 : len(toks[i]) + 1], pooling)
    return out


def block_sentence_vectors(block, spans: list[tuple[int, int]], pooling: str = "mean") -> np.ndarray:
    """Shared-mode features of sentences ``[s, e)`` (absolute offsets) pooled *in context* from an
    encoded block of the technique detector (``Detector.iter_encoded``): no second encoder pass.

    The tokens overlapping the sentence are pooled from the window where the sentence sits most
    centrally, exactly as the detector pools a span for technique classification; beside the
    inner layers the block kept (:attr:`Block.layers`), when it kept any.
    """
    from .detect import best_window

    H = (block.hidden[0].shape[1] + (block.layers[0].shape[1] if block.layers else 0)) if block.hidden else 0
    out = np.zeros((len(spans), H * (2 if pooling == "mean+max" else 1)), np.float32)
    offs = block.offsets
    if len(offs) == 0:
        return out
    for k, (s, e) in enumerate(spans):
        bs, be = s - block.start, e - block.start
        a = int(np.searchsorted(offs[:, 1], bs, side="right"))
        b = int(np.searchsorted(offs[:, 0], be, side="left"))
        if b <= a:
            a = min(a, len(offs) - 1)
            b = a + 1
        wi = best_window(block.windows, a, b)
        ws, we = block.windows[wi]
        a2, b2 = max(a, ws), min(b, we)
        rows = slice(a2 - ws, max(b2, a2 + 1) - ws)
        h = block.hidden[wi][rows] if not block.layers else np.concatenate([block.layers[wi][rows], block.hidden[wi][rows]], -1)
        out[k] = pool_sentence(h, pooling)
    return out


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -40, 40)))


def apply_calibration(cal: dict, scores: np.ndarray) -> np.ndarray:
    """Calibrated probabilities of raw scores: Platt ``sigmoid(a * logit(s) + b)``, or isotonic
    (linear interpolation between the fitted points ``x`` -> ``y``, flat beyond them)."""
    s = np.asarray(scores, np.float64)
    if cal["method"] == "platt":
        c = np.clip(s, 1e-6, 1 - 1e-6)
        return 1.0 / (1.0 + np.exp(-(cal["a"] * np.log(c / (1 - c)) + cal["b"])))
    return np.interp(s, cal["x"], cal["y"])


def check_calibration(cal) -> str | None:
    """Why a score map from a model config cannot be applied, or None when it can."""
    if not isinstance(cal, dict) or cal.get("method") not in ("platt", "isotonic"):
        return "its score calibration must be {'method': 'platt' | 'isotonic', ...}"
    try:
        if cal["method"] == "platt":
            ok = np.isfinite([float(cal["a"]), float(cal["b"])]).all() and float(cal["a"]) > 0
        else:
            x, y = np.asarray(cal["x"], np.float64), np.asarray(cal["y"], np.float64)
            ok = (x.ndim == 1 and x.shape == y.shape and len(x) > 0 and np.isfinite(x).all() and np.isfinite(y).all()
                  and bool(np.all(np.diff(x) > 0)) and bool(np.all(np.diff(y) >= 0)) and y.min() >= 0 and y.max() <= 1)
    except (KeyError, TypeError, ValueError):
        ok = False
    return None if ok else f"its {cal['method']} score calibration is malformed"


# --- the scorer ------------------------------------------------------------------------------


class ClaimScorer:
    """Scores sentences for check-worthiness (0-1). Load once, call many times.

    ``model_dir`` holds ``claims.json`` (default: the shipped models). A shared-mode model uses
    the technique encoder of ``detector`` (default: the technique model in ``model_dir``), which
    must be the encoder the head was trained on.
    """

    def __init__(self, model_dir: str | Path | None = None, detector=None, threads: int | None = None,
                 verify: bool = True):
        from .detect import ModelError, sha256

        self.model_dir = Path(model_dir) if model_dir else MODEL_DIR
        cfg_path = self.model_dir / CONFIG_NAME
        if not cfg_path.exists():
            raise ModelError(f"no claims model in {self.model_dir} ({CONFIG_NAME} missing); "
                             "train one with 'spinscope train claims'")
        self.config = json.loads(cfg_path.read_text(encoding="utf-8"))
        if verify:
            for name, digest in self.config.get("sha256", {}).items():
                p = self.model_dir / name
                if not p.exists():
                    raise ModelError(f"claims model file {p} is missing")
                if sha256(p) != digest:
                    raise ModelError(f"claims model file {p} does not match its checksum; reinstall spinscope")
        self.mode: str = self.config["mode"]
        self.threshold: float = float(self.config["threshold"])
        self.max_len: int = int(self.config.get("max_len", 128))
        self.pooling: str = self.config.get("pooling", "mean")
        # a score map fitted on validation data; when present, scores and threshold are calibrated probabilities
        self.calibration: dict | None = self.config.get("calibration_map")
        if self.calibration is not None and (why := check_calibration(self.calibration)):
            raise ModelError(f"{cfg_path}: {why}")
        self.detector = None
        self.layers: tuple[str, ...] = ()
        if self.mode == "shared":
            from .detect import Detector

            det = detector if detector is not None else Detector(self.model_dir, threads=threads, verify=verify)
            got = det.config.get("sha256", {}).get(det.config.get("onnx", ""))
            if got != self.config["encoder_sha256"]:
                raise ModelError(
                    f"the claims head in {self.model_dir} was trained on another technique encoder "
                    f"(sha256 {self.config['encoder_sha256'][:12]}…, this one {str(got)[:12]}…); "
                    "retrain it with 'spinscope train claims --mode shared'"
                )
            if det.config.get("mask_names") != self.config.get("encoder_mask_names"):
                raise ModelError(
                    f"the claims head in {self.model_dir} was trained on an encoder that masks names as "
                    f"{self.config.get('encoder_mask_names')!r}, this one masks them as {det.config.get('mask_names')!r}; "
                    "retrain it with 'spinscope train claims --mode shared'"
                )
            # inner layers pooled beside the last one (e.g. ["hidden_2", "hidden_3"]; none before claims model 0.6.0)
            self.layers = tuple(self.config.get("layers", ()))
            if missing := [n for n in self.layers if n not in det.layer_outputs]:
                raise ModelError(
                    f"the claims head in {self.model_dir} pools the encoder's layers {', '.join(missing)}, "
                    "which this technique model does not output; retrain it with 'spinscope train claims --mode shared'"
                )
            self.detector = det
            head = np.load(self.model_dir / self.config["head"])
            self.w = head["weight"].astype(np.float32).reshape(-1)
            self.b = float(np.asarray(head["bias"]).reshape(-1)[0])
        elif self.mode == "finetune":
            import onnxruntime as ort
            from tokenizers import Tokenizer

            self.tokenizer = Tokenizer.from_file(str(self.model_dir / self.config["tokenizer"]))
            self.tokenizer.no_truncation()
            self.tokenizer.no_padding()
            self.cls_id = self.tokenizer.token_to_id("[CLS]")
            self.sep_id = self.tokenizer.token_to_id("[SEP]")
            so = session_options(threads or int(os.environ.get("SPINSCOPE_THREADS", 0)) or min(4, os.cpu_count() or 1))
            self.session = ort.InferenceSession(str(self.model_dir / self.config["onnx"]), so,
                                                providers=["CPUExecutionProvider"])
        else:
            raise ModelError(f"{cfg_path}: unknown claims model mode {self.mode!r}")

    @property
    def info(self) -> dict:
        return {"name": self.config.get("name", "spinscope-claims"), "version": self.config.get("version", "unknown"),
                "mode": self.mode, "threshold": self.threshold, "calibrated": self.calibration is not None}

    @property
    def pools_in_context(self) -> bool:
        """True when analyze() should pool sentence vectors from the technique encoder's windows."""
        return self.mode == "shared" and bool(self.config.get("analyze_in_context", True))

    def shares_encoder(self, detector) -> bool:
        """True when ``detector`` runs the very encoder this (shared-mode) head was trained on."""
        config = getattr(detector, "config", None)  # any object with detect() may be passed to analyze()
        if self.mode != "shared" or not isinstance(config, dict):
            return False
        return (config.get("sha256", {}).get(config.get("onnx", "")) == self.config["encoder_sha256"]
                and config.get("mask_names") == self.config.get("encoder_mask_names"))

    def calibrate(self, raw: np.ndarray) -> np.ndarray:
        """The model's score map applied to raw head outputs (unchanged without a map): float32."""
        if self.calibration is None:
            return np.asarray(raw, np.float32)
        return apply_calibration(self.calibration, raw).astype(np.float32)

    def score_vectors(self, vecs: np.ndarray) -> np.ndarray:
        """Shared mode: check-worthiness of pooled sentence vectors [N, H]."""
        return self.calibrate(sigmoid(vecs @ self.w + self.b).astype(np.float32))

    def score_sentences(self, texts) -> np.ndarray:
        """Check-worthiness (0-1) of each sentence, each encoded on its own: float32 array [N]."""
        texts = [t if isinstance(t, str) else str(t) for t in texts]
        if not texts:
            return np.zeros(0, np.float32)
        if self.mode == "shared":
            return self.score_vectors(sentence_vectors(self.detector, texts, self.max_len, self.pooling, self.layers))
        out = np.zeros(len(texts), np.float32)
        encs = self.tokenizer.encode_batch(texts, add_special_tokens=False)
        toks = [np.asarray(e.ids[: self.max_len - 2], np.int64) for e in encs]
        for idx in _batches([len(t) for t in toks]):
            ids, mask = _pad([toks[i] for i in idx], self.cls_id, self.sep_id)
            (probs,) = self.session.run(None, {"input_ids": ids, "attention_mask": mask})
            out[idx] = probs.reshape(-1)
        return self.calibrate(out)


_DEFAULT: ClaimScorer | None = None


def default_claim_scorer() -> ClaimScorer:
    """The shipped claims model, loaded once per process (sharing the default technique detector)."""
    global _DEFAULT
    if _DEFAULT is None:
        from .detect.detector import default_detector

        cfg = json.loads((MODEL_DIR / CONFIG_NAME).read_text(encoding="utf-8")) if (MODEL_DIR / CONFIG_NAME).exists() else {}
        _DEFAULT = ClaimScorer(detector=default_detector() if cfg.get("mode") == "shared" else None)
    return _DEFAULT


# --- claims of a text ------------------------------------------------------------------------


def rank_claims(sentences: list[Sentence], scores, threshold: float, limit: int | None = None) -> list[Claim]:
    """Sentences scoring at least ``threshold`` as :class:`Claim` s, best first (ties: by position)."""
    out = [Claim(s.start, s.end, s.text, float(sc)) for s, sc in zip(sentences, scores) if float(sc) >= threshold]
    out.sort(key=lambda c: (-c.score, c.start))
    return out[:limit] if limit is not None else out


def find_claims(text: str, sentences: list[Sentence], scorer: ClaimScorer | None = None, *,
                threshold: float | None = None, limit: int | None = None) -> list[Claim]:
    """The check-worthy claims among ``sentences`` of ``text`` (e.g. ``Analysis.sentences``), ranked.

    Each sentence is scored on its own (one encoder pass over the sentences). Inside ``analyze``
    prefer :func:`detect_with_claims`, which reuses the technique encoder's pass.
    ``threshold`` defaults to the model's; ``limit`` keeps only the best ones.
    """
    scorer = scorer or default_claim_scorer()
    threshold = scorer.threshold if threshold is None else threshold
    if not sentences:
        return []
    scores = scorer.score_sentences([s.text for s in sentences])
    return rank_claims(sentences, scores, threshold, limit)


def detect_with_claims(detector, scorer: ClaimScorer | None, text: str, sentences: list[Sentence], *,
                       threshold: float | None = None, claim_threshold: float | None = None,
                       limit: int | None = None):
    """Technique spans and ranked claims of ``text`` in one encoder pass: ``(spans, claims)``.

    Equals ``(detector.detect(text, threshold), find_claims(...))`` in what it finds, except that
    a shared-mode claims model pools each sentence from the technique encoder's hidden states of
    the block holding it (block by block, so memory stays bounded). A fine-tuned claims model, or
    a shared head trained on another encoder than ``detector``'s (e.g. a test model), scores the
    sentences on their own with its own encoder.
    """
    scorer = scorer or default_claim_scorer()
    claim_threshold = scorer.threshold if claim_threshold is None else claim_threshold
    if not (scorer.pools_in_context and sentences and scorer.shares_encoder(detector)):
        if not text.strip():
            spans = []
        else:
            spans = detect_spans(detector, text, sentences, threshold)
        return spans, find_claims(text, sentences, scorer, threshold=claim_threshold, limit=limit)
    spans = []
    scores = np.zeros(len(sentences), np.float32)
    starts = np.asarray([s.start for s in sentences], np.int64)
    for blk in detector.iter_encoded(text, sentences, scorer.layers):
        bstart, bend = blk.start, blk.start + len(blk.text)
        lo, hi = int(np.searchsorted(starts, bstart, "left")), int(np.searchsorted(starts, bend, "left"))
        spans.extend(detector.decode(text, [blk], threshold))
        if hi > lo and len(blk.offsets):
            mine = [(s.start, min(s.end, bend)) for s in sentences[lo:hi]]
            scores[lo:hi] = scorer.score_vectors(block_sentence_vectors(blk, mine, scorer.pooling))
    return spans, rank_claims(sentences, scores, claim_threshold, limit)


# --- reading CheckThat!-style TSV files ------------------------------------------------------


def read_sentences_tsv(path: str | Path, id_column: str = "Sentence_id", text_column: str = "Text",
                       extra: tuple[str, ...] = ()) -> list[dict]:
    """Rows of a TSV file with a header (CSV quoting as in the CheckThat! files, CRLF or LF).

    Returns one dict per row with ``id``, ``text`` and any ``extra`` columns asked for. Raises
    :class:`InputError` with a one-line message for a missing file, a missing column or a bad row.
    """
    p = Path(path)
    if str(path) == "-":
        data, name = read_bounded(sys.stdin.buffer, "stdin", MAX_TSV_BYTES), "stdin"
    else:
        if not p.exists():
            raise InputError(f"{p}: no such file")
        try:
            with open(p, "rb") as f:
                data, name = read_bounded(f, str(p), MAX_TSV_BYTES), str(p)
        except IsADirectoryError:
            raise InputError(f"{p}: is a folder, not a file") from None
        except OSError as e:
            raise InputError(f"{p}: cannot read ({e.strerror or e})") from None
    text = decode_bytes(data, name)
    if text.startswith("\ufeff"):
        text = text[1:]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t")
    try:
        header = next(reader)
    except StopIteration:
        raise InputError(f"{name}: empty file; expected a header with columns {id_column} and {text_column}") from None
    except csv.Error as e:
        raise InputError(f"{name}: line 1: {e}") from None
    header = [h.strip() for h in header]
    cols = {}
    for want in (id_column, text_column, *extra):
        if want not in header:
            raise InputError(f"{name}: no '{want}' column (the header has: {', '.join(header) or 'nothing'})")
        cols[want] = header.index(want)
    rows = []
    try:
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # blank line
            need = max(cols.values())
            if len(row) <= need:
                raise InputError(f"{name}: line {reader.line_num}: {len(row)} column(s), expected at least {need + 1}")
            r = {"id": row[cols[id_column]].strip(), "text": row[cols[text_column]]}
            for c in extra:
                r[c] = row[cols[c]].strip()
            rows.append(r)
    except csv.Error as e:
        raise InputError(f"{name}: line {reader.line_num}: {e}") from None
    return rows


def yes_f1(pred: list[bool], gold: list[bool]) -> dict:
    """Precision, recall and F1 of the positive ("Yes") class."""
    pred = [bool(p) for p in pred]
    gold = [bool(g) for g in gold]
    tp = sum(p and g for p, g in zip(pred, gold))
    fp = sum(p and not g for p, g in zip(pred, gold))
    fn = sum(g and not p for p, g in zip(pred, gold))
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return {"precision": prec, "recall": rec, "f1": f1, "tp": tp, "fp": fp, "fn": fn, "n": len(gold)}


# --- the command -----------------------------------------------------------------------------
