"""Statistics of the values inside a network: what the doctor and the health plots read.

Computed on request from a probe batch of training inputs (evaluation mode) and from the
gradients of the last training step; never on every step, so watching costs little.

Thresholds (documented in ``docs/doctor.md``):
- a ReLU-family unit is *dead* when its output is ``<= 0`` for every probe sample;
- a sigmoid/tanh output is *saturated* when it lies within 3% of the function's range of
  either limit (``|tanh| > 0.94``, ``sigmoid < 0.03`` or ``> 0.97``), where the slope is
  below ~0.12 of its maximum.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nncore._types import Array
from nncore.layers import Dense
from nncore.network import Network

SATURATION_MARGIN = 0.03
RELU_FAMILY = frozenset({"relu"})
SATURATING = frozenset({"tanh", "sigmoid"})


@dataclass(frozen=True)
class LayerStats:
    """Health figures of one layer for a probe batch.

    ``dead_fraction``: fraction of units that never activate (ReLU layers, else 0).
    ``saturated_fraction``: fraction of unit outputs near a limit (tanh/sigmoid, else 0).
    ``weight_norm`` / ``grad_norm``: Frobenius norms of W and of its last gradient.
    ``unit_spread``: largest standard deviation, over units, of the incoming weights of
    the same input; 0 means all units are identical copies (symmetry never broken).
    ``update_ratio``: ``lr * grad_norm / weight_norm``, the relative size of a plain step.
    """

    layer_id: str
    activation: str | None
    units: int
    output_mean: float
    output_std: float
    dead_fraction: float
    saturated_fraction: float
    weight_norm: float
    grad_norm: float
    bias_grad_norm: float
    unit_spread: float
    update_ratio: float
    pre_activation_std: float


def saturation_fraction(activation: str | None, outputs: Array) -> float:
    """Fraction of outputs within ``SATURATION_MARGIN`` of a sigmoid/tanh limit."""
    if activation == "tanh":
        return float(np.mean(np.abs(outputs) > 1 - 2 * SATURATION_MARGIN))
    if activation == "sigmoid":
        return float(np.mean((outputs < SATURATION_MARGIN) | (outputs > 1 - SATURATION_MARGIN)))
    return 0.0


def dead_fraction(activation: str | None, outputs: Array) -> float:
    """Fraction of ReLU units whose output is ``<= 0`` for every sample of the batch."""
    if activation not in RELU_FAMILY or outputs.shape[0] == 0:
        return 0.0
    return float(np.mean(np.all(outputs <= 0, axis=0)))


def _dense_stats(layer: Dense, z: Array, out: Array, activation: str, lr: float) -> LayerStats:
    w, g = layer.weight.value, layer.weight.grad
    weight_norm = float(np.linalg.norm(w))
    grad_norm = float(np.linalg.norm(g))
    bias_grad = float(np.linalg.norm(layer.bias.grad)) if layer.use_bias else 0.0
    spread = float(w.std(axis=1).max()) if w.shape[1] > 1 else float("nan")
    return LayerStats(
        layer.id, activation, layer.units, float(out.mean()), float(out.std()),
        dead_fraction(activation, out), saturation_fraction(activation, out), weight_norm,
        grad_norm, bias_grad, spread,
        lr * grad_norm / weight_norm if weight_norm > 0 else float("inf"), float(z.std()))


# A diverged network (what the NaN guard keeps can hold huge weights) overflows here; its
# statistics are then inf or NaN, which the doctor reads, never a warning.
@np.errstate(over="ignore", invalid="ignore", divide="ignore")
def layer_stats(network: Network, probe: Array, lr: float = 0.0) -> tuple[LayerStats, ...]:
    """``LayerStats`` of every Dense layer for the probe inputs (evaluation mode).

    The output layer reports its activation as the user sees it (e.g. ``softmax``) even
    when that activation is fused into the loss.
    """
    stats = []
    output_layer = network.layers[-1]
    for layer, trace in zip(network.layers, network.trace(probe)):
        if not isinstance(layer, Dense):
            continue
        out, name = trace.output, layer.activation.name
        if layer is output_layer and network.output_activation.name != "linear":
            name = network.output_activation.name
            out = network.output_activation.forward(out.copy())
        stats.append(_dense_stats(layer, trace.pre_activation, out, name, lr))
    return tuple(stats)


def gradient_norms(network: Network) -> dict[str, float]:
    """Norm of each Dense layer's weight gradient from the last backward pass."""
    return {layer.id: float(np.linalg.norm(layer.weight.grad)) for layer in network.dense_layers()}
