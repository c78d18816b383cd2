"""A slim bar above the work area for things the user must decide or know now."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from app.theme import INFO, PROBLEM, WARNING

_COLORS = {"info": INFO, "warning": WARNING, "problem": PROBLEM}


class MessageBar(QFrame):
    """Text plus up to a few buttons; hidden until ``show_message``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("MessageBar")
        self._label = QLabel()
        self._label.setWordWrap(True)
        self._label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(10, 4, 6, 4)
        self._layout.addWidget(self._label, 1)
        self._buttons: list[QPushButton] = []
        self.kind = ""
        self.hide()

    @property
    def text(self) -> str:
        return self._label.text()

    def show_message(self, text: str, kind: str = "info",
                     actions: tuple[tuple[str, Callable[[], None]], ...] = ()) -> None:
        """Show ``text`` with buttons ``(label, callback)``; a button also closes the bar."""
        for button in self._buttons:
            self._layout.removeWidget(button)
            button.deleteLater()
        self._buttons = []
        self.kind = kind
        color = _COLORS.get(kind, INFO)
        self.setStyleSheet(f"#MessageBar {{ border-left: 4px solid {color}; "
                           f"background: palette(alternate-base); }}")
        self._label.setText(text)
        for label, callback in (*actions, ("Dismiss", lambda: None)):
            button = QPushButton(label)
            button.clicked.connect(lambda _=False, cb=callback: (self.hide(), cb()))
            self._layout.addWidget(button)
            self._buttons.append(button)
        self.show()

    def button(self, label: str) -> QPushButton | None:
        """The button with this label, if shown (tests)."""
        return next((b for b in self._buttons if b.text() == label), None)
