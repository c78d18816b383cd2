"""The nncore side of the benchmark, run as ``python -m bench.nncore_side`` (see protocol).

Every timed run builds a fresh ``Session`` (same seed, so the same initial weights and
shuffle order every time) and trains through ``session.trainer.train_step()``: exactly
the code the app's training process runs, NaN guard, schedule and timing included.

A run is timed in three parts: the epoch's first step (it also shuffles the training
set), the steps in the middle of the epoch (the per-step figure every ratio uses) and,
for a whole epoch, the last step (it ends the epoch with the exact evaluation).
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench import gemm, machine
from bench.callcount import count_step_calls
from bench.workloads import (
    ACCURACY,
    QUICK_STEPS,
    WORKLOADS,
    Workload,
    export,
    gemm_flops,
    nominal_flops,
    widths,
)
from nncore.data import load_dataset, prepare
from nncore.data.dataset import Splits
from nncore.metrics import accuracy as accuracy_of
from nncore.network import predicted_labels
from nncore.session import Session

_splits: dict[str, Splits] = {}


def _splits_for(workload: Workload) -> Splits:
    key = repr(workload.data)
    if key not in _splits:
        _splits[key] = prepare(load_dataset(workload.data), workload.data)
    return _splits[key]


def _session(workload: Workload, epochs: int = 1) -> Session:
    return Session(workload.network_spec(), workload.training_spec(epochs),
                   splits=_splits_for(workload))


def timed_steps(workload: Workload, steps_per_epoch: int, quick: bool) -> int:
    """Steps timed after the first one: ``steps``, or the epoch less its first and last."""
    n = workload.steps if workload.steps is not None else max(1, steps_per_epoch - 2)
    return min(n, QUICK_STEPS) if quick else n


def info() -> dict[str, Any]:
    """Machine, NumPy and BLAS facts, as seen by this process."""
    return machine.describe()


def prepare_workload(workload: str, export_to: str | None = None,
                     quick: bool = False) -> dict[str, Any]:
    """Load the workload's data; describe it; write the peer's ``.npz`` if asked."""
    w = WORKLOADS[workload]
    session = _session(w)
    if export_to:
        export(session, Path(export_to))
    layer_widths = widths(session)
    steps_per_epoch = session.trainer.steps_per_epoch
    return {"widths": layer_widths, "batch": w.batch_size, "steps_per_epoch": steps_per_epoch,
            "timed_steps": timed_steps(w, steps_per_epoch, quick),
            "n_parameters": session.network.n_parameters,
            "gemm_flops": gemm_flops(layer_widths, w.batch_size),
            "nominal_flops": nominal_flops(layer_widths, w.batch_size)}


def run(workload: str, quick: bool = False) -> dict[str, Any]:
    """One timed run (see the module docstring)."""
    w = WORKLOADS[workload]
    session = _session(w)
    trainer = session.trainer
    n = timed_steps(w, trainer.steps_per_epoch, quick)
    start = time.perf_counter()
    trainer.train_step()
    first = time.perf_counter()
    first_loss = trainer.last_batch_loss
    trainer.run_steps(n)
    middle = time.perf_counter()
    result = {"first_step": first - start, "steps": n, "seconds": middle - first,
              "per_step": (middle - first) / n, "first_loss": first_loss,
              "last_loss": trainer.last_batch_loss, "epoch_end": None,
              "stop_reason": str(trainer.stop_reason) if trainer.stop_reason else None}
    if w.steps is None and not quick and trainer.batch_index == trainer.steps_per_epoch - 1:
        trainer.train_step()
        result["epoch_end"] = time.perf_counter() - middle
    return result


def breakdown(workload: str, quick: bool = False) -> dict[str, float]:
    """Where a step's time goes: medians of two parts of a step, each timed on its own.

    ``gradients`` is ``network.compute_gradients`` (forward, fused loss, backward) on one
    batch and ``optimizer`` is ``optimizer.step()``; the rest of a step is the trainer's
    bookkeeping and the NaN guard's copy.
    """
    w = WORKLOADS[workload]
    session = _session(w)
    network, optimizer = session.network, session.optimizer
    x = session.data.x_train[:w.batch_size]
    t = np.ascontiguousarray(session.data.t_train[:w.batch_size])
    network.compute_gradients(x, t)
    start = time.perf_counter()
    optimizer.step()
    calls = 2 if quick else max(3, min(500, int(0.03 / max(time.perf_counter() - start,
                                                           1e-6))))

    def timed(fn) -> float:
        times = []
        for _ in range(1 if quick else 7):
            begin = time.perf_counter()
            for _ in range(calls):
                fn()
            times.append((time.perf_counter() - begin) / calls)
        return float(np.median(times))

    return {"gradients": timed(lambda: network.compute_gradients(x, t)),
            "optimizer": timed(optimizer.step)}


def gemm_peak(workload: str, quick: bool = False, repeat: int = 1) -> dict[str, Any]:
    """The GEMM peak at this workload's shapes (``bench.gemm.peak_at_shapes``)."""
    w = WORKLOADS[workload]
    layer_widths = widths(_session(w))
    return gemm.peak_at_shapes(layer_widths, w.batch_size, repeat=repeat,
                               min_seconds=0.02 if quick else 0.2)


def square_peak(quick: bool = False) -> float:
    """Big square SGEMM GFLOP/s, for reference."""
    return gemm.square_peak(512 if quick else 2048, repeat=1 if quick else 3,
                            min_seconds=0.05 if quick else 0.3)


def call_count(workload: str) -> dict[str, Any]:
    """NumPy calls per training step, with the per-function breakdown."""
    w = WORKLOADS[workload]
    calls, per_function = count_step_calls(lambda: _session(w))
    return {"calls": calls, "by_function": dict(per_function.most_common())}


def accuracy(epochs: int = 5, quick: bool = False) -> dict[str, Any]:
    """Train ``ACCURACY`` for ``epochs`` epochs; test accuracy and seconds per epoch.

    The seconds are the trainer's own (``train_step`` time, including the end-of-epoch
    evaluation the app does); the test accuracy is computed between epochs, untimed.
    """
    session = _session(ACCURACY, epochs)
    trainer, splits = session.trainer, session.splits
    x_test, y_test = splits.x_test, np.asarray(splits.y_test).reshape(-1)
    if quick:  # a smoke test: a few steps and one evaluation
        trainer.run_steps(QUICK_STEPS)
        labels = predicted_labels(session.network.predict(x_test))
        return {"epochs": [], "test_accuracy": accuracy_of(y_test, labels),
                "best_accuracy": None, "steps": QUICK_STEPS, "seconds_per_epoch": math.nan,
                "quick": True}
    epochs_out = []
    while not trainer.finished:
        before = trainer.elapsed
        while not trainer.train_step() and not trainer.finished:
            pass
        labels = predicted_labels(session.network.predict(x_test))
        record = trainer.history.last
        epochs_out.append({"epoch": trainer.epoch, "seconds": trainer.elapsed - before,
                           "train_loss": record.train_loss if record else math.nan,
                           "test_accuracy": accuracy_of(y_test, labels)})
    reached = next((e["epoch"] for e in epochs_out if e["test_accuracy"] >= 0.97), None)
    seconds = [e["seconds"] for e in epochs_out]
    return {"epochs": epochs_out, "test_accuracy": epochs_out[-1]["test_accuracy"],
            "best_accuracy": max(e["test_accuracy"] for e in epochs_out),
            "epoch_reaching_97": reached, "seconds_per_epoch": sum(seconds) / len(seconds),
            "total_seconds": sum(seconds), "stop_reason": str(trainer.stop_reason),
            "quick": False}


def main() -> None:
    from bench.protocol import serve

    serve({"info": info, "prepare": prepare_workload, "run": run, "gemm": gemm_peak,
           "breakdown": breakdown,
           "square": square_peak, "calls": call_count, "accuracy": accuracy})


if __name__ == "__main__":
    main()
