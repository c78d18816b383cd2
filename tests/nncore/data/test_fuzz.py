"""Fuzzing: random bytes and random CSV text give a clean DataError or a valid data set."""

from __future__ import annotations

import gzip
import io
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nncore.data import Dataset, load_csv, load_file, load_idx, load_npz, read_idx
from nncore.errors import DataError

from .samples import assert_valid_dataset, idx_bytes

FUZZ = settings(max_examples=300, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])

LOADERS: dict[str, Callable[[Path], object]] = {
    "load_file": load_file, "load_csv": load_csv, "load_npz": load_npz,
    "load_idx": load_idx, "read_idx": read_idx}


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as name:
        yield Path(name)


def _only_clean_outcomes(loader: Callable[[Path], object], path: Path) -> None:
    try:
        result = loader(path)
    except DataError as err:
        assert str(err)
        return
    if isinstance(result, Dataset):
        assert_valid_dataset(result)
    else:
        assert isinstance(result, np.ndarray) and result.size > 0


def _write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def _valid_idx() -> bytes:
    return idx_bytes(np.arange(60, dtype=np.uint8).reshape(5, 3, 4))


def _valid_npz() -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, x=np.arange(10.0).reshape(5, 2), y=np.array([0, 1, 0, 1, 1]))
    return buffer.getvalue()


def _mutate(data: bytes, draw: st.DrawFn) -> bytes:
    data = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        position = draw(st.integers(0, len(data) - 1))
        data[position] = draw(st.integers(0, 255))
    return bytes(data[:draw(st.integers(1, len(data)))])


@st.composite
def damaged_files(draw: st.DrawFn) -> bytes:
    """Random bytes, or a valid IDX/NPZ/CSV file with bytes changed and its end cut."""
    kind = draw(st.sampled_from(["random", "idx", "npz", "gzip-idx", "csv"]))
    if kind == "random":
        return draw(st.binary(min_size=0, max_size=300))
    valid = {"idx": _valid_idx(), "npz": _valid_npz(), "gzip-idx": gzip.compress(_valid_idx()),
             "csv": b"a,b,y\n1,2,0\n3,4,1\n5,6,1\n"}[kind]
    return _mutate(valid, draw)


@pytest.mark.parametrize("loader", list(LOADERS))
@FUZZ
@given(data=damaged_files())
def test_random_and_damaged_bytes_never_crash_a_loader(folder: Path, loader: str,
                                                       data: bytes) -> None:
    _only_clean_outcomes(LOADERS[loader], _write(folder, f"fuzz-{loader}.bin", data))


CSV_ALPHABET = "0123456789-+.,;\t\n\r eEnaifxyz\"'#\x00é"


@FUZZ
@given(text=st.text(alphabet=CSV_ALPHABET, max_size=200))
def test_random_csv_text_loads_cleanly_or_fails_cleanly(folder: Path, text: str) -> None:
    path = folder / "fuzz.csv"
    path.write_text(text, encoding="utf-8", newline="")
    _only_clean_outcomes(load_csv, path)
    _only_clean_outcomes(load_file, path)


@st.composite
def tables(draw: st.DrawFn) -> str:
    """Mostly well-formed tables with occasional bad cells, rows and delimiters."""
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    width = draw(st.integers(1, 4))
    cell = st.one_of(st.integers(-5, 5).map(str),
                     st.floats(allow_nan=True, allow_infinity=True, width=32).map(repr),
                     st.sampled_from(["", "cat", "dog", " 1 ", "1,5", "nan", '"q"']))
    rows = draw(st.lists(st.lists(cell, min_size=width, max_size=width + 1), max_size=8))
    header = [delimiter.join(f"c{i}" for i in range(width))] if draw(st.booleans()) else []
    return "\n".join(header + [delimiter.join(row) for row in rows])


@FUZZ
@given(text=tables(), task=st.sampled_from(["auto", "classification", "regression"]))
def test_random_tables_load_cleanly_or_fail_cleanly(folder: Path, text: str,
                                                    task: str) -> None:
    path = folder / "table.csv"
    path.write_text(text, encoding="utf-8", newline="")
    _only_clean_outcomes(lambda p: load_csv(p, task=task), path)
