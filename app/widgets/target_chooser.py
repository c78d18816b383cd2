"""Choose what to predict in your own file: a CSV column or an NPZ array.

The choices come from a light-weight peek (a table's first rows read by the loader's own
parser, the names in an ``.npz``), not a full load; the loader then decides for real.
"""

from __future__ import annotations

import csv
import zipfile
import zlib
from pathlib import Path

import numpy as np
from PySide6.QtWidgets import QWidget

from app.widgets.form_layout import CompactComboBox
from app.widgets.tooltips import rich_tooltip
from nncore.data import file_format
from nncore.errors import NNCoreError


def file_columns(path: str | Path) -> tuple[list[str], str | None]:
    """What a file can predict, and what it predicts by default: ``(choices, default)``.

    A table's column names as the loader reads them (the same parser, on its first rows;
    default the last column), an ``.npz``'s arrays other than the inputs (default ``y``);
    IDX files pair their labels themselves.
    """
    path = Path(path)
    kind = file_format(path)
    if kind == "npz":
        with np.load(path, allow_pickle=False) as archive:
            names = [n for n in archive.files if n not in ("x", "x_test", "y_test")]
        return names, "y" if "y" in names else None
    if kind not in ("csv", "xlsx"):
        return [], None
    from nncore.data.csvfile import table_columns  # imports pandas: only for tables

    columns = table_columns(path)
    return columns, columns[-1] if columns else None


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
