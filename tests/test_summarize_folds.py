"""bench/summarize_folds.py: mean ± sd over folds and pooled per-technique F1, on hand-made fold files."""

import importlib.util
import json
import subprocess
import sys

from conftest import ROOT  # noqa: E402

_spec = importlib.util.spec_from_file_location("summarize_folds", ROOT / "bench" / "summarize_folds.py")
sf = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sf)


def score(tp: int, pred: int, gold: int) -> dict:
    p, r = (tp / pred if pred else 0.0), (tp / gold if gold else 0.0)
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0, "n_pred": pred, "n_gold": gold}


def fold(si: float, tc: dict) -> dict:
    return {"eval": {"si": {"precision": si, "recall": si, "f1": si}, "tc": {"f1": 0.6}, "full": {"f1": 0.2},
                     "tc_per_technique": tc}}


def test_pooled_f1_sums_the_folds_counts():
    # 3 right of 4 said, 6 gold; then 1 right of 1 said, 4 gold: pooled 2*4 / (5 + 10)
    assert abs(sf.pooled_f1([score(3, 4, 6), score(1, 1, 4)]) - 8 / 15) < 1e-9
    assert sf.pooled_f1([score(0, 0, 0)]) == 0.0


def test_summary_from_files(tmp_path):
    a, b = tmp_path / "eval-fold1.json", tmp_path / "eval-fold2.json"
    a.write_text(json.dumps(fold(0.40, {"Doubt": score(3, 4, 6), "Slogans": score(1, 2, 2)})))
    b.write_text(json.dumps(fold(0.50, {"Doubt": score(1, 1, 4)})))  # a fold without Slogans spans
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "summarize_folds.py"), str(a), str(b)],
                         capture_output=True, text=True, check=True).stdout
    assert "| SI F1 | 0.400 | 0.500 | **0.450 ± 0.071** |" in out
    doubt = next(line for line in out.splitlines() if line.startswith("| Doubt"))
    assert doubt.endswith("| 0.533 (5 / 10) |")
    assert "| Slogans | 0.500 | 0.000 |" in out


def test_a_file_that_is_no_fold_summary_is_one_line(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text("{}")
    r = subprocess.run([sys.executable, str(ROOT / "bench" / "summarize_folds.py"), str(bad)],
                       capture_output=True, text=True)
    assert r.returncode == 1 and "not an eval_fold.py --json file" in r.stderr and "Traceback" not in r.stderr
