"""How a tensor's values are distributed over time, in bounded memory (no Qt).

``DistributionHistory`` keeps one histogram column per update, like TensorBoard's
distribution view: x is training time (fractional epochs), y the value bins, the colour the
share of values in a bin. Bins are symmetric around 0 and the range only grows: when a
value falls outside, the range doubles and old columns are re-binned exactly (pairs of
bins merge). When ``max_columns`` are stored, neighbouring columns are averaged in pairs
and later updates are sampled half as often, so memory stays fixed for any run length.
"""

from __future__ import annotations

import math

import numpy as np

MAX_VALUES = 100_000
"""Tensors larger than this are subsampled with a fixed stride before counting."""


def subsample(values: np.ndarray, max_values: int = MAX_VALUES) -> np.ndarray:
    """The values of a tensor, flattened, every ``ceil(size / max_values)``-th one."""
    flat = np.asarray(values).ravel()
    if flat.size <= max_values:
        return flat
    return flat[::math.ceil(flat.size / max_values)]


class DistributionHistory:
    """Histogram columns over time: ``density`` is ``(n_bins, n_columns)``.

    With ``log_magnitude=True`` the values counted are ``log10 |v|`` in the fixed range
    ``LOG_RANGE`` (values beyond it land in the end bins): gradients shrink by orders of
    magnitude during training, which a linear axis would flatten into one line.
    """

    LOG_RANGE = (-10.0, 2.0)

    def __init__(self, n_bins: int = 64, max_columns: int = 200,
                 log_magnitude: bool = False) -> None:
        if n_bins % 4:
            raise ValueError(f"n_bins must be a multiple of 4, got {n_bins}")
        self.n_bins, self.max_columns = n_bins, max_columns
        self.log_magnitude = log_magnitude
        self.clear()

    @property
    def value_range(self) -> tuple[float, float]:
        """The y range the bins cover."""
        if self.log_magnitude:
            return self.LOG_RANGE
        return -self.half_range, self.half_range

    def clear(self) -> None:
        """Forget every column."""
        self.half_range = 0.0
        self._density = np.zeros((self.n_bins, self.max_columns), dtype=np.float32)
        self._x = np.zeros(self.max_columns)
        self.n_columns = 0
        self.interval = 0.0  # least x between two stored columns (grows as they merge)

    @property
    def density(self) -> np.ndarray:
        """Share of the values in each bin (columns sum to 1), oldest column first."""
        return self._density[:, :self.n_columns]

    @property
    def x(self) -> np.ndarray:
        """The time of each column."""
        return self._x[:self.n_columns]

    @property
    def edges(self) -> np.ndarray:
        """Bin edges, ``n_bins + 1`` values across ``value_range``."""
        return np.linspace(*self.value_range, self.n_bins + 1)

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The stored columns (``density``, ``x``) and how they are binned (``scale``:
        half range and interval), for saving with the project."""
        return {"density": self.density.copy(), "x": self.x.copy(),
                "scale": np.array([self.half_range, self.interval])}

    def restore(self, arrays: dict[str, np.ndarray]) -> bool:
        """Take back what ``to_arrays`` gave; False (and nothing changed) if the arrays
        do not fit this history's bins."""
        density = np.asarray(arrays.get("density", ()), dtype=np.float32)
        x = np.asarray(arrays.get("x", ()), dtype=np.float64).reshape(-1)
        scale = np.asarray(arrays.get("scale", ()), dtype=np.float64).reshape(-1)
        n = x.size
        if density.shape != (self.n_bins, n) or scale.size != 2 or \
                not 0 < n < self.max_columns or not np.all(np.isfinite(scale)):
            return False
        self.clear()
        self._density[:, :n] = density
        self._x[:n] = x
        self.n_columns = n
        self.half_range, self.interval = float(scale[0]), float(scale[1])
        return True

    def add(self, values: np.ndarray, x: float) -> None:
        """Count ``values`` (already subsampled) as the column at time ``x``."""
        values = np.asarray(values).ravel()
        finite = values[np.isfinite(values)]
        if self.log_magnitude:
            low, high = self.LOG_RANGE
            with np.errstate(divide="ignore"):
                logs = np.clip(np.log10(np.abs(finite)), low, high)
            counts, _ = np.histogram(logs, bins=self.n_bins, range=self.LOG_RANGE)
            self._place((counts / max(values.size, 1)).astype(np.float32), float(x))
            return
        peak = float(np.max(np.abs(finite))) if finite.size else 0.0
        if self.half_range == 0.0:
            self.half_range = 2.0 ** math.ceil(math.log2(peak)) if peak > 0 else 1.0
        while peak > self.half_range:
            self._widen()
        counts, _ = np.histogram(finite, bins=self.n_bins,
                                 range=(-self.half_range, self.half_range))
        column = counts / max(values.size, 1)
        self._place(column.astype(np.float32), float(x))

    def _place(self, column: np.ndarray, x: float) -> None:
        n = self.n_columns
        if n >= 2 and x - self._x[n - 2] < self.interval:
            n -= 1  # too soon after the last kept column: replace the newest one
        self._density[:, n] = column
        self._x[n] = x
        self.n_columns = n + 1
        if self.n_columns >= self.max_columns:
            self._merge_columns()

    def _merge_columns(self) -> None:
        n = self.n_columns - self.n_columns % 2
        half = n // 2
        d, xs = self._density, self._x
        d[:, :half] = 0.5 * (d[:, 0:n:2] + d[:, 1:n:2])
        xs[:half] = xs[1:n:2]
        if self.n_columns % 2:  # an odd newest column stays on its own
            d[:, half] = d[:, n]
            xs[half] = xs[n]
            half += 1
        self.n_columns = half
        self.interval = (xs[half - 1] - xs[0]) / max(half - 1, 1)

    def _widen(self) -> None:
        """Double the range; old bins 2i and 2i+1 become new bin n/4 + i (exact)."""
        d = self._density[:, :self.n_columns]
        merged = d[0::2] + d[1::2]
        d[:] = 0.0
        quarter = self.n_bins // 4
        d[quarter:quarter + self.n_bins // 2] = merged
        self.half_range *= 2.0
