"""Growable NumPy buffers for plot histories that stay bounded however long a run goes.

A plot of a 100,000-epoch run cannot keep (or redraw) every point. ``HistoryBuffer`` grows
by doubling, like a Python list, until it holds ``max_points`` rows; then it keeps every
second row and from then on stores only every second row appended (every fourth after the
next halving, and so on). The kept rows are real samples (never averages), spread evenly
over the whole run, and the newest row is always shown, so the curve ends where training
is now. pyqtgraph's peak downsampling then draws what fits on screen.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

DEFAULT_MAX_POINTS = 20_000


class HistoryBuffer:
    """Named float64 columns appended row by row, in at most ``max_points + 1`` rows.

    ``column(name)`` returns a view of the kept rows plus the newest row (the *tail*) if
    the newest row was not kept; the view is valid until the next append.
    """

    def __init__(self, columns: Sequence[str], max_points: int = DEFAULT_MAX_POINTS,
                 initial_capacity: int = 256) -> None:
        if max_points < 2:
            raise ValueError(f"max_points must be at least 2, got {max_points}")
        self.names = tuple(columns)
        self.max_points = int(max_points)
        self._initial = max(2, min(int(initial_capacity), self.max_points + 1))
        self.clear()

    def clear(self) -> None:
        """Forget every row (a new run)."""
        self._data = {name: np.empty(self._initial) for name in self.names}
        self._kept = 0          # rows stored for good
        self._tail = False      # True when row ``_kept`` holds the newest, unkept row
        self._stride = 1        # keep one appended row in ``_stride``
        self._appended = 0      # rows appended since the last clear

    def __len__(self) -> int:
        """Rows visible in ``column()`` (kept rows plus the tail)."""
        return self._kept + self._tail

    @property
    def appended(self) -> int:
        """How many rows were appended in total (kept or not)."""
        return self._appended

    @property
    def stride(self) -> int:
        """One appended row in ``stride`` is kept (1 until the buffer first fills)."""
        return self._stride

    @property
    def capacity(self) -> int:
        """Rows allocated per column."""
        return len(self._data[self.names[0]])

    @property
    def nbytes(self) -> int:
        """Memory held by the columns."""
        return sum(column.nbytes for column in self._data.values())

    def column(self, name: str) -> np.ndarray:
        """The kept values of one column (oldest first), ending with the newest value."""
        return self._data[name][:len(self)]

    def last(self, name: str) -> float:
        """The newest value of a column (NaN when empty)."""
        return float(self._data[name][len(self) - 1]) if len(self) else float("nan")

    def append(self, *values: float) -> None:
        """Add one row, values in the order of ``columns``."""
        if len(values) != len(self.names):
            raise ValueError(f"expected {len(self.names)} values ({', '.join(self.names)}), "
                             f"got {len(values)}")
        keep = self._appended % self._stride == 0
        self._appended += 1
        self._ensure_room()
        for name, value in zip(self.names, values):
            self._data[name][self._kept] = value
        if keep:
            self._kept += 1
            self._tail = False
            if self._kept >= self.max_points:
                self._decimate()
        else:
            self._tail = True

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Every column's visible rows (copies), for saving with the project."""
        return {name: self.column(name).copy() for name in self.names}

    def extend(self, rows: np.ndarray | Sequence[Sequence[float]]) -> None:
        """Append several rows (shape ``(n, len(columns))``)."""
        for row in np.asarray(rows, dtype=np.float64).reshape(-1, len(self.names)):
            self.append(*row)

    def _ensure_room(self) -> None:
        capacity = self.capacity
        if self._kept < capacity:
            return
        grown = min(2 * capacity, self.max_points + 1)
        for name, old in self._data.items():
            new = np.empty(grown)
            new[:self._kept] = old[:self._kept]
            self._data[name] = new

    def _decimate(self) -> None:
        """Keep every second stored row and halve how many future rows are kept."""
        kept = self._kept
        for column in self._data.values():
            column[:(kept + 1) // 2] = column[:kept:2].copy()
        self._kept = (kept + 1) // 2
        self._stride *= 2  # kept rows are exactly the multiples of the stride: still true
