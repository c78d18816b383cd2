"""Rewinding a run: weight snapshots kept during training, thinned to stay small.

A ``SnapshotKeeper`` keeps the network's weights at epoch 0 and every ``every`` epochs
after it, plus always the latest epoch. When it holds more than its limit (at most
``MAX_COUNT`` snapshots, and no more than ``MAX_MB`` megabytes of weights), ``every``
doubles and the snapshots off the new grid are dropped, so a long run keeps an evenly
spread record of its whole history: 200 snapshots of a 500-epoch run are about every 4th
epoch, of a 5,000-epoch run about every 32nd. Each snapshot also carries the epoch's
losses and metrics (NaN for epoch 0, before any training) for captions.

The keeper is what the timeline shows, what ``nncore animate`` draws and what
"continue training from here" branches from (``branch_project``). It is saved in the
project (``docs/project-format.md``: ``snapshots/...`` arrays).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from nncore._types import Array

if TYPE_CHECKING:
    from nncore.network import Network
    from nncore.project import Project
    from nncore.training import EpochRecord

MAX_COUNT = 200
"""Most snapshots kept (the timeline's resolution)."""
MAX_MB = 32.0
"""Most megabytes of weights kept; big networks keep fewer snapshots."""
SCALARS = ("epoch", "step", "train_loss", "val_loss", "train_metric", "val_metric")
"""Per-snapshot numbers stored next to the weights."""


@dataclass(frozen=True)
class KeptSnapshot:
    """The weights at the end of one epoch (epoch 0: before training), with its scores."""

    epoch: int
    step: int
    train_loss: float
    val_loss: float
    train_metric: float
    val_metric: float
    weights: Mapping[str, Array]

    @property
    def nbytes(self) -> int:
        return sum(int(np.asarray(w).nbytes) for w in self.weights.values())


@dataclass
class SnapshotKeeper:
    """Thinned weight snapshots of one run (see the module docstring)."""

    every: int = 1
    max_count: int = MAX_COUNT
    max_mb: float = MAX_MB
    kept: list[KeptSnapshot] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.kept)

    @property
    def epochs(self) -> tuple[int, ...]:
        """The epochs kept, in order."""
        return tuple(s.epoch for s in self.kept)

    @property
    def nbytes(self) -> int:
        return sum(s.nbytes for s in self.kept)

    def limit(self, snapshot_bytes: int) -> int:
        """How many snapshots of ``snapshot_bytes`` each may be kept (at least 2)."""
        by_memory = int(self.max_mb * 1024 ** 2 // max(1, snapshot_bytes))
        return max(2, min(self.max_count, by_memory))

    def get(self, epoch: int) -> KeptSnapshot:
        """The snapshot of ``epoch``; ``KeyError`` naming the kept epochs if there is none."""
        for s in self.kept:
            if s.epoch == epoch:
                return s
        raise KeyError(f"no snapshot of epoch {epoch} is kept (kept: "
                       f"{_epochs_text(self.epochs)})")

    def nearest(self, epoch: int) -> KeptSnapshot:
        """The kept snapshot closest to ``epoch`` (the earlier one on a tie)."""
        if not self.kept:
            raise KeyError("no snapshots are kept")
        return min(self.kept, key=lambda s: (abs(s.epoch - epoch), s.epoch))

    def add(self, snapshot: KeptSnapshot) -> None:
        """Keep ``snapshot`` (a later epoch than any kept), then thin to the limit."""
        if self.kept and snapshot.epoch <= self.kept[-1].epoch:
            self.kept = [s for s in self.kept if s.epoch < snapshot.epoch]
        if self.kept and not self._on_grid(self.kept[-1].epoch):
            self.kept.pop()  # the previous "latest" was only kept for being the latest
        self.kept.append(snapshot)
        self._thin()

    def observe(self, network: Network, record: EpochRecord | None = None) -> None:
        """Keep the network's weights now: after epoch ``record.epoch`` (None: epoch 0)."""
        if record is None:
            self.add(KeptSnapshot(0, 0, *(math.nan,) * 4, network.get_weights()))
            return
        self.add(KeptSnapshot(record.epoch, record.step, record.train_loss, record.val_loss,
                              record.train_metric, record.val_metric, network.get_weights()))

    def _on_grid(self, epoch: int) -> bool:
        return epoch % self.every == 0

    def _thin(self) -> None:
        limit = self.limit(self.kept[-1].nbytes)
        while len(self.kept) > limit:
            self.every *= 2
            last = self.kept[-1]
            self.kept = [s for s in self.kept[:-1] if self._on_grid(s.epoch)] + [last]
            if self.every > 2 ** 40:  # (cannot happen with limit >= 2; no endless loop)
                break

    def truncate(self, epoch: int) -> SnapshotKeeper:
        """A copy keeping the snapshots up to and including ``epoch``."""
        return dataclasses.replace(self, kept=[s for s in self.kept if s.epoch <= epoch])

    def copy(self) -> SnapshotKeeper:
        """A copy whose list does not grow with this one (the arrays are never changed)."""
        return dataclasses.replace(self, kept=list(self.kept))

    # -- files ------------------------------------------------------------------------

    def settings(self) -> dict[str, Any]:
        """The JSON part (``project.json``'s ``snapshots`` key)."""
        return {"every": self.every, "max_count": self.max_count, "max_mb": self.max_mb}

    def to_arrays(self) -> dict[str, np.ndarray]:
        """``epoch``, ``step``, scores and ``weights/<name>`` stacked along a first axis."""
        if not self.kept:
            return {}
        arrays: dict[str, np.ndarray] = {
            name: np.array([getattr(s, name) for s in self.kept],
                           dtype=np.int64 if name in ("epoch", "step") else np.float64)
            for name in SCALARS}
        for name in self.kept[0].weights:
            arrays[f"weights/{name}"] = np.stack([np.asarray(s.weights[name])
                                                  for s in self.kept])
        return arrays

    @classmethod
    def from_arrays(cls, settings: Mapping[str, Any] | None,
                    arrays: Mapping[str, np.ndarray]) -> SnapshotKeeper:
        """Inverse of ``settings`` and ``to_arrays``; ``ValueError`` says what is wrong."""
        keeper = cls(**_settings(settings or {}))
        if not arrays:
            return keeper
        epochs = _whole_column(arrays, "epoch")
        steps = _whole_column(arrays, "step")
        n = epochs.size
        if np.any(np.diff(epochs) < 1):
            raise ValueError("snapshot epochs must increase")
        scores = []
        for name in SCALARS[2:]:
            column = np.asarray(arrays.get(name, np.full(n, np.nan)), dtype=np.float64)
            scores.append(column.reshape(-1))
        weights = {k[len("weights/"):]: v for k, v in arrays.items()
                   if k.startswith("weights/")}
        if not weights:
            raise ValueError("snapshots hold no weights")
        for name, stack in weights.items():
            if stack.ndim < 2 or stack.shape[0] != n or stack.dtype.kind != "f":
                raise ValueError(f"snapshot weights {name!r} do not hold {n} floating-point "
                                 "arrays")
            if not np.all(np.isfinite(stack)):
                raise ValueError(f"snapshot weights {name!r} hold NaN or infinite values")
        if any(c.size != n for c in (steps, *scores)):
            raise ValueError("snapshot columns have different lengths")
        keeper.kept = [KeptSnapshot(int(epochs[i]), int(steps[i]),
                                    *(float(c[i]) for c in scores),
                                    {name: stack[i] for name, stack in weights.items()})
                       for i in range(n)]
        return keeper


def _settings(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Checked keeper settings from a project file."""
    unknown = set(raw) - {"every", "max_count", "max_mb"}
    if unknown:
        raise ValueError(f"unknown snapshot setting {sorted(unknown)[0]!r}")
    out: dict[str, Any] = {}
    for name, kind, low in (("every", int, 1), ("max_count", int, 2), ("max_mb", float, 0.0)):
        if name not in raw:
            continue
        value = raw[name]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or \
                (kind is int and not isinstance(value, int)) or not value >= low or \
                not math.isfinite(value):
            raise ValueError(f"snapshot setting {name!r} must be a number >= {low}, got "
                             f"{value!r}")
        out[name] = kind(value)
    return out


def _whole_column(arrays: Mapping[str, np.ndarray], name: str) -> np.ndarray:
    if name not in arrays:
        raise ValueError(f"snapshot column {name!r} is missing")
    column = np.asarray(arrays[name], dtype=np.float64).reshape(-1)
    if not (np.all(np.isfinite(column)) and np.all(column == np.round(column))
            and np.all(column >= 0)):
        raise ValueError(f"snapshot {name} numbers must be whole numbers >= 0")
    return column.astype(np.int64)


def _epochs_text(epochs: tuple[int, ...]) -> str:
    if not epochs:
        return "none"
    if len(epochs) <= 6:
        return ", ".join(map(str, epochs))
    return f"{len(epochs)} epochs from {epochs[0]} to {epochs[-1]}"


def branch_project(project: Project, epoch: int) -> Project:
    """``project`` as it was after ``epoch``: its weights then, its history and snapshots
    up to then. Training continues from there ("continue training from here").

    The optimizer's state (momentum, Adam's averages) is not kept in snapshots, so the
    branch starts it afresh, as a reset would.
    """
    from nncore.training import History

    keeper = project.snapshots
    if keeper is None or not len(keeper):
        raise ValueError("the project keeps no snapshots to continue from; train first")
    snapshot = keeper.get(epoch)
    history = None
    if project.history is not None:
        history = History(project.history.metric_name,
                          [r for r in project.history.records if r.epoch <= epoch])
    return dataclasses.replace(
        project, weights={k: np.array(v) for k, v in snapshot.weights.items()},
        optimizer_state=None, optimizer_step=0, history=history,
        snapshots=keeper.truncate(epoch))
