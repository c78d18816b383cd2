"""Choose what to predict in your own file: a CSV column or an NPZ array.

The choices come from a light-weight peek (the first two lines of a CSV, the names in an
``.npz``), not a full load; the loader then decides for real and reports problems.
"""

from __future__ import annotations

import csv
import gzip
import itertools
import zipfile
import zlib
from pathlib import Path

import numpy as np
from PySide6.QtWidgets import QWidget

from app.widgets.form_layout import CompactComboBox
from app.widgets.tooltips import rich_tooltip
from nncore.data import file_format
from nncore.errors import NNCoreError

MAX_PEEK_CHARS = 1_000_000
"""Characters of one CSV line the chooser reads at most."""


def file_columns(path: str | Path) -> tuple[list[str], str | None]:
    """What a file can predict, and what it predicts by default: ``(choices, default)``.

    A light-weight peek for the target chooser (the loader decides for real): a CSV's
    header names (``column 1..n`` without a header; default the last), an ``.npz``'s
    arrays other than the inputs (default ``y``); IDX files pair their labels themselves.
    """
    path = Path(path)
    kind = file_format(path)
    if kind == "npz":
        with np.load(path, allow_pickle=False) as archive:
            names = [n for n in archive.files if n not in ("x", "x_test", "y_test")]
        return names, "y" if "y" in names else None
    if kind != "csv":
        return [], None
    columns = _csv_header(path)
    return columns, columns[-1] if columns else None


def _csv_header(path: Path) -> list[str]:
    with open(path, "rb") as f:
        gzipped = f.read(2) == b"\x1f\x8b"
    opener = gzip.open if gzipped else open
    with opener(path, "rt", encoding="utf-8-sig", errors="replace", newline="") as f:
        lines = []
        # a bounded read: a file (or a gzip bomb) without line breaks, or of nothing but
        # blank lines, is not read whole on the GUI thread
        for line in itertools.islice(iter(lambda: f.readline(MAX_PEEK_CHARS), ""), 1000):
            if line.strip() and not line.lstrip().startswith("#"):
                lines.append(line)
            if len(lines) == 2:
                break
    if not lines:
        return []
    delimiter = next((d for d in ("\t", ";", ",") if d in lines[0]), ",")
    rows = list(csv.reader(lines, delimiter=delimiter))
    first = [cell.strip() for cell in rows[0]]

    def number(text: str) -> bool:
        try:
            float(text.replace(",", ".") if delimiter != "," else text)
        except ValueError:
            return False
        return True

    below = rows[1] if len(rows) > 1 else []
    header = any(c and not number(c) and i < len(below) and number(below[i].strip())
                 for i, c in enumerate(first))
    return first if header else [f"column {i + 1}" for i in range(len(first))]


class TargetChooser(CompactComboBox):
    """The target column of a file; item data are the names ``DataSpec.target`` takes."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.default: str | None = None
        self.setToolTip(rich_tooltip(
            "The column (or array) to predict; all other columns are inputs. Text labels "
            "or a few whole numbers make a classification, other numbers a regression."))

    def set_file(self, path: str | None, target: str | None) -> bool:
        """Offer ``path``'s columns with ``target`` (None: the default) selected.

        Returns whether there is a choice to show (a file with two or more candidates).
        """
        columns: list[str] = []
        self.default = None
        if path:
            try:
                columns, self.default = file_columns(path)
            except (OSError, ValueError, EOFError, NNCoreError, zipfile.BadZipFile,
                    zlib.error, csv.Error):  # (damaged .npz, .gz; a huge CSV field)
                columns = []  # the data source reports why the file cannot be read
        blocked = self.blockSignals(True)
        self.clear()
        for name in columns:
            self.addItem(name, name)
        self.setCurrentIndex(max(self.findData(target or self.default), 0))
        self.blockSignals(blocked)
        return len(columns) > 1 or (len(columns) == 1 and target is not None)
