"""Unexpected exceptions on every thread: shown to the user, logged, and survived.

Each test injects a fault where a bug could hide (the visualiser thread, the worker
thread's training loop and command handling, the training child process, a Python helper
thread, a GUI timer), checks that the ``CrashReporter`` logged it to the log file, recorded
it and would have shown its dialog, and then trains on in the same window. (An exception in
a menu action's slot is covered by ``tests/app/test_first_run.py``.)
"""

from __future__ import annotations

import dataclasses
import logging
import logging.handlers
import os
import signal
import sys
import threading
from collections.abc import Iterator

import numpy as np
import pytest
from PySide6.QtCore import QTimer

import app.crash as crash_module
from app.crash import CrashReporter, configure_logging
from app.training import visualiser as visualiser_module
from nncore.project import Project
from nncore.runner import Runner, RunState
from tests.app.conftest import make_window
from tests.reliability.driving import settle

pytestmark = [pytest.mark.gui, pytest.mark.qt_no_exception_capture]


class Reported:
    """A crash reporter as the app installs it, with its dialogs counted, not shown."""

    def __init__(self) -> None:
        self.log_path = configure_logging()
        self.reporter = CrashReporter(self.log_path, show_dialogs=True)
        self.dialogs: list[str] = []

    def log_text(self) -> str:
        for handler in logging.getLogger().handlers:
            handler.flush()
        return self.log_path.read_text(encoding="utf-8")


@pytest.fixture
def reported(monkeypatch) -> Iterator[Reported]:
    root = logging.getLogger()
    for handler in [h for h in root.handlers
                    if isinstance(h, logging.handlers.RotatingFileHandler)]:
        root.removeHandler(handler)  # left by an earlier test, pointing at its own folder
        handler.close()
    hooks = sys.excepthook, threading.excepthook
    result = Reported()
    monkeypatch.setattr(crash_module.CrashDialog, "exec",
                        lambda dialog: result.dialogs.append(dialog.details.toPlainText()))
    result.reporter.install()
    yield result
    sys.excepthook, threading.excepthook = hooks
    for handler in [h for h in root.handlers
                    if isinstance(h, logging.handlers.RotatingFileHandler)]:
        root.removeHandler(handler)
        handler.close()


def _window(qtbot, settings, reported: Reported, mode: str = "thread"):
    window = make_window(qtbot, settings, engine_mode=mode)
    window.crash_reporter = reported.reporter
    reported.reporter.watch(window.controller)  # as app.main does
    return window


def _assert_reported(qtbot, reported: Reported, text: str) -> None:
    qtbot.waitUntil(lambda: any(text in r for r in reported.reporter.reports), timeout=30000)
    qtbot.waitUntil(lambda: any(text in d for d in reported.dialogs), timeout=5000)
    assert text in reported.log_text()


def _trains_on(qtbot, window, epochs: int = 2) -> None:
    ctl = window.controller
    start = len(ctl.history)
    ctl.train()
    qtbot.waitUntil(lambda: len(ctl.history) >= start + epochs, timeout=30000)
    ctl.pause()  # (unless the run already finished its epochs)
    qtbot.waitUntil(lambda: ctl.state in (RunState.PAUSED.value, RunState.FINISHED.value),
                    timeout=10000)


def test_an_exception_in_the_visualiser_thread(qtbot, settings, reported, monkeypatch, tally):
    real = visualiser_module._Computer._frame
    calls: list[int] = []

    def broken_once(self, job):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("a bug drawing the decision map")
        return real(self, job)

    monkeypatch.setattr(visualiser_module._Computer, "_frame", broken_once)
    window = _window(qtbot, settings, reported)
    frames: list[object] = []
    window.visualiser.frame_ready.connect(frames.append)
    try:
        window.controller.train()
        _assert_reported(qtbot, reported, "a bug drawing the decision map")
        qtbot.waitUntil(lambda: len(frames) >= 3, timeout=30000)  # the pictures go on
        _trains_on(qtbot, window)
    finally:
        window.close()
    assert window.visualiser._thread.isFinished()
    assert len(reported.reporter.reports) == 1  # reported once, not once per frame
    tally("errors: faults injected")


@pytest.mark.parametrize("where", ["command", "training loop"])
def test_an_exception_in_the_worker_thread_engine(qtbot, settings, reported, monkeypatch,
                                                  tally, where):
    """Thread mode: the engine runs on the worker thread; a bug in a command handler or in
    the training loop itself is caught there and reported, and the next run works."""
    name = "_cmd_step" if where == "command" else "run_for"
    real = getattr(Runner, name)
    calls: list[int] = []

    def broken_once(self, *args):
        calls.append(1)
        if len(calls) == 1:
            raise TypeError(f"a bug in the {where}")
        return real(self, *args)

    monkeypatch.setattr(Runner, name, broken_once)
    window = _window(qtbot, settings, reported)
    try:
        if where == "command":
            window.controller.step_batch()
        else:
            window.controller.train()
        _assert_reported(qtbot, reported, f"a bug in the {where}")
        assert window.message_bar.isVisible()
        assert f"a bug in the {where}" in window.message_bar.text
        _trains_on(qtbot, window)
    finally:
        window.close()
    tally("errors: faults injected")


def test_a_command_that_cannot_reach_the_child(qtbot, settings, reported, tally):
    """Process mode: a command pickle cannot send used to kill the worker thread, after
    which no button did anything."""
    window = _window(qtbot, settings, reported, mode="process")
    try:
        window.controller._worker.send("set_detail", lambda: "not picklable")
        _assert_reported(qtbot, reported, "cannot send the command 'set_detail'")
        _trains_on(qtbot, window)
    finally:
        window.close()
    tally("errors: faults injected")


def test_an_exception_in_the_training_child(qtbot, settings, reported, tally):
    window = _window(qtbot, settings, reported, mode="process")
    try:
        _trains_on(qtbot, window, 1)
        window.controller._worker.send("set_detail", {"no_such_detail": True})
        _assert_reported(qtbot, reported, "no_such_detail")
        _trains_on(qtbot, window)
    finally:
        window.close()
    tally("errors: faults injected")


def test_the_training_child_killed(qtbot, settings, reported, tally):
    """The child dies (out of memory, killed): the window says so, the log has it, and
    Train starts a fresh engine that continues from the weights the document holds."""
    window = _window(qtbot, settings, reported, mode="process")
    lost: list[str] = []
    window.controller.engine_lost.connect(lost.append)
    try:
        _trains_on(qtbot, window, 2)
        qtbot.waitUntil(lambda: window.document.project.weights is not None, timeout=10000)
        child = window.controller._worker._process
        os.kill(child.pid, signal.SIGKILL)
        qtbot.waitUntil(lambda: bool(lost), timeout=10000)
        assert window.controller.state == RunState.FAILED.value
        assert "stopped unexpectedly" in window.message_bar.text
        assert "the training engine was lost" in reported.log_text()
        _trains_on(qtbot, window)
        assert window.controller._worker._process.pid != child.pid
    finally:
        window.close()
    tally("errors: faults injected")


def test_weights_that_do_not_fit_the_design_are_a_clear_message(qtbot, settings, reported,
                                                                 tally):
    """A project whose weights were saved for another design: a message, not a crash
    report; and Reset trains from new weights."""
    window = _window(qtbot, settings, reported)
    doc = window.document
    try:
        wrong = {name: np.ones((3, 3), dtype=np.float32)
                 for name in ("dense-1.weight", "dense-1.bias", "dense-2.weight",
                              "dense-2.bias", "dense-3.weight", "dense-3.bias")}
        doc.replace_project(dataclasses.replace(doc.project, weights=wrong))
        window.controller.train()
        qtbot.waitUntil(lambda: window.controller.state == RunState.FAILED.value,
                        timeout=30000)
        assert "does not fit this design" in window.message_bar.text
        assert reported.reporter.reports == []  # the user's file, not a bug in the app
        assert "does not fit this design" in reported.log_text()
        window.controller.reset()
        _trains_on(qtbot, window)
    finally:
        window.close()
    tally("errors: faults injected")


def test_exceptions_in_a_helper_thread_and_a_gui_timer(qtbot, settings, reported, tally):
    window = _window(qtbot, settings, reported)
    try:
        helper = threading.Thread(target=lambda: 1 / 0, name="export-helper")
        helper.start()
        helper.join()
        _assert_reported(qtbot, reported, "in thread export-helper")

        def broken_timer() -> None:
            raise KeyError("a bug in a timer slot")

        QTimer.singleShot(0, broken_timer)
        _assert_reported(qtbot, reported, "a bug in a timer slot")
        _trains_on(qtbot, window)
        settle(qtbot, window.controller)
        assert isinstance(window.document.project, Project)
    finally:
        window.close()
    tally("errors: faults injected", 2)
