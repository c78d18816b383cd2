"""Activation functions: a value and a derivative, each written once.

``forward(z)`` maps the pre-activation ``z`` to ``a``; ``backward(z, a, grad_out)`` returns
``dL/dz`` from ``dL/da`` and receives *both* the cached input ``z`` and the cached output
``a``, so each function uses the exact formula that is cheapest (tanh needs ``a``, ReLU needs
``z``) and no caller can pass the wrong one. ``backward`` may overwrite ``grad_out``.
Every function here is checked against central differences in ``tests/nncore``.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from typing import ClassVar

import numpy as np

from nncore._types import Array

_ONES: dict[np.dtype, Array] = {}


def _one(dtype: np.dtype) -> Array:
    """A 0-d array holding 1 in ``dtype``: as an operand it costs less than the literal
    ``1.0`` (a Python float takes NumPy's slower scalar path on every call)."""
    one = _ONES.get(dtype)
    if one is None:
        one = _ONES[dtype] = np.ones((), dtype=dtype)
    return one


def _into(result: Array, out: Array | None) -> Array:
    """Return ``result``, or copy it into ``out`` when the caller provided a buffer."""
    if out is None:
        return result
    np.copyto(out, result)
    return out


class Activation(ABC):
    """An element-wise (or, for softmax, row-wise) function and its derivative."""

    name: ClassVar[str]
    formula: ClassVar[str]
    advice: ClassVar[str]
    bounded: ClassVar[tuple[float, float] | None] = None
    default_alpha: ClassVar[float | None] = None

    def __init__(self, alpha: float | None = None) -> None:
        self.alpha = self.default_alpha if alpha is None else float(alpha)

    @abstractmethod
    def forward(self, z: Array, out: Array | None = None) -> Array:
        """``a = f(z)``; writes into ``out`` when given."""

    @abstractmethod
    def backward(self, z: Array, a: Array, grad_out: Array) -> Array:
        """``dL/dz = f'(z) * dL/da``; may overwrite ``grad_out``."""

    def __repr__(self) -> str:
        if self.alpha is None:
            return f"{type(self).__name__}()"
        return f"{type(self).__name__}(alpha={self.alpha})"


class Linear(Activation):
    """Identity ``f(z) = z``, ``f'(z) = 1``: the output of regression networks."""

    name = "linear"
    formula = "f(z) = z"
    advice = "Use on the output layer for regression: it can produce any real number."

    def forward(self, z: Array, out: Array | None = None) -> Array:
        if out is None or out is z:
            return z
        np.copyto(out, z)
        return out

    def backward(self, z: Array, a: Array, grad_out: Array) -> Array:
        return grad_out


class ReLU(Activation):
    """Rectified linear unit ``f(z) = max(0, z)``, ``f'(z) = [z > 0]``."""

    name = "relu"
    formula = "f(z) = max(0, z);  f'(z) = 1 if z > 0 else 0"
    advice = ("The default for hidden layers of deep networks: cheap and does not saturate "
              "for z > 0. Units whose input is always negative 'die' (gradient 0 forever). "
              "Never on a regression output: it cannot produce negative values.")
    bounded = (0.0, math.inf)

    def forward(self, z: Array, out: Array | None = None) -> Array:
        return np.maximum(z, 0, out=out)

    def backward(self, z: Array, a: Array, grad_out: Array) -> Array:
        return np.multiply(grad_out, z > 0, out=grad_out)


class LeakyReLU(Activation):
    """Leaky ReLU ``f(z) = z if z > 0 else alpha * z`` (default alpha 0.01, as PyTorch)."""

    name = "leaky_relu"
    formula = "f(z) = z if z > 0 else α·z;  f'(z) = 1 or α"
    advice = "Like ReLU, but a small slope α for z < 0 keeps units from dying."
    default_alpha = 0.01

    def forward(self, z: Array, out: Array | None = None) -> Array:
        return _into(np.where(z > 0, z, self.alpha * z), out)

    def backward(self, z: Array, a: Array, grad_out: Array) -> Array:
        return np.where(z > 0, grad_out, self.alpha * grad_out)


class ELU(Activation):
    """Exponential linear unit ``f(z) = z if z > 0 else alpha * (exp(z) - 1)`` (alpha 1)."""

    name = "elu"
    formula = "f(z) = z if z > 0 else α(eᶻ − 1);  f'(z) = 1 or α·eᶻ"
    advice = "Smooth ReLU with negative outputs that push mean activations toward zero."
    default_alpha = 1.0

    def forward(self, z: Array, out: Array | None = None) -> Array:
        negative = self.alpha * np.expm1(np.minimum(z, 0))
        return _into(np.where(z > 0, z, negative), out)

    def backward(self, z: Array, a: Array, grad_out: Array) -> Array:
        # alpha * exp(z), not f(z) + alpha: that sum cancels (alpha*expm1(z) -> -alpha) and
        # loses every digit once exp(z) < machine epsilon. exp(min(z, 0)) is 1 for z > 0,
        # the slope there; other alphas scale the negative side only (np.where costs more).
        slope = np.minimum(z, 0)
        np.exp(slope, out=slope)
        if self.alpha != 1.0:
            factor = np.greater(z, 0).astype(z.dtype)
            factor *= 1.0 - self.alpha
            factor += self.alpha
            slope *= factor
        return np.multiply(grad_out, slope, out=grad_out)


_GELU_C = math.sqrt(2.0 / math.pi)


class GELU(Activation):
    """Gaussian error linear unit, tanh form (PyTorch ``approximate='tanh'``, GPT-2).

    ``f(z) = z/2 * (1 + tanh(u))`` with ``u = sqrt(2/pi) * (z + 0.044715 z^3)``;
    ``f'(z) = (1 + tanh u)/2 + z/2 * (1 - tanh^2 u) * sqrt(2/pi) * (1 + 3*0.044715 z^2)``.
    """

    name = "gelu"
    formula = "f(z) = z·Φ(z) ≈ ½z(1 + tanh(√(2/π)(z + 0.044715z³)))"
    advice = "Smooth ReLU used by transformers; a good hidden activation."

    def forward(self, z: Array, out: Array | None = None) -> Array:
        t = np.tanh(_GELU_C * (z + 0.044715 * z * z * z))
        t += 1.0
        return np.multiply(0.5 * z, t, out=out)

    def backward(self, z: Array, a: Array, grad_out: Array) -> Array:
        z2 = z * z
        t = np.tanh(_GELU_C * z * (1.0 + 0.044715 * z2))
        derivative = 0.5 * (1.0 + t) + 0.5 * z * (1.0 - t * t) * _GELU_C * (1.0 + 0.134145 * z2)
        return np.multiply(grad_out, derivative, out=grad_out)


def _exp_minus_abs(z: Array, out: Array | None = None) -> Array:
    """``e = exp(-|z|)`` in ``[0, 1]``: never overflows, and underflows (gradually, to 0)
    only where the sigmoid it feeds does too."""
    e = np.abs(z, out=out)
    np.negative(e, out=e)
    return np.exp(e, out=e)


def _sigmoid(z: Array, out: Array | None = None) -> Array:
    """Logistic ``1 / (1 + exp(-z))``, to a few ulp in both tails, down to 0.

    With ``e = exp(-|z|)`` it is ``1/(1 + e)`` for ``z >= 0`` and ``e/(1 + e)`` below:
    only sums of positive numbers, products and quotients, so no digit cancels.
    ``(1 + tanh(z/2)) / 2`` is 4 % off at z = -36 and 0 below -37.4 in float64 (0 below
    -17.3 in float32). The numerator ``max(e, [z >= 0])`` (``e <= 1``) picks without a
    branch: ``np.where`` or a masked ``copyto`` cost several times more on float32.
    ``out`` may be ``z`` itself.
    """
    positive = np.greater_equal(z, 0)
    e = _exp_minus_abs(z, out=out)
    denominator = np.add(e, _one(e.dtype))
    np.maximum(e, positive, out=e)
    e /= denominator
    return e


def _sigmoid_pair(z: Array) -> tuple[Array, Array]:
    """``(sigmoid(z), sigmoid(-z))``, both to a few ulp in both tails.

    ``sigmoid(-z) = 1 - sigmoid(z)`` loses every digit once ``sigmoid(z)`` rounds to 1
    (z > 37 in float64, 17 in float32); here both are quotients, as in ``_sigmoid``.
    """
    positive = np.greater_equal(z, 0)
    e = _exp_minus_abs(z)
    scale = np.add(e, _one(e.dtype))
    np.reciprocal(scale, out=scale)
    s = np.maximum(e, positive)
    s *= scale
    np.logical_not(positive, out=positive)
    np.maximum(e, positive, out=e)
    e *= scale
    return s, e


def _sigmoid_slope(z: Array) -> Array:
    """``sigmoid'(z) = sigmoid(z) sigmoid(-z) = e / (1 + e)^2`` with ``e = exp(-|z|)``:
    symmetric and exact in both tails, where ``a (1 - a)`` is 0 once ``a`` rounds to 1."""
    slope = _exp_minus_abs(z)
    denominator = np.add(slope, _one(slope.dtype))
    denominator *= denominator
    slope /= denominator
    return slope


class SiLU(Activation):
    """SiLU / swish ``f(z) = z * sigmoid(z)``, ``f'(z) = s + z s (1 - s)``."""

    name = "silu"
    formula = "f(z) = z·σ(z);  f'(z) = σ(z)(1 + z(1 − σ(z)))"
    advice = "Smooth, non-monotonic ReLU alternative (swish)."

    def forward(self, z: Array, out: Array | None = None) -> Array:
        return np.multiply(z, _sigmoid(z), out=out)

    def backward(self, z: Array, a: Array, grad_out: Array) -> Array:
        s, complement = _sigmoid_pair(z)  # 1 - s, without cancelling
        complement *= z
        complement += _one(z.dtype)
        complement *= s
        return np.multiply(grad_out, complement, out=grad_out)


class Softplus(Activation):
    """Softplus ``f(z) = log(1 + exp(z))`` (stable), ``f'(z) = sigmoid(z)``."""

    name = "softplus"
    formula = "f(z) = ln(1 + eᶻ);  f'(z) = σ(z)"
    advice = "A smooth ReLU; outputs are always positive."
    bounded = (0.0, math.inf)

    def forward(self, z: Array, out: Array | None = None) -> Array:
        return np.logaddexp(0, z, out=out)

    def backward(self, z: Array, a: Array, grad_out: Array) -> Array:
        return np.multiply(grad_out, _sigmoid(z), out=grad_out)


class Sigmoid(Activation):
    """Logistic ``f(z) = 1 / (1 + exp(-z))``, ``f'(z) = a (1 - a)``."""

    name = "sigmoid"
    formula = "f(z) = 1 / (1 + e⁻ᶻ);  f'(z) = σ(z)(1 − σ(z)) ≤ 0.25"
    advice = ("Output layer of binary classification (with binary cross-entropy). In hidden "
              "layers it saturates for |z| > 5 and its slope is at most 0.25, so deep sigmoid "
              "networks and un-normalised inputs learn slowly; prefer tanh or ReLU.")
    bounded = (0.0, 1.0)

    def forward(self, z: Array, out: Array | None = None) -> Array:
        return _sigmoid(z, out=out)

    def backward(self, z: Array, a: Array, grad_out: Array) -> Array:
        return np.multiply(grad_out, _sigmoid_slope(z), out=grad_out)


class Tanh(Activation):
    """Hyperbolic tangent ``f(z) = tanh z``, ``f'(z) = 1 - a^2``."""

    name = "tanh"
    formula = "f(z) = tanh(z);  f'(z) = 1 − tanh²(z)"
    advice = ("Zero-centred and smooth: a good hidden activation for small networks such as "
              "the two spirals. Saturates for |z| > 3.")
    bounded = (-1.0, 1.0)

    def forward(self, z: Array, out: Array | None = None) -> Array:
        return np.tanh(z, out=out)

    def backward(self, z: Array, a: Array, grad_out: Array) -> Array:
        slope = np.multiply(a, a)
        np.subtract(_one(a.dtype), slope, out=slope)
        return np.multiply(grad_out, slope, out=grad_out)


class Softmax(Activation):
    """Row-wise softmax ``a_k = exp(z_k) / sum_j exp(z_j)`` (max-shifted, so stable).

    Its Jacobian-vector product is ``dL/dz = a * (g - sum_k g_k a_k)``. With
    cross-entropy the two are fused in ``losses.SoftmaxCrossEntropy`` (gradient ``p - y``);
    this stand-alone form serves other losses (a mismatch the doctor points out).
    """

    name = "softmax"
    formula = "aₖ = eᶻᵏ / Σⱼ eᶻʲ  (row-wise; outputs sum to 1)"
    advice = ("Output layer of multi-class classification, together with cross-entropy. "
              "Outputs are class probabilities that sum to 1.")
    bounded = (0.0, 1.0)

    def forward(self, z: Array, out: Array | None = None) -> Array:
        out = np.subtract(z, z.max(axis=1, keepdims=True), out=out)
        np.exp(out, out=out)
        out /= out.sum(axis=1, keepdims=True)
        return out

    def backward(self, z: Array, a: Array, grad_out: Array) -> Array:
        dot = np.einsum("ij,ij->i", grad_out, a)[:, None]
        grad_out -= dot
        grad_out *= a
        return grad_out


ACTIVATIONS: dict[str, type[Activation]] = {
    cls.name: cls for cls in (Linear, ReLU, LeakyReLU, ELU, GELU, SiLU, Softplus, Sigmoid,
                              Tanh, Softmax)
}
ALIASES = {"identity": "linear", "swish": "silu", "logistic": "sigmoid", "none": "linear"}
HIDDEN_ONLY_EXCLUDED = frozenset({"softmax"})
"""Activations that make sense only on the output layer."""


def canonical_activation(name: str, *, allow_auto: bool = False, strict: bool = True) -> str:
    """The registered name for ``name`` (accepting aliases such as ``swish``).

    Raises ``ValueError`` naming the choices for an unknown name (unless ``strict=False``,
    which returns the name unchanged).
    """
    if allow_auto and name == "auto":
        return name
    key = ALIASES.get(name, name) if isinstance(name, str) else name
    if key in ACTIVATIONS:
        return key
    if not strict:
        return name
    choices = sorted(ACTIVATIONS) + (["auto"] if allow_auto else [])
    raise ValueError(f"unknown activation {name!r}; choose one of {choices}")


def get_activation(name: str, alpha: float | None = None) -> Activation:
    """A new activation object for a registered name or alias."""
    return ACTIVATIONS[canonical_activation(name)](alpha)
