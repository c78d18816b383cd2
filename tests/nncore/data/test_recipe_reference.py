"""The import recipe against a second, independent implementation.

``reference_import`` below applies the documented rules (``nncore.data.tabular``'s
docstring) to the file's cells with plain Python: the csv module, lists, ``statistics``.
It shares no code with the loader, which works column-wise on pandas and NumPy arrays.
Random tables (numbers with holes, text categories, padded cells, targets with holes) are
loaded under every missing-value policy, with and without indicator columns and with small
caps on the one-hot levels, and both must give the same features, rows and labels.
"""

from __future__ import annotations

import csv
import gzip
import statistics
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from nncore.data import segments, table
from nncore.data.csvfile import load_csv
from nncore.data.recipe import AUTO_DROP_FRACTION

HOLES = ("", "NA", "?")
WORDS = ("red", "green", "blue", "amber", "violet", "teal", "grey", "black")


def _write_table(path: Path, seed: int) -> tuple[int, bool]:
    """A random table; (number of numeric columns, whether cells are padded)."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(30, 160))
    n_numeric, n_text = int(rng.integers(1, 4)), int(rng.integers(0, 3))
    padded = bool(rng.integers(0, 2))
    hole_rate = float(rng.choice([0.0, 0.02, 0.2]))
    columns: list[list[str]] = []
    for _ in range(n_numeric):
        cells = [repr(float(v)) for v in rng.normal(size=n).round(3)]
        columns.append(cells)
    for _ in range(n_text):
        k = int(rng.integers(2, len(WORDS) + 1))
        weights = rng.random(k) ** 2 + 0.05
        columns.append([WORDS[i] for i in rng.choice(k, size=n, p=weights / weights.sum())])
    for cells in columns:
        for i in np.flatnonzero(rng.random(n) < hole_rate):
            cells[i] = HOLES[int(rng.integers(0, len(HOLES)))]
    # whole numbers without a hole: the parser's int64 array is used as it is
    columns.insert(0, [str(v) for v in rng.integers(-500, 500, size=n)])
    n_numeric += 1
    if rng.integers(0, 2):
        target = [str(int(v)) for v in rng.integers(0, 3, size=n)]
    else:
        target = [("cat", "dog", "eel")[int(v)] for v in rng.integers(0, 3, size=n)]
    for i in np.flatnonzero(rng.random(n) < 0.05):
        target[i] = "NA"
    columns.append(target)
    names = ["k"] + [f"n{j}" for j in range(n_numeric - 1)] + [f"c{j}" for j in range(n_text)] \
        + ["y"]
    separator = ", " if padded else ","
    lines = [separator.join(names)] + [separator.join(row) for row in zip(*columns, strict=True)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return n_numeric, padded


def _most_common(values: list, key=None) -> object:
    """The most frequent value; ties go to the first by ``key`` order."""
    counts = Counter(values)
    top = max(counts.values())
    return min((v for v, c in counts.items() if c == top), key=key)


def reference_import(path: Path, n_numeric: int, missing: str, indicator: bool,
                     max_levels: int) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(feature names, x float64, y) by the documented rules, one cell at a time."""
    with open(path, newline="", encoding="utf-8") as f:
        header, *rows = [[cell.strip() for cell in row] for row in csv.reader(f)]
    absent = {"", "NA", "?"}
    rows = [row for row in rows if row[-1] not in absent]  # rows without a target go
    n = len(rows)
    blocks: list[tuple[str, list[list[float | None]], list[str]]] = []
    for j, name in enumerate(header[:-1]):
        cells = [row[j] for row in rows]
        if j < n_numeric:
            values = [[None if c in absent else float(c)] for c in cells]
            blocks.append(("numeric", values, [name]))
            continue
        present = [c for c in cells if c not in absent]
        counts = Counter(present)
        first = {c: i for i, c in reversed(list(enumerate(present)))}
        levels = sorted(counts, key=lambda c: (-counts[c], first[c]))
        names = [f"{name}={level}" for level in levels]
        column_of = {level: i for i, level in enumerate(levels)}
        if len(levels) > max_levels:
            names = [*names[:max_levels - 1], f"{name}=other"]
            column_of = {level: min(i, max_levels - 1) for level, i in column_of.items()}
        values = [[None] * len(names) if c in absent else
                  [float(column_of[c] == k) for k in range(len(names))] for c in cells]
        blocks.append(("categorical", values, names))
    missing_row = [any(block[1][i][0] is None for block in blocks) for i in range(n)]
    affected = sum(missing_row)
    policy = missing if missing != "auto" else (
        "drop" if affected <= AUTO_DROP_FRACTION * n else "median")
    keep = [i for i in range(n) if not (policy == "drop" and missing_row[i])]
    names = [name for block in blocks for name in block[2]]
    columns: list[list[float]] = []
    flags: list[list[float]] = []
    for kind, values, block_names in blocks:
        holes = [values[i][0] is None for i in range(n)]
        if kind == "numeric":
            present = [v[0] for v in values if v[0] is not None]
            fill = {"mean": statistics.fmean, "median": statistics.median,
                    "mode": _most_common}.get(policy, statistics.fmean)(present) \
                if present else 0.0
            columns.append([values[i][0] if not holes[i] else fill for i in keep])
        else:
            totals = [sum(v[k] for v in values if v[0] is not None)
                      for k in range(len(block_names))]
            top = totals.index(max(totals))
            filled = [float(k == top) for k in range(len(block_names))]
            columns.extend([[values[i][k] if not holes[i] else filled[k] for i in keep]
                            for k in range(len(block_names))])
        if indicator and policy != "drop" and any(holes):
            flags.append([float(holes[i]) for i in keep])
            names.append(f"{block_names[0].split('=')[0]} missing")
    x = np.array(columns + flags, dtype=np.float64).T.reshape(len(keep), -1)
    labels = [rows[i][-1] for i in keep]
    numeric = all(label.isdigit() for label in labels)
    classes = sorted(set(labels), key=int if numeric else None)
    y = np.array([classes.index(label) for label in labels])
    return names, x, y


CASES = [(seed, missing, indicator, max_levels)
         for seed in range(12)
         for missing, indicator in (("auto", False), ("drop", False), ("mean", True),
                                    ("median", False), ("mode", True))
         for max_levels in ((3,) if seed % 2 else (20,))]


@pytest.mark.parametrize(("seed", "missing", "indicator", "max_levels"), CASES)
def test_loader_matches_a_cell_by_cell_reference(tmp_path: Path, seed: int, missing: str,
                                                 indicator: bool, max_levels: int) -> None:
    path = tmp_path / "table.csv"
    n_numeric, _ = _write_table(path, seed)
    names, x, y = reference_import(path, n_numeric, missing, indicator, max_levels)
    data = load_csv(path, missing=missing, indicator=indicator, max_levels=max_levels,
                    task="classification")
    assert list(data.info.feature_names) == names
    assert data.x.dtype == np.float32 and data.x.shape == x.shape
    np.testing.assert_allclose(data.x, x.astype(np.float32), rtol=1e-6, atol=0)
    np.testing.assert_array_equal(data.y, y)


def test_the_generated_tables_cover_padding_holes_and_grouping(tmp_path: Path) -> None:
    """The cases above are not vacuous: some tables are padded, have holes, group levels."""
    padded, holes = set(), set()
    for seed in range(12):
        path = tmp_path / f"t{seed}.csv"
        n_numeric, pad = _write_table(path, seed)
        padded.add(pad)
        _, x, _ = reference_import(path, n_numeric, "drop", False, 20)
        _, filled, _ = reference_import(path, n_numeric, "mean", False, 20)
        holes.add(len(x) < len(filled))
    assert padded == {True, False} and holes == {True, False}


@pytest.mark.parametrize("seed", [0, 3, 5])
def test_a_file_read_in_chunks_matches_the_reference(tmp_path: Path, monkeypatch,
                                                     seed: int) -> None:
    """Gzip files are read chunk by chunk; each chunk's categories differ (a level missing
    from a chunk, another order), and the joined table must give the same import."""
    monkeypatch.setattr(table, "CHUNK_ROWS", 7)
    path = tmp_path / "table.csv"
    n_numeric, _ = _write_table(path, seed)
    packed = tmp_path / "table.csv.gz"
    packed.write_bytes(gzip.compress(path.read_bytes()))
    names, x, y = reference_import(path, n_numeric, "mean", True, 3)
    data = load_csv(packed, missing="mean", indicator=True, max_levels=3,
                    task="classification")
    assert list(data.info.feature_names) == names
    np.testing.assert_allclose(data.x, x.astype(np.float32), rtol=1e-6, atol=0)
    np.testing.assert_array_equal(data.y, y)


@pytest.mark.parametrize("seed", [1, 2, 4, 7])
def test_a_file_read_in_segments_matches_the_reference(tmp_path: Path, monkeypatch,
                                                       seed: int) -> None:
    """A watched load of a large plain file is parsed in byte segments on threads; cut
    every ~100 bytes, the import must not change."""
    monkeypatch.setattr(table, "WHOLE_READ_BYTES", 0)
    monkeypatch.setattr(segments, "SEGMENT_BYTES", 97)
    path = tmp_path / "table.csv"
    n_numeric, _ = _write_table(path, seed)
    names, x, y = reference_import(path, n_numeric, "median", True, 4)
    data = load_csv(path, missing="median", indicator=True, max_levels=4,
                    task="classification", progress=lambda fraction: None)
    assert list(data.info.feature_names) == names
    np.testing.assert_allclose(data.x, x.astype(np.float32), rtol=1e-6, atol=0)
    np.testing.assert_array_equal(data.y, y)
