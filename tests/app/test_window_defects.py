"""Interaction defects of issue 11 seen in the window, each driven as a user drives it."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QRect, QSettings, QSize, Qt
from PySide6.QtGui import QAction, QFontMetricsF, QKeySequence, QShortcut
from PySide6.QtWidgets import QToolButton

from app.actions import redo_shortcuts
from app.plots.big_numbers import format_loss
from nncore.runner import RunState
from tests.app.conftest import make_window

pytestmark = pytest.mark.gui
ROOT = Path(__file__).resolve().parents[2]
CTRL, SHIFT = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier


# -- 1. redo from the keyboard -------------------------------------------------------------


@pytest.mark.parametrize("keys", [(Qt.Key.Key_Z, CTRL | SHIFT), (Qt.Key.Key_Y, CTRL)],
                         ids=["ctrl-shift-z", "ctrl-y"])
def test_redo_from_the_keyboard(qtbot, window, keys):
    doc = window.document
    before = doc.network
    window.designer.add_layer("dropout", 1)
    after = doc.network
    qtbot.keyClick(window, Qt.Key.Key_Z, CTRL)
    assert doc.network == before
    qtbot.keyClick(window, *keys)
    assert doc.network == after


@pytest.mark.parametrize("platform", [["Ctrl+Shift+Z"], ["Ctrl+Y", "Ctrl+Shift+Z"],
                                      ["Ctrl+Y", "Alt+Shift+Backspace", "Ctrl+Shift+Z"],
                                      ["Shift+Ctrl+Z"], []],
                         ids=["x11", "windows", "offscreen", "mac", "none"])
def test_redo_keys_are_listed_once_whatever_the_platform_binds(platform):
    keys = [k.toString() for k in redo_shortcuts([QKeySequence(p) for p in platform])]
    assert len(keys) == len(set(keys))  # a repeated key is ambiguous: Qt fires neither
    assert {"Ctrl+Shift+Z", "Ctrl+Y"} <= set(keys)


def test_no_key_is_bound_twice_in_the_window(window):
    bound: dict[str, str] = {}
    shortcuts = [(a.text(), a.shortcuts()) for a in window.findChildren(QAction)]
    shortcuts += [(s.objectName() or "shortcut", s.keys()) for s in
                  window.findChildren(QShortcut)]
    for owner, keys in shortcuts:
        for key in keys:
            text = key.toString()
            assert text not in bound or bound[text] == owner, \
                f"{text} is bound to {bound.get(text)!r} and {owner!r}"
            bound[text] = owner


XCB_PROBE = textwrap.dedent("""
    from PySide6.QtCore import QSettings, Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    from app.main_window import MainWindow
    w = MainWindow(engine_mode="thread", settings=QSettings(r"{ini}", QSettings.IniFormat))
    w.show(); w.activateWindow()
    QTest.qWaitForWindowActive(w, 5000)
    doc = w.document
    results = []
    for key, mods in ((Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier),
                      (Qt.Key_Y, Qt.ControlModifier)):
        w.designer.add_layer("dropout", 1)  # something to undo
        doc.undo_stack.undo()
        before = doc.undo_stack.index()
        QTest.keyClick(w, key, mods)
        QApplication.processEvents()
        results.append(doc.undo_stack.index() == before + 1)
    print("REDO", results, [k.toString() for k in w.actions.redo.shortcuts()])
    w.shutdown()
""")


@pytest.mark.skipif(shutil.which("Xvfb") is None, reason="needs Xvfb for a real X11 session")
def test_redo_keys_work_under_a_real_x11_server(tmp_path):
    """Linux's own key bindings only exist on xcb: run the window there, off this process."""
    read, write = os.pipe()
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1366x768x24"],
                            pass_fds=(write,), stderr=subprocess.DEVNULL)
    os.close(write)
    try:
        display = os.read(read, 32).decode().strip()
        env = dict(os.environ, DISPLAY=f":{display}", QT_QPA_PLATFORM="xcb",
                   PYTHONPATH=str(ROOT))
        script = XCB_PROBE.format(ini=tmp_path / "settings.ini")
        done = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
    finally:
        os.close(read)
        xvfb.kill()
        xvfb.wait()
    assert "REDO [True, True]" in done.stdout, done.stdout + done.stderr


# -- 2. no stale numbers after the data or design changes ------------------------------------


def _shown_numbers(window) -> dict[str, object]:
    """Every result of a run the window shows, by view (empty when nothing is shown)."""
    out, tabs = window.output_panel, window.tabs
    numbers = out.numbers
    shown: dict[str, object] = {
        "big numbers": [n.value.text() for n in (numbers.metric_number,
                                                 numbers.train_loss_number,
                                                 numbers.val_loss_number)
                        if n.value.text() != "–"],
        "epoch": numbers.epoch_number.value.text() != "0",
        "run status": [w.text() for w in (window.run_status.step_label,
                                          window.run_status.rate_label,
                                          window.run_status.left_label) if w.text()]
        + ([window.run_status.epoch_label.text()]
           if window.run_status.epoch_label.text() != "epoch 0" else []),
        "progress": window.run_status.progress.value(),
    }
    for name, plot in (("sparkline", out.sparkline), ("output curves", out.loss_view),
                       ("loss tab", tabs.loss)):
        shown[name] = len(plot.records) + len(plot.running)
    for name, view in (("output confusion", out.confusion), ("confusion tab", tabs.confusion)):
        shown[name] = [view.coverage.text()] if view.coverage.text() else []
        shown[name] += [cell for row in view.texts for cell in row]
    shown["map"] = out.decision_map.image.image is not None
    shown["fit curve"] = any(len(c.getData()[0] or []) for c in out.fit_curve.curves)
    shown["designer weights"] = window.designer.scene._weights is not None
    return {k: v for k, v in shown.items() if v}


def _switch_data(qtbot, window, name: str) -> None:
    splits = window.data_source.splits
    window.data_panel.picker.dataset_chosen.emit(name)
    assert window.document.data.source == name
    qtbot.waitUntil(lambda: window.data_source.splits is not splits and
                    window.data_source.splits is not None, timeout=30000)
    qtbot.wait(300)  # let any update or frame already on its way arrive


@pytest.mark.parametrize("pause_first", [True, False], ids=["paused", "running"])
@pytest.mark.parametrize("new_data", ["iris", "sine"])
def test_switching_the_data_set_withdraws_every_result(qtbot, window, new_data, pause_first):
    ctl = window.controller
    doc = window.document
    doc.set_training(dataclasses.replace(doc.training, epochs=100_000), "Long run")
    window.tabs.show_tab("confusion")
    ctl.train()
    qtbot.waitUntil(lambda: len(ctl.history) >= 5 and
                    bool(window.tabs.confusion.coverage.text()), timeout=60000)
    if pause_first:
        ctl.pause()
        qtbot.waitUntil(lambda: ctl.state == RunState.PAUSED.value, timeout=5000)
    window.output_panel.flush()
    window.tabs.flush()
    assert {"big numbers", "loss tab", "confusion tab", "map"} <= set(_shown_numbers(window))
    _switch_data(qtbot, window, new_data)
    window.output_panel.flush()
    window.tabs.flush()
    assert _shown_numbers(window) == {}
    assert ctl.state != RunState.RUNNING.value  # the old network cannot go on with new data
    window.message_bar.button("Reset and apply").click()
    qtbot.waitUntil(lambda: ctl.state == RunState.READY.value and not ctl.is_stale,
                    timeout=10000)


def test_a_reopened_trained_project_withdraws_its_results_when_the_data_changes(
        qtbot, window, tmp_path):
    ctl = window.controller
    ctl.step_epoch()
    qtbot.waitUntil(lambda: len(ctl.history) == 1 and ctl.state == RunState.PAUSED.value,
                    timeout=30000)
    qtbot.waitUntil(lambda: window.document.project.weights is not None, timeout=5000)
    path = tmp_path / "trained.bplab"
    window.files.ask_save_path = lambda: str(path)
    assert window.files.save_as()
    assert window.files.open(path)
    window.output_panel.flush()
    assert "big numbers" in _shown_numbers(window)  # the saved run's numbers
    _switch_data(qtbot, window, "iris")
    window.output_panel.flush()
    assert "big numbers" not in _shown_numbers(window)
    assert ctl.is_stale and window.message_bar.button("Reset and apply") is not None


def test_undoing_the_change_brings_the_results_back(qtbot, window):
    ctl = window.controller
    ctl.step_epoch()
    qtbot.waitUntil(lambda: len(ctl.history) == 1 and ctl.state == RunState.PAUSED.value,
                    timeout=30000)
    window.output_panel.flush()
    _switch_data(qtbot, window, "iris")
    assert "big numbers" not in _shown_numbers(window)
    window.document.undo_stack.undo()
    qtbot.waitUntil(lambda: not ctl.is_stale, timeout=5000)
    window.output_panel.flush()
    record = ctl.history[-1]
    assert window.output_panel.numbers.val_loss_number.value.text() == \
        format_loss(record.val_loss)


# -- 6. the confusion matrix ------------------------------------------------------------------


def _exported(qtbot, window):
    got = []
    window.controller.export(got.append)
    qtbot.waitUntil(lambda: bool(got), timeout=10000)
    return got[0]


def test_confusion_matrix_fills_its_tab_with_counts_and_row_shares(qtbot, window):
    from nncore.session import session_from_project

    ctl = window.controller
    _switch_data(qtbot, window, "digits")
    window.tabs.show_tab("confusion")
    ctl.step_epoch()
    qtbot.waitUntil(lambda: ctl.state == RunState.PAUSED.value and len(ctl.history) == 1,
                    timeout=30000)
    view = window.tabs.confusion
    view.refresh(force=True)
    session = session_from_project(_exported(qtbot, window))
    x, labels = session.data.x_val, session.data.labels_val
    predicted = session.network.predict(x).argmax(axis=1)
    expected = np.zeros((10, 10), dtype=int)
    for true, guess in zip(labels.tolist(), predicted.tolist()):
        expected[true, guess] += 1
    cells = view.texts
    assert cells, "the counts must be shown at 1366x768"
    counts = np.array([[int(c.split()[0].replace(",", "")) for c in row] for row in cells])
    np.testing.assert_array_equal(counts, expected)
    assert all("%" in cell for row in cells for cell in row if cell != "0"), \
        "row shares fit at 1366x768"
    shares = np.array([[int(c.split()[1].rstrip("%")) if c != "0" else 0 for c in row]
                       for row in cells])
    totals = expected.sum(axis=1, keepdims=True)
    assert np.all(np.abs(shares - 100 * expected / totals) <= 0.5 + 1e-9)
    assert view.coverage.text().startswith(f"<b>{len(labels):,} validation samples (all)")
    # it fills its tab: the matrix takes the page's width and nearly all its height
    page = window.tabs.currentWidget()
    assert view.canvas.width() >= page.width() - 8
    assert view.canvas.height() >= page.height() - view.coverage.height() - 12
    # class names never wider than their column
    metrics = QFontMetricsF(view.canvas._fonts(10)[0])
    cell_w = view.canvas.cells.width() / 10
    assert all(metrics.horizontalAdvance(n) <= cell_w for n in view.canvas.shown_names[1])


# -- 5. 1366 x 768 -----------------------------------------------------------------------------


def _hidden_in_toolbar(window) -> list[str]:
    """Toolbar items that are not fully shown (pushed into the » menu or cut off)."""
    bar = window.toolbar
    extension = bar.findChild(QToolButton, "qt_toolbar_ext_button")
    hidden = ["» overflow button"] if extension is not None and extension.isVisible() else []
    for action in bar.actions():
        widget = bar.widgetForAction(action)
        if action.isSeparator() or widget is None:
            continue
        inside = bar.rect().contains(widget.geometry())
        if not (widget.isVisible() and inside):
            hidden.append(action.text() or type(widget).__name__)
    return hidden


def test_at_1366x768_the_whole_toolbar_is_shown_while_training(qtbot, window):
    assert (window.width(), window.height()) == (1366, 768)
    doc = window.document
    doc.set_training(dataclasses.replace(doc.training, epochs=100_000), "Long run")
    assert _hidden_in_toolbar(window) == []
    window.controller.train()
    qtbot.waitUntil(lambda: window.actions.train.text() == "Pause" and
                    window.controller.last_update is not None and
                    window.controller.last_update.snapshot.step > 0, timeout=30000)
    qtbot.wait(100)  # the toolbar's layout after the longer texts
    assert _hidden_in_toolbar(window) == []
    assert window.run_status.epoch_label.isVisible() and window.run_status.progress.isVisible()


def _fully_visible(widget, viewport) -> bool:
    top_left = widget.mapTo(viewport, QPoint(0, 0))
    return widget.isVisible() and QRect(top_left, widget.size()).intersected(
        viewport.rect()) == QRect(top_left, widget.size())


def test_at_1366x768_the_settings_and_the_lesson_are_not_clipped(qtbot, window):
    viewport = window.left_scroll.viewport()
    panel = window.training_panel
    for widget in (panel.early_stopping, panel.epochs, panel.seed):
        assert _fully_visible(widget, viewport)
    window.tabs.setCurrentWidget(window.lesson_panel)
    qtbot.wait(50)
    steps = window.lesson_panel.step_boxes
    shown = [box for box in steps if _fully_visible(box, window.lesson_panel.scroll.viewport())]
    assert len(shown) >= min(len(steps), 4), f"{len(shown)} of {len(steps)} steps shown"


def test_window_layout_is_remembered_between_launches(qtbot, settings):
    first = make_window(qtbot, settings, lesson=None)
    first.main_splitter.setSizes([380, 310])
    first.top_splitter.setSizes([500, 570])
    first.outer_splitter.setSizes([320, 1040])
    first.tabs.show_tab("health")
    first.resize(1200, 700)
    remembered = (first.main_splitter.sizes(), first.top_splitter.sizes(),
                  first.outer_splitter.sizes())
    first.close()
    assert first.controller._thread.wait(3000)
    second = make_window(qtbot, settings, lesson=None)
    try:
        assert (second.width(), second.height()) == (1200, 700)
        assert (second.main_splitter.sizes(), second.top_splitter.sizes(),
                second.outer_splitter.sizes()) == remembered
        assert second.tabs.currentWidget() is second.tabs.tab_widgets["health"]
    finally:
        second.close()
        assert second.controller._thread.wait(3000)


def test_a_remembered_size_larger_than_the_screen_is_cut_to_the_screen(qtbot, settings,
                                                                       monkeypatch):
    """A size saved on a taller monitor (or by a build whose window grew) must not open
    with the bottom rows out of reach on a 1366×768 laptop (the headless screen is
    800×800, smaller than the window can be, so the laptop's screen is stood in for)."""
    from app import layout_memory

    monkeypatch.setattr(layout_memory, "available_size", lambda *_: QSize(1366, 768))
    settings.setValue("window/size", QSize(1366, 1100))
    window = make_window(qtbot, settings, lesson=None)
    try:
        assert (window.width(), window.height()) == (1366, 768)
    finally:
        window.close()
        assert window.controller._thread.wait(3000)


def test_layout_memory_never_touches_the_users_settings(settings):
    assert settings.format() == QSettings.Format.IniFormat
    assert "Backprop Lab" not in settings.fileName()


# -- 4. the training speed ---------------------------------------------------------------------


def test_the_speed_slider_paces_the_run_and_the_views_show_every_step(qtbot, window):
    from app.widgets.speed_control import STOPS

    doc, ctl, slider = window.document, window.controller, window.speed_control.slider
    doc.set_training(dataclasses.replace(doc.training, epochs=100_000), "Long run")
    slider.setValue(STOPS.index(10))  # what a drag to "10/s" does
    assert doc.training.steps_per_second == 10.0
    assert window.speed_control.value.text() == "10/s"
    doc.undo_stack.undo()
    assert doc.training.steps_per_second == 0.0 and slider.value() == len(STOPS) - 1
    doc.undo_stack.redo()
    assert slider.value() == STOPS.index(10)
    steps: list[int] = []
    ctl.update_received.connect(lambda u: steps.append(u.snapshot.step))
    ctl.train()
    qtbot.waitUntil(lambda: len(set(steps)) >= 5, timeout=30000)
    ctl.pause()
    qtbot.waitUntil(lambda: ctl.state == RunState.PAUSED.value, timeout=5000)
    shown = sorted(set(steps) - {0})
    assert shown == list(range(shown[0], shown[-1] + 1))  # no step went unseen
    # back to full speed mid-run: far more steps arrive between two updates
    slider.setValue(len(STOPS) - 1)
    ctl.train()
    qtbot.waitUntil(lambda: max(steps) >= shown[-1] + 200, timeout=30000)
    ctl.pause()


def test_the_speed_is_saved_with_the_project(qtbot, window, tmp_path):
    from app.widgets.speed_control import STOPS

    window.speed_control.slider.setValue(STOPS.index(50))
    path = tmp_path / "paced.bplab"
    window.files.ask_save_path = lambda: str(path)
    assert window.files.save_as()
    window.files.new()
    assert window.document.training.steps_per_second == 0.0
    assert window.speed_control.value.text() == "full"
    assert window.files.open(path)
    assert window.document.training.steps_per_second == 50.0
    assert window.speed_control.slider.value() == STOPS.index(50)


# -- pictures for people to look at ------------------------------------------------------------


@pytest.mark.slow
def test_screenshots_of_mnist_training_at_1366x768(qtbot, window, artifacts_dir):
    """Leaves tests/artifacts/window_1366x768_mnist.png (while training) and
    confusion_matrix.png (paused: every validation sample counted)."""
    ctl = window.controller
    _switch_data(qtbot, window, "mnist")
    window.tabs.show_tab("confusion")
    ctl.train()
    qtbot.waitUntil(lambda: len(ctl.history) >= 1 and
                    bool(window.tabs.confusion.coverage.text()), timeout=180000)
    assert ctl.state == RunState.RUNNING.value
    window.output_panel.flush()
    window.tabs.flush()
    qtbot.wait(300)
    assert _hidden_in_toolbar(window) == []
    assert window.grab().save(str(artifacts_dir / "window_1366x768_mnist.png"))
    ctl.pause()
    qtbot.waitUntil(lambda: ctl.state == RunState.PAUSED.value, timeout=10000)
    view = window.tabs.confusion
    qtbot.waitUntil(lambda: "12,000 validation samples (all)" in view.coverage.text(),
                    timeout=10000)
    window.tabs.flush()
    assert view.texts and view.grab().save(str(artifacts_dir / "confusion_matrix.png"))


def test_time_left_follows_a_slow_pace():
    from app.run_status import time_left
    from nncore.runner import Update
    from nncore.training import Snapshot

    snap = Snapshot(epoch=10, step=1000, step_in_epoch=0, steps_per_epoch=100,
                    epochs_total=20, batch_loss=0.1, running_loss=0.1, lr=0.01,
                    samples_per_s=32_000.0, elapsed=1.0, metric_name="accuracy")
    update = Update(RunState.RUNNING, snap)
    assert time_left(update) == pytest.approx(1.0)  # 1,000 steps left at full speed
    assert time_left(update, pace=10.0) == pytest.approx(100.0)  # held to 10 steps/s
    assert time_left(update, pace=1e5) == pytest.approx(1.0)  # a pace it cannot reach
