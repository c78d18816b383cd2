"""Redraw at most so often: coalesce bursts of refresh requests into one paint.

Updates arrive at up to 30 per second, but a histogram that moves slowly needs no more
than a few redraws per second, and every redraw of a pyqtgraph plot costs the GUI thread
milliseconds. ``Throttle`` runs its callback at once for the first request (so a single
update shows immediately), then at most once per interval, always once more after the
last request (so the final state is drawn).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer


class Throttle(QObject):
    """Calls ``callback`` at most once every ``interval_ms`` for a stream of requests."""

    def __init__(self, callback: Callable[[], None], interval_ms: int,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._callback = callback
        self._pending = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._on_timer_timeout)

    def request(self) -> None:
        """Run the callback now, or once the interval since the last run is over."""
        if self._timer.isActive():
            self._pending = True
            return
        self._callback()
        self._timer.start()

    def flush(self) -> None:
        """Run a pending callback now."""
        if self._pending:
            self._pending = False
            self._callback()

    def _on_timer_timeout(self) -> None:
        if self._pending:
            self._pending = False
            self._callback()
            self._timer.start()


class LazyRefresh:
    """Mixin for plot widgets: draw only while visible, at most once per interval.

    The widget implements ``refresh(force=False)`` (draw what changed, if visible or
    forced) and calls ``_init_refresh()`` in its constructor; data arriving calls
    ``request_refresh()``; showing the widget draws what arrived while it was hidden.
    """

    refresh_interval_ms = 100

    def _init_refresh(self) -> None:
        self._throttle = Throttle(self.refresh, self.refresh_interval_ms, self)

    def request_refresh(self) -> None:
        """Redraw soon (now, if the last redraw was long enough ago)."""
        self._throttle.request()

    def refresh(self, force: bool = False) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.refresh()
