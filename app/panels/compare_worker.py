"""Races configurations on a worker thread (``nncore.compare``), so the window stays live.

``CompareRace`` owns one ``QThread`` per race and a ``CompareWorker`` living on it. Records
cross to the GUI thread in batches (at most ``BATCH_SECONDS`` apart) as plain tuples of
immutable ``EpochRecord``s. ``stop()`` asks the worker to finish after the current epoch and
waits for the thread; nothing is left running.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from nncore.compare import compare_runs
from nncore.project import Project

BATCH_SECONDS = 0.05


class CompareWorker(QObject):
    """Runs ``compare_runs`` and reports its records in batches."""

    records_ready = Signal(list)   # [(name, EpochRecord), ...]
    failed = Signal(str)
    done = Signal()

    def __init__(self, configs: Sequence[tuple[str, Project]], epochs: int) -> None:
        super().__init__()
        self.configs, self.epochs = list(configs), int(epochs)
        self._stop = threading.Event()

    def request_stop(self) -> None:
        """Finish after the current epoch (safe from any thread)."""
        self._stop.set()

    @Slot()
    def run(self) -> None:
        """Race to the end or until stopped; always emits ``done``."""
        batch: list = []
        last = time.perf_counter()
        stream = None
        try:
            stream = compare_runs(self.configs[0][1], self.configs, self.epochs)
            for item in stream:
                batch.append(item)
                now = time.perf_counter()
                if now - last >= BATCH_SECONDS:
                    self.records_ready.emit(batch)
                    batch, last = [], now
                if self._stop.is_set():
                    break
        except Exception as err:  # a broken configuration: report it, end cleanly
            self.failed.emit(str(err))
        finally:
            if stream is not None:
                stream.close()
            if batch:
                self.records_ready.emit(batch)
            self.done.emit()


class CompareRace(QObject):
    """Starts, stops and cleans up one race at a time."""

    records_ready = Signal(list)
    failed = Signal(str)
    finished = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: QThread | None = None
        self._worker: CompareWorker | None = None

    @property
    def running(self) -> bool:
        """True while a race's thread runs."""
        return self._thread is not None and self._thread.isRunning()

    def start(self, configs: Sequence[tuple[str, Project]], epochs: int) -> None:
        """Race ``configs`` (``(name, project)`` pairs) for ``epochs`` epochs each."""
        self.stop()
        thread = QThread()
        worker = CompareWorker(configs, epochs)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.records_ready.connect(self.records_ready)
        worker.failed.connect(self.failed)
        # direct: quit from the worker's own thread, so stop() can wait without the GUI's
        # event loop (a queued quit would wait for the loop that wait() is blocking)
        worker.done.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        thread.finished.connect(self._on_thread_finished)
        self._thread, self._worker = thread, worker
        thread.start()

    def stop(self, timeout_ms: int = 5000) -> bool:
        """Ask the race to end and wait for its thread; True if nothing is left running."""
        thread, worker = self._thread, self._worker
        if thread is None or worker is None:
            return True
        worker.request_stop()
        stopped = thread.wait(timeout_ms)
        if stopped:
            self._on_thread_finished()
        return stopped

    @Slot()
    def _on_thread_finished(self) -> None:
        if self._thread is None or self._thread.isRunning():
            return
        self._thread, self._worker = None, None
        self.finished.emit()
