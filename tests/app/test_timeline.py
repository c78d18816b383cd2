"""The timeline (issue 15): rewinding every view, continuing from an epoch, animations."""

from __future__ import annotations

import dataclasses

import numpy as np
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QStyle, QStyleOptionSlider
from pytestqt.qtbot import QtBot

from nncore.runner import RunState


def _train_epochs(qtbot: QtBot, window, epochs: int) -> None:
    doc, ctl = window.document, window.controller
    doc.set_training(dataclasses.replace(doc.training, epochs=epochs), "Short run")
    ctl.train()
    qtbot.waitUntil(lambda: ctl.state == RunState.FINISHED.value, timeout=60000)
    qtbot.waitUntil(lambda: len(ctl.kept_epochs) == epochs + 1, timeout=5000)
    qtbot.waitUntil(lambda: window.output_panel.decision_map.grid is not None, timeout=10000)


def _expected_map(window, weights, resolution: int) -> np.ndarray:
    """The decision map of ``weights``, computed here from nncore (not by the views)."""
    from nncore.visual import decision_map, eval_network, plot_extent

    splits = window.data_source.splits
    net = eval_network(window.document.network, window.document.training, splits)
    net.set_weights(dict(weights))
    extent = plot_extent(splits.raw_train, splits.info.domain)
    return decision_map(net, splits.preprocessing, extent, resolution=resolution).values


def _map_shows(window, weights) -> bool:
    shown = window.output_panel.decision_map.grid.values
    return np.allclose(shown, _expected_map(window, weights, shown.shape[0]), atol=1e-4)


def _handle_centre(slider) -> QPoint:
    option = QStyleOptionSlider()
    slider.initStyleOption(option)
    rect = slider.style().subControlRect(QStyle.ComplexControl.CC_Slider, option,
                                         QStyle.SubControl.SC_SliderHandle, slider)
    return rect.center()


def _groove_x(slider, value: int) -> int:
    """The x pixel of slider position ``value`` (for dragging the handle there)."""
    span = slider.width() - slider.style().pixelMetric(QStyle.PixelMetric.PM_SliderLength)
    return QStyle.sliderPositionFromValue(slider.minimum(), slider.maximum(), value, span) + \
        slider.style().pixelMetric(QStyle.PixelMetric.PM_SliderLength) // 2


def _drag_to(qtbot: QtBot, slider, value: int) -> None:
    """Press on the handle and drag it to ``value`` (holding the button)."""
    start = _handle_centre(slider)
    qtbot.mousePress(slider, Qt.MouseButton.LeftButton, pos=start)
    target = QPoint(_groove_x(slider, value), start.y())
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    for x in np.linspace(start.x(), target.x(), 6).astype(int):
        point = QPoint(int(x), start.y())
        event = QMouseEvent(QMouseEvent.Type.MouseMove, point, slider.mapToGlobal(point),
                            Qt.MouseButton.NoButton, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(slider, event)


def test_dragging_the_timeline_shows_an_earlier_decision_map_and_letting_go_the_live_one(
        qtbot, window, artifacts_dir):
    ctl, timeline = window.controller, window.timeline
    _train_epochs(qtbot, window, 40)
    qtbot.waitUntil(lambda: window.document.project.history is not None and
                    len(window.document.project.history) == 40, timeout=5000)
    live_weights = window.document.project.weights
    qtbot.waitUntil(lambda: _map_shows(window, live_weights), timeout=10000)
    live_map = window.output_panel.decision_map.grid.values.copy()
    slider = timeline.slider
    assert slider.isEnabled() and slider.maximum() == 40

    _drag_to(qtbot, slider, 3)
    assert slider.isSliderDown()
    epoch = timeline.epoch_at(slider.value())
    assert 0 < epoch < 10
    qtbot.waitUntil(lambda: timeline.readout.text().startswith(f"Showing epoch {epoch}"),
                    timeout=5000)
    early = window.document.project.snapshots.get(epoch).weights
    # every view is fed the early weights; the map is drawn from them and differs
    qtbot.waitUntil(lambda: _map_shows(window, early), timeout=10000)
    assert np.abs(window.output_panel.decision_map.grid.values - live_map).max() > 0.2
    numbers = window.output_panel.numbers.epoch_number.value.text()
    assert numbers == str(epoch)
    marks = window.tabs.loss._marks  # a dashed line marks the epoch on the curves
    assert all(line.isVisible() and line.value() == epoch for line in marks)
    window.grab().save(str(artifacts_dir / "timeline_rewound.png"))

    qtbot.mouseRelease(slider, Qt.MouseButton.LeftButton, pos=QPoint(_groove_x(slider, 3),
                                                                     slider.height() // 2))
    assert not ctl.is_rewinding
    qtbot.waitUntil(lambda: not window.tabs.loss._marks[0].isVisible(), timeout=5000)
    qtbot.waitUntil(lambda: _map_shows(window, live_weights), timeout=10000)
    assert timeline.continue_button.isEnabled()
    assert timeline.continue_button.text() == f"Continue from epoch {epoch}"
    for name, value in live_weights.items():  # looking back changed nothing
        np.testing.assert_array_equal(window.document.project.weights[name], value)


def test_continue_from_an_epoch_branches_the_run_and_undo_restores_it(qtbot, window):
    ctl, doc, timeline = window.controller, window.document, window.timeline
    _train_epochs(qtbot, window, 12)
    qtbot.waitUntil(lambda: doc.project.history is not None and len(doc.project.history) == 12,
                    timeout=5000)
    before = doc.project
    timeline.slider.setValue(5)  # the keyboard's way of picking an epoch
    assert timeline.picked == 5 and timeline.continue_button.isEnabled()
    qtbot.mouseClick(timeline.continue_button, Qt.MouseButton.LeftButton)
    assert [r.epoch for r in doc.project.history.records] == [1, 2, 3, 4, 5]
    for name, value in before.snapshots.get(5).weights.items():
        np.testing.assert_array_equal(doc.project.weights[name], value)
    qtbot.waitUntil(lambda: ctl.kept_epochs == (0, 1, 2, 3, 4, 5), timeout=5000)
    assert [r.epoch for r in ctl.history] == [1, 2, 3, 4, 5]
    assert doc.undo_stack.undoText() == "Continue training from epoch 5"
    # training goes on from epoch 5
    ctl.step_epoch()
    qtbot.waitUntil(lambda: ctl.last_update is not None and
                    ctl.last_update.snapshot.epoch == 6, timeout=5000)

    doc.undo_stack.undo()
    assert len(doc.project.history) == 12
    qtbot.waitUntil(lambda: ctl.kept_epochs[-1] == 12, timeout=5000)
    assert [r.epoch for r in ctl.history] == list(range(1, 13))


def test_the_animation_button_writes_one_frame_per_kept_epoch(qtbot, window, tmp_path):
    from PIL import Image

    _train_epochs(qtbot, window, 8)
    path = tmp_path / "run.gif"
    assert window.timeline.save_animation(path, size=120)
    with Image.open(path) as gif:
        assert gif.n_frames == len(window.controller.kept_epochs) == 9


def test_rewinding_an_opened_project_does_not_start_training(qtbot, window):
    ctl, doc = window.controller, window.document
    _train_epochs(qtbot, window, 10)
    qtbot.waitUntil(lambda: doc.project.history is not None and len(doc.project.history) == 10,
                    timeout=5000)
    doc.replace_project(doc.project)  # as if just opened: the engine has nothing open
    assert ctl.kept_epochs == tuple(range(11))
    _drag_to(qtbot, window.timeline.slider, 2)
    qtbot.waitUntil(lambda: window.timeline.readout.text().startswith("Showing epoch"),
                    timeout=10000)
    slider = window.timeline.slider
    qtbot.mouseRelease(slider, Qt.MouseButton.LeftButton,
                       pos=QPoint(_groove_x(slider, 2), slider.height() // 2))
    qtbot.wait(500)
    assert ctl.state != RunState.RUNNING.value
    assert ctl.last_update.snapshot.epoch == 10 and len(ctl.history) == 10
