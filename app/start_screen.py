"""The first thing a student sees: the lessons, recent projects, and one obvious button.

Shown at start (unless switched off), it puts the two-spirals lesson one click away,
lists every lesson with its one-line summary, and the recent projects. Choosing anything
closes it; the window behind is already open on the two-spirals lesson.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

SHOW_AT_START = "start_screen/show"


class StartScreen(QDialog):
    """Pick a lesson, a recent project, or start empty."""

    lesson_chosen = Signal(str)
    project_chosen = Signal(str)
    new_chosen = Signal()
    open_chosen = Signal()

    def __init__(self, lessons: list, recent: list[str], show_at_start: bool,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Welcome to Backprop Lab")
        self.setMinimumSize(720, 460)
        self._build(lessons, recent, show_at_start)

    def _build(self, lessons: list, recent: list[str], show_at_start: bool) -> None:
        title = QLabel("<h2>Backprop Lab</h2>Design a neural network, train it, and see why "
                       "it learns — or why it does not.")
        title.setWordWrap(True)
        start = QPushButton("▶  Start with the two spirals")
        start.setDefault(True)
        start.setMinimumHeight(44)
        start.setStyleSheet("font-size: 15px; font-weight: bold;")
        start.setToolTip("Open the two-spirals lesson, ready to press Train")
        start.clicked.connect(lambda: self._choose_lesson("two-spirals"))
        self.start_button = start

        self.lesson_list = QListWidget()
        self.lesson_list.setWordWrap(True)
        self.lesson_list.setSpacing(2)
        for info in lessons:
            item = QListWidgetItem(f"{info.title}\n{info.summary}")
            item.setData(Qt.ItemDataRole.UserRole, info.id)
            item.setToolTip(info.summary)
            self.lesson_list.addItem(item)
        self.lesson_list.itemActivated.connect(
            lambda item: self._choose_lesson(item.data(Qt.ItemDataRole.UserRole)))
        self.lesson_list.itemClicked.connect(
            lambda item: self._choose_lesson(item.data(Qt.ItemDataRole.UserRole)))

        self.recent_list = QListWidget()
        for path in recent:
            item = QListWidgetItem(Path(path).name)
            item.setData(Qt.ItemDataRole.UserRole, path)
            item.setToolTip(path)
            self.recent_list.addItem(item)
        if not recent:
            placeholder = QListWidgetItem("No recent projects yet")
            placeholder.setFlags(Qt.ItemFlag.NoItemFlags)
            self.recent_list.addItem(placeholder)
        self.recent_list.itemClicked.connect(self._choose_recent)

        new_button = QPushButton("New empty project")
        new_button.clicked.connect(lambda: (self.new_chosen.emit(), self.accept()))
        open_button = QPushButton("Open a file…")
        open_button.clicked.connect(lambda: (self.open_chosen.emit(), self.accept()))
        self.show_check = QCheckBox("Show this screen at start")
        self.show_check.setChecked(show_at_start)

        columns = QHBoxLayout()
        lessons_box = QVBoxLayout()
        lessons_box.addWidget(QLabel("<b>Lessons</b>"))
        lessons_box.addWidget(self.lesson_list, 1)
        recent_box = QVBoxLayout()
        recent_box.addWidget(QLabel("<b>Recent projects</b>"))
        recent_box.addWidget(self.recent_list, 1)
        recent_box.addWidget(new_button)
        recent_box.addWidget(open_button)
        columns.addLayout(lessons_box, 3)
        columns.addLayout(recent_box, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(start)
        layout.addLayout(columns, 1)
        layout.addWidget(self.show_check)

    def _choose_lesson(self, lesson_id: str) -> None:
        self.lesson_chosen.emit(lesson_id)
        self.accept()

    def _choose_recent(self, item: QListWidgetItem) -> None:
        path = item.data(Qt.ItemDataRole.UserRole)
        if path:
            self.project_chosen.emit(path)
            self.accept()


def show_start_screen(window, *, force: bool = False) -> StartScreen | None:
    """Open the start screen over ``window`` (unless switched off, or ``force``).

    Choices go to the window's ``open_lesson`` and file actions; the "show at start" box
    is remembered in the window's settings. Returns the screen, or None if not shown.
    """
    from nncore.lessons import list_lessons

    show = window.settings.value(SHOW_AT_START, True, type=bool)
    if not (show or force):
        return None
    screen = StartScreen(list_lessons(), window.files.recent_files(), show, window)
    screen.lesson_chosen.connect(window.open_lesson)
    screen.project_chosen.connect(window.files.open)
    screen.new_chosen.connect(window.files.new)
    screen.open_chosen.connect(lambda: window.files.open())
    screen.finished.connect(
        lambda _result: window.settings.setValue(SHOW_AT_START, screen.show_check.isChecked()))
    screen.open()
    return screen
