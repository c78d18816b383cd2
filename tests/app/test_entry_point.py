"""The app as a user (or CI) launches it: a separate process, from any folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from nncore import __version__

pytestmark = pytest.mark.gui


def _run_app(args: list[str], home: Path, cwd: Path, timeout: int = 180):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", BACKPROP_LAB_HOME=str(home))
    env.pop("BACKPROP_LAB_RESOURCES", None)
    return subprocess.run([sys.executable, "-m", "app", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_version_prints_and_exits_zero(tmp_path):
    result = _run_app(["--version"], tmp_path / "home", tmp_path)
    assert result.returncode == 0
    assert result.stdout.strip() == f"Backprop Lab {__version__}"


def test_smoke_trains_the_default_lesson_from_another_folder(tmp_path):
    """Resources are found without the source folder as working directory, the run goes
    through the child process, and user files land only in the per-user folders."""
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    home = tmp_path / "home"
    report, shot = tmp_path / "report.json", tmp_path / "shot.png"
    result = _run_app(["--smoke", "--epochs", "40", "--report", str(report),
                       "--screenshot", str(shot)], home, cwd)
    assert result.returncode == 0, result.stderr[-2000:]
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["ok"] and data["engine"] == "process" and data["epochs"] == 40
    assert data["train_metric"] > 0.6  # 40 epochs of the spirals lesson: well past chance
    assert QImage(str(shot)).width() >= 1300
    assert list(cwd.iterdir()) == []  # nothing written relative to the working directory
    assert (home / "log" / "backprop-lab.log").is_file()


def test_an_unknown_option_is_one_line_and_exit_two(tmp_path):
    result = _run_app(["--no-such-option"], tmp_path / "home", tmp_path)
    assert result.returncode == 2
    assert "unrecognized arguments: --no-such-option" in result.stderr


def test_a_damaged_project_on_the_command_line_does_not_stop_the_app(tmp_path):
    bad = tmp_path / "broken.bplab"
    bad.write_bytes(b"PK\x03\x04 this is not really a zip")
    result = _run_app([str(bad), "--smoke", "--epochs", "3"], tmp_path / "home", tmp_path)
    # the file is refused with a message, the app stays on its default project and trains
    assert result.returncode == 0, result.stderr[-2000:]
