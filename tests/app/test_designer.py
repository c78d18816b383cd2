"""The network designer, driven the way a student uses it.

Layers are added by real drags (the palette's own ``QDrag`` and ``QMimeData``, delivered to
the view as enter / move / drop events, since ``QDrag.exec`` blocks offscreen), moved by
dragging, duplicated and removed with the keyboard, edited in the inspector, and every
step is undone and redone. Weights and heat maps come from fake controller / visualiser
objects with the same signals, fed with deterministic data or a real ``Runner``.
"""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QMimeData, QObject, QPoint, QPointF, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QHelpEvent
from PySide6.QtWidgets import QApplication, QToolTip

from app.designer import DesignerPanel
from app.designer import palette as palette_module
from app.designer.columns import DataShape, network_columns, pretty_feature
from app.designer.edits import (
    describe_move,
    duplicate_layer,
    insert_layer,
    move_layer,
    new_layer,
    remove_layer,
)
from app.designer.look import MAX_ZOOM
from app.designer.palette import kind_mime_data, move_mime_data, read_drag
from app.document import ProjectDocument
from app.theme import BLUE, ORANGE
from app.training.visualiser import VisualFrame
from nncore.data.dataset import Preprocessing
from nncore.project import Project
from nncore.runner import Runner
from nncore.session import session_from_project
from nncore.spec import (
    DataSpec,
    DenseSpec,
    DropoutSpec,
    NetworkSpec,
    TrainingSpec,
    mlp_spec,
)
from tests.helpers import make_splits, two_spirals

# --------------------------------------------------------------------------- fakes


class FakeDataSource(QObject):
    splits_changed = Signal(object)

    def __init__(self, splits) -> None:
        super().__init__()
        self.splits = splits


class FakeController(QObject):
    update_received = Signal(object)
    history_reset = Signal()


class FakeVisualiser(QObject):
    frame_ready = Signal(object)


def spirals_splits(n_per_class: int = 100):
    x, y = two_spirals(n_per_class, noise=0.05)
    splits = make_splits(x, y, "binary", name="spirals")
    info = dataclasses.replace(splits.info, feature_names=("x1", "x2"),
                               class_names=("orange", "blue"))
    return dataclasses.replace(splits, info=info,
                               preprocessing=Preprocessing(feature_names=("x1", "x2")))


@pytest.fixture
def designer(qtbot):
    """The designer on the default 2-16-16-1 spirals project, shown at its usual size."""
    document = ProjectDocument()
    source, controller, visualiser = FakeDataSource(spirals_splits()), FakeController(), \
        FakeVisualiser()
    panel = DesignerPanel(document, source, controller, visualiser)
    qtbot.addWidget(panel)
    panel.resize(620, 640)
    panel.show()
    qtbot.waitExposed(panel)
    yield SimpleNamespace(panel=panel, doc=document, source=source, controller=controller,
                          visualiser=visualiser, view=panel.view, scene=panel.scene,
                          inspector=panel.inspector)
    # ProjectDocument's cleanChanged lambda outlives its QUndoStack when the document is
    # garbage-collected (reported to the lead); disconnect it so teardown stays quiet
    document.undo_stack.cleanChanged.disconnect()


def ids(network: NetworkSpec) -> list[str]:
    return [layer.id for layer in network.layers]


def drawn_ids(scene) -> list[str | None]:
    return [layer.layer_id for layer in scene.layers]


def gap_pos(d, gap: int) -> QPoint:
    """Viewport position of the place between two columns (where a drop inserts)."""
    return d.view.mapFromScene(QPointF(d.scene.gap_x(gap), 0))


def layer_pos(d, layer_id: str | None) -> QPoint:
    layer = d.scene.layer_item(layer_id) if layer_id else d.scene.layers[0]
    return d.view.mapFromScene(layer.pos())


def deliver_drop(view, mime: QMimeData, pos: QPoint) -> tuple[float | None, bool]:
    """Send a drag's enter, move and drop to the view; returns the marker x and whether
    the drop was accepted."""
    viewport = view.viewport()
    actions = Qt.DropAction.CopyAction | Qt.DropAction.MoveAction
    button, no_mod = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    QApplication.sendEvent(viewport, QDragEnterEvent(pos, actions, mime, button, no_mod))
    QApplication.sendEvent(viewport, QDragMoveEvent(pos, actions, mime, button, no_mod))
    marker = view.network_scene.marker_gap_x
    drop = QDropEvent(QPointF(pos), actions, mime, button, no_mod)
    QApplication.sendEvent(viewport, drop)
    return marker, drop.isAccepted()


@pytest.fixture
def drops(monkeypatch):
    """Replace ``run_drag``: each drag is delivered to a target chosen by the test."""
    record = SimpleNamespace(target=None, markers=[], accepted=[], mimes=[])

    def run_drag(drag):
        view, pos = record.target
        record.mimes.append(read_drag(drag.mimeData()))
        marker, accepted = deliver_drop(view, drag.mimeData(), pos)
        record.markers.append(marker)
        record.accepted.append(accepted)
        return Qt.DropAction.CopyAction

    monkeypatch.setattr(palette_module, "run_drag", run_drag)
    return record


def drag_mouse(qtbot, widget, start: QPoint, end: QPoint) -> None:
    qtbot.mousePress(widget, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(widget, start + QPoint(3, 3))
    qtbot.mouseMove(widget, end)
    qtbot.mouseRelease(widget, Qt.MouseButton.LeftButton, pos=end)


# --------------------------------------------------------------------------- pure rules


def test_edits_keep_the_output_last_and_give_fresh_ids():
    spec = mlp_spec([16, 16], "tanh")
    added = insert_layer(spec, 99, "dropout")
    assert ids(added) == ["dense-1", "dense-2", "dropout-1", "dense-3"]
    dense = new_layer(spec, "dense", 1)
    assert (dense.id, dense.activation) == ("dense-4", "tanh")
    moved = move_layer(spec, "dense-1", 2)
    assert ids(moved) == ["dense-2", "dense-1", "dense-3"]
    assert describe_move(moved, "dense-1") == "Move dense-1 after dense-2"
    assert move_layer(spec, "dense-3", 0) is spec
    assert move_layer(spec, "dense-1", 1) is spec
    twin, twin_id = duplicate_layer(spec, "dense-1")
    assert ids(twin) == ["dense-1", "dense-4", "dense-2", "dense-3"]
    assert twin.layer(twin_id).units == 16
    assert duplicate_layer(spec, "dense-3") == (spec, "")
    assert ids(remove_layer(spec, "dense-2")) == ["dense-1", "dense-3"]
    assert remove_layer(spec, "dense-3") is spec


def test_columns_follow_data_and_task():
    shape = DataShape(4, ("x1", "x2", "x1^2", "x1*x2"), "binary", 2, 1, ("a", "b"))
    columns = network_columns(mlp_spec([16, 300]), TrainingSpec(), shape)
    assert [c.kind for c in columns] == ["input", "dense", "dense", "output"]
    assert columns[0].unit_names == ("x1", "x2", "x1²", "x1·x2")
    assert columns[-1].subtitle == "1 · auto → sigmoid"
    assert [c.compact for c in columns] == [False, False, True, False]
    mnist = DataShape(784, (), "multiclass", 10, 1, tuple("0123456789"))
    out = network_columns(mlp_spec([128, 64], "relu"), TrainingSpec(), mnist)[-1]
    assert (out.width, out.subtitle, out.unit_names[3]) == (10, "10 · auto → softmax", "3")
    assert pretty_feature("sin(x1)") == "sin(x1)"


def test_mime_data_round_trips():
    assert read_drag(kind_mime_data("dense")) == ("new", "dense")
    assert read_drag(move_mime_data("dense-2")) == ("move", "dense-2")
    foreign = QMimeData()
    foreign.setText("dense")
    assert read_drag(foreign) is None
    assert read_drag(kind_mime_data("conv2d")) is None


# --------------------------------------------------------------------------- drawing


def test_default_network_is_drawn_to_fit(designer):
    d = designer
    assert drawn_ids(d.scene) == [None, "dense-1", "dense-2", "dense-3"]
    assert [len(layer.units) for layer in d.scene.layers] == [2, 16, 16, 1]
    assert len(d.scene.link_items()) == 2 * 16 + 16 * 16 + 16
    assert [u.name for u in d.scene.layers[0].units] == ["x1", "x2"]
    scale = d.view.transform().m11()
    assert 0.7 < scale <= MAX_ZOOM
    shown = d.view.mapFromScene(d.scene.sceneRect()).boundingRect()
    assert d.view.viewport().rect().adjusted(-2, -2, 2, 2).contains(shown)
    assert not d.view.horizontalScrollBar().isVisible()
    assert not d.view.verticalScrollBar().isVisible()


def test_text_grows_when_the_drawing_shrinks(designer, qtbot):
    d = designer
    assert d.scene.text_zoom == 1.0
    d.panel.resize(480, 420)
    qtbot.waitUntil(lambda: d.scene.text_zoom > 1.0, timeout=2000)
    title = d.scene.layer_item("dense-1").childItems()
    assert d.view.transform().m11() * d.scene.text_zoom >= 0.85  # text stays legible
    assert title  # the items were rebuilt, not leaked
    d.panel.resize(620, 640)
    qtbot.waitUntil(lambda: d.scene.text_zoom == 1.0, timeout=2000)


def test_wide_layers_are_compact_blocks(designer):
    d = designer
    d.doc.select_layer("dense-1")
    d.inspector.units.setValue(256)
    layer = d.scene.layer_item("dense-1")
    assert layer.column.compact and layer.column.width == 256
    assert len(layer.units) <= 4
    assert 1 not in d.scene.links and 2 not in d.scene.links
    assert {1, 2} <= set(d.scene.bands)
    assert len(d.scene.items()) < 200
    assert "256" in d.scene.bands[2].tooltip_text()


# --------------------------------------------------------------------------- editing by drag


def test_drag_from_palette_inserts_between_layers(designer, drops, qtbot):
    d = designer
    drops.target = (d.view, gap_pos(d, 1))
    button = d.panel.layer_palette.buttons["dense"]
    drag_mouse(qtbot, button, QPoint(8, 8), QPoint(60, 40))
    assert drops.mimes == [("new", "dense")]
    assert drops.accepted == [True]
    assert drops.markers[0] == pytest.approx(d.scene.gap_x(1), abs=1)
    assert ids(d.doc.network) == ["dense-1", "dense-4", "dense-2", "dense-3"]
    assert d.doc.selected_layer == "dense-4"
    assert d.doc.undo_stack.undoText() == "Add Dense layer dense-4"
    assert drawn_ids(d.scene)[2] == "dense-4"
    assert d.scene.marker_gap_x is None


def test_drop_position_chooses_the_gap_and_never_after_the_output(designer):
    d = designer
    _, accepted = deliver_drop(d.view, kind_mime_data("dropout"), layer_pos(d, "dense-3")
                               + QPoint(80, 0))
    assert accepted
    assert ids(d.doc.network) == ["dense-1", "dense-2", "dropout-1", "dense-3"]
    deliver_drop(d.view, kind_mime_data("activation"), gap_pos(d, 0))
    assert ids(d.doc.network)[0] == "activation-1"
    foreign = QMimeData()
    foreign.setText("hello")
    _, accepted = deliver_drop(d.view, foreign, gap_pos(d, 1))
    assert not accepted
    assert len(d.doc.network.layers) == 5


def test_layers_are_reordered_by_dragging(designer, drops, qtbot):
    d = designer
    drops.target = (d.view, gap_pos(d, 2))
    drag_mouse(qtbot, d.view.viewport(), layer_pos(d, "dense-1"), gap_pos(d, 2))
    assert drops.mimes == [("move", "dense-1")]
    assert ids(d.doc.network) == ["dense-2", "dense-1", "dense-3"]
    assert drawn_ids(d.scene) == [None, "dense-2", "dense-1", "dense-3"]
    assert d.doc.undo_stack.undoText() == "Move dense-1 after dense-2"
    # the output and the input cannot be dragged
    drops.target = (d.view, gap_pos(d, 0))
    drag_mouse(qtbot, d.view.viewport(), layer_pos(d, "dense-3"), gap_pos(d, 0))
    drag_mouse(qtbot, d.view.viewport(), layer_pos(d, None), gap_pos(d, 1))
    assert len(drops.mimes) == 1


def test_keys_and_menu_duplicate_and_remove(designer, qtbot):
    d = designer
    qtbot.mouseClick(d.view.viewport(), Qt.MouseButton.LeftButton, pos=layer_pos(d, "dense-1"))
    assert d.doc.selected_layer == "dense-1"
    d.view.setFocus()
    qtbot.keyClick(d.view, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert ids(d.doc.network) == ["dense-1", "dense-4", "dense-2", "dense-3"]
    assert d.doc.selected_layer == "dense-4"
    qtbot.keyClick(d.view, Qt.Key.Key_Delete)
    assert ids(d.doc.network) == ["dense-1", "dense-2", "dense-3"]
    assert d.doc.selected_layer is None
    menu = d.view.context_menu(d.scene.layer_item("dense-2"))
    add = next(a for a in menu.actions() if a.text() == "Add Dropout layer after dense-2")
    add.trigger()
    assert ids(d.doc.network) == ["dense-1", "dense-2", "dropout-1", "dense-3"]
    out_menu = d.view.context_menu(d.scene.layer_item("dense-3"))
    assert not d.view.remove_action.isEnabled()
    assert out_menu is not None
    qtbot.keyClick(d.view, Qt.Key.Key_Delete)  # the output is selected: nothing happens
    assert ids(d.doc.network)[-1] == "dense-3"


def test_clicks_select_layers_and_empty_space_clears(designer, qtbot):
    d = designer
    viewport = d.view.viewport()
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=layer_pos(d, "dense-2"))
    assert d.doc.selected_layer == "dense-2"
    assert d.scene.layer_item("dense-2")._selected
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=QPoint(3, 3))
    assert d.doc.selected_layer is None
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=layer_pos(d, None))
    assert d.doc.selected_layer is None  # the input follows the data: nothing to edit


def test_every_step_undoes_and_redoes(designer, drops, qtbot):
    d = designer
    history = [d.doc.network]
    deliver_drop(d.view, kind_mime_data("dense"), gap_pos(d, 2))
    history.append(d.doc.network)
    drops.target = (d.view, gap_pos(d, 0))
    drag_mouse(qtbot, d.view.viewport(), layer_pos(d, "dense-2"), gap_pos(d, 0))
    history.append(d.doc.network)
    d.panel.duplicate("dense-2")
    history.append(d.doc.network)
    d.doc.select_layer("dense-1")
    d.view.setFocus()
    qtbot.keyClick(d.view, Qt.Key.Key_Delete)
    history.append(d.doc.network)
    assert len({tuple(ids(n)) for n in history}) == 5
    for spec in reversed(history[:-1]):
        d.doc.undo_stack.undo()
        assert d.doc.network == spec
        assert drawn_ids(d.scene)[1:] == ids(spec)
    for spec in history[1:]:
        d.doc.undo_stack.redo()
        assert d.doc.network == spec
        assert drawn_ids(d.scene)[1:] == ids(spec)


# --------------------------------------------------------------------------- inspector


def test_inspector_edits_the_selected_dense_layer(designer):
    d = designer
    inspector, stack = d.inspector, d.doc.undo_stack
    d.doc.select_layer("dense-2")
    assert inspector.units.value() == 16 and inspector.activation.currentText() == "tanh"
    inspector.units.setValue(32)
    assert d.doc.network.layer("dense-2").units == 32
    assert stack.undoText() == "Set dense-2 units to 32"
    count = stack.count()
    for _ in range(3):
        inspector.units.stepBy(1)
    assert d.doc.network.layer("dense-2").units == 35
    assert stack.count() == count  # spin-box steps merged into the last step
    stack.undo()
    assert d.doc.network.layer("dense-2").units == 16
    assert inspector.units.value() == 16  # the inspector re-read the document
    assert stack.count() == count  # ... without pushing anything back
    inspector.activation.setCurrentText("leaky_relu")
    assert inspector.alpha.isVisibleTo(inspector)
    inspector.alpha.setValue(0.1)
    layer = d.doc.network.layer("dense-2")
    assert (layer.activation, layer.activation_alpha) == ("leaky_relu", pytest.approx(0.1))
    inspector.init.setCurrentText("uniform")
    assert inspector.scale.isVisibleTo(inspector)
    inspector.scale.setValue(0.2)
    inspector.l2.setValue(0.001)
    inspector.bias.setChecked(False)
    layer = d.doc.network.layer("dense-2")
    assert (layer.init, layer.init_scale, layer.l2, layer.bias) == \
        ("uniform", pytest.approx(0.2), pytest.approx(0.001), False)
    assert stack.undoText() == "Turn dense-2 bias off"
    inspector.l2.stepBy(1)
    assert d.doc.network.layer("dense-2").l2 == pytest.approx(0.003)
    assert d.scene.layer_item("dense-2").column.subtitle == "16 · leaky_relu"


def test_inspector_tooltips_carry_formulas(designer):
    d = designer
    d.doc.select_layer("dense-1")
    combo = d.inspector.activation
    relu = combo.findText("relu")
    assert "max(0, z)" in combo.itemData(relu, Qt.ItemDataRole.ToolTipRole)
    assert "tanh" in combo.toolTip()
    init = d.inspector.init
    assert "fan_in" in init.itemData(init.findText("he_normal"), Qt.ItemDataRole.ToolTipRole)
    assert "ΣW²" in d.inspector.l2.toolTip()


def test_inspector_edits_dropout_and_output(designer):
    d = designer
    d.doc.select_layer("dense-2")
    d.panel.layer_palette.buttons["dropout"].click()
    assert ids(d.doc.network) == ["dense-1", "dense-2", "dropout-1", "dense-3"]
    assert d.doc.selected_layer == "dropout-1"
    d.inspector.rate.setValue(0.5)
    assert d.doc.network.layer("dropout-1").rate == pytest.approx(0.5)
    assert d.doc.undo_stack.undoText() == "Set dropout-1 dropout rate to 0.5"
    d.doc.select_layer("dense-3")
    assert d.panel.minimumSizeHint().width() <= 560  # fits the main window's centre column
    assert d.inspector.units.text() == "auto"
    assert "auto → sigmoid" in d.inspector.hint.text()
    assert not d.inspector.remove_button.isEnabled()
    d.inspector.units.setValue(2)
    assert d.doc.network.output.units == 2
    d.inspector.units.setValue(0)
    assert d.doc.network.output.units is None
    d.inspector.activation.setCurrentText("softmax")
    assert d.scene.layer_item("dense-3").column.subtitle == "2 · softmax"


# --------------------------------------------------------------------------- problems


def test_invalid_designs_are_marked_where_the_user_looks(designer):
    d = designer
    d.doc.set_training(dataclasses.replace(d.doc.training, loss="cross_entropy"), "loss")
    d.doc.select_layer("dense-3")
    d.inspector.activation.setCurrentText("tanh")
    output = d.scene.layer_item("dense-3")
    assert output.problems and "cross_entropy" in output.problems[0]
    assert "softmax" in output.tooltip_text()
    assert "cross_entropy" in d.panel.message.full_text
    assert d.panel.message.isVisible()
    drawing = d.view.mapFromScene(d.scene.sceneRect()).boundingRect()
    assert drawing.bottom() <= d.panel.message.geometry().top() + 2  # nothing hidden under it
    d.inspector.activation.setCurrentText("auto")
    assert not d.scene.layer_item("dense-3").problems
    d.doc.select_layer("dense-1")
    d.inspector.activation.setCurrentText("softmax")
    assert d.scene.layer_item("dense-1").problems
    assert d.panel.message.full_text.startswith("⚠ dense-1")
    d.doc.undo_stack.undo()
    assert not d.scene.layer_item("dense-1").problems
    assert "⚠" not in d.panel.message.full_text
    assert not d.panel.message.isVisible()


def test_highlight_layer_selects_and_outlines_until_cleared(designer):
    d = designer
    d.panel.highlight_layer("dense-2", "warning")
    assert d.doc.selected_layer == "dense-2"
    assert d.scene.layer_item("dense-2").highlighted
    d.inspector.units.setValue(8)  # a rebuild keeps the outline
    assert d.scene.layer_item("dense-2").highlighted
    d.panel.highlight_layer(None)
    assert not any(layer.highlighted for layer in d.scene.layers)


# --------------------------------------------------------------------------- live state


def test_weights_colour_and_thicken_the_links(designer):
    d = designer
    w1 = np.full((2, 16), 0.01, dtype=np.float32)
    w1[0, 0], w1[1, 0], w1[0, 1] = 2.0, -2.0, 0.5
    weights = {"dense-1.weight": w1, "dense-1.bias": np.arange(16, dtype=np.float32),
               "dense-2.weight": np.zeros((16, 16), np.float32),
               "dense-3.weight": np.ones((16, 1), np.float32)}
    d.controller.update_received.emit(SimpleNamespace(weights=weights))
    links = d.scene.links[1]  # input -> dense-1, row-major over (input, unit)
    positive, negative, medium, small = links[0], links[16], links[1], links[2]
    assert positive.pen().color().name() == BLUE
    assert negative.pen().color().name() == ORANGE
    assert positive.pen().widthF() > medium.pen().widthF() > small.pen().widthF()
    assert positive.pen().widthF() == negative.pen().widthF()
    assert "w = +2" in positive.tooltip_text() and "input x1" in positive.tooltip_text()
    unit = d.scene.layer_item("dense-1").units[3]
    assert "dense-1 · unit 4 of 16" in unit.tooltip_text()
    assert "bias b = +3" in unit.tooltip_text()
    d.controller.history_reset.emit()
    assert positive.value is None
    assert positive.pen() == d.scene.pens.neutral


def hover_text(d, scene_point: QPointF) -> str:
    pos = d.view.mapFromScene(scene_point)
    viewport = d.view.viewport()
    QApplication.sendEvent(viewport, QHelpEvent(QEvent.Type.ToolTip, pos,
                                                viewport.mapToGlobal(pos)))
    return QToolTip.text()


def test_hovering_shows_values(designer):
    d = designer
    w = np.linspace(-1, 1, 16 * 16, dtype=np.float32).reshape(16, 16)
    d.controller.update_received.emit(SimpleNamespace(weights={"dense-2.weight": w}))
    unit = d.scene.layer_item("dense-2").units[5]
    assert hover_text(d, unit.scenePos()).startswith("dense-2 · unit 6 of 16")
    link = d.scene.links[2][0]
    text = hover_text(d, link.path().pointAtPercent(0.5))
    assert text.startswith("w = ") and "dense-1 unit" in text and "dense-2 unit" in text
    header = d.scene.layer_item("dense-1")
    assert "Dense layer, 16 units, tanh" in hover_text(d, header.mapToScene(0, -222))
    QToolTip.hideText()


def test_weights_from_a_real_run_and_from_an_opened_project(designer):
    d = designer
    splits = d.source.splits

    class LocalRunner(Runner):
        _open = staticmethod(lambda project: session_from_project(project, splits=splits))

    runner = LocalRunner(d.doc.project)
    runner.handle("run")
    updates = [m[1] for m in runner.run_for(0.15) if m[0] == "update"]
    update = next(u for u in reversed(updates) if u.weights is not None)
    d.controller.update_received.emit(update)
    w = update.weights["dense-2.weight"]
    links = d.scene.links[2]
    for k in (int(np.argmax(w)), int(np.argmin(w))):
        expected = BLUE if w.ravel()[k] >= 0 else ORANGE
        assert links[k].pen().color().name() == expected
    project = Project(mlp_spec([4]), TrainingSpec(), DataSpec("spirals"),
                      weights={"dense-1.weight": -np.ones((2, 4), np.float32),
                               "dense-1.bias": np.zeros(4, np.float32),
                               "dense-2.weight": np.ones((4, 1), np.float32),
                               "dense-2.bias": np.zeros(1, np.float32)})
    d.doc.replace_project(project)
    assert drawn_ids(d.scene) == [None, "dense-1", "dense-2"]
    assert {link.pen().color().name() for link in d.scene.links[1]} == {ORANGE}
    assert {link.pen().color().name() for link in d.scene.links[2]} == {BLUE}


def test_heat_maps_update_in_place(designer, rng):
    d = designer
    r = 12

    def frame():
        units = {"dense-1": rng.uniform(-1, 1, (16, r, r)).astype(np.float32),
                 "dense-2": rng.uniform(-1, 1, (16, r, r)).astype(np.float32),
                 "dense-3": rng.uniform(0, 1, (1, r, r)).astype(np.float32)}
        return VisualFrame(1, units=units, inputs=rng.normal(size=(2, r, r)).astype(np.float32))

    before = len(d.scene.items())
    d.visualiser.frame_ready.emit(frame())
    after_first = len(d.scene.items())
    units = d.scene.unit_items()
    assert all(unit.has_heatmap for unit in units)
    keys = [unit._heat.pixmap().cacheKey() for unit in units]
    d.visualiser.frame_ready.emit(frame())
    assert len(d.scene.items()) == after_first == before
    assert d.scene.unit_items() == units
    assert all(unit._heat.pixmap().cacheKey() != key for unit, key in zip(units, keys))
    # a frame for another design (wrong widths) is ignored rather than misdrawn
    d.visualiser.frame_ready.emit(VisualFrame(2, units={"dense-1": np.zeros((3, r, r))}))
    assert not d.scene.layer_item("dense-1").units[0].has_heatmap


def test_view_mirrors_project_replaced_and_data_width(designer):
    d = designer
    spec = NetworkSpec((DenseSpec("dense-1", 4, "relu"), DropoutSpec("dropout-1", 0.3),
                        DenseSpec("dense-2", None, "auto")))
    d.doc.select_layer("dense-1")
    d.panel.highlight_layer("dense-1")
    d.doc.replace_project(Project(spec, TrainingSpec(), DataSpec("spirals")))
    assert drawn_ids(d.scene) == [None, "dense-1", "dropout-1", "dense-2"]
    assert d.scene.highlighted_layer is None
    assert d.inspector.pages.currentWidget() is d.inspector.empty_page
    assert len(d.scene.links[2]) == 4  # dropout links are one-to-one
    wide = make_splits(np.zeros((4, 784)), np.arange(4) % 3, "multiclass")
    d.source.splits = wide
    d.source.splits_changed.emit(wide)
    input_layer, output = d.scene.layers[0], d.scene.layers[-1]
    assert input_layer.column.compact and input_layer.column.width == 784
    assert output.column.width == 3 and "softmax" in output.column.subtitle


def test_drawing_before_the_data_arrives(qtbot):
    document = ProjectDocument()
    source = FakeDataSource(None)
    panel = DesignerPanel(document, source, FakeController(), FakeVisualiser())
    qtbot.addWidget(panel)
    scene = panel.scene
    assert scene.layers[0].column.width is None and scene.layers[0].column.compact
    assert scene.layers[-1].column.subtitle == "auto · auto"
    source.splits = spirals_splits(20)
    source.splits_changed.emit(source.splits)
    assert [len(layer.units) for layer in scene.layers] == [2, 16, 16, 1]
    document.undo_stack.cleanChanged.disconnect()
