"""Turns the weights a run sends into pictures, on a thread of its own.

The decision map (200 x 200 by default), the hidden units' heat maps and the 1-D fit curve
are computed with ``nncore.visual`` on a worker thread, at most ``max_rate`` times per
second and always for the *latest* weights (older requests are dropped, never queued).
NumPy releases the GIL inside its kernels, so this work overlaps with painting instead of
delaying it. Results arrive on the GUI thread as ``frame_ready(VisualFrame)``.
"""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, QThread, Signal, Slot

from app.training.controller import is_stale
from nncore._types import Array
from nncore.data.dataset import Splits
from nncore.spec import NetworkSpec, TrainingSpec
from nncore.visual import (
    GridMap,
    decision_map,
    eval_network,
    feature_maps,
    feature_strips,
    fit_curve,
    plot_extent,
    unit_maps,
    unit_strips,
)


@dataclass(frozen=True)
class VisualFrame:
    """Everything drawn for one set of weights."""

    step: int
    boundary: GridMap | None = None
    units: dict[str, Array] | None = None
    inputs: Array | None = None
    curve: tuple[Array, Array] | None = None
    extent: tuple[float, float, float, float] | None = None


@dataclass(frozen=True)
class _Job:
    network: NetworkSpec
    training: TrainingSpec
    splits: Splits
    weights: dict[str, Array]
    step: int


class _Computer(QObject):
    """Lives on the visualiser thread; computes the newest job whenever one is waiting."""

    frame_ready = Signal(object)

    def __init__(self, resolution: int, unit_resolution: int, max_rate: float) -> None:
        super().__init__()
        self.resolution, self.unit_resolution = resolution, unit_resolution
        self.min_interval = 1.0 / max_rate
        self._job: _Job | None = None
        self._wake = threading.Condition()
        self._quit = False
        self._cache_key: tuple | None = None
        self._network = None

    def submit(self, job: _Job) -> None:
        with self._wake:
            self._job = job
            self._wake.notify()

    def quit(self) -> None:
        with self._wake:
            self._quit = True
            self._wake.notify()

    @Slot()
    def run(self) -> None:
        try:
            self._serve()
        finally:  # whatever happens, end the thread's event loop so shutdown() can join it
            QThread.currentThread().quit()

    def _serve(self) -> None:
        last = 0.0
        reported: set[str] = set()
        while True:
            with self._wake:
                while self._job is None and not self._quit:
                    self._wake.wait()
                if self._quit:
                    break
                job, self._job = self._job, None
            delay = self.min_interval - (time.perf_counter() - last)
            if delay > 0:
                time.sleep(delay)
                with self._wake:  # a newer job may have arrived meanwhile
                    if self._job is not None:
                        job, self._job = self._job, None
            last = time.perf_counter()
            try:
                frame = self._compute(job)
            except Exception as err:  # a bug in one frame must not end the pictures for good
                if repr(err) not in reported:  # report each distinct failure once, not 30/s
                    reported.add(repr(err))
                    sys.excepthook(*sys.exc_info())
                continue
            if frame is not None:
                self.frame_ready.emit(frame)

    def _compute(self, job: _Job) -> VisualFrame | None:
        key = (job.network, job.training.loss, job.training.huber_delta, id(job.splits))
        if key != self._cache_key:
            try:
                self._network = eval_network(job.network, job.training, job.splits)
            except Exception:  # an invalid design has nothing to draw
                self._network, self._cache_key = None, None
                return None
            self._cache_key = key
        try:
            self._network.set_weights(job.weights)
        except (ValueError, KeyError):
            return None  # weights of another design (a reset is pending)
        return self._frame(job)

    def _frame(self, job: _Job) -> VisualFrame:
        splits, net = job.splits, self._network
        raw = splits.raw_train if splits.raw_train is not None else splits.x_train
        prep = splits.preprocessing
        if raw.shape[1] == 2:
            extent = plot_extent(raw, splits.info.domain)
            return VisualFrame(job.step, decision_map(net, prep, extent, self.resolution)
                               if splits.info.is_classification else
                               _regression_map(net, prep, extent, self.resolution),
                               unit_maps(net, prep, extent, self.unit_resolution),
                               feature_maps(prep, extent, self.unit_resolution), None, extent)
        if raw.shape[1] == 1:
            domain = splits.info.domain[0] if splits.info.domain else \
                (float(raw.min()), float(raw.max()))
            return VisualFrame(job.step, units=unit_strips(net, prep, domain, self.unit_resolution),
                               inputs=feature_strips(prep, domain, self.unit_resolution),
                               curve=fit_curve(net, prep, domain))
        return VisualFrame(job.step)


def _regression_map(network, preprocessing, extent, resolution) -> GridMap:
    from nncore.visual import grid_points

    out = network.predict(preprocessing.transform(grid_points(extent, resolution)))
    return GridMap(out[:, 0].reshape(resolution, resolution).astype(np.float32), extent)


class Visualiser(QObject):
    """Feeds the latest weights to the computing thread and relays its frames."""

    frame_ready = Signal(object)  # VisualFrame

    def __init__(self, document, data_source, controller, *, resolution: int = 200,
                 unit_resolution: int = 24, max_rate: float = 30.0,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document, self.data_source = document, data_source
        self._computer = _Computer(resolution, unit_resolution, max_rate)
        self._thread = QThread()
        self._thread.setObjectName("visualiser")
        self._computer.moveToThread(self._thread)
        self._thread.started.connect(self._computer.run)
        self._computer.frame_ready.connect(self._on_computer_frame_ready)
        self._thread.start()
        self.controller = controller
        controller.update_received.connect(self._on_update)

    @Slot(object)
    def _on_computer_frame_ready(self, frame) -> None:
        if not is_stale(self.controller):  # (computed before the design changed)
            self.frame_ready.emit(frame)

    @Slot(object)
    def _on_update(self, update) -> None:
        if update.weights is None:
            return
        self.show_weights(update.weights, update.snapshot.step)

    def show_weights(self, weights: dict[str, Array], step: int = 0) -> None:
        """Draw these weights for the current design and data (latest call wins)."""
        splits = self.data_source.splits
        if splits is None or is_stale(self.controller):
            return
        doc = self.document
        self._computer.submit(_Job(doc.network, doc.training, splits, dict(weights), step))

    def shutdown(self, timeout_ms: int = 1000) -> bool:
        """Stop the computing thread; True if it ended in time."""
        self._computer.quit()
        return self._thread.wait(timeout_ms)
