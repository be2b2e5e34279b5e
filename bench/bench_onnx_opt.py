"""Ways to run the technique encoder faster, against a shipped int8 model: speed and outputs.

    nice -n 19 python bench/bench_onnx_opt.py [--articles DIR] [--n 50] [--rounds 3] [--out runs/opt]

``--ref`` is a model folder holding the int8 model and ``torch-fp32.pt`` (its fp32 PyTorch
weights; default runs/final). From one fp32 ONNX export of those weights (``OUT/fp32``, made with
``train.export(quantize=False)`` when missing) it builds model folders under ``--out`` (never
touching spinscope/models):

  base         quantize_dynamic(MatMul, Gather) of that export: today's recipe (equals ref when
               ref was exported the same way; since 0.2.3 the graph takes no attention mask,
               so against an older ref it shows what dropping the mask is worth)
  fused        onnxruntime.transformers optimize_model (Attention, SkipLayerNorm, BiasGelu,
               EmbedLayerNorm fused) then quantize_dynamic(Attention, MatMul, Gather): QAttention
  fused-e      the same without the EmbedLayerNormalization fusion (int8 word embeddings)
  fused-noattn SkipLayerNorm/BiasGelu only: the same int8 groups as ref
  fp32         the unquantised export (reference for how far int8 noise moves spans)

and runs the ref model three more ways:

  all-fusions  every ONNX Runtime graph fusion on, SkipLayerNormFusion included (spinscope turns
               that one off: ``detect.session_options``), to show what that is worth

  batched      all windows of one article in one call (padded, attention mask; refs exported
               before 0.2.3 only: later graphs take no mask)
  concurrent   the windows of one article two at a time, in 2 threads on a 1-thread session

Speed: every variant encodes the same ``--n`` PTC articles (``Detector.encode``: tokeniser +
ORT), interleaved article by article in a rotating order so that load from other jobs hits all
alike; ratios are within the run. Outputs: max |diff| of si_probs and hidden over all windows, and
the spans ``Detector.detect`` finds (start, end, technique) against the ref model. Prints
numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from spinscope.detect import Detector, Block as _Block, session_options, sha256  # noqa: E402

NUM_HEADS, HIDDEN = 12, 384  # all-MiniLM-L6-v2 (its config.json: num_attention_heads, hidden_size)


# --- model variants ------------------------------------------------------------------------


def export_fp32(weights: Path, ref: Path, out: Path) -> Path:
    """fp32 ONNX of the ref network, exported exactly as train.export() does (no quantisation)."""
    import torch

    from spinscope.training.config import TrainConfig
    from spinscope.training.model import build_model, default_encoder
    from spinscope.training.export import export

    meta = json.loads((ref / "config.json").read_text(encoding="utf-8"))["train"]
    net = build_model(default_encoder(), tiny=False, seed=13, layers=int(meta.get("layers", 0)))
    # strict=False: newer Net versions carry an auxiliary (never exported) claims head
    missing, unexpected = net.load_state_dict(torch.load(weights, map_location="cpu"), strict=False)
    assert not unexpected and all(k.startswith("claims.") for k in missing), (missing, unexpected)
    net.eval()
    export(net, ref / "tokenizer.json", out, TrainConfig(), meta, quantize=False)
    return out / "techniques.fp32.onnx"


def fuse_and_quantize(fp32: Path, out: Path, attention: bool = True, embed: bool = True) -> dict:
    """optimize_model (BERT fusions) then quantize_dynamic; returns the fused-op counts."""
    from onnx import TensorProto
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers.fusion_options import FusionOptions
    from onnxruntime.transformers.optimizer import optimize_model

    opts = FusionOptions("bert")
    opts.enable_attention = attention
    opts.enable_embed_layer_norm = embed
    opt = optimize_model(str(fp32), model_type="bert", num_heads=NUM_HEADS, hidden_size=HIDDEN,
                         optimization_options=opts, opt_level=0, use_gpu=False)
    stats = {k: v for k, v in opt.get_fused_operator_statistics().items() if v}
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        fused = Path(tmp) / "fused.onnx"
        opt.save_model_to_file(str(fused))
        # shape inference gives no type to outputs of contrib ops (Attention...): say they are float
        quantize_dynamic(str(fused), str(out), weight_type=QuantType.QInt8,
                         op_types_to_quantize=["Attention", "MatMul", "Gather"],
                         extra_options={"DefaultTensorType": TensorProto.FLOAT})
    return stats


def model_dir(onnx_file: Path, ref: Path) -> Path:
    """A model folder like ``ref`` (same heads, tokenizer, threshold, gap) around ``onnx_file``."""
    out = onnx_file.parent
    for f in ("tc_head.npz", "tokenizer.json"):
        shutil.copyfile(ref / f, out / f)
    cfg = json.loads((ref / "config.json").read_text(encoding="utf-8"))
    cfg["onnx"] = onnx_file.name
    cfg["sha256"] = {f: sha256(out / f) for f in (onnx_file.name, "tc_head.npz", "tokenizer.json")}
    (out / "config.json").write_text(json.dumps(cfg, indent=2) + "\n", encoding="utf-8")
    return out


def build_models(fp32: Path, ref: Path, out: Path) -> dict[str, Path]:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    recipes = {
        "base": None,
        "fused": dict(attention=True, embed=True),
        "fused-e": dict(attention=True, embed=False),
        "fused-noattn": dict(attention=False, embed=False),
    }
    made = {}
    for name, how in recipes.items():
        f = out / name / "techniques.int8.onnx"
        if not f.exists():
            f.parent.mkdir(parents=True, exist_ok=True)
            if how is None:
                quantize_dynamic(str(fp32), str(f), weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul", "Gather"])
            else:
                print(f"fused {name}: {fuse_and_quantize(fp32, f, **how)}", flush=True)
        made[name] = model_dir(f, ref)
    d = out / "fp32-model"
    d.mkdir(parents=True, exist_ok=True)
    if not (d / fp32.name).exists():
        shutil.copyfile(fp32, d / fp32.name)
    made["fp32"] = model_dir(d / fp32.name, ref)
    return made


# --- run variants --------------------------------------------------------------------------


class AllFusionsDetector(Detector):
    """The ref model on a session with every ONNX Runtime fusion on (nothing disabled)."""

    def _session(self, threads: int, spinning: bool):
        import onnxruntime as ort

        so = session_options(threads, spinning, disabled="")
        session = ort.InferenceSession(str(self.model_dir / self.config["onnx"]), so, providers=["CPUExecutionProvider"])
        self._mask_input = any(i.name == "attention_mask" for i in session.get_inputs())
        return session


class BatchedDetector(Detector):
    """All windows of a block in one ORT call (right-padded, attention mask 0 on padding)."""

    def _encode_block(self, text: str, start: int) -> _Block:
        ids, offsets, windows, owner = self._tokenize(text)
        n = len(ids)
        probs = np.zeros((n, 3), np.float32)
        hidden = []
        if windows:
            width = max(we - ws for ws, we in windows) + 2
            x = np.zeros((len(windows), width), np.int64)
            m = np.zeros_like(x)
            for i, (ws, we) in enumerate(windows):
                x[i, : we - ws + 2] = np.concatenate([[self.cls_id], ids[ws:we], [self.sep_id]])
                m[i, : we - ws + 2] = 1
            P, H = self.session.run(None, {"input_ids": x, "attention_mask": m})
            for i, (ws, we) in enumerate(windows):
                hidden.append(H[i, 1 : we - ws + 1])
                mine = owner[ws:we] == i
                probs[ws:we][mine] = P[i, 1 : we - ws + 1][mine]
        return _Block(start, text, offsets, windows, hidden, probs, text.lower())


class ConcurrentDetector(Detector):
    """The windows of a block two at a time in 2 Python threads on a 1-thread session (a lone
    last window on the usual multi-thread session): same numbers, other scheduling."""

    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.single = self._session(1, spinning=True)
        self.pool = ThreadPoolExecutor(2)

    def _encode_block(self, text: str, start: int) -> _Block:
        ids, offsets, windows, owner = self._tokenize(text)
        n = len(ids)
        k = len(windows) - len(windows) % 2
        res = list(self.pool.map(lambda w: self._run_window(ids[w[0] : w[1]], self.single), windows[:k]))
        res += [self._run_window(ids[ws:we]) for ws, we in windows[k:]]
        probs = np.zeros((n, 3), np.float32)
        for i, ((ws, we), (p, _)) in enumerate(zip(windows, res)):
            mine = owner[ws:we] == i
            probs[ws:we][mine] = p[mine]
        return _Block(start, text, offsets, windows, [h for _, h in res], probs, text.lower())


def span_keys(spans):
    return [(s.start, s.end, s.technique) for s in spans]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=Path, default=Path(os.environ.get("SPINSCOPE_PTC", ROOT.parent / "shared/data/ptc")) / "articles")
    ap.add_argument("--n", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0, help="intra-op threads (default: the Detector's)")
    ap.add_argument("--out", type=Path, default=ROOT / "runs/opt")
    ap.add_argument("--ref", type=Path, default=ROOT / "runs/final",
                    help="model folder with the int8 model compared against and its torch-fp32.pt")
    ap.add_argument("--no-fp32", action="store_true", help="skip the (slow) fp32 reference")
    args = ap.parse_args()

    from spinscope.document import read_text_file

    ref = args.ref.resolve()
    fp32 = args.out / "fp32" / "techniques.fp32.onnx"
    if not fp32.exists():
        print(f"exporting {fp32} from {ref / 'torch-fp32.pt'}", flush=True)
        export_fp32(ref / "torch-fp32.pt", ref, fp32.parent)
    models = build_models(fp32, ref, args.out)
    if args.no_fp32:
        models.pop("fp32")
    th = args.threads or None
    dets = {"ref": Detector(ref, threads=th)}
    dets.update({k: Detector(d, threads=th, verify=False) for k, d in models.items()})
    dets["all-fusions"] = AllFusionsDetector(ref, threads=th)
    if dets["ref"].takes_mask:  # padding needs a mask
        dets["batched"] = BatchedDetector(ref, threads=th)
    dets["concurrent"] = ConcurrentDetector(ref, threads=th)
    threads = dets["ref"].session.get_session_options().intra_op_num_threads
    for k, det in dets.items():
        f = det.model_dir / det.config["onnx"]
        print(f"model {k:12s} {f.relative_to(ROOT) if f.is_relative_to(ROOT) else f}  {f.stat().st_size / 1e6:.1f} MB")

    files = sorted(args.articles.glob("*.txt"))[: args.n]
    texts = [read_text_file(f) for f in files]
    n_win = sum(len(b.windows) for t in texts for b in dets["ref"].encode(t))
    print(f"{len(texts)} articles, {n_win} windows, {threads} intra-op threads, {os.cpu_count()} CPUs")

    # outputs against the ref model
    ref = [dets["ref"].encode(t) for t in texts]
    ref_spans = [span_keys(dets["ref"].detect(t)) for t in texts]
    print(f"spans ref: {sum(map(len, ref_spans))}")
    for k, det in dets.items():
        if k == "ref":
            continue
        got = [det.encode(t) for t in texts]
        pairs = [(a, b) for ra, rb in zip(ref, got) for a, b in zip(ra, rb)]
        dp = max(float(np.abs(a.probs - b.probs).max()) for a, b in pairs)
        dh = max(float(np.abs(x - y).max()) for a, b in pairs for x, y in zip(a.hidden, b.hidden))
        spans = [span_keys(det.detect(t)) for t in texts]
        diff_art = sum(a != b for a, b in zip(ref_spans, spans))
        only_ref = sum(len(set(a) - set(b)) for a, b in zip(ref_spans, spans))
        only_new = sum(len(set(b) - set(a)) for a, b in zip(ref_spans, spans))
        print(f"diff {k:12s}: max|si_probs| {dp:.4f} max|hidden| {dh:.4f}; spans {sum(map(len, spans))}, "
              f"articles differing {diff_art}/{len(texts)}, only in ref {only_ref}, only in {k} {only_new}", flush=True)

    # speed of Detector.encode (tokeniser + ORT), article by article, variant order rotated each time
    names = [k for k in dets if k != "fp32"]
    times = {k: 0.0 for k in names}
    for r in range(args.rounds):
        for i, text in enumerate(texts):
            j = (i + r) % len(names)
            for k in names[j:] + names[:j]:
                t = time.perf_counter()
                dets[k].encode(text)
                times[k] += time.perf_counter() - t
    base = times["ref"]
    for k in names:
        m = times[k] / args.rounds
        print(f"speed {k:12s}: {m:.2f} s per pass ({1000 * m / n_win:.1f} ms/window) = {base / times[k]:.2f}x ref")

if __name__ == "__main__":
    main()
