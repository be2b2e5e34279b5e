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
    read_sentences_tsv,
    sentence_vectors,
    yes_f1,
)
from ..detect import MODEL_DIR, sha256
from ..document import InputError
from .calibration import (
    best_threshold,
    calibrated_threshold,
    choose_calibration,
    holdout_report,
)
from .claimbuster import (
    FILES,
    context_vectors,
    feature_cache_key,
    load_claimbuster,
    split_debates,
    split_dev,
)
from .log import log_line
from .model import default_encoder, keep_layers, load_encoder

C_GRID = (1e-3, 1e-2, 1e-1, 1.0)  # L2 strengths tried for the shared-mode head (on standardised features)


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


def shared_features(det, items: list[dict], max_len: int, cache: Path | None = None, log=None,
                    layers: tuple[str, ...] = ()):
    """Mean+max vectors of every sentence on its own and in context ([N, 2W] each; W = H, or
    (K + 1) * H with K inner ``layers``), read from and written to ``cache`` (a folder) when
    given, keyed by encoder, layers, max_len and sentences."""
    path = None
    if cache is not None:
        key = feature_cache_key(det.config["sha256"][det.config["onnx"]], items, max_len, det.config.get("mask_names"),
                                layers)
        path = Path(cache) / f"claims_features_{key}.npz"
        if path.exists():
            z = np.load(path)
            log_line(log, event="features", kind="cached", n=len(items), path=str(path))
            return z["iso"], z["ctx"]
    t0 = time.time()
    iso_all = sentence_vectors(det, [r["text"] for r in items], max_len, "mean+max", layers)
    log_line(log, event="features", kind="sentence", n=len(items), seconds=round(time.time() - t0, 1))
    t0 = time.time()
    ctx_all = context_vectors(det, items, "mean+max", layers)
    log_line(log, event="features", kind="context", n=len(items), seconds=round(time.time() - t0, 1))
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, iso=iso_all, ctx=ctx_all)
    return iso_all, ctx_all


def _train_shared(items, tr, dev, out: Path, technique_model: Path | None, features: str, pooling: str,
                  max_len: int, threads: int, log, test=None, dev_test=None, calibration: str = "auto",
                  feature_cache: Path | None = None, class_balance: bool = False,
                  pool_layers: tuple[int, ...] = ()) -> dict:
    from ..claims import sigmoid
    from ..detect import MODEL_DIR, Detector

    tech_dir = Path(technique_model) if technique_model else MODEL_DIR
    det = Detector(tech_dir, threads=threads)
    layers = tuple(f"hidden_{k}" for k in pool_layers)
    if missing := [n for n in layers if n not in det.layer_outputs]:
        raise SystemExit(f"spinscope train claims: --pool-layers: {tech_dir} outputs no {', '.join(missing)} "
                         f"(it outputs {', '.join(det.layer_outputs) or 'no inner layers'}; an older export "
                         "gets them with 'spinscope train expose-layers --model DIR')")
    H = det.hidden_size * (len(layers) + 1)  # the width of one pooling
    iso_all, ctx_all = shared_features(det, items, max_len, feature_cache, log, layers)
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
            F = sentence_vectors(det, texts, max_len, "mean+max", layers)
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
           "pooling": row["pooling"], **({"layers": list(layers)} if layers else {}), "train_features": features, "l2": row["l2"], "analyze_in_context": True,
           "threshold": thr, "max_len": max_len, "class_balance": class_balance}
    if det.config.get("mask_names"):
        cfg["encoder_mask_names"] = det.config["mask_names"]  # the head reads masked states
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


def _build_classifier(encoder_dir: Path | None, tiny: bool, seed: int, layers: int = 0):
    import torch

    encoder = keep_layers(load_encoder(encoder_dir, tiny, seed), layers)
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
                    class_balance: bool = False, layers: int = 0) -> dict:
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
    net = _build_classifier(encoder_dir, tiny, seed, layers)
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
    # export: eager attention (ONNX Runtime runs it faster), dynamic int8 like spinscope.training.export
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
                     feature_cache: Path | None = None, class_balance: bool = False, final: bool = False,
                     layers: int = 0, pool_layers: tuple[int, ...] = ()) -> dict:
    """Train the claims model on ClaimBuster files in ``data`` and export it to ``out``.

    Returns a summary (also logged): mode, sizes, the held-out threshold and the held-out scores.
    ``out`` becomes a model folder for ``ClaimScorer(out)`` / ``spinscope claims --model out``.
    With ``holdout_debates`` the split is by debates (:func:`split_debates`) and the summary's
    ``report`` holds the held-out debates' and ``dev_test``'s scores at the validation threshold;
    ``final`` splits by debates with no test set (``holdout_debates`` may be 0), for the model to ship.
    ``calibration`` (auto, platt, isotonic or none) is fitted on the validation set and applied.
    ``pool_layers`` (shared mode): inner encoder layers (1 = the first) pooled beside the last one.
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
            if pool_layers:
                settings["pool_layers"] = list(pool_layers)
            if by_debates:
                settings.update(holdout_debates=holdout_debates, val_debates=val_debates)
            settings.update(calibration=calibration, class_balance=class_balance)
        else:
            settings = {"mode": mode, "seed": seed, "epochs": epochs, "batch_size": batch_size, "max_len": max_len,
                        "lr": lr, "head_lr": 1e-3, "warmup": 0.1, "threads": threads, "dev_fraction": dev_fraction,
                        "max_steps": max_steps, "tiny": tiny, "calibration": calibration,
                        "class_balance": class_balance, "layers": layers or None}
        if by_debates:
            settings.pop("dev_fraction")  # the validation set is whole debates
        log_line(log, event="start", data=str(data), n=len(items), n_pos=sum(labels), n_train=len(tr), n_dev=len(dev),
                 settings=settings, technique_model=str(technique_model) if technique_model else None,
                 encoder=str(encoder) if encoder else None, debates=names,
                 n_test=len(test) if test is not None else 0, dev_test=str(dev_test) if dev_test else None)
        if mode == "shared":
            res = _train_shared(items, tr, dev, out, technique_model, features, pooling, max_len, threads, log,
                                test=test, dev_test=dev_rows, calibration=calibration, feature_cache=feature_cache,
                                class_balance=class_balance, pool_layers=tuple(pool_layers))
        else:
            import torch

            torch.manual_seed(seed)
            res = _train_finetune(items, tr, dev, out, encoder, tiny, seed, epochs, batch_size, max_len, lr, threads,
                                  max_steps, log, class_balance, layers)
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
