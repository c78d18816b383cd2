"""The table import dialog (issue 13): preview, header menus, recipe, background reading.

Expected numbers are counted from the file with the ``csv`` module, not read back from
the dialog's own engine call.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from app.data_source import DataSource
from app.document import ProjectDocument
from app.panels.data_panel import DataPanel
from app.widgets.import_dialog import ImportDialog, TableLoader
from nncore.data import load_dataset, table
from nncore.spec import DataSpec

PENGUINS = Path(__file__).resolve().parents[1] / "data" / "tables" / "penguins.csv"
TIMEOUT = 20000


def _penguin_rows() -> tuple[list[str], list[list[str]]]:
    with open(PENGUINS, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


@pytest.fixture
def dialog(qtbot):
    made: list[ImportDialog] = []

    def make(path: Path = PENGUINS, base: DataSpec | None = None) -> ImportDialog:
        box = ImportDialog(str(path), base)
        qtbot.addWidget(box)
        made.append(box)
        qtbot.waitUntil(lambda: box.table is not None or bool(box.error.text()),
                        timeout=TIMEOUT)
        return box

    yield make
    for box in made:
        box.reject()  # stops a read still running


def test_preview_model_headers_and_line_numbers(dialog) -> None:
    box = dialog()
    header, rows = _penguin_rows()
    model = box.model
    assert model.rowCount() == len(rows) and model.columnCount() == len(header)
    cell = model.data(model.index(0, header.index("island")))
    assert cell == rows[0][header.index("island")]
    assert model.data(model.index(3, header.index("sex"))) == ""  # 'NA' on line 5
    assert model.headerData(3, Qt.Orientation.Vertical) == "5"
    text = model.headerData(header.index("sex"), Qt.Orientation.Horizontal)
    missing = sum(r[header.index("sex")] == "NA" for r in rows)
    assert text == f"sex\ncategorical · input · {missing} missing"
    assert [box.target.itemText(i) for i in range(box.target.count())] == header


def test_target_task_and_summary_follow_the_file(dialog) -> None:
    box = dialog()
    header, rows = _penguin_rows()
    box.target.setCurrentIndex(header.index("species"))
    box.target.activated.emit(header.index("species"))
    plan = box.plan
    levels = {c: len({r[header.index(c)] for r in rows} - {"NA"}) for c in ("island", "sex")}
    numeric = len(header) - 1 - len(levels)
    assert plan.n_inputs == numeric + sum(levels.values())
    assert f"→ {plan.n_inputs} inputs" in box.summary.text()
    complete = [r for r in rows if "NA" not in r]
    balance = Counter(r[0] for r in complete)
    assert dict(zip(plan.class_names, plan.class_counts, strict=True)) == balance
    assert f"{len(rows) - len(complete)} rows with missing values dropped" in box.summary.text()
    box.missing.setCurrentIndex(box.missing.findData("median"))
    box.missing.activated.emit(box.missing.currentIndex())
    assert box.plan.n_kept == len(rows)


def test_header_menu_changes_role_and_type(dialog) -> None:
    box = dialog()
    header, rows = _penguin_rows()
    box.set_role("species", "target")
    before = box.plan.n_inputs
    menu = box.header_menu(header.index("year"))
    next(a for a in menu.actions() if a.text() == "Role: ignore").trigger()
    assert box.plan.n_inputs == before - 1 and box.plan.roles["year"] == "ignore"
    menu = box.header_menu(header.index("year"))
    next(a for a in menu.actions() if a.text() == "Role: input").trigger()
    next(a for a in box.header_menu(header.index("year")).actions()
         if a.text() == "Type: categorical").trigger()
    years = len({r[header.index("year")] for r in rows})
    assert box.plan.n_inputs == before - 1 + years
    title = box.model.headerData(header.index("year"), Qt.Orientation.Horizontal)
    assert title == "year\ncategorical · input"
    spec = box.spec()
    assert spec.kinds == {"year": "categorical"} and spec.target == "species"
    assert spec.fingerprint
    assert load_dataset(spec).x.shape[1] == box.plan.n_inputs


def test_a_malformed_file_is_explained_and_cannot_be_accepted(dialog, tmp_path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("a,b,y\n1,2,0\n3,4,1,5\n", encoding="utf-8")
    box = dialog(path)
    assert "line 3 has 4 fields" in box.error.text()
    assert not box.buttons.buttons()[0].isEnabled()


def test_the_loader_reports_progress_and_can_be_cancelled(qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(table, "CHUNK_ROWS", 50)
    monkeypatch.setattr(table, "WHOLE_READ_BYTES", 0)
    path = tmp_path / "big.csv"
    path.write_text("a,b,y\n" + "".join(f"{i},{i / 7:.4f},{i % 2}\n" for i in range(1000)),
                    encoding="utf-8")
    loader = TableLoader(str(path), None, None)
    seen: list[int] = []
    loader.progressed.connect(seen.append)
    with qtbot.waitSignal(loader.finished_reading, timeout=TIMEOUT) as done:
        loader.start()
    loader.wait()
    assert done.args[0] is not None and seen[-1] == 100 and seen == sorted(seen)
    cancelled = TableLoader(str(path), None, None)
    cancelled.cancel()
    with qtbot.waitSignal(cancelled.finished_reading, timeout=TIMEOUT) as done:
        cancelled.start()
    cancelled.wait()
    assert done.args[0] is None and done.args[2] == "cancelled"


def test_the_data_panel_imports_through_the_dialog_and_locates_a_moved_file(qtbot, tmp_path,
                                                                           monkeypatch):
    document, source = ProjectDocument(), DataSource()
    panel = DataPanel(document, source)
    qtbot.addWidget(panel)
    try:
        monkeypatch.setattr(panel, "ask_file_path", lambda: str(PENGUINS))
        panel.open_file()  # asked interactively: a table opens the dialog
        box = panel.import_dialog
        qtbot.waitUntil(lambda: box.plan is not None, timeout=TIMEOUT)
        box.set_role("species", "target")
        with qtbot.waitSignal(source.splits_changed, timeout=TIMEOUT):
            box.accept()
        assert document.data.target == "species" and document.data.fingerprint
        assert panel.start_folder() == str(PENGUINS.parent)  # the next file dialog opens here
        assert "dropped 11 of 344 rows" in panel.summary.text()
        moved = tmp_path / "penguins.csv"
        moved.write_bytes(PENGUINS.read_bytes())
        gone = DataSpec("file", path=str(tmp_path / "old" / "penguins.csv"),
                        target="species", fingerprint=document.data.fingerprint)
        with qtbot.waitSignal(source.failed, timeout=TIMEOUT):
            document.set_data(gone, "moved")
        assert panel.locate_button.isVisibleTo(panel)
        assert "moved, renamed or deleted" in panel.error.text()
        monkeypatch.setattr(panel, "ask_file_path", lambda: str(moved))
        with qtbot.waitSignal(source.splits_changed, timeout=TIMEOUT):
            panel.locate_file()
        assert document.data.path == str(moved) and not panel.locate_button.isVisibleTo(panel)
        assert panel.start_folder() == str(tmp_path)
    finally:
        panel.probe.wait()
        source.wait()
        document.undo_stack.clear()


def test_plots_show_the_files_column_names(qtbot, tmp_path) -> None:
    from app.plots.decision_boundary import DecisionMap
    from app.plots.fit_curve import FitCurvePlot
    from nncore.data import prepare

    two = tmp_path / "two.csv"
    two.write_text("height,weight,kind\n" + "".join(
        f"{i},{(i * 7) % 11},{'ab'[i % 2]}\n" for i in range(30)), encoding="utf-8")
    spec = DataSpec("file", path=str(two))
    splits = prepare(load_dataset(spec), spec)
    board = DecisionMap()
    qtbot.addWidget(board)
    board.set_splits(splits)
    assert board.plot.getAxis("bottom").labelText == "height"
    assert board.plot.getAxis("left").labelText == "weight"
    one = tmp_path / "one.csv"
    one.write_text("dose,response\n" + "".join(f"{i},{i * 0.5 + 0.25}\n" for i in range(30)),
                   encoding="utf-8")
    spec = DataSpec("file", path=str(one))
    curve = FitCurvePlot()
    qtbot.addWidget(curve)
    curve.set_splits(prepare(load_dataset(spec), spec))
    assert curve.plot.getAxis("bottom").labelText == "dose"
    assert curve.plot.getAxis("left").labelText == "response"


def test_choosing_the_delimiter_and_header_re_reads_the_file(dialog, qtbot, tmp_path) -> None:
    path = tmp_path / "plain.csv"
    path.write_text("1,2,a\n3,4,b\n5,6,a\n7,8,b\n", encoding="utf-8")
    box = dialog(path)
    assert [box.target.itemText(i) for i in range(3)] == ["column 1", "column 2", "column 3"]
    box.header_box.setCurrentIndex(box.header_box.findData(True))
    box.header_box.activated.emit(box.header_box.currentIndex())
    qtbot.waitUntil(lambda: box.target.count() == 3 and box.target.itemText(0) == "1",
                    timeout=TIMEOUT)
    assert box.plan.n_kept == 3 and box.spec().options == {"header": True}
    box.delimiter_box.setCurrentIndex(box.delimiter_box.findData(";"))
    box.delimiter_box.activated.emit(box.delimiter_box.currentIndex())
    qtbot.waitUntil(lambda: "single column" in box.error.text(), timeout=TIMEOUT)
    assert not box.buttons.buttons()[0].isEnabled()


def test_a_regression_target_can_be_standardised_from_the_dialog(dialog) -> None:
    """The engine's target standardising (issue 12/13) is offered for regression only;
    the prepared data then carry the training target's own mean and sd."""
    from nncore.data import prepare

    box = dialog()
    header, rows = _penguin_rows()
    box.target.setCurrentIndex(header.index("species"))
    box.target.activated.emit(header.index("species"))
    assert not box.standardize.isEnabled()  # classification: nothing to standardise
    box.standardize.setChecked(True)
    assert box.spec().standardize_target is False
    box.target.setCurrentIndex(header.index("body_mass_g"))
    box.target.activated.emit(header.index("body_mass_g"))
    assert box.plan.task == "regression" and box.standardize.isEnabled()
    spec = box.spec()
    assert spec.standardize_target is True
    splits = prepare(load_dataset(spec), spec)
    masses = [float(r[header.index("body_mass_g")]) for r in rows
              if r[header.index("body_mass_g")] != "NA"]
    assert min(masses) > 2000  # grams: a target in the thousands
    y = splits.y_train.astype(float).ravel()  # kept in grams; training subtracts and divides
    offset = np.ravel(splits.preprocessing.target_offset).astype(float)
    scale = np.ravel(splits.preprocessing.target_scale).astype(float)
    assert offset == pytest.approx([y.mean()], rel=1e-6)
    assert scale == pytest.approx([y.std()], rel=1e-3)
