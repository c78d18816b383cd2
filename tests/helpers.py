"""Test helpers: THE finite-difference gradient, hand-built data splits and toy data sets.

Every gradient test in the suite goes through ``numeric_gradient`` and
``assert_grad_close``, so there is one definition of "the numbers agree".
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from nncore.data.dataset import DatasetInfo, Preprocessing, Splits

# --------------------------------------------------------------------------- gradients


def numeric_gradient(f: Callable[[np.ndarray], float], x: np.ndarray,
                     h: float = 1e-6) -> np.ndarray:
    """Central differences ``(f(x + h e_i) - f(x - h e_i)) / 2h`` for every entry of ``x``.

    ``x`` must be a float64 array. It is perturbed *in place* (and restored), so ``f`` may
    either use its argument or read ``x`` through another reference, such as a network's
    flat parameter buffer.
    """
    if x.dtype != np.float64:
        raise TypeError(f"numeric_gradient needs float64, got {x.dtype}")
    grad = np.empty_like(x)
    flat, out = x.reshape(-1), grad.reshape(-1)
    if not np.shares_memory(flat, x):
        raise ValueError("x must be contiguous so that perturbations reach f")
    for i in range(flat.size):
        original = flat[i]
        flat[i] = original + h
        plus = float(f(x))
        flat[i] = original - h
        minus = float(f(x))
        flat[i] = original
        out[i] = (plus - minus) / (2.0 * h)
    return grad


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """``||a - b|| / (||a|| + ||b||)`` (0 when both are exactly zero)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if denom == 0 else float(np.linalg.norm(a - b) / denom)


def assert_grad_close(analytic: np.ndarray, numeric: np.ndarray, rtol: float = 1e-6, *,
                      atol: float = 0.0) -> None:
    """Fail unless the relative error ``||a - n|| / (||a|| + ||n||)`` is at most ``rtol``.

    ``atol`` (default 0) accepts ``||a - n|| <= atol`` as well, for gradients that are
    exactly zero, where central differences return pure rounding noise of about
    ``eps * |f| / h`` and any relative error is meaningless.
    """
    analytic, numeric = np.asarray(analytic), np.asarray(numeric)
    assert analytic.shape == numeric.shape, f"shapes differ: {analytic.shape} vs {numeric.shape}"
    error = relative_error(analytic, numeric)
    distance = float(np.linalg.norm(analytic.astype(np.float64) - numeric))
    assert error <= rtol or distance <= atol, (
        f"relative error {error:.3e} > {rtol:.0e} (absolute {distance:.3e})\n"
        f"analytic:\n{analytic}\nnumeric:\n{numeric}")


# --------------------------------------------------------------------------- data splits


def make_splits(x: np.ndarray, y: np.ndarray, task: str, *, x_val: np.ndarray | None = None,
                y_val: np.ndarray | None = None, n_classes: int | None = None,
                name: str = "toy") -> Splits:
    """``Splits`` built by hand from arrays (no loader, no preprocessing).

    Classification ``y`` holds integer labels ``(n,)``; regression ``y`` is ``(n,)`` or
    ``(n, n_targets)``. Without ``x_val`` the validation split is empty.
    """
    x = np.asarray(x, dtype=np.float32)
    if task == "regression":
        y = np.asarray(y, dtype=np.float32).reshape(len(x), -1)
        n_targets, n_classes = y.shape[1], 0
    else:
        y = np.asarray(y, dtype=np.int64).reshape(-1)
        n_targets = 1
        if n_classes is None:
            labels = y if y_val is None else np.concatenate([y, np.asarray(y_val).reshape(-1)])
            n_classes = int(labels.max()) + 1
    if x_val is None:
        x_val = np.zeros((0, x.shape[1]), dtype=np.float32)
        y_val = y[:0]
    else:
        x_val = np.asarray(x_val, dtype=np.float32)
        y_val = np.asarray(y_val, dtype=y.dtype).reshape((len(x_val), *y.shape[1:]))
    info = DatasetInfo(name=name, task=task, n_features=x.shape[1], n_classes=n_classes,
                       n_targets=n_targets)
    return Splits(info, Preprocessing(), x, y, x_val, y_val)


# --------------------------------------------------------------------------- toy data


def xor_data() -> tuple[np.ndarray, np.ndarray]:
    """The four XOR points and their 0/1 labels."""
    x = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    return x, np.array([0, 1, 1, 0])


def square_data(n: int = 201) -> tuple[np.ndarray, np.ndarray]:
    """``y = x**2`` on ``n`` evenly spaced points of [0, 1]; ``x`` and ``y`` are ``(n, 1)``."""
    x = np.linspace(0.0, 1.0, n)[:, None]
    return x, x ** 2


def two_spirals(n_per_class: int = 200, *, turns: float = 1.75, radius: float = 5.0,
                noise: float = 0.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved spirals as in TensorFlow Playground (radius up to ``radius``).

    Class ``k`` is the point set ``r (sin t, cos t)`` with ``r`` growing linearly to
    ``radius`` while ``t`` makes ``turns`` turns, the second spiral rotated by pi.
    """
    rng = np.random.default_rng(seed)
    s = np.arange(1, n_per_class + 1) / n_per_class  # not 0: both spirals would share (0, 0)
    r = radius * s
    xs, ys = [], []
    for label, shift in ((0, 0.0), (1, np.pi)):
        t = 2.0 * np.pi * turns * s + shift
        points = np.column_stack([r * np.sin(t), r * np.cos(t)])
        xs.append(points + noise * rng.standard_normal(points.shape))
        ys.append(np.full(n_per_class, label))
    return np.concatenate(xs), np.concatenate(ys)
