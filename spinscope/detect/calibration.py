"""Score maps: a span's raw score and technique to the share of such spans that are right (fitted out of fold)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ..errors import ModelError

_REFIT = "; refit it with 'spinscope train cv' (it writes calibration.json)"


def checked_score_map(cal, where: Path) -> dict | None:
    """The ``score_calibration`` of a model config, checked: knots ``x`` increasing, ``y`` in [0, 1]
    and non-decreasing (so that calibration never reorders spans of one technique), and optional
    positive ``technique_factor`` per technique (see ``evaluation.fit_technique_factors``)."""
    if not cal:
        return None
    try:
        x = [float(v) for v in cal["x"]]
        y = [float(v) for v in cal["y"]]
    except (KeyError, TypeError, ValueError) as e:
        raise ModelError(f"{where}: score_calibration needs lists of numbers 'x' and 'y' ({e}){_REFIT}") from None
    if not x or len(x) != len(y) or any(b <= a for a, b in zip(x, x[1:])) \
            or any(b < a for a, b in zip(y, y[1:])) or not all(0.0 <= v <= 1.0 for v in y):
        raise ModelError(f"{where}: score_calibration must have x increasing and y non-decreasing in [0, 1], of equal length{_REFIT}")
    factors = cal.get("technique_factor") or {}
    try:
        factors = {str(k): float(v) for k, v in dict(factors).items()}
    except (TypeError, ValueError) as e:
        raise ModelError(f"{where}: score_calibration technique_factor must map techniques to numbers ({e}){_REFIT}") from None
    if not all(math.isfinite(v) and v > 0 for v in factors.values()):
        raise ModelError(f"{where}: score_calibration technique factors must be positive numbers{_REFIT}")
    return {"x": x, "y": y, "technique_factor": factors}


def apply_score_map(score_map: dict, raw, techniques=None):
    """The calibrated score(s) for raw score(s): the curve (``x``, ``y``) of a score map (see
    ``evaluation.fit_score_map``), then, with ``techniques`` (one per score) and a map that has
    ``technique_factor``, each scaled by its technique's factor (capped at 1)."""
    mapped = np.interp(raw, score_map["x"], score_map["y"])
    factors = score_map.get("technique_factor")
    if factors and techniques is not None:
        f = np.array([factors.get(t, 1.0) for t in np.atleast_1d(techniques)], np.float64)
        mapped = np.minimum(1.0, mapped * (f if np.ndim(mapped) else f[0]))
    return mapped


