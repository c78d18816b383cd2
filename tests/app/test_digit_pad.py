"""The digit pad (issue 15): a digit drawn with the mouse, read by the trained network."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from app.plots.digit_pad import CANVAS
from nncore.digits import prepare_drawing, read_digit
from nncore.runner import RunState
from nncore.session import session_from_project
from nncore.spec import DataSpec, mlp_spec
from tests.app.conftest import make_window


def _send(widget, kind, x: float, y: float) -> None:
    button = Qt.MouseButton.NoButton if kind == QMouseEvent.Type.MouseMove else \
        Qt.MouseButton.LeftButton
    held = Qt.MouseButton.NoButton if kind == QMouseEvent.Type.MouseButtonRelease else \
        Qt.MouseButton.LeftButton
    pos = QPointF(x, y)
    QApplication.sendEvent(widget, QMouseEvent(kind, pos, widget.mapToGlobal(pos), button,
                                               held, Qt.KeyboardModifier.NoModifier))


def draw(canvas, points: list[tuple[float, float]]) -> None:
    """One stroke with the mouse through ``points`` (fractions of the canvas)."""
    px = [(x * CANVAS, y * CANVAS) for x, y in points]
    _send(canvas, QMouseEvent.Type.MouseButtonPress, *px[0])
    for x, y in px[1:]:
        _send(canvas, QMouseEvent.Type.MouseMove, x, y)
    _send(canvas, QMouseEvent.Type.MouseButtonRelease, *px[-1])


def _trained_window(qtbot, settings, data: DataSpec, epochs: int):
    window = make_window(qtbot, settings, lesson=None)
    doc = window.document
    doc.set_network(mlp_spec([32], "relu"), "Digits network")
    doc.set_training(dataclasses.replace(doc.training, epochs=epochs), "Epochs")
    doc.set_data(data, "Digits")
    qtbot.waitUntil(lambda: window.data_source.splits is not None and
                    window.data_source.loaded_spec == doc.data, timeout=60000)
    window.controller.train()
    qtbot.waitUntil(lambda: window.controller.state == RunState.FINISHED.value,
                    timeout=120000)
    qtbot.waitUntil(lambda: doc.project.weights is not None, timeout=5000)
    return window


@pytest.fixture
def digits_window(qtbot, settings):
    window = _trained_window(qtbot, settings, DataSpec("digits"), 40)
    yield window
    window.close()
    assert window.controller._thread.wait(3000)


def test_a_drawn_one_is_read_as_a_one_and_matches_nncore(qtbot, digits_window, artifacts_dir):
    window = digits_window
    panel = window.output_panel
    assert panel.kind == "gallery" and panel.draw_button.text() == "✎ Draw a digit"
    assert not window.timeline.animation_button.isEnabled()  # no map to animate
    qtbot.mouseClick(panel.draw_button, Qt.MouseButton.LeftButton)
    pad = panel.digit_pad
    assert pad.isVisible()
    draw(pad.canvas, [(0.5, 0.15), (0.5, 0.85)])  # a vertical stroke: a one
    qtbot.waitUntil(lambda: pad.reading is not None, timeout=5000)
    # the same numbers, computed independently from the saved project and the canvas
    session = session_from_project(window.document.project)
    image = prepare_drawing(pad.canvas.values(), (8, 8))
    np.testing.assert_array_equal(pad.image, image)
    expected = session.network.predict(session.splits.preprocessing.transform(
        image.reshape(1, -1)))[0]
    np.testing.assert_allclose(pad.reading.probabilities, expected, atol=1e-5)
    assert pad.reading.top == 1
    assert pad.answer.text().startswith("It looks like a 1")
    assert pad.reading.saliency.shape == (8, 8)
    np.testing.assert_allclose(pad.reading.saliency,
                               read_digit(session.network, session.splits.preprocessing,
                                          image).saliency, atol=1e-4)
    pad.grab().save(str(artifacts_dir / "digit_pad_one.png"))


def test_a_drawn_zero_and_adding_it_to_the_training_set(qtbot, digits_window):
    window = digits_window
    pad = window.output_panel.open_digit_pad()
    angles = np.linspace(0, 2 * np.pi, 40)
    draw(pad.canvas, [(0.5 + 0.22 * np.sin(a), 0.5 - 0.33 * np.cos(a)) for a in angles])
    qtbot.waitUntil(lambda: pad.reading is not None, timeout=5000)
    assert pad.reading.top == 0
    image = pad.image.copy()
    pad.label.setCurrentIndex(0)
    qtbot.mouseClick(pad.add_button, Qt.MouseButton.LeftButton)
    data = window.document.data
    assert len(data.points) == 1 and data.points[0][-1] == 0.0
    np.testing.assert_allclose(np.array(data.points[0][:-1]), image.ravel(), atol=5e-4)
    assert pad.canvas.is_blank()
    qtbot.waitUntil(lambda: window.data_source.loaded_spec == data, timeout=30000)
    splits = window.data_source.splits
    np.testing.assert_allclose(splits.raw_train[-1], image.ravel(), atol=5e-4)
    window.document.undo_stack.undo()
    assert window.document.data.points == ()


def test_the_pad_takes_mnist_shape_and_rule(qtbot, settings, artifacts_dir):
    window = _trained_window(qtbot, settings, DataSpec("mnist", {"n": 2000}), 3)
    try:
        pad = window.output_panel.open_digit_pad()
        draw(pad.canvas, [(0.3, 0.2), (0.7, 0.2), (0.45, 0.85)])  # a seven
        qtbot.waitUntil(lambda: pad.reading is not None, timeout=5000)
        assert pad.image.shape == (28, 28) and pad.reading.probabilities.shape == (10,)
        rows = np.flatnonzero(pad.image.max(axis=1) > 0.01)
        cols = np.flatnonzero(pad.image.max(axis=0) > 0.01)
        assert max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 == 20  # MNIST's 20-px box
        assert pad.reading.activations.shape == (32,)
        window.resize(1366, 768)
        pad.move(window.geometry().center() - pad.rect().center())
        pad.grab().save(str(artifacts_dir / "digit_pad_mnist.png"))
    finally:
        window.close()
        assert window.controller._thread.wait(3000)
