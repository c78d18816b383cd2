"""One doctor finding as a card: severity, title, layer, message, evidence, why, fix.

Shared by the doctor panel and the gradient-check panel. The card only displays a
``nncore.doctor.Finding`` and reports clicks; applying the fix is its owner's job.
"""

from __future__ import annotations

import math
import textwrap
from html import escape

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from app.theme import INFO, PROBLEM, WARNING
from app.widgets.collapsible import CollapsibleSection
from nncore.doctor import Finding

SEVERITY_COLORS = {"problem": PROBLEM, "warning": WARNING, "info": INFO}
SEVERITY_ICONS = {"problem": QStyle.StandardPixmap.SP_MessageBoxCritical,
                  "warning": QStyle.StandardPixmap.SP_MessageBoxWarning,
                  "info": QStyle.StandardPixmap.SP_MessageBoxInformation}
SEVERITY_WORDS = {"problem": "Problem", "warning": "Warning", "info": "Note"}
VIEW_NAMES = {"loss": "the loss curve", "weights": "the weights", "health": "layer health",
              "confusion": "the confusion matrix", "gradcheck": "the gradient check",
              "design": "the design", "data": "the data"}
EVIDENCE_NAMES = {"learning_rate": "learning rate", "train_loss": "training loss",
                  "chance_loss": "chance loss", "majority_rate": "majority class",
                  "epochs_at_chance": "epochs at chance", "output_std": "output spread",
                  "dead_fraction": "dead", "saturated_fraction": "saturated",
                  "pre_activation_std": "input spread", "unit_spread": "unit spread",
                  "gradient_ratio": "gradient ratio", "step_ratio": "step ratio",
                  "change_per_epoch": "change per epoch", "best_val_loss": "best val. loss",
                  "val_loss": "val. loss", "train_loss_at_best": "train loss at best",
                  "largest_scale": "largest scale", "smallest_scale": "smallest scale",
                  "knn_val_accuracy": "nearest neighbours", "knn_val": "nearest neighbours",
                  "linear_val_accuracy": "straight line", "linear_fit": "straight line",
                  "majority_share": "majority class", "init_growth": "signal growth"}
PERCENT_KEYS = frozenset({"dead_fraction", "saturated_fraction", "change_per_epoch",
                          "accuracy", "majority_rate", "train_accuracy", "val_accuracy",
                          "knn_val_accuracy", "linear_val_accuracy", "majority_share"})
MAX_EVIDENCE = 6
FIX_LABEL_WIDTH = 34


def format_value(key: str, value: object) -> str:
    """A number as a student reads it (percentages, 4 significant digits, lists)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, list, tuple)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(format_value(key, v) for v in value[-4:])
    if not math.isfinite(value):
        return "∞" if value > 0 else ("−∞" if value < 0 else "NaN")
    if key in PERCENT_KEYS:
        return f"{value:.1%}" if key == "change_per_epoch" and value < 0.01 else f"{value:.0%}"
    if float(value).is_integer() and abs(value) < 1e6:
        return str(int(value))
    digits = 4 if "loss" in key else 3  # losses near chance differ in the fourth digit
    return f"{value:.{digits}g}" if abs(value) >= 1e-3 else f"{value:.1e}"


def evidence_text(finding: Finding) -> str:
    """The evidence as 'name value · name value' (at most ``MAX_EVIDENCE`` items)."""
    items = []
    for key, value in list(finding.evidence.items())[:MAX_EVIDENCE]:
        items.append(f"{EVIDENCE_NAMES.get(key, key.replace('_', ' '))} "
                     f"<b>{escape(format_value(key, value))}</b>")
    return " · ".join(items)


class FindingCard(QFrame):
    """A finding: click it to see where, 'Why?' to learn, 'Apply fix' to fix it."""

    clicked = Signal(object)          # Finding
    fix_requested = Signal(object)    # Finding
    extra_requested = Signal(object)  # Finding (the card's extra action, if any)

    def __init__(self, finding: Finding, *, extra_action: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("FindingCard")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Maximum)
        self._build(extra_action)
        self.set_finding(finding)

    def _build(self, extra_action: str | None) -> None:
        self.icon = QLabel()
        self.icon.setFixedSize(QSize(22, 22))
        self.heading = QLabel()
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        self.heading.setWordWrap(True)
        self.evidence = QLabel()
        self.evidence.setTextFormat(Qt.TextFormat.RichText)
        self.evidence.setWordWrap(True)
        self.explanation = QLabel()
        self.explanation.setWordWrap(True)
        self.explanation.setTextFormat(Qt.TextFormat.RichText)
        self.why = CollapsibleSection("Why does this happen?", self.explanation, bold=False)
        self.fix_button = QPushButton("Apply fix")
        self.fix_button.clicked.connect(lambda: self.fix_requested.emit(self.finding))
        self.evidence_button = QPushButton("Show evidence")
        self.evidence_button.clicked.connect(lambda: self.clicked.emit(self.finding))
        self.extra_button = QPushButton(extra_action or "")
        self.extra_button.setVisible(extra_action is not None)
        self.extra_button.clicked.connect(lambda: self.extra_requested.emit(self.finding))
        self._layout_parts()

    def _layout_parts(self) -> None:
        text = QVBoxLayout()
        text.setSpacing(2)
        for widget in (self.heading, self.evidence, self.why):
            text.addWidget(widget)
        buttons = QVBoxLayout()
        buttons.setSpacing(3)
        for widget in (self.fix_button, self.extra_button, self.evidence_button):
            buttons.addWidget(widget)
        buttons.addStretch(1)
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 5, 6, 5)
        row.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignTop)
        row.addLayout(text, 1)
        row.addLayout(buttons)

    def set_finding(self, finding: Finding) -> None:
        """Show ``finding`` (the card keeps its expanded state)."""
        self.finding = finding
        color = SEVERITY_COLORS[finding.severity]
        self.setStyleSheet(f"#FindingCard {{ border: 1px solid palette(mid); border-left: 5px "
                           f"solid {color}; border-radius: 3px; }}")
        self.icon.setPixmap(self.style().standardIcon(SEVERITY_ICONS[finding.severity])
                            .pixmap(QSize(20, 20)))
        layer = (f" <span style='background:{color}; color:white; border-radius:3px'>"
                 f"&nbsp;{escape(finding.layer)}&nbsp;</span>") if finding.layer else ""
        self.heading.setText(f"<b>{escape(finding.title)}</b>{layer} — {escape(finding.message)}")
        self.evidence.setText(f"<span style='color:gray'>{evidence_text(finding)}</span>")
        self.explanation.setText(escape(finding.explanation))
        fix = finding.fix
        self.fix_button.setVisible(fix is not None)
        if fix is not None:
            self.fix_button.setText(fix_label(fix.description))
            self.fix_button.setToolTip(f"<qt><b>Apply fix:</b> {escape(fix.description)}. "
                                       "One undo step (Ctrl+Z) puts it back.</qt>")
        self.evidence_button.setToolTip(f"Highlight {finding.layer or 'the network'} and show "
                                        f"{VIEW_NAMES.get(finding.evidence_view, 'the evidence')}")
        self.setToolTip(f"{SEVERITY_WORDS[finding.severity]} · code: {finding.code}")

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(self.finding)
        super().mousePressEvent(event)


def fix_label(description: str, width: int = FIX_LABEL_WIDTH) -> str:
    """The fix button's text, wrapped onto lines of about ``width`` characters (never cut:
    a fix must say exactly what it does)."""
    return textwrap.fill(f"Fix: {description}", width, break_long_words=False)
