"""What the sample and a first read tell pandas' parser to do differently.

- ``category_columns``: text columns that the 256 KB sample shows to be a few repeated
  words. They are parsed as pandas categoricals: codes instead of a Python string per cell.
- ``quoted_after_space``: whether a read without skipping spaces after the delimiter kept
  quotes (``1, "a"`` further down than the sample), so the file must be read again with
  the skip.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pandas as pd


def _any_number(cells: pd.Series) -> bool:
    return bool(pd.to_numeric(cells.str.strip(), errors="coerce").notna().any())


def category_columns(text: str, options: dict[str, Any]) -> dict[int, str]:
    """Columns the sample shows to be few repeated words (categories), to be parsed as
    pandas categoricals: the parser then hands over codes instead of a Python string per
    cell, and the schema's factorising pass is nearly free (bench/csv_import.py: a third
    less time on a table with text columns). Numbers, identifiers and free text are left
    to the parser's own choice; a sample that does not parse picks nothing. ``options``:
    the ``pandas.read_csv`` settings of the body, without an encoding."""
    try:
        sample = pd.read_csv(io.StringIO(text), nrows=2000, **options)
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError):
        return {}
    chosen: dict[int, str] = {}
    for position in np.flatnonzero([dtype.kind not in "iufcmM" for dtype in sample.dtypes]):
        # (columns parsed as numbers are not categories: on a wide table of numbers this
        # loop would otherwise cost more than the parse itself)
        cells = sample.iloc[:-1, position].dropna().astype(str)  # (the last line may be cut)
        if len(cells) < 20 or _any_number(cells.iloc[:20]) or _any_number(cells):
            continue  # (the first 20 cells settle most numeric columns quickly)
        if cells.nunique() <= 0.5 * len(cells):
            chosen[int(position)] = "category"
    return chosen


def quoted_after_space(frame: pd.DataFrame) -> bool:
    """Whether a text cell starts with spaces and a quote: read without skipping spaces
    after the delimiter, ``1, "a"`` keeps its quotes (in rows past the sample)."""
    for _, series in frame.items():
        if series.dtype.kind in "biufcmM":
            continue
        if isinstance(series.dtype, pd.CategoricalDtype):  # the few distinct texts
            series = pd.Series(series.cat.categories)
        if series.dropna().astype(str).str.match(r'\s+"').any():
            return True
    return False
