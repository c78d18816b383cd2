"""Runs a sweep (``nncore.sweep.run_sweep``) on the local process pool, off the GUI thread.

``SweepJob`` owns one ``QThread`` per sweep and a ``SweepWorker`` living on it; every
finished run crosses to the GUI thread as a plain row (a dict) with the run's key.
``stop()`` sets the sweep's stop event (the pool ends the runs in flight within a poll,
keeping the finished ones) and waits for the thread; nothing is left running.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from nncore.sweep import Run, run_sweep
from nncore.sweep_pool import LocalPool


class SweepWorker(QObject):
    """Runs one sweep and reports each finished run."""

    row_ready = Signal(dict)
    failed = Signal(str)
    done = Signal(bool)  # stopped before the end

    def __init__(self, runs: Sequence[Run], folder: str, workers: int) -> None:
        super().__init__()
        self.runs, self.folder, self.workers = list(runs), folder, workers
        self.stop_event = threading.Event()

    @Slot()
    def run(self) -> None:
        """Run to the end or until stopped; always emits ``done``."""
        stopped = True
        try:
            outcome = run_sweep(self.runs, self.folder, LocalPool(self.workers),
                                on_result=lambda row, _run: self.row_ready.emit(dict(row)),
                                stop=self.stop_event)
            stopped = outcome.stopped
        except Exception as err:  # a folder that cannot be written, a broken pool: report
            self.failed.emit(f"{type(err).__name__}: {err}")
        finally:
            self.done.emit(stopped)


class SweepJob(QObject):
    """Starts, stops and cleans up one sweep at a time."""

    row_ready = Signal(dict)
    failed = Signal(str)
    finished = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: QThread | None = None
        self._worker: SweepWorker | None = None
        self._stopped = False

    @property
    def running(self) -> bool:
        """True from ``start`` until ``finished`` is emitted: after the thread ends, until
        the GUI thread has received every row it sent (they are queued before it)."""
        return self._thread is not None

    def start(self, runs: Sequence[Run], folder: str, workers: int) -> None:
        """Run ``runs`` into ``folder`` on ``workers`` processes."""
        self.stop()
        thread = QThread()
        thread.setObjectName("sweep")
        worker = SweepWorker(runs, folder, workers)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.row_ready.connect(self.row_ready)
        worker.failed.connect(self.failed)
        worker.done.connect(self._on_worker_done, Qt.ConnectionType.DirectConnection)
        # direct: quit from the worker's own thread, so stop() can wait without the GUI's
        # event loop (a queued quit would wait for the loop that wait() is blocking)
        worker.done.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        thread.finished.connect(self._on_thread_finished)
        self._thread, self._worker = thread, worker
        thread.start()

    def _on_worker_done(self, stopped: bool) -> None:
        self._stopped = stopped

    def stop(self, timeout_ms: int = 10000) -> bool:
        """Stop the sweep (finished runs are kept) and wait; True if nothing is left."""
        thread, worker = self._thread, self._worker
        if thread is None or worker is None:
            return True
        worker.stop_event.set()
        stopped = thread.wait(timeout_ms)
        if stopped:
            self._on_thread_finished()
        return stopped

    @Slot()
    def _on_thread_finished(self) -> None:
        if self._thread is None or self._thread.isRunning():
            return
        self._thread, self._worker = None, None
        self.finished.emit(self._stopped)
