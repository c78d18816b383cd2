"""Turn arrays decoded from a user's file into a validated ``Dataset``.

Shared by the CSV, NPZ and IDX readers so every file gets the same rules: inputs are
finite float32 ``(n_samples, n_features)``; class labels (integers, strings or booleans)
are re-numbered ``0..K-1`` in sorted order with the original values as class names;
regression targets are finite float32 ``(n_samples, n_targets)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from nncore._types import Array
from nncore.data.dataset import Dataset, DatasetInfo
from nncore.errors import DataError

MAX_CLASSES = 1000
"""More distinct labels than this is almost surely a wrong target column."""

FLOAT32_MAX = float(np.finfo(np.float32).max)


def first_bad_value(values: np.ndarray) -> tuple[int, ...] | None:
    """Index of the first NaN, infinite or float32-overflowing entry, or None."""
    with np.errstate(invalid="ignore", over="ignore"):
        bad = ~np.isfinite(values) | (np.abs(values) > FLOAT32_MAX)
    if not bad.any():
        return None
    return tuple(int(i) for i in np.unravel_index(int(np.argmax(bad)), values.shape))


def describe_bad(value: float) -> str:
    """``NaN``, ``an infinite value`` or ``1e+39 (too large for float32)``."""
    if math.isnan(value):
        return "NaN"
    return "an infinite value" if math.isinf(value) else f"{value:g} (too large for float32)"


def to_float32(values: np.ndarray, path: Path | str, what: str) -> Array:
    """``values`` as float32 after checking every entry is finite and fits float32.

    Raises
    ------
    DataError
        Naming the file, the array and the row (and column) of the first bad value.
    """
    if values.dtype.kind not in "biuf":
        raise DataError(f"{path}: {what} must hold numbers, got dtype {values.dtype}")
    if values.dtype.kind == "f":
        where = first_bad_value(values)
        if where is not None:
            place = f"row {where[0]}" + (f", column {where[1]}" if len(where) > 1 else "")
            raise DataError(f"{path}: {what}: {describe_bad(float(values[where]))} at {place} "
                            "(counting from 0); remove or fill in missing and infinite values")
    return values.astype(np.float32)


def check_class_count(names: Sequence[str], path: Path | str, what: str) -> None:
    """Refuse a single class or more than ``MAX_CLASSES`` (an ID column as the target)."""
    if len(names) < 2:
        only = names[0] if names else "none"
        raise DataError(f"{path}: {what} has a single class ({only}); a classifier needs "
                        "at least two classes, or choose another target column")
    if len(names) > MAX_CLASSES:
        raise DataError(f"{path}: {what} has {len(names)} different values, too many to be "
                        f"class labels (at most {MAX_CLASSES}); choose another target column "
                        "or the task 'regression'")


def encode_labels(values: np.ndarray, path: Path | str,
                  what: str) -> tuple[np.ndarray, tuple[str, ...]]:
    """Class labels re-numbered ``0..K-1`` in sorted order, and the class names.

    Parameters
    ----------
    values : ndarray of shape (n_samples,)
        Integers, booleans or strings.

    Returns
    -------
    labels : ndarray of shape (n_samples,), int64
    class_names : tuple of str
        The original values, as text, in label order.
    """
    classes, labels = np.unique(values, return_inverse=True)
    names = tuple(str(c).strip() for c in classes.tolist())
    check_class_count(names, path, what)
    return labels.astype(np.int64).reshape(-1), names


def domain_of(x: Array) -> tuple[tuple[float, float], ...] | None:
    """A plotting range per feature (data range padded by 10%) for 1-D and 2-D inputs."""
    if x.shape[1] > 2 or len(x) == 0:
        return None
    lo, hi = x.min(axis=0).astype(float), x.max(axis=0).astype(float)
    pad = np.maximum((hi - lo) * 0.1, 0.5)
    return tuple((float(a - p), float(b + p)) for a, b, p in zip(lo, hi, pad, strict=True))


def file_dataset(path: Path, x: Array, y: np.ndarray, *, class_names: Sequence[str] = (),
                 feature_names: Sequence[str] = (), image_shape: tuple[int, ...] | None = None,
                 recommended_normalize: str = "standard", kind: str = "file",
                 x_test: Array | None = None, y_test: np.ndarray | None = None) -> Dataset:
    """A ``Dataset`` for arrays read from ``path`` (classification if ``class_names``).

    Parameters
    ----------
    x : ndarray of shape (n_samples, n_features), float32
    y : ndarray of shape (n_samples,) int64 labels, or (n_samples, n_targets) float32
    """
    if len(x) != len(y):
        raise DataError(f"{path}: the inputs have {len(x)} rows but the targets have "
                        f"{len(y)}; they must have one target per sample")
    if len(x) == 0 or x.shape[1] == 0:
        raise DataError(f"{path}: holds no samples or no input features (shape {x.shape}); "
                        "choose a file with data")
    n_classes = len(class_names)
    task = "regression" if not n_classes else "binary" if n_classes == 2 else "multiclass"
    names = tuple(feature_names) or tuple(f"x{i + 1}" for i in range(x.shape[1]))
    rows = f"{len(x)} samples x {x.shape[1]} features"
    info = DatasetInfo(
        name=path.name, task=task, n_features=int(x.shape[1]), n_classes=n_classes,
        n_targets=1 if n_classes else int(y.shape[1]), class_names=tuple(class_names),
        feature_names=names, image_shape=image_shape,
        description=f"Your {kind} {path.name}: {rows}, "
                    + (f"{n_classes} classes" if n_classes else "regression"),
        source=str(path.resolve()), recommended_normalize=recommended_normalize,
        domain=domain_of(x))
    return Dataset(info, x, y, x_test, y_test)
