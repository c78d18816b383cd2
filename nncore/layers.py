"""Layers: Dense, Dropout and a stand-alone Activation.

Batches are ``(n_samples, n_features)`` everywhere; a Dense layer holds ``W`` of shape
``(n_in, n_out)`` and ``b`` of shape ``(n_out,)`` and computes ``a = f(x @ W + b)``.

``forward(x, training=True)`` caches what ``backward`` needs (and reuses per-layer buffers,
so its result is only valid until the next training forward); ``forward(x, training=False)``
caches nothing and returns fresh arrays. ``backward(grad_out)`` *writes* each parameter's
gradient for the last batch (it does not accumulate: there is no ``zero_grad`` to forget)
and returns ``dL/dx`` unless the caller says the input gradient is not needed, as for the
first layer, whose input is the data. A Dense layer's ``dL/dx`` is a reused buffer too,
valid until its next ``backward``.

Speed (``docs/benchmarks.md``): at the sizes people teach with a step costs about a
microsecond per NumPy call, so the training path makes as few calls as it can. When a
Dense layer reads another Dense layer's output, the network links them (``Dense.link``):
the first writes its output into a buffer with an extra column of ones, and the second
multiplies that by ``[W; b]`` (its weight and bias are adjacent in the flat parameter
buffer), so the bias add and the bias-gradient sum ride inside the matrix products.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from nncore._types import Array
from nncore.activations import Activation, Linear
from nncore.initializers import initialize
from nncore.parameters import Parameter, stacked_view


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

    def get(self, name: str, rows: int, cols: int, dtype: type, *,
            ones_column: bool = False) -> Array:
        """A ``(rows, cols)`` array, or with ``ones_column`` a ``(rows, cols + 1)`` one whose
        last column holds ones (callers write only the first ``cols`` columns)."""
        width = cols + 1 if ones_column else cols
        array = self._arrays.get(name)
        if array is None or array.shape[0] < rows or array.shape[1] != width \
                or array.dtype != dtype:
            array = np.empty((rows, width), dtype=dtype)
            if ones_column:
                array[:, cols] = 1
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
        self.unit_mask: Array | None = None  # 0 for ablated units (outputs held at 0)
        self.weight: Parameter | None = None
        self.bias: Parameter | None = None
        self._buffers = _Buffers()
        self._x = self._z = self._a = None
        self._xa: Array | None = None       # [x, 1] when the bias rides in the products
        self._a_ones: Array | None = None   # [a, 1]: our output, when a Dense layer reads it
        self._grad_in: Array | None = None
        self._scratch_key: tuple | None = None
        self._scratch_views: tuple | None = None
        self._source: Dense | None = None   # the Dense layer whose output we read (link)
        self._feeds_dense = False
        self._ones_input = False  # copy the input next to a column of ones (narrow inputs)
        self._wb_value: Array | None = None  # [W; b] as one (n_in + 1, units) view
        self._wb_grad: Array | None = None

    def build(self, n_inputs: int, rng: np.random.Generator, dtype: type) -> int:
        self.n_inputs, self.n_outputs = int(n_inputs), self.units
        w = initialize(self.init, (self.n_inputs, self.units), rng, dtype, self.init_scale)
        self.weight = Parameter.zeros_like(f"{self.id}.weight", w)
        if self.use_bias:
            self.bias = Parameter.zeros_like(f"{self.id}.bias", np.zeros(self.units, dtype))
        return self.units

    def parameters(self) -> list[Parameter]:
        return [self.weight, self.bias] if self.use_bias else [self.weight]

    def set_ablated(self, units: tuple[int, ...] | list[int]) -> None:
        """Hold these units' outputs at 0, forward and backward (none: a normal layer)."""
        if not units:
            self.unit_mask = None
            return
        mask = np.ones(self.units, dtype=self.weight.value.dtype if self.weight is not None
                       else np.float64)
        mask[list(units)] = 0
        self.unit_mask = mask

    def pre_activation(self, x: Array, out: Array | None = None) -> Array:
        """``z = x @ W + b`` for a batch ``x``."""
        z = np.matmul(x, self.weight.value, out=out)
        if self.use_bias:
            z += self.bias.value
        return z

    def link(self, previous: Layer | None) -> None:
        """Fold the bias into the matrix products when ``previous`` is a Dense layer.

        Called by ``Network`` once the parameters are flat. ``previous`` then writes its
        output into a buffer with a column of ones, and this layer computes
        ``[x, 1] @ [W; b]`` forward and ``[x, 1].T @ g`` for both gradients at once. Any
        other input (data, a dropout's output) is copied next to a column of ones when it
        is narrow (``n_inputs <= units``): the copy costs less than the bias add and sum
        it saves. Nothing changes when the weight and bias are not adjacent in one buffer.
        """
        self._source = self._wb_value = self._wb_grad = None
        self._ones_input = False
        self._scratch_key = None
        if not self.use_bias:
            return
        value = stacked_view(self.weight.value, self.bias.value)
        grad = stacked_view(self.weight.grad, self.bias.grad)
        if value is None or grad is None:
            return
        self._wb_value, self._wb_grad = value, grad
        if isinstance(previous, Dense):
            self._source = previous
            previous._feeds_dense = True
            previous._scratch_key = None
        else:
            self._ones_input = self.n_inputs <= self.units

    def _scratch(self, n: int) -> tuple:
        """``(z, a, [a, 1], [x, 1], its x part)`` buffers for a batch of ``n`` rows (cached
        for the last ``n``); the ones buffers are None when not used."""
        key = self._scratch_key
        if key is None or key[0] != n or key[1] is not self.activation:
            key = (n, self.activation)
            dtype, units, get = self.weight.value.dtype, self.units, self._buffers.get
            z = get("z", n, units, dtype)
            if self._feeds_dense:
                a_ones = get("a_ones", n, units, dtype, ones_column=True)
                a = a_ones[:, :units]
            else:
                a_ones = None
                a = z if isinstance(self.activation, Linear) else get("a", n, units, dtype)
            x_ones = get("x_ones", n, self.n_inputs, dtype, ones_column=True) \
                if self._ones_input else None
            x_part = None if x_ones is None else x_ones[:, :self.n_inputs]
            self._scratch_views, self._scratch_key = (z, a, a_ones, x_ones, x_part), key
        return self._scratch_views

    def forward(self, x: Array, *, training: bool) -> Array:
        self._check_input(x)
        if not training:
            out = self.activation.forward(self.pre_activation(x))
            if self.unit_mask is not None:
                out *= self.unit_mask
            return out
        z, a, a_ones, x_ones, x_part = self._scratch(x.shape[0])
        source = self._source
        if source is not None and x is source._a:  # our input is [x, 1] already
            xa = source._a_ones
        elif x_ones is not None and x.dtype == z.dtype:
            x_part[...] = x
            xa = x_ones
        else:
            xa = None
        if xa is not None:
            np.dot(xa, self._wb_value, out=z)
        else:
            if x.dtype == z.dtype:
                np.dot(x, self.weight.value, out=z)  # less overhead than matmul
            else:
                np.matmul(x, self.weight.value, out=z)
            if self.use_bias:
                z += self.bias.value
        if a is not z:
            self.activation.forward(z, out=a)
        if self.unit_mask is not None:
            a *= self.unit_mask
        self._x, self._xa, self._z, self._a, self._a_ones = x, xa, z, a, a_ones
        return a

    def backward(self, grad_out: Array, *, need_input_grad: bool = True) -> Array | None:
        if self._x is None:
            raise RuntimeError(f"layer {self.id!r}: backward() before forward(training=True)")
        if self.unit_mask is not None:
            grad_out = grad_out * self.unit_mask
        if self.skip_activation_derivative:
            grad_z = grad_out
        else:
            grad_z = self.activation.backward(self._z, self._a, grad_out)
        w = self.weight
        xa = self._xa
        if xa is not None and grad_z.dtype == xa.dtype:
            np.dot(xa.T, grad_z, out=self._wb_grad)  # weight and bias gradients at once
        else:
            x = self._x
            if x.dtype == grad_z.dtype == w.grad.dtype:
                np.dot(x.T, grad_z, out=w.grad)
            else:
                np.matmul(x.T, grad_z, out=w.grad)
            if self.use_bias:
                np.add.reduce(grad_z, axis=0, out=self.bias.grad)
        if self.l2:
            w.grad += (2.0 * self.l2) * w.value
        if self.l1:
            w.grad += self.l1 * np.sign(w.value)
        if not need_input_grad:
            return None
        if grad_z.dtype != w.value.dtype:
            return grad_z @ w.value.T
        n = grad_z.shape[0]
        grad_in = self._grad_in
        if grad_in is None or grad_in.shape[0] != n:
            grad_in = self._grad_in = self._buffers.get("grad_in", n, self.n_inputs,
                                                        w.value.dtype)
        return np.dot(grad_z, w.value.T, out=grad_in)

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
