"""The Doctor tab: why the network is (not) learning, live, with one-click fixes.

Findings come from three places, all computed in ``nncore.doctor``:
- the design and data (``examine_design``), recomputed here whenever the specs or the
  loaded data change, so they are current before any training;
- the run (``Update.findings`` from the engine, about once a second);
- the gradient check (``findings_from_gradcheck`` on the controller's result).

Clicking a finding calls ``highlight_layer(layer_id, severity)`` and
``show_evidence(view)``; "Apply fix" changes the specs through the document and, when the
network has been trained, resets it, all as one undo step named after the fix;
``fix_applied`` then says what was done (the window offers to train). ``count_changed``
gives the number of open warnings and problems for the tab's badge.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QUndoCommand
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from app.panels.finding_card import FindingCard
from nncore.doctor import Finding, examine_design, findings_from_gradcheck, open_count
from nncore.doctor.findings import sort_findings

log = logging.getLogger(__name__)

HighlightLayer = Callable[[str | None, str], None]
ShowEvidence = Callable[[str], None]
EXTRA_ACTIONS = {"chance-level-plateau": "Check gradients"}
"""Findings whose card offers a second action (running the gradient check)."""


class ResetCommand(QUndoCommand):
    """Part of an applied fix: discard the trained weights so the fix shows from a fresh
    start; undo restores them (weights, history, optimizer state) and reopens the run."""

    def __init__(self, document, controller, text: str) -> None:
        super().__init__(text)
        self.document, self.controller = document, controller
        project = document.project
        self.saved = (project.weights, project.history, project.optimizer_state,
                      project.optimizer_step, project.preprocessing)

    def redo(self) -> None:
        self.controller.reset()

    def undo(self) -> None:
        self.document.set_trained_state(*self.saved)
        self.controller.reopen()


def has_trained_state(document, controller) -> bool:
    """True when the network has been trained (in the engine or in the document)."""
    trained = getattr(controller, "has_trained_state", None)
    return bool(trained) or document.project.weights is not None


def apply_fix(document, finding: Finding, controller=None) -> str | None:
    """Apply ``finding.fix`` to ``document`` as ONE undo step, with what it takes for the
    fix to show its effect: a trained network is reset (its weights were shaped by the
    problem, e.g. wrecked by a learning rate of 5) as part of the same step. Returns a
    sentence saying what was done, or None if the fix no longer fits."""
    fix = finding.fix
    if fix is None:
        return None
    try:
        network, training, data = fix.apply(document.network, document.training, document.data)
    except (KeyError, ValueError) as err:
        log.info("fix %r no longer applies: %s", fix.description, err)
        return None
    reset = controller is not None and hasattr(controller, "reopen") and \
        has_trained_state(document, controller)
    stack = document.undo_stack
    stack.beginMacro(fix.description)
    try:
        if reset:  # first, so that the engine then opens the fixed design afresh
            stack.push(ResetCommand(document, controller, fix.description))
        document.set_network(network, fix.description)
        document.set_training(training, fix.description)
        if data is not None:
            document.set_data(data, fix.description)
    finally:
        stack.endMacro()
    done = f"Applied “{fix.description}”"
    if reset:
        return (f"{done} and reset the weights, so the fix shows from a fresh start. Train "
                "to see it (one undo step puts back both the settings and the weights).")
    return f"{done}. Train to see its effect (one undo step puts it back)."


class DoctorPanel(QWidget):
    """Live findings of the doctor, most urgent first."""

    count_changed = Signal(int)
    fix_applied = Signal(str)  # what "Apply fix" did, in a sentence

    def __init__(self, document, controller, highlight_layer: HighlightLayer | None = None,
                 show_evidence: ShowEvidence | None = None, *, data_source=None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document, self.controller, self.data_source = document, controller, data_source
        self.highlight_layer, self.show_evidence = highlight_layer, show_evidence
        self._static: list[Finding] = []
        self._runtime: list[Finding] = []
        self._gradcheck: list[Finding] = []
        self._gradcheck_bugs: tuple[str, ...] = ()
        self._applied: set[tuple[str, str | None]] = set()
        self._cards: dict[tuple[str, str | None], FindingCard] = {}
        self._count = -1
        self._build()
        self._connect()
        self._recompute_static()

    # -- building -------------------------------------------------------------------------

    def _build(self) -> None:
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.show_notes = QCheckBox("Show notes")
        self.show_notes.setChecked(True)
        self.show_notes.setToolTip("Also list notes: things worth knowing that do not stop "
                                   "the network from learning")
        self.show_notes.toggled.connect(lambda _on: self._refresh())
        header = QHBoxLayout()
        header.addWidget(self.summary, 1)
        header.addWidget(self.show_notes)
        self.list_widget = QWidget()
        self.list_layout = QVBoxLayout(self.list_widget)
        self.list_layout.setContentsMargins(0, 0, 0, 0)
        self.list_layout.setSpacing(4)
        self.list_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(self.list_widget)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addLayout(header)
        layout.addWidget(scroll, 1)

    def _connect(self) -> None:
        doc, ctl = self.document, self.controller
        doc.network_changed.connect(lambda _spec: self._recompute_static())
        doc.training_changed.connect(self._on_document_training_changed)
        doc.data_changed.connect(lambda _spec: self._recompute_static())
        doc.project_replaced.connect(self._on_document_project_replaced)
        ctl.update_received.connect(self._on_controller_update)
        ctl.history_reset.connect(self._on_controller_history_reset)
        ctl.gradcheck_finished.connect(self._on_controller_gradcheck_finished)
        if self.data_source is not None:
            self.data_source.splits_changed.connect(lambda _splits: self._recompute_static())

    # -- the findings ---------------------------------------------------------------------

    @property
    def findings(self) -> list[Finding]:
        """Every finding shown (or hidden as a note), most urgent first."""
        runtime = [f for f in self._runtime if f.key not in self._applied]
        keys = {f.key for f in runtime}
        static = [f for f in self._static if f.key not in keys]
        return sort_findings([*static, *runtime, *self._gradcheck])

    @property
    def open_count(self) -> int:
        """Warnings and problems (what the tab's badge shows)."""
        return open_count(self.findings)

    def card(self, code: str, layer: str | None = None) -> FindingCard | None:
        """The card showing finding ``(code, layer)``, if any (tests, screenshots)."""
        return self._cards.get((code, layer))

    def _recompute_static(self) -> None:
        splits = self.data_source.splits if self.data_source is not None else None
        doc = self.document
        try:
            self._static = examine_design(doc.network, doc.training, doc.data, splits)
        except Exception:  # data of the previous spec, a half-edited design: show nothing new
            log.debug("static checks skipped", exc_info=True)
            self._static = []
        self._refresh()

    def _refresh(self) -> None:
        findings = self.findings
        shown = [f for f in findings if self.show_notes.isChecked() or f.is_open]
        for key in [k for k in self._cards if k not in {f.key for f in shown}]:
            card = self._cards.pop(key)
            self.list_layout.removeWidget(card)
            card.deleteLater()
        for index, finding in enumerate(shown):
            card = self._cards.get(finding.key)
            if card is None:
                card = self._new_card(finding)
            else:
                card.set_finding(finding)
            self.list_layout.removeWidget(card)
            self.list_layout.insertWidget(index, card)
        self._show_summary(findings)

    def _new_card(self, finding: Finding) -> FindingCard:
        card = FindingCard(finding, extra_action=EXTRA_ACTIONS.get(finding.code))
        card.clicked.connect(self._on_card_clicked)
        card.fix_requested.connect(self._on_card_fix_requested)
        card.extra_requested.connect(self._on_card_extra_requested)
        self._cards[finding.key] = card
        return card

    def _show_summary(self, findings: list[Finding]) -> None:
        problems = sum(f.severity == "problem" for f in findings)
        warnings = sum(f.severity == "warning" for f in findings)
        notes = len(findings) - problems - warnings
        if problems or warnings:
            parts = [f"{n} {word}{'s' if n != 1 else ''}" for n, word in
                     ((problems, "problem"), (warnings, "warning"), (notes, "note")) if n]
            text = ("<b>" + ", ".join(parts) + "</b> — click a finding to see where it is; "
                    "'Why does this happen?' explains it.")
        elif notes:
            text = (f"<b>No problems.</b> {notes} note{'s' if notes != 1 else ''} worth "
                    "knowing.")
        else:
            text = ("<b>No findings.</b> The doctor watches the design, the data and the run "
                    "while you train, and says why a network is not learning.")
        self.summary.setText(text)
        count = problems + warnings
        if count != self._count:
            self._count = count
            self.count_changed.emit(count)

    # -- reactions ------------------------------------------------------------------------

    @Slot(object)
    def _on_controller_update(self, update) -> None:
        findings = getattr(update, "findings", None)
        if findings is None:
            return
        runtime = [f for f in findings if f.stage == "training"]
        if runtime != self._runtime:
            self._runtime = runtime
            self._refresh()

    @Slot()
    def _on_controller_history_reset(self) -> None:
        self._runtime = []
        self._applied.clear()
        self._refresh()

    @Slot(object)
    def _on_controller_gradcheck_finished(self, result) -> None:
        doc = self.document
        self._gradcheck = findings_from_gradcheck(result, (doc.network, doc.training, doc.data),
                                                  self._static)
        self._gradcheck_bugs = doc.training.bugs
        self._refresh()

    @Slot(object)
    def _on_document_training_changed(self, training) -> None:
        if self._gradcheck and training.bugs != self._gradcheck_bugs:
            self._gradcheck = []  # the code checked is not the code any more
        self._recompute_static()

    @Slot()
    def _on_document_project_replaced(self) -> None:
        self._runtime, self._gradcheck = [], []
        self._applied.clear()
        self._recompute_static()

    @Slot(object)
    def _on_card_clicked(self, finding: Finding) -> None:
        if self.highlight_layer is not None:
            self.highlight_layer(finding.layer, finding.severity)
        if self.show_evidence is not None:
            self.show_evidence(finding.evidence_view)

    @Slot(object)
    def _on_card_fix_requested(self, finding: Finding) -> None:
        done = apply_fix(self.document, finding, self.controller)
        if done is None:
            card = self._cards.get(finding.key)
            if card is not None:
                card.fix_button.setEnabled(False)
                card.fix_button.setToolTip("The design has changed: this fix no longer fits.")
            return
        if finding.stage == "training":
            self._applied.add(finding.key)  # until the next run shows whether it worked
        elif finding.stage == "gradcheck":
            self._gradcheck = []
        self._refresh()
        self.fix_applied.emit(done)

    @Slot(object)
    def _on_card_extra_requested(self, finding: Finding) -> None:
        self.controller.check_gradients()
        if self.show_evidence is not None:
            self.show_evidence("gradcheck")
