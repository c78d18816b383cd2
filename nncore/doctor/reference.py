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
rows (vectorised) and cached per ``Splits`` object; the line is skipped above
``LINEAR_MAX_FEATURES`` inputs (MNIST then takes about 0.05 s, the spirals 0.002 s).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from nncore.data.dataset import Splits

SAMPLE = 3000
VAL_SAMPLE = 600
LINEAR_MAX_FEATURES = 256
"""Above this many inputs (images) the straight-line fit is skipped: its d × d solve would
cost more than the rest of the doctor, and a line is no yardstick for pixels anyway."""
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
    """At most ``n`` rows (drawn before any conversion: MNIST is 48,000 × 784), float64."""
    y = np.asarray(y)
    if len(x) > n:
        rows = np.sort(np.random.default_rng(0).choice(len(x), n, replace=False))
        x, y = x[rows], y[rows]
    return np.asarray(x, dtype=np.float64), y


def _design(x: np.ndarray) -> np.ndarray:
    return np.column_stack([x, np.ones(len(x))])


def _measure(splits: Splits) -> Reference:
    task = splits.info.task
    wide = splits.n_inputs > LINEAR_MAX_FEATURES  # images: fewer rows, same estimate
    x, y = _sample(splits.x_train, splits.y_train, SAMPLE * 2 // 3 if wide else SAMPLE)
    xv, yv = _sample(splits.x_val, splits.y_val, VAL_SAMPLE // 2 if wide else VAL_SAMPLE)
    if len(x) == 0:
        return Reference(task)
    if task == "regression":
        return _regression(task, x, y.reshape(len(x), -1).astype(np.float64), xv,
                           yv.reshape(len(xv), -1).astype(np.float64))
    return _classification(task, x, y.reshape(-1).astype(np.int64), xv,
                           yv.reshape(-1).astype(np.int64), max(splits.info.n_classes, 2))


def _fit(x: np.ndarray, targets: np.ndarray) -> np.ndarray:
    a = _design(x)
    # the Gram matrix in float32 (MNIST: 785² × 3000, the largest product here), solved in
    # float64; the ridge keeps it well conditioned
    a32 = a.astype(np.float32)
    gram = (a32.T @ a32).astype(np.float64)
    gram[np.diag_indices_from(gram)] += RIDGE * max(1.0, float(np.trace(gram)) / len(gram))
    return np.linalg.solve(gram, a.T @ targets)


def _r2(y: np.ndarray, pred: np.ndarray, mean: np.ndarray) -> float:
    total = float(((y - mean) ** 2).sum())
    return 1.0 - float(((y - pred) ** 2).sum()) / total if total > 0 else math.nan


def _neighbours(x: np.ndarray, xv: np.ndarray) -> np.ndarray:
    """Indices of the ``NEIGHBOURS`` nearest training rows of every validation row."""
    cross = (xv.astype(np.float32) @ x.T.astype(np.float32)).astype(np.float64)
    d = (xv * xv).sum(1)[:, None] - 2 * cross + (x * x).sum(1)[None, :]
    k = min(NEIGHBOURS, len(x))
    return np.argpartition(d, k - 1, axis=1)[:, :k]


def _regression(task: str, x, y, xv, yv) -> Reference:
    if x.shape[1] > LINEAR_MAX_FEATURES:
        fields = {"target_variance": float(y.var(0).mean())}
        if len(xv) >= 10:
            fields["knn_val_metric"] = _r2(yv, y[_neighbours(x, xv)].mean(1), y.mean(0))
        return Reference(task, n_val=len(xv), **fields)
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
    linear = x.shape[1] <= LINEAR_MAX_FEATURES
    if linear:
        w = _fit(x, onehot)
        fields["linear_train_metric"] = float(np.mean((_design(x) @ w).argmax(1) == y))
    if len(xv) >= 10:
        if linear:
            fields["linear_val_metric"] = float(np.mean((_design(xv) @ w).argmax(1) == yv))
        votes = onehot[_neighbours(x, xv)].sum(1) + 1e-3 * counts / counts.sum()
        fields["knn_val_metric"] = float(np.mean(votes.argmax(1) == yv))
    return Reference(task, n_val=len(xv), **fields)
