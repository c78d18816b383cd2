"""Classic beginner bugs, reproduced on purpose for lessons.

Everything else in ``nncore`` is exactly right; this module lets a lesson switch on one of
the mistakes people make when they write backprop from scratch, so a student can watch its
symptom (a loss that will not fall, outputs collapsing to 1/K, a diverging optimizer) and
then find it with the gradient check or the doctor. A spec lists bugs by code in
``TrainingSpec.bugs``; nothing is ever injected otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nncore.activations import Activation
from nncore.losses import Loss


@dataclass(frozen=True)
class Bug:
    """A deliberate mistake: what the buggy code does and what the correct code does."""

    code: str
    title: str
    wrong: str
    right: str
    caught_by: str


BUGS: dict[str, Bug] = {b.code: b for b in (
    Bug("ce-labels-not-one-hot", "Cross-entropy gradient with integer labels",
        "grad = (p - label) / n, subtracting the class index from every column",
        "grad = (p - onehot(label)) / n",
        "gradient check; outputs collapse to 1/K for every input"),
    Bug("softmax-derivative-twice", "Softmax derivative applied on top of the fused gradient",
        "grad = (p - y) * p * (1 - p) / n", "grad = (p - y) / n",
        "gradient check; learning is slow"),
    Bug("chain-rule-one-layer", "Chain rule applied to the output layer only",
        "hidden layers use dL/da as if it were dL/dz (activation derivative left out)",
        "dL/dz = f'(z) * dL/da in every layer", "gradient check on hidden layers"),
    Bug("derivative-of-output", "Activation derivative taken at the output",
        "f'(a) with a = f(z), e.g. 1 - tanh(tanh(z))^2", "f'(z), e.g. 1 - tanh(z)^2",
        "gradient check"),
    Bug("rmsprop-accumulates-lr", "RMSprop that accumulates the learning rate",
        "lr = lr / (sqrt(v) + eps) is stored back each step, so the rate compounds",
        "step = lr * g / (sqrt(v) + eps), lr itself unchanged",
        "the loss climbs or goes NaN (learning-rate-too-high)"),
)}


class _LabelsNotOneHot(Loss):
    """Softmax cross-entropy whose gradient subtracts the class *index* (the bug)."""

    name = "cross_entropy"
    formula = "∂L/∂z = (p − label)/n   ← wrong"
    advice = "Deliberately wrong (lesson)."
    fused_activation = "softmax"

    def __init__(self, inner: Loss) -> None:
        self.inner = inner

    def value_and_gradient(self, y_true, y_pred, *, need_gradient=True):
        value, grad = self.inner.value_and_gradient(y_true, y_pred, need_gradient=need_gradient)
        if grad is None:
            return value, None
        n = y_pred.shape[0]
        p = grad * n + y_true  # undo the correct gradient to recover p
        label = y_true.argmax(axis=1)[:, None].astype(p.dtype)
        return value, (p - label) / n


class _SoftmaxDerivativeTwice(_LabelsNotOneHot):
    """Multiplies the fused gradient by the softmax's diagonal derivative again (the bug)."""

    formula = "∂L/∂z = (p − y)·p(1 − p)/n   ← wrong"

    def value_and_gradient(self, y_true, y_pred, *, need_gradient=True):
        value, grad = self.inner.value_and_gradient(y_true, y_pred, need_gradient=need_gradient)
        if grad is None:
            return value, None
        n = y_pred.shape[0]
        p = grad * n + y_true
        return value, grad * p * (1 - p)


class _DerivativeAtOutput(Activation):
    """Wraps an activation so its derivative is evaluated at ``a`` instead of ``z``."""

    def __init__(self, inner: Activation) -> None:
        super().__init__(inner.alpha)
        self.inner = inner
        self.name = inner.name
        self.formula, self.advice, self.bounded = inner.formula, inner.advice, inner.bounded

    def forward(self, z, out=None):
        return self.inner.forward(z, out=out)

    def backward(self, z, a, grad_out):
        return self.inner.backward(a, self.inner.forward(a.copy()), grad_out)


def wrap_loss(loss: Loss, bugs: Sequence[str]) -> Loss:
    """The loss, or its deliberately wrong twin if a loss bug is switched on."""
    if loss.fused_activation == "softmax":
        if "ce-labels-not-one-hot" in bugs:
            return _LabelsNotOneHot(loss)
        if "softmax-derivative-twice" in bugs:
            return _SoftmaxDerivativeTwice(loss)
    return loss


def apply_layer_bugs(layers: Sequence, bugs: Sequence[str]) -> None:
    """Switch on layer bugs in place (only the hidden Dense layers are affected)."""
    from nncore.layers import Dense  # local: layers imports activations only

    dense = [layer for layer in layers if isinstance(layer, Dense)]
    for layer in dense[:-1]:
        if "chain-rule-one-layer" in bugs:
            layer.skip_activation_derivative = True
        if "derivative-of-output" in bugs:
            layer.activation = _DerivativeAtOutput(layer.activation)


def buggy_rmsprop_step(value: np.ndarray, grad: np.ndarray, state: dict, lr: float,
                       alpha: float, eps: float) -> None:
    """The 'RMSprop that accumulates the learning rate' bug, as a beginner writes it."""
    v = state["square_avg"]
    v *= alpha
    v += (1 - alpha) * grad * grad
    rate = state.setdefault("buggy_lr", np.full_like(value, lr))
    rate /= np.sqrt(v) + eps  # the bug: the per-weight rate is overwritten and compounds
    value -= rate * grad
