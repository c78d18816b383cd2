"""Fit, apply and store the input transform: derived features, then scaling.

``transform(x) = (add_features(x) - offset) / scale``, with ``offset`` and ``scale`` fitted
on the training split only:

- ``standard``: offset = mean, scale = standard deviation (``ddof=0``);
- ``minmax``:   offset = minimum, scale = maximum - minimum, so training inputs fall in [0, 1];
- ``none``:     the identity (no offset or scale).

A column that is constant on the training split (scale 0, or below float32 resolution)
gets scale 1. Parameters are stored as float32 and the transform runs in float32. The
dictionary form (``preprocessing_to_dict``) holds only JSON types, so a project file
stores it and a saved model sees exactly the inputs it was trained on.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from nncore._types import Array
from nncore.data.dataset import Preprocessing
from nncore.data.features import add_features, canonical_features
from nncore.errors import DataError

METHODS = ("none", "standard", "minmax")
_KEYS = ("features", "method", "offset", "scale", "feature_names", "target_offset",
         "target_scale")


def fit_preprocessing(x_raw: Array, features: Sequence[str], method: str,
                      raw_names: Sequence[str] = ()) -> Preprocessing:
    """Fit the transform on the raw training inputs.

    Parameters
    ----------
    x_raw : ndarray of shape (n_train, n_raw), float32
    features : sequence of str
        Derived features to append (see ``nncore.data.features``).
    method : {"none", "standard", "minmax"}
    raw_names : sequence of str, optional
        Names of the raw inputs (default ``x1``, ``x2``, ...).
    """
    if method not in METHODS:
        raise DataError(f"unknown normalisation {method!r}; use one of {list(METHODS)}")
    features = canonical_features(features)
    inputs = add_features(np.asarray(x_raw, dtype=np.float32), features)
    names = tuple(raw_names) or tuple(f"x{i + 1}" for i in range(x_raw.shape[1]))
    names = names + features
    if method == "none":
        return Preprocessing(features, "none", None, None, names)
    if method == "standard":
        offset = inputs.mean(axis=0, dtype=np.float64)
        scale = inputs.std(axis=0, dtype=np.float64)
    else:
        offset = inputs.min(axis=0).astype(np.float64)
        scale = inputs.max(axis=0).astype(np.float64) - offset
    flat = scale <= np.finfo(np.float32).eps * np.abs(offset)  # below float32 resolution
    scale = np.where(flat | (scale == 0), 1.0, scale)
    return Preprocessing(features, method, offset.astype(np.float32), scale.astype(np.float32),
                         names)


def apply_preprocessing(prep: Preprocessing, x: Array) -> Array:
    """What the network sees for raw inputs ``x``.

    Parameters
    ----------
    prep : Preprocessing
    x : ndarray of shape (n_samples, n_raw)
        Raw inputs, as the data set holds them.

    Returns
    -------
    ndarray of shape (n_samples, n_raw + len(prep.features)), float32
        ``x`` itself (as float32) when the transform is the identity.
    """
    x = np.asarray(x)
    if x.ndim != 2:
        raise DataError(f"inputs must have shape (n_samples, n_features), got {x.shape}; "
                        "reshape a single feature with x.reshape(-1, 1)")
    if x.dtype.kind not in "biuf":
        raise DataError(f"inputs must be numbers, got dtype {x.dtype}")
    if prep.feature_names:
        n_raw = len(prep.feature_names) - len(prep.features)
        if x.shape[1] != n_raw:
            raise DataError(f"the inputs have {x.shape[1]} features but the preprocessing was "
                            f"fitted on {n_raw} ({', '.join(prep.feature_names[:n_raw])})")
    inputs = add_features(x.astype(np.float32, copy=False), prep.features)
    if prep.method == "none" or prep.offset is None or prep.scale is None:
        return inputs
    if inputs.shape[1] != len(prep.offset):
        raise DataError(f"the preprocessing scales {len(prep.offset)} inputs but got "
                        f"{inputs.shape[1]}")
    offset = np.asarray(prep.offset, dtype=np.float32)
    scale = np.asarray(prep.scale, dtype=np.float32)
    return (inputs - offset) / scale


def preprocessing_to_dict(prep: Preprocessing) -> dict[str, Any]:
    """A JSON-ready dictionary of ``prep`` (lists of floats, no arrays)."""
    def numbers(values: Array | None) -> list[float] | None:
        return None if values is None else [float(v) for v in np.asarray(values).ravel()]

    out = {"features": list(prep.features), "method": prep.method,
           "offset": numbers(prep.offset), "scale": numbers(prep.scale),
           "feature_names": list(prep.feature_names)}
    if prep.target_scale is not None:  # optional keys: older files have none
        out.update(target_offset=numbers(prep.target_offset),
                   target_scale=numbers(prep.target_scale))
    return out


def _strings(d: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = d.get(key, [])
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise DataError(f"preprocessing.{key} must be a list of strings, got {value!r}")
    return tuple(value)


def _vector(d: Mapping[str, Any], key: str) -> Array | None:
    value = d.get(key)
    if value is None:
        return None
    if not isinstance(value, (list, tuple)) or not value or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
            for v in value):
        raise DataError(f"preprocessing.{key} must be a non-empty list of finite numbers, "
                        f"got {value!r:.80}")
    return np.asarray(value, dtype=np.float32)


def preprocessing_from_dict(d: Any) -> Preprocessing:
    """Read ``preprocessing_to_dict`` output back, checking every field.

    Raises
    ------
    DataError
        Naming the field that is missing, of the wrong type or inconsistent.
    """
    if not isinstance(d, Mapping):
        raise DataError(f"preprocessing must be an object, got {type(d).__name__}")
    unknown = sorted(set(d) - set(_KEYS))
    if unknown:
        raise DataError(f"preprocessing: unknown field {unknown[0]!r}; known fields: "
                        f"{list(_KEYS)}")
    method = d.get("method", "none")
    if method not in METHODS:
        raise DataError(f"preprocessing.method must be one of {list(METHODS)}, got {method!r}")
    features = canonical_features(_strings(d, "features"))
    names = _strings(d, "feature_names")
    offset, scale = _vector(d, "offset"), _vector(d, "scale")
    if method == "none":
        if offset is not None or scale is not None:
            raise DataError("preprocessing: method 'none' takes no offset or scale")
    elif offset is None or scale is None or len(offset) != len(scale):
        raise DataError(f"preprocessing: method {method!r} needs offset and scale lists of "
                        "the same length")
    elif not np.all(scale > 0):
        raise DataError("preprocessing.scale must hold numbers > 0")
    elif names and len(names) != len(offset):
        raise DataError(f"preprocessing: {len(names)} feature names but {len(offset)} "
                        "offsets; they must match")
    if names and len(names) < len(features):
        raise DataError("preprocessing: fewer feature names than derived features")
    t_offset, t_scale = _vector(d, "target_offset"), _vector(d, "target_scale")
    if (t_offset is None) != (t_scale is None) or (
            t_scale is not None and (len(t_offset) != len(t_scale) or not np.all(t_scale > 0))):
        raise DataError("preprocessing: target_offset and target_scale must both be lists "
                        "of the same length (scales > 0)")
    return Preprocessing(features, method, offset, scale, names, t_offset, t_scale)


def fit_target_scaling(prep: Preprocessing, y_train: np.ndarray) -> Preprocessing:
    """``prep`` with the mean and standard deviation of each regression target column
    (fitted on the training split; a constant column gets scale 1)."""
    from dataclasses import replace

    y = np.asarray(y_train, dtype=np.float64).reshape(len(y_train), -1)
    if len(y) == 0:
        return prep
    offset, scale = y.mean(axis=0), y.std(axis=0)
    scale = np.where(scale <= 1e-12 * np.maximum(np.abs(offset), 1.0), 1.0, scale)
    return replace(prep, target_offset=offset.astype(np.float32),
                   target_scale=scale.astype(np.float32))
