"""Weight initialisers: how a Dense layer's ``W`` of shape ``(fan_in, fan_out)`` starts.

Every initialiser draws from the ``numpy.random.Generator`` it is given (never global
state), so a seed reproduces a run bit for bit. The scaled families follow PyTorch's
``torch.nn.init`` formulas (plain, not truncated, normals). ``zeros`` and ``constant`` are
here on purpose: they are the classic symmetry bug, and a lesson.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from nncore._types import Array


@dataclass(frozen=True)
class Initializer:
    """A named rule ``draw(shape, rng, dtype, scale) -> W`` with text for the GUI."""

    name: str
    formula: str
    advice: str
    draw: Callable[[tuple[int, int], np.random.Generator, type, float | None], Array]
    default_scale: float | None = None


def _zeros(shape, rng, dtype, scale):
    return np.zeros(shape, dtype=dtype)


def _constant(shape, rng, dtype, scale):
    return np.full(shape, 0.1 if scale is None else scale, dtype=dtype)


def _uniform_limit(limit: float, shape, rng, dtype) -> Array:
    return rng.uniform(-limit, limit, size=shape).astype(dtype, copy=False)


def _normal_std(std: float, shape, rng, dtype) -> Array:
    return (rng.standard_normal(size=shape) * std).astype(dtype, copy=False)


def _uniform(shape, rng, dtype, scale):
    return _uniform_limit(0.05 if scale is None else scale, shape, rng, dtype)


def _normal(shape, rng, dtype, scale):
    return _normal_std(0.05 if scale is None else scale, shape, rng, dtype)


def _glorot_uniform(shape, rng, dtype, scale):
    fan_in, fan_out = shape
    return _uniform_limit(math.sqrt(6.0 / (fan_in + fan_out)), shape, rng, dtype)


def _glorot_normal(shape, rng, dtype, scale):
    fan_in, fan_out = shape
    return _normal_std(math.sqrt(2.0 / (fan_in + fan_out)), shape, rng, dtype)


def _he_uniform(shape, rng, dtype, scale):
    return _uniform_limit(math.sqrt(6.0 / shape[0]), shape, rng, dtype)


def _he_normal(shape, rng, dtype, scale):
    return _normal_std(math.sqrt(2.0 / shape[0]), shape, rng, dtype)


def _lecun_normal(shape, rng, dtype, scale):
    return _normal_std(math.sqrt(1.0 / shape[0]), shape, rng, dtype)


INITIALIZERS: dict[str, Initializer] = {i.name: i for i in (
    Initializer("zeros", "W = 0",
                "Every unit starts identical and gets identical updates: they never become "
                "different (symmetry is never broken). Shown here as a classic bug.", _zeros),
    Initializer("constant", "W = c (default c = 0.1)",
                "Same symmetry problem as zeros: all units of a layer stay identical.",
                _constant, 0.1),
    Initializer("uniform", "W ~ U(−a, a) (default a = 0.05)",
                "Small random weights; the scale ignores the layer size, so deep or wide "
                "networks get vanishing or exploding signals.", _uniform, 0.05),
    Initializer("normal", "W ~ N(0, σ²) (default σ = 0.05)",
                "Small random weights; the scale ignores the layer size.", _normal, 0.05),
    Initializer("glorot_uniform", "W ~ U(−a, a),  a = √(6 / (fan_in + fan_out))",
                "Xavier/Glorot: keeps the signal's variance steady for tanh and sigmoid "
                "layers. A safe default.", _glorot_uniform),
    Initializer("glorot_normal", "W ~ N(0, 2 / (fan_in + fan_out))",
                "Xavier/Glorot, normal form: for tanh and sigmoid layers.", _glorot_normal),
    Initializer("he_uniform", "W ~ U(−a, a),  a = √(6 / fan_in)",
                "He/Kaiming: compensates for ReLU zeroing half its inputs. Use with ReLU.",
                _he_uniform),
    Initializer("he_normal", "W ~ N(0, 2 / fan_in)",
                "He/Kaiming, normal form: the standard choice for ReLU networks.", _he_normal),
    Initializer("lecun_normal", "W ~ N(0, 1 / fan_in)",
                "LeCun: keeps unit variance for SELU and for linear/tanh layers.",
                _lecun_normal),
)}
ALIASES = {"xavier_uniform": "glorot_uniform", "xavier_normal": "glorot_normal",
           "kaiming_uniform": "he_uniform", "kaiming_normal": "he_normal", "zero": "zeros"}


def canonical_initializer(name: str) -> str:
    """The registered name for ``name`` or an alias; ``ValueError`` lists the choices."""
    key = ALIASES.get(name, name) if isinstance(name, str) else name
    if key not in INITIALIZERS:
        raise ValueError(f"unknown initialiser {name!r}; choose one of {sorted(INITIALIZERS)}")
    return key


def initialize(name: str, shape: tuple[int, int], rng: np.random.Generator,
               dtype: type = np.float32, scale: float | None = None) -> Array:
    """A new weight matrix of ``shape = (fan_in, fan_out)`` drawn by the named initialiser."""
    return INITIALIZERS[canonical_initializer(name)].draw(shape, rng, dtype, scale)
