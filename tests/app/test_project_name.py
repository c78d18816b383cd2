"""The project's name follows the data (or lesson) actually loaded: a lesson on the two
spirals switched to the parabola is no longer "Two spirals" in the save prompt."""

from __future__ import annotations

import dataclasses

import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox

from app.document import ProjectDocument
from app.file_actions import FileActions
from app.lessons import open_lesson
from nncore.data.registry import BUILTIN
from nncore.spec import DataSpec

pytestmark = pytest.mark.gui


@pytest.fixture
def document(qapp):
    doc = ProjectDocument()
    yield doc
    doc.undo_stack.clear()


def test_switching_a_lesson_to_other_data_renames_the_project(document):
    assert open_lesson(document, "two-spirals")
    assert document.display_name == "Two spirals"
    document.set_data(DataSpec("square"), "Parabola")
    parabola = BUILTIN["square"].title
    assert document.project.title == document.display_name == parabola
    document.set_data(dataclasses.replace(document.data, options={"n": 50}), "fewer points")
    assert document.display_name == parabola  # options do not change what the data is
    document.undo_stack.undo()
    document.undo_stack.undo()
    assert document.display_name == "Two spirals"  # undo brings the lesson's name back
    document.undo_stack.redo()
    assert document.display_name == parabola


def test_a_lesson_variant_on_other_data_keeps_the_lesson_name(document):
    assert open_lesson(document, "fit-x-squared")
    title = document.display_name
    assert open_lesson(document, "fit-x-squared", "relu-output-sine")
    assert document.data.source == "sine"
    assert document.display_name == title
    document.set_data(DataSpec("spirals"), "spirals")
    assert document.display_name == BUILTIN["spirals"].title


def test_a_file_data_set_names_the_project_after_the_file(document, tmp_path):
    document.set_data(DataSpec("file", path=str(tmp_path / "heights.csv")), "file")
    assert document.display_name == "heights"


def test_the_save_prompt_and_suggested_file_name_use_the_data_name(document, qtbot,
                                                                    monkeypatch, settings):
    from PySide6.QtWidgets import QWidget

    assert open_lesson(document, "two-spirals")
    document.set_data(DataSpec("square"), "Parabola")
    window = QWidget()
    qtbot.addWidget(window)
    files = FileActions(window, document, None, settings)
    asked = {}

    def save_dialog(_parent, _caption, start, _filter):
        asked["start"] = start
        return "", ""

    def question(_parent, _title, text, *_args):
        asked["question"] = text
        return QMessageBox.StandardButton.Cancel

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_dialog)
    monkeypatch.setattr(QMessageBox, "question", question)
    files._ask_save_path()
    files._ask_unsaved()
    assert asked["start"].endswith(BUILTIN["square"].title)
    assert BUILTIN["square"].title in asked["question"]
    assert "Two spirals" not in asked["start"] + asked["question"]
