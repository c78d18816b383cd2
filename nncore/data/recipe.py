"""The import recipe of a table and the plan (report) of applying it.

``Recipe`` is what ``DataSpec`` stores; ``ImportPlan`` is what an import did or would do
(the dry run of ``nncore inspect`` and the app's import dialog). Rules: ``nncore.data.tabular``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from nncore.data.schema import Column
from nncore.data.table import clean_name
from nncore.errors import DataError

ROLES = ("input", "ignore")
MISSING_POLICIES = ("auto", "drop", "mean", "median", "mode")
TASK_CHOICES = ("auto", "classification", "regression")
KIND_CHOICES = ("numeric", "categorical", "identifier", "text", "date")
MAX_AUTO_CLASSES = 20
MIN_CLASS_SIZE = 5  # auto: whole numbers are classes only if there are 5+ rows per value
DEFAULT_MAX_LEVELS = 20
AUTO_DROP_FRACTION = 0.1
DEFAULT_INPUT_KINDS = ("numeric", "categorical")


@dataclass(frozen=True)
class Recipe:
    """How to turn a table into inputs and targets (rules in the module docstring)."""

    target: str | int | None = None
    task: str = "auto"
    roles: Mapping[str, str] = field(default_factory=dict)
    kinds: Mapping[str, str] = field(default_factory=dict)
    missing: str = "auto"
    indicator: bool = False
    max_levels: int = DEFAULT_MAX_LEVELS


@dataclass
class ImportPlan:
    """What an import did (or would do): the dry run ``nncore inspect`` prints."""

    columns: list[Column]
    roles: dict[str, str]
    target: str
    task: str
    n_rows: int
    n_kept: int = 0
    dropped_target: int = 0
    dropped_missing: int = 0
    filled: dict[str, str] = field(default_factory=dict)
    missing_policy: str = "auto"
    feature_names: list[str] = field(default_factory=list)
    class_names: tuple[str, ...] = ()
    class_counts: tuple[int, ...] = ()
    histogram: tuple[tuple[int, ...], tuple[float, ...]] | None = None
    notes: list[str] = field(default_factory=list)
    source: str = ""  # how the file was read, e.g. "comma-separated, header on line 1"

    @property
    def n_inputs(self) -> int:
        """Number of input features the network gets."""
        return len(self.feature_names)

    @property
    def summary(self) -> str:
        """One line: what becomes inputs and what happened to rows."""
        kinds = {c.name: c.kind for c in self.columns}
        inputs = [n for n, r in self.roles.items() if r == "input"]
        categorical = sum(kinds[n] != "numeric" for n in inputs)
        parts = [f"{categorical} categorical column{'s' * (categorical != 1)} one-hot → "
                 f"{self.n_inputs} inputs" if categorical else
                 f"{len(inputs)} numeric column{'s' * (len(inputs) != 1)} → "
                 f"{self.n_inputs} input{'s' * (self.n_inputs != 1)}"]
        ignored = sum(r == "ignore" for r in self.roles.values())
        if ignored:
            parts.append(f"{ignored} column{'s' * (ignored != 1)} ignored")
        if self.dropped_missing:
            parts.append(f"{self.dropped_missing} row{'s' * (self.dropped_missing != 1)} "
                         "with missing values dropped")
        if self.filled:
            parts.append(f"missing values filled in {len(self.filled)} column"
                         f"{'s' * (len(self.filled) != 1)}")
        if self.dropped_target:
            parts.append(f"{self.dropped_target} row{'s' * (self.dropped_target != 1)} "
                         "without a target dropped")
        return "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready report (``nncore inspect --json``)."""
        return {"source": self.source, "target": self.target, "task": self.task,
                "rows": self.n_rows,
                "rows_used": self.n_kept, "dropped_missing_target": self.dropped_target,
                "dropped_missing_inputs": self.dropped_missing,
                "missing_policy": self.missing_policy, "filled": self.filled,
                "columns": [dict(c.summary(), role=self.roles.get(c.name, "target"))
                            for c in self.columns],
                "n_inputs": self.n_inputs, "feature_names": self.feature_names,
                "class_balance": dict(zip(self.class_names, self.class_counts, strict=True)),
                "histogram": None if self.histogram is None else
                {"counts": list(self.histogram[0]), "edges": list(self.histogram[1])},
                "notes": self.notes, "summary": self.summary}


# --------------------------------------------------------------------------- recipe checks


def match_column(names: list[str], wanted: str | int, path: Any, what: str = "column") -> str:
    """The column ``wanted`` names: exact, without quotes, any case, or a 0-based number."""
    if isinstance(wanted, str):
        for key in (wanted, wanted.strip(), clean_name(wanted)):
            if key in names:
                return key
        lowered = [n.lower() for n in names]
        key = clean_name(wanted).lower()
        if key in lowered:
            return names[lowered.index(key)]
        try:
            wanted = int(wanted)
        except ValueError:
            raise DataError(f"{path}: no {what} named {wanted!r}; the columns are "
                            f"{', '.join(names)} (or give a column number counting from 0)"
                            ) from None
    if isinstance(wanted, bool) or not -len(names) <= wanted < len(names):
        raise DataError(f"{path}: {what} {wanted!r} is out of range; the file has "
                        f"{len(names)} columns, numbered 0 to {len(names) - 1}")
    return names[wanted % len(names)]


def check_recipe(recipe: Recipe, path: Any) -> None:
    """Raise ``DataError`` for an unknown task, policy, role or kind."""
    if recipe.task not in TASK_CHOICES:
        raise DataError(f"{path}: unknown task {recipe.task!r}; use one of "
                        f"{list(TASK_CHOICES)}")
    if recipe.missing not in MISSING_POLICIES:
        raise DataError(f"{path}: unknown missing-value policy {recipe.missing!r}; use one of "
                        f"{list(MISSING_POLICIES)}")
    for name, role in recipe.roles.items():
        if role not in ROLES:
            raise DataError(f"{path}: column {name!r} has unknown role {role!r}; use "
                            f"{' or '.join(ROLES)}")
    for name, kind in recipe.kinds.items():
        if kind not in KIND_CHOICES:
            raise DataError(f"{path}: column {name!r} has unknown type {kind!r}; use one of "
                            f"{list(KIND_CHOICES)}")
    if isinstance(recipe.max_levels, bool) or not isinstance(recipe.max_levels, int) \
            or recipe.max_levels < 2:
        raise DataError(f"{path}: max_levels must be a whole number >= 2, got "
                        f"{recipe.max_levels!r}")


