"""Real data, end to end, through the command line exactly as the issues phrase it."""

from __future__ import annotations

import json

import pytest

from nncore.cli import main


def _train(tmp_path, *flags: str) -> dict:
    report = tmp_path / "report.json"
    assert main(["train", *flags, "--quiet", "--report", str(report)]) == 0
    return json.loads(report.read_text(encoding="utf-8"))


@pytest.mark.slow
def test_mnist_mlp_reaches_97_percent_test_accuracy_in_five_epochs(tmp_path):
    report = _train(tmp_path, "--data", "mnist", "--hidden", "128,64", "--activation", "relu",
                    "--optimizer", "adam", "--lr", "0.001", "--batch", "128",
                    "--epochs", "5", "--seed", "0")
    assert report["epochs"] == 5
    assert report["final"]["test_accuracy"] >= 0.97
    assert report["data"]["source"] == "mnist"


def test_iris_4_8_3_tanh_softmax_reaches_95_percent_validation_accuracy(tmp_path):
    report = _train(tmp_path, "--data", "iris", "--hidden", "8", "--activation", "tanh",
                    "--output-activation", "softmax", "--optimizer", "adam", "--lr", "0.01",
                    "--batch", "16", "--epochs", "200", "--seed", "0")
    assert report["resolved"] == {"output_activation": "softmax", "loss": "cross_entropy",
                                  "n_outputs": 3}
    assert report["network"]["layers"][0]["units"] == 8
    assert report["final"]["val_accuracy"] >= 0.95


def test_digits_8x8_reach_95_percent_validation_accuracy(tmp_path):
    report = _train(tmp_path, "--data", "digits", "--hidden", "64", "--activation", "relu",
                    "--init", "he_uniform", "--optimizer", "adam", "--lr", "0.001",
                    "--batch", "32", "--epochs", "40", "--seed", "0")
    assert report["final"]["val_accuracy"] >= 0.95
