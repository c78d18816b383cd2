"""Smoke test of ``python -m bench.csv_import --quick`` (docs/benchmarks.md): it runs both
loaders on both tables and reports every number; no timing is asserted."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bench.csv_import import run, write_table


def test_quick_run_reports_both_loaders_on_both_tables(tmp_path) -> None:
    results = run(quick=True)
    assert set(results) == {"numeric", "mixed", "wide"}
    for entry in results.values():
        assert {"pandas_s", "nncore_s", "time_ratio", "cpu_ratio", "pandas_peak_mb",
                "nncore_peak_mb", "memory_ratio", "watched_s", "watched_ratio"} <= set(entry)
        assert entry["nncore_shape"][0] <= entry["rows"]


def test_the_generated_tables_are_what_they_say(tmp_path) -> None:
    path = tmp_path / "mixed.csv"
    write_table(path, "mixed", 0.2)
    frame = pd.read_csv(path)
    assert list(frame.columns[-3:]) == ["colour", "size", "label"]
    assert frame.iloc[:, :10].isna().to_numpy().mean() < 0.05
    assert set(np.unique(frame["label"])) == {0, 1}
    write_table(path, "wide", 0.2)
    frame = pd.read_csv(path)
    assert frame.shape[1] == 785 and frame["label"].between(0, 9).all()
    assert frame.iloc[:, :-1].to_numpy().max() <= 255
