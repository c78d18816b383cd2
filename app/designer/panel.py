"""The network designer: palette on top, the drawing, a problem line, and the inspector.

``DesignerPanel`` is glue: it turns the view's requests (drops, menu and key actions)
into spec edits with ``app.designer.edits`` and pushes them through the document, and it
keeps the drawing in step with the document, the data set, training updates (weights)
and the visualiser (heat maps).
"""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QVBoxLayout, QWidget

from app.designer.columns import data_shape, describe_column, network_columns
from app.designer.edits import (
    LAYER_TITLES,
    clamp_gap,
    describe_move,
    duplicate_layer,
    insert_layer,
    is_output,
    move_layer,
    remove_layer,
)
from app.designer.inspector import InspectorPanel
from app.designer.palette import LayerPalette
from app.designer.scene import NetworkScene
from app.designer.view import NetworkView
from app.training.controller import is_stale


class DesignerPanel(QWidget):
    """The centre column of the main window: design the network, watch it learn."""

    def __init__(self, document, data_source, controller, visualiser,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document, self.data_source, self.controller = document, data_source, controller
        self.scene = NetworkScene(self)
        self.layer_palette = LayerPalette(self)
        self.view = NetworkView(self.scene, self)
        self.message = self.view.message
        self.inspector = InspectorPanel(document, self)
        self._build_layout()
        self._connect(document, data_source, controller, visualiser)
        self._sync_structure()
        self._sync_problems()
        self.scene.set_weights(document.project.weights)
        self._on_document_selection_changed(document.selected_layer)

    def _build_layout(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addWidget(self.layer_palette)
        layout.addWidget(self.view, 1)
        line = QFrame(self)
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)
        layout.addWidget(line)
        layout.addWidget(self.inspector)

    def _connect(self, document, data_source, controller, visualiser) -> None:
        document.network_changed.connect(self._on_document_spec_changed)
        document.training_changed.connect(self._on_document_spec_changed)
        document.data_changed.connect(self._on_document_data_changed)
        document.project_replaced.connect(self._on_document_project_replaced)
        document.trained_state_changed.connect(self._on_document_trained_state_changed)
        document.selection_changed.connect(self._on_document_selection_changed)
        data_source.splits_changed.connect(self._on_data_source_splits_changed)
        controller.update_received.connect(self._on_controller_update_received)
        controller.history_reset.connect(self._on_controller_history_reset)
        visualiser.frame_ready.connect(self._on_visualiser_frame_ready)
        self.view.layer_clicked.connect(document.select_layer)
        self.view.drop_requested.connect(self._on_view_drop_requested)
        self.view.insert_requested.connect(self.add_layer)
        self.view.duplicate_requested.connect(self.duplicate)
        self.view.remove_requested.connect(self.remove)
        self.inspector.duplicate_requested.connect(self.duplicate)
        self.inspector.remove_requested.connect(self.remove)
        self.layer_palette.layer_requested.connect(self._on_palette_layer_requested)

    # -- public --------------------------------------------------------------------------

    def highlight_layer(self, layer_id: str | None, severity: str = "problem") -> None:
        """Draw attention to a layer (a pulsing outline that stays) and select it.

        ``severity`` is ``problem``, ``warning`` or ``info``; ``None`` clears the outline.
        """
        self.scene.highlight(layer_id, severity)
        if layer_id is not None and layer_id in {x.id for x in self.document.network.layers}:
            self.document.select_layer(layer_id)

    def add_layer(self, kind: str, gap: int) -> str:
        """Insert a new ``kind`` layer at ``gap`` as one undo step; returns its id."""
        network = self.document.network
        new = insert_layer(network, gap, kind)
        layer_id = new.layers[clamp_gap(network, gap)].id
        self.document.set_network(new, f"Add {LAYER_TITLES[kind]} layer {layer_id}")
        self.document.select_layer(layer_id)
        return layer_id

    def move(self, layer_id: str, gap: int) -> None:
        """Move a hidden layer to ``gap`` (a no-op if it is already there)."""
        network = self.document.network
        if layer_id not in {x.id for x in network.layers}:
            return
        new = move_layer(network, layer_id, gap)
        if new != network:
            self.document.set_network(new, describe_move(new, layer_id))
        self.document.select_layer(layer_id)

    def duplicate(self, layer_id: str) -> None:
        """Insert a copy of a hidden layer right after it, and select the copy."""
        network = self.document.network
        if layer_id not in {x.id for x in network.layers} or is_output(network, layer_id):
            return
        new, twin = duplicate_layer(network, layer_id)
        self.document.set_network(new, f"Duplicate {layer_id} as {twin}")
        self.document.select_layer(twin)

    def remove(self, layer_id: str) -> None:
        """Take a hidden layer out of the network."""
        network = self.document.network
        if layer_id not in {x.id for x in network.layers} or is_output(network, layer_id):
            return
        self.document.set_network(remove_layer(network, layer_id), f"Remove {layer_id}")

    # -- keeping in step ------------------------------------------------------------------

    def _sync_structure(self) -> None:
        doc = self.document
        shape = data_shape(self.data_source.splits)
        columns = network_columns(doc.network, doc.training, shape)
        self.scene.set_descriptions({c.layer_id or "input": describe_column(
            c, shape.name if shape else "") for c in columns})
        self.scene.set_columns(columns)
        self.inspector.set_output_hint(f"follows the task: {columns[-1].subtitle}"
                                       if len(columns) > 1 else "")

    def _sync_problems(self) -> None:
        marks: dict[str, list[str]] = {}
        lines = []
        for problem in self.document.problems():
            if problem.layer_id is None and not problem.path.startswith("network"):
                continue  # training and data problems are shown by their own panels
            text = f"{problem.message} — {problem.fix}" if problem.fix else problem.message
            if problem.layer_id is not None:
                marks.setdefault(problem.layer_id, []).append(text)
            if problem.path == "training.loss":  # a pairing: one short line, the Doctor fixes
                doc = self.document
                text = (f"{doc.training.loss} cannot go with a "
                        f"{doc.network.output.activation} output — the Doctor tab has a fix")
            lines.append(f"{problem.layer_id}: {text}" if problem.layer_id else text)
        self.scene.set_problems(marks)
        more = f"   (+{len(lines) - 1} more)" if len(lines) > 1 else ""
        self.view.show_message(f"⚠ {lines[0]}{more}" if lines else "",
                               "\n".join(f"⚠ {line}" for line in lines))

    def _on_document_spec_changed(self, _spec) -> None:
        self._sync_structure()
        self._sync_problems()

    def _on_document_data_changed(self, _spec) -> None:
        self._sync_problems()

    def _on_data_source_splits_changed(self, _splits) -> None:
        self._sync_structure()

    def _on_visualiser_frame_ready(self, frame) -> None:
        self.scene.set_frame(frame)

    def _on_document_project_replaced(self) -> None:
        self.scene.highlight(None)
        self.scene.set_frame(None)
        self._sync_structure()
        self._sync_problems()
        self.scene.set_weights(self.document.project.weights)
        self._on_document_selection_changed(self.document.selected_layer)

    def _on_document_trained_state_changed(self) -> None:
        self.scene.set_weights(self.document.project.weights)

    def _on_document_selection_changed(self, layer_id) -> None:
        self.view.selected_layer = layer_id
        self.scene.set_selected(layer_id)

    def _on_controller_update_received(self, update) -> None:
        if update.weights is not None:
            self.scene.set_weights(update.weights)

    def _on_controller_history_reset(self) -> None:
        # a new run: forget heat maps; weights are the document's (None after a reset)
        # (a stale run's weights belong to a design no longer shown)
        stale = is_stale(self.controller)
        self.scene.set_frame(None)
        self.scene.set_weights(None if stale else self.document.project.weights)

    def _on_view_drop_requested(self, action: str, what: str, gap: int) -> None:
        if action == "new":
            self.add_layer(what, gap)
        else:
            self.move(what, gap)

    def _on_palette_layer_requested(self, kind: str) -> None:
        network, selected = self.document.network, self.document.selected_layer
        if selected in {x.id for x in network.hidden}:
            gap = network.index_of(selected) + 1
        else:
            gap = len(network.layers) - 1
        self.add_layer(kind, gap)
        self.view.setFocus()
