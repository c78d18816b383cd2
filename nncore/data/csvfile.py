"""Load a table file (CSV/TSV/text, gzip/zip, ``.xlsx``) as a data set, through pandas.

Reading and layout detection: ``nncore.data.table``. Column kinds: ``nncore.data.schema``.
Roles, encodings, missing values and the task: ``nncore.data.tabular``. This module ties
them together: ``load_csv`` gives a ``Dataset`` and ``inspect_file`` the dry run that
``nncore inspect`` and the app's import dialog show.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path

from nncore.data.assemble import file_dataset
from nncore.data.dataset import Dataset
from nncore.data.recipe import (
    DEFAULT_MAX_LEVELS,
    TASK_CHOICES,
    ImportPlan,
    Recipe,
    check_recipe,
)
from nncore.data.table import DELIMITERS, CancelFn, ProgressFn, RawTable, read_table
from nncore.data.tabular import build

CSV_TASKS = TASK_CHOICES


def make_recipe(path: Path | str, target: str | int | None = None, task: str = "auto",
                roles: Mapping[str, str] | None = None, kinds: Mapping[str, str] | None = None,
                missing: str = "auto", indicator: bool = False,
                max_levels: int = DEFAULT_MAX_LEVELS) -> Recipe:
    """A checked ``Recipe`` (raises ``DataError`` naming ``path`` for a bad value)."""
    recipe = Recipe(target, task, dict(roles or {}), dict(kinds or {}), missing,
                    bool(indicator), max_levels)
    check_recipe(recipe, path)
    return recipe


def dataset_from_table(table: RawTable, recipe: Recipe) -> tuple[Dataset, ImportPlan]:
    """Apply ``recipe`` to a table already read: the data set and what was done."""
    x, y, plan = build(table, recipe)
    uci = table.uci_classes is not None
    features = [f"x{i + 1}" for i in range(plan.n_inputs)] if uci else plan.feature_names
    data = file_dataset(table.path, x, y, class_names=plan.class_names,
                        feature_names=features, kind="table")
    info = dataclasses.replace(data.info, notes=tuple(plan.notes),
                               target_name="" if uci else plan.target)
    return Dataset(info, data.x, data.y), plan


def load_csv(path: Path | str, *, target: str | int | None = None,
             delimiter: str | None = None, header: bool | None = None,
             task: str = "auto", roles: Mapping[str, str] | None = None,
             kinds: Mapping[str, str] | None = None, missing: str = "auto",
             indicator: bool = False, max_levels: int = DEFAULT_MAX_LEVELS,
             encoding: str | None = None, progress: ProgressFn | None = None,
             cancel: CancelFn | None = None) -> Dataset:
    """Load a table file as a data set.

    Parameters
    ----------
    path : Path or str
        ``.csv``/``.tsv``/``.txt`` (optionally gzip or zip compressed) or ``.xlsx``.
    target : str or int, optional
        Target column: a header name (quotes and case ignored) or a 0-based index
        (default: the last column).
    delimiter, header, encoding
        Skip the detection (see ``nncore.data.table.read_table``).
    task : {"auto", "classification", "regression"}
    roles, kinds, missing, indicator, max_levels
        The import recipe (see ``nncore.data.tabular``).
    progress, cancel : callable, optional
        Progress fraction callback and cancel check, between chunks of a large file.

    Returns
    -------
    Dataset
        ``x`` float32 (n_samples, n_features); ``y`` int64 labels (n_samples,) or float32
        targets (n_samples, 1); ``info.notes`` says what the import did.
    """
    recipe = make_recipe(path, target, task, roles, kinds, missing, indicator, max_levels)
    table = read_table(path, delimiter=delimiter, header=header, encoding=encoding,
                       progress=progress, cancel=cancel)
    return dataset_from_table(table, recipe)[0]


def inspect_file(path: Path | str, *, target: str | int | None = None,
                 delimiter: str | None = None, header: bool | None = None,
                 task: str = "auto", roles: Mapping[str, str] | None = None,
                 kinds: Mapping[str, str] | None = None, missing: str = "auto",
                 indicator: bool = False, max_levels: int = DEFAULT_MAX_LEVELS,
                 encoding: str | None = None) -> ImportPlan:
    """A dry run of the import: schema, roles, missing counts, balance, feature count."""
    recipe = make_recipe(path, target, task, roles, kinds, missing, indicator, max_levels)
    table = read_table(path, delimiter=delimiter, header=header, encoding=encoding)
    plan = build(table, recipe, dry_run=True)[2]
    plan.source = describe_layout(table)
    return plan


def describe_layout(table: RawTable) -> str:
    """How the file was read, e.g. ``comma-separated, header on line 1, utf-8``."""
    if table.fmt == "xlsx":
        how = "spreadsheet, first sheet"
    else:
        how = f"{DELIMITERS.get(table.delimiter or ',', 'comma')}-separated"
    header = f"header on {table.place} {table.header_line}" if table.header_line else \
        "no header row"
    uci = ", UCI layout" if table.uci_classes else ""
    encoding = "" if table.fmt == "xlsx" else f", {table.encoding.replace('-sig', '')}"
    return f"{how}, {header}{uci}{encoding}"


def table_columns(path: Path | str, *, delimiter: str | None = None,
                  header: bool | None = None) -> list[str]:
    """The column names the loader sees (read with the same parser, first rows only)."""
    return list(read_table(path, delimiter=delimiter, header=header, max_rows=50).names)
