"""The span classifier: a small encoder fine-tuned to name the technique of a given span.

It reads the span's sentence with the span's tokens marked (:func:`spinscope.detect.span_input.span_input`) plus
the span's length and repetition features, so that the technique is judged from the words of the
span and the sentence around them, not from the tagger's states alone. Trained on gold spans;
``--fold K`` trains on the other folds of ``train cv``'s split and scores the held-out fold.
"""

from __future__ import annotations

import json
import math
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .. import techniques as T
from ..detect import extra_features, repetition_count, sha256
from ..detect.decoding import sentence_starts
from ..detect.masking import encode, placeholder_ids
from ..detect.span_input import span_input
from ..document import InputError
from ..errors import TrainingPaused
from . import scoring
from .checkpoint import load_checkpoint, save_checkpoint
from .data import cv_folds, load_data, load_tokenizer, token_range
from .log import log_line
from .model import default_encoder, keep_layers, load_encoder

CLS_ID, SEP_ID = 101, 102


@dataclass
class ClassifierConfig:
    epochs: int = 4
    batch_size: int = 32
    lr: float = 5e-5
    head_lr: float = 1e-3
    warmup: float = 0.1
    layers: int = 3
    marked: bool = True  # the sentence with the span marked (else the pair span, sentence)
    class_weight_power: float = 0.3
    seed: int = 13
    threads: int = 2
    folds: int = 5
    fold: int = -1  # -1: train on every article
    max_steps: int = 0
    mask_names: str | dict | None = None  # read names as placeholders (spinscope.detect.masking)


@dataclass
class Example:
    article: str
    start: int
    end: int
    ids: np.ndarray
    types: np.ndarray
    extras: np.ndarray
    target: np.ndarray  # [C], the span's gold techniques, each 1/k


def article_tokens(tokenizer, text: str, mask_ids: dict[str, int] | None = None):
    """``(ids, offsets, sentence starts)`` of a whole article, as the detector has them per block
    (names masked as a model with ``mask_names`` masks them, given its placeholder ids)."""
    ids, offs = encode(tokenizer, text, mask_ids)
    return ids, offs, sentence_starts(text, offs)


def examples(tokenizer, aid: str, text: str, spans: list[tuple[int, int]],
             labels: dict[tuple[int, int], list[str]] | None = None, marked: bool = True,
             mask_ids: dict[str, int] | None = None) -> list[Example]:
    """One example per distinct span ``(start, end)``; its target from ``labels`` (zeros without)."""
    ids, offs, starts = article_tokens(tokenizer, text, mask_ids)
    lower = text.lower()
    out = []
    C = len(T.LABELS)
    for s, e in spans:
        if len(ids) == 0:
            continue
        a, b = token_range(offs, s, e)
        a = min(a, len(ids) - 1)
        b = max(b, a + 1)
        x, t = span_input(ids, starts, a, b, CLS_ID, SEP_ID, marked)
        target = np.zeros(C, np.float32)
        for tech in (labels or {}).get((s, e), []):
            target[T.LABELS.index(tech)] += 1.0 / len((labels or {})[(s, e)])
        rep = repetition_count(lower, text[s:e])
        out.append(Example(aid, s, e, x, t, extra_features(b - a, rep), target))
    return out


def gold_examples(tokenizer, articles: dict[str, str], labels: dict, ids: list[str], marked: bool = True,
                  mask_ids: dict[str, int] | None = None) -> list[Example]:
    out = []
    for aid in ids:
        groups: dict[tuple[int, int], list[str]] = {}
        for tech, s, e in labels.get(aid, []):
            groups.setdefault((s, e), []).append(tech)
        out.extend(examples(tokenizer, aid, articles[aid], sorted(groups), groups, marked, mask_ids))
    return out


def build_net(encoder_dir: Path | None, tiny: bool, seed: int, layers: int, marked: bool = True):
    import torch

    encoder = keep_layers(load_encoder(encoder_dir, tiny, seed), layers)
    H = encoder.config.hidden_size
    C = len(T.LABELS)

    class SpanNet(torch.nn.Module):
        """Mean of all tokens and of the span's tokens, the extras, a linear layer; softmax out."""

        def __init__(self):
            super().__init__()
            self.encoder = encoder
            self.dropout = torch.nn.Dropout(0.1)
            self.head = torch.nn.Linear(2 * H + 3, C)

        def logits(self, ids, types, mask, extras):
            h = self.encoder(input_ids=ids, attention_mask=mask, token_type_ids=types).last_hidden_state
            m = mask.unsqueeze(-1).to(h.dtype)
            span = m * (types if marked else 1 - types).unsqueeze(-1).to(h.dtype)
            pooled = torch.cat([(h * m).sum(1) / m.sum(1), (h * span).sum(1) / span.sum(1), extras], -1)
            return self.head(self.dropout(pooled))

        def forward(self, ids, types, mask, extras):
            return torch.softmax(self.logits(ids, types, mask, extras), -1)

    return SpanNet()


def collate(torch, batch: list[Example]):
    L = max(len(x.ids) for x in batch)
    ids = torch.zeros((len(batch), L), dtype=torch.long)
    types = torch.zeros((len(batch), L), dtype=torch.long)
    mask = torch.zeros((len(batch), L), dtype=torch.long)
    for r, x in enumerate(batch):
        n = len(x.ids)
        ids[r, :n] = torch.from_numpy(x.ids)
        types[r, :n] = torch.from_numpy(x.types)
        mask[r, :n] = 1
    extras = torch.from_numpy(np.stack([x.extras for x in batch]))
    return ids, types, mask, extras


def _settings(cfg: ClassifierConfig, train: list[Example]) -> dict:
    keep = {k: v for k, v in asdict(cfg).items() if k != "threads"}
    return {"config": keep, "n": len(train), "first": [train[0].article, train[0].start] if train else None}


def train_net(train: list[Example], cfg: ClassifierConfig, encoder_dir, tiny: bool, log=None,
              checkpoint: Path | None = None, deadline: float | None = None):
    """Fine-tune on ``train``; saves and resumes ``checkpoint`` after each epoch (as the tagger does)."""
    import torch

    random.seed(cfg.seed)
    np.random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    torch.set_num_threads(cfg.threads)
    net = build_net(encoder_dir, tiny, cfg.seed, cfg.layers, cfg.marked)
    net.encoder.embeddings.word_embeddings.weight.requires_grad_(False)  # half the weights, half the optimiser time
    counts = np.ones(len(T.LABELS)) + sum(x.target for x in train)
    cw = (counts.sum() / counts) ** cfg.class_weight_power
    cw = torch.tensor(cw / cw.mean(), dtype=torch.float32)
    steps_per_epoch = math.ceil(len(train) / cfg.batch_size)
    total = steps_per_epoch * cfg.epochs
    if cfg.max_steps:
        total = min(total, cfg.max_steps)
    opt = torch.optim.AdamW([
        {"params": [p for p in net.encoder.parameters() if p.requires_grad], "lr": cfg.lr},
        {"params": list(net.head.parameters()), "lr": cfg.head_lr},
    ], weight_decay=0.01, foreach=True)
    warm = max(1, int(total * cfg.warmup))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda step: min((step + 1) / warm, max(0.0, (total - step) / max(1, total - warm))))
    step, start_epoch = 0, 0
    if checkpoint is not None and checkpoint.exists():
        state = load_checkpoint(checkpoint, _settings(cfg, train), net, opt, sched)
        step, start_epoch = state["step"], state["epoch"] + 1
        log_line(log, event="resume", checkpoint=str(checkpoint), epoch=start_epoch, step=step)
    net.train()
    for epoch in range(start_epoch, cfg.epochs):
        if step >= total:
            break
        order = list(range(len(train)))
        random.Random(cfg.seed * 1000 + epoch).shuffle(order)
        t0, loss_sum, n = time.time(), 0.0, 0
        for k in range(0, len(order), cfg.batch_size):
            batch = [train[i] for i in order[k : k + cfg.batch_size]]
            ids, types, mask, extras = collate(torch, batch)
            tgt = torch.from_numpy(np.stack([x.target for x in batch]))
            logp = torch.log_softmax(net.logits(ids, types, mask, extras), -1)
            w = (tgt * cw).sum(-1)
            loss = -((tgt * logp).sum(-1) * w).sum() / w.sum()
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_([p for p in net.parameters() if p.requires_grad], 1.0, foreach=True)
            opt.step()
            sched.step()
            step += 1
            loss_sum += float(loss.detach())
            n += 1
            if step % 20 == 0:
                log_line(log, event="step", epoch=epoch, step=step, of=total, loss=round(float(loss.detach()), 4))
            if step >= total:
                break
        log_line(log, event="epoch", epoch=epoch, loss=round(loss_sum / max(1, n), 4), seconds=round(time.time() - t0, 1))
        if checkpoint is not None and epoch + 1 < cfg.epochs and step < total:
            save_checkpoint(checkpoint, _settings(cfg, train), net, opt, sched, step=step, epoch=epoch)
            log_line(log, event="checkpoint", epoch=epoch, step=step, path=str(checkpoint))
            if deadline is not None and time.time() >= deadline:
                raise TrainingPaused(f"stopped at the time limit after epoch {epoch + 1} of {cfg.epochs} "
                                     f"(checkpoint {checkpoint}); run the same command again to resume")
    net.eval()
    return net


def predict(net, items: list[Example], batch_size: int = 64) -> np.ndarray:
    """Technique probabilities ``[N, C]`` from the torch network (for out-of-fold scoring)."""
    import torch

    out = []
    with torch.no_grad():
        for k in range(0, len(items), batch_size):
            out.append(net(*collate(torch, items[k : k + batch_size])).numpy())
    return np.concatenate(out) if out else np.zeros((0, len(T.LABELS)), np.float32)


def score_rows(items: list[Example], probs: np.ndarray, gold: list[tuple[str, str, int, int]]) -> dict:
    """TC micro-F1 and per technique over the gold rows, spans with k labels given their k best."""
    by_span = {(x.article, x.start, x.end): p for x, p in zip(items, probs)}
    used: dict[tuple, int] = {}
    pred = []
    for aid, _, s, e in gold:
        key = (aid, s, e)
        rank = used.get(key, 0)
        used[key] = rank + 1
        order = np.argsort(-by_span[key])
        pred.append((aid, T.LABELS[int(order[min(rank, len(order) - 1)])], s, e))
    res = {"tc": scoring.score_tc(gold, pred).as_dict()}
    res["per_technique"] = {t: r.as_dict() for t, r in scoring.score_tc_per_technique(gold, pred).items()}
    return res


def quantize_classifier(fp32: Path, dest: Path, per_channel: bool = True) -> None:
    """int8 weights (MatMul and Gather) with ONNX Runtime dynamic quantisation; per output channel by
    default, which keeps the classifier's choices closer to the fp32 network's than one scale a tensor."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(fp32), str(dest), weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul", "Gather"],
                     per_channel=per_channel)


def export_classifier(net, tokenizer_file: Path, out: Path, meta: dict, fp32: Path | None = None) -> Path:
    """Write the int8 ONNX span classifier and its config (with checksums) into ``out``; the fp32
    graph is kept at ``fp32`` when given (for comparisons; not shipped)."""
    import torch

    out.mkdir(parents=True, exist_ok=True)
    net.encoder.set_attn_implementation("eager")
    keep = fp32 is not None
    fp32 = fp32 or out / "classifier-fp32.onnx"
    x = torch.randint(1000, 2000, (2, 24))
    t = torch.zeros_like(x)
    m = torch.ones_like(x)
    e = torch.zeros((2, 3))
    with torch.no_grad():
        torch.onnx.export(net, (x, t, m, e), str(fp32),
                          input_names=["input_ids", "token_type_ids", "attention_mask", "extras"],
                          output_names=["probs"],
                          dynamic_axes={"input_ids": {0: "batch", 1: "tokens"}, "token_type_ids": {0: "batch", 1: "tokens"},
                                        "attention_mask": {0: "batch", 1: "tokens"}, "extras": {0: "batch"},
                                        "probs": {0: "batch"}},
                          opset_version=17, dynamo=False)
    name = "classifier.int8.onnx"
    quantize_classifier(fp32, out / name)
    if not keep:
        fp32.unlink()
    write_classifier_config(out, name, meta, tokenizer_file)
    return out


def write_classifier_config(out: Path, name: str, meta: dict, tokenizer_file: Path) -> None:
    """The classifier's config: its file's checksum, and the checksum of the tokenizer it was trained
    with, which the technique model it is installed in must share (it reads that model's token ids)."""
    config = {"name": "spinscope-span-classifier", "onnx": name, "labels": list(T.LABELS), "train": meta,
              "input": "marked" if meta.get("marked", True) else "pair",
              "tokenizer_sha256": sha256(tokenizer_file), "sha256": {name: sha256(out / name)}}
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")


def install_classifier(classifier_dir: Path, model_dir: Path) -> Path:
    """Copy an exported classifier into a technique model folder, where the detector finds it."""
    import shutil

    dest = model_dir / "classifier"
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir()
    config = json.loads((classifier_dir / "config.json").read_text(encoding="utf-8"))
    for name in (config["onnx"], "config.json"):
        shutil.copyfile(classifier_dir / name, dest / name)
    return dest


def run_train_classifier(data: Path, out: Path, cfg: ClassifierConfig, encoder_dir: Path | None = None,
                         tiny: bool = False, limit: int = 0, version: str = "dev",
                         deadline: float | None = None) -> dict:
    """Train (on every article, or on all folds but ``cfg.fold``), export, and score the held-out fold."""
    from ..detect.detector import MODEL_DIR

    encoder_dir = encoder_dir or (MODEL_DIR if tiny else default_encoder())
    articles, labels = load_data(data, limit)
    ids = sorted(articles)
    test_ids: list[str] = []
    if cfg.fold >= 0:
        if not 0 <= cfg.fold < cfg.folds <= len(ids):
            raise InputError(f"--fold takes 0 to {min(cfg.folds, len(ids)) - 1} with --folds {cfg.folds}, not {cfg.fold}")
        test_ids = cv_folds(ids, cfg.seed, cfg.folds)[cfg.fold]
    train_ids = [a for a in ids if a not in set(test_ids)]
    out.mkdir(parents=True, exist_ok=True)
    checkpoint = out / "checkpoint.pt"
    tok = load_tokenizer(encoder_dir)
    try:
        mask_ids = placeholder_ids(cfg.mask_names, tok) if cfg.mask_names else None
    except ValueError as e:
        raise InputError(f"--mask-names: {e}") from None
    with open(out / "train.log.jsonl", "a" if checkpoint.exists() else "w", encoding="utf-8") as log:
        log_line(log, event="start", data=str(data), n_train=len(train_ids), n_test=len(test_ids),
                 config=asdict(cfg), encoder=str(encoder_dir), tiny=tiny)
        train = gold_examples(tok, articles, labels, train_ids, cfg.marked, mask_ids)
        if not train:
            raise InputError(f"{data}: no labelled spans to train on")
        log_line(log, event="examples", n=len(train), tokens=int(sum(len(x.ids) for x in train)))
        net = train_net(train, cfg, encoder_dir, tiny, log, checkpoint, deadline)
        meta = {"version": version, "data": str(data), "n_articles": len(train_ids), "n_spans": len(train),
                **{k: v for k, v in asdict(cfg).items() if k != "threads"},
                "encoder": "tiny-random-bert" if tiny else "all-MiniLM-L6-v2"}
        export_classifier(net, encoder_dir / "tokenizer.json", out / "model", meta,
                          fp32=None if tiny else out / "classifier-fp32.onnx")
        summary: dict = {"model": str(out / "model"), "n_train": len(train_ids)}
        if test_ids:
            test = gold_examples(tok, articles, labels, test_ids, cfg.marked, mask_ids)
            probs = predict(net, test)
            gold = [(a, t, s, e) for a in test_ids for t, s, e in labels.get(a, [])]
            summary.update(score_rows(test, probs, gold), test_ids=test_ids)
            np.savez(out / "oof.npz", probs=probs, articles=np.array([x.article for x in test]),
                     starts=np.array([x.start for x in test]), ends=np.array([x.end for x in test]))
            log_line(log, event="test", tc_f1=summary["tc"]["f1"])
        (out / "result.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
        checkpoint.unlink(missing_ok=True)
        log_line(log, event="done", out=str(out))
    return summary
