"""A training run driven by commands, reporting rate-limited updates (no Qt).

The GUI never calls the trainer directly: it sends commands (run, pause, step, stop,
reset, change settings, check gradients) to a ``Runner`` and receives ``Update``s. The
same ``serve`` loop runs the runner in a child process (the GUI's default: training then
has a core and a GIL of its own, see ``docs/decisions.md``) or in a thread (tests).

Updates are coalesced at the source: at most ``max_rate`` per second, each carrying every
epoch record finished since the previous one, so no history is lost however fast epochs
go. Heavier extras (weights, layer statistics, evaluation) are attached at their own,
lower rates, so watching costs training a few percent at most.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import logging
import math
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from nncore.doctor import Doctor, Finding
from nncore.errors import NNCoreError
from nncore.metrics import confusion_matrix
from nncore.network import predicted_labels
from nncore.project import Project, project_from_document
from nncore.session import Session, session_from_project
from nncore.spec import data_from_dict, network_from_dict, training_from_dict
from nncore.training import EpochRecord, Snapshot, StopReason

WEIGHTS_BYTES_PER_SECOND = 8e6
"""Budget for shipping weights: small networks every update, big ones less often."""
GALLERY_SIZE = 48
FINDINGS_INTERVAL = 1.0
"""Seconds between doctor findings attached to updates (they also come on every forced one)."""

log = logging.getLogger(__name__)


class RunState(enum.StrEnum):
    """Where a run is."""

    READY = "ready"        # built, not yet trained (or just reset)
    RUNNING = "running"
    PAUSED = "paused"
    FINISHED = "finished"  # completed, early-stopped, stopped or stopped by the NaN guard
    FAILED = "failed"      # an unexpected error; reset or load to continue


@dataclass(frozen=True)
class Detail:
    """What the views want attached to updates (and how often, per second)."""

    weights: bool = True
    gradients: bool = False
    stats: bool = True
    evaluation: bool = True
    stats_rate: float = 5.0
    evaluation_rate: float = 2.0


@dataclass(frozen=True)
class Evaluation:
    """Predictions on the validation set (or training set when there is none)."""

    split: str
    confusion: np.ndarray | None
    gallery_indices: np.ndarray | None
    gallery_predictions: np.ndarray | None
    gallery_probabilities: np.ndarray | None


@dataclass(frozen=True)
class Update:
    """One message from a runner: the state, a snapshot and what was asked for."""

    state: RunState
    snapshot: Snapshot
    new_records: tuple[EpochRecord, ...] = ()
    weights: Mapping[str, np.ndarray] | None = None
    gradients: Mapping[str, np.ndarray] | None = None
    evaluation: Evaluation | None = None
    reason: str = ""
    findings: tuple[Finding, ...] | None = None
    """The doctor's current findings (design, run, gradient check), most urgent first;
    None when unchanged since the previous update, () when there are none."""
    kept_epochs: tuple[int, ...] | None = None
    """The epochs whose weights are kept for rewinding (``nncore.rewind``)."""


@dataclass
class _Clock:
    """When each kind of payload was last sent."""

    update: float = -math.inf
    weights: float = -math.inf
    stats: float = -math.inf
    evaluation: float = -math.inf
    findings: float = -math.inf
    pending: list[EpochRecord] = field(default_factory=list)


class Runner:
    """Owns a ``Session`` and turns commands into training and updates."""

    def __init__(self, project: Project, *, max_rate: float = 30.0,
                 detail: Detail = Detail()) -> None:
        self.max_rate = max_rate
        self.detail = detail
        self.state = RunState.READY
        self._clock = _Clock()
        self.session = self._open(project)
        self._recorded = len(self.session.trainer.history)
        self.doctor = self._new_doctor()
        self._findings_sent: tuple[Finding, ...] | None = None

    @staticmethod
    def _open(project: Project) -> Session:
        return session_from_project(project)

    def _new_doctor(self) -> Doctor:
        """A doctor for the session, shown the history of a loaded project so an opened
        run is diagnosed too."""
        doctor = Doctor.for_session(self.session)
        trainer = self.session.trainer
        if len(trainer.history):
            doctor.observe(trainer.snapshot(), tuple(trainer.history.records))
        return doctor

    # -- commands ---------------------------------------------------------------------

    def handle(self, command: str, *args: Any) -> list[tuple[str, Any]]:
        """Apply one command; returns messages to send (``("update", Update)``, ...)."""
        handler: Callable[..., list[tuple[str, Any]]] | None = getattr(
            self, f"_cmd_{command}", None)
        if handler is None:
            return [("error", f"unknown command {command!r}")]
        return handler(*args)

    def _cmd_run(self) -> list[tuple[str, Any]]:
        trainer = self.session.trainer
        if trainer.stop_reason is StopReason.NON_FINITE:
            return [("refused", "the last run stopped on a non-finite loss: reset first")]
        if trainer.finished:
            trainer.resume(extra_epochs=self.session.training_spec.epochs)
        self.state = RunState.RUNNING
        return [self._update(force=True)]

    def _cmd_pause(self) -> list[tuple[str, Any]]:
        if self.state is RunState.RUNNING:
            self.state = RunState.PAUSED
        return [self._update(force=True)]

    def _cmd_step(self, unit: str = "batch") -> list[tuple[str, Any]]:
        trainer = self.session.trainer
        if trainer.stop_reason is StopReason.NON_FINITE:
            return [("refused", "the last run stopped on a non-finite loss: reset first")]
        if trainer.finished:
            trainer.resume(extra_epochs=1)
        if unit == "epoch":
            while not trainer.train_step() and not trainer.finished:
                pass
        else:
            trainer.train_step()
        self.state = RunState.FINISHED if trainer.finished else RunState.PAUSED
        return [self._update(force=True)]

    def _cmd_stop(self) -> list[tuple[str, Any]]:
        trainer = self.session.trainer
        if not trainer.finished and self.state is not RunState.READY:
            trainer.request_stop()
            trainer.train_step()  # records the stop
        self.state = RunState.FINISHED if trainer.finished else self.state
        return [self._update(force=True)]

    def _cmd_reset(self) -> list[tuple[str, Any]]:
        self.session.reset()
        self.doctor.reset()
        self._recorded = 0
        self.state = RunState.READY
        return [self._update(force=True, reason="reset")]

    def _cmd_load(self, document: dict, arrays: dict | None = None) -> list[tuple[str, Any]]:
        self.session = self._open(project_from_document(document, arrays))
        self._recorded = len(self.session.trainer.history)
        self.doctor = self._new_doctor()
        self.state = RunState.READY
        return [self._update(force=True, reason="loaded")]

    def _cmd_set_training(self, training: dict) -> list[tuple[str, Any]]:
        blocked = self.session.apply_training(training_from_dict(training))
        if blocked:
            return [("needs_reset", blocked)]
        self.doctor.set_specs(training=self.session.training_spec)
        return [self._update(force=True, reason="settings")]

    def _cmd_set_network(self, network: dict) -> list[tuple[str, Any]]:
        blocked = self.session.apply_network(network_from_dict(network))
        if blocked:
            return [("needs_reset", blocked)]
        self.doctor.set_specs(network=self.session.network_spec)
        return [self._update(force=True, reason="settings")]

    def _cmd_set_data(self, data: dict) -> list[tuple[str, Any]]:
        """New drawn points: training goes on with them (or ``needs_reset``)."""
        blocked = self.session.apply_data(data_from_dict(data))
        if blocked:
            return [("needs_reset", blocked)]
        return [self._update(force=True, reason="settings")]

    def _cmd_set_detail(self, detail: dict) -> list[tuple[str, Any]]:
        self.detail = Detail(**detail)
        return []

    def _cmd_gradcheck(self, batch_size: int = 16) -> list[tuple[str, Any]]:
        result = self.session.gradient_check(batch_size=batch_size)
        self.doctor.from_gradcheck(result)
        return [("gradcheck", result)]

    def _cmd_doctor(self) -> list[tuple[str, Any]]:
        """Every current finding: ``("findings", tuple)``."""
        return [("findings", tuple(self.doctor.findings))]

    def _cmd_snapshot(self) -> list[tuple[str, Any]]:
        return [self._update(force=True, full=True)]

    def _cmd_export(self, token: int = 0) -> list[tuple[str, Any]]:
        """The trained state for saving: weights, optimizer state, history, preprocessing."""
        from nncore.session import session_to_project

        return [("exported", token, session_to_project(self.session))]

    def _cmd_rewind(self, epoch: int) -> list[tuple[str, Any]]:
        """``("rewind", Update)``: every view's payload for the kept snapshot nearest
        ``epoch``, as if the run were there now (the live weights are untouched)."""
        session, trainer = self.session, self.session.trainer
        if trainer.keeper is None or not len(trainer.keeper):
            return [("refused", "no snapshots are kept yet: train for an epoch first")]
        kept = trainer.keeper.nearest(int(epoch))
        live = session.network.flat.values.copy()
        try:
            session.network.set_weights(dict(kept.weights))
            snapshot = trainer.snapshot(weights=True, stats=True)
            evaluation = self._evaluate() if self.detail.evaluation else None
        finally:
            np.copyto(session.network.flat.values, live)
        record = next((r for r in trainer.history.records if r.epoch == kept.epoch), None)
        snapshot = dataclasses.replace(
            snapshot, epoch=kept.epoch, step=kept.step, step_in_epoch=0, last_epoch=record,
            batch_loss=math.nan, running_loss=math.nan, epoch_ended=True, stop_reason=None,
            message=f"as it was after epoch {kept.epoch}")
        return [("rewind", Update(self.state, snapshot, (), snapshot.weights, None,
                                  evaluation, "rewind", None, trainer.keeper.epochs))]

    # -- training -----------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """True while the runner should keep training."""
        return self.state is RunState.RUNNING

    def run_for(self, seconds: float) -> list[tuple[str, Any]]:
        """Train for about ``seconds`` (if running); return the updates that are due."""
        trainer = self.session.trainer
        deadline = time.perf_counter() + seconds
        step = trainer.train_step
        messages: list[tuple[str, Any]] = []
        while self.state is RunState.RUNNING:
            step()
            if trainer.finished:
                self.state = RunState.FINISHED
                messages.append(self._update(force=True, full=True))
                break
            now = time.perf_counter()
            if now - self._clock.update >= 1.0 / self.max_rate:
                messages.append(self._update())
            if now >= deadline:
                break
        return messages

    # -- updates ------------------------------------------------------------------------

    def _update(self, *, force: bool = False, full: bool = False,
                reason: str = "") -> tuple[str, Update]:
        now = time.perf_counter()
        clock, detail, trainer = self._clock, self.detail, self.session.trainer
        records = tuple(trainer.history.records[self._recorded:])
        self._recorded = len(trainer.history)
        want_stats = detail.stats and (full or force or
                                       now - clock.stats >= 1.0 / detail.stats_rate)
        want_eval = detail.evaluation and (full or force or
                                           now - clock.evaluation >= 1.0 / detail.evaluation_rate)
        want_weights = detail.weights and (full or force or self._weights_due(now))
        snapshot = trainer.snapshot(weights=want_weights, gradients=detail.gradients and
                                    want_weights, stats=want_stats)
        clock.update = now
        if want_stats:
            clock.stats = now
        if want_weights:
            clock.weights = now
        evaluation = None
        if want_eval:
            clock.evaluation = now
            evaluation = self._evaluate()
        findings = self._examine(snapshot, records, now, force or full)
        keeper = trainer.keeper
        return ("update", Update(self.state, snapshot, records, snapshot.weights,
                                 snapshot.gradients, evaluation, reason, findings,
                                 keeper.epochs if keeper is not None else None))

    def _examine(self, snapshot: Snapshot, records: tuple[EpochRecord, ...], now: float,
                 force: bool) -> tuple[Finding, ...] | None:
        """The doctor's findings if due (at most once a second, and on every forced update)
        and changed; the doctor sees every snapshot, and can never stop training."""
        try:
            current = tuple(self.doctor.observe(snapshot, records))
        except Exception:
            log.exception("the doctor failed; training goes on without it")
            return None
        if not force and (now - self._clock.findings < FINDINGS_INTERVAL
                          or current == self._findings_sent):
            return None
        self._clock.findings = now
        self._findings_sent = current
        return current

    def _weights_due(self, now: float) -> bool:
        nbytes = self.session.network.flat.values.nbytes
        interval = max(1.0 / self.max_rate, nbytes / WEIGHTS_BYTES_PER_SECOND)
        return now - self._clock.weights >= interval

    @np.errstate(over="ignore", invalid="ignore", divide="ignore")  # a diverged network
    def _evaluate(self) -> Evaluation | None:
        session = self.session
        info = session.splits.info
        data = session.data
        if info.task == "regression":
            return None
        use_val = data.x_val.shape[0] > 0
        x = data.x_val if use_val else data.x_train
        labels = data.labels_val if use_val else data.labels_train
        x, labels = x[:5000], labels[:5000]
        probabilities = session.network.predict(x)
        predicted = predicted_labels(probabilities)
        n_classes = max(info.n_classes, 2)
        gallery = None
        if info.image_shape is not None:
            gallery = np.arange(min(GALLERY_SIZE, x.shape[0]))
        return Evaluation(
            "validation" if use_val else "training",
            confusion_matrix(labels, predicted, n_classes),
            gallery, predicted[gallery] if gallery is not None else None,
            probabilities[gallery] if gallery is not None else None)


# --------------------------------------------------------------------------- serving


class Channel(Protocol):
    """Two-way message passing: a multiprocessing pipe pair or a pair of queues."""

    def poll(self, timeout: float | None) -> bool: ...

    def recv(self) -> Any: ...

    def send(self, message: Any) -> None: ...


def serve(channel: Channel, *, slice_seconds: float = 0.02, max_rate: float = 30.0) -> None:
    """Answer commands until ``("quit",)``; train in slices while running.

    Messages in: ``(command, *args)``; the first must be ``("open", document, arrays)``.
    Messages out: ``("opened", state)`` or ``("open_failed", text)`` (then no project is
    open: later commands must not act on the one opened before), ``("update", Update)``,
    ``("error", text)``, ``("refused", text)``, ``("needs_reset", [fields])``,
    ``("gradcheck", result)``, ``("exported", token, project)``, ``("closed",)``.
    An exception never ends the loop: it is reported and the run marked failed.
    """
    runner: Runner | None = None
    while True:
        busy = runner is not None and runner.running
        if channel.poll(0 if busy else 0.5):
            message = channel.recv()
            command, args = message[0], message[1:]
            if command == "quit":
                channel.send(("closed",))
                return
            runner = _dispatch(channel, runner, command, args, max_rate)
        elif busy:
            _send_all(channel, _guarded(runner, lambda r: r.run_for(slice_seconds)))


def _dispatch(channel: Channel, runner: Runner | None, command: str, args: tuple,
              max_rate: float) -> Runner | None:
    if command == "open":
        try:
            runner = Runner(project_from_document(*args), max_rate=max_rate)
            channel.send(("opened", runner.state.value))
            _send_all(channel, [runner._update(force=True, full=True)])
        except Exception as err:  # any failure is reported, not raised
            channel.send(("open_failed", _describe(err)))
            return None
        return runner
    if runner is None:
        channel.send(("error", f"cannot {command}: no project is open"))
        return None
    _send_all(channel, _guarded(runner, lambda r: r.handle(command, *args)))
    return runner


def _guarded(runner: Runner, action: Callable[[Runner], list]) -> list:
    try:
        return action(runner)
    except NNCoreError as err:
        return [("error", str(err))]
    except Exception as err:  # report and keep serving
        runner.state = RunState.FAILED
        return [("error", _describe(err))]


def _describe(err: BaseException) -> str:
    if isinstance(err, NNCoreError):
        return str(err)
    return f"{type(err).__name__}: {err}\n\n{traceback.format_exc()}"


def _send_all(channel: Channel, messages: list) -> None:
    for message in messages:
        channel.send(message)


class PipeChannel:
    """The child's side: commands arrive on one pipe, messages leave on another."""

    def __init__(self, commands, updates) -> None:
        self._commands, self._updates = commands, updates

    def poll(self, timeout: float | None) -> bool:
        return self._commands.poll(timeout)

    def recv(self) -> Any:
        return self._commands.recv()

    def send(self, message: Any) -> None:
        self._updates.send(message)


def process_main(commands, updates) -> None:
    """Entry point of the training child process (spawned; must stay importable).

    The parent sets ``OPENBLAS_NUM_THREADS`` and friends in the environment before it
    spawns, since BLAS reads them when NumPy is first imported.
    """
    # EOFError / BrokenPipeError: the GUI went away, so there is no one left to report to.
    with contextlib.suppress(EOFError, BrokenPipeError, KeyboardInterrupt):
        serve(PipeChannel(commands, updates))
