"""Choose the loss: "auto (→ bce)" first, then every registered loss with its formula.

"auto" lets the task and the output layer decide; the first item says what that resolves
to right now, so the choice is never a mystery.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from app.widgets.form_layout import CompactComboBox
from app.widgets.tooltips import rich_tooltip
from nncore.losses import LOSSES
from nncore.spec import AUTO

LOSS_TITLES = {"mse": "mean squared error", "mae": "mean absolute error", "huber": "Huber",
               "bce": "binary cross-entropy", "cross_entropy": "cross-entropy (softmax)"}
AUTO_TEXT = ("Let the task choose: binary cross-entropy for two classes, cross-entropy for "
             "more, mean squared error for regression.")


class LossChooser(CompactComboBox):
    """A combo of loss names (item data) with formula tooltips; ``currentData()`` is the name."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._resolved: str | None = None
        self.addItem("auto", AUTO)
        for name, loss in LOSSES.items():
            title = LOSS_TITLES.get(name, name)
            self.addItem(f"{name} · {title}", name)
            self.setItemData(self.count() - 1, rich_tooltip(
                title[0].upper() + title[1:], formula=loss.formula, advice=loss.advice,
                needs_reset=True), Qt.ItemDataRole.ToolTipRole)
        self.currentIndexChanged.connect(lambda _index: self._update_tooltip())
        self.set_resolved(None)

    def set_loss(self, name: str) -> None:
        """Select ``name`` (unknown names select auto) without emitting."""
        blocked = self.blockSignals(True)
        self.setCurrentIndex(max(0, self.findData(name)))
        self.blockSignals(blocked)
        self._update_tooltip()

    def set_resolved(self, resolved: str | None) -> None:
        """Say what auto means now ("auto (→ bce)"); None when the task is not known yet."""
        self._resolved = resolved
        self.setItemText(0, f"auto (→ {resolved})" if resolved else "auto")
        self.setItemData(0, rich_tooltip(AUTO_TEXT, needs_reset=True, extra=(
            f"Here: {resolved}." if resolved else None)), Qt.ItemDataRole.ToolTipRole)
        self._update_tooltip()

    def _update_tooltip(self) -> None:
        current = self.currentData()
        loss = LOSSES.get(self._resolved if current == AUTO else current)
        self.setToolTip(rich_tooltip(
            "What training minimises: how far the predictions are from the targets.",
            formula=getattr(loss, "formula", None), advice=getattr(loss, "advice", None),
            needs_reset=True))
