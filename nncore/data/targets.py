"""The target column of a table: rows without a target, the task, labels or values.

Rules in ``nncore.data.tabular``'s docstring (task and ambiguity notes).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from nncore.data.assemble import FLOAT32_MAX, check_class_count, describe_bad
from nncore.data.recipe import MAX_AUTO_CLASSES, MIN_CLASS_SIZE, ImportPlan, Recipe
from nncore.data.schema import Column
from nncore.data.table import RawTable
from nncore.errors import DataError

# --------------------------------------------------------------------------- the target


def _class_name(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _numeric_target(column: Column, keep: np.ndarray, task: str, plan: ImportPlan,
                    table: RawTable) -> tuple[np.ndarray, tuple[str, ...]]:
    values = column.numbers[keep]
    bad = ~np.isfinite(values) | (np.abs(values) > FLOAT32_MAX)
    if bad.any():
        row = np.flatnonzero(keep)[np.argmax(bad)]
        raise DataError(f"{table.path}: {table.place} {table.line_of(table.frame.index[row])}: "
                        f"the target column {column.name!r} holds "
                        f"{describe_bad(float(values[bad][0]))}; targets must be finite "
                        "numbers")
    whole = _integers_only(values)
    distinct = np.unique(values) if whole or task == "classification" else None
    if task == "auto":
        few = whole and (len(distinct) <= 2 or (len(distinct) <= MAX_AUTO_CLASSES
                                                and len(distinct) * MIN_CLASS_SIZE <= len(values)))
        task = "classification" if few else "regression"
        if whole and len(distinct) > 2:
            other = "regression" if task == "classification" else "classification"
            why = "classes" if task == "classification" else "amounts (a count?)"
            plan.notes.append(f"the target {column.name!r} holds {len(distinct)} different "
                              f"whole numbers: read as {why}, so the task is {task}; if that "
                              f"is wrong, choose the task {other!r} (--task {other})")
    plan.task = task
    if task == "regression":
        return values.astype(np.float32).reshape(-1, 1), ()
    return _labels(values, distinct, table, column.name)


def _integers_only(values: np.ndarray) -> bool:
    return bool(len(values)) and bool(np.all(values == np.floor(values)))


def _labels(values: np.ndarray, classes: np.ndarray, table: RawTable,
            name: str) -> tuple[np.ndarray, tuple[str, ...]]:
    names = tuple(_class_name(c) if not isinstance(c, str) else c for c in classes.tolist())
    check_class_count(names, table.path, f"the target column {name!r}")
    return np.searchsorted(classes, values).astype(np.int64), names


def _text_target(column: Column, keep: np.ndarray, task: str, plan: ImportPlan,
                 table: RawTable) -> tuple[np.ndarray, tuple[str, ...]]:
    strings = column.strings[keep]
    if task == "regression":
        numbers = pd.to_numeric(strings, errors="coerce")
        bad = numbers.isna().to_numpy()
        row = strings.index[np.argmax(bad)]
        raise DataError(f"{table.path}: {table.place} {table.line_of(row)}: {strings[row]!r} in "
                        f"the target column {column.name!r} is not a number, but regression "
                        "needs numeric targets")
    if column.kind == "date":
        raise DataError(f"{table.path}: the target column {column.name!r} holds dates; choose "
                        "another target column")
    plan.task = "classification"
    values = strings.to_numpy(dtype=str)
    return _labels(values, np.unique(values), table, column.name)


def _uci_target(column: Column, plan: ImportPlan, table: RawTable,
                keep: np.ndarray) -> tuple[np.ndarray, tuple[str, ...]]:
    names = table.uci_classes or ()
    codes = column.numbers[keep] if column.numbers is not None else None
    k = len(names)
    if codes is None or not _integers_only(codes) or codes.min() < 0 or codes.max() >= k:
        raise DataError(f"{table.path}: the last column must hold class numbers 0 to {k - 1} "
                        f"(the header names {k} classes)")
    if len(table.frame) != table.uci_rows:
        raise DataError(f"{table.path}: the header (line {table.header_line}) announces "
                        f"{table.uci_rows} rows but the file holds {len(table.frame)}; the file "
                        "is incomplete or the header is wrong")
    labels = codes.astype(np.int64)
    if len(np.unique(labels)) < 2:
        raise DataError(f"{table.path}: has a single class; a classifier needs at least two")
    plan.task = "classification"
    return labels, names


def decode_target(column: Column, recipe: Recipe, plan: ImportPlan,
            table: RawTable) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """(rows kept, y, class names): rows with a missing target are dropped and counted."""
    if column.numbers is not None and column.kind in ("numeric", "identifier"):
        keep = ~np.isnan(column.numbers)
    elif column.strings is not None:
        keep = column.strings.notna().to_numpy()
    else:
        keep = np.zeros(len(table.frame), dtype=bool)
    if not keep.any():
        raise DataError(f"{table.path}: the target column {column.name!r} has no values; "
                        "choose another target column")
    plan.dropped_target = int((~keep).sum())
    if plan.dropped_target:
        plan.notes.append(f"dropped {plan.dropped_target} of {len(keep)} rows with no value "
                          f"in the target {column.name!r}")
    if table.uci_classes is not None and recipe.task != "regression" and \
            column.name == table.names[-1]:
        y, names = _uci_target(column, plan, table, keep)
    elif column.numbers is not None and column.kind in ("numeric", "identifier"):
        y, names = _numeric_target(column, keep, recipe.task, plan, table)
    else:
        y, names = _text_target(column, keep, recipe.task, plan, table)
    return keep, y, names


