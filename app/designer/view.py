"""The view of the network drawing: fits its size, takes drops, clicks, keys and menus.

Gestures become *requests* (signals with plain arguments); the panel turns them into
spec edits through the document, so undo/redo and file loads take the same path back.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, QRectF, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QDrag,
    QFontMetrics,
    QKeySequence,
    QPainter,
    QPalette,
    QTransform,
)
from PySide6.QtWidgets import QApplication, QFrame, QGraphicsView, QLabel, QMenu, QWidget

from app.designer import palette as layer_palette
from app.designer.layer_item import LayerItem, owning_layer
from app.designer.look import MAX_TEXT_ZOOM, MAX_ZOOM
from app.designer.scene import NetworkScene
from app.theme import PROBLEM


class MessageLine(QLabel):
    """A problem shown right under the drawing, elided to one line (the whole
    text is in the tooltip); hidden when there is nothing to say."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.full_text = ""
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setAutoFillBackground(False)
        self.hide()

    def show_message(self, text: str, tooltip: str = "") -> None:
        self.full_text = text
        self.setToolTip(tooltip or text)
        base = self.palette().color(QPalette.ColorRole.Base)
        self.setStyleSheet(f"color: {PROBLEM}; background: rgba({base.red()}, {base.green()}, "
                           f"{base.blue()}, 225); border: 1px solid {PROBLEM}; "
                           "border-radius: 4px; padding: 1px 6px;")
        self.setVisible(bool(text))
        self.elide()

    def elide(self) -> None:
        metrics = QFontMetrics(self.font())
        self.setText(metrics.elidedText(self.full_text, Qt.TextElideMode.ElideRight,
                                        max(self.width() - 16, 20)))


class NetworkView(QGraphicsView):
    """Shows a ``NetworkScene`` scaled to fit, with drag-and-drop editing."""

    layer_clicked = Signal(object)           # layer id, or None for empty space
    drop_requested = Signal(str, str, int)   # "new"/"move", kind or layer id, gap
    duplicate_requested = Signal(str)
    remove_requested = Signal(str)
    insert_requested = Signal(str, int)      # kind, gap (from the context menu)

    def __init__(self, scene: NetworkScene, parent: QWidget | None = None) -> None:
        super().__init__(scene, parent)
        self.network_scene = scene
        self.selected_layer: str | None = None
        self._press: tuple[QPoint, LayerItem | None] | None = None
        self._fitting = False
        self.message = MessageLine(self)
        self.setRenderHints(QPainter.RenderHint.Antialiasing |
                            QPainter.RenderHint.SmoothPixmapTransform)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setMinimumSize(240, 180)
        self.duplicate_action = self._action("Duplicate layer", "Ctrl+D",
                                             self.duplicate_requested)
        self.remove_action = self._action("Remove layer", QKeySequence.StandardKey.Delete,
                                          self.remove_requested)
        scene.sceneRectChanged.connect(lambda _rect: self.fit())

    def _action(self, text: str, shortcut, signal) -> QAction:
        action = QAction(text, self)
        action.setShortcut(QKeySequence(shortcut))
        action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        action.triggered.connect(lambda: self.selected_layer and self._movable(
            self.selected_layer) and signal.emit(self.selected_layer))
        return action

    def _movable(self, layer_id: str) -> bool:
        layer = self.network_scene.layer_item(layer_id)
        return layer is not None and layer.movable

    # -- size ------------------------------------------------------------------------------

    def fit(self) -> None:
        """Scale the whole drawing into the view, never above ``MAX_ZOOM``.

        When that shrinks the drawing, the scene draws its text larger (up to
        ``MAX_TEXT_ZOOM``) so labels stay legible. The text zoom follows from the scale of
        the drawing at 100 % text (``base_rect``), so it cannot feed back on itself.
        """
        scene = self.network_scene
        base = self._fit_scale(scene.base_rect)
        if base is None:
            return
        wanted = round(min(MAX_TEXT_ZOOM, max(1.0, 0.95 / base)) * 20) / 20
        if wanted != scene.text_zoom and not self._fitting:
            self._fitting = True
            try:
                scene.set_text_zoom(wanted)
            finally:
                self._fitting = False
        scale = self._fit_scale(self.sceneRect())
        self.setTransform(QTransform.fromScale(scale, scale))
        self.centerOn(self.sceneRect().center())

    def _fit_scale(self, rect: QRectF) -> float | None:
        area = self.viewport().rect()
        if rect.isEmpty() or area.isEmpty():
            return None
        return min(area.width() / rect.width(), area.height() / rect.height(), MAX_ZOOM)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._place_message()
        self.fit()

    def show_message(self, text: str, tooltip: str = "") -> None:
        """Show a one-line problem under the drawing ('' hides it)."""
        self.message.show_message(text, tooltip)
        # the drawing's viewport gives up the line's height, so nothing hides under it
        self.setViewportMargins(0, 0, 0, self.message.sizeHint().height() + 6 if text else 0)
        self._place_message()
        self.fit()

    def _place_message(self) -> None:
        height = self.message.sizeHint().height()
        self.message.setGeometry(4, self.height() - height - 3, self.width() - 8, height)
        self.message.elide()

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.StyleChange):
            self.network_scene.refresh_theme()

    # -- clicks, keys, menus ---------------------------------------------------------------

    def layer_at(self, pos: QPoint) -> LayerItem | None:
        """The column under a viewport position (None for empty space or a link)."""
        for item in self.items(pos):
            layer = owning_layer(item)
            if layer is not None:
                return layer
        return None

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._press = (event.position().toPoint(), self.layer_at(event.position().toPoint()))
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        press = self._press
        if press is not None and press[1] is not None and press[1].movable and \
                (event.position().toPoint() - press[0]).manhattanLength() >= \
                QApplication.startDragDistance():
            self._press = None
            self.start_move_drag(press[1].layer_id)
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        press, self._press = self._press, None
        if press is not None and event.button() == Qt.MouseButton.LeftButton:
            layer = press[1]
            self.layer_clicked.emit(layer.layer_id if layer is not None and layer.selectable
                                    else None)
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event) -> None:
        if event.matches(QKeySequence.StandardKey.Delete) or \
                event.key() == Qt.Key.Key_Backspace:
            self.remove_action.trigger()
        elif event.key() == Qt.Key.Key_D and \
                event.modifiers() == Qt.KeyboardModifier.ControlModifier:
            self.duplicate_action.trigger()
        else:
            super().keyPressEvent(event)

    def contextMenuEvent(self, event) -> None:
        layer = self.layer_at(event.pos())
        menu = self.context_menu(layer)
        if menu is not None:
            menu.exec(event.globalPos())
            menu.deleteLater()

    def context_menu(self, layer: LayerItem | None) -> QMenu | None:
        """The menu for a column: duplicate, remove, add a layer after it."""
        if layer is None or not layer.selectable:
            return None
        self.layer_clicked.emit(layer.layer_id)
        menu = QMenu(self)
        menu.addAction(self.duplicate_action)
        menu.addAction(self.remove_action)
        self.duplicate_action.setEnabled(layer.movable)
        self.remove_action.setEnabled(layer.movable)
        menu.addSeparator()
        gap = layer.index if layer.movable else len(self.network_scene.layers) - 2
        where = "after" if layer.movable else "before"
        for kind, title in (("dense", "Dense"), ("dropout", "Dropout"),
                            ("activation", "Activation")):
            action = menu.addAction(f"Add {title} layer {where} {layer.layer_id}")
            action.triggered.connect(lambda _=False, k=kind, g=gap: self.insert_requested
                                     .emit(k, g))
        return menu

    # -- drag and drop -----------------------------------------------------------------------

    def start_move_drag(self, layer_id: str) -> Qt.DropAction:
        """Drag an existing layer to another place in the network."""
        drag = QDrag(self)
        drag.setMimeData(layer_palette.move_mime_data(layer_id))
        colors = self.palette()
        drag.setPixmap(layer_palette.chip_pixmap(
            layer_id, colors.color(colors.ColorRole.Highlight),
            colors.color(colors.ColorRole.HighlightedText)))
        return layer_palette.run_drag(drag)

    def _gap_for(self, event) -> int:
        return self.network_scene.gap_at(self.mapToScene(event.position().toPoint()).x())

    def dragEnterEvent(self, event) -> None:
        if layer_palette.read_drag(event.mimeData()) is None:
            event.ignore()
            return
        event.acceptProposedAction()
        self.network_scene.show_marker(self._gap_for(event))

    def dragMoveEvent(self, event) -> None:
        if layer_palette.read_drag(event.mimeData()) is None:
            event.ignore()
            return
        event.acceptProposedAction()
        self.network_scene.show_marker(self._gap_for(event))

    def dragLeaveEvent(self, event) -> None:
        self.network_scene.show_marker(None)
        event.accept()

    def dropEvent(self, event) -> None:
        self.network_scene.show_marker(None)
        request = layer_palette.read_drag(event.mimeData())
        if request is None:
            event.ignore()
            return
        event.acceptProposedAction()
        self.drop_requested.emit(request[0], request[1], self._gap_for(event))
