"""Layers: Dense, Dropout and a stand-alone Activation.

Batches are ``(n_samples, n_features)`` everywhere; a Dense layer holds ``W`` of shape
``(n_in, n_out)`` and ``b`` of shape ``(n_out,)`` and computes ``a = f(x @ W + b)``.

``forward(x, training=True)`` caches what ``backward`` needs (and reuses per-layer buffers,
so its result is only valid until the next training forward); ``forward(x, training=False)``
caches nothing and returns fresh arrays. ``backward(grad_out)`` *writes* each parameter's
gradient for the last batch (it does not accumulate: there is no ``zero_grad`` to forget)
and returns ``dL/dx`` unless the caller says the input gradient is not needed, as for the
first layer, whose input is the data.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from nncore._types import Array
from nncore.activations import Activation, Linear
from nncore.initializers import initialize
from nncore.parameters import Parameter


class Layer(ABC):
    """One step of the network; subclasses implement ``build``, ``forward``, ``backward``."""

    kind: str = "layer"

    def __init__(self, layer_id: str) -> None:
        self.id = layer_id
        self.n_inputs = 0
        self.n_outputs = 0

    @abstractmethod
    def build(self, n_inputs: int, rng: np.random.Generator, dtype: type) -> int:
        """Create parameters for ``n_inputs`` input features; return the output width."""

    @abstractmethod
    def forward(self, x: Array, *, training: bool) -> Array:
        """Map ``x`` of shape ``(n_samples, n_inputs)`` to ``(n_samples, n_outputs)``."""

    @abstractmethod
    def backward(self, grad_out: Array, *, need_input_grad: bool = True) -> Array | None:
        """Set parameter gradients from ``dL/d(output)``; return ``dL/dx`` if asked."""

    def parameters(self) -> list[Parameter]:
        """This layer's trainable parameters (none by default)."""
        return []

    def penalty(self) -> float:
        """The regularisation term this layer adds to the loss (0 by default)."""
        return 0.0

    def _check_input(self, x: Array) -> None:
        if x.ndim != 2 or x.shape[1] != self.n_inputs:
            raise ValueError(f"layer {self.id!r} expects input of shape (n_samples, "
                             f"{self.n_inputs}), got {x.shape}")


class _Buffers:
    """Per-layer scratch arrays reused across training steps (grown, never shrunk)."""

    def __init__(self) -> None:
        self._arrays: dict[str, Array] = {}

    def get(self, name: str, rows: int, cols: int, dtype: type) -> Array:
        array = self._arrays.get(name)
        if array is None or array.shape[0] < rows or array.shape[1] != cols \
                or array.dtype != dtype:
            array = np.empty((rows, cols), dtype=dtype)
            self._arrays[name] = array
        return array[:rows]


class Dense(Layer):
    """Fully connected layer ``a = f(x @ W + b)`` with optional L1/L2 penalties.

    The penalty ``l1 * sum|W| + l2 * sum W^2`` (biases are not penalised, as in Keras) is
    added to the loss, and its gradient ``l1 * sign(W) + 2 * l2 * W`` to ``W``'s gradient.
    """

    kind = "dense"

    def __init__(self, layer_id: str, units: int, activation: Activation | None = None, *,
                 init: str = "glorot_uniform", init_scale: float | None = None,
                 bias: bool = True, l1: float = 0.0, l2: float = 0.0) -> None:
        super().__init__(layer_id)
        self.units = int(units)
        self.activation = activation or Linear()
        self.init, self.init_scale = init, init_scale
        self.use_bias = bias
        self.l1, self.l2 = float(l1), float(l2)
        self.skip_activation_derivative = False  # set only by the "chain-rule" lesson bug
        self.weight: Parameter | None = None
        self.bias: Parameter | None = None
        self._buffers = _Buffers()
        self._x = self._z = self._a = None

    def build(self, n_inputs: int, rng: np.random.Generator, dtype: type) -> int:
        self.n_inputs, self.n_outputs = int(n_inputs), self.units
        w = initialize(self.init, (self.n_inputs, self.units), rng, dtype, self.init_scale)
        self.weight = Parameter.zeros_like(f"{self.id}.weight", w)
        if self.use_bias:
            self.bias = Parameter.zeros_like(f"{self.id}.bias", np.zeros(self.units, dtype))
        return self.units

    def parameters(self) -> list[Parameter]:
        return [self.weight, self.bias] if self.use_bias else [self.weight]

    def pre_activation(self, x: Array, out: Array | None = None) -> Array:
        """``z = x @ W + b`` for a batch ``x``."""
        z = np.matmul(x, self.weight.value, out=out)
        if self.use_bias:
            z += self.bias.value
        return z

    def forward(self, x: Array, *, training: bool) -> Array:
        self._check_input(x)
        if not training:
            return self.activation.forward(self.pre_activation(x))
        n, dtype = x.shape[0], self.weight.value.dtype
        z = self.pre_activation(x, out=self._buffers.get("z", n, self.units, dtype))
        if isinstance(self.activation, Linear):
            a = z
        else:
            a = self.activation.forward(z, out=self._buffers.get("a", n, self.units, dtype))
        self._x, self._z, self._a = x, z, a
        return a

    def backward(self, grad_out: Array, *, need_input_grad: bool = True) -> Array | None:
        if self._x is None:
            raise RuntimeError(f"layer {self.id!r}: backward() before forward(training=True)")
        if self.skip_activation_derivative:
            grad_z = grad_out
        else:
            grad_z = self.activation.backward(self._z, self._a, grad_out)
        w = self.weight
        np.matmul(self._x.T, grad_z, out=w.grad)
        if self.l2:
            w.grad += (2.0 * self.l2) * w.value
        if self.l1:
            w.grad += self.l1 * np.sign(w.value)
        if self.use_bias:
            np.add.reduce(grad_z, axis=0, out=self.bias.grad)
        return grad_z @ w.value.T if need_input_grad else None

    def penalty(self) -> float:
        w = self.weight.value
        total = 0.0
        if self.l2:
            total += self.l2 * float(np.vdot(w, w))
        if self.l1:
            total += self.l1 * float(np.abs(w).sum())
        return total

    def __repr__(self) -> str:
        extras = "".join(f", {k}={v}" for k, v in (("l1", self.l1), ("l2", self.l2)) if v)
        return (f"Dense({self.id!r}, units={self.units}, activation={self.activation.name}, "
                f"init={self.init}{'' if self.use_bias else ', bias=False'}{extras})")


class Dropout(Layer):
    """Inverted dropout: while training, zero each input with probability ``rate`` and
    scale the survivors by ``1 / (1 - rate)``, so evaluation needs no rescaling (identity).
    """

    kind = "dropout"

    def __init__(self, layer_id: str, rate: float) -> None:
        super().__init__(layer_id)
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"dropout rate must be in [0, 1), got {rate!r}")
        self.rate = float(rate)
        self.rng = np.random.default_rng(0)
        self.frozen = False  # reuse the last mask (gradient checks need a fixed mask)
        self._mask: Array | None = None

    def build(self, n_inputs: int, rng: np.random.Generator, dtype: type) -> int:
        self.n_inputs = self.n_outputs = int(n_inputs)
        self.rng = rng
        return self.n_outputs

    def forward(self, x: Array, *, training: bool) -> Array:
        self._check_input(x)
        if not training or self.rate == 0.0:
            self._mask = None
            return x
        if not (self.frozen and self._mask is not None and self._mask.shape == x.shape):
            keep = self.rng.random(x.shape, dtype=np.float32) >= self.rate
            self._mask = keep.astype(x.dtype) * (1.0 / (1.0 - self.rate))
        return x * self._mask

    def backward(self, grad_out: Array, *, need_input_grad: bool = True) -> Array | None:
        if not need_input_grad:
            return None
        if self._mask is None:
            return grad_out
        return np.multiply(grad_out, self._mask, out=grad_out)

    def __repr__(self) -> str:
        return f"Dropout({self.id!r}, rate={self.rate})"


class ActivationLayer(Layer):
    """A stand-alone activation ``a = f(x)``, applied element-wise (softmax row-wise)."""

    kind = "activation"

    def __init__(self, layer_id: str, activation: Activation) -> None:
        super().__init__(layer_id)
        self.activation = activation
        self._z = self._a = None

    def build(self, n_inputs: int, rng: np.random.Generator, dtype: type) -> int:
        self.n_inputs = self.n_outputs = int(n_inputs)
        return self.n_outputs

    def forward(self, x: Array, *, training: bool) -> Array:
        self._check_input(x)
        a = self.activation.forward(x)
        if training:
            self._z, self._a = x, a
        return a

    def backward(self, grad_out: Array, *, need_input_grad: bool = True) -> Array | None:
        if not need_input_grad:
            return None
        return self.activation.backward(self._z, self._a, grad_out)

    def __repr__(self) -> str:
        return f"ActivationLayer({self.id!r}, {self.activation!r})"
