"""Lessons in the app: the Lessons menu, opening a lesson, and the lesson panel.

The lessons themselves (projects plus text, in ``resources/lessons``) are read by
``nncore.lessons``; this module only shows them. Opening a lesson replaces the project;
a variant button changes the specs through the document, so Undo goes back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from html import escape

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QAction, QMouseEvent, QResizeEvent
from PySide6.QtWidgets import (
    QBoxLayout,
    QCheckBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.theme import OK, PROBLEM, WARNING
from nncore.data.registry import data_title
from nncore.errors import NNCoreError
from nncore.lessons import Lesson, Variant, lesson_of, list_lessons, load_lesson
from nncore.spec import DataSpec

log = logging.getLogger(__name__)

KIND_HEADINGS = {"failing": "Show me what goes wrong", "working": "Working versions",
                 "race": "Contestants (race them in the Compare tab)",
                 "alternative": "Also try"}
KIND_MARKS = {"failing": ("✗", PROBLEM), "working": ("✓", OK), "race": ("⚑", WARNING),
              "alternative": ("→", "gray")}
TWO_COLUMNS_WIDTH = 900
"""From this width on (a wide bottom tab) the text sits in two columns."""


def populate_lessons_menu(menu: QMenu, open_callback: Callable[[str], None]) -> list[QAction]:
    """Fill ``menu`` with one action per shipped lesson; ``open_callback(lesson_id)``."""
    menu.clear()
    actions = []
    for info in list_lessons():
        action = menu.addAction(f"{info.order}. {info.title}")
        action.setToolTip(info.summary)
        action.setStatusTip(info.summary)
        action.setData(info.id)
        action.triggered.connect(lambda _=False, lesson_id=info.id: open_callback(lesson_id))
        actions.append(action)
    menu.setToolTipsVisible(True)
    if not actions:
        menu.addAction("No lessons found").setEnabled(False)
    return actions


def open_lesson(document, lesson_id: str, variant: str | None = None, *,
                strict: bool = False) -> bool:
    """Replace the document's project with a lesson (titled as the lesson).

    Returns False (and logs why) if the lesson cannot be opened, unless ``strict``, in which
    case the ``LessonError`` propagates. The document is unchanged on failure.
    """
    try:
        project = load_lesson(lesson_id, variant)
    except NNCoreError as err:
        if strict:
            raise
        log.warning("cannot open lesson %r: %s", lesson_id, err)
        return False
    document.replace_project(project)
    return True


def apply_variant(document, variant: Variant) -> None:
    """Change the document's specs to ``variant`` as one undo step named after it."""
    project = variant.apply(document.project)
    text = f"Lesson: {variant.title}"
    stack = document.undo_stack
    stack.beginMacro(text)
    try:
        document.set_network(project.network, text)
        document.set_training(project.training, text)
        document.set_data(project.data, text)
    finally:
        stack.endMacro()


class LessonPanel(QWidget):
    """The open lesson's text (goal, steps to tick off, what to watch, why) and its
    variants as buttons; "No lesson open" when the project is not a lesson."""

    def __init__(self, document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.lesson: Lesson | None = None
        self.variant_buttons: dict[str, QPushButton] = {}
        self.step_boxes: list[QCheckBox] = []
        self.section_factories: list[Callable[[], QWidget | None]] = []
        """Extra sections under the title (an assignment's goals: ``app.teach``)."""
        self.lesson_data: tuple[DataSpec, set[tuple[str, str | None]]] | None = None
        """The data the lesson opened with, and every source it or a variant uses."""
        self._build()
        document.project_replaced.connect(self._on_document_project_replaced)
        document.data_changed.connect(self._show_data_note)
        self._on_document_project_replaced()

    def _build(self) -> None:
        self.empty = QLabel("<b>No lesson open.</b><br>Choose one from the Lessons menu: each "
                            "shows a classic way networks fail to learn, and the fix.")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.body = QWidget()
        self.body_layout = QBoxLayout(QBoxLayout.Direction.TopToBottom, self.body)
        self.body_layout.setContentsMargins(4, 4, 4, 4)
        self.body_layout.setSpacing(16)
        self.columns = (QVBoxLayout(), QVBoxLayout())
        for column, stretch in zip(self.columns, (3, 2)):  # the steps get the wider column
            column.setSpacing(6)
            self.body_layout.addLayout(column, stretch)
        scroll = QScrollArea()
        scroll.setWidget(self.body)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll = scroll
        self.data_note = _label("")
        self.data_note.setStyleSheet(f"color: {WARNING}")
        self.data_note.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(self.empty)
        layout.addWidget(self.data_note)
        layout.addWidget(scroll, 1)

    # -- showing a lesson -------------------------------------------------------------------

    def show_lesson(self, lesson: Lesson | None) -> None:
        """Display ``lesson`` (or the 'no lesson' note)."""
        self.lesson = lesson
        self.empty.setVisible(lesson is None)
        self.scroll.setVisible(lesson is not None)
        self._clear_body()
        if lesson is None:
            return
        left, right = self.columns
        left.addWidget(_label(f"<h3 style='margin:0'>{escape(lesson.title)}</h3>"
                              f"<i>{escape(lesson.summary)}</i>"))
        if lesson.steps:  # first, so a short tab at 1366 x 768 still shows most of them
            left.addWidget(self._steps(lesson.steps))
        for make_section in self.section_factories:  # an assignment's goals, ticking live
            section = make_section()
            if section is not None:
                right.addWidget(section)
        if lesson.goal:
            right.addWidget(_section("Goal", escape(lesson.goal)))
        if lesson.variants:
            right.addWidget(self._variants(lesson.variants))
        if lesson.watch:
            right.addWidget(_section("What to watch", escape(lesson.watch)))
        if lesson.why:
            right.addWidget(_section("Why it happens", lesson.why))  # trusted lesson HTML
        for column in self.columns:
            column.addStretch(1)
        self._arrange()

    def _clear_body(self) -> None:
        for column in self.columns:
            while column.count():
                item = column.takeAt(0)
                if item.widget() is not None:
                    item.widget().deleteLater()
        self.variant_buttons.clear()
        self.step_boxes.clear()

    def _arrange(self) -> None:
        wide = self.width() >= TWO_COLUMNS_WIDTH
        self.body_layout.setDirection(QBoxLayout.Direction.LeftToRight if wide else
                                      QBoxLayout.Direction.TopToBottom)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._arrange()

    def _steps(self, steps: tuple[str, ...]) -> QWidget:
        box = QWidget()
        grid = QGridLayout(box)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setVerticalSpacing(4)
        grid.addWidget(_label("<b>What to try</b>"), 0, 0, 1, 2)
        for i, text in enumerate(steps, start=1):
            check = QCheckBox()
            check.setToolTip("Tick a step off when you have done it")
            label = StepLabel(f"{i}. {text}")  # steps may use simple HTML (<sup>)
            label.clicked.connect(check.toggle)
            check.toggled.connect(lambda on, lbl=label: lbl.setEnabled(not on))
            grid.addWidget(check, i, 0, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(label, i, 1)
            self.step_boxes.append(check)
        grid.setColumnStretch(1, 1)
        return box

    def _variants(self, variants: tuple[Variant, ...]) -> QWidget:
        box = QFrame()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        for kind, heading in KIND_HEADINGS.items():
            group = [v for v in variants if v.kind == kind]
            if not group:
                continue
            layout.addWidget(_label(f"<b>{escape(heading)}</b>"))
            for variant in group:
                layout.addWidget(self._variant_button(variant))
        self.variant_error = _label("")
        self.variant_error.setStyleSheet(f"color: {PROBLEM}")
        self.variant_error.hide()
        layout.addWidget(self.variant_error)
        return box

    def _variant_button(self, variant: Variant) -> QWidget:
        mark, color = KIND_MARKS[variant.kind]
        button = QPushButton(f"{mark}  {variant.title}")
        button.setStyleSheet(f"QPushButton {{ text-align: left; padding: 3px 10px; "
                             f"color: {color}; font-weight: bold; }}")
        tip = escape(variant.description) if variant.description else escape(variant.title)
        button.setToolTip(f"<qt>{tip}<br><i>Changes the design (Ctrl+Z goes back); reset and "
                          "train to see the effect.</i></qt>")
        button.clicked.connect(lambda _=False, v=variant: self._on_variant_clicked(v))
        self.variant_buttons[variant.name] = button
        row = QWidget()
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(button)
        line.addStretch(1)
        return row

    # -- reactions ------------------------------------------------------------------------

    @Slot()
    def _on_document_project_replaced(self) -> None:
        lesson = lesson_of(self.document.project)
        self.lesson_data = None
        if lesson is not None:
            sources = {_source_of(self.document.data)}
            sources.update((str(v.data["source"]), v.data.get("path")) for v in lesson.variants
                           if v.data and "source" in v.data)
            self.lesson_data = (self.document.data, sources)
        self.show_lesson(lesson)
        self._show_data_note(self.document.data)

    @Slot(object)
    def _show_data_note(self, data: DataSpec) -> None:
        """Say so when the data is no longer what the lesson (or a variant) is about: its
        steps and goals were written for that data."""
        if self.lesson_data is None or _source_of(data) in self.lesson_data[1]:
            self.data_note.hide()
            return
        self.data_note.setText(
            f"You are now training on <b>{escape(data_title(data))}</b>; this lesson was "
            f"written for <b>{escape(data_title(self.lesson_data[0]))}</b>, so its steps and "
            "goals may not apply. Undo (Ctrl+Z) or open the lesson again from the Lessons "
            "menu to go back.")
        self.data_note.show()

    def _on_variant_clicked(self, variant: Variant) -> None:
        try:
            apply_variant(self.document, variant)
        except NNCoreError as err:
            log.info("cannot apply variant %r: %s", variant.name, err)
            self.variant_error.setText(f"'{variant.title}' does not fit the design as you have "
                                       f"changed it ({err}). Reopen the lesson to start over.")
            self.variant_error.show()
            return
        self.variant_error.hide()


def _source_of(data: DataSpec) -> tuple[str, str | None]:
    """What makes two data specs the same data set: the source, and the file if any."""
    return data.source, data.path if data.source == "file" else None


class StepLabel(QLabel):
    """A wrapped step text; clicking it ticks its check box."""

    clicked = Signal()

    def __init__(self, html: str) -> None:
        super().__init__(html)
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit()
        super().mousePressEvent(event)


def _label(html: str) -> QLabel:
    label = QLabel(html)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _section(title: str, html: str) -> QLabel:
    return _label(f"<b>{escape(title)}</b><br>{html}")
