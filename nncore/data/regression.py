"""Synthetic regression problems: 1-D curves and 2-D surfaces.

The 1-D curves use evenly spaced inputs, ``np.linspace(lo, hi, n)``, the way a beginner
sets up ``y = x**2`` (201 points on [0, 1] by default), and keep them in increasing order.
The 2-D surfaces draw their inputs uniformly from a square. ``noise`` is the standard
deviation of a Gaussian added to the target; ``noise=0`` gives the exact function.
Targets have shape (n, 1); no normalisation is recommended.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from nncore._types import Array
from nncore.data.dataset import Dataset, DatasetInfo
from nncore.data.synthetic import GENERATED

Curve = Callable[[np.ndarray], np.ndarray]

CURVES: dict[str, tuple[str, tuple[float, float], Curve, str]] = {
    "square": ("y = x^2", (0.0, 1.0), np.square,
               "The parabola y = x^2 on [0, 1]: the first curve to fit."),
    "hyperbola": ("y = 1/x", (0.25, 4.0), np.reciprocal,
                  "A segment of the hyperbola y = 1/x on [0.25, 4]: steep on the left, "
                  "flat on the right."),
    "sine": ("y = sin(x)", (-np.pi, np.pi), np.sin,
             "One period of y = sin(x) on [-pi, pi]."),
    "abs": ("y = |x|", (-1.0, 1.0), np.abs,
            "The kink y = |x| on [-1, 1]: two ReLUs make it exactly."),
    "step": ("y = step(x)", (-1.0, 1.0), lambda x: (x >= 0).astype(np.float64),
             "A step from 0 to 1 at x = 0 on [-1, 1]: a jump no smooth network fits exactly."),
}
"""name -> (formula, input range, function, description) of each 1-D curve."""

SURFACES: dict[str, tuple[str, float, Callable[[np.ndarray], np.ndarray], str]] = {
    "plane": ("y = 2*x1 - x2 + 0.5", 1.0, lambda x: 2 * x[:, 0] - x[:, 1] + 0.5,
              "The plane y = 2 x1 - x2 + 0.5 on [-1, 1]^2: one linear neuron fits it."),
    "bump": ("y = exp(-(x1^2 + x2^2))", 2.0, lambda x: np.exp(-(x[:, 0] ** 2 + x[:, 1] ** 2)),
             "A Gaussian bump y = exp(-(x1^2 + x2^2)) on [-2, 2]^2, for surface and "
             "heat-map views."),
}
"""name -> (formula, half-width of the input square, function, description)."""


def _regression(name: str, x: Array, y: np.ndarray, noise: float, rng: np.random.Generator,
                description: str, domain: tuple[tuple[float, float], ...]) -> Dataset:
    if noise > 0:
        y = y + rng.normal(0.0, noise, size=y.shape)
    d = x.shape[1]
    info = DatasetInfo(
        name=name, task="regression", n_features=d, n_classes=0, n_targets=1,
        feature_names=("x1", "x2")[:d], description=description, source=GENERATED,
        recommended_normalize="none", domain=domain)
    return Dataset(info, x.astype(np.float32), y.astype(np.float32).reshape(-1, 1))


def curve(name: str, n: int, noise: float, rng: np.random.Generator) -> Dataset:
    """The 1-D curve ``name`` of ``CURVES`` at ``n`` evenly spaced points.

    Returns
    -------
    Dataset
        ``x`` float32 of shape (n, 1) in increasing order, ``y`` float32 of shape (n, 1).
    """
    _, (lo, hi), function, description = CURVES[name]
    x = np.linspace(lo, hi, n).reshape(-1, 1)
    pad = 0.1 * (hi - lo)
    return _regression(name, x, function(x[:, 0]), noise, rng, description,
                       ((lo - pad, hi + pad),))


def surface(name: str, n: int, noise: float, rng: np.random.Generator) -> Dataset:
    """The 2-D surface ``name`` of ``SURFACES`` at ``n`` uniformly drawn points.

    Returns
    -------
    Dataset
        ``x`` float32 of shape (n, 2), ``y`` float32 of shape (n, 1).
    """
    _, half, function, description = SURFACES[name]
    x = rng.uniform(-half, half, size=(n, 2))
    reach = 1.1 * half
    return _regression(name, x, function(x), noise, rng, description, ((-reach, reach),) * 2)


def formula(name: str) -> str:
    """The formula of a curve or surface, e.g. ``'y = x^2'``."""
    return (CURVES.get(name) or SURFACES[name])[0]

