"""Input scaling and the data seed: the data set's preparation, folded by default.

Scaling is ``auto`` for most lessons (the synthetic sets are already in a good range, a
CSV file gets standardised); the first item says what auto picks for the loaded data.
The data seed decides which samples a generator draws and how the data is split.
"""

from __future__ import annotations

import secrets

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QToolButton, QWidget

from app.widgets.collapsible import CollapsibleSection
from app.widgets.form_layout import CompactComboBox, compact_form, form_label
from app.widgets.number_fields import IntField
from app.widgets.tooltips import rich_tooltip
from nncore.spec import AUTO, NORMALIZATIONS

SEED_LIMIT = 2**31 - 1
SCALING_TIPS = {
    AUTO: "auto: what suits the data set (the synthetic sets are already in a good range).",
    "none": "none: the inputs go in as they are.",
    "standard": "standard: each input shifted and scaled to mean 0 and standard deviation 1 "
                "on the training split: x' = (x − mean) / std.",
    "minmax": "min-max: each input mapped to [0, 1] on the training split: "
              "x' = (x − min) / (max − min).",
}


class ScalingFields(CollapsibleSection):
    """Scaling combo and data seed under a header that shows both values.

    Emits ``edited(field, value, text, merge_key)`` with a ``DataSpec`` field name.
    """

    edited = Signal(str, object, str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        box = QWidget()
        super().__init__("Scaling and seed", box, bold=False, parent=parent)
        self.normalize = CompactComboBox(box)
        for name in NORMALIZATIONS:
            self.normalize.addItem("min-max" if name == "minmax" else name, name)
        self.seed = IntField(0, SEED_LIMIT, parent=box)
        self.seed.setToolTip(rich_tooltip(
            "Seed of the data: which samples are generated (noise included) and how they "
            "are split. The same seed always gives the same data."))
        self.new_seed = QToolButton(box)
        self.new_seed.setText("⚄")
        self.new_seed.setToolTip(rich_tooltip("Draw a new random data seed: new samples "
                                              "(and a new split) from the same generator."))
        form = compact_form(box)
        self.normalize_label = form_label("Scaling")
        form.addRow(self.normalize_label, self.normalize)
        seed = QHBoxLayout()
        seed.setSpacing(4)
        seed.addWidget(self.seed, 1)
        seed.addWidget(self.new_seed)
        form.addRow(form_label("Data seed", self.seed.toolTip()), seed)
        self.normalize.currentIndexChanged.connect(self._on_normalize_changed)
        self.seed.valueChanged.connect(lambda v: self.edited.emit(
            "seed", int(v), f"Set data seed to {v}", "data.seed"))
        self.new_seed.clicked.connect(self._on_new_seed_clicked)
        self.set_auto(None)

    def set_values(self, normalize: str, seed: int) -> None:
        """Show the spec's scaling and seed without emitting."""
        for widget in (self.normalize, self.seed):
            widget.blockSignals(True)
        self.normalize.setCurrentIndex(max(0, self.normalize.findData(normalize)))
        self.seed.setValue(min(seed, SEED_LIMIT))
        for widget in (self.normalize, self.seed):
            widget.blockSignals(False)
        self._update_header()

    def set_auto(self, method: str | None) -> None:
        """Say what auto scaling picks for the loaded data (None: not loaded yet)."""
        self._auto = method
        self.normalize.setItemText(0, f"auto (→ {method})" if method else "auto")
        self.normalize.setToolTip(rich_tooltip(
            "How the inputs are scaled before the network sees them (fitted on the "
            "training split only).", extra="\n".join(SCALING_TIPS.values()) +
            (f"\nFor this data, auto uses: {method}." if method else "")))
        self.normalize_label.setToolTip(self.normalize.toolTip())
        self._update_header()

    def _update_header(self) -> None:
        name = self.normalize.currentData()
        method = (self._auto or "auto") if name == AUTO else name
        self.header.setText(f"Scaling: {method} · data seed {self.seed.value()}")

    def _on_normalize_changed(self, _index: int) -> None:
        name = self.normalize.currentData()
        self.edited.emit("normalize", name, f"Scale inputs: {name}", "")

    def _on_new_seed_clicked(self) -> None:
        seed = secrets.randbelow(SEED_LIMIT)
        self.edited.emit("seed", seed, f"Draw a new data seed ({seed})", "")
