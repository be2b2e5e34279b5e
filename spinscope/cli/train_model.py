"""``spinscope train calibrate`` and ``spinscope train expose-layers``: change an exported technique
model folder in place (its score map; its graph's outputs), the networks unchanged, and keep the
change only if the model still opens."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..output import os_message


def missing_extras(e: ImportError) -> int:
    """Say which training dependency is missing and how to install it (exit status 2)."""
    print(f"spinscope train: missing training dependency ({e.name}); pip install 'spinscope[train]'", file=sys.stderr)
    return 2


def add_expose_layers_parser(train_subparsers) -> argparse.ArgumentParser:
    """Add ``expose-layers`` to the ``spinscope train`` subcommands (handler: :func:`run_expose_layers`)."""
    q = train_subparsers.add_parser("expose-layers", help="make a technique model's ONNX graph also output its inner "
                                    "layers (for 'train claims --pool-layers'), the networks unchanged")
    q.add_argument("--model", required=True, type=Path, help="the exported technique model folder to change")
    q.set_defaults(func=run_expose_layers)
    return q


def run_expose_layers(args) -> int:
    """Add the outputs, then load the model to check that it still opens (the files are restored if not)."""
    from ..training.export import expose_model_layers

    try:
        import onnx  # noqa: F401 - the training extras, which a runtime-only install lacks
    except ImportError as e:
        return missing_extras(e)
    status, names, det = _change_model(args.model, lambda: expose_model_layers(args.model))
    if status == 0:
        print(json.dumps({"model": str(args.model), "layer_outputs": det.layer_outputs, "added": names}, indent=2))
    return status


def _change_model(model: Path, change):
    """Run ``change()`` on an exported technique model folder that opens, and keep the change only if
    the model still opens (its config and ONNX file are restored otherwise). Returns (exit status,
    what ``change`` returned, the model reopened); errors are printed in one line (status 2)."""
    from ..detect import Detector, ModelError

    if not (model / "config.json").is_file():
        print(f"spinscope train: --model {model}: not an exported technique model folder (no config.json)",
              file=sys.stderr)
        return 2, None, None
    try:
        det = Detector(model)  # a model that does not open is not changed
        saved = {f: f.read_bytes() for f in (model / "config.json", model / det.config["onnx"])}
        result = change()
        try:
            return 0, result, Detector(model)
        except ModelError:
            for f, data in saved.items():
                f.write_bytes(data)
            raise
    except ModelError as e:
        print(f"spinscope train: {e}", file=sys.stderr)
    except OSError as e:
        print(f"spinscope train: {os_message(e)}", file=sys.stderr)
    return 2, None, None


def add_calibrate_parser(train_subparsers) -> argparse.ArgumentParser:
    """Add ``calibrate`` to the ``spinscope train`` subcommands (handler: :func:`run_calibrate`)."""
    q = train_subparsers.add_parser("calibrate", help="put a score map (calibration.json) into a trained technique "
                                    "model, the networks unchanged")
    q.add_argument("--model", required=True, type=Path, help="the exported technique model folder to change")
    q.add_argument("--calibration", required=True, type=Path,
                   help="calibration.json of 'spinscope train cv' or of bench/eval_score_map.py --out")
    q.add_argument("--note", default="", help="how the map was fitted, kept in the config (score_calibration.fitted_by)")
    q.set_defaults(func=run_calibrate)
    return q


def run_calibrate(args) -> int:
    """Write the map into the model's config, then load the model to check that it still opens."""
    from ..training.export import load_score_map, set_score_calibration

    def change():
        score_map = load_score_map(args.calibration)
        set_score_calibration(args.model, {**score_map, **({"fitted_by": args.note} if args.note else {})})
        return score_map

    status, score_map, _ = _change_model(args.model, change)
    if status == 0:
        print(json.dumps({"model": str(args.model), "score_calibration": str(args.calibration),
                          "knots": len(score_map["x"]), "techniques": len(score_map["technique_factor"])}, indent=2))
    return status
