"""Code export: the NumPy and PyTorch scripts reproduce nncore's per-epoch training loss.

The reference is nncore's own run of the same specs (float64); the scripts are separate
programs that import neither nncore nor each other, run in a clean subprocess.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from nncore.cli import main
from nncore.export import ExportError, export_script
from nncore.project import Project, save_project
from nncore.session import Session
from nncore.spec import DataSpec, DropoutSpec, NetworkSpec, OptimizerSpec, TrainingSpec, mlp_spec

EPOCHS = 20
CASES = {
    "moons, tanh, Adam": (
        mlp_spec([8], "tanh"),
        TrainingSpec(optimizer=OptimizerSpec("adam", 0.03), epochs=EPOCHS, seed=1,
                     dtype="float64"),
        DataSpec("moons", {"n": 300, "noise": 0.1})),
    "blobs, ReLU, momentum, L2, weight decay": (
        mlp_spec([6, 5], "relu", init="he_normal", l2=1e-3),
        TrainingSpec(optimizer=OptimizerSpec("momentum", 0.05, weight_decay=1e-4),
                     epochs=EPOCHS, batch_size=16, seed=3, dtype="float64"),
        DataSpec("blobs", {"n": 200})),
    "sine, MSE, Nesterov, full batch": (
        mlp_spec([16], "elu", output_activation="linear"),
        TrainingSpec(loss="mse", optimizer=OptimizerSpec("nesterov", 0.05), epochs=EPOCHS,
                     batch_size=None, seed=0, dtype="float64"),
        DataSpec("sine", {"n": 101})),
}
HAS_TORCH = importlib.util.find_spec("torch") is not None


def _nncore_losses(network, training, data) -> list[float]:
    session = Session(network, training, data)
    session.trainer.run()
    return [r.train_loss for r in session.trainer.history.records]


def _script_losses(path, epochs: int) -> list[float]:
    # -I: isolated, so the script cannot import nncore from the working directory
    out = subprocess.run([sys.executable, "-I", str(path), "--epochs", str(epochs)],
                         capture_output=True, text=True, timeout=300, check=True)
    lines = out.stdout.splitlines()
    assert all(line.startswith(f"epoch {i} loss ") for i, line in enumerate(lines, 1))
    return [float(line.split()[3]) for line in lines]


def _check(target: str, case: str, tmp_path, tolerance: float) -> None:
    network, training, data = CASES[case]
    project = Project(network, training, data, title=case)
    save_project(project, tmp_path / "p.bplab")
    script = tmp_path / f"train_{target}.py"
    assert main(["export", str(tmp_path / "p.bplab"), "--to", target, "-o", str(script)]) == 0
    text = script.read_text()
    assert "nncore" not in text.replace("nncore export", "")
    expected = _nncore_losses(network, training, data)
    got = _script_losses(script, EPOCHS)
    assert len(got) == len(expected) == EPOCHS
    assert got == pytest.approx(expected, rel=tolerance)


@pytest.mark.parametrize("case", list(CASES))
def test_numpy_script_reproduces_the_losses(case, tmp_path):
    _check("numpy", case, tmp_path, 1e-6)


@pytest.mark.skipif(not HAS_TORCH, reason="PyTorch is not installed")
@pytest.mark.parametrize("case", list(CASES))
def test_pytorch_script_reproduces_the_losses(case, tmp_path):
    text = export_script(Session(*CASES[case]), "pytorch")
    assert "nn.Sequential" in text and "torch.optim" in text
    _check("pytorch", case, tmp_path, 1e-5)


def test_epochs_flag_and_flags_instead_of_a_project(tmp_path, capsys):
    script = tmp_path / "t.py"
    assert main(["export", "--data", "xor", "--hidden", "4", "--epochs", "3",
                 "--to", "numpy", "-o", str(script)]) == 0
    assert len(_script_losses(script, 2)) == 2
    assert main(["export", "--data", "xor", "--hidden", "4"]) == 0
    assert "def gradients" in capsys.readouterr().out


def test_designs_that_cannot_be_reproduced_are_refused_with_the_reason(capsys):
    network = NetworkSpec((*mlp_spec([8]).layers[:1], DropoutSpec("dropout-1", 0.2),
                           mlp_spec([8]).layers[1]))
    session = Session(network, TrainingSpec(epochs=2), DataSpec("xor", {"n": 50}))
    with pytest.raises(ExportError, match="dropout layer"):
        export_script(session, "numpy")
    assert main(["export", "--data", "xor", "--optimizer", "adagrad"]) == 2
    assert "adagrad optimizer" in capsys.readouterr().err


def test_large_data_goes_to_a_file_beside_the_script(tmp_path, monkeypatch):
    import nncore.export

    monkeypatch.setattr(nncore.export, "MAX_EMBEDDED_BYTES", 1000)
    network, training, data = CASES["moons, tanh, Adam"]
    save_project(Project(network, training, data), tmp_path / "p.bplab")
    script = tmp_path / "train.py"
    assert main(["export", str(tmp_path / "p.bplab"), "-o", str(script)]) == 0
    assert (tmp_path / "train.npz").is_file() and "DATA = " not in script.read_text()
    assert _script_losses(script, 3) == pytest.approx(
        _nncore_losses(network, training, data)[:3], rel=1e-6)
    with pytest.raises(ExportError, match="too large to embed"):
        export_script(Session(network, training, data), "numpy")
