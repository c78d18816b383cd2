"""Train / pause / step / stop / reset, as the GUI sees them.

``TrainingController`` owns the worker thread, keeps the engine's project in step with the
document, and turns the engine's messages into signals the views subscribe to. Safe
setting changes (learning rate, optimizer hyper-parameters, regularisation, epochs) are
sent to a running engine at once; changes that need new weights mark the run *stale* and
are reported with ``needs_reset`` so the user decides. Trained weights and history flow
back into the document whenever a run pauses or ends, so saving always includes them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QElapsedTimer, QEventLoop, QObject, QTimer, Signal, Slot

from app.document import ProjectDocument
from app.training.worker import start_worker
from nncore.data.drawn import is_drawn, live_change
from nncore.project import Project, project_arrays, to_document
from nncore.runner import Detail, RunState, Update
from nncore.session import changes_needing_reset
from nncore.spec import to_dict
from nncore.training import EpochRecord

STARTING = "starting"
RUN_MESSAGES = frozenset({"update", "error", "refused", "needs_reset", "gradcheck",
                          "rewind"})
"""Messages about the engine's current run (ignored when that run is not ours)."""


class TrainingController(QObject):
    """The GUI's handle on training; every slot runs on the GUI thread."""

    state_changed = Signal(str)          # a RunState value, or "starting"
    update_received = Signal(object)     # nncore.runner.Update
    history_reset = Signal()             # a new run (or project): plots start over
    error_occurred = Signal(str)
    refused = Signal(str)                # a command the engine declined, with the reason
    needs_reset = Signal(list)           # names of changes that need new weights
    stale_changed = Signal(bool)
    gradcheck_finished = Signal(object)  # nncore.gradcheck.GradCheckResult
    engine_lost = Signal(str)
    engine_fallback = Signal(str)        # training had to move into the app's process
    kept_epochs_changed = Signal(tuple)  # the epochs the timeline can rewind to

    def __init__(self, document: ProjectDocument, *, mode: str = "process",
                 blas_threads: int = 1, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.mode = mode
        self._worker, self._thread = start_worker(mode, blas_threads)
        self._worker.message_received.connect(self._on_message)
        self._worker.engine_lost.connect(self._on_engine_lost)
        self._worker.engine_fallback.connect(self.engine_fallback)
        self._state = RunState.READY.value
        self._engine_project: Project | None = None  # what the engine has open
        self._stale = False
        self._history: list[EpochRecord] = []
        self._last_update: Update | None = None
        self._export_token = 0
        self._export_callbacks: dict[int, tuple[Callable[[Project], None], int]] = {}
        self._opening = 0  # "open" commands the engine has not answered yet
        self._run = 0  # counts the engine runs opened (or forgotten): whose export is whose
        self._detail = Detail()
        document.training_changed.connect(self._on_training_changed)
        document.network_changed.connect(self._on_network_changed)
        document.data_changed.connect(self._on_data_changed)
        document.project_replaced.connect(self._on_project_replaced)
        document.run_branched.connect(self._on_run_branched)
        self._shut_down = False
        self._kept_epochs: tuple[int, ...] = self._document_kept_epochs()
        self._rewinding = False
        self._resume_after_rewind = False

    # -- state ----------------------------------------------------------------------------

    @property
    def state(self) -> str:
        """``starting``, or a ``RunState`` value of the engine."""
        return self._state

    @property
    def is_running(self) -> bool:
        return self._state in (RunState.RUNNING.value, STARTING)

    @property
    def is_stale(self) -> bool:
        """True when the design changed in a way the running network cannot follow."""
        return self._stale

    @property
    def history(self) -> list[EpochRecord]:
        """Every epoch record of the current run (loaded history included)."""
        return self._history

    @property
    def last_update(self) -> Update | None:
        return self._last_update

    def _set_state(self, state: str) -> None:
        if state != self._state:
            self._state = state
            self.state_changed.emit(state)

    def _set_stale(self, stale: bool) -> None:
        if stale != self._stale:
            self._stale = stale
            self.stale_changed.emit(stale)

    # -- commands -------------------------------------------------------------------------

    def train(self) -> None:
        """Start or resume training (opens the current design first if needed)."""
        if self._stale:
            self.needs_reset.emit(self._reset_reasons())
            return
        self._ensure_open()
        self._send("run")

    def toggle(self) -> None:
        """Train if paused or idle, pause if running (the Space key)."""
        if self.is_running:
            self.pause()
        else:
            self.train()

    def pause(self) -> None:
        self._send("pause")

    def step_batch(self) -> None:
        """Train exactly one batch, then pause."""
        self._step("batch")

    def step_epoch(self) -> None:
        """Train to the end of the current epoch, then pause."""
        self._step("epoch")

    def _step(self, unit: str) -> None:
        if self._stale:
            self.needs_reset.emit(self._reset_reasons())
            return
        self._ensure_open()
        self._send("step", unit)

    def stop(self) -> None:
        """End the run; its weights stay (Train continues from them)."""
        if self._engine_project is not None:
            self._send("stop")

    def reset(self) -> None:
        """Discard the weights and start from freshly initialised ones of the current design."""
        self._history = []
        self.history_reset.emit()
        self.document.clear_trained_state()
        self._open_current(with_weights=False)
        self._set_stale(False)

    def check_gradients(self, batch_size: int = 16) -> None:
        """Run a gradient check on the current weights (result: ``gradcheck_finished``)."""
        if self._stale:
            self.needs_reset.emit(self._reset_reasons())
            return
        self._ensure_open()
        self._send("gradcheck", batch_size)

    def continue_from_document(self) -> None:
        """Have the engine continue from the document's weights, optimizer state and
        history (after the user edited weights by hand); nothing to do before it opens."""
        if self._engine_project is not None and not self._stale:
            if self.is_running:
                self._send("pause")
            self._open_current(with_weights=True)

    def set_detail(self, **changes: Any) -> None:
        """Change what updates carry (``weights``, ``gradients``, ``stats``, ``evaluation``
        and their rates; see ``nncore.runner.Detail``)."""
        self._detail = dataclasses.replace(self._detail, **changes)
        self._send("set_detail", dataclasses.asdict(self._detail))

    def export(self, callback: Callable[[Project], None]) -> None:
        """Ask the engine for its trained state; ``callback(project)`` gets it later."""
        if self._engine_project is None:
            callback(self.document.project)
            return
        self._export_token += 1
        self._export_callbacks[self._export_token] = (callback, self._run)
        self._send("export", self._export_token)

    def sync_to_document(self, timeout_ms: int = 3000) -> bool:
        """Copy the engine's trained state into the document now (before saving).

        Waits on a local event loop, so the GUI keeps painting. False on timeout.
        """
        if self._engine_project is None or self._stale:
            return True
        done: list[Project] = []
        loop = QEventLoop()
        self.export(lambda project: (done.append(project), loop.quit()))
        if not done:
            QTimer.singleShot(timeout_ms, loop.quit)
            loop.exec()
        return bool(done)

    def shutdown(self, timeout_ms: int = 1000) -> bool:
        """Stop the engine and the worker thread; True if they ended within the timeout."""
        if self._shut_down:
            return True
        self._shut_down = True
        self._worker.request_quit()
        clock = QElapsedTimer()
        clock.start()
        finished = self._thread.wait(timeout_ms)
        if not finished:  # never destroy a running QThread: that aborts the process
            self._thread.terminate()
            finished = self._thread.wait(max(100, timeout_ms - clock.elapsed()))
        return finished

    # -- rewinding (the timeline) ---------------------------------------------------------

    @property
    def kept_epochs(self) -> tuple[int, ...]:
        """Epochs whose weights are kept (``nncore.rewind``): where the timeline can go."""
        return self._kept_epochs

    @property
    def is_rewinding(self) -> bool:
        """True while the views show a kept epoch instead of the live network."""
        return self._rewinding

    def rewind(self, epoch: int) -> None:
        """Show every view as the network was after ``epoch`` (the nearest kept one);
        training pauses until ``end_rewind``."""
        if self._stale:
            return
        if not self._rewinding:  # (a run only starting up is not running yet)
            self._resume_after_rewind = self._state == RunState.RUNNING.value
            if self._resume_after_rewind:
                self._send("pause")
        self._ensure_open()
        self._rewinding = True
        self._send("rewind", int(epoch))

    def end_rewind(self) -> None:
        """Back to the live network (and to training, if it was running)."""
        if not self._rewinding:
            return
        self._rewinding = False
        self._send("snapshot")
        if self._resume_after_rewind:
            self._send("run")
        self._resume_after_rewind = False

    def continue_from(self, epoch: int) -> None:
        """Branch the run at a kept epoch: its weights, history and snapshots up to it
        (one undo step; see ``ProjectDocument.branch_to``)."""
        self._rewinding = self._resume_after_rewind = False
        if self.is_running:
            self.pause()
        self.sync_to_document()
        self.document.branch_to(epoch)

    def _document_kept_epochs(self) -> tuple[int, ...]:
        keeper = self.document.project.snapshots
        return keeper.epochs if keeper is not None else ()

    def _set_kept_epochs(self, epochs: tuple[int, ...]) -> None:
        if epochs != self._kept_epochs:
            self._kept_epochs = epochs
            self.kept_epochs_changed.emit(epochs)

    @Slot()
    def _on_run_branched(self) -> None:
        """The document's trained state was branched (or the branch undone): continue
        from it, and show it at once."""
        self._on_project_replaced()
        self._open_current(with_weights=True)

    # -- keeping the engine in step with the document ---------------------------------------

    def _send(self, *message: Any) -> None:
        if not self._shut_down:
            self._worker.send(*message)

    def _ensure_open(self) -> None:
        if self._engine_project is None:
            self._open_current(with_weights=True)

    def _open_current(self, *, with_weights: bool) -> None:
        project = self.document.project
        if not with_weights:
            project = dataclasses.replace(project, weights=None, optimizer_state=None,
                                          history=None)
        self._new_run(project)
        self._history = list(project.history.records) if project.history else []
        self._set_state(STARTING)
        self._opening += 1
        self._send("open", to_document(project), project_arrays(project))
        if self._detail != Detail():
            self._send("set_detail", dataclasses.asdict(self._detail))

    def _reset_reasons(self) -> list[str]:
        engine = self._engine_project
        if engine is None:
            return []
        doc = self.document
        reasons = changes_needing_reset(engine.training, doc.training, engine.network,
                                        doc.network)
        if engine.data != doc.data:
            reasons.append("data")
        return reasons

    def _engine_is_fresh(self) -> bool:
        return self._state in (RunState.READY.value, STARTING) and not self._history

    def _on_design_changed(self) -> None:
        if self._engine_project is None:
            return
        if self._engine_is_fresh():
            self._new_run(None)  # nothing trained yet: reopen on the next command
            self._set_stale(False)
            return
        reasons = self._reset_reasons()
        self._set_stale(bool(reasons))
        if reasons:
            self.needs_reset.emit(reasons)

    @Slot(object)
    def _on_training_changed(self, training) -> None:
        self._apply_live("training", training)

    @Slot(object)
    def _on_network_changed(self, network) -> None:
        self._apply_live("network", network)

    def _apply_live(self, part: str, spec) -> None:
        """Send a change the running network can follow; otherwise judge the design."""
        engine = self._engine_project
        if engine is None:
            return
        changed = dataclasses.replace(engine, **{part: spec})
        if not self._stale and not changes_needing_reset(
                engine.training, changed.training, engine.network, changed.network):
            self._engine_project = changed
            self._send(f"set_{part}", to_dict(spec))
            return
        self._on_design_changed()

    @Slot(object)
    def _on_data_changed(self, data) -> None:
        engine = self._engine_project
        if engine is not None and not self._stale and live_change(engine.data, data):
            if not is_drawn(data) or len(data.points) >= 2:  # training goes on with them
                self._engine_project = dataclasses.replace(engine, data=data)
                self._send("set_data", to_dict(data))
            return  # (too few points to train on: it keeps the last ones until more come)
        self._on_design_changed()

    @Slot()
    def _on_project_replaced(self) -> None:
        if self.is_running:
            self._send("pause")
        self._new_run(None)
        self._set_stale(False)
        self._history = list(self.document.project.history.records) \
            if self.document.project.history else []
        self.history_reset.emit()
        self._set_state(RunState.READY.value)
        self._rewinding = self._resume_after_rewind = False
        self._set_kept_epochs(self._document_kept_epochs())

    # -- messages from the engine ------------------------------------------------------

    @Slot(object)
    def _on_message(self, message: tuple) -> None:
        kind = message[0]
        if kind in RUN_MESSAGES and (self._engine_project is None or self._opening):
            # From a run the user has since reset, replaced (New, Open) or that failed to
            # open: its records and state are not the current run's.
            return
        handler = getattr(self, f"_msg_{kind}", None)
        if handler is not None:
            handler(*message[1:])

    def _msg_update(self, update: Update) -> None:
        self._last_update = update
        if update.reason == "reset":
            self._history = []
        self._history.extend(update.new_records)
        if update.kept_epochs is not None:
            self._set_kept_epochs(update.kept_epochs)
        previous = self._state
        self._set_state(update.state.value)
        self.update_received.emit(update)
        if update.state.value in (RunState.PAUSED.value, RunState.FINISHED.value) and \
                previous != update.state.value:
            self.export(self._store_in_document)

    def _msg_rewind(self, update: Update) -> None:
        if self._rewinding:  # (else the user let go before the engine answered)
            self.update_received.emit(update)

    def _msg_opened(self, _state: str) -> None:
        self._opening = max(0, self._opening - 1)

    def _msg_open_failed(self, text: str) -> None:
        self._opening = max(0, self._opening - 1)
        if not self._opening:  # (else a newer open is on its way: that one decides)
            self._new_run(None)
            self._set_state(RunState.FAILED.value)
            self._answer_exports_from_document()
        self.error_occurred.emit(text)

    def _new_run(self, project: Project | None) -> None:
        """The engine's project is now ``project`` (None: none of ours is open)."""
        self._engine_project = project
        self._run += 1

    def _answer_exports_from_document(self) -> None:
        """No engine run will answer the pending exports: answer with the document."""
        callbacks, self._export_callbacks = self._export_callbacks, {}
        for callback, _run in callbacks.values():
            callback(self.document.project)

    def _msg_error(self, text: str) -> None:
        self.error_occurred.emit(text)

    def _msg_worker_error(self, text: str) -> None:  # whatever the run: never ignored
        self.error_occurred.emit(text)

    def _msg_refused(self, text: str) -> None:
        self.refused.emit(text)

    def _msg_needs_reset(self, fields: list) -> None:
        self._set_stale(True)
        self.needs_reset.emit(list(fields))

    def _msg_gradcheck(self, result) -> None:
        self.gradcheck_finished.emit(result)

    def _msg_exported(self, token: int, project: Project) -> None:
        callback, run = self._export_callbacks.pop(token, (None, 0))
        if callback is not None:  # a run since replaced or reset exports what is not ours
            callback(project if run == self._run else self.document.project)

    def _msg_closed(self) -> None:
        pass

    def _store_in_document(self, project: Project) -> None:
        if self._stale or project is self.document.project:  # (nothing new: stay clean)
            return
        self.document.set_trained_state(project.weights, project.history,
                                        project.optimizer_state, project.optimizer_step,
                                        project.preprocessing, snapshots=project.snapshots)

    @Slot(str)
    def _on_engine_lost(self, text: str) -> None:
        self._new_run(None)
        self._opening = 0
        self._set_state(RunState.FAILED.value)
        self._answer_exports_from_document()
        self.engine_lost.emit(f"{text}. Your design and the last saved weights are safe; "
                              "press Train to start a new run.")
