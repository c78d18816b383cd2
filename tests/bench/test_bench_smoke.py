"""Smoke tests of the benchmark (``python -m bench``, docs/benchmarks.md).

They check that it runs end to end and reports every workload; they never assert on a
timing (a loaded CI machine gives slow numbers, not failures). PyTorch is optional: the
benchmark skips its peer when torch is not installed, as in CI.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from bench.callcount import count_step_calls
from bench.run import GEMM_BOUND
from bench.workloads import WORKLOADS, gemm_flops, gemm_shapes
from nncore.session import Session
from nncore.spec import DataSpec, OptimizerSpec, TrainingSpec, mlp_spec

ROOT = Path(__file__).resolve().parents[2]
HAS_TORCH = importlib.util.find_spec("torch") is not None


def _bench(*args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bench", "--quick", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout, check=False)


@pytest.mark.slow
def test_quick_benchmark_runs_and_reports_every_workload(tmp_path):
    out, md = tmp_path / "bench.json", tmp_path / "bench.md"
    done = _bench("--threads", "1", "--json", str(out), "--markdown", str(md))
    assert done.returncode == 0, done.stderr[-3000:]
    for name in (*WORKLOADS, "mnist-accuracy", "data-loading", "targets"):
        assert name in done.stdout, f"{name} missing from the report"
    results = json.loads(out.read_text())
    block = results["blocks"]["1"]
    assert list(block["workloads"]) == list(WORKLOADS)
    sides = {"nncore", "torch", "torch-fused"} if HAS_TORCH else {"nncore"}
    for name, entry in block["workloads"].items():
        assert set(entry["samples"]) == sides, name
        assert entry["meta"]["gemm_flops"] > 0
        if name in GEMM_BOUND:
            assert entry["gemm"]["gflops"] > 0
    assert results["calls"]["spiral-small"]["calls"] > 0
    if not HAS_TORCH:
        assert "pip install torch" in done.stdout + done.stderr
    text = md.read_text()
    assert all(f"| {name} |" in text for name in WORKLOADS)


@pytest.mark.slow
def test_quick_benchmark_without_the_peer():
    done = _bench("--threads", "1", "--no-torch", "--only", "spiral-small", "--no-accuracy",
                  "--no-data-loading")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "spiral-small" in done.stdout and "skipped (--no-torch)" in done.stdout


def test_gemm_work_leaves_out_the_first_layers_input_gradient():
    widths = [(784, 128), (128, 10)]
    assert gemm_shapes(widths, 32) == [(32, 784, 128), (784, 32, 128),
                                       (32, 128, 10), (128, 32, 10), (32, 10, 128)]
    assert gemm_flops(widths, 32) == 2 * 32 * (2 * 784 * 128 + 3 * 128 * 10)


def test_call_count_sees_every_numpy_call_of_a_step():
    def make() -> Session:
        return Session(mlp_spec([8], "tanh", output_activation="softmax"),
                       TrainingSpec(loss="cross_entropy", optimizer=OptimizerSpec("sgd", lr=0.1),
                                    batch_size=16, epochs=1, seed=0),
                       DataSpec("moons", options={"n": 200}, val_split=0.0))

    calls, by_function = count_step_calls(make, steps=5)
    assert calls == sum(by_function.values()) and calls == int(calls)
    assert isinstance(by_function, Counter)
    # two layers: two products forward, two for the weights, one for the input gradient;
    # the float32 cross-entropy takes its row means and sums as two more
    assert by_function["dot"] == 7
    assert by_function["tanh"] == 1


def test_quick_sweep_benchmark_measures_serial_and_the_pool():
    from bench.sweep_speed import markdown
    from bench.sweep_speed import run as sweep_speed

    results = sweep_speed(quick=True, workers=2, dask=False)
    backends = [r["backend"] for r in results["results"]]
    assert backends == ["serial", "local"]
    for entry in results["results"]:
        assert entry["runs"] == 4 and entry["failed"] == 0
        assert entry["training_s_per_run"] > 0
    assert "| local | 2 | 4 |" in markdown(results)
