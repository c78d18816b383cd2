"""What the step inspector shows, kept in step with the document (no maths here).

``InspectorModel`` holds the inspector's choices (batch rows, the weight in focus, a bug to
compare with) and the current ``nncore.explain.StepExplanation``. It rebuilds a session
from the document's project (specs, weights, optimizer state, history) and the data
source's prepared splits whenever either changes, and asks ``nncore.explain`` for the step;
at most eight rows in float64 take a few milliseconds, so this runs on the GUI thread.
Edits (a weight's value, pruning, ablation) go through the document's undo stack
(``app.inspector.edits``); the engine then continues from them.
"""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import QObject, Signal

from nncore.explain import StepExplanation, WeightRef, explain_step


class InspectorModel(QObject):
    """The inspector's state and its explanation of the next step."""

    changed = Signal(object)        # StepExplanation, or None with ``error`` set
    focus_changed = Signal(object)  # WeightRef

    def __init__(self, document, data_source, controller, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document, self.data_source, self.controller = document, data_source, controller
        self.rows: tuple[int, ...] = (0,)
        self.weight: WeightRef | None = None
        self.bug: str | None = None
        self.explanation: StepExplanation | None = None
        self.session = None
        self.error = ""
        self.active = False
        self._stale = True
        self._built: tuple | None = None  # (project, splits, session) last built from
        for signal in (document.network_changed, document.training_changed):
            signal.connect(self._on_changed)
        document.data_changed.connect(self._on_data_changed)
        document.trained_state_changed.connect(self._on_changed)
        document.project_replaced.connect(self._on_project_replaced)
        data_source.splits_changed.connect(self._on_changed)
        controller.history_reset.connect(self._on_changed)

    # -- choices --------------------------------------------------------------------------

    def set_active(self, active: bool) -> None:
        """Recompute only while the inspector is visible (and at once when it appears)."""
        self.active = active
        if active and self._stale:
            self.refresh()

    def set_rows(self, rows: tuple[int, ...]) -> None:
        self.rows = tuple(rows) or (0,)
        self.refresh()

    def set_bug(self, bug: str | None) -> None:
        self.bug = bug or None
        self.refresh()

    def focus(self, ref: WeightRef) -> None:
        """Put weight ``ref`` in focus (a click on a link or a cell)."""
        self.weight = ref
        self.focus_changed.emit(ref)
        self.refresh()

    # -- computing ------------------------------------------------------------------------

    def refresh(self) -> None:
        """Explain the next step with the current choices (or say why it cannot)."""
        if not self.active:
            self._stale = True
            return
        self._stale = False
        try:
            self.session = self._session()
            self._keep_focus_valid()
            self.explanation = explain_step(self.session, self.rows, self.weight,
                                            bugs=(self.bug,) if self.bug else None)
            self.error = ""
        except (ValueError, KeyError, RuntimeError) as err:
            self.explanation, self.error = None, str(err)
        except Exception as err:  # a bad design must never crash the view
            self.explanation, self.error = None, f"cannot explain this step: {err}"
        self.changed.emit(self.explanation)

    def _session(self):
        from nncore.session import session_from_project
        from nncore.spec import validate

        splits = self.data_source.splits
        project = self.document.project
        if splits is None or self.data_source.loaded_spec != project.data:
            raise RuntimeError("the data is still loading")
        if self._built is not None and self._built[0] is project and self._built[1] is splits:
            return self._built[2]  # the same project and data: nothing to rebuild
        problems = validate(project.network, project.training, project.data)
        if problems:
            raise ValueError(f"fix the design first: {problems[0].message}")
        session = session_from_project(project, splits=splits)
        self._built = (project, splits, session)
        return session

    def _keep_focus_valid(self) -> None:
        """Move the focus to a weight one layer before the output if its layer is gone
        or smaller now."""
        net = self.session.network
        ref = self.weight
        if ref is not None:
            try:
                w = net.layer(ref.layer).weight.value
                if ref.row < w.shape[0] and ref.col < w.shape[1]:
                    return
            except (KeyError, AttributeError):
                pass
        dense = list(net.dense_layers())
        # a weight one layer before the output: its chain shows the way back from the loss
        layer = dense[-2] if len(dense) > 1 else dense[-1]
        self.weight = WeightRef(layer.id, 0, 0)
        self.focus_changed.emit(self.weight)

    def weights(self) -> dict:
        """The network's current weights (the document's, or the seed's before training)."""
        if self.document.project.weights:
            return {k: v.copy() for k, v in self.document.project.weights.items()}
        if self.session is None:
            self.session = self._session()
        return self.session.network.get_weights()

    def _on_changed(self, *_args) -> None:
        self.refresh()

    def _on_data_changed(self, _data) -> None:
        self.rows = (0,)  # other data: the old rows may not exist
        self.refresh()

    def _on_project_replaced(self) -> None:
        self.weight, self.rows, self.bug = None, (0,), None
        self.refresh()


def replace_ablated(network, layer_id: str, units: tuple[int, ...]):
    """``network`` with ``layer_id``'s ablated units set to ``units``."""
    layers = tuple(dataclasses.replace(layer, ablated=tuple(sorted(set(units))))
                   if layer.id == layer_id else layer for layer in network.layers)
    return dataclasses.replace(network, layers=layers)
