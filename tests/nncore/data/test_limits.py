"""The memory limit and the file checks every loader starts with."""

from __future__ import annotations

from pathlib import Path

import pytest

from nncore.data import limits
from nncore.errors import DataError


def test_the_limit_is_half_the_available_memory(monkeypatch) -> None:
    monkeypatch.setattr(limits, "available_memory", lambda: 8 * 2**30)
    assert limits.memory_limit() == 4 * 2**30
    monkeypatch.setattr(limits, "available_memory", lambda: 2**20)
    assert limits.memory_limit() == limits.MIN_LIMIT


def test_the_limit_falls_back_when_memory_is_unknown(monkeypatch) -> None:
    monkeypatch.setattr(limits, "available_memory", lambda: None)
    assert limits.memory_limit() == limits.FALLBACK_LIMIT == 2 * 2**30


def test_this_machine_reports_its_memory() -> None:
    available = limits.available_memory()
    assert available is None or available > 0
    assert limits.memory_limit() >= limits.MIN_LIMIT


def test_check_fits_names_the_file_and_sizes(monkeypatch) -> None:
    monkeypatch.setattr(limits, "memory_limit", lambda: 1_500_000_000)
    limits.check_fits(1_000_000_000, "a.csv", "the table")
    with pytest.raises(DataError, match=r"^a.csv: the table would need 3.0 GB of memory, more "
                                        r"than the 1.5 GB limit \(half the available RAM\)"):
        limits.check_fits(3_000_000_000, "a.csv", "the table")


@pytest.mark.parametrize(("n", "text"), [(12, "12 bytes"), (1500, "1.5 KB"),
                                         (2_500_000, "2.5 MB"), (7e12, "7.0 TB")])
def test_human_bytes(n: float, text: str) -> None:
    assert limits.human_bytes(n) == text


def test_check_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such file"):
        limits.check_file(tmp_path / "missing.csv")
    with pytest.raises(DataError, match="not a regular file"):
        limits.check_file(tmp_path)
    empty = tmp_path / "empty.csv"
    empty.touch()
    with pytest.raises(DataError, match="the file is empty"):
        limits.check_file(empty)
    empty.write_text("1")
    assert limits.check_file(str(empty)) == empty
