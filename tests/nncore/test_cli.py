"""The command line's contract (issue 2, docs/cli.md): reports, projects, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from nncore.cli import main
from nncore.project import load_project

SPIRALS = ["--data", "spirals", "--hidden", "16,16", "--activation", "tanh", "--optimizer",
           "adam", "--lr", "0.01", "--batch", "32", "--seed", "0"]


def _report(tmp_path, *args: str) -> dict:
    path = tmp_path / "report.json"
    assert main(["train", *args, "--quiet", "--report", str(path)]) == 0
    return json.loads(path.read_text(encoding="utf-8"))


def test_report_has_the_documented_top_level_and_one_history_entry_per_epoch(tmp_path):
    report = _report(tmp_path, *SPIRALS, "--epochs", "12")
    assert {"final", "epochs", "seconds", "history", "findings"} <= set(report)
    assert set(report["final"]) >= {"train_loss", "val_loss", "train_accuracy", "val_accuracy"}
    assert report["epochs"] == 12 and report["seconds"] > 0
    assert [entry["epoch"] for entry in report["history"]] == list(range(1, 13))
    assert report["final"]["train_loss"] == report["history"][-1]["train_loss"]
    assert report["resolved"] == {"output_activation": "sigmoid", "loss": "bce",
                                  "n_outputs": 1}


def test_regression_reports_r2_instead_of_accuracy(tmp_path):
    report = _report(tmp_path, "--data", "square", "--hidden", "8", "--epochs", "5")
    assert {"train_r2", "val_r2"} <= set(report["final"])
    assert "train_accuracy" not in report["final"]


def test_output_project_reloads_with_the_trained_weights_and_continues(tmp_path):
    project_path = tmp_path / "run.bplab"
    assert main(["train", *SPIRALS, "--epochs", "5", "--quiet", "-o", str(project_path)]) == 0
    project = load_project(project_path)
    assert len(project.history) == 5 and project.weights
    report = _report(tmp_path, str(project_path), "--epochs", "8")
    # same design and saved weights: training continued from epoch 5 to 8
    assert [entry["epoch"] for entry in report["history"]] == list(range(1, 9))
    continued = load_project(project_path)
    np.testing.assert_array_equal(continued.weights["dense-1.weight"],
                                  project.weights["dense-1.weight"])


def test_flags_override_only_what_they_name_in_a_project(tmp_path):
    project_path = tmp_path / "run.bplab"
    assert main(["train", *SPIRALS, "--epochs", "2", "--quiet", "-o", str(project_path)]) == 0
    report = _report(tmp_path, str(project_path), "--lr", "0.003", "--epochs", "3")
    assert report["training"]["optimizer"]["lr"] == 0.003
    assert report["training"]["optimizer"]["name"] == "adam"
    assert report["network"]["layers"][0]["units"] == 16


def test_gradcheck_passes_and_fails_with_exit_codes(capsys):
    assert main(["gradcheck", "--data", "iris", "--hidden", "8"]) == 0
    assert "passed" in capsys.readouterr().out
    assert main(["gradcheck", "--data", "iris", "--hidden", "8", "--output-activation",
                 "softmax", "--bug", "ce-labels-not-one-hot"]) == 1
    out = capsys.readouterr().out
    assert "FAILED" in out and "dense-2.weight" in out


@pytest.mark.parametrize("args, fragment", [
    (["train", "--lr", "abc"], "argument --lr: invalid float value: 'abc'"),
    (["train", "--data", "nope"], "unknown data set 'nope'"),
    (["train", "--data", "spirals", "--hidden", "16,x"], "--hidden expects whole numbers"),
    (["train", "--data", "spirals", "--epochs", "0"], "training.epochs: must be at least 1"),
    (["train", "--data", "spirals", "--lr", "-1"], "learning rate must be > 0"),
    (["train", "/no/such/project.bplab"], "project.bplab"),
    (["train", "--data", "spirals", "--activation", "sigmoidal"], "unknown activation"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
])
def test_bad_input_is_one_line_on_stderr_and_exit_two(args, fragment, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert fragment in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_a_non_finite_run_exits_one_and_still_writes_its_report(tmp_path):
    path = tmp_path / "report.json"
    # a ReLU regression overflows at this rate (tanh + the stable fused BCE would stay finite)
    code = main(["train", "--data", "square", "--hidden", "16", "--activation", "relu",
                 "--optimizer", "sgd", "--lr", "1e9", "--epochs", "20", "--quiet",
                 "--report", str(path)])
    assert code == 1
    report = json.loads(path.read_text(encoding="utf-8"))
    assert report["stop_reason"] == "non-finite-loss"
    assert "learning rate" in report["message"]


def test_output_piped_into_a_reader_that_stops_early_is_not_an_error():
    """``nncore datasets | head -1``: the closed pipe ends the program quietly."""
    reader = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.readline()"],
                              stdin=subprocess.PIPE)
    writer = subprocess.run([sys.executable, "-m", "nncore", "datasets"], stdout=reader.stdin,
                            stderr=subprocess.PIPE, text=True, timeout=60)
    reader.stdin.close()
    reader.wait(timeout=30)
    assert writer.returncode == 0
    assert "Broken pipe" not in writer.stderr


def test_doctor_names_an_untrainable_pairing_and_its_fix_trains(tmp_path, capsys):
    """Softmax + BCE on Iris cannot be built; the doctor reports it as a finding with a
    fix (not a bare spec error), and the fix's settings then train."""
    findings_file = tmp_path / "findings.json"
    code = main(["doctor", "--data", "iris", "--hidden", "8", "--output-activation", "softmax",
                 "--loss", "bce", "--json", str(findings_file)])
    out = capsys.readouterr().out
    assert code == 1 and "loss-output-mismatch" in out and "fix: Use cross-entropy" in out
    finding, = json.loads(findings_file.read_text())["findings"]
    changes = finding["fix"]["changes"]
    assert changes["training.loss"] == "auto"  # 'auto' resolves to softmax + cross-entropy
    assert changes["network.dense-2.activation"] == "auto"
    report = _report(tmp_path, "--data", "iris", "--hidden", "8", "--output-activation",
                     changes["network.dense-2.activation"], "--loss", changes["training.loss"],
                     "--epochs", "40", "--lr", "0.05")
    assert report["resolved"]["loss"] == "cross_entropy"
    assert report["final"]["val_accuracy"] > 0.8
