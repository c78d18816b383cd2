"""The DATA panel: which data set, its options, derived features, splits and scaling.

Every control edits ``document.data`` through ``set_data`` (undoable; drags merge) and
is re-read on ``data_changed`` / ``project_replaced``. The panel also asks the
``DataSource`` to load the document's spec whenever it changes (``DataSource.load``
ignores a spec it already has, so a main window doing the same costs nothing), and shows
what was loaded, a "loading…" line while it works, and load errors in plain words.

Your own files are tried *before* the document changes: a separate ``DataSource`` (the
probe) loads the file in the background, and only a file that loads becomes the
project's data. A broken file leaves the working data set in place and explains why.
"""

from __future__ import annotations

import dataclasses
import functools
import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.data_source import DataSource
from app.document import ProjectDocument
from app.theme import PROBLEM
from app.widgets.dataset_picker import TASK_TEXT, DatasetPicker
from app.widgets.feature_toggles import FeatureToggles
from app.widgets.form_layout import compact_form, form_label, panel_title
from app.widgets.number_fields import IntField, format_number
from app.widgets.option_form import OPTION_LABELS, OptionForm
from app.widgets.scaling_fields import ScalingFields
from app.widgets.target_chooser import TargetChooser
from app.widgets.tooltips import rich_tooltip
from nncore.data import BUILTIN, Splits, file_format, load_builtin
from nncore.data.provenance import file_fingerprint
from nncore.errors import NNCoreError
from nncore.spec import DataSpec

if TYPE_CHECKING:
    from app.widgets.import_dialog import ImportDialog

SMALL_FIELD_WIDTH = 64
FILE_FILTER = ("Data files (*.csv *.tsv *.txt *.dat *.gz *.zip *.xlsx *.npz *.idx *.idx1 *.idx3 "
               "*ubyte);;All files (*)")
TABLE_FORMATS = ("csv", "xlsx")



class DataPanel(QWidget):
    """Data settings of ``document``, loading them through ``data_source``."""

    def __init__(self, document: ProjectDocument, data_source: DataSource,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document, self.data_source = document, data_source
        self.probe = DataSource(self)  # tries files before they become the project's data
        self._pending: tuple[DataSpec, str] | None = None
        self._syncing = False
        self._loading = False
        self._build_widgets()
        self._build_layout()
        self._connect()
        self._sync()
        self._request_load()

    # -- building ----------------------------------------------------------------------

    def _build_widgets(self) -> None:
        self.picker = DatasetPicker(self)
        self.options = OptionForm(2, self)
        self.features = FeatureToggles(self)
        self.val_split = IntField(0, 90, 5, suffix=" %", parent=self)
        self.val_split.setToolTip(rich_tooltip(
            "Share of the samples held back to measure how well the network generalises "
            "(the orange validation curve). It is never trained on."))
        self.test_split = IntField(0, 90, 5, suffix=" %", parent=self)
        self.test_split.setToolTip(rich_tooltip(
            "Share held back for a final test, looked at only once at the end (sets with a "
            "fixed test set, like MNIST, keep theirs)."))
        self.scaling = ScalingFields(self)
        self.normalize, self.seed, self.new_seed = (self.scaling.normalize, self.scaling.seed,
                                                    self.scaling.new_seed)
        self.target = TargetChooser(self)
        self.import_button = QPushButton("Columns and import…", self)
        self.import_button.setToolTip(rich_tooltip(
            "Preview the table; choose each column's type and role, the target, the task and "
            "what to do with missing values."))
        self.locate_button = QPushButton("Locate file…", self)
        self.locate_button.setToolTip(rich_tooltip(
            "The project's data file is not where it was saved: point to it."))
        self.import_dialog: ImportDialog | None = None
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.summary.setStyleSheet("font-size: 8pt;")
        self.error = QLabel(self)
        self.error.setWordWrap(True)
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.setStyleSheet(f"color: {PROBLEM}; font-size: 8pt;")
        self.error.hide()

    def _build_layout(self) -> None:
        form = compact_form()
        self.features_label = form_label("Features", self.features.buttons["x1^2"].toolTip())
        form.addRow(self.features_label, self.features)
        self.target_label = form_label("Target", self.target.toolTip())
        form.addRow(self.target_label, self.target)
        form.addRow(form_label("Validation", self.val_split.toolTip()),
                    self._pair(self.val_split, "test", self.test_split))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.setSpacing(4)
        layout.addWidget(panel_title("Data", self))
        layout.addWidget(self.picker)
        layout.addWidget(self.options)
        layout.addLayout(form)
        layout.addWidget(self.scaling)
        buttons = QHBoxLayout()
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.locate_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        layout.addWidget(self.summary)
        layout.addWidget(self.error)
        layout.addStretch(1)

    def _pair(self, first: QWidget, text: str, second: QWidget) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(4)
        row.addWidget(first, 3)
        label = QLabel(text, self)
        label.setToolTip(second.toolTip())
        row.addWidget(label)
        row.addWidget(second, 2)
        second.setMaximumWidth(SMALL_FIELD_WIDTH)
        return row

    def _connect(self) -> None:
        doc, source = self.document, self.data_source
        doc.data_changed.connect(self._on_document_data_changed)
        doc.project_replaced.connect(self._on_document_project_replaced)
        source.splits_changed.connect(self._on_data_source_splits_changed)
        source.loading_changed.connect(self._on_data_source_loading_changed)
        source.failed.connect(self._on_data_source_failed)
        self.probe.splits_changed.connect(self._on_probe_splits_changed)
        self.probe.failed.connect(self._on_probe_failed)
        self.picker.dataset_chosen.connect(self._on_picker_dataset_chosen)
        self.picker.open_requested.connect(self.open_file)
        self.options.option_edited.connect(self._on_options_option_edited)
        self.features.features_edited.connect(self._on_features_edited)
        self.val_split.valueChanged.connect(lambda v: self._edit(
            f"Hold back {v} % for validation", "data.val_split", val_split=v / 100))
        self.test_split.valueChanged.connect(lambda v: self._edit(
            f"Hold back {v} % for testing", "data.test_split", test_split=v / 100))
        self.scaling.edited.connect(lambda field, value, text, key: self._edit(
            text, key or None, **{field: value}))
        self.target.activated.connect(self._on_target_activated)
        self.import_button.clicked.connect(lambda: self.open_import_dialog())
        self.locate_button.clicked.connect(self.locate_file)

    # -- editing -----------------------------------------------------------------------

    def _edit(self, text: str, merge_key: str | None, **changes: Any) -> None:
        """Replace fields of the data spec as one (mergeable) undo step."""
        if self._syncing:
            return
        self.document.set_data(dataclasses.replace(self.document.data, **changes), text,
                               merge_key)

    def _on_picker_dataset_chosen(self, name: str) -> None:
        old = self.document.data
        if name == old.source or self._syncing:
            return
        # derived features suit the 2-D sets; keep them only when moving between those
        keep = builtin_input_count(old.source) == builtin_input_count(name) == 2
        spec = DataSpec(name, {}, features=old.features if keep else (),
                        val_split=old.val_split, test_split=old.test_split, seed=old.seed)
        self._clear_error()
        self.document.set_data(spec, f"Use the {BUILTIN[name].title} data set")

    def _on_options_option_edited(self, name: str, value: Any) -> None:
        options = {**self.document.data.options, name: value}
        label = OPTION_LABELS.get(name, name)
        shown = value if isinstance(value, bool) else format_number(value)
        self._edit(f"Set {label} to {shown}", f"data.options.{name}", options=options)

    def _on_features_edited(self, features: tuple) -> None:
        old = set(self.document.data.features)
        added, removed = set(features) - old, old - set(features)
        text = (f"Add input feature {', '.join(sorted(added))}" if added else
                f"Remove input feature {', '.join(sorted(removed))}")
        self._edit(text, None, features=tuple(features))

    def _on_target_activated(self, _index: int) -> None:
        data = self.document.data
        target = self.target.currentData()
        if data.source != "file" or target == (data.target or self.target.default):
            return
        self._try_file(dataclasses.replace(data, target=target),
                       f"Predict {target}")

    # -- your own files ------------------------------------------------------------------

    def ask_file_path(self) -> str | None:
        """Ask the user for a data file (tests replace this method)."""
        path, _filter = QFileDialog.getOpenFileName(
            self, "Open your own data", self.start_folder(), FILE_FILTER,
            options=QFileDialog.Option.DontUseNativeDialog)
        return path or None

    def start_folder(self) -> str:
        """Where the file dialog opens: the current data file's folder (the next file is
        usually beside it), else the working folder."""
        data = self.document.data
        if data.source == "file" and data.path and Path(data.path).parent.is_dir():
            return str(Path(data.path).parent)
        return ""

    def open_file(self, path: str | None = None) -> None:
        """Try ``path`` with the detected defaults (or ask for one and, for a table, show
        the import dialog); it becomes the data only if it loads."""
        self.picker.set_current(self.document.data.source, self.document.data.path)
        asked = path is None
        path = path or self.ask_file_path()
        if not path:
            return
        if asked and _is_table(path):
            self.open_import_dialog(path)
            return
        self._try_file(self._fresh_spec(path), f"Open {Path(path).name}")

    def _fresh_spec(self, path: str) -> DataSpec:
        old = self.document.data
        return DataSpec("file", {}, path=str(path), val_split=old.val_split,
                        test_split=old.test_split, seed=old.seed)

    def open_import_dialog(self, path: str | None = None) -> ImportDialog | None:
        """The import dialog for ``path`` (default: the current file), shown non-modally;
        accepting it tries the recipe like any file."""
        current = self.document.data
        path = str(path or current.path or "")
        if not path:
            return None
        base = current if current.source == "file" and current.path == path else \
            self._fresh_spec(path)
        if self.import_dialog is not None:
            self.import_dialog.close()
        from app.widgets.import_dialog import ImportDialog  # pandas: only when importing

        dialog = ImportDialog(path, base, self)
        dialog.accepted.connect(lambda: self._try_file(dialog.spec(),
                                                       f"Import {Path(path).name}"))
        self.import_dialog = dialog
        dialog.open()
        return dialog

    def locate_file(self) -> None:
        """Point a project whose data file moved to the file's new place."""
        path = self.ask_file_path()
        if not path:
            return
        try:
            fingerprint = file_fingerprint(path)
        except NNCoreError as err:
            self._show_error(str(err))
            return
        spec = dataclasses.replace(self.document.data, path=str(path),
                                   fingerprint=fingerprint)
        self._try_file(spec, f"Locate {Path(path).name}")

    def _try_file(self, spec: DataSpec, text: str) -> None:
        self._clear_error()
        if self._pending is None:
            # the last trial's result has arrived but its pool thread may still be winding
            # down; DataSource.load would then take a retry of the same spec for a duplicate
            self.probe.wait(1000)
        self._pending = (spec, text)
        self.summary.setText(f"<i>opening {Path(spec.path or '').name}…</i>")
        if self.probe.spec == spec and self.probe.splits is not None:
            self._on_probe_splits_changed(self.probe.splits)
            return
        self.probe.load(spec)

    def _on_probe_splits_changed(self, _splits: Splits) -> None:
        if self._pending is None or self.probe.spec != self._pending[0]:
            return
        spec, text = self._pending
        self._pending = None
        self.document.set_data(spec, text)

    def _on_probe_failed(self, message: str) -> None:
        if self._pending is None:
            return
        spec, _text = self._pending
        self._pending = None
        self._sync()
        current = self.document.data
        name = Path(spec.path or "").name
        message = message.removeprefix(f"{spec.path}: ")  # we name the file ourselves
        if current.source == "file" and current.path == spec.path:
            self._show_error(f"Could not predict {spec.target!r} in {name}: {message}")
            return
        still = BUILTIN[current.source].title if current.source in BUILTIN else \
            Path(current.path or "").name
        self._show_error(f"Could not use {name}: {message}\nThe data set is still {still}.")

    # -- following the document and the data source ------------------------------------

    def _request_load(self) -> None:
        self.data_source.load(self.document.data)

    def _on_document_data_changed(self, _spec: DataSpec) -> None:
        self._clear_error()
        self._sync()
        self._request_load()

    def _on_document_project_replaced(self) -> None:
        self._pending = None
        self._clear_error()
        self._sync()
        self._request_load()

    def _on_data_source_splits_changed(self, _splits: Splits) -> None:
        self._clear_error()
        self._sync_loaded()

    def _on_data_source_loading_changed(self, loading: bool) -> None:
        self._loading = loading
        self._sync_loaded()

    def _on_data_source_failed(self, message: str) -> None:
        self.summary.setText("")
        self._show_error(f"Could not load the data: {message}")

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    def _clear_error(self) -> None:
        self.error.clear()
        self.error.hide()

    def _sync(self) -> None:
        """Show ``document.data`` in every control, emitting no edits."""
        spec = self.document.data
        self._syncing = True
        try:
            self.picker.set_current(spec.source, spec.path)
            info = BUILTIN.get(spec.source)
            self.options.set_schema(info.options if info else ())
            self.options.set_values(spec.options)
            self.features.set_features(tuple(spec.features))
            self.val_split.setValue(round(spec.val_split * 100))
            self.test_split.setValue(round(spec.test_split * 100))
            self.scaling.set_values(spec.normalize, spec.seed)
            self._sync_target(spec)
        finally:
            self._syncing = False
        self._sync_loaded()

    def _sync_target(self, spec: DataSpec) -> None:
        shown = self.target.set_file(spec.path if spec.source == "file" else None, spec.target)
        self.target.setVisible(shown)
        self.target_label.setVisible(shown)
        self.import_button.setVisible(spec.source == "file" and _is_table(spec.path))
        self.locate_button.setVisible(spec.source == "file" and bool(spec.path)
                                      and not Path(spec.path).exists())

    def loaded_splits(self) -> Splits | None:
        """The data source's splits if they belong to the document's current spec."""
        splits = self.data_source.splits
        # while loading, ``spec`` is the new request but ``splits`` still the old data
        if splits is None or self._loading or self.data_source.spec != self.document.data:
            return None
        return splits

    def _sync_loaded(self) -> None:
        """Summary, features and 'auto' scaling from what the data source loaded."""
        splits = self.loaded_splits()
        if self._loading:
            self.summary.setText("<i>loading…</i>")
        else:
            self.summary.setText("" if splits is None else summary_text(
                splits, with_rows=self.document.data.source == "file"))
        spec = self.document.data
        info = splits.info if splits is not None else None
        n_raw = info.n_features if info is not None else builtin_input_count(spec.source)
        self.features.set_raw_inputs(n_raw or 0)
        self.features.setVisible(0 < (n_raw or 0) <= 2 or bool(spec.features))
        self.features_label.setVisible(self.features.isVisibleTo(self))
        self.scaling.set_auto(info.recommended_normalize if info is not None else None)
        if info is not None and spec.source == "file":
            self.picker.set_task_text(TASK_TEXT.get(info.task, info.task))


@functools.cache
def builtin_input_count(name: str) -> int | None:
    """Raw inputs of built-in set ``name`` (generated once), None for real data and files."""
    info = BUILTIN.get(name)
    if info is None or info.group == "real":
        return None
    return int(load_builtin(name).x.shape[1])


def _is_table(path: str | None) -> bool:
    """Whether ``path`` is a readable CSV/XLSX table (what the import dialog handles)."""
    try:
        return bool(path) and file_format(path) in TABLE_FORMATS
    except NNCoreError:
        return False


def summary_text(splits: Splits, with_rows: bool = False) -> str:
    """'800 train · 200 val · 0 test' and '2 features · 2 classes' for the panel.

    ``with_rows`` starts with the total ('150 rows: ...'), for files.
    """
    info = splits.info
    n_test = 0 if splits.x_test is None else len(splits.x_test)
    counts = f"{len(splits.x_train):,} train · {len(splits.x_val):,} val · {n_test:,} test"
    if with_rows:
        counts = f"{len(splits.x_train) + len(splits.x_val) + n_test:,} rows: " + counts
    inputs = f"{info.n_features} feature{'s' if info.n_features != 1 else ''}"
    if splits.n_inputs != info.n_features:
        inputs += f" → {splits.n_inputs} inputs"
    if info.task == "regression":
        task = "regression" + (f", {info.n_targets} targets" if info.n_targets > 1 else "")
    else:
        names = ", ".join(info.class_names[:4]) + ("…" if len(info.class_names) > 4 else "")
        task = f"{info.n_classes} classes" + (f" ({names})" if names and
                                                info.n_classes <= 4 else "")
    notes = "".join(f"<br>{html.escape(note)}" for note in info.notes[:3])
    return f"{counts}<br>{inputs} · {task}{notes}"
