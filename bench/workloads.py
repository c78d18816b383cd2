"""The benchmark's workloads: specs for nncore, the same network for PyTorch, FLOP counts.

Each workload is a network, an optimizer, a batch size, a data set and a number of steps.
nncore builds it through ``nncore.session.Session`` (exactly what the app runs); the
PyTorch peer gets the same data, the same initial weights and the same shuffle order
through a ``.npz`` file written by ``export``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nncore.spec import DataSpec, NetworkSpec, OptimizerSpec, TrainingSpec, mlp_spec


@dataclass(frozen=True)
class Workload:
    """One benchmark case; ``steps=None`` means one epoch."""

    name: str
    description: str
    data: DataSpec
    hidden: tuple[int, ...]
    activation: str
    optimizer: OptimizerSpec
    batch_size: int
    steps: int | None = None
    repeat: int = 3

    def network_spec(self) -> NetworkSpec:
        """Dense hidden layers and a softmax output (fused with cross-entropy), initialised
        as the CLI's ``--hidden`` does (``mlp_spec``'s defaults)."""
        return mlp_spec(self.hidden, self.activation, output_activation="softmax")

    def training_spec(self, epochs: int = 1) -> TrainingSpec:
        """Softmax cross-entropy, float32, seed 0, shuffled every epoch."""
        return TrainingSpec(loss="cross_entropy", optimizer=self.optimizer,
                            batch_size=self.batch_size, epochs=epochs, seed=0,
                            dtype="float32")


SPIRALS = DataSpec("spirals", options={"n": 2000}, val_split=0.0, seed=0)
MNIST = DataSpec("mnist", val_split=0.0, seed=0)

WORKLOADS: dict[str, Workload] = {w.name: w for w in (
    Workload("spiral-small", "two spirals (2000), 2-16-16-2 tanh, Adam 0.01, batch 32, 1 epoch",
             SPIRALS, (16, 16), "tanh", OptimizerSpec("adam", lr=0.01), 32, repeat=21),
    Workload("mnist-mlp", "MNIST, 784-128-64-10 ReLU, Adam 0.001, batch 128, 1 epoch",
             MNIST, (128, 64), "relu", OptimizerSpec("adam", lr=0.001), 128, repeat=5),
    Workload("wide", "MNIST, 784-1024-1024-10 ReLU, SGD momentum 0.9 lr 0.01, batch 256, "
             "50 steps", MNIST, (1024, 1024), "relu",
             OptimizerSpec("momentum", lr=0.01, momentum=0.9), 256, steps=50, repeat=5),
)}
"""The timed workloads, in the order they run and print."""

QUICK_STEPS = 5
"""Timed steps per run in ``--quick`` mode (a smoke test, not a measurement)."""

ACCURACY = Workload("mnist-accuracy", "MNIST, 784-128-64-10 ReLU, Adam 0.001, batch 128, "
                    "5 epochs, test accuracy", MNIST, (128, 64), "relu",
                    OptimizerSpec("adam", lr=0.001), 128)


def widths(session: Any) -> list[tuple[int, int]]:
    """``(n_in, n_out)`` of every Dense layer of a session's network, in order."""
    return [(layer.n_inputs, layer.n_outputs) for layer in session.network.dense_layers()]


def gemm_shapes(layer_widths: list[tuple[int, int]], batch: int) -> list[tuple[int, int, int]]:
    """The ``(m, k, n)`` of every matrix product in one training step.

    Per Dense layer: forward ``x @ W`` (batch, in, out), weight gradient ``x.T @ g``
    (in, batch, out) and, except for the first layer (its input is data), the input
    gradient ``g @ W.T`` (batch, out, in).
    """
    shapes = []
    for i, (n_in, n_out) in enumerate(layer_widths):
        shapes.append((batch, n_in, n_out))
        shapes.append((n_in, batch, n_out))
        if i > 0:
            shapes.append((batch, n_out, n_in))
    return shapes


def gemm_flops(layer_widths: list[tuple[int, int]], batch: int) -> float:
    """FLOPs the matrix products of one step really do (``2 m k n`` each)."""
    return float(sum(2 * m * k * n for m, k, n in gemm_shapes(layer_widths, batch)))


def nominal_flops(layer_widths: list[tuple[int, int]], batch: int) -> float:
    """The usual ``6 x weights x samples`` estimate of one step."""
    return 6.0 * sum(a * b for a, b in layer_widths) * batch


def shuffle_order(session: Any) -> np.ndarray:
    """The row order the trainer will use for its first epoch (without consuming it).

    The trainer draws ``rng.permutation(n)`` when an epoch begins; a copy of its generator
    gives the same permutation.
    """
    trainer = session.trainer
    return copy.deepcopy(trainer.rng).permutation(trainer.data.x_train.shape[0])


def export(session: Any, path: Path) -> None:
    """Write the data, labels, first-epoch order and initial weights for the peer."""
    weights = {}
    for i, layer in enumerate(session.network.dense_layers()):
        weights[f"w{i}"] = layer.weight.value
        weights[f"b{i}"] = layer.bias.value
    data = session.data
    np.savez(path, x=np.ascontiguousarray(data.x_train, dtype=np.float32),
             labels=np.asarray(data.labels_train, dtype=np.int64),
             order=shuffle_order(session), n_layers=np.array(len(weights) // 2), **weights)
