"""The whole window, driven as a student drives it."""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from nncore.project import load_project
from nncore.runner import RunState
from tests.app.conftest import make_window

pytestmark = pytest.mark.gui


def _long_run(window) -> None:
    """Give the lesson more epochs than a test can reach, so a run paused "after 95%" is
    still running when the pause arrives (a 300-epoch run can end first on a fast machine)."""
    doc = window.document
    doc.set_training(dataclasses.replace(doc.training, epochs=100_000), "Long run")


def _train_until(qtbot, window, predicate, timeout=60000):
    window.controller.train()
    qtbot.waitUntil(predicate, timeout=timeout)


def _last_accuracy(window) -> float:
    history = window.controller.history
    return history[-1].train_metric if history else 0.0


def test_opens_on_the_two_spirals_lesson_ready_to_train(window):
    lesson = window.document.project.lesson
    assert lesson is not None and lesson["id"] == "two-spirals"
    assert window.document.problems() == []
    assert window.actions.train.isEnabled()
    assert "Two spirals" in window.windowTitle()
    assert window.tabs.currentWidget() is window.lesson_panel
    assert not window.document.is_dirty


def test_trains_the_spirals_to_95_percent_through_the_worker(qtbot, window):
    _long_run(window)
    _train_until(qtbot, window, lambda: _last_accuracy(window) >= 0.95)
    window.controller.pause()
    qtbot.waitUntil(lambda: window.controller.state == RunState.PAUSED.value, timeout=5000)
    # the weights came back to the document, so saving would include them
    qtbot.waitUntil(lambda: window.document.project.weights is not None, timeout=5000)
    assert window.document.is_dirty
    assert "*" in window.windowTitle() or window.isWindowModified()


def test_pause_step_batch_step_epoch_and_stop(qtbot, window):
    _long_run(window)
    ctl = window.controller
    _train_until(qtbot, window, lambda: len(ctl.history) >= 3)
    ctl.pause()
    qtbot.waitUntil(lambda: ctl.state == RunState.PAUSED.value, timeout=5000)
    step = ctl.last_update.snapshot.step
    ctl.step_batch()
    qtbot.waitUntil(lambda: ctl.last_update.snapshot.step == step + 1, timeout=5000)
    assert ctl.state == RunState.PAUSED.value
    epoch = ctl.last_update.snapshot.epoch
    ctl.step_epoch()
    qtbot.waitUntil(lambda: ctl.last_update.snapshot.epoch == epoch + 1, timeout=5000)
    assert ctl.last_update.snapshot.step_in_epoch == 0
    ctl.stop()
    qtbot.waitUntil(lambda: ctl.state == RunState.FINISHED.value, timeout=5000)
    assert ctl.last_update.snapshot.stop_reason.value == "stopped"


def test_space_toggles_training(qtbot, window):
    _long_run(window)
    qtbot.keyClick(window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.controller.state == RunState.RUNNING.value, timeout=10000)
    qtbot.keyClick(window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.controller.state == RunState.PAUSED.value, timeout=10000)


def test_design_edits_undo_and_redo_through_the_menu_actions(qtbot, window):
    doc = window.document
    before = doc.network
    window.designer.add_layer("dropout", 1)
    assert len(doc.network.layers) == len(before.layers) + 1
    window.actions.undo.trigger()
    assert doc.network == before
    window.actions.redo.trigger()
    assert len(doc.network.layers) == len(before.layers) + 1


def test_a_design_change_after_training_asks_for_a_reset(qtbot, window):
    _long_run(window)
    ctl = window.controller
    _train_until(qtbot, window, lambda: len(ctl.history) >= 2)
    ctl.pause()
    qtbot.waitUntil(lambda: ctl.state == RunState.PAUSED.value, timeout=5000)
    hidden = window.document.network.layers[0]
    window.document.set_network(window.document.network.replace_layer(hidden.id, units=8),
                                "Set units")
    qtbot.waitUntil(lambda: window.message_bar.isVisible(), timeout=5000)
    assert ctl.is_stale
    assert window.message_bar.button("Reset and apply") is not None
    window.message_bar.button("Reset and apply").click()
    qtbot.waitUntil(lambda: not ctl.is_stale and ctl.state == RunState.READY.value,
                    timeout=10000)
    assert ctl.history == []


def test_learning_rate_change_applies_mid_run_without_reset(qtbot, window):
    _long_run(window)
    ctl = window.controller
    _train_until(qtbot, window, lambda: len(ctl.history) >= 2)
    doc = window.document
    doc.set_training(dataclasses.replace(
        doc.training, optimizer=dataclasses.replace(doc.training.optimizer, lr=0.003)), "lr")
    qtbot.waitUntil(lambda: ctl.last_update is not None and
                    abs(ctl.last_update.snapshot.lr - 0.003) < 1e-12, timeout=10000)
    assert not ctl.is_stale


def test_save_and_reopen_gives_identical_weights(qtbot, window, tmp_path):
    _long_run(window)
    ctl = window.controller
    _train_until(qtbot, window, lambda: len(ctl.history) >= 20)
    ctl.pause()
    qtbot.waitUntil(lambda: ctl.state == RunState.PAUSED.value, timeout=5000)
    path = tmp_path / "spirals.bplab"
    window.files.ask_save_path = lambda: str(path)
    assert window.files.save_as()
    assert not window.document.is_dirty
    exported = []
    ctl.export(exported.append)
    qtbot.waitUntil(lambda: bool(exported), timeout=5000)
    saved = load_project(path)
    for name, value in exported[0].weights.items():
        np.testing.assert_array_equal(saved.weights[name], value)
    assert len(saved.history) == len(ctl.history)
    assert window.files.open(path)
    reopened = window.document.project
    for name, value in exported[0].weights.items():
        np.testing.assert_array_equal(reopened.weights[name], value)
    assert window.windowTitle().startswith("spirals.bplab")


def test_closing_during_training_exits_cleanly_within_a_second(qtbot, settings):
    win = make_window(qtbot, settings, engine_mode="process")
    win.controller.train()
    qtbot.waitUntil(lambda: win.controller.state == RunState.RUNNING.value, timeout=30000)
    started = time.perf_counter()
    win.close()
    elapsed = time.perf_counter() - started
    assert win.controller._thread.isFinished()
    assert win.visualiser._thread.isFinished()
    assert elapsed < 1.5  # a second for the engine plus a margin for a loaded test machine


def test_process_engine_trains_the_spirals(qtbot, settings):
    win = make_window(qtbot, settings, engine_mode="process")
    try:
        _train_until(qtbot, win, lambda: _last_accuracy(win) >= 0.95, timeout=90000)
    finally:
        win.close()
    assert win.controller._thread.isFinished()


def test_screenshot_after_training_the_spirals(qtbot, window, artifacts_dir):
    """Leaves tests/artifacts/main_window_spirals.png for people to look at."""
    _long_run(window)
    _train_until(qtbot, window, lambda: _last_accuracy(window) >= 0.98)
    window.controller.pause()
    qtbot.waitUntil(lambda: window.controller.state == RunState.PAUSED.value, timeout=5000)
    window.output_panel.flush()
    window.tabs.show_tab("loss")
    window.tabs.flush()
    qtbot.wait(300)  # the visualiser's last frame
    path = artifacts_dir / "main_window_spirals.png"
    assert window.grab().save(str(path))
    image = QImage(str(path))
    assert image.width() >= 1300 and image.height() >= 700
