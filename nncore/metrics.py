"""Metrics reported next to the loss: accuracy for classification, R² for regression."""

from __future__ import annotations

import numpy as np

from nncore._types import Array, IntArray


def accuracy(labels: IntArray, predicted: IntArray) -> float:
    """Fraction of samples whose predicted class equals the label."""
    labels = np.asarray(labels).reshape(-1)
    if labels.size == 0:
        return float("nan")
    return float(np.count_nonzero(labels == np.asarray(predicted).reshape(-1))) / labels.size


def r2_score(y_true: Array, y_pred: Array) -> float:
    """Coefficient of determination ``1 - SS_res / SS_tot``, averaged over target columns
    (scikit-learn's ``uniform_average``); a constant target column counts as 1 if predicted
    exactly and 0 otherwise."""
    y_true = np.asarray(y_true, dtype=np.float64).reshape(len(y_true), -1)
    y_pred = np.asarray(y_pred, dtype=np.float64).reshape(len(y_pred), -1)
    if y_true.shape[0] == 0:
        return float("nan")
    ss_res = ((y_true - y_pred) ** 2).sum(axis=0)
    ss_tot = ((y_true - y_true.mean(axis=0)) ** 2).sum(axis=0)
    safe = ss_tot > 0
    scores = np.where(safe, 1 - ss_res / np.where(safe, ss_tot, 1), (ss_res == 0) * 1.0)
    return float(scores.mean())


def confusion_matrix(labels: IntArray, predicted: IntArray, n_classes: int) -> IntArray:
    """``C[i, j]`` = number of samples of true class ``i`` predicted as class ``j``."""
    labels = np.asarray(labels).reshape(-1).astype(np.int64)
    predicted = np.asarray(predicted).reshape(-1).astype(np.int64)
    flat = np.bincount(labels * n_classes + predicted, minlength=n_classes * n_classes)
    return flat[: n_classes * n_classes].reshape(n_classes, n_classes)
