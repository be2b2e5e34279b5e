"""Training and export of the check-worthy claims model (needs the ``train`` extras).

Data: the ClaimBuster files ``crowdsourced.csv`` and/or ``groundtruth.csv`` of a folder (columns
``Sentence_id, Text, ..., File_id, Line_number, ..., Verdict``; Verdict 1 = check-worthy, 0 and -1 =
not). A seeded, stratified 10% of the sentences is held out to choose the regularisation (shared
mode) and the decision threshold (both modes); the model is trained on the other 90%.

With ``--holdout-debates N`` the split is by whole debates instead (File_id is the debate's date,
``YYYY-MM-DD.txt``, so its order is chronological): the N latest debates are held out as a test of
debates never seen, the ``--val-debates`` latest of the rest choose the regularisation, the
threshold and a score calibration (Platt or isotonic), and the model trains on the remaining
debates. The log then reports F1/P/R of "Yes" and a reliability table with the expected calibration
error on the held-out debates, and on a ``--dev-test`` TSV file if given, at the validation threshold.
``--val-debates K`` alone splits by debates with no test set (the model to ship). The calibration
map (``--calibration``, by default Platt or isotonic by cross-fitted ECE) is stored in the model's
``claims.json`` and applied at run time, the threshold on its scale; ``--class-balance`` weighs
the positive class by negatives / positives.

Two modes (see ``spinscope.claims``):

- ``shared``: a logistic-regression head on mean-pooled hidden states of an existing *technique*
  encoder (``--technique-model``, default the shipped one). Features are pooled both from each
  sentence encoded on its own and from the sentence in context (the debate transcript rebuilt
  from File_id and Line_number, encoded in windows as ``analyze`` does), so that one head serves
  ``spinscope claims`` (sentences on their own) and ``analyze`` (sentences in an article).
- ``finetune``: all-MiniLM-L6-v2 fine-tuned as a sentence classifier (mean pooling + linear
  layer, sigmoid), exported to int8 ONNX.

Everything is seeded; the log (``train_claims.log.jsonl``, JSON lines) records data, settings,
losses and held-out scores.
"""

from __future__ import annotations

import csv
import json
import math
import random
import shutil
import time
from pathlib import Path

import numpy as np

from ..claims import (
    CONFIG_NAME,
    ClaimScorer,
    apply_calibration,
    block_sentence_vectors,
    check_calibration,
    read_sentences_tsv,
    sentence_vectors,
    yes_f1,
)
from ..detect import MODEL_DIR, sha256
from ..document import InputError
from .log import log_line
from .model import default_encoder, load_encoder

FILES = ("crowdsourced.csv", "groundtruth.csv")
C_GRID = (1e-3, 1e-2, 1e-1, 1.0)  # L2 strengths tried for the shared-mode head (on standardised features)


# --- data ------------------------------------------------------------------------------------


def load_claimbuster(data: Path, limit: int = 0) -> list[dict]:
    """Sentences of the ClaimBuster CSV files in ``data``: id, text, label (1/0), file, line, speaker."""
    found = [data / f for f in FILES if (data / f).exists()]
    if not found:
        raise SystemExit(f"spinscope train claims: {data} holds neither {FILES[0]} nor {FILES[1]}")
    items = []
    for path in found:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            for row in csv.DictReader(fh):
                text = (row.get("Text") or "").strip()
                if not text or row.get("Verdict") is None:
                    continue
                items.append({
                    "id": row.get("Sentence_id", ""), "text": text, "label": 1 if row["Verdict"].strip() == "1" else 0,
                    "file": row.get("File_id") or path.name, "line": int(float(row.get("Line_number") or 0)),
                    "speaker": row.get("Speaker", ""), "source": path.name,
                })
    items.sort(key=lambda r: (r["file"], r["line"], r["source"], r["id"]))
    if limit:
        items = items[:limit]
    return items


def split_dev(n_items: int, labels: list[int], seed: int, fraction: float) -> tuple[list[int], list[int]]:
    """Seeded split stratified by label: (train indices, dev indices), both sorted."""
    rng = random.Random(seed)
    dev: list[int] = []
    for lab in (0, 1):
        idx = [i for i in range(n_items) if labels[i] == lab]
        rng.shuffle(idx)
        dev.extend(idx[: int(round(len(idx) * fraction))])
    dev_set = set(dev)
    return [i for i in range(n_items) if i not in dev_set], sorted(dev)


def best_threshold(scores: np.ndarray, gold: np.ndarray) -> tuple[float, dict]:
    """The threshold in 0.05..0.95 (step 0.01) with the best positive-class F1 on held-out data."""
    best = (-1.0, 0.5, {})
    for t in np.round(np.arange(0.05, 0.951, 0.01), 2):
        m = yes_f1(list(scores >= t), list(gold.astype(bool)))
        if m["f1"] > best[0] + 1e-12:
            best = (m["f1"], float(t), m)
    return best[1], best[2]


def debate_order(items: list[dict]) -> list[str]:
    """The File_ids of ``items``, oldest first (ClaimBuster names debates by date, YYYY-MM-DD.txt)."""
    return sorted({r["file"] for r in items})


def split_debates(items: list[dict], holdout: int, val: int, final: bool = False
                  ) -> tuple[list[int], list[int], list[int], dict]:
    """Split by whole debates: the ``holdout`` latest debates are the test set, the ``val`` latest of
    the others the validation set, the rest the training set. Returns (train, val, test, names).
    ``final``: no test set is needed (``holdout`` may be 0), as for the model to ship."""
    files = debate_order(items)
    if holdout < (0 if final else 1) or val < 1 or holdout + val >= len(files):
        raise SystemExit(f"spinscope train claims: {len(files)} debates cannot give {holdout} held-out and "
                         f"{val} validation debates and still leave one to train on")
    n = len(files)
    test_f, val_f = set(files[n - holdout :]), set(files[n - holdout - val : n - holdout])
    parts: dict[str, list[int]] = {"train": [], "val": [], "test": []}
    for i, r in enumerate(items):
        parts["test" if r["file"] in test_f else "val" if r["file"] in val_f else "train"].append(i)
    names = {"train": files[: n - holdout - val], "val": sorted(val_f), "test": sorted(test_f)}
    return parts["train"], parts["val"], parts["test"], names


def fit_platt(scores: np.ndarray, gold: np.ndarray, iters: int = 100) -> dict:
    """Platt scaling p = sigmoid(a * logit(score) + b), fitted by Newton's method on (scores, gold),
    each step halved until the log loss falls (plain Newton can run away from a = 1)."""
    s = np.clip(np.asarray(scores, np.float64), 1e-6, 1 - 1e-6)
    x, y = np.log(s / (1 - s)), np.asarray(gold, np.float64)

    def loss(a, b):
        z = a * x + b
        return float((np.logaddexp(0, z) - y * z).sum())

    a, b = 1.0, 0.0
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-(a * x + b)))
        g = np.array([((p - y) * x).sum(), (p - y).sum()])
        w = p * (1 - p) + 1e-9
        h = np.array([[(w * x * x).sum(), (w * x).sum()], [(w * x).sum(), w.sum()]]) + 1e-6 * np.eye(2)
        step = np.linalg.solve(h, g)
        before, t = loss(a, b), 1.0
        while t > 1e-8 and loss(a - t * step[0], b - t * step[1]) > before:
            t /= 2
        a, b = a - t * step[0], b - t * step[1]
        if np.abs(t * step).max() < 1e-9:
            break
    return {"method": "platt", "a": float(a), "b": float(b)}


def fit_isotonic(scores: np.ndarray, gold: np.ndarray) -> dict:
    """Isotonic regression of gold on score (pool adjacent violators); applied by linear
    interpolation between the blocks' mean scores, flat beyond them."""
    order = np.argsort(scores, kind="stable")
    xs, ys = np.asarray(scores, np.float64)[order], np.asarray(gold, np.float64)[order]
    blocks: list[list[float]] = []  # [sum x, sum y, count]
    for x, y in zip(xs, ys):
        if blocks and blocks[-1][0] / blocks[-1][2] == x:  # equal scores share one block: x stays increasing
            blocks[-1] = [blocks[-1][0] + x, blocks[-1][1] + y, blocks[-1][2] + 1.0]
        else:
            blocks.append([x, y, 1.0])
        while len(blocks) > 1 and blocks[-2][1] / blocks[-2][2] >= blocks[-1][1] / blocks[-1][2]:
            last = blocks.pop()
            blocks[-1] = [blocks[-1][0] + last[0], blocks[-1][1] + last[1], blocks[-1][2] + last[2]]
    return {"method": "isotonic", "x": [b[0] / b[2] for b in blocks], "y": [b[1] / b[2] for b in blocks]}


def fit_calibration(scores: np.ndarray, gold: np.ndarray, method: str) -> dict:
    if method == "platt":
        return fit_platt(scores, gold)
    if method == "isotonic":
        return fit_isotonic(scores, gold)
    raise ValueError(f"calibration must be 'platt' or 'isotonic', not {method!r}")


def calibrated_threshold(cal: dict | None, raw_threshold: float) -> float:
    """A threshold chosen on raw validation scores, on the calibrated scale: the maps are strictly
    increasing (isotonic: inside its fitted range), so the same sentences are labelled Yes."""
    return raw_threshold if cal is None else float(apply_calibration(cal, np.asarray([raw_threshold]))[0])


def choose_calibration(scores: np.ndarray, gold: np.ndarray, groups, method: str) -> tuple[dict | None, dict]:
    """The score map to ship, fitted on validation (scores, gold): ``method`` itself, none for
    "none", or for "auto" Platt or isotonic, whichever has the lower ECE when cross-fitted by
    ``groups`` (debates; each scored by a map fitted on the others, at most 5 folds).
    Returns (map or None, {method: cross-fitted ECE})."""
    if method == "none":
        return None, {}
    names = sorted(set(groups))
    fold_of = {g: k % min(5, len(names)) for k, g in enumerate(names)}
    folds = np.asarray([fold_of[g] for g in groups])
    ece = {}
    for m in (("platt", "isotonic") if method == "auto" else (method,)):
        if len(names) < 2:
            break
        out = np.zeros(len(scores))
        for k in np.unique(folds):
            cal = fit_calibration(scores[folds != k], gold[folds != k], m)
            out[folds == k] = apply_calibration(cal, scores[folds == k])
        ece[m] = reliability_table(out, gold)["ece"]
    best = min(ece, key=lambda m: (ece[m], m != "platt")) if ece else ("platt" if method == "auto" else method)
    cal = fit_calibration(scores, gold, best)
    if check_calibration(cal) or (best == "isotonic" and len(cal["x"]) < 2):
        return None, ece  # scores that do not rise with the share of Yes (a useless head): left raw
    return cal, ece


def reliability_table(scores: np.ndarray, gold: np.ndarray, bins: int = 10) -> dict:
    """Equal-width bins of the score in [0, 1] (the last one closed): count, mean score and share of
    Yes per bin, and the expected calibration error (count-weighted mean |mean score - share Yes|)."""
    s, g = np.asarray(scores, np.float64), np.asarray(gold, np.float64)
    k = np.minimum((s * bins).astype(int), bins - 1)
    rows, ece = [], 0.0
    for b in range(bins):
        m = k == b
        n = int(m.sum())
        row = {"lo": round(b / bins, 4), "hi": round((b + 1) / bins, 4), "n": n,
               "mean_score": float(s[m].mean()) if n else None, "share_yes": float(g[m].mean()) if n else None}
        if n:
            ece += n / len(s) * abs(row["mean_score"] - row["share_yes"])
        rows.append(row)
    return {"bins": rows, "ece": float(ece), "n": int(len(s))}


def format_reliability(name: str, table: dict) -> str:
    """A reliability table as text, one line per bin."""
    lines = [f"{name}: ECE {table['ece']:.4f} over {table['n']} sentences", "  bin        n  mean score  share Yes"]
    for r in table["bins"]:
        ms = "-" if r["mean_score"] is None else f"{r['mean_score']:.3f}"
        sy = "-" if r["share_yes"] is None else f"{r['share_yes']:.3f}"
        lines.append(f"  {r['lo']:.1f}-{r['hi']:.1f} {r['n']:6d} {ms:>11} {sy:>10}")
    return "\n".join(lines)


def holdout_report(val_scores: np.ndarray, val_gold: np.ndarray, threshold: float,
                   tests: dict[str, tuple[np.ndarray, np.ndarray]], calibration: str = "platt",
                   applied: dict | None = None) -> dict:
    """Scores of each test set at ``threshold`` (chosen on validation, never on a test set), with a
    calibration fitted on the validation scores and reliability tables before and after it.
    Scores are raw; with ``applied`` (the shipped map) the threshold is on its calibrated scale."""
    cal = applied if applied is not None else fit_calibration(val_scores, val_gold, calibration)
    at = (lambda x: apply_calibration(cal, x)) if applied is not None else (lambda x: x)
    out = {"threshold": threshold, "calibration": cal, "calibration_applied": applied is not None,
           "validation": {**yes_f1(list(at(val_scores) >= threshold), list(val_gold.astype(bool))),
                          "ece_raw": reliability_table(val_scores, val_gold)["ece"]}}
    for name, (scores, gold) in tests.items():
        m = yes_f1(list(at(scores) >= threshold), list(gold.astype(bool)))
        out[name] = {**m, "reliability_raw": reliability_table(scores, gold),
                     "reliability_calibrated": reliability_table(apply_calibration(cal, scores), gold)}
    return out


def feature_cache_key(enc_sha: str, items: list[dict], max_len: int) -> str:
    """A key for cached sentence vectors: the encoder, max_len and every sentence with its place."""
    import hashlib

    h = hashlib.sha256(f"{enc_sha}|{max_len}".encode())
    for r in items:
        h.update(f"\0{r['file']}\0{r['line']}\0{r['speaker']}\0{r['text']}".encode())
    return h.hexdigest()[:20]


def debates(items: list[dict]) -> list[tuple[str, list[tuple[int, int, int]]]]:
    """Rebuild each transcript: sentences in line order, a speaker's turn on one line.

    Returns (text, [(item index, start, end), ...]) per File_id, offsets exact.
    """
    by_file: dict[str, list[int]] = {}
    for i, r in enumerate(items):
        by_file.setdefault(r["file"], []).append(i)
    docs = []
    for f in sorted(by_file):
        idx = sorted(by_file[f], key=lambda i: (items[i]["line"], items[i]["id"]))
        parts, spans, pos, prev = [], [], 0, None
        for i in idx:
            sep = "" if prev is None else (" " if items[i]["speaker"] == prev else "\n")
            pos += len(sep)
            parts.append(sep + items[i]["text"])
            spans.append((i, pos, pos + len(items[i]["text"])))
            pos += len(items[i]["text"])
            prev = items[i]["speaker"]
        docs.append(("".join(parts), spans))
    return docs


def context_vectors(detector, items: list[dict], pooling: str = "mean") -> np.ndarray:
    """Shared-mode features of every sentence pooled in context (as analyze does): [N, H or 2H]."""
    out = np.zeros((len(items), detector.hidden_size * (2 if pooling == "mean+max" else 1)), np.float32)
    for text, spans in debates(items):
        for blk in detector.iter_encoded(text):
            bstart, bend = blk.start, blk.start + len(blk.text)
            mine = [(i, s, min(e, bend)) for i, s, e in spans if bstart <= s < bend]
            if not mine:
                continue
            vecs = block_sentence_vectors(blk, [(s, e) for _, s, e in mine], pooling)
            for (i, _, _), v in zip(mine, vecs):
                out[i] = v
    return out


# --- shared mode: a logistic-regression head ------------------------------------------------


def fit_logreg(X: np.ndarray, y: np.ndarray, l2: float, threads: int = 2,
               pos_weight: float = 1.0) -> tuple[np.ndarray, float]:
    """L2-regularised logistic regression (L-BFGS on standardised features), folded back to raw
    features: returns (weight [H], bias) with p = sigmoid(X @ weight + bias). ``pos_weight``
    weighs the positive examples' loss (class balancing)."""
    import torch

    torch.set_num_threads(threads)
    mu = X.mean(0)
    sd = X.std(0) + 1e-6
    Xs = torch.from_numpy(((X - mu) / sd).astype(np.float32))
    yt = torch.from_numpy(y.astype(np.float32))
    w = torch.zeros(X.shape[1], requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], lr=1.0, max_iter=500, tolerance_grad=1e-6, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(
            Xs @ w + b, yt, pos_weight=torch.tensor(pos_weight)) + 0.5 * l2 * (w * w).sum()
        loss.backward()
        return loss

    opt.step(closure)
    wn = w.detach().numpy().astype(np.float64)
    weight = (wn / sd).astype(np.float32)
    bias = float(b.detach().numpy()[0] - (mu / sd) @ wn)
    return weight, bias


def shared_features(det, items: list[dict], max_len: int, cache: Path | None = None, log=None):
    """Mean+max vectors of every sentence on its own and in context ([N, 2H] each), read from and
    written to ``cache`` (a folder) when given, keyed by encoder, max_len and sentences."""
    path = None
    if cache is not None:
        key = feature_cache_key(det.config["sha256"][det.config["onnx"]], items, max_len)
        path = Path(cache) / f"claims_features_{key}.npz"
        if path.exists():
            z = np.load(path)
            log_line(log, event="features", kind="cached", n=len(items), path=str(path))
            return z["iso"], z["ctx"]
    t0 = time.time()
    iso_all = sentence_vectors(det, [r["text"] for r in items], max_len, "mean+max")
    log_line(log, event="features", kind="sentence", n=len(items), seconds=round(time.time() - t0, 1))
    t0 = time.time()
    ctx_all = context_vectors(det, items, "mean+max")
    log_line(log, event="features", kind="context", n=len(items), seconds=round(time.time() - t0, 1))
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, iso=iso_all, ctx=ctx_all)
    return iso_all, ctx_all


def _train_shared(items, tr, dev, out: Path, technique_model: Path | None, features: str, pooling: str,
                  max_len: int, threads: int, log, test=None, dev_test=None, calibration: str = "auto",
                  feature_cache: Path | None = None, class_balance: bool = False) -> dict:
    from ..claims import sigmoid
    from ..detect import MODEL_DIR, Detector

    tech_dir = Path(technique_model) if technique_model else MODEL_DIR
    det = Detector(tech_dir, threads=threads)
    H = det.hidden_size
    iso_all, ctx_all = shared_features(det, items, max_len, feature_cache, log)
    y = np.asarray([r["label"] for r in items], np.int64)
    tr, dev = np.asarray(tr), np.asarray(dev)
    # class balance: positives weighted by negatives / positives of the training sentences
    pos_weight = float((y[tr] == 0).sum() / max(1, (y[tr] == 1).sum())) if class_balance else 1.0
    grid = []
    for pool in (("mean", "mean+max") if pooling == "auto" else (pooling,)):
        iso = iso_all[:, :H] if pool == "mean" else iso_all
        ctx = ctx_all[:, :H] if pool == "mean" else ctx_all
        train_sets = {"sentence": (iso[tr], y[tr]), "context": (ctx[tr], y[tr]),
                      "both": (np.concatenate([iso[tr], ctx[tr]]), np.concatenate([y[tr], y[tr]]))}
        for name, (X, Y) in train_sets.items():
            for l2 in C_GRID:
                t0 = time.time()
                w, b = fit_logreg(X, Y, l2, threads, pos_weight=pos_weight)
                row = {"pooling": pool, "train_features": name, "l2": l2}
                for kind, F in (("sentence", iso), ("context", ctx)):
                    thr, m = best_threshold(sigmoid(F[dev] @ w + b), y[dev])
                    row[f"dev_{kind}_f1"] = round(m["f1"], 4)
                    row[f"dev_{kind}_threshold"] = thr
                row["seconds"] = round(time.time() - t0, 1)
                log_line(log, event="grid", **row)
                grid.append((row, w, b, iso, ctx))
    # the head trained on the chosen features; pooling and L2 by held-out F1 (sentences alone + in context)
    mine = [g for g in grid if g[0]["train_features"] == features]
    row, w, b, iso, ctx = max(mine, key=lambda g: (g[0]["dev_sentence_f1"] + g[0]["dev_context_f1"], -g[0]["l2"]))
    s_iso, s_ctx = sigmoid(iso[dev] @ w + b), sigmoid(ctx[dev] @ w + b)
    val_raw, val_gold = np.concatenate([s_iso, s_ctx]), np.concatenate([y[dev], y[dev]])
    cal, cal_ece = choose_calibration(val_raw, val_gold, [items[i]["file"] for i in dev] * 2, calibration)
    raw_thr, m = best_threshold(val_raw, val_gold)
    thr = calibrated_threshold(cal, raw_thr)
    m["sentence"] = yes_f1(list(s_iso >= raw_thr), list(y[dev].astype(bool)))  # at the chosen threshold
    m["context"] = yes_f1(list(s_ctx >= raw_thr), list(y[dev].astype(bool)))
    log_line(log, event="calibration", method=cal["method"] if cal else "none", crossfit_ece=_rounded(cal_ece))
    report = None
    if test is not None or dev_test is not None:
        tests = {}
        if test is not None:
            te = np.asarray(test)
            tests["heldout_sentence"] = (sigmoid(iso[te] @ w + b), y[te])
            tests["heldout_context"] = (sigmoid(ctx[te] @ w + b), y[te])
        if dev_test is not None:
            texts, gold = dev_test
            F = sentence_vectors(det, texts, max_len, "mean+max")
            F = F[:, :H] if row["pooling"] == "mean" else F
            tests["dev_test"] = (sigmoid(F @ w + b), np.asarray(gold, np.int64))
        report = holdout_report(val_raw, val_gold, thr, tests, "platt" if cal is None else cal["method"], applied=cal)
    np.savez(out / "claims_head.npz", weight=w, bias=np.asarray([b], np.float32))
    if tech_dir.resolve() != out.resolve():  # a complete model folder: the technique model beside the head
        for f in ["config.json", *det.config.get("sha256", {})]:
            shutil.copyfile(tech_dir / f, out / f)
    enc_sha = det.config["sha256"][det.config["onnx"]]
    cfg = {"mode": "shared", "head": "claims_head.npz", "encoder_sha256": enc_sha,
           "technique_model": {"name": det.config.get("name"), "version": det.config.get("version"),
                               "onnx": det.config["onnx"]},
           "pooling": row["pooling"], "train_features": features, "l2": row["l2"], "analyze_in_context": True,
           "threshold": thr, "max_len": max_len, "class_balance": class_balance}
    if cal is not None:
        cfg["raw_threshold"] = raw_thr
    if class_balance:
        cfg["pos_weight"] = round(pos_weight, 4)
    if cal is not None:
        cfg["calibration_map"] = cal
        cfg["calibration_crossfit_ece"] = _rounded(cal_ece)
    elif report is not None:
        cfg["calibration"] = report["calibration"]  # recorded, not applied
    return {"config": cfg, "files": ["claims_head.npz"], "grid": [g[0] for g in grid], "chosen": row,
            "dev": {**m, "threshold": thr, "scored_on": "held-out sentences, on their own and in context"},
            "report": report}


# --- finetune mode ---------------------------------------------------------------------------


def _build_classifier(encoder_dir: Path | None, tiny: bool, seed: int):
    import torch

    encoder = load_encoder(encoder_dir, tiny, seed)
    H = encoder.config.hidden_size

    class Classifier(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = encoder
            self.dropout = torch.nn.Dropout(0.1)
            self.head = torch.nn.Linear(H, 1)

        def logits(self, ids, mask):
            h = self.encoder(input_ids=ids, attention_mask=mask, token_type_ids=torch.zeros_like(ids)).last_hidden_state
            m = mask.unsqueeze(-1).to(h.dtype)
            pooled = (h * m).sum(1) / m.sum(1).clamp(min=1.0)
            return self.head(self.dropout(pooled)).squeeze(-1)

        def forward(self, ids, mask):  # the exported graph: check-worthiness 0-1 per sentence
            return torch.sigmoid(self.logits(ids, mask))

    return Classifier()


def _train_finetune(items, tr, dev, out: Path, encoder_dir: Path | None, tiny: bool, seed: int, epochs: int,
                    batch_size: int, max_len: int, lr: float, threads: int, max_steps: int, log,
                    class_balance: bool = False) -> dict:
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from tokenizers import Tokenizer

    torch.set_num_threads(threads)
    encoder_dir = encoder_dir or (MODEL_DIR if tiny else default_encoder())  # tiny: the shipped tokenizer
    tok = Tokenizer.from_file(str(encoder_dir / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    cls_id, sep_id = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    ids_all = [e.ids[: max_len - 2] for e in tok.encode_batch([r["text"] for r in items], add_special_tokens=False)]
    y = np.asarray([r["label"] for r in items], np.float32)
    pos_weight = float((y[tr] == 0).sum() / max(1, (y[tr] == 1).sum())) if class_balance else 1.0
    net = _build_classifier(encoder_dir, tiny, seed)
    net.encoder.embeddings.word_embeddings.weight.requires_grad_(False)  # half the weights; faster on CPU
    steps_per_epoch = math.ceil(len(tr) / batch_size)
    total = steps_per_epoch * epochs
    if max_steps:
        total = min(total, max_steps)
    opt = torch.optim.AdamW([
        {"params": [p for p in net.encoder.parameters() if p.requires_grad], "lr": lr},
        {"params": list(net.head.parameters()), "lr": 1e-3},
    ], weight_decay=0.01, foreach=True)
    warm = max(1, int(total * 0.1))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm))))
    step = 0
    net.train()
    for epoch in range(epochs):
        order = list(tr)
        random.Random(seed * 1000 + epoch).shuffle(order)
        t0, loss_sum, n = time.time(), 0.0, 0
        for k in range(0, len(order), batch_size):
            batch = order[k : k + batch_size]
            L = max(len(ids_all[i]) for i in batch) + 2
            ids = torch.zeros((len(batch), L), dtype=torch.long)
            mask = torch.zeros((len(batch), L), dtype=torch.long)
            for r, i in enumerate(batch):
                t = ids_all[i]
                ids[r, 0] = cls_id
                ids[r, 1 : len(t) + 1] = torch.tensor(t, dtype=torch.long)
                ids[r, len(t) + 1] = sep_id
                mask[r, : len(t) + 2] = 1
            loss = torch.nn.functional.binary_cross_entropy_with_logits(
                net.logits(ids, mask), torch.from_numpy(y[batch]), pos_weight=torch.tensor(pos_weight))
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_([p for p in net.parameters() if p.requires_grad], 1.0, foreach=True)
            opt.step()
            sched.step()
            step += 1
            loss_sum += float(loss.detach())
            n += 1
            if step % 50 == 0:
                log_line(log, event="step", epoch=epoch, step=step, of=total, loss=round(float(loss.detach()), 4),
                         lr=sched.get_last_lr()[0], seconds=round(time.time() - t0, 1))
            if max_steps and step >= max_steps:
                break
        log_line(log, event="epoch", epoch=epoch, loss=round(loss_sum / max(1, n), 4), seconds=round(time.time() - t0, 1))
        if max_steps and step >= max_steps:
            break
    net.eval()
    # export: eager attention (ONNX Runtime runs it faster), dynamic int8 like spinscope.train.export
    net.encoder.set_attn_implementation("eager")
    fp32 = out / "claims-fp32.onnx"
    x = torch.randint(1000, 2000, (2, 16))
    with torch.no_grad():
        torch.onnx.export(net, (x, torch.ones_like(x)), str(fp32), input_names=["input_ids", "attention_mask"],
                          output_names=["probs"], opset_version=17, dynamo=False,
                          dynamic_axes={"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
                                        "probs": {0: "batch"}})
    quantize_dynamic(str(fp32), str(out / "claims.int8.onnx"), weight_type=QuantType.QInt8,
                     op_types_to_quantize=["MatMul", "Gather"])
    fp32.unlink()
    shutil.copyfile(encoder_dir / "tokenizer.json", out / "tokenizer.json")
    cfg = {"mode": "finetune", "onnx": "claims.int8.onnx", "tokenizer": "tokenizer.json", "max_len": max_len,
           "classifier": "mean over all tokens (attention mask), linear layer, sigmoid", "threshold": 0.5,
           "class_balance": class_balance}
    if class_balance:
        cfg["pos_weight"] = round(pos_weight, 4)
    return {"config": cfg, "files": ["claims.int8.onnx", "tokenizer.json"], "steps": step}


# --- the command -----------------------------------------------------------------------------


def _rounded(d):
    if isinstance(d, dict):
        return {k: _rounded(v) for k, v in d.items()}
    if isinstance(d, list):
        return [_rounded(v) for v in d]
    return round(d, 4) if isinstance(d, float) else d


def run_train_claims(data: Path, out: Path, *, seed: int = 13, mode: str = "shared", epochs: int = 2,
                     technique_model: Path | None = None, encoder: Path | None = None, tiny: bool = False,
                     batch_size: int = 32, max_len: int | None = None, lr: float = 5e-5, threads: int = 2,
                     dev_fraction: float = 0.1, features: str = "both", pooling: str = "auto", limit: int = 0,
                     max_steps: int = 0, version: str = "dev", holdout_debates: int = 0, val_debates: int = 3,
                     dev_test: Path | None = None, calibration: str = "auto",
                     feature_cache: Path | None = None, class_balance: bool = False, final: bool = False) -> dict:
    """Train the claims model on ClaimBuster files in ``data`` and export it to ``out``.

    Returns a summary (also logged): mode, sizes, the held-out threshold and the held-out scores.
    ``out`` becomes a model folder for ``ClaimScorer(out)`` / ``spinscope claims --model out``.
    With ``holdout_debates`` the split is by debates (:func:`split_debates`) and the summary's
    ``report`` holds the held-out debates' and ``dev_test``'s scores at the validation threshold;
    ``final`` splits by debates with no test set (``holdout_debates`` may be 0), for the model to ship.
    ``calibration`` (auto, platt, isotonic or none) is fitted on the validation set and applied.
    """
    data, out = Path(data), Path(out)
    if mode not in ("shared", "finetune"):
        raise ValueError(f"mode must be 'shared' or 'finetune', not {mode!r}")
    if features not in ("sentence", "context", "both"):
        raise ValueError(f"features must be 'sentence', 'context' or 'both', not {features!r}")
    if pooling not in ("auto", "mean", "mean+max"):
        raise ValueError(f"pooling must be 'auto', 'mean' or 'mean+max', not {pooling!r}")
    if calibration not in ("auto", "platt", "isotonic", "none"):
        raise ValueError(f"calibration must be 'auto', 'platt', 'isotonic' or 'none', not {calibration!r}")
    dev_rows = None
    if dev_test is not None:
        try:
            dev_rows = read_sentences_tsv(dev_test, extra=("class_label",))
        except InputError as e:
            raise SystemExit(f"spinscope train claims: --dev-test: {e}") from None
        dev_rows = ([r["text"] for r in dev_rows],
                    [int(r["class_label"].strip().lower() in ("yes", "1", "true")) for r in dev_rows])
    max_len = max_len or (128 if mode == "shared" else 64)
    random.seed(seed)
    np.random.seed(seed)
    out.mkdir(parents=True, exist_ok=True)
    t_start = time.time()
    with open(out / "train_claims.log.jsonl", "w", encoding="utf-8") as log:
        items = load_claimbuster(data, limit)
        labels = [r["label"] for r in items]
        test, names = None, None
        by_debates = bool(holdout_debates) or final
        if by_debates:
            tr, dev, test, names = split_debates(items, holdout_debates, val_debates, final=final)
            test = test or None
        else:
            tr, dev = split_dev(len(items), labels, seed, dev_fraction)
        if mode == "shared":
            settings = {"mode": mode, "seed": seed, "max_len": max_len, "dev_fraction": dev_fraction,
                        "features": features, "pooling": pooling, "l2_grid": list(C_GRID), "threads": threads}
            if by_debates:
                settings.update(holdout_debates=holdout_debates, val_debates=val_debates)
            settings.update(calibration=calibration, class_balance=class_balance)
        else:
            settings = {"mode": mode, "seed": seed, "epochs": epochs, "batch_size": batch_size, "max_len": max_len,
                        "lr": lr, "head_lr": 1e-3, "warmup": 0.1, "threads": threads, "dev_fraction": dev_fraction,
                        "max_steps": max_steps, "tiny": tiny, "calibration": calibration,
                        "class_balance": class_balance}
        if by_debates:
            settings.pop("dev_fraction")  # the validation set is whole debates
        log_line(log, event="start", data=str(data), n=len(items), n_pos=sum(labels), n_train=len(tr), n_dev=len(dev),
                 settings=settings, technique_model=str(technique_model) if technique_model else None,
                 encoder=str(encoder) if encoder else None, debates=names,
                 n_test=len(test) if test is not None else 0, dev_test=str(dev_test) if dev_test else None)
        if mode == "shared":
            res = _train_shared(items, tr, dev, out, technique_model, features, pooling, max_len, threads, log,
                                test=test, dev_test=dev_rows, calibration=calibration, feature_cache=feature_cache,
                                class_balance=class_balance)
        else:
            import torch

            torch.manual_seed(seed)
            res = _train_finetune(items, tr, dev, out, encoder, tiny, seed, epochs, batch_size, max_len, lr, threads,
                                  max_steps, log, class_balance)
        meta = {"version": version, "data": str(data), "files": [f for f in FILES if (data / f).exists()],
                "n_train": len(tr), "n_dev": len(dev), "seed": seed, "settings": settings,
                "encoder": ("tiny-random-bert" if tiny else "all-MiniLM-L6-v2") if mode == "finetune" else "technique encoder"}
        cfg = {"name": "spinscope-claims", "version": version, **res["config"], "train": meta}
        files = res["files"]
        cfg["sha256"] = {f: sha256(out / f) for f in files}
        (out / CONFIG_NAME).write_text(json.dumps(cfg, indent=2) + "\n", encoding="utf-8")
        if mode == "finetune":  # calibration and threshold on held-out sentences, scored by the exported int8 model
            scorer = ClaimScorer(out, threads=threads)  # no map yet: raw scores
            dev_scores = scorer.score_sentences([items[i]["text"] for i in dev])
            dev_gold = np.asarray([labels[i] for i in dev])
            cal, cal_ece = choose_calibration(dev_scores, dev_gold, [items[i]["file"] for i in dev], calibration)
            raw_thr, m = best_threshold(dev_scores, dev_gold)
            thr = cfg["threshold"] = calibrated_threshold(cal, raw_thr)
            if cal is not None:
                cfg["raw_threshold"] = raw_thr
                cfg["calibration_map"], cfg["calibration_crossfit_ece"] = cal, _rounded(cal_ece)
            log_line(log, event="calibration", method=cal["method"] if cal else "none", crossfit_ece=_rounded(cal_ece))
            (out / CONFIG_NAME).write_text(json.dumps(cfg, indent=2) + "\n", encoding="utf-8")
            res["dev"] = {**m, "threshold": thr, "scored_on": "held-out sentences, int8 ONNX model"}
            if test is not None or dev_rows is not None:
                tests = {}
                if test is not None:
                    tests["heldout_sentence"] = (scorer.score_sentences([items[i]["text"] for i in test]),
                                                 np.asarray([labels[i] for i in test]))
                if dev_rows is not None:
                    tests["dev_test"] = (scorer.score_sentences(dev_rows[0]), np.asarray(dev_rows[1]))
                res["report"] = holdout_report(dev_scores, dev_gold, thr, tests, cal["method"] if cal else "platt",
                                               applied=cal)
        log_line(log, event="dev", **_rounded(res["dev"]))
        if res.get("report"):
            log_line(log, event="heldout", debates=names, **_rounded(res["report"]))
        summary = {"model": str(out), "mode": mode, "threshold": cfg["threshold"], "n_train": len(tr), "n_dev": len(dev),
                   "dev": _rounded(res["dev"]), "files": {f: (out / f).stat().st_size for f in files},
                   "seconds": round(time.time() - t_start, 1)}
        if "grid" in res:
            summary["grid"] = res["grid"]
        if res.get("report"):
            summary["report"] = _rounded(res["report"])
            summary["debates"] = names
        log_line(log, event="done", out=str(out), seconds=summary["seconds"])
    return summary
