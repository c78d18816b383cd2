"""Optimizers: one class per update rule, per-parameter state, updates in place.

The base class owns the loop, the step counter, gradient clipping and the state I/O; a
subclass writes the rule once in ``_update`` over one (value, grad, state) triple. When the
parameters are a built network's flat buffer (``nncore.parameters``), that triple is the
*whole network* and a step is a dozen vectorised NumPy calls.

Rules and defaults are PyTorch's (``torch.optim``, ``maximize=False``, ``dampening=0``,
``amsgrad=False``); ``t`` is the step number starting at 1, ``g`` the gradient and ``wd``
the weight decay. Each docstring states its formula.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from nncore._types import Array
from nncore.parameters import Parameter, find_flat

PAIRED_UPDATE_SIZE = 16384
"""Up to this many values per unit Adam updates both moments together (fewer NumPy calls:
the cost of small networks); above it, separately (fewer passes over memory)."""


def _zeros_if_missing(state: dict[str, Array], key: str, like: Array) -> Array:
    """``state[key]``, created as zeros on first use (a hyper-parameter switched on mid-run).

    Not ``state.setdefault(key, np.zeros_like(like))``: that allocates and zeroes a
    network-sized array on every step, only to throw it away.
    """
    array = state.get(key)
    if array is None:
        array = state[key] = np.zeros_like(like)
    return array


class Optimizer(ABC):
    """Base class: ``step()`` applies the rule to every parameter from its ``grad``.

    Hyper-parameters are attributes (``lr``, ``momentum``...) and may be changed between
    steps (the GUI does, mid-run). ``clip_norm`` rescales the whole gradient so that its
    global L2 norm is at most that value, before the rule runs.
    """

    name: ClassVar[str]
    formula: ClassVar[str]
    advice: ClassVar[str]
    hyperparameters: ClassVar[dict[str, Any]]
    """Names and PyTorch default values of the rule's hyper-parameters (besides ``lr``)."""

    def __init__(self, params: Sequence[Parameter], lr: float, *,
                 clip_norm: float | None = None, **hyper: Any) -> None:
        unknown = set(hyper) - set(self.hyperparameters)
        if unknown:
            raise TypeError(f"{type(self).__name__} has no hyper-parameter "
                            f"{sorted(unknown)[0]!r}; it takes {sorted(self.hyperparameters)}")
        if not (math.isfinite(lr) and lr > 0):
            raise ValueError(f"invalid learning rate: {lr!r} (must be > 0)")
        self.params = list(params)
        self.lr = float(lr)
        self.clip_norm = clip_norm
        for key, default in self.hyperparameters.items():
            setattr(self, key, hyper.get(key, default))
        self.step_count = 0
        self.last_grad_norm = float("nan")
        flat = find_flat(self.params)
        self._flat = flat
        # The units the rule runs on: the whole flat buffer, or each parameter on its own.
        self._units = [(flat.values, flat.grads)] if flat else \
            [(p.value, p.grad) for p in self.params]
        self._state = [self._init_state(value) for value, _ in self._units]
        self._scratch = [np.empty_like(value) for value, _ in self._units]

    @abstractmethod
    def _init_state(self, value: Array) -> dict[str, Array]:
        """Fresh state arrays for one unit (all zeros, in the parameter's dtype)."""

    @abstractmethod
    def _update(self, value: Array, grad: Array, state: dict[str, Array],
                scratch: Array) -> None:
        """Apply the rule to ``value`` in place; ``scratch`` is a same-shape temporary."""

    def gradient_norm(self) -> float:
        """Global L2 norm of all gradients."""
        return math.sqrt(sum(float(np.vdot(g, g)) for _, g in self._units))

    def zero_grad(self) -> None:
        """Set every gradient to zero (layers overwrite gradients, so this is optional)."""
        for _, grad in self._units:
            grad.fill(0)

    def step(self) -> None:
        """One update of every parameter from its current gradient."""
        self.step_count += 1
        if self.clip_norm is not None:
            norm = self.gradient_norm()
            self.last_grad_norm = norm
            if norm > self.clip_norm:
                scale = self.clip_norm / (norm + 1e-6)  # PyTorch clip_grad_norm_
                for _, grad in self._units:
                    grad *= scale
        for (value, grad), state, scratch in zip(self._units, self._state, self._scratch):
            self._update(value, grad, state, scratch)

    # -- state I/O ------------------------------------------------------------------------

    def _per_parameter(self, unit_state: list[dict[str, Array]]) -> dict[str, dict[str, Array]]:
        if self._flat is None:
            return {p.name: s for p, s in zip(self.params, unit_state)}
        flat, state = self._flat, unit_state[0]
        return {p.name: {k: v[flat.slice_of(i)].reshape(p.value.shape) for k, v in state.items()}
                for i, p in enumerate(flat.params)}

    def state_dict(self) -> dict[str, Any]:
        """Copies of the step counter, hyper-parameters and state arrays, keyed by name."""
        return {
            "name": self.name, "step": self.step_count, "lr": self.lr,
            "hyperparameters": {k: getattr(self, k) for k in self.hyperparameters},
            "state": {name: {k: v.copy() for k, v in s.items()}
                      for name, s in self._per_parameter(self._state).items()},
        }

    def load_state_dict(self, d: Mapping[str, Any]) -> None:
        """Resume from ``state_dict()`` output; ``ValueError`` names what does not fit."""
        if d.get("name") != self.name:
            raise ValueError(f"optimizer state is for {d.get('name')!r}, not {self.name!r}")
        views = self._per_parameter(self._state)
        for name, arrays in views.items():
            saved = d["state"].get(name)
            if saved is None:
                raise ValueError(f"optimizer state for {name!r} is missing")
            for key, view in arrays.items():
                if key not in saved or np.shape(saved[key]) != view.shape:
                    raise ValueError(f"optimizer state {name!r}.{key} is missing or misshapen")
                view[...] = saved[key]
        self.step_count = int(d["step"])

    def __repr__(self) -> str:
        hyper = ", ".join(f"{k}={getattr(self, k)}" for k in self.hyperparameters)
        return f"{type(self).__name__}(lr={self.lr}{', ' if hyper else ''}{hyper})"


class SGD(Optimizer):
    """Stochastic gradient descent, with optional (Nesterov) momentum and weight decay.

    ``g <- g + wd * p``; with momentum ``mu``: ``b <- mu * b + g``, then ``g <- b`` (or
    ``g <- g + mu * b`` for Nesterov); finally ``p <- p - lr * g``.
    """

    name = "sgd"
    formula = "p ← p − η·g   (momentum: b ← μb + g, p ← p − η·b)"
    advice = ("Plain gradient descent: the baseline. Needs a well-chosen learning rate and "
              "is slow in ravines; momentum (μ = 0.9) speeds it up.")
    hyperparameters: ClassVar[dict[str, Any]] = {"momentum": 0.0, "nesterov": False,
                                                 "weight_decay": 0.0}

    def _init_state(self, value):
        return {"momentum_buffer": np.zeros_like(value)} if self.momentum else {}

    def _update(self, value, grad, state, scratch):
        g = grad
        if self.weight_decay:
            g = np.multiply(value, self.weight_decay, out=scratch)
            g += grad
        if self.momentum:
            buf = _zeros_if_missing(state, "momentum_buffer", value)
            buf *= self.momentum
            buf += g
            g = np.add(g, self.momentum * buf, out=scratch) if self.nesterov else buf
        value -= np.multiply(g, self.lr, out=scratch)  # no temporary the size of the network


class Adagrad(Optimizer):
    """Adagrad: per-weight rates that shrink with the sum of squared gradients.

    ``g <- g + wd * p``; ``s <- s + g^2``; ``p <- p - lr_t * g / (sqrt(s) + eps)`` with
    ``lr_t = lr / (1 + (t - 1) * lr_decay)``.
    """

    name = "adagrad"
    formula = "s ← s + g²;  p ← p − η·g / (√s + ε)"
    advice = "Adapts each weight's rate; good for sparse features, but the rate only decays."
    hyperparameters: ClassVar[dict[str, Any]] = {"lr_decay": 0.0, "weight_decay": 0.0,
                                                 "initial_accumulator_value": 0.0,
                                                 "eps": 1e-10}

    def _init_state(self, value):
        return {"sum": np.full_like(value, self.initial_accumulator_value)}

    def _update(self, value, grad, state, scratch):
        g = grad
        if self.weight_decay:
            g = grad + self.weight_decay * value
        lr = self.lr / (1 + (self.step_count - 1) * self.lr_decay)
        np.multiply(g, g, out=scratch)
        state["sum"] += scratch
        np.sqrt(state["sum"], out=scratch)
        scratch += self.eps
        np.divide(g, scratch, out=scratch)
        scratch *= lr
        value -= scratch


class RMSprop(Optimizer):
    """RMSprop (Hinton), with optional momentum and the centred variant.

    ``g <- g + wd * p``; ``v <- alpha * v + (1 - alpha) * g^2``; centred:
    ``m <- alpha * m + (1 - alpha) * g`` and ``d = sqrt(v - m^2) + eps``, else
    ``d = sqrt(v) + eps``; with momentum ``b <- mu * b + g / d``, ``p <- p - lr * b``,
    else ``p <- p - lr * g / d``. The learning rate itself never changes.
    """

    name = "rmsprop"
    formula = "v ← αv + (1−α)g²;  p ← p − η·g / (√v + ε)"
    advice = "Divides each step by a running RMS of the gradient: robust rates per weight."
    hyperparameters: ClassVar[dict[str, Any]] = {"alpha": 0.99, "eps": 1e-8,
                                                 "weight_decay": 0.0, "momentum": 0.0,
                                                 "centered": False}
    accumulate_lr_bug = False  # switched on only by the lesson bug of the same name

    def _init_state(self, value):
        state = {"square_avg": np.zeros_like(value)}
        if self.centered:
            state["grad_avg"] = np.zeros_like(value)
        if self.momentum:
            state["momentum_buffer"] = np.zeros_like(value)
        return state

    def _update(self, value, grad, state, scratch):
        g = grad
        if self.weight_decay:
            g = grad + self.weight_decay * value
        if self.accumulate_lr_bug:
            from nncore.bugs import buggy_rmsprop_step

            buggy_rmsprop_step(value, g, state, self.lr, self.alpha, self.eps)
            return
        v = state["square_avg"]
        v *= self.alpha
        np.multiply(g, g, out=scratch)
        scratch *= 1 - self.alpha
        v += scratch
        if self.centered:
            m = _zeros_if_missing(state, "grad_avg", value)
            m *= self.alpha
            m += (1 - self.alpha) * g
            np.multiply(m, m, out=scratch)
            np.subtract(v, scratch, out=scratch)
            np.sqrt(scratch, out=scratch)
        else:
            np.sqrt(v, out=scratch)
        scratch += self.eps
        np.divide(g, scratch, out=scratch)
        if self.momentum:
            buf = _zeros_if_missing(state, "momentum_buffer", value)
            buf *= self.momentum
            buf += scratch
            value -= self.lr * buf
        else:
            scratch *= self.lr
            value -= scratch


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015), with L2-style weight decay added to the gradient.

    ``g <- g + wd * p``; ``m <- b1 m + (1 - b1) g``; ``v <- b2 v + (1 - b2) g^2``;
    ``p <- p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)``.
    """

    name = "adam"
    formula = "m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  p ← p − η·m̂ / (√v̂ + ε)"
    advice = "Momentum plus per-weight rates with bias correction: the robust default."
    hyperparameters: ClassVar[dict[str, Any]] = {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8,
                                                 "weight_decay": 0.0}
    decoupled_weight_decay = False

    def _init_state(self, value):
        # m and v are the two rows of one array, so that small networks can update both
        # with one NumPy call per operation (see _update)
        moments = np.zeros((2, *value.shape), dtype=value.dtype)
        return {"exp_avg": moments[0], "exp_avg_sq": moments[1]}

    def _paired(self, moments: Array) -> tuple[Array, Array]:
        """A scratch pair and the rates ``[1 - b1; 1 - b2]`` shaped like ``moments``."""
        pairs = self.__dict__.setdefault("_pairs", {})
        work = pairs.get(id(moments))
        if work is None or work[2] != (self.beta1, self.beta2):
            rates = np.empty_like(moments)
            rates[0], rates[1] = 1 - self.beta1, 1 - self.beta2
            work = pairs[id(moments)] = (np.empty_like(moments), rates,
                                         (self.beta1, self.beta2))
        return work[0], work[1]

    def _update(self, value, grad, state, scratch):
        t, b1, b2 = self.step_count, self.beta1, self.beta2
        g = grad
        if self.weight_decay:
            if self.decoupled_weight_decay:
                value *= 1 - self.lr * self.weight_decay
            else:
                g = grad + self.weight_decay * value
        m, v = state["exp_avg"], state["exp_avg_sq"]
        moments = m.base
        if value.size <= PAIRED_UPDATE_SIZE and moments is not None and moments is v.base \
                and moments.shape == (2, *value.shape):
            # Both moments as PyTorch's lerp, m <- m + (1 - b1)(g - m) and
            # v <- v + (1 - b2)(g^2 - v), in five calls instead of seven
            pair, rates = self._paired(moments)
            pair[0] = g
            np.multiply(g, g, out=pair[1])
            np.subtract(pair, moments, out=pair)
            pair *= rates
            moments += pair
        else:  # big networks: fewer passes over memory
            np.subtract(g, m, out=scratch)      # m <- m + (1 - b1)(g - m), PyTorch's lerp
            scratch *= 1 - b1
            m += scratch
            np.multiply(g, g, out=scratch)
            scratch *= 1 - b2
            v *= b2
            v += scratch
        bias1, sqrt_bias2 = 1 - b1 ** t, math.sqrt(1 - b2 ** t)
        # m_hat / (sqrt(v_hat) + eps) = m * sqrt_bias2 / bias1 / (sqrt(v) + eps * sqrt_bias2)
        np.sqrt(v, out=scratch)
        scratch += self.eps * sqrt_bias2
        np.divide(m, scratch, out=scratch)
        scratch *= self.lr * sqrt_bias2 / bias1
        value -= scratch


class AdamW(Adam):
    """AdamW (Loshchilov & Hutter, 2019): Adam with *decoupled* weight decay.

    ``p <- p * (1 - lr * wd)`` first, then the Adam step without ``wd`` in the gradient.
    PyTorch's default ``wd`` is 0.01.
    """

    name = "adamw"
    formula = "p ← p(1 − ηλ), then the Adam step"
    advice = "Adam with weight decay done right (decoupled from the adaptive rates)."
    hyperparameters: ClassVar[dict[str, Any]] = {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8,
                                                 "weight_decay": 0.01}
    decoupled_weight_decay = True


class _Preset:
    """A registry entry that builds a class with some defaults changed (momentum SGD...)."""

    def __init__(self, cls: type[Optimizer], name: str, formula: str, advice: str,
                 **defaults: Any) -> None:
        self.cls, self.name, self.formula, self.advice = cls, name, formula, advice
        self.defaults = defaults
        self.hyperparameters = {**cls.hyperparameters, **defaults}

    def __call__(self, params: Sequence[Parameter], lr: float, **kwargs: Any) -> Optimizer:
        return self.cls(params, lr, **{**self.defaults, **kwargs})


OPTIMIZERS: dict[str, Any] = {
    "sgd": SGD,
    "momentum": _Preset(SGD, "momentum", "b ← μb + g;  p ← p − η·b",
                        "SGD with momentum μ = 0.9: rolls through ravines and plateaus.",
                        momentum=0.9),
    "nesterov": _Preset(SGD, "nesterov", "b ← μb + g;  p ← p − η(g + μb)",
                        "Momentum that looks ahead: often a little faster and steadier.",
                        momentum=0.9, nesterov=True),
    "adagrad": Adagrad,
    "rmsprop": RMSprop,
    "adam": Adam,
    "adamw": AdamW,
}


def make_optimizer(name: str, params: Sequence[Parameter], lr: float,
                   clip_norm: float | None = None, **hyper: Any) -> Optimizer:
    """An optimizer by registry name; hyper-parameters it does not take are ignored.

    ``None`` values mean "the rule's default", so a spec can carry every field.
    """
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; choose one of {sorted(OPTIMIZERS)}")
    factory = OPTIMIZERS[name]
    accepted = factory.hyperparameters
    kwargs = {k: v for k, v in hyper.items() if k in accepted and v is not None}
    return factory(params, lr, clip_norm=clip_norm, **kwargs)
