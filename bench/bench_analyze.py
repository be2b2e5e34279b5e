"""Speed of ``spinscope analyze``: throughput, model load, peak memory, PyTorch ratio, length scaling.

    python bench/bench_analyze.py --articles ../shared/data/ptc/articles [--n 50] [--torch-weights runs/final/torch-fp32.pt]

Prints numbers; asserts nothing. Ratios are taken within one run because the machine is noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def cli_run(folder: Path, *extra: str) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one run of the real CLI over a folder."""
    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "spinscope.cli", "analyze", str(folder), "--format", "json",
                             "-o", os.devnull, "-q", *extra], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)  # this child's own resource usage
    wall = time.perf_counter() - t
    if os.waitstatus_to_exitcode(status):
        sys.exit(err.decode())
    return wall, usage.ru_maxrss / 1024


def load_time() -> float:
    code = ("import time; t=time.perf_counter(); from spinscope.detect import Detector; Detector(); "
            "print(time.perf_counter()-t)")
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)


class TorchEncoder:
    """The same fine-tuned network in PyTorch fp32, run on the same windows."""

    def __init__(self, weights: Path, threads: int):
        import torch

        from spinscope.training.model import build_model, default_encoder

        torch.set_num_threads(threads)
        self.torch = torch
        cfg = json.loads((weights.parent / "config.json").read_text(encoding="utf-8")) if (weights.parent / "config.json").exists() else {}
        self.net = build_model(default_encoder(), tiny=False, seed=0, layers=int(cfg.get("train", {}).get("layers", 0)))
        # newer Net versions carry an auxiliary claims head that is never exported; nothing else may differ
        missing, unexpected = self.net.load_state_dict(torch.load(weights, map_location="cpu"), strict=False)
        if [k for k in missing + unexpected if not k.startswith("claims.")]:
            sys.exit(f"{weights} does not fit the network: missing {missing}, unexpected {unexpected}")
        self.net.eval()

    def __call__(self, det, ids):
        import numpy as np

        torch = self.torch
        x = torch.from_numpy(np.concatenate([[det.cls_id], ids, [det.sep_id]]).astype(np.int64))[None]
        with torch.inference_mode():
            probs, hidden = self.net(x)  # no mask, as the exported graph (one unpadded window)
        return probs[0, 1:-1].numpy(), hidden[0, 1:-1].numpy()


def time_analyze(det, texts) -> float:
    from spinscope import analyze

    t = time.perf_counter()
    for text in texts:
        analyze(text, detector=det, claims=False, entities=False)  # the technique detector alone
    return time.perf_counter() - t


def time_batch(det, texts) -> float:
    """``analyze_many`` without claims and entities: as many texts at once as ``det`` has threads."""
    from spinscope import analyze_many

    t = time.perf_counter()
    for _ in analyze_many(texts, detector=det, claims=False, entities=False):
        pass
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=Path, default=Path(os.environ.get("SPINSCOPE_PTC", ROOT.parent / "shared/data/ptc")) / "articles")
    ap.add_argument("--n", type=int, default=50)
    ap.add_argument("--torch-weights", type=Path, default=ROOT / "runs/finalC/torch-fp32.pt",
                    help="fp32 weights of the shipped model (saved by 'spinscope train techniques' as torch-fp32.pt)")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    from spinscope.detect import Detector
    from spinscope.document import read_text_file

    files = sorted(args.articles.glob("*.txt"))[: args.n]
    if not files:
        sys.exit(f"no articles in {args.articles}")
    texts = [read_text_file(f) for f in files]
    words = sum(len(t.split()) for t in texts)
    print(f"machine: {os.cpu_count()} CPUs; {len(files)} articles, {words} words ({words / len(files):.0f} per article)")

    with tempfile.TemporaryDirectory() as tmp:
        for f in files:
            (Path(tmp) / f.name).symlink_to(f.resolve())
        runs, bare, tech = [], [], []
        for _ in range(args.repeats):  # alternating, so load from other jobs hits all alike
            tech.append(cli_run(Path(tmp), "--no-entities", "--no-claims"))
            bare.append(cli_run(Path(tmp), "--no-entities"))
            runs.append(cli_run(Path(tmp)))
    wall3 = statistics.median(w for w, _ in tech)
    print(f"CLI   spinscope analyze --no-entities --no-claims ({len(files)} files, json; the technique detector): "
          f"{wall3:.2f} s wall incl. start-up = {len(files) / wall3:.1f} articles/s; peak RSS {max(p for _, p in tech):.0f} MB")
    wall2 = statistics.median(w for w, _ in bare)
    print(f"CLI   ... --no-entities (techniques + claims): {wall2:.2f} s = {len(files) / wall2:.1f} articles/s; "
          f"peak RSS {max(p for _, p in bare):.0f} MB")
    wall = statistics.median(w for w, _ in runs)
    peak = max(p for _, p in runs)
    print(f"CLI   ... everything (techniques + claims + entities): {wall:.2f} s = {len(files) / wall:.1f} articles/s; "
          f"peak RSS {peak:.0f} MB (spaCy loaded); throughput {wall3 / wall:.2f}x the detector alone")
    loads = [load_time() for _ in range(args.repeats)]
    print(f"load  model load (import + Detector()): median {statistics.median(loads):.2f} s")

    det = Detector()
    threads = det.session.get_session_options().intra_op_num_threads
    time_analyze(det, texts[:2])  # warm up
    time_batch(det, texts[:4])
    onnx_s, batch_s = [], []
    for _ in range(args.repeats):  # alternating
        onnx_s.append(time_analyze(det, texts))
        batch_s.append(time_batch(det, texts))
    onnx_s, batch_s = statistics.median(onnx_s), statistics.median(batch_s)
    print(f"API   int8 ONNX, analyze() one text after another ({threads} threads each): {onnx_s:.2f} s = "
          f"{len(texts) / onnx_s:.1f} articles/s")
    print(f"API   int8 ONNX, analyze_many() ({det.threads} texts at once, 1 thread each): {batch_s:.2f} s = "
          f"{len(texts) / batch_s:.1f} articles/s ({onnx_s / batch_s:.2f}x)")
    if args.torch_weights.exists():
        import torch

        enc = TorchEncoder(args.torch_weights, threads)
        tdet = Detector(threads=threads)
        tdet.run_window = lambda ids, session=None: enc(tdet, ids)
        tone = tdet.with_threads(1)
        tone.run_window = lambda ids, session=None: enc(tone, ids)
        time_analyze(tdet, texts[:2])
        torch_s, torch_b = [], []
        for _ in range(max(1, args.repeats - 1)):
            torch.set_num_threads(threads)
            torch_s.append(time_analyze(tdet, texts))
            torch.set_num_threads(1)  # the same schedule as analyze_many: one thread per text
            torch_b.append(time_batch(tdet, texts))
        torch.set_num_threads(threads)
        torch_s, torch_b = statistics.median(torch_s), statistics.median(torch_b)
        print(f"API   PyTorch fp32 (same network, same windows), one after another: {torch_s:.2f} s = "
              f"{len(texts) / torch_s:.1f} articles/s")
        print(f"API   PyTorch fp32, {det.threads} texts at once, 1 thread each: {torch_b:.2f} s = "
              f"{len(texts) / torch_b:.1f} articles/s")
        print(f"ratio ONNX int8 / PyTorch fp32 speed, same schedule: one after another {torch_s / onnx_s:.2f}x, "
              f"texts side by side {torch_b / batch_s:.2f}x; best against best {min(torch_s, torch_b) / min(onnx_s, batch_s):.2f}x")
    else:
        print(f"(no {args.torch_weights}: PyTorch comparison skipped; train with 'spinscope train techniques')")

    typical = sorted(texts, key=len)[len(texts) // 2]
    base = None
    print(f"scale typical article: {len(typical)} chars, {len(typical.split())} words")
    for k in (1, 4, 16):
        text = "\n\n".join([typical] * k)
        t = statistics.median(time_analyze(det, [text]) for _ in range(args.repeats))
        base = base or t
        print(f"scale {k:2d}x: {t:.3f} s  ({t / base:.1f}x the 1x time; linear would be {k}x)")


if __name__ == "__main__":
    main()
