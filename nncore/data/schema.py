"""What each column of a table holds: numbers, categories, identifiers, free text or dates.

``infer_schema`` looks at every column of a ``RawTable`` once and gives a ``Column`` with
its kind, missing count and the values decoded for later use:

- ``numeric``: numbers (a column of numbers with at most ``MAX_STRAY`` distinct stray words
  in under 10% of its cells reads the words as missing values, with a note);
- ``categorical``: a few distinct strings (at most ``MAX_CATEGORY_LEVELS`` or 5% of the
  rows), or two distinct values of any kind;
- ``identifier``: unique per row (names, IDs, row numbers ``1..n``);
- ``text``: free text (long, many words, mostly distinct);
- ``date``: ISO dates (``2024-03-01``, with a time too), ``2024/03/01`` or ``3/1/2024``;
- ``empty``: no values at all.

Integers with a non-numeric meaning (codes such as a passenger class 1/2/3) cannot be told
from amounts by looking; they stay numeric unless the recipe says ``categorical``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from nncore.data.table import MISSING_TOKENS, RawTable

KINDS = ("numeric", "categorical", "identifier", "text", "date", "empty")
MAX_CATEGORY_LEVELS = 30
MAX_STRAY = 3
STRAY_FRACTION = 0.1
_DATE = re.compile(r"^\s*(\d{4}[-/]\d{1,2}[-/]\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?"
                   r"|\d{1,2}/\d{1,2}/\d{2,4})\s*$")
_ID_NAMES = ("id", "row names", "rownames", "index", "row", "key", "obs", "no", "#")
"""Names of columns that hold identifiers when their integers are unique (or count 1, 2...)."""


@dataclass(frozen=True)
class Column:
    """One column: its kind as detected and the values decoded for encoding.

    ``numbers`` holds float64 values (NaN where missing or not a number) for numeric
    columns, or the parser's int64 values for a column of whole numbers without a hole
    (not copied: on a wide table of integers a float64 copy of every column doubled the
    memory), ``strings`` the stripped text (a categorical series, NaN where missing) for
    the others.
    """

    name: str
    position: int
    kind: str
    n_missing: int
    n_unique: int | None
    example: str
    note: str = ""
    numbers: np.ndarray | None = None
    strings: pd.Series | None = None
    codes: np.ndarray | None = None  # text columns: a level number per cell, -1 missing
    levels: tuple[str, ...] = ()  # the distinct texts the codes number

    def summary(self) -> dict:
        """JSON-ready description (no values)."""
        return {"name": self.name, "kind": self.kind, "missing": self.n_missing,
                "distinct": self.n_unique, "example": self.example, "note": self.note}


def _example(series: pd.Series, present: np.ndarray | None = None) -> str:
    """The first value present, as text (at most 40 characters)."""
    present = series.notna().to_numpy() if present is None else present
    if not present.any():
        return ""
    return str(series.iloc[int(np.argmax(present))])[:40]


def _integers(values: np.ndarray) -> bool:
    finite = values[np.isfinite(values)]
    return bool(len(finite)) and bool(np.all(finite == np.floor(finite)))


def _numeric_kind(name: str, values: np.ndarray, n_missing: int) -> str:
    """``identifier`` for unique integer IDs and unnamed row numbers, else ``numeric``.

    Only by name: a column called ``id``, ``..._id``, ``row names``, ``index``... holding
    unique integers, or an unnamed first column counting ``1, 2, 3...`` (row numbers).
    """
    label = name.strip().lower()
    id_name = label in _ID_NAMES or label.endswith(("_id", " id"))
    if not id_name or n_missing or len(values) < 3 or not _integers(values):
        return "numeric"
    return "identifier" if len(np.unique(values)) == len(values) else "numeric"


def _numeric_column(name: str, position: int, series: pd.Series) -> Column:
    if series.dtype == np.float64 or (isinstance(series.dtype, np.dtype)
                                      and series.dtype.kind in "iu"):
        values = series.to_numpy()  # the parser's own array (NaN where missing): no copy
    else:  # booleans, pandas' nullable types
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    missing = np.isnan(values)
    n_missing = int(missing.sum())
    kind = "empty" if n_missing == len(values) else _numeric_kind(name, values, n_missing)
    return Column(name, position, kind, n_missing, None, _example(series, ~missing),
                  numbers=values)


def _text_kind(strings: pd.Series, present: np.ndarray, n_unique: int) -> str:
    if n_unique <= 2:
        return "categorical"
    n_present = int(present.sum())
    sample = strings.iloc[np.flatnonzero(present)[:200]].astype(object)
    if sample.map(lambda s: bool(_DATE.match(s))).all():
        return "date"
    words = float(sample.map(lambda s: len(s.split())).mean())
    length = float(sample.map(len).mean())
    if n_unique == n_present:
        return "text" if words > 3 or length > 40 else "identifier"
    if n_unique <= MAX_CATEGORY_LEVELS or n_unique <= 0.05 * n_present:
        return "categorical"
    return "text" if words > 3 else "identifier"


def _first_seen(codes: np.ndarray, n_levels: int) -> list[int]:
    """The codes (not -1) in the order they first occur (a prefix usually has them all)."""
    for stop in (4096, len(codes)):
        seen = pd.unique(codes[:stop])
        seen = seen[seen >= 0]
        if len(seen) == n_levels:
            break
    return seen.tolist()


def _decode_cells(series: pd.Series) -> tuple[np.ndarray, list[str], np.ndarray]:
    """(a level code per cell, -1 where missing or a missing-value word; the distinct
    stripped texts; each text's number, NaN for words).

    Works on the distinct values (``pd.factorize``), so a column of a million cells with a
    few categories costs one hash pass, not a Python call per cell.
    """
    if isinstance(series.dtype, pd.CategoricalDtype):  # parsed as categories: coded already
        codes, uniques = series.cat.codes.to_numpy(), series.cat.categories
        seen = _first_seen(codes, len(uniques))  # the parser sorts them: renumber
    else:
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
        seen = range(len(uniques))
    index: dict[str, int] = {}
    level_of = np.full(len(uniques) + 1, -1, dtype=np.int32)  # the last: missing (-1)
    for i in seen:
        text = str(uniques[i]).strip()
        if text not in MISSING_TOKENS:  # " NA": padded cells the parser did not strip
            level_of[i] = index.setdefault(text, len(index))
    levels = list(index)
    numbers = pd.to_numeric(pd.Series(levels, dtype=object), errors="coerce").to_numpy(
        np.float64, na_value=np.nan)
    return level_of[codes], levels, numbers


def _strings(codes: np.ndarray, levels: list[str], index: pd.Index) -> pd.Series:
    """The texts as a categorical series over ``codes`` (-1: missing): no Python string
    per cell, so a column of a million cells costs one small copy of its codes."""
    return pd.Series(pd.Categorical.from_codes(codes, levels), index=index)


def _object_column(name: str, position: int, series: pd.Series, table: RawTable) -> Column:
    codes, levels, level_numbers = _decode_cells(series)
    present = codes >= 0
    n_missing = int((~present).sum())
    strings = _strings(codes, levels, series.index)
    if n_missing == len(codes):
        return Column(name, position, "empty", n_missing, 0, "", strings=strings)
    words = np.isnan(level_numbers)
    n_present = len(codes) - n_missing
    if not words.any():
        numbers = np.append(level_numbers, np.nan)[codes]
        kind = _numeric_kind(name, numbers, n_missing)
        return Column(name, position, kind, n_missing, None, _example(strings, present),
                      numbers=numbers)
    stray = present & words[codes]
    if stray.sum() <= STRAY_FRACTION * n_present and words.sum() <= MAX_STRAY:
        numbers = np.append(level_numbers, np.nan)[codes]
        first = table.line_of(series.index[np.argmax(stray)])
        shown = ", ".join(repr(w) for w, bad in zip(levels, words, strict=True) if bad)
        note = (f"column {name!r}: {int(stray.sum())} cell(s) that are not numbers ({shown}, "
                f"first at {table.place} {first}) read as missing values")
        return Column(name, position, "numeric", n_missing + int(stray.sum()), None,
                      _example(strings, present), note, numbers=numbers, strings=strings)
    kind = _text_kind(strings, present, len(levels))
    return Column(name, position, kind, n_missing, len(levels), _example(strings, present),
                  strings=strings, codes=codes, levels=tuple(levels))


def infer_schema(table: RawTable) -> list[Column]:
    """Every column of ``table`` with its detected kind (rules in the module docstring)."""
    columns: list[Column] = []
    for position, name in enumerate(table.frame.columns):
        series = table.frame[name]
        if series.dtype.kind in "biuf":
            column = _numeric_column(name, position, series)
        else:
            column = _object_column(name, position, series, table)
        if column.kind in ("numeric", "identifier") and column.numbers is not None and \
                column.strings is None and series.dtype.kind == "b":
            column = Column(name, position, "numeric", column.n_missing, 2, column.example,
                            numbers=column.numbers)
        columns.append(column)
    return columns


def levels_of(column: Column) -> pd.Series:
    """A column's values as text (numbers without a trailing ``.0``), None where missing."""
    if column.strings is not None and column.kind != "numeric":
        return column.strings
    values = column.numbers if column.numbers is not None else np.zeros(0)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)  # format each value once
    index: dict[str, int] = {}
    level_of = np.empty(len(uniques) + 1, dtype=np.int32)
    level_of[-1] = -1  # missing
    for i, v in enumerate(uniques.tolist()):
        text = str(int(v)) if float(v).is_integer() else f"{v:g}"
        level_of[i] = index.setdefault(text, len(index))  # 1.0000001 and 1.0000002: "1"
    return pd.Series(pd.Categorical.from_codes(level_of[codes], list(index)))


def date_parts(column: Column) -> tuple[np.ndarray, list[str]]:
    """A date column as numeric year, month, day and weekday (NaN where missing)."""
    strings = column.strings if column.strings is not None else levels_of(column)
    stamps = pd.to_datetime(strings, errors="coerce", format="mixed")
    parts = np.stack([stamps.dt.year.to_numpy(np.float64, na_value=np.nan),
                      stamps.dt.month.to_numpy(np.float64, na_value=np.nan),
                      stamps.dt.day.to_numpy(np.float64, na_value=np.nan),
                      stamps.dt.day_of_week.to_numpy(np.float64, na_value=np.nan)], axis=1)
    return parts, [f"{column.name} ({p})" for p in ("year", "month", "day", "weekday")]
