"""Real tables from public packages (tests/data/tables): each loads, and loads right.

Every expectation is computed a second way, with the standard library's ``csv`` module
reading the same file, never copied from what the loader printed.
"""

from __future__ import annotations

import csv
import datetime
import gzip
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from nncore.data import load_file
from nncore.data.csvfile import inspect_file, load_csv

from .samples import assert_valid_dataset

TABLES = Path(__file__).resolve().parents[2] / "data" / "tables"
MISSING = {"", "NA"}


def rows_of(name: str, delimiter: str = ",") -> tuple[list[str], list[list[str]]]:
    """(header, rows) read with the csv module (quotes stripped from the names)."""
    path = TABLES / name
    opener = gzip.open if name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", newline="") as f:
        if delimiter == " ":
            lines = [line.split() for line in f if line.strip()]
        else:
            lines = list(csv.reader(f, delimiter=delimiter))
    header = [h.strip().strip("'\"") for h in lines[0]]
    return header, lines[1:]


@pytest.mark.parametrize("name", sorted(p.name for p in TABLES.glob("*.csv*")))
def test_every_real_table_loads(name: str) -> None:
    assert_valid_dataset(load_file(TABLES / name))


def test_penguins_categories_one_hot_and_missing_rows_dropped() -> None:
    header, rows = rows_of("penguins.csv")
    data = load_csv(TABLES / "penguins.csv", target="species")
    inputs = [h for h in header if h != "species"]
    complete = [r for r in rows if not any(r[header.index(c)] in MISSING for c in inputs)]
    assert len(data.x) == len(complete) == len(rows) - 11
    assert any("dropped 11 of 344 rows" in n for n in data.info.notes)
    names = data.info.feature_names
    for level in ("Biscoe", "Dream", "Torgersen"):
        column = data.x[:, names.index(f"island={level}")]
        expected = [float(r[header.index("island")] == level) for r in complete]
        np.testing.assert_array_equal(column, expected)
    mass = [float(r[header.index("body_mass_g")]) for r in complete]
    np.testing.assert_array_equal(data.x[:, names.index("body_mass_g")], mass)
    counts = Counter(r[0] for r in complete)
    assert data.info.class_names == tuple(sorted(counts))
    assert np.bincount(data.y).tolist() == [counts[c] for c in sorted(counts)]


def test_penguins_filled_instead_of_dropped_with_an_indicator() -> None:
    header, rows = rows_of("penguins.csv")
    data = load_csv(TABLES / "penguins.csv", target="species", missing="median",
                    indicator=True)
    assert len(data.x) == len(rows)
    names = data.info.feature_names
    raw = [r[header.index("bill_length_mm")] for r in rows]
    present = np.array([float(v) for v in raw if v not in MISSING])
    column = data.x[:, names.index("bill_length_mm")]
    holes = [i for i, v in enumerate(raw) if v in MISSING]
    np.testing.assert_allclose(column[holes], np.median(present), rtol=1e-6)
    np.testing.assert_array_equal(data.x[:, names.index("bill_length_mm missing")],
                                  [float(v in MISSING) for v in raw])


def test_anes96_tabs_and_quoted_names() -> None:
    header, rows = rows_of("anes96.csv", "\t")
    data = load_file(TABLES / "anes96.csv", target="'vote'")
    assert data.info.feature_names == tuple(header[:-1])
    votes = Counter(r[-1] for r in rows)
    assert np.bincount(data.y).tolist() == [votes[k] for k in sorted(votes)]
    assert load_file(TABLES / "anes96.csv", target="vote").info.class_names == ("0", "1")


def test_statecrime_state_names_are_an_identifier_and_ignored() -> None:
    header, _rows = rows_of("statecrime.csv")
    plan = inspect_file(TABLES / "statecrime.csv", target="murder")
    kinds = {c.name: c.kind for c in plan.columns}
    assert kinds["state"] == "identifier" and plan.roles["state"] == "ignore"
    assert plan.task == "regression" and plan.n_inputs == len(header) - 2


def test_longley_row_numbers_ignored_and_a_year_target_is_regression_with_a_note() -> None:
    plan = inspect_file(TABLES / "longley.csv")
    assert plan.roles["Obs"] == "ignore" and plan.task == "regression"
    assert any("--task classification" in n for n in plan.notes)


def test_seattle_weather_date_parts_on_request() -> None:
    _header, rows = rows_of("seattle-weather.csv")
    plan = inspect_file(TABLES / "seattle-weather.csv")
    assert {c.name: c.kind for c in plan.columns}["date"] == "date"
    assert plan.roles["date"] == "ignore"
    data = load_csv(TABLES / "seattle-weather.csv", roles={"date": "input"})
    days = [datetime.date(*map(int, r[0].split("/"))) for r in rows]
    names = data.info.feature_names
    np.testing.assert_array_equal(data.x[:, names.index("date (year)")], [d.year for d in days])
    np.testing.assert_array_equal(data.x[:, names.index("date (weekday)")],
                                  [d.weekday() for d in days])
    weather = Counter(r[-1] for r in rows)
    assert dict(zip(plan.class_names, plan.class_counts, strict=True)) == weather


def test_sklearn_iris_uci_layout_and_whitespace_files() -> None:
    iris = load_file(TABLES / "iris.csv")
    assert iris.info.class_names == ("setosa", "versicolor", "virginica")
    assert np.bincount(iris.y).tolist() == [50, 50, 50]
    header, rows = rows_of("linnerud_exercise.csv", " ")
    linnerud = load_file(TABLES / "linnerud_exercise.csv", options={"task": "regression"})
    assert linnerud.info.feature_names == tuple(header[:-1])
    np.testing.assert_array_equal(linnerud.y[:, 0], [float(r[-1]) for r in rows])
    first, raw = rows_of("diabetes_data_raw.csv.gz", " ")  # no header: the first is data
    diabetes = load_file(TABLES / "diabetes_data_raw.csv.gz")
    np.testing.assert_allclose(diabetes.x, np.array([first, *raw], dtype=float)[:, :-1],
                               rtol=1e-6)
    assert diabetes.info.task == "regression"
