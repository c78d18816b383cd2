"""A network: an ordered list of layers, the loss it is trained with, and ``build``.

The loss lives with the layers because the two are coupled at the output: with
cross-entropy (or binary cross-entropy) the last layer outputs *logits* and the softmax (or
sigmoid) is computed inside the loss, where the gradient simplifies to ``p - y``;
``predict`` then applies that activation to give probabilities.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from nncore._types import Array, IntArray
from nncore.activations import Activation, Linear, get_activation
from nncore.bugs import apply_layer_bugs, wrap_loss
from nncore.layers import ActivationLayer, Dense, Dropout, Layer
from nncore.losses import FUSED_OUTPUTS, Loss, get_loss
from nncore.parameters import FlatParameters, Parameter, flatten
from nncore.spec import ActivationSpec, DenseSpec, DropoutSpec, NetworkSpec, Resolved

PREDICT_CHUNK = 8192
"""Rows per forward pass when predicting, to bound memory on large data sets."""


@dataclass(frozen=True)
class LayerTrace:
    """What one layer computed for a batch in evaluation mode (for diagnostics)."""

    layer_id: str
    kind: str
    activation: str | None
    pre_activation: Array | None
    output: Array


class Network:
    """Layers plus loss: forward, backward, gradients, predictions and weights I/O."""

    def __init__(self, layers: Sequence[Layer], loss: Loss, n_inputs: int, dtype: type,
                 output_activation: Activation | None = None) -> None:
        self.layers = list(layers)
        self.loss = loss
        self.n_inputs = int(n_inputs)
        self.dtype = dtype
        self.output_activation = output_activation or Linear()
        self.n_outputs = self.layers[-1].n_outputs if self.layers else self.n_inputs
        self.flat: FlatParameters = flatten(
            [p for layer in self.layers for p in layer.parameters()], dtype)
        previous = None
        for layer in self.layers:  # let consecutive Dense layers carry biases in products
            if isinstance(layer, Dense):
                layer.link(previous)
            previous = layer

    # -- structure --------------------------------------------------------------------

    def parameters(self) -> list[Parameter]:
        """Every trainable parameter, in layer order (views into ``self.flat``)."""
        return list(self.flat.params)

    def layer(self, layer_id: str) -> Layer:
        """The layer with this stable id."""
        for layer in self.layers:
            if layer.id == layer_id:
                return layer
        raise KeyError(f"no layer with id {layer_id!r}")

    def dense_layers(self) -> Iterator[Dense]:
        """The Dense layers, in order."""
        return (layer for layer in self.layers if isinstance(layer, Dense))

    @property
    def n_parameters(self) -> int:
        """Number of trainable scalars."""
        return int(self.flat.values.size)

    # -- computation --------------------------------------------------------------------

    def forward(self, x: Array, *, training: bool = False) -> Array:
        """Raw network output (logits when the loss is fused) for a batch ``x``."""
        for layer in self.layers:
            x = layer.forward(x, training=training)
        return x

    def backward(self, grad_out: Array, *, need_input_grad: bool = False) -> Array | None:
        """Back-propagate ``dL/d(output)``; sets every parameter gradient."""
        grad = grad_out
        last = len(self.layers) - 1
        for i in range(last, -1, -1):
            grad = self.layers[i].backward(grad, need_input_grad=need_input_grad or i > 0)
        return grad

    def penalty(self) -> float:
        """Sum of the layers' L1/L2 terms, part of the training objective."""
        return sum(layer.penalty() for layer in self.layers)

    def compute_gradients(self, x: Array, y: Array) -> tuple[float, Array]:
        """One forward and backward pass on a batch; sets gradients.

        Returns the objective (mean loss + penalty) and the raw outputs (a buffer valid
        until the next training forward).
        """
        output = self.forward(x, training=True)
        value, grad = self.loss.value_and_gradient(y, output)
        self.backward(grad)
        return value + self.penalty(), output

    def objective(self, x: Array, y: Array, *, training: bool = False) -> float:
        """Mean loss plus penalty on a batch, without gradients."""
        return self.loss.value(y, self.forward(x, training=training)) + self.penalty()

    def predict(self, x: Array) -> Array:
        """Outputs as the user reads them (probabilities for classification), evaluation
        mode, computed in chunks of ``PREDICT_CHUNK`` rows."""
        x = np.asarray(x, dtype=self.dtype)
        if x.shape[0] <= PREDICT_CHUNK:
            return self.output_activation.forward(self.forward(x))
        parts = [self.output_activation.forward(self.forward(x[i:i + PREDICT_CHUNK]))
                 for i in range(0, x.shape[0], PREDICT_CHUNK)]
        return np.concatenate(parts)

    def evaluate_loss(self, x: Array, y: Array) -> float:
        """Mean data loss (no penalty) over a whole set, in chunks, evaluation mode."""
        total = 0.0
        for i in range(0, x.shape[0], PREDICT_CHUNK):
            xb, yb = x[i:i + PREDICT_CHUNK], y[i:i + PREDICT_CHUNK]
            total += self.loss.value(yb, self.forward(xb)) * xb.shape[0]
        return total / max(x.shape[0], 1)

    def loss_and_predictions(self, x: Array, y: Array) -> tuple[float, Array]:
        """``evaluate_loss(x, y)`` and ``predict(x)`` from one forward pass per chunk."""
        x = np.asarray(x, dtype=self.dtype)
        total, parts = 0.0, []
        for i in range(0, x.shape[0], PREDICT_CHUNK):
            xb, yb = x[i:i + PREDICT_CHUNK], y[i:i + PREDICT_CHUNK]
            raw = self.forward(xb)
            total += self.loss.value(yb, raw) * xb.shape[0]
            parts.append(self.output_activation.forward(raw))
        if len(parts) != 1:
            parts = [np.concatenate(parts)] if parts else [self.predict(x)]
        return total / max(x.shape[0], 1), parts[0]

    def trace(self, x: Array) -> list[LayerTrace]:
        """Every layer's pre-activation and output for ``x`` (evaluation mode)."""
        traces = []
        for layer in self.layers:
            if isinstance(layer, Dense):
                z = layer.pre_activation(x)
                out = layer.activation.forward(z.copy())
                if layer.unit_mask is not None:
                    out *= layer.unit_mask
                traces.append(LayerTrace(layer.id, "dense", layer.activation.name, z, out))
            elif isinstance(layer, ActivationLayer):
                out = layer.activation.forward(x.copy())
                traces.append(LayerTrace(layer.id, "activation", layer.activation.name, x, out))
            else:
                out = layer.forward(x, training=False)
                traces.append(LayerTrace(layer.id, layer.kind, None, None, out))
            x = out
        return traces

    # -- weights I/O --------------------------------------------------------------------

    def get_weights(self) -> dict[str, Array]:
        """A copy of every parameter, keyed by its stable name."""
        return {p.name: p.value.copy() for p in self.flat.params}

    def set_weights(self, weights: dict[str, Array]) -> None:
        """Load weights by name; raises ``ValueError`` naming any missing or misshapen one."""
        expected = {p.name: p for p in self.flat.params}
        missing = sorted(set(expected) - set(weights))
        if missing:
            raise ValueError(f"weights for {missing[0]!r} are missing "
                             f"({len(missing)} parameters in all)")
        values = {}
        for name, p in expected.items():  # check everything first: a bad file changes nothing
            value = np.asarray(weights[name])
            if value.shape != p.value.shape:
                raise ValueError(f"weights {name!r} have shape {value.shape}, the network "
                                 f"needs {p.value.shape}")
            with np.errstate(over="ignore", invalid="ignore"):
                # checked in the network's dtype: 1e308 is finite in float64, inf in float32
                values[name] = value.astype(p.value.dtype, copy=False)
            if not np.all(np.isfinite(values[name])):
                raise ValueError(f"weights {name!r} contain NaN or infinite values (or values "
                                 f"too large for {p.value.dtype.name})")
        for name, p in expected.items():
            p.value[...] = values[name]

    def __repr__(self) -> str:
        inner = ",\n  ".join(repr(layer) for layer in self.layers)
        return (f"Network(n_inputs={self.n_inputs}, loss={self.loss!r}, "
                f"parameters={self.n_parameters}, layers=[\n  {inner}])")


# --------------------------------------------------------------------------- building


def _make_layer(spec, output_activation: str | None, loss_fused: bool) -> Layer:
    if isinstance(spec, DenseSpec):
        name = output_activation if output_activation is not None else spec.activation
        activation = Linear() if loss_fused else get_activation(name, spec.activation_alpha)
        return Dense(spec.id, 0 if spec.units is None else spec.units, activation,
                     init=spec.init, init_scale=spec.init_scale, bias=spec.bias,
                     l1=spec.l1, l2=spec.l2)
    if isinstance(spec, DropoutSpec):
        return Dropout(spec.id, spec.rate)
    if isinstance(spec, ActivationSpec):
        return ActivationLayer(spec.id, get_activation(spec.activation, spec.activation_alpha))
    raise TypeError(f"unknown layer spec {spec!r}")


def build(spec: NetworkSpec, *, n_inputs: int, resolved: Resolved, rng: np.random.Generator,
          dtype: type = np.float32, huber_delta: float = 1.0,
          bugs: Sequence[str] = ()) -> Network:
    """Turn a (valid) spec into a network with freshly initialised weights.

    ``resolved`` gives the concrete output activation, loss and output width
    (``spec.resolve_output``). Initialisation and dropout masks draw from independent
    streams spawned from ``rng``, so adding a dropout layer does not change the weights.
    """
    init_rng, dropout_rng = rng.spawn(2)
    loss = get_loss(resolved.loss, huber_delta=huber_delta)
    fused = loss.fused_activation is not None and loss.fused_activation == \
        resolved.output_activation
    layers: list[Layer] = []
    width = n_inputs
    last = len(spec.layers) - 1
    for i, layer_spec in enumerate(spec.layers):
        is_output = i == last
        layer = _make_layer(layer_spec, resolved.output_activation if is_output else None,
                            fused and is_output)
        if is_output and isinstance(layer, Dense):
            layer.units = resolved.n_outputs
        layer_rng = dropout_rng.spawn(1)[0] if isinstance(layer, Dropout) else init_rng
        width = layer.build(width, layer_rng, dtype)
        if isinstance(layer_spec, DenseSpec) and layer_spec.ablated and not is_output:
            layer.set_ablated(layer_spec.ablated)
        layers.append(layer)
    output_activation = FUSED_OUTPUTS[resolved.output_activation]() if fused else None
    apply_layer_bugs(layers, bugs)
    return Network(layers, wrap_loss(loss, bugs), n_inputs, dtype, output_activation)


# --------------------------------------------------------------------------- targets


def encode_targets(y: Array | IntArray, task: str, n_outputs: int, dtype: type) -> Array:
    """Targets in the shape the loss compares with the output: ``(n_samples, n_outputs)``.

    Classification labels (integers ``0..K-1``) become one-hot rows; with a single output
    unit (binary sigmoid or MSE) they become a 0/1 column. Regression targets are reshaped
    to 2-D. Done once per data set, never per step.
    """
    y = np.asarray(y)
    if task == "regression":
        # Explicit width, not -1: numpy cannot infer -1 for an empty split (0 rows).
        y2 = y.reshape(len(y), math.prod(y.shape[1:])).astype(dtype, copy=False)
        if y2.shape[1] != n_outputs:
            raise ValueError(f"the data has {y2.shape[1]} target column(s) but the network "
                             f"has {n_outputs} output(s)")
        return y2
    labels = y.reshape(-1).astype(np.int64, copy=False)
    if n_outputs == 1:
        if labels.size and (labels.min() < 0 or labels.max() > 1):
            raise ValueError("a single output unit needs 0/1 labels; this data has "
                             f"{int(labels.max()) + 1} classes: use one output per class")
        return labels.astype(dtype)[:, None]
    if labels.size and (labels.min() < 0 or labels.max() >= n_outputs):
        raise ValueError(f"labels go up to {int(labels.max())} but the network has only "
                         f"{n_outputs} outputs")
    onehot = np.zeros((labels.size, n_outputs), dtype=dtype)
    onehot[np.arange(labels.size), labels] = 1
    return onehot


def predicted_labels(outputs: Array) -> IntArray:
    """Class decisions from outputs: argmax, or ``> 0.5`` for a single probability column."""
    if outputs.shape[1] == 1:
        return (outputs[:, 0] > 0.5).astype(np.int64)
    return outputs.argmax(axis=1)
