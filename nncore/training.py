"""The training loop: steps, epochs, evaluation, early stopping and the NaN guard.

``Trainer.train_step()`` runs one batch and is all a driver needs: the CLI's ``run()``, the
``snapshots()`` generator and the GUI worker are thin loops around it, and may pause or
stop between any two steps. ``snapshot()`` packages the state as small immutable data
(copies, never live arrays), with weights, gradients and per-layer statistics on request.

Semantics:
- ``batch_size=None`` is full-batch gradient descent, ``1`` stochastic, otherwise
  mini-batches; the training set is reshuffled every epoch from the run's seed.
- At the end of each epoch the network is evaluated exactly (evaluation mode, no dropout)
  on the validation set and on up to ``EVAL_LIMIT`` training samples (all of them for
  every toy and UCI set); ``running_loss`` is the mean of the epoch's batch objectives.
- If a batch loss (or an evaluation) is NaN or infinite, training stops at that step with
  ``StopReason.NON_FINITE`` and the weights from before the last update are restored.
"""

from __future__ import annotations

import enum
import math
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from nncore._types import Array
from nncore.diagnostics import LayerStats, layer_stats
from nncore.metrics import accuracy, r2_score
from nncore.network import Network, predicted_labels
from nncore.optimizers import Optimizer
from nncore.rewind import SnapshotKeeper
from nncore.schedules import Schedule

EVAL_LIMIT = 10_000
PROBE_SIZE = 512


class StopReason(enum.StrEnum):
    """Why a run ended."""

    COMPLETED = "completed"
    EARLY_STOPPING = "early-stopping"
    NON_FINITE = "non-finite-loss"
    STOPPED = "stopped"


@dataclass(frozen=True)
class TrainingData:
    """Inputs and encoded targets for training and validation, plus labels for accuracy.

    ``t_*`` are the targets as the loss compares them (one-hot rows, a 0/1 column or
    regression values); ``labels_*`` are class indices (classification only).
    """

    x_train: Array
    t_train: Array
    x_val: Array
    t_val: Array
    task: str
    labels_train: np.ndarray | None = None
    labels_val: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.x_train.shape[0] == 0:
            raise ValueError("there are no training samples")
        for name, x, t in (("training", self.x_train, self.t_train),
                           ("validation", self.x_val, self.t_val)):
            if x.shape[0] != t.shape[0]:
                raise ValueError(f"{name} inputs have {x.shape[0]} rows but targets have "
                                 f"{t.shape[0]}")
            if x.size and not np.all(np.isfinite(x)):
                raise ValueError(f"{name} inputs contain NaN or infinite values")
            if t.size and not np.all(np.isfinite(t)):
                raise ValueError(f"{name} targets contain NaN or infinite values")

    @property
    def metric_name(self) -> str:
        """``accuracy`` for classification, ``r2`` for regression."""
        return "r2" if self.task == "regression" else "accuracy"


@dataclass(frozen=True)
class EpochRecord:
    """One row of the history: exact metrics at the end of an epoch."""

    epoch: int
    step: int
    train_loss: float
    val_loss: float
    train_metric: float
    val_metric: float
    lr: float
    running_loss: float
    seconds: float


@dataclass
class History:
    """Per-epoch records of a run (appended as it goes, saved in project files)."""

    metric_name: str = "accuracy"
    records: list[EpochRecord] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.records)

    def column(self, name: str) -> np.ndarray:
        """One field of every record as a float array (``train_loss``, ``val_metric``...)."""
        return np.array([getattr(r, name) for r in self.records], dtype=np.float64)

    @property
    def last(self) -> EpochRecord | None:
        """The most recent record, if any."""
        return self.records[-1] if self.records else None

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Columns as arrays (for ``.npz`` files)."""
        names = EpochRecord.__dataclass_fields__
        return {name: self.column(name) for name in names}

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], metric_name: str) -> History:
        """Inverse of ``to_arrays``; ``ValueError`` if columns are missing or ragged."""
        names = list(EpochRecord.__dataclass_fields__)
        missing = [n for n in names if n not in arrays]
        if missing:
            raise ValueError(f"history column {missing[0]!r} is missing")
        columns = [np.asarray(arrays[n], dtype=np.float64).reshape(-1) for n in names]
        if len({c.size for c in columns}) > 1:
            raise ValueError("history columns have different lengths")
        records = [EpochRecord(*(int(v) if n in ("epoch", "step") else float(v)
                                 for n, v in zip(names, row))) for row in zip(*columns)]
        return cls(metric_name, records)


@dataclass(frozen=True)
class Snapshot:
    """The state of a run at one moment; plain data, safe to send to another thread."""

    epoch: int
    step: int
    step_in_epoch: int
    steps_per_epoch: int
    epochs_total: int
    batch_loss: float
    running_loss: float
    lr: float
    samples_per_s: float
    elapsed: float
    metric_name: str
    last_epoch: EpochRecord | None = None
    epoch_ended: bool = False
    stop_reason: StopReason | None = None
    message: str = ""
    weights: Mapping[str, Array] | None = None
    gradients: Mapping[str, Array] | None = None
    layer_stats: tuple[LayerStats, ...] | None = None

    @property
    def finished(self) -> bool:
        """True once the run has ended, whatever the reason."""
        return self.stop_reason is not None

    @property
    def progress(self) -> float:
        """Fraction of the planned steps done, in [0, 1]."""
        total = self.epochs_total * self.steps_per_epoch
        return min(1.0, self.step / total) if total else 1.0


class Callback:
    """Hooks for ``Trainer.run`` (Keras-style); override what you need."""

    def on_train_begin(self, trainer: Trainer) -> None: ...

    def on_epoch_end(self, trainer: Trainer, record: EpochRecord) -> None: ...

    def on_train_end(self, trainer: Trainer, snapshot: Snapshot) -> None: ...


class Trainer:
    """Trains a ``Network`` with an ``Optimizer`` on ``TrainingData``, one step at a time."""

    def __init__(self, network: Network, optimizer: Optimizer, data: TrainingData, *,
                 epochs: int, batch_size: int | None, rng: np.random.Generator,
                 schedule: Schedule | None = None, shuffle: bool = True,
                 early_stopping: int = 0, min_delta: float = 0.0,
                 restore_best: bool = True) -> None:
        if network.n_inputs != data.x_train.shape[1]:
            raise ValueError(f"the network expects {network.n_inputs} inputs but the data has "
                             f"{data.x_train.shape[1]} features")
        self.network, self.optimizer, self.data = network, optimizer, data
        self.epochs = int(epochs)
        self.rng = rng
        self.schedule = schedule or Schedule(t_max=max(1, self.epochs))
        self.shuffle = shuffle
        self.early_stopping, self.min_delta, self.restore_best = early_stopping, min_delta, \
            restore_best
        self.base_lr = optimizer.lr
        self.history = History(data.metric_name)
        self.epoch = 0
        self.step = 0
        self.batch_index = 0
        self.stop_reason: StopReason | None = None
        self.message = ""
        self.last_batch_loss = float("nan")
        self._dtype = network.dtype
        self._x = np.ascontiguousarray(data.x_train, dtype=self._dtype)
        self._t = np.ascontiguousarray(data.t_train, dtype=self._dtype)
        self._x_val = np.ascontiguousarray(data.x_val, dtype=self._dtype)
        self._t_val = np.ascontiguousarray(data.t_val, dtype=self._dtype)
        self._x_epoch, self._t_epoch = self._x, self._t
        self.set_batch_size(batch_size)
        self._backup = network.flat.values.copy()
        self._best: tuple[float, np.ndarray] | None = None
        self._bad_epochs = 0
        self._epoch_loss_sum = 0.0
        self._busy = 0.0
        self._rate_window: list[tuple[float, int]] = []
        self._stop_requested = False
        self._probe = self._x[:PROBE_SIZE]
        self._next_data: TrainingData | None = None
        self.keeper: SnapshotKeeper | None = None
        """Weight snapshots for rewinding (``nncore.rewind``); the session sets one up."""

    # -- settings that may change mid-run -----------------------------------------------------

    def set_batch_size(self, batch_size: int | None) -> None:
        """Full batch (None), stochastic (1) or mini-batches; takes effect next epoch."""
        self._next_batch_size = batch_size
        if self.batch_index == 0:  # between epochs; mid-epoch it would skip or repeat samples
            self._apply_batch_size()

    def _apply_batch_size(self) -> None:
        n, batch_size = self._x.shape[0], self._next_batch_size
        self.batch_size = n if batch_size is None else max(1, min(int(batch_size), n))
        self.steps_per_epoch = math.ceil(n / self.batch_size)

    def set_data(self, data: TrainingData) -> None:
        """Train on ``data`` from the next epoch on (drawn points added or erased while
        training runs); the network's inputs and outputs must keep their widths."""
        if data.x_train.shape[1] != self._x.shape[1] or \
                data.t_train.shape[1] != self._t.shape[1]:
            raise ValueError("new data must keep the number of inputs and outputs")
        self._next_data = data
        if self.batch_index == 0:
            self._apply_data()

    def _apply_data(self) -> None:
        data, self._next_data = self._next_data, None
        if data is None:
            return
        self.data = data
        self._x = np.ascontiguousarray(data.x_train, dtype=self._dtype)
        self._t = np.ascontiguousarray(data.t_train, dtype=self._dtype)
        self._x_val = np.ascontiguousarray(data.x_val, dtype=self._dtype)
        self._t_val = np.ascontiguousarray(data.t_val, dtype=self._dtype)
        self._x_epoch, self._t_epoch = self._x, self._t
        self._probe = self._x[:PROBE_SIZE]
        self._apply_batch_size()

    def set_base_lr(self, lr: float) -> None:
        """Change the learning rate (before the schedule) from the next step on."""
        if not (math.isfinite(lr) and lr > 0):
            raise ValueError(f"the learning rate must be > 0, got {lr!r}")
        self.base_lr = float(lr)

    def request_stop(self) -> None:
        """Ask the run to stop before its next step (safe to call from another thread)."""
        self._stop_requested = True

    @property
    def finished(self) -> bool:
        """True once the run has ended."""
        return self.stop_reason is not None

    # -- the loop -----------------------------------------------------------------------

    def _begin_epoch(self) -> None:
        self._apply_data()
        self._apply_batch_size()
        if self.shuffle and self.batch_size < self._x.shape[0]:
            order = self.rng.permutation(self._x.shape[0])
            if self._x_epoch is self._x:  # the first shuffle: buffers reused every epoch
                self._x_epoch, self._t_epoch = np.empty_like(self._x), np.empty_like(self._t)
            # mode="clip" writes straight into `out` (the default buffers a copy first)
            np.take(self._x, order, axis=0, out=self._x_epoch, mode="clip")
            np.take(self._t, order, axis=0, out=self._t_epoch, mode="clip")
        self._epoch_loss_sum = 0.0

    def train_step(self) -> bool:
        """Train on one batch. Returns True if this step completed an epoch.

        Does nothing (returns False) once the run is finished.
        """
        if self.stop_reason is not None:
            return False
        if self._stop_requested:
            self._finish(StopReason.STOPPED, "stopped by the user")
            return False
        started = time.perf_counter()
        try:
            return self._train_batch()
        finally:
            self._busy += time.perf_counter() - started

    # Overflow while diverging is expected and handled by the NaN guard below, not reported
    # as RuntimeWarnings (which the test configuration turns into errors). The decorator
    # form of errstate costs a third of a `with np.errstate()` block, on every step.
    @np.errstate(over="ignore", invalid="ignore", divide="ignore")
    def _train_batch(self) -> bool:
        if self.batch_index == 0:
            self._begin_epoch()
        start = self.batch_index * self.batch_size
        xb = self._x_epoch[start:start + self.batch_size]
        tb = self._t_epoch[start:start + self.batch_size]
        self.optimizer.lr = self.schedule.lr(
            self.base_lr, self.epoch, self.epoch + (self.batch_index + 1) / self.steps_per_epoch)
        loss, _ = self.network.compute_gradients(xb, tb)
        if not math.isfinite(loss):
            self._guard_non_finite(f"the loss became {loss} at step {self.step + 1}")
            return False
        self._backup[...] = self.network.flat.values  # for the NaN guard
        self.optimizer.step()
        self.last_batch_loss = loss
        self._epoch_loss_sum += loss
        self.step += 1
        self.batch_index += 1
        if self.batch_index >= self.steps_per_epoch:
            self._end_epoch()
            return True
        return False

    def _guard_non_finite(self, what: str) -> None:
        np.copyto(self.network.flat.values, self._backup)
        self._finish(StopReason.NON_FINITE,
                     f"{what}; training stopped and the last weights with a finite loss were "
                     "kept. Lower the learning rate (or clip gradients) and reset.")

    def _end_epoch(self) -> None:
        running = self._epoch_loss_sum / self.batch_index
        self.batch_index = 0
        self.epoch += 1
        record = self.evaluate_epoch(running)
        if not (math.isfinite(record.train_loss) and
                (math.isfinite(record.val_loss) or self._x_val.shape[0] == 0)):
            self._guard_non_finite(f"the evaluated loss became non-finite in epoch {self.epoch}")
            return
        self.history.records.append(record)
        if self.keeper is not None:
            self.keeper.observe(self.network, record)
        if self.early_stopping and self._early_stop_check(record):
            return
        if self.epoch >= self.epochs:
            self._finish(StopReason.COMPLETED, f"finished {self.epochs} epochs")

    def _early_stop_check(self, record: EpochRecord) -> bool:
        monitored = record.val_loss if self._x_val.shape[0] else record.train_loss
        if self._best is None or monitored < self._best[0] - self.min_delta:
            self._best = (monitored, self.network.flat.values.copy())
            self._bad_epochs = 0
            return False
        self._bad_epochs += 1
        if self._bad_epochs < self.early_stopping:
            return False
        if self.restore_best:
            np.copyto(self.network.flat.values, self._best[1])
        self._finish(StopReason.EARLY_STOPPING,
                     f"validation loss did not improve for {self.early_stopping} epochs"
                     + ("; restored the best weights" if self.restore_best else ""))
        return True

    def _finish(self, reason: StopReason, message: str) -> None:
        self.stop_reason, self.message = reason, message

    def resume(self, extra_epochs: int = 0) -> None:
        """Continue a run that stopped (by request, completion or early stopping)."""
        if self.stop_reason is StopReason.NON_FINITE:
            raise RuntimeError("a run stopped by a non-finite loss cannot resume; reset it")
        self.epochs = max(self.epochs, self.epoch) + int(extra_epochs)
        self.stop_reason, self.message, self._stop_requested = None, "", False
        self._bad_epochs = 0

    def restore_progress(self, history: History) -> None:
        """Continue counting from a saved run's history (weights are loaded separately)."""
        self.history = History(history.metric_name, list(history.records))
        if history.last is not None:
            self.epoch, self.step = history.last.epoch, history.last.step
        if self.epoch >= self.epochs:
            self._finish(StopReason.COMPLETED, f"finished {self.epoch} epochs")

    # -- evaluation ---------------------------------------------------------------------

    def evaluate(self, x: Array, t: Array, labels: np.ndarray | None) -> tuple[float, float]:
        """Exact (loss, metric) of the current network on a set, evaluation mode."""
        if x.shape[0] == 0:
            return float("nan"), float("nan")
        loss, outputs = self.network.loss_and_predictions(x, t)
        if self.data.task == "regression":
            return loss, r2_score(t, outputs)
        return loss, accuracy(labels, predicted_labels(outputs))

    def evaluate_epoch(self, running_loss: float = float("nan")) -> EpochRecord:
        """An ``EpochRecord`` for the network as it is now."""
        n = min(EVAL_LIMIT, self._x.shape[0])
        labels = None if self.data.labels_train is None else self.data.labels_train[:n]
        train_loss, train_metric = self.evaluate(self._x[:n], self._t[:n], labels)
        val_loss, val_metric = self.evaluate(self._x_val, self._t_val, self.data.labels_val)
        penalty = self.network.penalty()
        return EpochRecord(self.epoch, self.step, train_loss + penalty, val_loss + penalty
                           if self._x_val.shape[0] else float("nan"), train_metric, val_metric,
                           self.optimizer.lr, running_loss, self.elapsed)

    # -- drivers ------------------------------------------------------------------------

    @property
    def elapsed(self) -> float:
        """Seconds spent inside ``train_step`` (training and evaluation, not pauses)."""
        return self._busy

    def samples_per_second(self) -> float:
        """Training throughput over roughly the last second."""
        now = time.perf_counter()
        window = self._rate_window
        window.append((now, self.step))
        while len(window) > 2 and now - window[0][0] > 1.0:
            window.pop(0)
        dt = now - window[0][0]
        return (self.step - window[0][1]) * self.batch_size / dt if dt > 0 else 0.0

    def snapshot(self, *, weights: bool = False, gradients: bool = False,
                 stats: bool = False, epoch_ended: bool = False) -> Snapshot:
        """The current state; arrays (if asked for) are copies."""
        net = self.network
        return Snapshot(
            epoch=self.epoch, step=self.step, step_in_epoch=self.batch_index,
            steps_per_epoch=self.steps_per_epoch, epochs_total=self.epochs,
            batch_loss=self.last_batch_loss,
            running_loss=self._epoch_loss_sum / self.batch_index if self.batch_index else
            (self.history.last.running_loss if self.history.last else float("nan")),
            lr=self.optimizer.lr, samples_per_s=self.samples_per_second(),
            elapsed=self.elapsed, metric_name=self.data.metric_name,
            last_epoch=self.history.last, epoch_ended=epoch_ended,
            stop_reason=self.stop_reason, message=self.message,
            weights=net.get_weights() if weights else None,
            gradients={p.name: p.grad.copy() for p in net.parameters()} if gradients else None,
            layer_stats=layer_stats(net, self._probe, self.optimizer.lr) if stats else None,
        )

    def snapshots(self, *, every_steps: int | None = None, weights: bool = False,
                  stats: bool = False) -> Iterator[Snapshot]:
        """Train to the end, yielding a snapshot at every epoch end (and every
        ``every_steps`` steps); the last one carries the stop reason."""
        while not self.finished:
            ended = self.train_step()
            if ended or self.finished or (every_steps and self.step % every_steps == 0):
                yield self.snapshot(weights=weights, stats=stats, epoch_ended=ended)

    def run(self, callbacks: Sequence[Callback] = ()) -> History:
        """Train to the end, calling Keras-style hooks; returns the history."""
        for cb in callbacks:
            cb.on_train_begin(self)
        while not self.finished:
            if self.train_step() and self.history.last and \
                    self.history.last.epoch == self.epoch:
                for cb in callbacks:
                    cb.on_epoch_end(self, self.history.last)
        final = self.snapshot()
        for cb in callbacks:
            cb.on_train_end(self, final)
        return self.history

    def run_steps(self, n: int) -> None:
        """Run up to ``n`` steps with no bookkeeping beyond the loop (benchmarks)."""
        step = self.train_step
        for _ in range(n):
            step()
