"""GUI benchmark: does watching training slow it down, and does training stall the GUI?

Measures, headless (offscreen Qt still paints into its backing store):

1. ``throughput``: steps per second of the two-spirals lesson (2-16-16-1 tanh, Adam, batch
   32) trained by the engine alone in a child process, and trained by the real main window
   (child-process engine, every live plot on screen); their ratio (target >= 0.90).
2. ``latency``: lateness of a 10 ms timer on the GUI thread while that window trains
   (target: 99th percentile < 30 ms).
3. ``decision_map``: a 200 x 200 decision map of a 2-16-16-2 network recomputed
   (``nncore.visual``) and redrawn (the output panel's image item, painted) back to back,
   in frames per second (target >= 30), and the frames per second the live window
   actually showed while training.

Run: ``QT_QPA_PLATFORM=offscreen python -m bench.gui [--seconds 8] [--json FILE]``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

LESSON = "two-spirals"


def _engine_alone(seconds: float, queue) -> None:
    """Child process: the lesson's training through the runner, no one watching."""
    from nncore.lessons import load_lesson
    from nncore.runner import Runner

    runner = Runner(load_lesson(LESSON))
    runner.session.trainer.epochs = 10**6
    runner.handle("run")
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        runner.run_for(0.02)  # updates are built as for the GUI, then dropped
    elapsed = time.perf_counter() - started
    queue.put(runner.session.trainer.step / elapsed)


def engine_steps_per_second(seconds: float) -> float:
    """Steps per second of the lesson's engine in a spawned child, without a GUI."""
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    process = ctx.Process(target=_engine_alone, args=(seconds, queue))
    process.start()
    rate = queue.get(timeout=seconds + 60)
    process.join(10)
    return rate


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def window_run(seconds: float) -> dict[str, float]:
    """Train the lesson in the real main window; measure steps/s, timer lateness, frames."""
    from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    from app.main import create_application
    from app.main_window import MainWindow

    app = create_application(sys.argv[:1])
    window = MainWindow(engine_mode="process")
    window.open_lesson(LESSON)
    window.document.set_training(dataclasses.replace(window.document.training, epochs=10**6),
                                 "long run")
    window.show()
    window.data_source.wait(30000)
    app.processEvents()
    frames: list[float] = []
    window.visualiser.frame_ready.connect(lambda _f: frames.append(time.perf_counter()))
    lateness: list[float] = []
    clock = QElapsedTimer()
    timer = QTimer()
    timer.setInterval(10)
    expected = [0.0]

    def tick() -> None:
        now = clock.nsecsElapsed() / 1e6
        lateness.append(max(0.0, now - expected[0]))
        expected[0] = now + 10

    timer.timeout.connect(tick)
    loop = QEventLoop()
    window.controller.state_changed.connect(
        lambda state: loop.quit() if state == "running" else None)
    QTimer.singleShot(60_000, loop.quit)
    window.controller.train()
    loop.exec()  # until the engine runs
    first = window.controller.last_update.snapshot
    started = time.perf_counter()
    clock.start()
    expected[0] = 10
    timer.start()
    QTimer.singleShot(round(seconds * 1000), loop.quit)
    loop.exec()  # the real event loop, as the app runs it
    timer.stop()
    last = window.controller.last_update.snapshot
    elapsed = time.perf_counter() - started
    shown = [t for t in frames if t >= started]
    window.files.ask_unsaved = lambda: QMessageBox.StandardButton.Discard
    window.close()
    QApplication.processEvents()
    return {"steps_per_s": (last.step - first.step) / elapsed,
            "timer_p50_ms": statistics.median(lateness),
            "timer_p99_ms": _percentile(lateness, 0.99),
            "timer_max_ms": max(lateness),
            "boundary_fps_live": len(shown) / elapsed}


def decision_map_fps(frames: int = 60) -> float:
    """Recompute and redraw a 200 x 200 decision map of a 2-16-16-2 network, back to back."""
    import numpy as np
    from PySide6.QtWidgets import QApplication

    from app.main import create_application
    from app.plots.decision_boundary import DecisionMap
    from nncore.data import load_dataset, prepare
    from nncore.spec import DataSpec, TrainingSpec, mlp_spec
    from nncore.visual import decision_map, eval_network, plot_extent

    app = create_application(sys.argv[:1])
    spec = mlp_spec([16, 16], "tanh", output_activation="softmax")
    data = DataSpec("spirals")
    splits = prepare(load_dataset(data), data)
    network = eval_network(spec, TrainingSpec(), splits)
    view = DecisionMap()
    view.resize(460, 460)
    view.show()
    view.set_splits(splits)
    extent = plot_extent(splits.raw_train, splits.info.domain)
    rng = np.random.default_rng(0)
    weights = network.get_weights()
    app.processEvents()
    started = time.perf_counter()
    for _ in range(frames):
        network.set_weights({k: v + rng.normal(0, 0.01, v.shape).astype(v.dtype)
                             for k, v in weights.items()})
        view.show_map(decision_map(network, splits.preprocessing, extent, 200))
        view.repaint()
    fps = frames / (time.perf_counter() - started)
    view.close()
    QApplication.processEvents()
    return fps


def run(seconds: float = 8.0) -> dict[str, dict[str, float]]:
    """Every GUI measurement in one run."""
    with tempfile.TemporaryDirectory() as home:
        os.environ["BACKPROP_LAB_HOME"] = home
        alone = engine_steps_per_second(seconds)
        live = window_run(seconds)
        fps = decision_map_fps()
    return {
        "throughput": {"engine_alone_steps_per_s": alone,
                       "with_live_plots_steps_per_s": live["steps_per_s"],
                       "ratio": live["steps_per_s"] / alone, "target": 0.90},
        "latency": {"p50_ms": live["timer_p50_ms"], "p99_ms": live["timer_p99_ms"],
                    "max_ms": live["timer_max_ms"], "target_p99_ms": 30.0},
        "decision_map": {"recompute_and_redraw_fps": fps,
                         "live_window_fps": live["boundary_fps_live"], "target_fps": 30.0},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args(argv)
    results = run(args.seconds)
    t, lat, d = results["throughput"], results["latency"], results["decision_map"]
    print(f"training alone        {t['engine_alone_steps_per_s']:9.0f} steps/s")
    print(f"with the live window  {t['with_live_plots_steps_per_s']:9.0f} steps/s  "
          f"ratio {t['ratio']:.2f} (target >= {t['target']:.2f})")
    print(f"GUI timer lateness    p50 {lat['p50_ms']:.1f} ms, p99 {lat['p99_ms']:.1f} ms, "
          f"max {lat['max_ms']:.1f} ms (target p99 < {lat['target_p99_ms']:.0f} ms)")
    print(f"200x200 decision map  {d['recompute_and_redraw_fps']:.0f} frames/s recomputed and "
          f"redrawn; {d['live_window_fps']:.0f} frames/s shown live (target >= 30)")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
