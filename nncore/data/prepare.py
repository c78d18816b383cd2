"""Split a data set into train / validation / test and fit its preprocessing.

Splitting rules (``prepare``):

- Seeded: the split uses the stream ``[spec.seed, 1]``, independent of the stream that
  generated a synthetic set, so the same spec gives the same split.
- Stratified for classification: each class contributes ``val_split`` (``test_split``) of
  its samples, rounded so the totals are ``round(fraction * n)``; every class keeps at
  least one training sample, so a class with one or two samples may be missing from the
  validation or test split (it is never missing from training).
- A set with its own test set (MNIST) keeps it as the test split; ``test_split`` is then
  ignored and only validation is split off.
- A set smaller than ``MIN_SPLIT_SAMPLES`` (the 4-sample logic gates) is not split: every
  sample trains and the validation split is empty, whatever ``val_split`` says. Holding
  out a truth-table row would make the gate impossible to learn.
- A requested split on a large enough set takes at least one sample.

Then derived features and scaling are fitted on the training split only and applied to
every split (``nncore.data.preprocessing``).
"""

from __future__ import annotations

import numpy as np

from nncore._types import Array
from nncore.data.dataset import Dataset, Splits
from nncore.data.drawn import own_samples
from nncore.data.features import canonical_features
from nncore.data.preprocessing import (
    apply_preprocessing,
    fit_preprocessing,
    preprocessing_from_dict,
    preprocessing_to_dict,
)
from nncore.errors import DataError
from nncore.spec import AUTO, DataSpec, validate_data

MIN_SPLIT_SAMPLES = 10
SPLIT_STREAM = 1

__all__ = ["MIN_SPLIT_SAMPLES", "apply_preprocessing", "one_hot", "prepare",
           "preprocessing_from_dict", "preprocessing_to_dict", "split_indices"]


def one_hot(labels: np.ndarray, n_classes: int) -> Array:
    """Class labels as one-hot rows.

    Parameters
    ----------
    labels : ndarray of shape (n_samples,), integers in ``0..n_classes-1``
    n_classes : int

    Returns
    -------
    ndarray of shape (n_samples, n_classes), float32
    """
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise DataError(f"labels must be integers of shape (n_samples,), got {labels.dtype} "
                        f"of shape {labels.shape}")
    if len(labels) and (labels.min() < 0 or labels.max() >= n_classes):
        raise DataError(f"labels must be in 0..{n_classes - 1}, got values from "
                        f"{labels.min()} to {labels.max()}")
    out = np.zeros((len(labels), n_classes), dtype=np.float32)
    out[np.arange(len(labels)), labels] = 1.0
    return out


def _allocate(counts: np.ndarray, fraction: float, room: np.ndarray) -> np.ndarray:
    """Per-group sample counts summing to ``round(fraction * total)`` (at least 1).

    Proportional to ``counts`` (largest remainders first), never more than ``room``.
    """
    take = np.zeros(len(counts), dtype=np.int64)
    if fraction <= 0:
        return take
    exact = fraction * counts
    total = min(max(int(np.floor(fraction * counts.sum() + 0.5)), 1), int(room.sum()))
    take = np.minimum(np.floor(exact).astype(np.int64), room)
    order = np.argsort(-(exact - np.floor(exact)), kind="stable")
    while take.sum() < total:
        for group in order:
            if take.sum() < total and take[group] < room[group]:
                take[group] += 1
    return take


def split_indices(y: np.ndarray, *, stratify: bool, val_split: float, test_split: float,
                  rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shuffled train, validation and test row indices (see the module docstring).

    Parameters
    ----------
    y : ndarray of shape (n_samples,) labels, or (n_samples, n_targets)
    stratify : bool
        Split each class in the same proportions.
    val_split, test_split : float
        Fractions in [0, 1) of all samples.
    rng : numpy.random.Generator
    """
    n = len(y)
    empty = np.zeros(0, dtype=np.int64)
    if n < MIN_SPLIT_SAMPLES or (val_split <= 0 and test_split <= 0):
        return rng.permutation(n), empty, empty
    groups = [np.flatnonzero(y == c) for c in np.unique(y)] if stratify else [np.arange(n)]
    groups = [rng.permutation(g) for g in groups]
    counts = np.array([len(g) for g in groups])
    n_val = _allocate(counts, val_split, np.maximum(counts - 1, 0))
    n_test = _allocate(counts, test_split, np.maximum(counts - 1 - n_val, 0))
    val = np.concatenate([g[:v] for g, v in zip(groups, n_val, strict=True)])
    test = np.concatenate([g[v:v + t] for g, v, t in zip(groups, n_val, n_test, strict=True)])
    train = np.concatenate([g[v + t:] for g, v, t in zip(groups, n_val, n_test, strict=True)])
    return rng.permutation(train), rng.permutation(val), rng.permutation(test)


def _check(dataset: Dataset, spec: DataSpec) -> None:
    problems = validate_data(spec)
    if problems:
        raise DataError("; ".join(str(p) for p in problems))
    x, y = dataset.x, dataset.y
    if x.ndim != 2 or len(x) != len(y) or len(x) == 0:
        raise DataError(f"{dataset.info.name}: inputs of shape {x.shape} and targets of shape "
                        f"{y.shape} do not make a data set (one target per input row)")


def prepare(dataset: Dataset, spec: DataSpec) -> Splits:
    """Split ``dataset`` and fit its preprocessing as ``spec`` says.

    Parameters
    ----------
    dataset : Dataset
        Raw data, e.g. from ``load_dataset(spec)``.
    spec : DataSpec
        Uses ``val_split``, ``test_split``, ``seed``, ``features`` and ``normalize``
        (``auto`` takes ``dataset.info.recommended_normalize``).

    Returns
    -------
    Splits
        ``x_*`` float32 of shape (n, n_raw + len(features)) as the network sees them;
        ``raw_train``/``raw_val`` the raw inputs of the same rows (the same arrays as
        ``x_train``/``x_val`` when the transform is the identity); ``x_test`` None when
        there is no test split. An empty validation split has 0 rows.
    """
    _check(dataset, spec)
    features = canonical_features(spec.features)
    method = dataset.info.recommended_normalize if spec.normalize == AUTO else spec.normalize
    fixed_test = dataset.x_test is not None and dataset.y_test is not None
    rng = np.random.default_rng([spec.seed, SPLIT_STREAM])
    train, val, test = split_indices(
        dataset.y, stratify=dataset.info.is_classification, val_split=spec.val_split,
        test_split=0.0 if fixed_test else spec.test_split, rng=rng)
    raw_train, raw_val, y_train = dataset.x[train], dataset.x[val], dataset.y[train]
    own = own_samples(spec, dataset.info)  # samples you added (drawn digits) always train
    if own is not None:
        raw_train = np.concatenate([raw_train, own[0].astype(raw_train.dtype)])
        y_train = np.concatenate([y_train, own[1].astype(y_train.dtype)])
    prep = fit_preprocessing(raw_train, features, method, dataset.info.feature_names)
    if fixed_test:
        x_test, y_test = apply_preprocessing(prep, dataset.x_test), dataset.y_test
    elif len(test):
        x_test, y_test = apply_preprocessing(prep, dataset.x[test]), dataset.y[test]
    else:
        x_test = y_test = None
    return Splits(dataset.info, prep, apply_preprocessing(prep, raw_train), y_train,
                  apply_preprocessing(prep, raw_val), dataset.y[val], x_test, y_test,
                  raw_train=raw_train, raw_val=raw_val)
