"""Fuzzing the table import with real-world oddities (issue 13).

Generated tables combine a byte-order mark, Windows line ends, a trailing delimiter,
quoted or duplicate names, missing-value spellings, a stray word in a number column, a
text category (parsed as pandas categories from 20 rows on), spaces after the
delimiter, and every delimiter; each loads as a valid data set or fails with one
``DataError`` line naming the file. When the generated table is clean, the loaded inputs
must equal the numbers that were written (an oracle independent of the loader).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nncore.data import load_file
from nncore.errors import DataError
from tests.nncore.data.samples import assert_valid_dataset

FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])
MISSING = ["", "NA", "?", "nan", "N/A", "null"]


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as name:
        yield Path(name)


@st.composite
def odd_tables(draw: st.DrawFn) -> tuple[bytes, np.ndarray | None, str]:
    """(file bytes, the numbers written if the table is clean, delimiter)."""
    delimiter = draw(st.sampled_from([",", ";", "\t", "|", " "]))
    n_rows, width = draw(st.integers(0, 60)), draw(st.integers(1, 4))
    values = np.array(draw(st.lists(st.lists(st.integers(-999, 999), min_size=width,
                                             max_size=width), min_size=n_rows,
                                    max_size=n_rows)), dtype=float).reshape(n_rows, width) / 8
    # words only: with 20+ rows the column is parsed as pandas categories
    kinds = draw(st.sampled_from([["cat", "dog", "1", "2"], ["cat", "dog", "eel"]]))
    labels = [draw(st.sampled_from(kinds)) for _ in range(n_rows)]
    quote = draw(st.sampled_from(["", "'", '"']))
    names = [f"{quote}c{i}{quote}" for i in range(width)] + [f"{quote}label{quote}"]
    if draw(st.booleans()) and width > 1:
        names[1] = names[0]  # duplicate names
    cells = [[repr(v) for v in row] + [lab] for row, lab in zip(values.tolist(), labels,
                                                                 strict=True)]
    clean = True
    for _ in range(draw(st.integers(0, 3))):  # damage
        if not cells:
            break
        r, c = draw(st.integers(0, len(cells) - 1)), draw(st.integers(0, width))
        cells[r][c] = draw(st.sampled_from([*MISSING, "oops", "1e39", "inf", "x y"]))
        clean = False
    trailing = delimiter if draw(st.booleans()) and delimiter != " " else ""
    padded = delimiter not in " \t" and draw(st.booleans())  # "1, 2.5, cat"
    joiner = delimiter + " " if padded else delimiter
    lines = [joiner.join(names) + trailing] + [joiner.join(r) + trailing for r in cells]
    if draw(st.booleans()):
        lines.insert(1, "# a comment")
        lines.insert(2, "")
    end = draw(st.sampled_from(["\n", "\r\n"]))
    text = end.join(lines) + (end if draw(st.booleans()) else "")
    data = text.encode("utf-8")
    if draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data
    return data, values if clean and delimiter != " " else None, delimiter


@FUZZ
@given(table=odd_tables())
def test_odd_tables_load_cleanly_or_fail_in_one_line(folder: Path, table) -> None:
    data, clean, _ = table
    path = folder / "odd.csv"
    path.write_bytes(data)
    try:
        dataset = load_file(path)
    except DataError as err:
        text = str(err)
        assert str(path) in text and "\n" not in text and "Traceback" not in text
        return
    assert_valid_dataset(dataset)
    if clean is not None and len(clean) and dataset.info.task != "regression":
        np.testing.assert_array_equal(dataset.x, clean.astype(np.float32))
