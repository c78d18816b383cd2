"""Memory of a long run: 100,000 training steps on the two spirals, by the engine alone and
with the window's live plots fed every update.

A class left training over a lunch break must not find the app grown to gigabytes. The
engine keeps one small record per epoch (the history a project saves); the plots keep
bounded, decimated histories (``app.plots.buffers``, ``app.plots.distribution``). Each run
reports resident memory (RSS, MB) at the start, halfway, at its peak (sampled after every
slice of training) and at the end. The spirals here have 160 samples (128 for training) in
batches of 32, so 100,000 steps are 25,000 epochs: more than the 20,000 points a loss
curve keeps, so its decimation runs.

Run: ``python -m bench.memory`` (``--steps N`` for a shorter run). Linux only (reads
``/proc/self/statm``); ``tests/reliability/test_long_run.py`` runs the same code in CI.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import time
from typing import Any

STEPS = 100_000
GUI_UPDATE_RATE = 500.0
"""Updates per second the GUI run asks the engine for: 17x what the app uses (30), so the
widgets take far more updates than a real session of the same length would give them."""


def rss_mb() -> float:
    """Resident memory of this process in MB."""
    with open("/proc/self/statm", encoding="ascii") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def project():
    """The two spirals, small enough that an epoch is 4 steps."""
    from nncore.project import Project
    from nncore.spec import DataSpec, OptimizerSpec, TrainingSpec, mlp_spec

    return Project(mlp_spec([16, 16], "tanh"),
                   TrainingSpec(optimizer=OptimizerSpec("adam", 0.01), batch_size=32,
                                epochs=10_000_000, seed=1),
                   DataSpec("spirals", {"n": 160}), title="memory")


class _Meter:
    """RSS at the start, halfway, at its peak (sampled) and at the end."""

    def __init__(self, steps: int) -> None:
        gc.collect()
        self.start = self.peak = rss_mb()
        self.half: float | None = None
        self.halfway = steps // 2
        self.started = time.perf_counter()

    def sample(self, step: int) -> None:
        rss = rss_mb()
        self.peak = max(self.peak, rss)
        if self.half is None and step >= self.halfway:
            self.half = rss

    def result(self, **extra: Any) -> dict[str, Any]:
        gc.collect()
        end = rss_mb()
        self.peak = max(self.peak, end)
        return {"rss_start_mb": round(self.start, 1), "rss_half_mb": round(self.half or end, 1),
                "rss_peak_mb": round(self.peak, 1), "rss_end_mb": round(end, 1),
                "seconds": round(time.perf_counter() - self.started, 2), **extra}


def _train(runner, steps: int, on_updates) -> None:
    """Run ``runner`` until ``steps`` steps, handing each slice's updates to
    ``on_updates`` (which also samples memory)."""
    trainer = runner.session.trainer
    runner.handle("run")
    while trainer.step < steps and runner.running:
        messages = runner.run_for(0.02)
        on_updates([m for kind, m in messages if kind == "update"])
    on_updates([m for kind, m in runner.handle("pause") if kind == "update"])


def engine_run(steps: int = STEPS) -> dict[str, Any]:
    """The engine alone, as the training child runs it (30 updates per second)."""
    from nncore.runner import Runner

    meter = _Meter(steps)
    runner = Runner(project())
    counts = {"updates": 0}

    def take(updates) -> None:
        counts["updates"] += len(updates)
        meter.sample(runner.session.trainer.step)

    _train(runner, steps, take)
    trainer = runner.session.trainer
    return meter.result(steps=trainer.step, epochs=trainer.epoch,
                        history_records=len(trainer.history), updates=counts["updates"])


def _widgets(project_):
    """The window's document, data and plot widgets, driven by a stand-in controller."""
    from PySide6.QtCore import QObject, Signal

    from app.data_source import DataSource
    from app.document import ProjectDocument
    from app.plots import AnalysisTabs, OutputPanel
    from app.theme import configure_pyqtgraph
    from app.training.visualiser import Visualiser

    class Feed(QObject):
        """The controller's signals and history, fed with the runner's updates."""

        update_received = Signal(object)
        history_reset = Signal()
        state_changed = Signal(str)

        def __init__(self) -> None:
            super().__init__()
            self.history: list = []

        def deliver(self, update) -> None:
            self.history.extend(update.new_records)
            self.update_received.emit(update)

    configure_pyqtgraph()
    document = ProjectDocument(project_)
    source = DataSource()
    source.load_now(project_.data)
    feed = Feed()
    visualiser = Visualiser(document, source, feed)
    panel = OutputPanel(document, source, feed, visualiser)
    tabs = AnalysisTabs(document, source, feed)
    for widget, size in ((panel, (420, 620)), (tabs, (1100, 300))):
        widget.resize(*size)
        widget.show()
    return feed, visualiser, panel, tabs


def buffer_stats(panel, tabs) -> dict[str, Any]:
    """Rows kept versus rows appended in every bounded plot history."""
    stats = {}
    for name, buffer in (("loss_records", tabs.loss.records), ("loss_running", tabs.loss.running),
                         ("sparkline_records", panel.sparkline.records)):
        stats[name] = {"kept": len(buffer), "appended": buffer.appended,
                       "capacity": buffer.capacity, "max_points": buffer.max_points,
                       "stride": buffer.stride, "kb": round(buffer.nbytes / 1e3, 1)}
    for layer_id, buffer in tabs.health.histories.items():
        stats[f"health_{layer_id}"] = {"kept": len(buffer), "appended": buffer.appended,
                                       "capacity": buffer.capacity,
                                       "max_points": buffer.max_points}
    return stats


def gui_run(steps: int = STEPS, *, max_rate: float = GUI_UPDATE_RATE,
            events_every: int = 10) -> dict[str, Any]:
    """The engine plus the output panel, the analysis tabs and the visualiser thread,
    every update delivered at once; Qt events (throttled redraws, frames) are processed
    after every ``events_every`` updates, and the visible tab changes every 10,000 steps."""
    from PySide6.QtWidgets import QApplication

    from nncore.runner import Runner

    app = QApplication.instance() or QApplication([])
    project_ = project()
    feed, visualiser, panel, tabs = _widgets(project_)
    meter = _Meter(steps)
    runner = Runner(project_, max_rate=max_rate)
    counts = {"updates": 0, "tab_switches": 0}

    def take(updates) -> None:
        for update in updates:
            feed.deliver(update)
            counts["updates"] += 1
            if counts["updates"] % events_every == 0:
                app.processEvents()
        step = runner.session.trainer.step
        if step // 10_000 > counts["tab_switches"]:
            counts["tab_switches"] += 1
            tabs.setCurrentIndex(counts["tab_switches"] % tabs.count())
        meter.sample(step)

    try:
        _train(runner, steps, take)
        panel.flush()
        tabs.flush()
        app.processEvents()
        trainer = runner.session.trainer
        return meter.result(steps=trainer.step, epochs=trainer.epoch,
                            history_records=len(feed.history), updates=counts["updates"],
                            buffers=buffer_stats(panel, tabs))
    finally:
        visualiser.shutdown(2000)
        for widget in (panel, tabs):
            widget.close()
            widget.deleteLater()
        app.processEvents()


def run(steps: int = STEPS) -> dict[str, Any]:
    """Both runs (the engine first, before Qt and pyqtgraph are imported)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    return {"engine": engine_run(steps), "gui": gui_run(steps)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=STEPS)
    args = parser.parse_args(argv)
    results = run(args.steps)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
