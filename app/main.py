"""Entry point: ``backprop-lab`` / ``python -m app`` (and the packaged executable).

Sets up the process before anything heavy is imported (BLAS threads, multiprocessing in a
frozen app), then creates the QApplication and the window, opens the two-spirals lesson
(or the file given) and runs. ``--smoke`` trains the default lesson a few epochs without
anyone at the keyboard, writes a screenshot and/or report if asked and exits 0 on success:
CI runs it on the packaged executable.
"""

from __future__ import annotations

import os

# BLAS reads these when NumPy is first imported: one thread in the GUI process keeps the
# event loop responsive (docs/decisions.md). The training child gets its own setting.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import json  # noqa: E402
import multiprocessing  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from nncore import __version__  # noqa: E402

DEFAULT_LESSON = "two-spirals"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options of the desktop app."""
    parser = argparse.ArgumentParser(prog="backprop-lab",
                                     description="Learn how neural networks train.")
    parser.add_argument("project", nargs="?", help="a .bplab project or lesson .json to open")
    parser.add_argument("--version", action="version", version=f"Backprop Lab {__version__}")
    parser.add_argument("--lesson", help="open a built-in lesson by name (e.g. two-spirals)")
    parser.add_argument("--smoke", action="store_true",
                        help="train the default lesson briefly and exit (for CI)")
    parser.add_argument("--epochs", type=int, default=20, help="epochs for --smoke")
    parser.add_argument("--screenshot", metavar="PNG", help="with --smoke: save the window")
    parser.add_argument("--report", metavar="JSON", help="with --smoke: write the results")
    parser.add_argument("--engine", choices=["process", "thread"], default="process",
                        help="train in a child process (default) or in a thread")
    parser.add_argument("--blas-threads", type=int, default=1,
                        help="BLAS threads of the training process (default 1)")
    parser.add_argument("--no-start-screen", action="store_true",
                        help="skip the start screen")
    parser.add_argument("--startup-probe", action="store_true",
                        help="print 'window-ready' once the window is usable, then quit "
                             "(start-up benchmark)")
    parser.add_argument("--autotrain", action="store_true",
                        help="start training as soon as the window is shown (testing)")
    parser.add_argument("--autosave-interval-ms", type=int, metavar="MS",
                        help="autosave every MS milliseconds instead of every 2 minutes "
                             "(testing crash recovery)")
    return parser.parse_args(argv)


def create_application(argv: list[str]):
    """The QApplication with our names, icon and style (imports Qt)."""
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(argv)
    app.setApplicationName("Backprop Lab")
    app.setOrganizationName("Backprop Lab")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("backprop-lab")
    from nncore.locations import resources_dir

    icon = resources_dir() / "icons" / "backprop-lab.svg"
    if icon.is_file():
        app.setWindowIcon(QIcon(str(icon)))
    from app.gc_guard import GuiThreadCollector
    from app.theme import configure_pyqtgraph

    configure_pyqtgraph()
    if not hasattr(app, "gc_collector"):  # cycles are collected on this thread only
        app.gc_collector = GuiThreadCollector(parent=app)
    return app


def open_initial(window, args: argparse.Namespace) -> None:
    """Open the file or lesson asked for; the default lesson if there is none or it fails."""
    if args.project and window.files.open(args.project):
        return
    from app.lessons import open_lesson

    if not (args.lesson and open_lesson(window.document, args.lesson)):
        open_lesson(window.document, DEFAULT_LESSON)


def run_smoke(window, app, args: argparse.Namespace) -> int:
    """Train ``args.epochs`` epochs of the open project, save what was asked, exit code."""
    from PySide6.QtCore import QEventLoop, QTimer

    from nncore.runner import RunState

    window.data_source.wait(30000)
    app.processEvents()
    doc = window.document
    doc.set_training(dataclasses.replace(doc.training, epochs=args.epochs), "Smoke test epochs")
    loop = QEventLoop()
    finished: list[object] = []

    def on_update(update):
        if update.state in (RunState.FINISHED, RunState.FAILED):
            finished.append(update)
            loop.quit()

    window.controller.update_received.connect(on_update)
    window.controller.error_occurred.connect(lambda text: (finished.append(text), loop.quit()))
    started = time.perf_counter()
    window.controller.train()
    QTimer.singleShot(120_000, loop.quit)
    loop.exec()
    QTimer.singleShot(500, loop.quit)  # let the last frame paint
    loop.exec()
    ok = bool(finished) and not isinstance(finished[0], str)
    if args.screenshot:
        window.grab().save(args.screenshot)
    if args.report:
        Path(args.report).write_text(json.dumps(_smoke_report(window, finished, started, ok),
                                                indent=2) + "\n", encoding="utf-8")
    return 0 if ok else 1


def _smoke_report(window, finished, started, ok) -> dict:
    history = window.controller.history
    last = history[-1] if history else None
    return {"ok": ok, "version": __version__, "seconds": round(time.perf_counter() - started, 3),
            "engine": window.controller.mode, "epochs": last.epoch if last else 0,
            "train_loss": last.train_loss if last else None,
            "train_metric": last.train_metric if last else None,
            "error": finished[0] if finished and isinstance(finished[0], str) else None}


def _probe_startup(window, app) -> int:
    """Report when the first event-loop turn after showing the window has run (the window
    is painted and answers input), then quit: what ``bench/startup.py`` times."""
    from PySide6.QtCore import QTimer

    def ready() -> None:
        print("window-ready", flush=True)
        window.shutdown()
        app.quit()

    QTimer.singleShot(0, ready)
    return app.exec()


def main(argv: list[str] | None = None) -> int:
    """Run the application; returns the exit code."""
    multiprocessing.freeze_support()
    args = parse_args(argv)
    from app.crash import CrashReporter, configure_logging

    log_path = configure_logging()
    app = create_application(sys.argv[:1])
    reporter = CrashReporter(log_path, show_dialogs=not args.smoke)
    reporter.install()
    from app.main_window import MainWindow

    window = MainWindow(engine_mode=args.engine, blas_threads=args.blas_threads)
    window.crash_reporter = reporter
    reporter.watch(window.controller)
    if args.autosave_interval_ms:
        window.autosaver.set_interval(args.autosave_interval_ms)
    if args.smoke:  # nobody is at the keyboard: report problems, never wait on a dialog
        window.files.show_error = lambda title, text: print(f"{title}: {text}",
                                                            file=sys.stderr)
    open_initial(window, args)
    if args.smoke:
        window.show()
        code = run_smoke(window, app, args)
        window.shutdown()
        return code
    window.show()
    if args.startup_probe:
        return _probe_startup(window, app)
    recovered = window.offer_recovery()
    if not (args.project or recovered or args.no_start_screen or args.autotrain):
        window.show_start_screen()
    if args.autotrain:
        from PySide6.QtCore import QTimer

        QTimer.singleShot(0, window.controller.train)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
