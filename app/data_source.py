"""Loads and prepares the document's data set off the GUI thread.

MNIST's first load decodes 60,000 images; a CSV can be large. ``DataSource`` follows the
document's ``DataSpec`` and prepares its ``Splits`` on a worker thread, announcing the
result with ``splits_changed`` (or the reason with ``failed``). Requests that arrive while
one is loading supersede it: only the latest spec's result is ever published.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from nncore.data.dataset import Splits
from nncore.errors import NNCoreError
from nncore.spec import DataSpec


class _Signals(QObject):
    done = Signal(int, object, str)  # request number, Splits or None, error text


class _LoadTask(QRunnable):
    def __init__(self, number: int, spec: DataSpec, signals: _Signals) -> None:
        super().__init__()
        self.number, self.spec, self.signals = number, spec, signals

    def run(self) -> None:
        from nncore.data import load_dataset, prepare

        try:
            splits = prepare(load_dataset(self.spec), self.spec)
        except NNCoreError as err:
            self.signals.done.emit(self.number, None, str(err))
        except MemoryError:
            self.signals.done.emit(self.number, None, "not enough memory to load this data set")
        except Exception as err:  # an unexpected bug must not kill a pool thread silently
            self.signals.done.emit(self.number, None, f"{type(err).__name__}: {err}")
        else:
            self.signals.done.emit(self.number, splits, "")


class DataSource(QObject):
    """The prepared data of the current ``DataSpec``, loaded in the background."""

    splits_changed = Signal(object)  # Splits
    loading_changed = Signal(bool)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._signals = _Signals(self)
        self._signals.done.connect(self._on_done)
        self._requested = 0
        self._in_flight = 0
        self._spec: DataSpec | None = None
        self._loaded_spec: DataSpec | None = None
        self._splits: Splits | None = None
        self._error = ""

    @property
    def splits(self) -> Splits | None:
        """The prepared data for the last loaded spec (None while nothing loaded)."""
        return self._splits

    @property
    def spec(self) -> DataSpec | None:
        """The spec most recently asked for (its data may still be loading)."""
        return self._spec

    @property
    def loaded_spec(self) -> DataSpec | None:
        """The spec ``splits`` was prepared from (None while nothing is loaded)."""
        return self._loaded_spec

    @property
    def error(self) -> str:
        """Why the last load failed ('' if it did not)."""
        return self._error

    @property
    def is_loading(self) -> bool:
        """True while a requested load has not reported back."""
        return self._in_flight > 0

    def load(self, spec: DataSpec, *, force: bool = False) -> None:
        """Start preparing ``spec`` in the background.

        Does nothing if ``spec`` is already loaded or loading, unless ``force`` (a file
        that changed on disk, or a retry after a failure).
        """
        if not force and spec == self._spec and (
                self.is_loading or (spec == self._loaded_spec and self._splits is not None)):
            return
        self._spec = spec
        self._requested += 1
        self._in_flight += 1
        self.loading_changed.emit(True)
        self._pool.start(_LoadTask(self._requested, spec, self._signals))

    def adopt(self, spec: DataSpec, splits: Splits) -> None:
        """Use data prepared elsewhere for ``spec`` (e.g. a file already test-loaded)."""
        self._requested += 1
        self._spec, self._loaded_spec, self._splits, self._error = spec, spec, splits, ""
        self.splits_changed.emit(splits)

    def load_now(self, spec: DataSpec) -> Splits:
        """Prepare ``spec`` on the calling thread (tests, smoke runs); raises on failure."""
        from nncore.data import load_dataset, prepare

        self._requested += 1
        self._spec = spec
        self._splits = prepare(load_dataset(spec), spec)
        self._loaded_spec, self._error = spec, ""
        self.splits_changed.emit(self._splits)
        return self._splits

    def wait(self, msecs: int = 30000) -> bool:
        """Block until pending loads finish (tests); True if they did."""
        return self._pool.waitForDone(msecs)

    @Slot(int, object, str)
    def _on_done(self, number: int, splits: Splits | None, error: str) -> None:
        self._in_flight = max(0, self._in_flight - 1)
        if number != self._requested:
            return  # superseded by a newer request
        self.loading_changed.emit(False)
        if splits is None:
            self._error = error
            self.failed.emit(error)
        else:
            self._splits, self._loaded_spec, self._error = splits, self._spec, ""
            self.splits_changed.emit(splits)
