"""One training step of backprop, number by number (the step inspector and ``nncore explain``).

``explain_step(session, rows, weight)`` takes the session's current weights and optimizer
state, copies them into a float64 twin of the network and walks one step on the chosen
training rows the way a student would by hand:

- **forward**, layer by layer: ``x``, ``z = x·W + b``, ``a = f(z)``, and the loss with the
  values that go into it;
- **backward**, from the loss to the first layer: ``∂L/∂a``, ``f′(z)``,
  ``δ = ∂L/∂a ⊙ f′(z)``, ``∂L/∂W = xᵀ·δ``, ``∂L/∂b = Σᵢ δᵢ``, ``∂L/∂x = δ·Wᵀ``; where the
  output activation is fused into the loss (softmax + cross-entropy, sigmoid + binary
  cross-entropy) ``δ = (p − y)/N`` directly, and the record says why;
- **one weight in focus**: its gradient as a sum over the batch rows of products of named
  chain factors, the central finite difference ``(L(w+ε) − L(w−ε)) / 2ε`` and their
  relative error;
- **the update** of that weight by the session's optimizer with every intermediate of the
  rule (PyTorch's rules, as ``nncore.optimizers`` implements them) and the new value;
- **bug mode**: with classic bugs switched on (``nncore.bugs``) the same step is also
  computed correctly, and the first number that differs is named.

Everything is computed here, with the engine's own activation, loss and bug objects, so the
GUI only displays it. The result is plain data (NumPy arrays in frozen dataclasses), and
``to_dict()`` turns it into the JSON ``nncore explain`` writes (``docs/cli.md``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from nncore._types import Array
from nncore.activations import Linear, Softmax
from nncore.bugs import BUGS
from nncore.layers import ActivationLayer, Dense, Dropout
from nncore.losses import FUSED_OUTPUTS
from nncore.network import Network, build

if TYPE_CHECKING:
    from nncore.session import Session

MAX_ROWS = 8
"""Largest batch the inspector explains: every number must stay readable."""
EPSILON = 1e-6
"""Step of the central finite difference (float64: error about 1e-10 relative)."""
DIFFERENCE_TOLERANCE = 1e-12
"""Relative difference above which bug mode calls a number wrong (float64 round-off is
about 1e-16, a real bug at least 1e-6)."""

FUSED_NOTES = {
    "softmax": ("softmax + cross-entropy are fused: ∂L/∂z = (p − y)/n. The softmax Jacobian "
                "∂p/∂z = diag(p) − p pᵀ times ∂L/∂p = −y/(n·p) collapses to this, so ∂L/∂a "
                "and f′(z) are never formed (forming them and multiplying again is the "
                "'softmax derivative applied twice' bug)."),
    "sigmoid": ("sigmoid + binary cross-entropy are fused: ∂L/∂z = (p − y)/N. "
                "∂L/∂p = (p − y)/(N·p(1 − p)) times f′(z) = p(1 − p) cancels to this, and "
                "computing it from the logits avoids ln 0."),
}


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class WeightRef:
    """A weight ``W[row, col]`` of a Dense layer: from input unit ``row`` to unit ``col``."""

    layer: str
    row: int
    col: int

    @classmethod
    def parse(cls, text: str) -> WeightRef:
        """``"LAYER:ROW:COL"`` (``ValueError`` with a clear message otherwise)."""
        parts = text.rsplit(":", 2)
        if len(parts) != 3:
            raise ValueError(f"a weight is LAYER:ROW:COL, e.g. dense-1:0:3; got {text!r}")
        try:
            return cls(parts[0], int(parts[1]), int(parts[2]))
        except ValueError:
            raise ValueError(f"the row and column of a weight are whole numbers, e.g. "
                             f"dense-1:0:3; got {text!r}") from None


@dataclass(frozen=True)
class LayerStep:
    """Everything one layer computed, forward and backward, for the batch."""

    id: str
    kind: str                      # dense, activation or dropout
    activation: str | None
    x: Array
    z: Array | None
    a: Array
    W: Array | None = None
    b: Array | None = None
    grad_a: Array | None = None    # ∂L/∂a (None where fused)
    fprime: Array | None = None    # f′(z) (None where fused or not element-wise)
    delta: Array | None = None     # δ = ∂L/∂z
    grad_W: Array | None = None    # xᵀ·δ (+ the L1/L2 penalty's gradient)  # noqa: N815
    grad_b: Array | None = None
    grad_x: Array | None = None    # δ·Wᵀ, passed to the layer before
    forward_formula: str = ""
    backward_formula: str = ""
    note: str = ""


@dataclass(frozen=True)
class LossStep:
    """The loss, its formula and the values it compares."""

    name: str
    formula: str
    value: float                   # data loss + penalty: the objective the gradient is of
    data_loss: float
    penalty: float
    output: Array                  # what the loss reads: logits when fused, else a
    prediction: Array              # what the user reads: p when fused, else a
    target: Array
    grad_output: Array             # ∂L/∂(output)
    fused: str | None              # "softmax", "sigmoid" or None
    note: str = ""


@dataclass(frozen=True)
class Factor:
    """One named factor of a chain-rule product."""

    name: str
    symbol: str
    value: float
    meaning: str = ""


@dataclass(frozen=True)
class ChainTerm:
    """One row's contribution to a weight's gradient: the product of its factors (or the
    penalty's gradient, a single factor)."""

    row: int | None
    factors: tuple[Factor, ...]
    product: float


@dataclass(frozen=True)
class UpstreamTerm:
    """``W_next[c, k] · δ_next[k]``: how unit ``c``'s output reaches the loss through unit
    ``k`` of the next layer."""

    unit: int
    weight: float
    delta: float
    product: float


@dataclass(frozen=True)
class WeightFocus:
    """One weight: its gradient as a chain, checked by a finite difference."""

    layer: str
    row: int
    col: int
    value: float
    grad: float
    formula: str
    chain: tuple[ChainTerm, ...]
    upstream_layer: str | None      # the layer whose δ flows back into unit ``col``
    upstream: tuple[tuple[UpstreamTerm, ...], ...]  # per batch row
    finite_difference: float
    epsilon: float
    relative_error: float
    source: str                     # "input" or the id of the layer feeding ``row``
    downstream: tuple[str, ...]     # layers between this weight and the loss

    @property
    def chain_sum(self) -> float:
        """The sum of the chain's terms (equals ``grad``)."""
        return float(sum(term.product for term in self.chain))


@dataclass(frozen=True)
class UpdateTerm:
    """A named intermediate of an optimizer's update rule."""

    name: str
    symbol: str
    formula: str
    value: float


@dataclass(frozen=True)
class UpdateStep:
    """How the optimizer turns the focused weight's gradient into its new value."""

    rule: str
    formula: str
    step: int                      # t, counted from 1
    lr: float
    terms: tuple[UpdateTerm, ...]
    value_before: float
    value_after: float


@dataclass(frozen=True)
class Difference:
    """A number the bug changes: where it is and by how much."""

    stage: str                     # forward, loss, backward, weight, update
    layer: str | None
    quantity: str
    max_abs_difference: float
    correct: Array
    buggy: Array


@dataclass(frozen=True)
class BugComparison:
    """The buggy step beside the correct one."""

    bugs: tuple[str, ...]
    descriptions: tuple[dict[str, str], ...]
    differences: tuple[Difference, ...]
    correct: StepExplanation

    @property
    def first(self) -> Difference | None:
        """The first number (in the order of computation) that goes wrong."""
        return self.differences[0] if self.differences else None


@dataclass(frozen=True)
class StepExplanation:
    """One training step on a small batch, every number of it (float64)."""

    rows: tuple[int, ...]
    input: Array
    target: Array
    weights_before: dict[str, dict[str, Array]]
    layers: tuple[LayerStep, ...]
    loss: LossStep
    weight: WeightFocus | None
    update: UpdateStep | None
    bugs: tuple[str, ...] = ()
    ablated: dict[str, tuple[int, ...]] = field(default_factory=dict)
    bug: BugComparison | None = None

    def layer(self, layer_id: str) -> LayerStep:
        """The record of the layer with this id."""
        for record in self.layers:
            if record.id == layer_id:
                return record
        raise KeyError(f"no layer with id {layer_id!r}")

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of ``nncore explain`` (lists of floats, no NaN)."""
        return _jsonable({
            "rows": list(self.rows), "input": self.input, "target": self.target,
            "weights_before": self.weights_before,
            "loss": _loss_dict(self.loss),
            "layers": [_layer_dict(layer) for layer in self.layers],
            "weight": None if self.weight is None else _weight_dict(self.weight),
            "update": None if self.update is None else _update_dict(self.update),
            "bugs": list(self.bugs),
            "bug": None if self.bug is None else _bug_dict(self.bug),
        })


# --------------------------------------------------------------------------- the step


def explain_step(session: Session, rows: Sequence[int] | None = None,
                 weight: WeightRef | None = None, *, bugs: Sequence[str] | None = None,
                 epsilon: float = EPSILON) -> StepExplanation:
    """Explain the next training step of ``session`` on training ``rows`` (default: row 0).

    ``weight`` picks the weight in focus (default: the first weight of the output layer).
    ``bugs`` overrides the session's deliberate bugs; with any bug switched on, the step is
    also computed correctly and compared (``StepExplanation.bug``). The session itself is
    not changed.
    """
    x, t, rows = _batch(session, rows)
    bugs = tuple(session.training_spec.bugs if bugs is None else bugs)
    unknown = [b for b in bugs if b not in BUGS]
    if unknown:
        raise ValueError(f"unknown bug {unknown[0]!r}; known: {sorted(BUGS)}")
    weight = weight or _default_weight(session.network)
    main = _explain(session, x, t, rows, weight, bugs, epsilon)
    if not bugs:
        return main
    correct = _explain(session, x, t, rows, weight, (), epsilon)
    comparison = BugComparison(bugs, tuple(_bug_text(b) for b in bugs),
                               tuple(_differences(correct, main)), correct)
    return _replace(main, bug=comparison)


def _replace(explanation: StepExplanation, **changes: Any) -> StepExplanation:
    import dataclasses

    return dataclasses.replace(explanation, **changes)


def _batch(session: Session, rows: Sequence[int] | None) -> tuple[Array, Array, tuple]:
    data = session.data
    n = data.x_train.shape[0]
    rows = tuple(int(r) for r in (rows if rows else (0,)))
    if len(rows) > MAX_ROWS:
        raise ValueError(f"explain at most {MAX_ROWS} rows at once (got {len(rows)}): every "
                         "number has to stay readable")
    bad = [r for r in rows if not 0 <= r < n]
    if bad:
        raise ValueError(f"row {bad[0]} is not in the training set (rows 0 to {n - 1})")
    index = np.asarray(rows)
    return (np.asarray(data.x_train[index], dtype=np.float64),
            np.asarray(data.t_train[index], dtype=np.float64), rows)


def _default_weight(network: Network) -> WeightRef:
    dense = list(network.dense_layers())
    return WeightRef(dense[-1].id, 0, 0)


def _twin(session: Session, bugs: tuple[str, ...]) -> Network:
    """A float64 copy of the session's network, with ``bugs`` switched on."""
    seed = np.random.SeedSequence(session.training_spec.seed)
    init_seq, _ = seed.spawn(2)
    twin = build(session.network_spec, n_inputs=session.splits.n_inputs,
                 resolved=session.resolved, rng=np.random.default_rng(init_seq),
                 dtype=np.float64, huber_delta=session.training_spec.huber_delta, bugs=bugs)
    twin.set_weights({k: v.astype(np.float64) for k, v in
                      session.network.get_weights().items()})
    return twin


def _explain(session: Session, x: Array, t: Array, rows: tuple, weight: WeightRef,
             bugs: tuple[str, ...], epsilon: float) -> StepExplanation:
    net = _twin(session, bugs)
    _freeze_dropout(net, x)
    fused = _fused_name(session, net)
    layers = _forward(net, x, fused)
    loss = _loss(net, layers[-1], t, fused)
    layers = _backward(net, layers, loss, fused)
    focus = _weight_focus(net, layers, loss, weight, x, t, epsilon)
    update = explain_update(session, net, layers, focus, bugs)
    weights = {layer.id: {"W": layer.W, "b": layer.b if layer.b is not None else
                          np.zeros(layer.W.shape[1])} for layer in layers if layer.W is not None}
    ablated = {layer.id: tuple(int(i) for i in np.flatnonzero(layer.unit_mask == 0))
               for layer in net.dense_layers() if layer.unit_mask is not None}
    return StepExplanation(rows, x, t, weights, tuple(layers), loss, focus, update, bugs,
                           ablated)


def _fused_name(session: Session, net: Network) -> str | None:
    output = session.resolved.output_activation
    fused = output in FUSED_OUTPUTS and isinstance(net.output_activation, FUSED_OUTPUTS[output])
    return output if fused else None


def _freeze_dropout(net: Network, x: Array) -> None:
    """Draw the dropout masks once (as a training step does) and keep them for the finite
    differences."""
    for layer in net.layers:
        if isinstance(layer, Dropout):
            layer.frozen = False
    net.forward(x, training=True)
    for layer in net.layers:
        if isinstance(layer, Dropout):
            layer.frozen = True


# --------------------------------------------------------------------------- forward


def _forward(net: Network, x: Array, fused: str | None) -> list[LayerStep]:
    records = []
    last = len(net.layers) - 1
    for i, layer in enumerate(net.layers):
        record = _forward_layer(layer, x, fused if i == last else None)
        records.append(record)
        x = record.a if not (i == last and fused) else record.z
    return records


def _forward_layer(layer, x: Array, fused: str | None) -> LayerStep:
    if isinstance(layer, Dense):
        W = layer.weight.value.copy()
        b = layer.bias.value.copy() if layer.use_bias else None
        z = x @ W + (b if b is not None else 0.0)
        mask = layer.unit_mask
        if fused:
            a = FUSED_OUTPUTS[fused]().forward(z.copy())
            name, formula = fused, f"z = x·W + b,  p = {fused}(z)"
        else:
            a = layer.activation.forward(z.copy())
            name, formula = layer.activation.name, f"z = x·W + b,  a = {layer.activation.name}(z)"
        if mask is not None:
            a = a * mask
            formula += ",  ablated units held at 0"
        return LayerStep(layer.id, "dense", name, x.copy(), z, a, W, b,
                         forward_formula=formula)
    if isinstance(layer, ActivationLayer):
        a = layer.activation.forward(x.copy())
        return LayerStep(layer.id, "activation", layer.activation.name, x.copy(), x.copy(), a,
                         forward_formula=f"a = {layer.activation.name}(x)")
    if isinstance(layer, Dropout):
        mask = layer._mask if layer._mask is not None else np.ones_like(x)
        return LayerStep(layer.id, "dropout", None, x.copy(), mask.copy(), x * mask,
                         forward_formula=f"a = x ⊙ mask  (mask: 0 or 1/(1 − {layer.rate:g}))")
    raise TypeError(f"cannot explain layer {layer!r}")


def _loss(net: Network, last: LayerStep, t: Array, fused: str | None) -> LossStep:
    output = last.z if fused else last.a
    value, grad = net.loss.value_and_gradient(t, output.copy())
    penalty = float(net.penalty())
    loss = net.loss
    note = FUSED_NOTES[fused] if fused else (
        "∂L/∂ŷ is the loss's own derivative; the output layer's f′(z) follows in the "
        "backward pass.")
    return LossStep(loss.name, loss.formula, float(value) + penalty, float(value), penalty,
                    output.copy(), last.a.copy(), t.copy(), np.asarray(grad, dtype=np.float64),
                    fused, note)


# --------------------------------------------------------------------------- backward


def _backward(net: Network, records: list[LayerStep], loss: LossStep,
              fused: str | None) -> list[LayerStep]:
    import dataclasses

    grad = loss.grad_output
    out = list(records)
    last = len(records) - 1
    for i in range(last, -1, -1):
        layer, record = net.layers[i], records[i]
        changes = _backward_layer(layer, record, grad, fused if i == last else None)
        out[i] = dataclasses.replace(record, **changes)
        grad = changes["grad_x"]
    return out


def _backward_layer(layer, record: LayerStep, grad: Array, fused: str | None) -> dict:
    if isinstance(layer, Dense):
        return _dense_backward(layer, record, grad, fused)
    if isinstance(layer, ActivationLayer):
        delta = layer.activation.backward(record.z, record.a, grad.copy())
        fprime = _slope(layer.activation, record.z, record.a)
        return {"grad_a": grad.copy(), "fprime": fprime, "delta": delta, "grad_x": delta,
                "backward_formula": "∂L/∂x = ∂L/∂a ⊙ f′(x)"}
    mask = record.z  # dropout keeps its mask where z would be
    return {"grad_a": grad.copy(), "delta": grad * mask, "grad_x": grad * mask,
            "backward_formula": "∂L/∂x = ∂L/∂a ⊙ mask"}


def _slope(activation, z: Array, a: Array) -> Array | None:
    """``f′(z)`` element by element (None for softmax, whose Jacobian is not diagonal)."""
    if isinstance(activation, Softmax) or getattr(activation, "inner", None).__class__ \
            is Softmax:
        return None
    return activation.backward(z, a, np.ones_like(z))


def _dense_backward(layer: Dense, record: LayerStep, grad: Array, fused: str | None) -> dict:
    mask = layer.unit_mask
    if fused:
        grad_a = fprime = None
        delta = grad.copy()
        formula = "δ = ∂L/∂z = (p − y)/N  (fused)"
        note = FUSED_NOTES[fused]
    elif layer.skip_activation_derivative:
        grad_a, fprime, delta = grad.copy(), np.ones_like(grad), grad.copy()
        formula, note = "δ = ∂L/∂a   ← f′(z) left out (bug)", BUGS["chain-rule-one-layer"].wrong
    else:
        grad_a = grad.copy()
        a = layer.activation.forward(record.z.copy())  # before ablation: the true slope
        fprime = _slope(layer.activation, record.z, a)
        delta = layer.activation.backward(record.z, a, grad.copy())
        formula = "δ = ∂L/∂a ⊙ f′(z)" if fprime is not None else \
            "δ = J_softmax(z)ᵀ·∂L/∂a = a ⊙ (∂L/∂a − Σₖ aₖ ∂L/∂aₖ)"
        note = "" if not isinstance(layer.activation, Linear) else "linear: f′(z) = 1"
    if mask is not None:
        delta = delta * mask
        note = (note + " Ablated units pass no gradient back.").strip()
    grad_W = record.x.T @ delta + _penalty_grad(layer, record.W)
    grad_b = delta.sum(axis=0) if layer.use_bias else None
    penalty = " + ∂penalty/∂W" if layer.l1 or layer.l2 else ""
    return {"grad_a": grad_a, "fprime": fprime, "delta": delta, "grad_W": grad_W,
            "grad_b": grad_b, "grad_x": delta @ record.W.T,
            "backward_formula": f"{formula};  ∂L/∂W = xᵀ·δ{penalty};  ∂L/∂b = Σᵢ δᵢ;  "
                                "∂L/∂x = δ·Wᵀ", "note": note}


def _penalty_grad(layer: Dense, W: Array) -> Array:
    grad = np.zeros_like(W)
    if layer.l2:
        grad += 2.0 * layer.l2 * W
    if layer.l1:
        grad += layer.l1 * np.sign(W)
    return grad


# --------------------------------------------------------------------------- one weight


def _weight_focus(net: Network, records: list[LayerStep], loss: LossStep, ref: WeightRef,
                  x: Array, t: Array, epsilon: float) -> WeightFocus:
    index = _dense_index(net, ref)
    record, layer = records[index], net.layers[index]
    chain = _chain(record, layer, ref, loss)
    upstream_layer, upstream = _upstream(records, index, ref.col)
    fd = _finite_difference(net, layer, ref, x, t, epsilon)
    grad = float(record.grad_W[ref.row, ref.col])
    denom = abs(grad) + abs(fd)
    relative = 0.0 if denom < 1e-300 else abs(grad - fd) / denom
    source = next((records[j].id for j in range(index - 1, -1, -1)
                   if records[j].kind == "dense"), "input")
    return WeightFocus(ref.layer, ref.row, ref.col, float(record.W[ref.row, ref.col]), grad,
                       "∂L/∂W[r,c] = Σᵢ x[i,r] · δ[i,c],  δ[i,c] = ∂L/∂a[i,c] · f′(z[i,c])",
                       chain, upstream_layer, upstream, fd, epsilon, relative, source,
                       tuple(r.id for r in records[index + 1:]))


def _dense_index(net: Network, ref: WeightRef) -> int:
    for i, layer in enumerate(net.layers):
        if layer.id == ref.layer:
            if not isinstance(layer, Dense):
                raise ValueError(f"layer {ref.layer!r} has no weights; pick a Dense layer")
            rows, cols = layer.weight.value.shape
            if not (0 <= ref.row < rows and 0 <= ref.col < cols):
                raise ValueError(f"weight {ref.layer}:{ref.row}:{ref.col} is outside "
                                 f"{ref.layer}'s {rows}×{cols} weight matrix")
            return i
    ids = [layer.id for layer in net.dense_layers()]
    raise ValueError(f"no Dense layer {ref.layer!r}; the network has {ids}")


def _chain(record: LayerStep, layer: Dense, ref: WeightRef, loss: LossStep) \
        -> tuple[ChainTerm, ...]:
    r, c = ref.row, ref.col
    terms = []
    for i in range(record.x.shape[0]):
        x_factor = Factor("x", f"x[{i},{r}]", float(record.x[i, r]),
                          "the input the weight multiplies (unit r of the layer before)")
        if record.grad_a is None:  # fused output: δ comes straight from the loss
            factors = (x_factor, Factor("delta", f"δ[{i},{c}]", float(record.delta[i, c]),
                                        f"∂L/∂z = (p − y)/N, fused {loss.fused} + loss"))
        elif record.fprime is None:  # softmax without its loss: δ via the full Jacobian
            factors = (x_factor, Factor("delta", f"δ[{i},{c}]", float(record.delta[i, c]),
                                        "∂L/∂z through the softmax Jacobian"))
        else:
            factors = (x_factor,
                       Factor("dL/da", f"∂L/∂a[{i},{c}]", float(record.grad_a[i, c]),
                              "how the loss changes with this unit's output"),
                       Factor("f'(z)", f"f′(z[{i},{c}])", float(record.fprime[i, c]),
                              f"slope of {record.activation} at z = {record.z[i, c]:.4g}"))
            mask = layer.unit_mask
            if mask is not None and mask[c] == 0:
                factors += (Factor("mask", f"mask[{c}]", 0.0, "the unit is ablated"),)
        terms.append(ChainTerm(i, factors, float(np.prod([f.value for f in factors]))))
    penalty = _penalty_grad(layer, record.W)[r, c]
    if penalty:
        terms.append(ChainTerm(None, (Factor("penalty", "∂penalty/∂w", float(penalty),
                                             "2·λ₂·w + λ₁·sign(w)"),), float(penalty)))
    return tuple(terms)


def _upstream(records: list[LayerStep], index: int, col: int) \
        -> tuple[str | None, tuple[tuple[UpstreamTerm, ...], ...]]:
    """How ``∂L/∂a[:, col]`` of layer ``index`` is assembled from the next Dense layer's δ
    (when that layer follows directly; dropout or an activation layer in between is shown
    by its own record)."""
    if index + 1 >= len(records) or records[index + 1].kind != "dense":
        return None, ()
    nxt = records[index + 1]
    per_row = tuple(
        tuple(UpstreamTerm(k, float(nxt.W[col, k]), float(nxt.delta[i, k]),
                           float(nxt.W[col, k] * nxt.delta[i, k]))
              for k in range(nxt.W.shape[1]))
        for i in range(nxt.delta.shape[0]))
    return nxt.id, per_row


def _finite_difference(net: Network, layer: Dense, ref: WeightRef, x: Array, t: Array,
                       epsilon: float) -> float:
    w = layer.weight.value
    original = w[ref.row, ref.col]
    try:
        w[ref.row, ref.col] = original + epsilon
        plus = net.objective(x, t, training=True)
        w[ref.row, ref.col] = original - epsilon
        minus = net.objective(x, t, training=True)
    finally:
        w[ref.row, ref.col] = original
    return (plus - minus) / (2 * epsilon)


# --------------------------------------------------------------------------- the update


def explain_update(session: Session, net: Network, records: Sequence[LayerStep],
                   focus: WeightFocus, bugs: tuple[str, ...]) -> UpdateStep:
    """The focused weight's update by the session's optimizer, term by term."""
    opt = session.optimizer
    name = f"{focus.layer}.weight"
    state = {k: float(v[focus.row, focus.col]) for k, v in
             opt.state_dict()["state"].get(name, {}).items()}
    lr = _next_lr(session)
    t = opt.step_count + 1
    g, terms = focus.grad, []
    if opt.clip_norm is not None:
        norm = math.sqrt(sum(float(np.vdot(r.grad_W, r.grad_W)) +
                             (float(np.vdot(r.grad_b, r.grad_b)) if r.grad_b is not None else 0)
                             for r in records if r.grad_W is not None))
        scale = opt.clip_norm / (norm + 1e-6) if norm > opt.clip_norm else 1.0
        terms += [UpdateTerm("grad_norm", "‖g‖", "global L2 norm of every gradient", norm),
                  UpdateTerm("clip_scale", "s", f"min(1, {opt.clip_norm:g} / ‖g‖)", scale)]
        g *= scale
    terms.append(UpdateTerm("g", "g", "∂L/∂w (after clipping)" if opt.clip_norm is not None
                            else "∂L/∂w", g))
    rule = _RULES[type(opt).__name__]
    buggy = "rmsprop-accumulates-lr" in bugs and type(opt).__name__ == "RMSprop"
    more, after, formula = rule(opt, focus.value, g, state, lr, t, buggy)
    return UpdateStep(session.training_spec.optimizer.name, formula, t, lr,
                      tuple(terms + more), focus.value, after)


def _next_lr(session: Session) -> float:
    """The learning rate the trainer will use for its next step (after the schedule)."""
    tr = session.trainer
    return float(tr.schedule.lr(tr.base_lr, tr.epoch,
                                tr.epoch + (tr.batch_index + 1) / tr.steps_per_epoch))


def _sgd(opt, w, g, state, lr, t, _buggy):
    terms = []
    if opt.weight_decay:
        g = g + opt.weight_decay * w
        terms.append(UpdateTerm("g_wd", "g", f"g + λw  (λ = {opt.weight_decay:g})", g))
    if opt.momentum:
        b = opt.momentum * state.get("momentum_buffer", 0.0) + g
        terms.append(UpdateTerm("velocity", "b", f"μ·b_prev + g  (μ = {opt.momentum:g}, "
                                f"b_prev = {state.get('momentum_buffer', 0.0):.6g})", b))
        if opt.nesterov:
            g = g + opt.momentum * b
            terms.append(UpdateTerm("nesterov", "g + μb", "look-ahead direction", g))
        else:
            g = b
        formula = "b ← μb + g;  w ← w − η·" + ("(g + μb)" if opt.nesterov else "b")
    else:
        formula = "w ← w − η·g"
    step = lr * g
    terms += [UpdateTerm("lr", "η", "learning rate (after the schedule)", lr),
              UpdateTerm("step", "Δw", "η × direction", step)]
    return terms, w - step, formula


def _adagrad(opt, w, g, state, lr, t, _buggy):
    terms = []
    if opt.weight_decay:
        g = g + opt.weight_decay * w
        terms.append(UpdateTerm("g_wd", "g", f"g + λw  (λ = {opt.weight_decay:g})", g))
    lr_t = lr / (1 + (t - 1) * opt.lr_decay)
    s = state.get("sum", opt.initial_accumulator_value) + g * g
    denom = math.sqrt(s) + opt.eps
    step = lr_t * g / denom
    terms += [UpdateTerm("sum", "s", "s_prev + g²", s),
              UpdateTerm("denominator", "√s + ε", f"ε = {opt.eps:g}", denom),
              UpdateTerm("lr", "η_t", "η / (1 + (t − 1)·decay)", lr_t),
              UpdateTerm("step", "Δw", "η_t·g / (√s + ε)", step)]
    return terms, w - step, "s ← s + g²;  w ← w − η·g / (√s + ε)"


def _rmsprop(opt, w, g, state, lr, t, buggy):
    terms = []
    if opt.weight_decay:
        g = g + opt.weight_decay * w
        terms.append(UpdateTerm("g_wd", "g", f"g + λw  (λ = {opt.weight_decay:g})", g))
    a = opt.alpha
    v = a * state.get("square_avg", 0.0) + (1 - a) * g * g
    terms.append(UpdateTerm("square_avg", "v", f"α·v_prev + (1 − α)·g²  (α = {a:g}, "
                            f"v_prev = {state.get('square_avg', 0.0):.6g})", v))
    if buggy:
        rate_prev = state.get("buggy_lr", lr)
        rate = rate_prev / (math.sqrt(v) + opt.eps)
        step = rate * g
        terms += [UpdateTerm("denominator", "√v + ε", f"ε = {opt.eps:g}", math.sqrt(v) + opt.eps),
                  UpdateTerm("rate", "η′", f"η′_prev / (√v + ε)  ← the bug: stored back "
                             f"(η′_prev = {rate_prev:.6g})", rate),
                  UpdateTerm("step", "Δw", "η′·g", step)]
        return terms, w - step, "v ← αv + (1−α)g²;  η ← η / (√v + ε)  ← wrong;  w ← w − η·g"
    if opt.centered:
        m = a * state.get("grad_avg", 0.0) + (1 - a) * g
        denom = math.sqrt(v - m * m) + opt.eps
        terms += [UpdateTerm("grad_avg", "m", "α·m_prev + (1 − α)·g", m),
                  UpdateTerm("denominator", "√(v − m²) + ε", f"ε = {opt.eps:g}", denom)]
    else:
        denom = math.sqrt(v) + opt.eps
        terms.append(UpdateTerm("denominator", "√v + ε", f"ε = {opt.eps:g}", denom))
    direction = g / denom
    if opt.momentum:
        direction = opt.momentum * state.get("momentum_buffer", 0.0) + direction
        terms.append(UpdateTerm("velocity", "b", f"μ·b_prev + g/(√v + ε)  (μ = {opt.momentum:g})",
                                direction))
    step = lr * direction
    terms += [UpdateTerm("lr", "η", "learning rate (unchanged by the rule)", lr),
              UpdateTerm("step", "Δw", "η·g / (√v + ε)", step)]
    return terms, w - step, "v ← αv + (1−α)g²;  w ← w − η·g / (√v + ε)"


def _adam(opt, w, g, state, lr, t, _buggy):
    terms = []
    b1, b2 = opt.beta1, opt.beta2
    if opt.weight_decay and opt.decoupled_weight_decay:
        w_decayed = w * (1 - lr * opt.weight_decay)
        terms.append(UpdateTerm("decayed", "w(1 − ηλ)", f"decoupled decay, λ = "
                                f"{opt.weight_decay:g}", w_decayed))
    else:
        w_decayed = w
        if opt.weight_decay:
            g = g + opt.weight_decay * w
            terms.append(UpdateTerm("g_wd", "g", f"g + λw  (λ = {opt.weight_decay:g})", g))
    m_prev, v_prev = state.get("exp_avg", 0.0), state.get("exp_avg_sq", 0.0)
    m = b1 * m_prev + (1 - b1) * g
    v = b2 * v_prev + (1 - b2) * g * g
    m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
    step = lr * m_hat / (math.sqrt(v_hat) + opt.eps)
    terms += [UpdateTerm("m", "m", f"β₁·m_prev + (1 − β₁)·g  (β₁ = {b1:g}, m_prev = "
                         f"{m_prev:.6g})", m),
              UpdateTerm("v", "v", f"β₂·v_prev + (1 − β₂)·g²  (β₂ = {b2:g}, v_prev = "
                         f"{v_prev:.6g})", v),
              UpdateTerm("m_hat", "m̂", f"m / (1 − β₁^t),  t = {t}", m_hat),
              UpdateTerm("v_hat", "v̂", f"v / (1 − β₂^t),  t = {t}", v_hat),
              UpdateTerm("lr", "η", "learning rate (after the schedule)", lr),
              UpdateTerm("step", "Δw", f"η·m̂ / (√v̂ + ε),  ε = {opt.eps:g}", step)]
    formula = ("w ← w(1 − ηλ);  " if opt.decoupled_weight_decay and opt.weight_decay else "") \
        + "m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  w ← w − η·m̂ / (√v̂ + ε)"
    return terms, w_decayed - step, formula


_RULES = {"SGD": _sgd, "Adagrad": _adagrad, "RMSprop": _rmsprop, "Adam": _adam,
          "AdamW": _adam}


# --------------------------------------------------------------------------- bug mode


def _bug_text(code: str) -> dict[str, str]:
    bug = BUGS[code]
    return {"code": code, "title": bug.title, "wrong": bug.wrong, "right": bug.right,
            "caught_by": bug.caught_by}


def _differences(correct: StepExplanation, buggy: StepExplanation) -> list[Difference]:
    """Every number that differs, in the order the step computes them."""
    found: list[Difference] = []

    def compare(stage, layer, quantity, right, wrong):
        if right is None and wrong is None:
            return
        right_a = np.atleast_1d(np.asarray(right if right is not None else np.nan, float))
        wrong_a = np.atleast_1d(np.asarray(wrong if wrong is not None else np.nan, float))
        if right_a.shape != wrong_a.shape:
            found.append(Difference(stage, layer, quantity, math.inf, right_a, wrong_a))
            return
        diff = np.abs(right_a - wrong_a)
        scale = 1.0 + float(np.nanmax(np.abs(right_a))) if right_a.size else 1.0
        worst = float(np.nanmax(diff)) if diff.size and not np.all(np.isnan(diff)) else 0.0
        if np.any(np.isnan(right_a) != np.isnan(wrong_a)) or worst > DIFFERENCE_TOLERANCE * scale:
            found.append(Difference(stage, layer, quantity, worst, right_a, wrong_a))

    for r, w in zip(correct.layers, buggy.layers):
        compare("forward", r.id, "z", r.z, w.z)
        compare("forward", r.id, "a", r.a, w.a)
    compare("loss", None, "loss", correct.loss.value, buggy.loss.value)
    compare("loss", None, "∂L/∂output", correct.loss.grad_output, buggy.loss.grad_output)
    for r, w in zip(reversed(correct.layers), reversed(buggy.layers)):
        for quantity, attr in (("∂L/∂a", "grad_a"), ("f′(z)", "fprime"), ("δ", "delta"),
                               ("∂L/∂W", "grad_W"), ("∂L/∂b", "grad_b"), ("∂L/∂x", "grad_x")):
            compare("backward", r.id, quantity, getattr(r, attr), getattr(w, attr))
    if correct.update is not None and buggy.update is not None:
        compare("update", correct.update and correct.weight.layer, "new value",
                correct.update.value_after, buggy.update.value_after)
    return found


# --------------------------------------------------------------------------- weights you can touch


def prune(weights: dict[str, Array], threshold: float) \
        -> tuple[dict[str, Array], list[tuple[str, int, int]]]:
    """Copies of ``weights`` with every Dense weight (``*.weight``; biases are kept) whose
    magnitude is below ``threshold`` set to 0, and the ``(layer, row, col)`` of each one
    that changed."""
    if not (math.isfinite(threshold) and threshold >= 0):
        raise ValueError(f"the pruning threshold must be a number >= 0, got {threshold!r}")
    pruned, changed = {}, []
    for name, w in weights.items():
        w = np.array(w, copy=True)
        if name.endswith(".weight"):
            small = (np.abs(w) < threshold) & (w != 0)
            layer = name[: -len(".weight")]
            changed += [(layer, int(r), int(c)) for r, c in np.argwhere(small)]
            w[small] = 0
        pruned[name] = w
    return pruned, changed


# --------------------------------------------------------------------------- JSON


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def _layer_dict(layer: LayerStep) -> dict[str, Any]:
    return {"id": layer.id, "kind": layer.kind, "activation": layer.activation, "x": layer.x,
            "z": layer.z, "a": layer.a, "grad_a": layer.grad_a, "fprime": layer.fprime,
            "delta": layer.delta, "grad_W": layer.grad_W, "grad_b": layer.grad_b,
            "grad_x": layer.grad_x, "forward_formula": layer.forward_formula,
            "backward_formula": layer.backward_formula, "note": layer.note}


def _loss_dict(loss: LossStep) -> dict[str, Any]:
    return {"name": loss.name, "formula": loss.formula, "value": loss.value,
            "data_loss": loss.data_loss, "penalty": loss.penalty, "output": loss.output,
            "prediction": loss.prediction, "target": loss.target,
            "grad_output": loss.grad_output, "fused": loss.fused, "note": loss.note}


def _weight_dict(focus: WeightFocus) -> dict[str, Any]:
    return {
        "layer": focus.layer, "row": focus.row, "col": focus.col, "value": focus.value,
        "grad": focus.grad, "formula": focus.formula,
        "finite_difference": focus.finite_difference, "epsilon": focus.epsilon,
        "relative_error": focus.relative_error, "source": focus.source,
        "chain": [{"row": term.row, "product": term.product,
                   "factors": [{"name": f.name, "symbol": f.symbol, "value": f.value,
                                "meaning": f.meaning} for f in term.factors]}
                  for term in focus.chain],
        "upstream_layer": focus.upstream_layer,
        "upstream": [[{"unit": u.unit, "weight": u.weight, "delta": u.delta,
                       "product": u.product} for u in row] for row in focus.upstream],
    }


def _update_dict(update: UpdateStep) -> dict[str, Any]:
    return {"rule": update.rule, "formula": update.formula, "step": update.step,
            "lr": update.lr, "value_before": update.value_before,
            "value_after": update.value_after,
            "terms": [{"name": t.name, "symbol": t.symbol, "formula": t.formula,
                       "value": t.value} for t in update.terms]}


def _bug_dict(bug: BugComparison) -> dict[str, Any]:
    return {
        "bugs": list(bug.bugs), "descriptions": list(bug.descriptions),
        "first_difference": None if bug.first is None else _difference_dict(bug.first),
        "differences": [_difference_dict(d) for d in bug.differences],
        "correct": {"loss": bug.correct.loss.value,
                    "layers": [_layer_dict(layer) for layer in bug.correct.layers],
                    "weight": None if bug.correct.weight is None else
                    _weight_dict(bug.correct.weight),
                    "update": None if bug.correct.update is None else
                    _update_dict(bug.correct.update)},
    }


def _difference_dict(d: Difference) -> dict[str, Any]:
    return {"stage": d.stage, "layer": d.layer, "quantity": d.quantity,
            "max_abs_difference": d.max_abs_difference, "correct": d.correct,
            "buggy": d.buggy}
