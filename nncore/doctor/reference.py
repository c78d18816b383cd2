"""What is attainable on a data set: the yardsticks the doctor judges a run against.

A fixed bar ("training accuracy under 0.9 is a failure") cries wolf on noisy data, where
no model reaches 0.9. So before judging a run the doctor measures the data once, cheaply:

- the **majority share** (accuracy of always answering the most frequent class);
- the **best straight line**: a least-squares fit of the targets (one-hot columns for
  classes) on the inputs, in closed form. Its training MSE, R² or accuracy is what any
  network must beat to have used its non-linearity;
- a **nearest-neighbour** estimate of the attainable validation score: k-NN (k = 5) on a
  subsample, no training, no assumption about the shape of the boundary. Where it is at
  chance, the inputs carry no usable information about the labels.

Everything is computed on at most ``SAMPLE`` training rows and ``VAL_SAMPLE`` validation
rows (vectorised; MNIST takes about 0.1 s) and cached per ``Splits`` object.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from nncore.data.dataset import Splits

SAMPLE = 3000
VAL_SAMPLE = 600
NEIGHBOURS = 5
RIDGE = 1e-6

_CACHE: dict[int, tuple[Splits, Reference]] = {}


@dataclass(frozen=True)
class Reference:
    """Yardsticks for one data set (NaN where they do not apply).

    ``linear_train_loss``: training MSE of the least-squares line (regression) or NaN;
    ``linear_train_metric`` / ``linear_val_metric``: its R² or accuracy;
    ``knn_val_metric``: k-NN validation R² or accuracy (NaN without a validation split).
    """

    task: str
    majority: float = math.nan
    target_variance: float = math.nan
    linear_train_loss: float = math.nan
    linear_train_metric: float = math.nan
    linear_val_metric: float = math.nan
    knn_val_metric: float = math.nan
    n_val: int = 0

    @property
    def attainable(self) -> float:
        """The best score the data evidently allows (k-NN or the line, whichever is
        higher), NaN when unknown."""
        values = [v for v in (self.knn_val_metric, self.linear_val_metric,
                              self.linear_train_metric) if math.isfinite(v)]
        return max(values) if values else math.nan

    def chance_bound(self, n_val: int) -> float:
        """An accuracy no better than this is chance: the majority share plus two binomial
        standard errors (and at least a tenth of the minority's share)."""
        p = self.majority
        return p + max(0.1 * (1 - p), 2 * math.sqrt(p * (1 - p) / max(n_val, 1)))


def reference_for(splits: Splits) -> Reference:
    """The (cached) yardsticks of ``splits``."""
    key = id(splits)
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is splits:
        return hit[1]
    try:
        ref = _measure(splits)
    except (ValueError, np.linalg.LinAlgError, MemoryError):
        ref = Reference(splits.info.task)
    if len(_CACHE) > 8:
        _CACHE.clear()
    _CACHE[key] = (splits, ref)
    return ref


def _sample(x: np.ndarray, y: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    if len(x) <= n:
        return x, y
    rows = np.random.default_rng(0).choice(len(x), n, replace=False)
    return x[rows], y[rows]


def _design(x: np.ndarray) -> np.ndarray:
    return np.column_stack([x, np.ones(len(x))])


def _measure(splits: Splits) -> Reference:
    task = splits.info.task
    x, y = _sample(np.asarray(splits.x_train, np.float64), np.asarray(splits.y_train), SAMPLE)
    xv, yv = _sample(np.asarray(splits.x_val, np.float64), np.asarray(splits.y_val),
                     VAL_SAMPLE)
    if len(x) == 0:
        return Reference(task)
    if task == "regression":
        return _regression(task, x, y.reshape(len(x), -1).astype(np.float64), xv,
                           yv.reshape(len(xv), -1).astype(np.float64))
    return _classification(task, x, y.reshape(-1).astype(np.int64), xv,
                           yv.reshape(-1).astype(np.int64), max(splits.info.n_classes, 2))


def _fit(x: np.ndarray, targets: np.ndarray) -> np.ndarray:
    a = _design(x)
    gram = a.T @ a
    gram[np.diag_indices_from(gram)] += RIDGE * max(1.0, float(np.trace(gram)) / len(gram))
    return np.linalg.solve(gram, a.T @ targets)


def _r2(y: np.ndarray, pred: np.ndarray, mean: np.ndarray) -> float:
    total = float(((y - mean) ** 2).sum())
    return 1.0 - float(((y - pred) ** 2).sum()) / total if total > 0 else math.nan


def _neighbours(x: np.ndarray, xv: np.ndarray) -> np.ndarray:
    """Indices of the ``NEIGHBOURS`` nearest training rows of every validation row."""
    d = (xv * xv).sum(1)[:, None] - 2 * xv @ x.T + (x * x).sum(1)[None, :]
    k = min(NEIGHBOURS, len(x))
    return np.argpartition(d, k - 1, axis=1)[:, :k]


def _regression(task: str, x, y, xv, yv) -> Reference:
    w = _fit(x, y)
    pred = _design(x) @ w
    mean = y.mean(0)
    variance = float(y.var(0).mean())
    fields = {"target_variance": variance,
              "linear_train_loss": float(((y - pred) ** 2).mean()),
              "linear_train_metric": _r2(y, pred, mean)}
    if len(xv) >= 10:
        fields["linear_val_metric"] = _r2(yv, _design(xv) @ w, mean)
        fields["knn_val_metric"] = _r2(yv, y[_neighbours(x, xv)].mean(1), mean)
    return Reference(task, n_val=len(xv), **fields)


def _classification(task: str, x, y, xv, yv, k: int) -> Reference:
    counts = np.bincount(y, minlength=k)
    fields = {"majority": float(counts.max() / counts.sum())}
    onehot = np.eye(k)[y]
    w = _fit(x, onehot)
    fields["linear_train_metric"] = float(np.mean((_design(x) @ w).argmax(1) == y))
    if len(xv) >= 10:
        fields["linear_val_metric"] = float(np.mean((_design(xv) @ w).argmax(1) == yv))
        votes = onehot[_neighbours(x, xv)].sum(1) + 1e-3 * counts / counts.sum()
        fields["knn_val_metric"] = float(np.mean(votes.argmax(1) == yv))
    return Reference(task, n_val=len(xv), **fields)
