"""Weights you can touch: set one weight, prune small ones, switch units off and on.

A weight edit is an undoable ``WeightsCommand`` on the document's ``QUndoStack``: it swaps
the document's weights (keeping history and optimizer state), records the edited weights
in the project's ``view["weight_edits"]`` so the drawing can mark them, and has the engine
continue from the new weights. Consecutive edits of one weight (dragging its slider)
merge into one undo step. Ablation is a design edit (``DenseSpec.ablated``) and takes the
document's ordinary path, so the running engine applies it mid-run.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QUndoCommand

from app.inspector.model import InspectorModel, replace_ablated
from nncore.explain import WeightRef, prune

EDITS_KEY = "weight_edits"
"""``project.view`` key listing hand-edited weights as ``[layer, row, col]``."""
MERGE_ID = 1401


class WeightsCommand(QUndoCommand):
    """Replace the document's weights (and the list of edited ones); undo puts them back."""

    def __init__(self, apply: Callable[[dict, list], None], old: tuple[dict, list],
                 new: tuple[dict, list], text: str, merge_key: str | None = None) -> None:
        super().__init__(text)
        self._apply, self.old, self.new, self.merge_key = apply, old, new, merge_key

    def redo(self) -> None:
        self._apply(*self.new)

    def undo(self) -> None:
        self._apply(*self.old)

    def id(self) -> int:
        return MERGE_ID if self.merge_key else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, WeightsCommand) or other.merge_key != self.merge_key:
            return False
        self.new = other.new
        return True


def edited_weights(document) -> list[list]:
    """The hand-edited weights of the open project, ``[[layer, row, col], ...]``."""
    return [list(item) for item in document.project.view.get(EDITS_KEY, [])]


class WeightEditor:
    """Turns the inspector's edit requests into undoable document changes."""

    def __init__(self, model: InspectorModel) -> None:
        self.model = model
        self.document, self.controller = model.document, model.controller

    def set_weight(self, ref: WeightRef, value: float, *, merge: bool = False) -> None:
        """Set ``W[row, col]`` of ``ref.layer`` to ``value`` (one undo step per drag)."""
        old = self._current()
        name = f"{ref.layer}.weight"
        weights = {k: v.copy() for k, v in old[0].items()}
        weights[name][ref.row, ref.col] = value
        edits = old[1] + ([[ref.layer, ref.row, ref.col]]
                          if [ref.layer, ref.row, ref.col] not in old[1] else [])
        key = f"{ref.layer}:{ref.row}:{ref.col}" if merge else None
        self._push(old, (weights, edits), f"Set weight {ref.layer}[{ref.row},{ref.col}] to "
                   f"{value:.4g}", key)

    def prune(self, threshold: float) -> int:
        """Set every Dense weight with ``|w| < threshold`` to 0; returns how many."""
        old = self._current()
        weights, changed = prune(old[0], threshold)
        edits = old[1] + [list(e) for e in changed if list(e) not in old[1]]
        if changed:
            self._push(old, (weights, edits), f"Prune {len(changed)} weights below "
                       f"{threshold:g}")
        return len(changed)

    def set_ablated(self, layer_id: str, unit: int, off: bool) -> None:
        """Switch a hidden unit off (output held at 0) or on again (undoable)."""
        network = self.document.network
        layer = next(x for x in network.layers if x.id == layer_id)
        units = set(layer.ablated) | {unit} if off else set(layer.ablated) - {unit}
        self.document.set_network(replace_ablated(network, layer_id, tuple(units)),
                                  f"{'Switch off' if off else 'Switch on'} {layer_id} unit "
                                  f"{unit + 1}")

    # -- the path every weight edit takes ----------------------------------------------------

    def _current(self) -> tuple[dict, list]:
        """The weights to edit: the engine's latest (paused first) or the document's."""
        if self.controller.is_running:
            self.controller.pause()
            self.controller.sync_to_document()
        return self.model.weights(), edited_weights(self.document)

    def _push(self, old, new, text: str, merge_key: str | None = None) -> None:
        self.document.undo_stack.push(WeightsCommand(self._apply, old, new, text, merge_key))

    def _apply(self, weights: dict, edits: list) -> None:
        project = self.document.project
        self.document.set_view(EDITS_KEY, [list(e) for e in edits])
        self.document.set_trained_state({k: v.copy() for k, v in weights.items()},
                                        project.history, project.optimizer_state,
                                        project.optimizer_step, project.preprocessing)
        self.controller.continue_from_document()
