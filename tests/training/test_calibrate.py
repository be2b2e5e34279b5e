"""spinscope train calibrate: a score map put into a trained model, the networks untouched."""

import json
import shutil

from conftest import run_cli


def calibration_file(path, y_top=0.5):
    path.write_text(json.dumps({"map": {"x": [0.0, 0.2, 1.0], "y": [0.0, 0.1, y_top],
                                        "technique_factor": {"Doubt": 0.5}}}))
    return path


def test_calibrate_writes_the_map_and_the_model_scores_with_it(tiny_model, tmp_path):
    from spinscope.detect import Detector

    model = tmp_path / "model"
    shutil.copytree(tiny_model, model)
    onnx = (model / "techniques.int8.onnx").read_bytes()
    proc = run_cli("train", "calibrate", "--model", model, "--calibration", calibration_file(tmp_path / "cal.json"),
                   "--note", "three folds")
    assert proc.returncode == 0, proc.stderr.decode()
    cal = json.loads((model / "config.json").read_text())["score_calibration"]
    assert cal["x"] == [0.0, 0.2, 1.0] and cal["technique_factor"] == {"Doubt": 0.5} and cal["fitted_by"] == "three folds"
    assert (model / "techniques.int8.onnx").read_bytes() == onnx
    det = Detector(model)
    assert det.score_map["y"] == [0.0, 0.1, 0.5]


def test_a_bad_map_is_one_line_and_leaves_the_model_as_it_was(tiny_model, tmp_path):
    model = tmp_path / "model"
    shutil.copytree(tiny_model, model)
    before = (model / "config.json").read_bytes()
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"map": {"x": [0.0, 1.0], "y": [0.5, 0.1]}}))  # decreasing
    for cal in (bad, tmp_path / "missing.json"):
        proc = run_cli("train", "calibrate", "--model", model, "--calibration", cal)
        err = proc.stderr.decode()
        assert proc.returncode == 2 and err.startswith("spinscope train:") and "Traceback" not in err
        assert len(err.strip().splitlines()) == 1
    assert (model / "config.json").read_bytes() == before
    proc = run_cli("train", "calibrate", "--model", tmp_path, "--calibration", calibration_file(tmp_path / "c.json"))
    assert proc.returncode == 2 and b"not an exported technique model" in proc.stderr
