"""The open project as the GUI sees it: specs, trained state, undo stack, file and dirty flag.

Widgets never hold state the document does not: they read the specs from here, change
them only through ``set_network`` / ``set_training`` / ``set_data`` (each an undoable
command that swaps a frozen spec), and redraw when the matching ``*_changed`` signal
fires. User edits, undo/redo, opening a file and the doctor's "Apply fix" therefore all
take the same path.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QUndoCommand, QUndoStack

from nncore.data.registry import data_title
from nncore.errors import NNCoreError
from nncore.lessons import lesson_of
from nncore.project import Project, load_project, save_project
from nncore.rewind import SnapshotKeeper, branch_project
from nncore.spec import (
    DataSpec,
    NetworkSpec,
    OptimizerSpec,
    Problem,
    ScheduleSpec,
    TrainingSpec,
    mlp_spec,
    validate,
)
from nncore.training import History

_PARTS = ("network", "training", "data")


class SpecCommand(QUndoCommand):
    """Replace one of the three specs; undo puts the old one back.

    Consecutive commands with the same ``merge_key`` (e.g. dragging a slider) merge into
    one undo step.
    """

    _ids = {part: i + 1 for i, part in enumerate(_PARTS)}

    def __init__(self, document: ProjectDocument, part: str, old: Any, new: Any, text: str,
                 merge_key: str | None = None) -> None:
        super().__init__(text)
        self.document, self.part, self.old, self.new = document, part, old, new
        self.merge_key = merge_key

    def redo(self) -> None:
        self.document._apply(self.part, self.new)

    def undo(self) -> None:
        self.document._apply(self.part, self.old)

    def id(self) -> int:
        return self._ids[self.part] if self.merge_key else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, SpecCommand) or other.merge_key != self.merge_key:
            return False
        self.new = other.new
        return True


class BranchCommand(QUndoCommand):
    """"Continue training from epoch N": undo puts the whole run back."""

    def __init__(self, document: ProjectDocument, old: Project, new: Project,
                 epoch: int) -> None:
        super().__init__(f"Continue training from epoch {epoch}")
        self.document, self.old, self.new = document, old, new

    def redo(self) -> None:
        self.document._restore_trained(self.new)

    def undo(self) -> None:
        self.document._restore_trained(self.old)


def default_project() -> Project:
    """A small, valid project: two spirals, 2 x 16 tanh, Adam (used by File > New)."""
    return Project(mlp_spec([16, 16], "tanh"),
                   TrainingSpec(optimizer=OptimizerSpec("adam", 0.01),
                                schedule=ScheduleSpec(), batch_size=32, epochs=500),
                   DataSpec("spirals"), title="Untitled")


class ProjectDocument(QObject):
    """Holds the current ``Project`` and announces every change."""

    network_changed = Signal(object)      # NetworkSpec
    training_changed = Signal(object)     # TrainingSpec
    data_changed = Signal(object)         # DataSpec
    project_replaced = Signal()           # new / open / lesson: everything changed
    trained_state_changed = Signal()      # weights or history replaced
    run_branched = Signal()               # training continues from an earlier epoch (or not)
    selection_changed = Signal(object)    # layer id (str) or None
    path_changed = Signal(object)         # Path or None
    dirty_changed = Signal(bool)
    edit_refused = Signal(str)            # an edit that would change a locked control

    def __init__(self, project: Project | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.undo_stack = QUndoStack(self)
        self.undo_stack.cleanChanged.connect(self._on_undo_stack_clean_changed)
        self._project = project or default_project()
        self._path: Path | None = None
        self._trained_since_save = False
        self._selected: str | None = None
        self._view_sources: list[Callable[[], dict]] = []
        self._named_for = _named_for(self._project)  # the data the title was given for
        self._given_title = self._project.title
        self.lock_reference: Project = self._project  # what an assignment's locks keep

    # -- reading ------------------------------------------------------------------------

    @property
    def project(self) -> Project:
        """The current project (treat as read-only; change it through the setters)."""
        return self._project

    @property
    def network(self) -> NetworkSpec:
        return self._project.network

    @property
    def training(self) -> TrainingSpec:
        return self._project.training

    @property
    def data(self) -> DataSpec:
        return self._project.data

    @property
    def path(self) -> Path | None:
        return self._path

    @property
    def is_dirty(self) -> bool:
        """True when there are changes since the last save or open."""
        return not self.undo_stack.isClean() or self._trained_since_save

    @property
    def selected_layer(self) -> str | None:
        """Id of the layer selected in the designer, if any."""
        return self._selected

    def problems(self) -> list[Problem]:
        """Everything wrong with the current design (empty when it can train)."""
        return validate(self.network, self.training, self.data)

    @property
    def display_name(self) -> str:
        """File name, or the project title, for the window title."""
        if self._path is not None:
            return self._path.name
        return self._project.title or "Untitled"

    # -- editing (undoable) -------------------------------------------------------------

    def set_network(self, spec: NetworkSpec, text: str, merge_key: str | None = None) -> None:
        """Replace the network spec as one undo step called ``text``."""
        self._push("network", spec, text, merge_key)

    def set_training(self, spec: TrainingSpec, text: str,
                     merge_key: str | None = None) -> None:
        """Replace the training spec as one undo step."""
        self._push("training", spec, text, merge_key)

    def set_data(self, spec: DataSpec, text: str, merge_key: str | None = None) -> None:
        """Replace the data spec as one undo step."""
        self._push("data", spec, text, merge_key)

    def _push(self, part: str, new: Any, text: str, merge_key: str | None) -> None:
        old = getattr(self._project, part)
        if old == new:
            return
        from app.teach import locked_edit

        refusal = locked_edit(self, part, new)
        if refusal:  # the widget that asked snaps back to the kept value
            self.edit_refused.emit(refusal)
            getattr(self, f"{part}_changed").emit(old)
            return
        self.undo_stack.push(SpecCommand(self, part, old, new, text, merge_key))

    def _apply(self, part: str, spec: Any) -> None:
        changes = {part: spec}
        if part == "data":  # the name follows the data: a lesson's title, or the set's
            changes["title"] = self._given_title if _data_key(spec) in self._named_for \
                else data_title(spec)
        self._project = dataclasses.replace(self._project, **changes)
        if part == "network" and self._selected is not None and \
                self._selected not in {layer.id for layer in spec.layers}:
            self.select_layer(None)
        getattr(self, f"{part}_changed").emit(spec)

    def select_layer(self, layer_id: str | None) -> None:
        """Make ``layer_id`` the selected layer (not an undo step)."""
        if layer_id != self._selected:
            self._selected = layer_id
            self.selection_changed.emit(layer_id)

    # -- trained state (not undoable) -----------------------------------------------------

    def set_trained_state(self, weights: dict | None, history: History | None,
                          optimizer_state: dict | None = None, optimizer_step: int = 0,
                          preprocessing: dict | None = None, *,
                          snapshots: SnapshotKeeper | None = None) -> None:
        """Store the results of training so they are saved with the project."""
        self._project = dataclasses.replace(
            self._project, weights=weights, history=history, optimizer_state=optimizer_state,
            optimizer_step=optimizer_step,
            preprocessing=preprocessing or self._project.preprocessing, snapshots=snapshots)
        self._trained_since_save = True
        self.trained_state_changed.emit()
        self._emit_dirty()

    def branch_to(self, epoch: int) -> None:
        """Continue training from the snapshot of ``epoch``: its weights, and the history
        and snapshots up to it (one undo step; undo returns to the run as it was)."""
        new = branch_project(self._project, epoch)
        self.undo_stack.push(BranchCommand(self, self._project, new, epoch))

    def _restore_trained(self, project: Project) -> None:
        """Put back the trained state of ``project`` (a branch, or the run before it)."""
        self.set_trained_state(project.weights, project.history, project.optimizer_state,
                               project.optimizer_step, project.preprocessing,
                               snapshots=project.snapshots)
        self.run_branched.emit()

    def clear_trained_state(self) -> None:
        """Forget weights and history (after a reset or a design change)."""
        if self._project.weights is None and self._project.history is None:
            return
        self.set_trained_state(None, None)

    def set_view(self, key: str, value: Any) -> None:
        """Store designer/view-only data (positions, toggles) in the project file."""
        self._project.view[key] = value

    def add_view_source(self, source: Callable[[], dict]) -> None:
        """Register a view whose collected arrays (plot histories the engine cannot
        recompute) are saved with the project: ``source()`` is asked on every save."""
        self._view_sources.append(source)

    def collect_views(self) -> Project:
        """The project with the views' current arrays (``view_arrays``), as saved."""
        if self._view_sources:
            arrays: dict = {}
            for source in self._view_sources:
                arrays.update(source())
            self._project = dataclasses.replace(self._project, view_arrays=arrays)
        return self._project

    # -- files ----------------------------------------------------------------------------

    def replace_project(self, project: Project, path: Path | None = None, *,
                        modified: bool = False) -> None:
        """Show a different project (New, Open, a lesson); clears undo history.

        ``modified=True`` (a recovered autosave) marks it as having unsaved changes.
        """
        from app.teach import prepare_locks

        project, self.lock_reference, restored = prepare_locks(project)
        self._project = project
        self._named_for, self._given_title = _named_for(project), project.title
        self._path = Path(path) if path else None
        self._selected = None
        self.undo_stack.clear()
        self.undo_stack.setClean()
        self._trained_since_save = modified
        self.project_replaced.emit()
        self.path_changed.emit(self._path)
        self._emit_dirty()
        if restored:
            self.edit_refused.emit(restored)

    def open(self, path: str | Path) -> None:
        """Load a project file (raises ``ProjectFileError`` with a readable message)."""
        self.replace_project(load_project(path), Path(path))

    def save(self, path: str | Path | None = None) -> Path:
        """Write the project (atomically) to ``path`` or its current file."""
        target = Path(path) if path else self._path
        if target is None:
            raise ValueError("the project has no file yet: choose where to save it")
        save_project(self.collect_views(), target)
        self._path = target
        self.undo_stack.setClean()
        self._trained_since_save = False
        self.path_changed.emit(self._path)
        self._emit_dirty()
        return target

    @Slot(bool)
    def _on_undo_stack_clean_changed(self, _clean: bool) -> None:
        self._emit_dirty()

    def _emit_dirty(self) -> None:
        self.dirty_changed.emit(self.is_dirty)


def _data_key(spec: DataSpec) -> tuple:
    """What decides which data a project is about: the set (or file), not its options."""
    return spec.source, spec.path


def _named_for(project: Project) -> set[tuple]:
    """The data a project's title belongs to: its own, and a lesson's variants' data (a
    variant on other data is still the lesson)."""
    keys = {_data_key(project.data)}
    lesson = lesson_of(project)
    for variant in lesson.variants if lesson is not None else ():
        try:
            keys.add(_data_key(variant.apply(project).data))
        except NNCoreError:  # a variant that does not apply names nothing
            continue
    return keys
