"""The step inspector (issue 14): one training step of backprop, number by number, and
weights you can touch. ``install_step_inspector(window)`` adds it to the main window as a
dock below the drawing, with a "Step inspector" action in the Training menu."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget

from app.inspector.edits import EDITS_KEY, edited_weights
from app.inspector.model import InspectorModel
from app.inspector.overlay import DrawingOverlay
from app.inspector.panel import StepInspector

__all__ = ["InspectorModel", "StepInspector", "install_step_inspector"]


class InspectorDock(QDockWidget):
    """The dock holding the inspector; wires it to the drawing and the controller."""

    def __init__(self, window) -> None:
        super().__init__("Step inspector — one training step, number by number", window)
        self.setObjectName("step-inspector")
        self.model = InspectorModel(window.document, window.data_source, window.controller,
                                    self)
        self.inspector = StepInspector(self.model, self)
        self.overlay = DrawingOverlay(window.designer.scene, window.designer.view, self)
        self.controller = window.controller
        self._hid_tabs = False
        # Below its natural minimum the inspector's sections scroll, so the dock fits
        # under the drawing and the output at 1366×768 (the settings column runs the full
        # height and the toolbar holds two lines of run status).
        self.inspector.setMinimumHeight(240)
        self.setWidget(self.inspector)
        self.model.changed.connect(self._mark_drawing)
        self.overlay.link_clicked.connect(self._on_link_clicked)
        self.inspector.step_requested.connect(window.controller.step_batch)
        self.visibilityChanged.connect(self._on_visibility_changed)
        self.document = document = window.document
        for signal in (document.network_changed, document.trained_state_changed,
                       document.project_replaced):
            signal.connect(self._on_document_changed)
        self._on_document_changed()

    def setVisible(self, visible: bool) -> None:
        """Remember the window's size before the dock opens: the window grows to fit the
        dock beside the analysis tabs before ``_make_room`` hides them, and must then go
        back to its size (on a 768-pixel screen it would otherwise reach below it)."""
        window = self.parent()
        if visible and not self.isVisible() and window is not None:
            self._size_before = window.size()
            self._make_room(True)  # before the dock takes space
        super().setVisible(visible)
        if visible and window is not None:
            # Qt grows the window to the dock's size hint once the layout settles; the
            # user's size comes back then (the tabs are hidden, so everything fits).
            QTimer.singleShot(100, self._restore_window_size)

    def _restore_window_size(self) -> None:
        window, before = self.parent(), getattr(self, "_size_before", None)
        if before is not None and window.size() != before:
            window.resize(before.expandedTo(window.minimumSizeHint()))

    def _on_visibility_changed(self, visible: bool) -> None:
        self.model.set_active(visible)
        self._make_room(visible)
        if not visible:
            self._mark_edits()

    def _on_document_changed(self, *_args) -> None:
        """Edits belong to trained weights: a reset forgets them. While the inspector is
        closed the drawing still marks edited weights and switched-off units."""
        if self.document.project.weights is None and edited_weights(self.document):
            self.document.set_view(EDITS_KEY, [])
        if not self.isVisible():
            self._mark_edits()

    def _mark_edits(self) -> None:
        ablated = {layer.id: layer.ablated for layer in self.document.network.layers
                   if getattr(layer, "ablated", ())}
        self.overlay.show(None, (), edited_weights(self.document), ablated)

    def _make_room(self, visible: bool) -> None:
        """The inspector takes the analysis tabs' place while it is open (at 1366×768 the
        drawing, the output and the inspector fit; the tabs come back when it closes)."""
        tabs = getattr(self.parent(), "tabs", None)
        if tabs is None:
            return
        if visible and tabs.isVisible():
            self._hid_tabs = True
            tabs.hide()
            QTimer.singleShot(0, self._take_half)
        elif not visible and self._hid_tabs:
            self._hid_tabs = False
            tabs.show()

    def _take_half(self) -> None:
        window = self.parent()
        window.resizeDocks([self], [max(360, window.height() // 2)], Qt.Orientation.Vertical)

    def _on_link_clicked(self, ref) -> None:
        if self.isVisible():
            self.model.focus(ref)

    def _mark_drawing(self, e) -> None:
        if e is None:
            self._mark_edits()
            return
        self.overlay.show(e.weight and _ref(e.weight), e.weight.downstream if e.weight else (),
                          self.inspector.edited(), e.ablated)


def _ref(focus):
    from nncore.explain import WeightRef

    return WeightRef(focus.layer, focus.row, focus.col)


def install_step_inspector(window) -> InspectorDock:
    """Add the inspector dock (hidden) and its toggle action (Training menu, Ctrl+I)."""
    dock = InspectorDock(window)
    window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
    dock.hide()
    action: QAction = dock.toggleViewAction()
    action.setText("Step &inspector")
    action.setShortcut(QKeySequence("Ctrl+I"))
    action.setToolTip("Open one training step of backprop, number by number")
    for menu_action in window.menuBar().actions():
        if menu_action.text().replace("&", "") == "Training" and menu_action.menu():
            menu_action.menu().addSeparator()
            menu_action.menu().addAction(action)
    window.addAction(action)
    return dock
