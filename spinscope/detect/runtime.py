"""ONNX Runtime sessions for the shipped encoders, and the checksums their files are verified by."""

from __future__ import annotations

import hashlib
from pathlib import Path

# ONNX Runtime graph optimisers turned off for the encoder (see session_options)
DISABLED_OPTIMIZERS = "SkipLayerNormFusion"


def session_options(threads: int, spinning: bool = True, disabled: str = DISABLED_OPTIMIZERS):
    """ONNX Runtime session options for the encoder: ``threads`` intra-op threads, one graph at a
    time, quiet; with ``spinning=False`` idle threads sleep instead of busy-waiting for the next op.

    ONNX Runtime's SkipLayerNormFusion (each residual Add + LayerNormalization as one
    SkipLayerNormalization kernel) is turned off: on this int8 encoder that kernel is slower than
    the Adds and LayerNormalizations it replaces (``bench/bench_onnx_opt.py`` measures it). The
    outputs differ from the fused graph's only by rounding, and are as close to the fp32 network's.

    ``disabled``: ONNX Runtime optimiser names to turn off, separated by ";" ("" for none).
    """
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.log_severity_level = 3
    if not spinning:
        so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    if disabled:
        so.add_session_config_entry("optimization.disable_specified_optimizers", disabled)
    return so


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
