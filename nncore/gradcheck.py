"""Gradient checking: backprop against central differences, in float64.

For each parameter tensor, the analytic gradient from ``backward`` is compared with
``(L(w + h) - L(w - h)) / 2h`` on up to ``max_entries`` entries chosen at random (all of
them for small tensors), and summarised as one relative error per tensor,
``||g_backprop - g_numeric|| / (||g_backprop|| + ||g_numeric||)``. In float64 a correct
implementation gives about 1e-9 or less; 1e-6 is the pass threshold (a kink of ReLU or MAE
hit by chance can push a tensor to ~1e-7). Dropout masks are frozen during the check.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nncore._types import Array
from nncore.layers import Dropout
from nncore.network import Network

DEFAULT_THRESHOLD = 1e-6
NOISE_FLOOR = 1e-7
"""A tensor fails only if its largest absolute error also exceeds this (times the loss when
the loss is above 1). Central differences in float64 with h = 1e-6 are exact to about
2e-16 * loss / h ~ 2e-10 * loss per entry, so 1e-7 leaves a margin of 500 while a vanishing
gradient (all entries ~1e-11, relative error dominated by rounding) is not called wrong."""


@dataclass(frozen=True)
class TensorCheck:
    """The comparison for one parameter tensor."""

    name: str
    shape: tuple[int, ...]
    checked: int
    relative_error: float
    max_abs_error: float
    analytic_norm: float
    numeric_norm: float



@dataclass(frozen=True)
class GradCheckResult:
    """Per-tensor results of a gradient check."""

    tensors: tuple[TensorCheck, ...]
    threshold: float
    loss: float

    @property
    def noise_floor(self) -> float:
        """Absolute error below which a difference is rounding noise (``NOISE_FLOOR``)."""
        return NOISE_FLOOR * max(1.0, abs(self.loss))

    def tensor_passed(self, tensor: TensorCheck) -> bool:
        """True if backprop agrees: relative error within the threshold, or every
        difference below the rounding noise (a tiny, vanishing gradient is not wrong)."""
        return bool(tensor.relative_error <= self.threshold
                    or tensor.max_abs_error <= self.noise_floor)

    @property
    def passed(self) -> bool:
        """True if every tensor passes."""
        return all(self.tensor_passed(t) for t in self.tensors)

    @property
    def worst(self) -> TensorCheck | None:
        """The tensor with the largest relative error."""
        return max(self.tensors, key=lambda t: t.relative_error, default=None)

    def failures(self) -> list[TensorCheck]:
        """Tensors whose backprop gradient disagrees with the numerical one."""
        return [t for t in self.tensors if not self.tensor_passed(t)]


def relative_error(a: Array, b: Array) -> float:
    """``||a - b|| / (||a|| + ||b||)``, or 0 when both are (numerically) zero."""
    denom = float(np.linalg.norm(a) + np.linalg.norm(b))
    return 0.0 if denom < 1e-12 else float(np.linalg.norm(a - b)) / denom


def gradient_check(network: Network, x: Array, t: Array, *, h: float = 1e-6,
                   max_entries: int = 40, rng: np.random.Generator | None = None,
                   threshold: float = DEFAULT_THRESHOLD) -> GradCheckResult:
    """Compare backprop with central differences on batch ``(x, t)``.

    ``network`` must be float64 (see ``Session.float64_twin``); its weights are restored.
    """
    if network.dtype != np.float64:
        raise ValueError("gradient checks need a float64 network: float32 rounding "
                         "(~1e-7) would drown the differences being measured")
    rng = rng or np.random.default_rng(0)
    x = np.asarray(x, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)
    dropouts = [layer for layer in network.layers if isinstance(layer, Dropout)]
    for layer in dropouts:
        layer.frozen = False
    loss, _ = network.compute_gradients(x, t)  # draws the dropout masks once
    for layer in dropouts:
        layer.frozen = True
    try:
        analytic = {p.name: p.grad.copy() for p in network.parameters()}
        results = tuple(_check_tensor(network, p, analytic[p.name], x, t, h, max_entries, rng)
                        for p in network.parameters())
    finally:
        for layer in dropouts:
            layer.frozen = False
    return GradCheckResult(results, threshold, float(loss))


def _check_tensor(network, param, analytic, x, t, h, max_entries, rng) -> TensorCheck:
    flat = param.value.reshape(-1)  # a view: perturbations reach the network
    size = flat.size
    entries = np.arange(size) if size <= max_entries else \
        np.sort(rng.choice(size, max_entries, replace=False))
    numeric = np.empty(entries.size)
    for k, i in enumerate(entries):
        original = flat[i]
        flat[i] = original + h
        plus = network.objective(x, t, training=True)
        flat[i] = original - h
        minus = network.objective(x, t, training=True)
        flat[i] = original
        numeric[k] = (plus - minus) / (2 * h)
    backprop = analytic.reshape(-1)[entries]
    return TensorCheck(param.name, tuple(param.value.shape), int(entries.size),
                       relative_error(backprop, numeric),
                       float(np.max(np.abs(backprop - numeric))) if entries.size else 0.0,
                       float(np.linalg.norm(backprop)), float(np.linalg.norm(numeric)))
