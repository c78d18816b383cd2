"""Loss functions, always the **mean over the batch**, with their gradients.

Every loss takes ``(y_true, y_pred)`` in that order, both of shape ``(n_samples, n_outputs)``;
the gradient is ``dL/dy_pred`` and already carries the ``1/n``, so optimizers never divide
by the batch size. The two fused losses take *logits* (the output layer's pre-activation)
and return the famously simple gradients ``(sigmoid(z) - y)/n`` and ``(softmax(z) - y)/n``;
their log terms are computed stably (softplus, log-sum-exp), as PyTorch's
``BCEWithLogitsLoss`` and ``CrossEntropyLoss`` do. Class targets arrive one-hot (or as
probability rows) — see ``encode_targets`` in ``nncore.network``.
"""

from __future__ import annotations

import functools
import math
from abc import ABC, abstractmethod
from typing import ClassVar

import numpy as np

from nncore._types import Array
from nncore.activations import Sigmoid, Softmax, _one, _sigmoid_pair

ROW_PRODUCT_CLASSES = 32
"""Up to this many classes, softmax's row means and row sums are tiny matrix products,
which cost a fraction of NumPy's axis reductions and broadcasts on small batches."""


@functools.lru_cache(maxsize=16)
def _row_matrices(k: int, dtype: np.dtype) -> tuple[Array, Array, float]:
    """``(J / k, J, limit)`` for the ``k x k`` all-ones ``J`` (read-only): ``z @ (J / k)``
    repeats each row's mean ``k`` times, ``e @ J`` each row's sum; ``limit`` is the largest
    logit-minus-row-mean whose ``exp``, summed ``k`` times, stays finite in ``dtype``."""
    ones = np.ones((k, k), dtype=dtype)
    mean = ones / np.asarray(k, dtype=dtype)
    ones.flags.writeable = mean.flags.writeable = False
    limit = math.log(float(np.finfo(dtype).max) / k) - 1.0  # 1.0: margin for exp's rounding
    return mean, ones, limit


def _from_centred(y: Array, shifted: Array, ones: Array, limit: float,
                  need_gradient: bool) -> tuple[float, Array | None] | None:
    """Cross-entropy and its gradient from logits minus their row means (``shifted``,
    overwritten); None if a logit lies more than ``limit`` above its row mean (or is NaN).

    That test comes *before* ``exp``, so no ``inf`` or NaN ever reaches the matrix product:
    which floating-point flags a BLAS kernel raises on such entries differs between CPUs
    (OpenBLAS's AVX-512 kernels raise "invalid value" where others raise nothing), and no
    result or warning may depend on that.
    """
    if not shifted.max() <= limit:  # also true for NaN
        return None
    n = shifted.shape[0]
    exp = np.exp(shifted)
    total = np.dot(exp, ones)  # row sums, each repeated k times; in [1, finfo.max]
    log_p = np.log(total)
    np.subtract(shifted, log_p, out=log_p)
    value = -float(np.vdot(y, log_p)) / n
    if not math.isfinite(value):
        return None
    if not need_gradient:
        return value, None
    exp /= total
    exp -= y
    exp *= 1.0 / n
    return value, exp


class Loss(ABC):
    """Mean loss over a batch and its gradient with respect to the network's output."""

    name: ClassVar[str]
    formula: ClassVar[str]
    advice: ClassVar[str]
    fused_activation: ClassVar[str | None] = None
    """Output activation computed inside the loss (the network then outputs logits)."""

    def value(self, y_true: Array, y_pred: Array) -> float:
        """Mean loss over the batch."""
        return self.value_and_gradient(y_true, y_pred, need_gradient=False)[0]

    def gradient(self, y_true: Array, y_pred: Array) -> Array:
        """``dL/dy_pred``, shape ``(n_samples, n_outputs)``, including the ``1/n``."""
        return self.value_and_gradient(y_true, y_pred)[1]

    @abstractmethod
    def value_and_gradient(self, y_true: Array, y_pred: Array, *,
                           need_gradient: bool = True) -> tuple[float, Array | None]:
        """Both at once, sharing the work (the training loop's path)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class MeanSquaredError(Loss):
    """``L = mean((y_pred - y)^2)`` over all elements; ``dL/dy_pred = 2 (y_pred - y) / N``."""

    name = "mse"
    formula = "L = (1/N) Σ (ŷ − y)²"
    advice = "The standard regression loss. Large errors weigh quadratically."

    def value_and_gradient(self, y_true, y_pred, *, need_gradient=True):
        diff = np.subtract(y_pred, y_true)
        value = float(np.vdot(diff, diff)) / diff.size
        if not need_gradient:
            return value, None
        diff *= 2.0 / diff.size
        return value, diff


class MeanAbsoluteError(Loss):
    """``L = mean|y_pred - y|``; ``dL/dy_pred = sign(y_pred - y) / N``."""

    name = "mae"
    formula = "L = (1/N) Σ |ŷ − y|"
    advice = "Regression loss robust to outliers; its gradient has constant size."

    def value_and_gradient(self, y_true, y_pred, *, need_gradient=True):
        diff = np.subtract(y_pred, y_true)
        value = float(np.abs(diff).sum()) / diff.size
        if not need_gradient:
            return value, None
        return value, np.sign(diff) * (1.0 / diff.size)


class Huber(Loss):
    """Huber loss (PyTorch ``HuberLoss``): quadratic within ``delta``, linear beyond.

    ``l(d) = d^2 / 2`` if ``|d| <= delta`` else ``delta (|d| - delta/2)``; mean over all
    elements; ``dl/dd = clip(d, -delta, delta)``.
    """

    name = "huber"
    formula = "L = (1/N) Σ ½d² if |d| ≤ δ else δ(|d| − ½δ),  d = ŷ − y"
    advice = "Regression loss: MSE for small errors, MAE for outliers."

    def __init__(self, delta: float = 1.0) -> None:
        self.delta = float(delta)

    def value_and_gradient(self, y_true, y_pred, *, need_gradient=True):
        diff = np.subtract(y_pred, y_true)
        clipped = np.clip(diff, -self.delta, self.delta)
        # d^2/2 inside, delta*(|d| - delta/2) outside == clipped * (d - clipped/2)
        value = float(np.vdot(clipped, diff - 0.5 * clipped)) / diff.size
        if not need_gradient:
            return value, None
        clipped *= 1.0 / diff.size
        return value, clipped

    def __repr__(self) -> str:
        return f"Huber(delta={self.delta})"


class BCEWithLogits(Loss):
    """Binary cross-entropy on a sigmoid output, computed from logits ``z``.

    ``L = mean(max(z, 0) - z y + log(1 + exp(-|z|)))`` (= ``-y log p - (1-y) log(1-p)``
    with ``p = sigmoid(z)``, without ever forming ``log 0``); ``dL/dz = (p - y) / N``.
    """

    name = "bce"
    formula = "L = −(1/N) Σ y ln p + (1 − y) ln(1 − p),  p = σ(z);  ∂L/∂z = (p − y)/N"
    advice = "Binary classification with a sigmoid output (one unit per yes/no question)."
    fused_activation = "sigmoid"

    def value_and_gradient(self, y_true, y_pred, *, need_gradient=True):
        z = y_pred
        softplus = np.logaddexp(0, z)  # log(1 + e^z) = max(z, 0) + log(1 + e^-|z|), stably
        value = (float(np.add.reduce(softplus, None)) - float(np.vdot(z, y_true))) / z.size
        if not need_gradient:
            return value, None
        # p - y = (1 - y) p - y (1 - p), with 1 - p = sigmoid(-z) computed as such: for y
        # in {0, 1} no digit cancels, even where p rounds to 1 (z > 37 in float64) and the
        # gradient is -(1 - p).
        p, q = _sigmoid_pair(z)
        q *= y_true
        grad = np.subtract(_one(z.dtype), y_true, out=softplus)
        grad *= p
        grad -= q
        grad *= 1.0 / z.size
        return value, grad


class SoftmaxCrossEntropy(Loss):
    """Categorical cross-entropy on a softmax output, computed from logits ``z``.

    ``L = mean_i(logsumexp(z_i) - sum_k y_ik z_ik)`` for rows ``y_i`` that sum to 1
    (= ``-sum_k y_k log p_k``), shifted so ``exp`` never overflows;
    ``dL/dz = (softmax(z) - y) / n``.

    Any shift per row gives the same result. Training in float32 with up to
    ``ROW_PRODUCT_CLASSES`` classes shifts by the row mean, so that row means and row sums
    are small matrix products (the fast path for small batches): the row total is then at
    least 1 and cannot underflow; a logit more than ~85 above its row mean would overflow
    ``exp`` or the row sum, so such a batch is done with the row maximum instead, which is
    always safe. float64 (the reference for gradient checks) always uses the row
    maximum.
    """

    name = "cross_entropy"
    formula = "L = −(1/n) Σᵢ Σₖ yᵢₖ ln pᵢₖ,  p = softmax(z);  ∂L/∂z = (p − y)/n"
    advice = "Multi-class classification with a softmax output: the standard choice."
    fused_activation = "softmax"

    def value_and_gradient(self, y_true, y_pred, *, need_gradient=True):
        n, k = y_pred.shape
        if 1 < k <= ROW_PRODUCT_CLASSES and n and y_pred.dtype == np.float32:
            mean, ones, limit = _row_matrices(k, y_pred.dtype)
            shifted = np.dot(y_pred, mean)
            np.subtract(y_pred, shifted, out=shifted)
            result = _from_centred(y_true, shifted, ones, limit, need_gradient)
            if result is not None:
                return result
        shifted = np.subtract(y_pred, y_pred.max(axis=1, keepdims=True))
        exp = np.exp(shifted)
        total = exp.sum(axis=1, keepdims=True)
        value = (float(np.log(total).sum()) - float(np.vdot(y_true, shifted))) / n
        if not need_gradient:
            return value, None
        exp /= total
        exp -= y_true
        exp *= 1.0 / n
        return value, exp


LOSSES: dict[str, type[Loss]] = {
    cls.name: cls for cls in (MeanSquaredError, MeanAbsoluteError, Huber, BCEWithLogits,
                              SoftmaxCrossEntropy)
}
FUSED_OUTPUTS = {"sigmoid": Sigmoid, "softmax": Softmax}


def get_loss(name: str, *, huber_delta: float = 1.0) -> Loss:
    """A new loss object by registered name; ``ValueError`` lists the choices."""
    if name not in LOSSES:
        raise ValueError(f"unknown loss {name!r}; choose one of {sorted(LOSSES)}")
    return Huber(huber_delta) if name == "huber" else LOSSES[name]()
