"""The step inspector (issue 14), driven as a student uses it.

A 2-16-16-2 network on the two spirals and an Iris network with softmax: open the
inspector, press Step (one real batch in the engine thread), read the numbers it shows and
check them against an independent float64 computation (the network's own backprop, a
hand-written softmax, finite differences); click a link in the drawing and check the
chain; type a weight, drag it, prune, switch a unit off, and undo every edit. The window
is grabbed at 1366×768 with the inspector open into ``tests/artifacts/``.
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from app.inspector.arrays import number
from nncore.explain import WeightRef, explain_step
from nncore.project import load_project
from nncore.session import session_from_project
from nncore.spec import DataSpec, mlp_spec
from tests.app.conftest import make_window

SPIRALS_2_16_16_2 = mlp_spec([16, 16], "tanh", output_activation="softmax")


@pytest.fixture
def window(qtbot, settings):
    win = make_window(qtbot, settings)
    win.resize(1366, 768)
    yield win
    win.close()
    assert win.controller._thread.wait(3000)


def _open(qtbot, window):
    dock = window.step_inspector
    dock.show()
    qtbot.waitUntil(lambda: dock.model.explanation is not None, timeout=10000)
    return dock


def _session(window):
    """An independent session on the document's current state (not the inspector's)."""
    return session_from_project(window.document.project, splits=window.data_source.splits)


def _twin_gradients(window, rows):
    session = _session(window)
    twin = session.float64_twin()
    x = session.data.x_train[list(rows)].astype(np.float64)
    t = session.data.t_train[list(rows)].astype(np.float64)
    objective, _ = twin.compute_gradients(x, t)
    return twin, x, t, objective


def _step(qtbot, window, dock):
    before = window.document.project.optimizer_step
    qtbot.mouseClick(dock.inspector.step_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.document.project.optimizer_step == before + 1, timeout=15000)
    qtbot.waitUntil(lambda: dock.model.explanation is not None and
                    dock.model.explanation.update.step == before + 2, timeout=10000)


def _shown(dock, section, layer, quantity):
    return dock.inspector.arrays[(section, layer, quantity)]


def _click_link(qtbot, window, ref: WeightRef) -> None:
    """Click on the drawn link of ``ref``, at a point where no other link is as close."""
    overlay, view = window.step_inspector.overlay, window.designer.view
    link = overlay.link_for(ref)
    assert link is not None
    for percent in np.linspace(0.05, 0.95, 91):
        pos = view.mapFromScene(link.path().pointAtPercent(float(percent)))
        if overlay.link_at(pos) is link:
            qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=pos)
            return
    pytest.fail(f"link {ref} is crossed by other links everywhere")


def test_a_step_of_a_2_16_16_2_network_shows_the_engines_numbers(qtbot, window,
                                                                  artifacts_dir):
    window.document.set_network(SPIRALS_2_16_16_2, "2-16-16-2 with softmax")
    dock = _open(qtbot, window)
    _step(qtbot, window, dock)  # one real batch in the engine; the inspector follows
    e = dock.model.explanation
    assert [layer.id for layer in e.layers] == ["dense-1", "dense-2", "dense-3"]
    assert e.layer("dense-3").a.shape == (1, 2) and e.loss.fused == "softmax"

    twin, x, t, objective = _twin_gradients(window, e.rows)
    assert e.loss.value == pytest.approx(objective, rel=1e-12)
    assert number(e.loss.value)[:4] in dock.inspector.loss_label.text()
    ref = e.weight
    for layer in twin.dense_layers():
        shown = _shown(dock, "backward", layer.id, "∂L/∂W")
        c = ref.col if layer.id == ref.layer else 0
        np.testing.assert_allclose(shown.values[0], layer.weight.grad[:, c], rtol=1e-9,
                                   atol=1e-14)
        np.testing.assert_allclose(_shown(dock, "backward", layer.id, "∂L/∂b").values[0],
                                   layer.bias.grad, rtol=1e-9, atol=1e-14)
    z1 = x @ twin.layer("dense-1").weight.value + twin.layer("dense-1").bias.value
    np.testing.assert_allclose(_shown(dock, "forward", "dense-1", "z").values, z1, rtol=1e-12)
    np.testing.assert_allclose(_shown(dock, "forward", "dense-1", "a").values, np.tanh(z1),
                               rtol=1e-12)
    cell = _shown(dock, "forward", "dense-1", "a")
    assert cell.text_of(0, 0) == number(float(np.tanh(z1[0, 0])))
    assert 2 in cell.units and -1 in cell.units  # 16 units collapse around the focus, with …

    # click a weight in the drawing: the chain and a finite difference of our own
    target = WeightRef("dense-2", 3, 5)
    _click_link(qtbot, window, target)
    qtbot.waitUntil(lambda: dock.model.explanation.weight.layer == "dense-2" and
                    dock.model.explanation.weight.row == 3, timeout=5000)
    w = dock.model.explanation.weight
    assert (w.layer, w.row, w.col) == ("dense-2", 3, 5)
    assert [f.name for f in w.chain[0].factors] == ["x", "dL/da", "f'(z)"]
    assert w.chain_sum == pytest.approx(twin.layer("dense-2").weight.grad[3, 5], rel=1e-9)
    param = twin.layer("dense-2").weight.value
    h, original = 1e-6, param[3, 5]
    param[3, 5] = original + h
    plus = twin.objective(x, t, training=True)
    param[3, 5] = original - h
    minus = twin.objective(x, t, training=True)
    param[3, 5] = original
    assert w.finite_difference == pytest.approx((plus - minus) / (2 * h), rel=1e-6)
    assert w.relative_error < 1e-6
    text = dock.inspector.weight_label.text()
    assert f"{w.grad:.6g}" in text and f"{w.finite_difference:.6g}" in text and "agree" in text
    assert "dense-3" in text  # the way back from the loss names the output layer's δ
    qtbot.waitUntil(lambda: bool(dock.overlay.marks()), timeout=3000)  # the path, drawn

    # the update column shows Adam's intermediates for this weight
    update = dock.inspector.update_label.text()
    assert all(s in update for s in ("m̂", "v̂", f"{dock.model.explanation.update.value_after:.6g}"))

    window.resize(1366, 768)
    qtbot.wait(50)
    assert window.size().width() == 1366 and window.size().height() == 768
    window.grab().save(str(artifacts_dir / "step_inspector_spirals.png"))


def test_an_iris_softmax_step_shows_p_minus_y_and_weights_can_be_touched(qtbot, window,
                                                                          artifacts_dir,
                                                                          tmp_path):
    doc = window.document
    doc.set_data(DataSpec("iris"), "Iris")
    doc.set_network(mlp_spec([8], "relu"), "Iris network")
    qtbot.waitUntil(lambda: window.data_source.splits is not None and
                    window.data_source.loaded_spec == doc.data, timeout=30000)
    dock = _open(qtbot, window)
    dock.inspector.rows_edit.setText("0,50,100")
    dock.inspector.rows_edit.editingFinished.emit()
    qtbot.waitUntil(lambda: dock.model.explanation.rows == (0, 50, 100), timeout=5000)
    _step(qtbot, window, dock)
    e = dock.model.explanation
    assert e.loss.fused == "softmax" and e.layer("dense-2").a.shape == (3, 3)

    # δ of the output, as shown, is (softmax(z) − y)/n computed here by hand
    z = _shown(dock, "forward", "dense-2", "z").values
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    y = _shown(dock, "forward", "dense-2", "y").values
    np.testing.assert_allclose(_shown(dock, "forward", "dense-2", "p").values, p, rtol=1e-12)
    np.testing.assert_allclose(_shown(dock, "backward", "dense-2", "δ").values, (p - y) / 3,
                               rtol=1e-10, atol=1e-15)
    assert ("backward", "dense-2", "∂L/∂a") not in dock.inspector.arrays  # fused: not formed
    session = _session(window)
    independent = explain_step(session, (0, 50, 100), dock.model.weight)
    assert e.weight.grad == independent.weight.grad

    # a cell focuses its weight
    _shown(dock, "backward", "dense-2", "δ").cell_clicked.emit(0, 2)
    qtbot.waitUntil(lambda: dock.model.explanation.weight.layer == "dense-2" and
                    dock.model.explanation.weight.col == 2, timeout=5000)

    # type a weight (one whose input is not 0 here): the document, the explanation and the
    # loss follow; undo restores
    active = int(np.argmax(dock.model.explanation.layer("dense-1").a.sum(axis=0)))
    _shown(dock, "forward", "dense-2", "x").cell_clicked.emit(0, active)
    qtbot.waitUntil(lambda: dock.model.explanation.weight.row == active, timeout=5000)
    ref = dock.model.weight
    old_value = float(doc.project.weights[f"{ref.layer}.weight"][ref.row, ref.col])
    old_loss = dock.model.explanation.loss.value
    dock.inspector.value_spin.setValue(2.5)
    dock.inspector.value_spin.editingFinished.emit()
    qtbot.waitUntil(lambda: dock.model.explanation.weight.value == pytest.approx(2.5),
                    timeout=5000)
    assert doc.project.weights[f"{ref.layer}.weight"][ref.row, ref.col] == pytest.approx(2.5)
    assert dock.model.explanation.loss.value != old_loss
    assert [ref.layer, ref.row, ref.col] in doc.project.view["weight_edits"]
    qtbot.waitUntil(lambda: any(m.toolTip() == "edited by hand" for m in dock.overlay.marks()),
                    timeout=3000)  # marked on its link in the drawing
    saved = tmp_path / "edited.bplab"
    doc.save(saved)
    reloaded = load_project(saved)
    assert reloaded.weights[f"{ref.layer}.weight"][ref.row, ref.col] == pytest.approx(2.5)
    assert [ref.layer, ref.row, ref.col] in reloaded.view["weight_edits"]
    _step(qtbot, window, dock)  # the engine trains on from the edited weight
    trained = float(doc.project.weights[f"{ref.layer}.weight"][ref.row, ref.col])
    assert trained != 2.5 and abs(trained - 2.5) < 0.05
    doc.undo_stack.undo()
    qtbot.waitUntil(lambda: dock.model.explanation.weight.value == pytest.approx(old_value),
                    timeout=5000)
    assert dock.model.explanation.loss.value == pytest.approx(old_loss, rel=1e-12)
    assert doc.project.view["weight_edits"] == []
    doc.undo_stack.redo()
    qtbot.waitUntil(lambda: dock.model.explanation.weight.value == pytest.approx(2.5),
                    timeout=5000)
    doc.undo_stack.undo()

    # dragging merges into one undo step
    index = doc.undo_stack.index()
    for position in (150, 160, 170):
        dock.inspector.slider.sliderMoved.emit(position)
        dock.inspector._apply_drag()
    assert doc.undo_stack.index() == index + 1
    assert dock.model.explanation.weight.value != pytest.approx(old_value)
    doc.undo_stack.undo()
    qtbot.waitUntil(lambda: dock.model.explanation.weight.value == pytest.approx(old_value),
                    timeout=5000)

    # switch a hidden unit off: held at 0 in the step, undoable
    dock.model.focus(WeightRef("dense-2", 4, 1))
    qtbot.waitUntil(lambda: dock.model.explanation.weight.row == 4, timeout=5000)
    qtbot.mouseClick(dock.inspector.ablate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dock.model.explanation.ablated == {"dense-1": (4,)}, timeout=5000)
    assert np.all(dock.model.explanation.layer("dense-1").a[:, 4] == 0)
    assert dock.model.explanation.weight.grad == 0
    assert doc.network.layers[0].ablated == (4,)
    qtbot.waitUntil(lambda: any(m.toolTip().startswith("switched off")
                                for m in dock.overlay.marks()), timeout=3000)
    window.resize(1366, 768)
    qtbot.wait(50)
    assert (window.width(), window.height()) == (1366, 768)
    window.grab().save(str(artifacts_dir / "step_inspector_iris.png"))
    dock.hide()  # the switched-off unit stays marked on the drawing
    assert any(m.toolTip().startswith("switched off") for m in dock.overlay.marks())
    dock.show()
    doc.undo_stack.undo()
    qtbot.waitUntil(lambda: dock.model.explanation.ablated == {}, timeout=5000)

    # prune: every weight below the threshold becomes 0, in one undo step
    dock.inspector.prune_spin.setValue(0.2)
    qtbot.mouseClick(dock.inspector.prune_button, Qt.MouseButton.LeftButton)
    w1 = doc.project.weights["dense-1.weight"]
    assert np.all((w1 == 0) | (np.abs(w1) >= 0.2))
    doc.undo_stack.undo()
    assert np.count_nonzero(doc.project.weights["dense-1.weight"]) > np.count_nonzero(w1)


def test_bug_mode_names_the_first_wrong_number(qtbot, window):
    dock = _open(qtbot, window)
    combo = dock.inspector.bug_combo
    combo.setCurrentIndex(combo.findData("chain-rule-one-layer"))
    qtbot.waitUntil(lambda: dock.model.explanation.bug is not None, timeout=5000)
    first = dock.model.explanation.bug.first
    assert (first.stage, first.quantity) == ("backward", "f′(z)")
    assert "First wrong number" in dock.inspector.bug_label.text()
    assert "first wrong number" in dock.inspector.loss_label.text()
    # the wrong arrays are framed in the backward column, the right ones are not
    arrays = dock.inspector.arrays
    assert arrays[("backward", first.layer, "f′(z)")].wrong
    assert arrays[("backward", first.layer, "δ")].wrong
    assert not arrays[("backward", "dense-3", "δ")].wrong
    assert not arrays[("forward", first.layer, "z")].wrong
    # side by side: tanh's true slope 1 − a² against the 1s of the bug (f′ left out)
    a = dock.model.explanation.bug.correct.layer(first.layer).a
    np.testing.assert_allclose(dock.inspector.bug_correct.values, 1 - a ** 2, rtol=1e-12)
    np.testing.assert_array_equal(dock.inspector.bug_buggy.values, np.ones_like(a))
    combo.setCurrentIndex(0)
    qtbot.waitUntil(lambda: dock.model.explanation.bug is None, timeout=5000)


def test_bad_rows_are_explained_not_raised(qtbot, window):
    dock = _open(qtbot, window)
    dock.inspector.rows_edit.setText("0,x")
    dock.inspector.rows_edit.editingFinished.emit()
    assert "whole numbers" in dock.model.error
    dock.inspector.rows_edit.setText("0,1,2,3,4,5,6,7,8")
    dock.inspector.rows_edit.editingFinished.emit()
    assert "at most 8 rows" in dock.model.error
    dock.inspector.rows_edit.setText("1")
    dock.inspector.rows_edit.editingFinished.emit()
    qtbot.waitUntil(lambda: dock.model.explanation is not None, timeout=5000)
    dock.hide()  # nothing edited: no marks left on the drawing, the tabs are back
    assert not dock.overlay.marks() and window.tabs.isVisible()
