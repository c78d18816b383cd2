"""``nncore sweep``: results.csv against single ``nncore train`` runs, resuming, Ctrl+C,
and one-line errors with exit code 2 (docs/cli.md)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from nncore.cli import main
from nncore.sweep import read_csv

ROOT = Path(__file__).resolve().parents[2]
FLAGS = ["--data", "moons:n=200,noise=0.2", "--epochs", "12", "--batch", "16", "-q"]


def test_sweep_rows_agree_with_single_train_runs(tmp_path):
    out = tmp_path / "sweep"
    code = main(["sweep", *FLAGS, "--vary", "lr=0.003..0.03:log:2", "--vary",
                 "hidden=4;8,8", "--seeds", "2", "--out", str(out), "--workers", "2"])
    assert code == 0
    rows = read_csv(out / "results.csv")
    assert len(rows) == 8
    assert list(rows[0])[:4] == ["index", "lr", "hidden", "seed"]
    for row in rows[::3]:
        report = tmp_path / f"alone-{row['index']}.json"
        assert main(["train", *FLAGS, "--lr", row["lr"], "--hidden", row["hidden"],
                     "--seed", row["seed"], "--report", str(report)]) == 0
        alone = json.loads(report.read_text())
        assert float(row["val_loss"]) == alone["final"]["val_loss"]
        assert float(row["train_accuracy"]) == alone["final"]["train_accuracy"]
        saved = json.loads((out / "runs" / f"{row['key']}.json").read_text())
        for key in ("train_loss", "val_loss", "val_accuracy"):
            assert [e[key] for e in saved["history"]] == [e[key] for e in alone["history"]]


def test_rerunning_the_command_skips_finished_runs(tmp_path, capsys):
    args = ["sweep", *FLAGS[:-1], "--vary", "activation=tanh,relu", "--out",
            str(tmp_path), "--backend", "serial"]
    assert main(args) == 0
    assert main(args) == 0
    assert "2 runs (2 already done)" in capsys.readouterr().out


@pytest.mark.parametrize("argv, words", [
    (["--vary", "colour=red"], "cannot vary 'colour'"),
    (["--vary", "lr=1..x:4"], "not a range"),
    ([], "nothing to sweep"),
    (["--vary", "lr=0.1", "--backend", "ray"], "Dask"),
    (["--vary", "lr=0.1", "--workers", "0"], "--workers"),
    (["--vary", "lr=0.1", "--address", "tcp://10.0.0.5:8786"], "--backend dask"),
    (["--vary", "activation=tanh,softmax"], "output layer"),
    (["--lr-range-test", "1e-5"], "LOW..HIGH"),
])
def test_bad_sweeps_exit_2_with_one_line(tmp_path, capsys, argv, words):
    assert main(["sweep", *FLAGS, "--out", str(tmp_path), *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert words in err and "\n" not in err and "Traceback" not in err


def test_lr_range_test_from_the_command_line(tmp_path):
    assert main(["sweep", *FLAGS, "--optimizer", "sgd", "--lr-range-test", "1e-4..3",
                 "--steps", "60", "--out", str(tmp_path), "--backend", "serial"]) == 0
    (row,) = read_csv(tmp_path / "results.csv")
    assert 1e-5 <= float(row["suggested_lr"]) <= 0.3


@pytest.mark.slow
def test_ctrl_c_stops_cleanly_and_keeps_what_finished(tmp_path):
    out = tmp_path / "sweep"
    cmd = [sys.executable, "-m", "nncore", "sweep", "--data", "moons:n=400", "--epochs",
           "200", "--vary", "lr=0.001..0.1:log:12", "--out", str(out), "--workers", "2"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert process.stdout.readline().startswith("sweep: 12 runs")
        assert process.stdout.readline().startswith("[ 1/12]")
        os.killpg(process.pid, signal.SIGINT)  # as a terminal does: the whole group
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, err
    assert "run the same command again" in err and "Traceback" not in err
    rows = read_csv(out / "results.csv")
    assert 1 <= len(rows) < 12 and all(r["stop_reason"] == "completed" for r in rows)
    assert len(list((out / "runs").glob("*.json"))) == len(rows)
    finished = subprocess.run([*cmd, "--backend", "local"], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=300, check=False)
    assert finished.returncode == 0, finished.stderr
    assert f"({len(rows)} already done)" in finished.stdout
    assert len(read_csv(out / "results.csv")) == 12
