"""Export to int8 ONNX plus a small numpy head, with a config holding checksums, decoding settings and the score map."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np

from .. import techniques as T
from ..detect import (
    CONTEXT,
    sha256,
)
from .config import TrainConfig


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
    expose_layers(fp32)
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
        **({"mask_names": cfg.mask_names} if cfg.mask_names else {}),
        "train": meta,
        "sha256": {f: sha256(out / f) for f in files},
    }
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    return out


LAYER_OUTPUT = re.compile(r"/layer\.(\d+)/output/LayerNorm/[A-Za-z_]+_output_0$")


def expose_layers(onnx_file: Path) -> list[str]:
    """Make the graph also output every inner encoder layer's hidden states (``hidden_1`` for the
    first layer, ...; the last stays ``hidden``), rewriting the file. The runtime asks for them by
    name only when a claims head pools them, so technique detection runs as before. Returns the
    names; a graph that already has them is left as it is."""
    import onnx
    from onnx import TensorProto, helper

    model = onnx.load(str(onnx_file))
    graph = model.graph
    have = {o.name for o in graph.output}
    found = {}
    for node in graph.node:
        m = LAYER_OUTPUT.search(node.output[0]) if node.output else None
        if m and node.op_type in ("LayerNormalization", "Add"):
            found[int(m.group(1))] = node.output[0]  # the last match per layer is its output
    layers = [k for k in sorted(found) if found[k] not in have]  # the last layer's is "hidden" itself
    names = []
    for k in layers:
        name = f"hidden_{k + 1}"
        names.append(name)
        if name in have:
            continue
        if not any(name in n.output for n in graph.node):
            graph.node.append(helper.make_node("Identity", [found[k]], [name], name=f"expose_{name}"))
        graph.output.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, ["batch", "tokens", "hidden_size"]))
    if len(names) and not all(n in have for n in names):
        onnx.save(model, str(onnx_file))
    return names


def expose_model_layers(model_dir: Path) -> list[str]:
    """:func:`expose_layers` on an exported technique model folder, its checksum updated (a model
    exported without them gets the inner layers a claims head may pool; detection is unchanged)."""
    p = model_dir / "config.json"
    cfg = json.loads(p.read_text(encoding="utf-8"))
    onnx_file = model_dir / cfg["onnx"]
    names = expose_layers(onnx_file)
    cfg.setdefault("sha256", {})[cfg["onnx"]] = sha256(onnx_file)
    p.write_text(json.dumps(cfg, indent=2) + "\n", encoding="utf-8")
    return names


def set_threshold(model_dir: Path, threshold: float, gap: int = 0, peak: float = 0.0, extend: float = 0.0) -> None:
    """Write the SI decoding settings (chosen on development data) into a model's config."""
    p = model_dir / "config.json"
    cfg = json.loads(p.read_text(encoding="utf-8"))
    cfg["threshold"] = round(float(threshold), 3)
    cfg["gap"] = int(gap)
    cfg["peak"] = round(float(peak), 3)
    cfg["extend"] = round(float(extend), 3)
    p.write_text(json.dumps(cfg, indent=2) + "\n", encoding="utf-8")


def load_score_map(cal_file: Path) -> dict:
    """The score map in ``cal_file`` (the ``calibration.json`` of ``spinscope train cv``), checked;
    ModelError if it cannot be used."""
    from ..detect import ModelError, checked_score_map

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


