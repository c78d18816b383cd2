"""The Gradient check tab: does back-propagation agree with finite differences?

"Check gradients" asks the engine (``controller.check_gradients()``) to compare, for each
parameter tensor, the back-propagated gradient with central differences on a batch, in
float64. The table shows the relative error per tensor, green when it passes, red when it
fails; a failure also shows the doctor's finding with its fix.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.panels.doctor_panel import apply_fix
from app.panels.finding_card import FindingCard
from app.theme import OK, PROBLEM
from nncore.doctor import examine_design, findings_from_gradcheck
from nncore.gradcheck import GradCheckResult

COLUMNS = ("tensor", "shape", "checked", "relative error", "max |difference|", "result")
EXPLANATION = (
    "<p><b>What is checked.</b> For each weight w of a sample of entries, the loss is "
    "computed with w + h and w − h (h = 10<sup>−6</sup>, in float64) and the slope "
    "<tt>(L(w + h) − L(w − h)) / 2h</tt> is compared with the gradient that "
    "back-propagation gives for w.</p>"
    "<p><b>Relative error</b> = ‖g<sub>backprop</sub> − g<sub>numeric</sub>‖ / "
    "(‖g<sub>backprop</sub>‖ + ‖g<sub>numeric</sub>‖), per tensor. A correct "
    "implementation gives about 10<sup>−9</sup> or less; above the threshold the backward "
    "pass has a bug. 0 means both gradients are exactly zero.</p>"
    "<p>Tensors whose gradient is too tiny to measure (below the rounding noise of the "
    "differences) are not called wrong.</p>")


class GradCheckPanel(QWidget):
    """A button, the per-tensor table, what the numbers mean, and the finding if it failed."""

    def __init__(self, controller, parent: QWidget | None = None, *,
                 data_source=None) -> None:
        super().__init__(parent)
        self.controller, self.data_source = controller, data_source
        self.result: GradCheckResult | None = None
        self.finding_card: FindingCard | None = None
        self._build()
        controller.gradcheck_finished.connect(self._on_controller_gradcheck_finished)
        controller.error_occurred.connect(self._on_controller_error)
        controller.document.project_replaced.connect(self.clear)

    def _build(self) -> None:
        self.check_button = QPushButton("Check gradients")
        self.check_button.setToolTip(
            "<qt>Compare back-propagation with finite differences "
            "<tt>(L(w + h) − L(w − h)) / 2h</tt> on a batch of 16 training samples, using "
            "the current weights.</qt>")
        self.check_button.clicked.connect(self.check)
        self.status = QLabel("Press the button to check the gradients of the current network.")
        self.status.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(self.check_button)
        top.addWidget(self.status, 1)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setStretchLastSection(False)
        self.table.horizontalHeaderItem(2).setToolTip("Entries of the tensor compared (a "
                                                      "random sample for large tensors)")
        self.table.horizontalHeaderItem(4).setToolTip("The largest |backprop − numeric| "
                                                      "over the checked entries")
        self.explanation = QLabel(EXPLANATION)
        self.explanation.setWordWrap(True)
        self.explanation.setTextFormat(Qt.TextFormat.RichText)
        self.explanation.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.explanation.setMinimumWidth(260)
        self.right = QWidget()
        self.right_layout = QVBoxLayout(self.right)
        self.right_layout.setContentsMargins(0, 0, 0, 0)
        self.right_layout.addWidget(self.explanation)
        self.right_layout.addStretch(1)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.table)
        splitter.addWidget(self.right)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([640, 640])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)

    # -- actions --------------------------------------------------------------------------

    @Slot()
    def check(self) -> None:
        """Ask the engine for a gradient check (the result arrives later)."""
        self.check_button.setEnabled(False)
        self.status.setText("Checking… (two forward passes per checked weight)")
        self.controller.check_gradients()

    @Slot()
    def clear(self) -> None:
        """Forget the last result (a different project is open)."""
        self.result = None
        self.table.setRowCount(0)
        self._set_finding(None)
        self.check_button.setEnabled(True)
        self.status.setText("Press the button to check the gradients of the current network.")

    def show_result(self, result: GradCheckResult) -> None:
        """Fill the table and the verdict from a ``GradCheckResult``."""
        self.result = result
        self.check_button.setEnabled(True)
        self.table.setRowCount(len(result.tensors))
        for row, tensor in enumerate(result.tensors):
            failed = not result.tensor_passed(tensor)
            cells = (tensor.name, "×".join(str(n) for n in tensor.shape), str(tensor.checked),
                     f"{tensor.relative_error:.2e}", f"{tensor.max_abs_error:.2e}",
                     "✗ wrong" if failed else "✓ agrees")
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column >= 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight |
                                          Qt.AlignmentFlag.AlignVCenter)
                if column in (3, 5):
                    item.setForeground(QBrush(QColor(PROBLEM if failed else OK)))
                self.table.setItem(row, column, item)
        doc = self.controller.document
        splits = self.data_source.splits if self.data_source is not None else None
        try:
            design = examine_design(doc.network, doc.training, doc.data, splits)
        except Exception:  # data of the previous spec: judge the check on its own
            design = []
        findings = findings_from_gradcheck(result, (doc.network, doc.training, doc.data),
                                           design)
        failures = len(result.failures())
        verdict = (f"<b style='color:{PROBLEM}'>{failures} of {len(result.tensors)} tensors "
                   "disagree</b>" if failures else
                   f"<b style='color:{OK}'>All {len(result.tensors)} tensors agree</b>")
        self.status.setText(f"{verdict} (threshold {result.threshold:.0e}, loss "
                            f"{result.loss:.4g} on the checked batch).")
        self._set_finding(findings[0] if findings else None)

    def _set_finding(self, finding) -> None:
        if self.finding_card is not None:
            self.right_layout.removeWidget(self.finding_card)
            self.finding_card.deleteLater()
            self.finding_card = None
        if finding is not None:
            self.finding_card = FindingCard(finding)
            self.finding_card.evidence_button.hide()
            self.finding_card.evidence.hide()  # the table shows every tensor's error
            self.finding_card.fix_requested.connect(self._on_card_fix_requested)
            self.right_layout.insertWidget(0, self.finding_card)

    # -- reactions ------------------------------------------------------------------------

    @Slot(object)
    def _on_controller_gradcheck_finished(self, result: GradCheckResult) -> None:
        self.show_result(result)

    @Slot(str)
    def _on_controller_error(self, _text: str) -> None:
        if not self.check_button.isEnabled():
            self.check_button.setEnabled(True)
            self.status.setText("The check could not run (see the message above).")

    @Slot(object)
    def _on_card_fix_requested(self, finding) -> None:
        if apply_fix(self.controller.document, finding):
            self._set_finding(None)
            self.status.setText("Fix applied. Check again to confirm.")
