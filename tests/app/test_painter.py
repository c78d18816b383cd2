"""The point painter (issue 15): drawing data with the mouse, undo, live training, CSV."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from nncore.data import drawn
from nncore.runner import RunState


def _pixel(target, x: float, y: float) -> QPoint:
    """The viewport pixel of data point (x, y) on a plot (what a user would click)."""
    scene = target.plot.getViewBox().mapViewToScene(QPointF(x, y))
    return target.view.mapFromScene(scene)


def _mouse(widget, kind, pos: QPoint, buttons=Qt.MouseButton.LeftButton) -> None:
    button = Qt.MouseButton.NoButton if kind == QMouseEvent.Type.MouseMove else \
        Qt.MouseButton.LeftButton
    held = Qt.MouseButton.NoButton if kind == QMouseEvent.Type.MouseButtonRelease else buttons
    event = QMouseEvent(kind, QPointF(pos), QPointF(widget.mapToGlobal(pos)), button, held,
                        Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)


def click(target, x: float, y: float) -> None:
    viewport = target.view.viewport()
    pos = _pixel(target, x, y)
    _mouse(viewport, QMouseEvent.Type.MouseButtonPress, pos)
    _mouse(viewport, QMouseEvent.Type.MouseButtonRelease, pos)


def drag(qtbot, target, path: list[tuple[float, float]]) -> None:
    viewport = target.view.viewport()
    _mouse(viewport, QMouseEvent.Type.MouseButtonPress, _pixel(target, *path[0]))
    for x, y in path[1:]:
        _mouse(viewport, QMouseEvent.Type.MouseMove, _pixel(target, x, y))
        qtbot.wait(5)
    _mouse(viewport, QMouseEvent.Type.MouseButtonRelease, _pixel(target, *path[-1]))


@pytest.fixture
def painting(qtbot, window):
    """The window with the Draw button pressed on the two spirals, then cleared."""
    panel = window.output_panel
    qtbot.mouseClick(panel.draw_button, Qt.MouseButton.LeftButton)
    assert drawn.is_drawn(window.document.data) and len(window.document.data.points) == 200
    assert panel.painter.isVisible()
    panel.painter.clear()
    assert window.document.data.points == ()
    return window


def test_draw_starts_from_the_current_set_as_one_undo_step(qtbot, window):
    qtbot.mouseClick(window.output_panel.draw_button, Qt.MouseButton.LeftButton)
    data = window.document.data
    expected = drawn.preset(dataclasses.replace(data, source="spirals"), "spirals")
    assert data.points == expected.points
    window.document.undo_stack.undo()
    assert window.document.data.source == "spirals"


def test_drawing_over_a_running_set_keeps_it_training(qtbot, window):
    doc, ctl = window.document, window.controller
    doc.set_training(dataclasses.replace(doc.training, epochs=100_000), "Long run")
    ctl.train()
    qtbot.waitUntil(lambda: ctl.last_update is not None and
                    ctl.last_update.snapshot.epoch >= 3, timeout=30000)
    qtbot.mouseClick(window.output_panel.draw_button, Qt.MouseButton.LeftButton)
    assert drawn.is_drawn(doc.data)
    assert not ctl.is_stale and not window.message_bar.isVisible()
    epoch = ctl.last_update.snapshot.epoch
    qtbot.waitUntil(lambda: ctl.last_update.snapshot.epoch >= epoch + 3, timeout=30000)
    assert ctl.state == RunState.RUNNING.value
    ctl.pause()
    qtbot.waitUntil(lambda: ctl.state == RunState.PAUSED.value, timeout=5000)


def test_clicks_add_points_of_the_chosen_class_where_clicked(qtbot, painting, artifacts_dir):
    window = painting
    doc, panel = window.document, window.output_panel
    painter, target = panel.painter, panel.decision_map
    clicks = [(-3.0, 2.0, 0), (-2.0, -3.0, 0), (3.0, 3.0, 1), (2.5, -2.0, 1)]
    for x, y, label in clicks:
        painter.set_class(label)
        click(target, x, y)
    points = np.array(doc.data.points)
    assert points.shape == (4, 3)
    np.testing.assert_array_equal(points[:, 2], [c[2] for c in clicks])
    pixel = 12.0 / target.view.width() * 2  # a pixel or two of the 12-unit-wide map
    np.testing.assert_allclose(points[:, :2], np.array(clicks)[:, :2], atol=pixel)
    # each click is one undo step
    doc.undo_stack.undo()
    assert len(doc.data.points) == 3
    doc.undo_stack.redo()
    # the data set the app trains on is the drawing
    qtbot.waitUntil(lambda: window.data_source.splits is not None and
                    window.data_source.loaded_spec == doc.data, timeout=10000)
    splits = window.data_source.splits
    assert splits.info.name == "drawn" and len(splits.raw_train) + len(splits.raw_val) == 4


def test_brush_erase_and_drawn_clusters_train_to_the_right_answer(qtbot, painting,
                                                                   artifacts_dir):
    window = painting
    doc, ctl, panel = window.document, window.controller, window.output_panel
    painter, target = panel.painter, panel.decision_map
    painter.set_tool("brush")
    painter.set_class(0)
    drag(qtbot, target, [(-4.0, y) for y in np.linspace(-3, 3, 12)])
    n_left = len(doc.data.points)
    assert n_left >= 12 * 0 + 8
    assert doc.undo_stack.undoText() == "Add points"  # one stroke, one step
    painter.set_class(1)
    drag(qtbot, target, [(4.0, y) for y in np.linspace(-3, 3, 12)])
    points = np.array(doc.data.points)
    left, right = points[points[:, 2] == 0], points[points[:, 2] == 1]
    assert len(left) == n_left and len(right) >= 8
    assert np.all(np.abs(left[:, 0] + 4) <= drawn_brush_reach()) and \
        np.all(np.abs(right[:, 0] - 4) <= drawn_brush_reach())

    doc.set_training(dataclasses.replace(doc.training, epochs=100_000), "Long run")
    ctl.train()
    qtbot.waitUntil(lambda: ctl.last_update is not None and
                    ctl.last_update.snapshot.epoch >= 20, timeout=30000)
    # a live edit: erase the right cluster's top while training runs; it does not stop
    painter.set_tool("erase")
    before = len(doc.data.points)
    drag(qtbot, target, [(4.0, 3.0), (4.0, 1.5)])
    assert len(doc.data.points) < before
    assert not ctl.is_stale and ctl.state == RunState.RUNNING.value
    epoch = ctl.last_update.snapshot.epoch
    qtbot.waitUntil(lambda: ctl.last_update.snapshot.epoch >= epoch + 20, timeout=30000)
    ctl.pause()
    qtbot.waitUntil(lambda: ctl.state == RunState.PAUSED.value, timeout=5000)
    assert ctl.sync_to_document()
    assert window.document.project.data == doc.data  # the engine trains on the drawing
    # predictions: left is class 0 (orange, p < 0.5), right is class 1
    from nncore.session import session_from_project

    session = session_from_project(window.document.project)
    p = session.predict_raw(np.array([[-4.0, 0.0], [4.0, -2.0]], dtype=np.float32))[:, 0]
    assert p[0] < 0.3 and p[1] > 0.7
    qtbot.waitUntil(lambda: panel.decision_map.grid is not None, timeout=10000)
    window.grab().save(str(artifacts_dir / "painter_clusters.png"))


def drawn_brush_reach() -> float:
    from app.plots.painter import BRUSH_RADIUS

    return BRUSH_RADIUS + 0.35  # the radius plus the spacing of the drag's samples


def test_a_curve_drawn_for_regression_replaces_what_it_passes_over(qtbot, window, tmp_path):
    doc, panel = window.document, window.output_panel
    doc.set_data(drawn.drawn_spec("regression", points=[(-5.0, 1.0), (0.0, 5.0), (5.0, 1.0)],
                                  base=doc.data), "Drawn curve")
    qtbot.waitUntil(lambda: panel.kind == "fit" and panel.painter.isVisible(), timeout=10000)
    assert panel.painter.tool == "curve"
    drag(qtbot, panel.fit_curve, [(x, -2.0) for x in np.linspace(-2, 2, 9)])
    points = np.array(doc.data.points)
    inside = (points[:, 0] >= -2.1) & (points[:, 0] <= 2.1)
    assert (0.0, 5.0) not in doc.data.points  # replaced by the stroke
    assert (-5.0, 1.0) in doc.data.points and (5.0, 1.0) in doc.data.points
    assert inside.sum() >= 20
    np.testing.assert_allclose(points[inside, 1], -2.0, atol=0.1)
    assert panel.painter.save_csv(tmp_path / "curve.csv")
    lines = (tmp_path / "curve.csv").read_text().splitlines()
    assert lines[0] == "x,y" and len(lines) == len(points) + 1
