"""Python's cycle collector, run on the GUI thread only.

CPython runs its cycle collector in whichever thread happens to allocate when a threshold
is crossed. In this process several Python threads allocate (the training worker in
thread mode, the visualiser, data loading, sweeps), so a collection can start on one of
them and free Qt objects left in reference cycles by a closed window or menu. PySide6
then destroys those QObjects off the GUI thread, or defers them to the GUI thread while
the other thread holds a Qt lock: a seen deadlock (the GUI thread in ``~QObject`` waiting
for a connection mutex held by the engine thread, which waits for the GIL), or a crash.
The remedy pyqtgraph also uses: switch automatic collection off and collect on a GUI
timer, by the same thresholds. Reference counting still frees everything else at once.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer


class GuiThreadCollector(QObject):
    """Collect cycles on a timer of the thread that creates it (the GUI thread)."""

    def __init__(self, interval_ms: int = 500, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.threshold = gc.get_threshold()
        self.was_enabled = gc.isenabled()
        gc.disable()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.check)
        self.timer.start(interval_ms)

    def check(self) -> None:
        """Collect the generations whose allocation counts passed their thresholds."""
        counts = gc.get_count()
        for generation in (2, 1, 0):
            if all(counts[g] > self.threshold[g] for g in range(generation + 1)):
                gc.collect(generation)
                return

    def stop(self) -> None:
        """Collect once more here and give collection back to CPython (tests)."""
        self.timer.stop()
        gc.collect()
        if self.was_enabled:
            gc.enable()
