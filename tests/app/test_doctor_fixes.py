"""'Apply fix' does what it takes, in one undo step; invalid loss/output pairs get a fix.

Issue 11, items 3 and 7: after the doctor's learning-rate fix on a network the loss has
wrecked, the weights are reset as part of the same undo step, the window says so and
offers to train, and training then works; one undo puts back both the settings and the
trained weights. A loss that cannot go with the output layer (Iris, softmax output, binary
cross-entropy) is a doctor finding whose fix makes the design trainable; long fix texts
wrap instead of being cut off.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal

from app.data_source import DataSource
from app.document import ProjectDocument
from app.panels.doctor_panel import DoctorPanel
from app.panels.finding_card import FindingCard, fix_label
from nncore.doctor import Finding, Fix
from nncore.lessons import load_lesson
from nncore.project import Project
from nncore.runner import Runner, RunState
from nncore.spec import DataSpec, DenseSpec, NetworkSpec, TrainingSpec, mlp_spec
from tests.app.conftest import make_window


def _finished(window) -> bool:
    return window.controller.state in (RunState.FINISHED.value, RunState.PAUSED.value)


def test_a_learning_rate_fix_on_a_wrecked_network_resets_it_in_the_same_undo_step(
        qtbot, settings):
    window = make_window(qtbot, settings, lesson="learning-rate-too-high")
    try:
        doc, ctl = window.document, window.controller
        window.actions.train.trigger()
        qtbot.waitUntil(lambda: _finished(window) and doc.project.weights is not None,
                        timeout=60000)
        qtbot.waitUntil(lambda: window.doctor_panel.card("learning-rate-too-high") is not None,
                        timeout=10000)
        wrecked = doc.project.weights
        card = window.doctor_panel.card("learning-rate-too-high")
        steps = doc.undo_stack.count()
        qtbot.mouseClick(card.fix_button, Qt.MouseButton.LeftButton)
        assert doc.training.optimizer.lr == 0.03
        assert doc.undo_stack.count() == steps + 1  # one undoable step
        assert doc.project.weights is None and not ctl.has_trained_state  # reset
        assert window.message_bar.isVisible() and "reset" in window.message_bar._label.text()
        train_button = next(b for b in window.message_bar._buttons if b.text() == "Train")
        qtbot.mouseClick(train_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: ctl.state == RunState.FINISHED.value
                        and doc.project.history is not None, timeout=60000)
        records = doc.project.history.records
        assert np.isfinite(records[-1].train_loss) and records[-1].train_metric > 0.9
        # undo: the settings and the wrecked weights come back together
        doc.undo_stack.undo()
        assert doc.training.optimizer.lr == 0.3
        assert doc.project.weights is not None
        assert all(np.array_equal(doc.project.weights[k], wrecked[k]) for k in wrecked)
    finally:
        window.close()
        assert window.controller._thread.wait(3000)


class _Controller(QObject):
    update_received = Signal(object)
    history_reset = Signal()
    gradcheck_finished = Signal(object)


def test_an_invalid_loss_and_output_pair_is_a_finding_whose_fix_makes_it_trainable(
        qtbot, artifacts_dir):
    network = mlp_spec([8], "tanh", output_activation="softmax")
    document = ProjectDocument(Project(network, TrainingSpec(loss="bce"), DataSpec("iris")))
    assert document.problems()  # the design cannot train as it is
    source = DataSource()
    source.load_now(document.data)
    panel = DoctorPanel(document, _Controller(), data_source=source)
    qtbot.addWidget(panel)
    panel.resize(700, 400)
    card = panel.card("loss-output-mismatch", "dense-2")
    assert card is not None and card.finding.severity == "problem"
    assert "No findings" not in panel.summary.text()
    panel.show()
    panel.grab().save(str(artifacts_dir / "doctor_invalid_pairing.png"))
    qtbot.mouseClick(card.fix_button, Qt.MouseButton.LeftButton)
    assert document.problems() == []
    assert document.training.loss in ("auto", "cross_entropy")
    document.undo_stack.clear()


def test_long_fix_texts_wrap_and_are_never_cut(qtbot, artifacts_dir):
    text = ("Stop early when validation stops improving (20 epochs) and restore the best "
            "weights")
    fix = Fix(text, (("training.early_stopping", 20),))
    card = FindingCard(Finding("overfitting", "warning", "Overfitting", "m", "e", fix=fix))
    qtbot.addWidget(card)
    card.resize(520, 200)
    card.show()
    label = card.fix_button.text()
    assert "…" not in label and label.replace("\n", " ") == f"Fix: {text}"
    assert "\n" in label
    widest = max(card.fix_button.fontMetrics().horizontalAdvance(line)
                 for line in label.splitlines())
    assert widest <= card.fix_button.width()  # every line fits the button
    card.grab().save(str(artifacts_dir / "doctor_fix_wrapped.png"))
    assert fix_label("short") == "Fix: short"


def test_a_lesson_fix_on_an_untrained_network_needs_no_reset(qtbot):
    document = ProjectDocument(load_lesson("fit-x-squared"))
    source = DataSource()
    source.load_now(document.data)
    panel = DoctorPanel(document, _Controller(), data_source=source)
    qtbot.addWidget(panel)
    said = []
    panel.fix_applied.connect(said.append)
    card = panel.card("output-activation-mismatch", "dense-3")
    qtbot.mouseClick(card.fix_button, Qt.MouseButton.LeftButton)
    assert said and "reset" not in said[0] and card.finding.fix.description in said[0]
    document.undo_stack.clear()


def test_a_gradient_check_failing_on_the_loss_is_not_called_a_backprop_bug(qtbot):
    network = NetworkSpec((DenseSpec("dense-1", 8, "tanh"), DenseSpec("dense-2", 1, "softmax")))
    document = ProjectDocument(Project(network, TrainingSpec(loss="cross_entropy"),
                                       DataSpec("moons")))
    source = DataSource()
    source.load_now(document.data)
    controller = _Controller()
    panel = DoctorPanel(document, controller, data_source=source)
    qtbot.addWidget(panel)
    (_, result), = Runner(document.project).handle("gradcheck")
    assert not result.passed  # the fused loss's short gradient is wrong for these targets
    controller.gradcheck_finished.emit(result)
    card = panel.card("gradient-check-failed", "dense-2")
    assert card is not None and card.finding.severity == "warning"
    assert "not a bug in backprop" in card.finding.message
    qtbot.mouseClick(card.fix_button, Qt.MouseButton.LeftButton)
    (_, result), = Runner(document.project).handle("gradcheck")
    assert result.passed
    document.undo_stack.clear()
