"""Pack the base encoder small enough to travel to a lent GPU machine, and unpack it there.

The GPU machine receives at most 64 MiB with the working tree, and all-MiniLM-L6-v2 is 87 MiB in
fp32. Training freezes the word embeddings (``TrainConfig.freeze_word_embeddings``), so only the
rows of the tokens that occur in the training data are needed there (plus the special tokens and
the row holding the table's largest absolute value, so that int8 quantisation of the table uses
the same scale as with the full table). Everything travels as fp16 and is widened back to fp32.

    python tools/encoder_pack.py pack --out .gpu/encoder --text-dir ../shared/data/ptc/articles \
        --csv ../shared/data/claims/crowdsourced.csv --csv ../shared/data/claims/groundtruth.csv \
        --text-file spinscope/training/actor_pairs.tsv
    python tools/encoder_pack.py unpack --src .gpu/encoder --out /tmp/encoder      # on the GPU machine

Models that will ship are re-assembled on the developer's machine with the full original table
(``tools/encoder_pack.py assemble``), never from the pruned one.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import sys
from pathlib import Path

import numpy as np

WORD = "embeddings.word_embeddings.weight"
COPY = ("config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt")


def pack(out: Path, text_dirs: list[Path], csvs: list[Path], text_files: tuple[Path, ...] = ()) -> None:
    from safetensors.numpy import load_file, save_file
    from tokenizers import Tokenizer

    from spinscope.training.model import default_encoder

    src = default_encoder()
    tensors = load_file(str(src / "model.safetensors"))
    key = next(k for k in tensors if k.endswith(WORD))
    tok = Tokenizer.from_file(str(src / "tokenizer.json"))
    texts = [p.read_text(encoding="utf-8") for d in text_dirs for p in sorted(d.glob("*.txt"))]
    texts += [p.read_text(encoding="utf-8") for p in text_files]
    for c in csvs:
        with open(c, newline="", encoding="utf-8-sig") as fh:
            texts += [row.get("Text") or "" for row in csv.DictReader(fh)]
    used = {0, 100, 101, 102, 103}
    for enc in tok.encode_batch(texts, add_special_tokens=False):
        used.update(enc.ids)
    table = tensors[key]
    used.add(int(np.unravel_index(np.abs(table).argmax(), table.shape)[0]))
    rows = np.asarray(sorted(used), np.int64)
    small = {k: v.astype(np.float16) for k, v in tensors.items() if k != key}
    small["__word_rows__"] = rows
    small["__word_values__"] = table[rows].astype(np.float16)
    out.mkdir(parents=True, exist_ok=True)
    save_file(small, str(out / "encoder.fp16.safetensors"))
    for f in COPY:
        shutil.copyfile(src / f, out / f)
    (out / "pack.json").write_text(json.dumps({"key": key, "shape": list(table.shape), "rows": len(rows)}) + "\n")
    print(f"packed {len(rows)} of {table.shape[0]} word rows into {out}", file=sys.stderr)


def unpack(src: Path, out: Path) -> None:
    from safetensors.numpy import load_file, save_file

    if not (src / "pack.json").exists():
        raise SystemExit(f"{src}: no pack.json here; make the folder with 'encoder_pack.py pack' first")
    meta = json.loads((src / "pack.json").read_text())
    small = load_file(str(src / "encoder.fp16.safetensors"))
    rows, values = small.pop("__word_rows__"), small.pop("__word_values__")
    table = np.zeros(meta["shape"], np.float32)
    table[rows] = values.astype(np.float32)
    full = {k: v.astype(np.float32) for k, v in small.items()}
    full[meta["key"]] = table
    out.mkdir(parents=True, exist_ok=True)
    save_file(full, str(out / "model.safetensors"))
    for f in COPY:
        shutil.copyfile(src / f, out / f)


def assemble(weights: Path, device_config: Path, out: Path) -> None:
    """Export a model trained on the GPU machine with the full original word-embedding table.

    ``weights``: its fine-tuned state dict without the word embeddings (fp16, as it came back);
    ``device_config``: the config.json it wrote there (settings, data, threshold and gap).
    """
    import torch

    from spinscope.training.config import TrainConfig
    from spinscope.training.model import build_model, default_encoder
    from spinscope.training.export import export

    for f in (weights, device_config):
        if not f.is_file():
            raise SystemExit(f"{f}: no such file (the GPU run returns it: see tools/gpu_cv.sh)")
    dev_cfg = json.loads(device_config.read_text())
    meta = dict(dev_cfg["train"])
    layers = meta.get("layers") or 0
    net = build_model(default_encoder(), tiny=False, seed=meta.get("seed", 13), layers=layers)
    small = torch.load(weights, map_location="cpu")
    missing, unexpected = net.load_state_dict({k: v.float() for k, v in small.items()}, strict=False)
    if unexpected or [m for m in missing if "word_embeddings" not in m]:
        raise SystemExit(f"weights do not fit the model: missing {missing}, unexpected {unexpected}")
    net.eval()
    cfg = TrainConfig(max_len=dev_cfg["max_len"], infer_stride=dev_cfg["infer_stride"],
                      threshold=dev_cfg["threshold"], gap=dev_cfg["gap"], peak=dev_cfg.get("peak", 0.0), layers=layers)
    meta["assembled"] = "fine-tuned on a GPU; weights returned in fp16 and exported with the original fp32 word embeddings"
    export(net, default_encoder() / "tokenizer.json", out, cfg, meta)
    print(f"exported {out}", file=sys.stderr)


def shrink(model_dir: Path) -> Path:
    """A trained model's ``torch-fp32.pt`` as ``weights.fp16.pt`` without the frozen word-embedding
    table, small enough to travel back from a GPU machine (``assemble`` puts the table back)."""
    import torch

    sd = torch.load(model_dir / "torch-fp32.pt", map_location="cpu")
    small = {k: (v.half() if v.is_floating_point() else v) for k, v in sd.items() if "word_embeddings" not in k}
    torch.save(small, model_dir / "weights.fp16.pt")
    return model_dir / "weights.fp16.pt"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("pack")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--text-dir", type=Path, action="append", default=[])
    p.add_argument("--csv", type=Path, action="append", default=[])
    p.add_argument("--text-file", type=Path, action="append", default=[],
                   help="any other text whose tokens training will meet (e.g. the actor pairs that --swap-names writes in)")
    u = sub.add_parser("unpack")
    u.add_argument("--src", type=Path, required=True)
    u.add_argument("--out", type=Path, required=True)
    m = sub.add_parser("assemble")
    m.add_argument("--weights", type=Path, required=True)
    m.add_argument("--device-config", type=Path, required=True)
    m.add_argument("--out", type=Path, required=True)
    k = sub.add_parser("shrink")
    k.add_argument("--model", type=Path, required=True, help="a trained model folder with torch-fp32.pt")
    a = ap.parse_args(argv)
    if a.cmd == "shrink":
        print(shrink(a.model))
    elif a.cmd == "pack":
        pack(a.out, a.text_dir, a.csv, a.text_file)
    elif a.cmd == "unpack":
        unpack(a.src, a.out)
    else:
        assemble(a.weights, a.device_config, a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
