"""The decoded-array cache: second load from the cache, corruption and changes rebuilt."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nncore.data import Dataset, load_builtin, real
from nncore.data.cache import cache_entry, cached_arrays
from nncore.errors import DataError


def _arrays() -> dict[str, np.ndarray]:
    return {"a": np.arange(12, dtype=np.uint8).reshape(3, 4), "b": np.array([1.5, -2.0])}


class Builder:
    """Counts how often the cache had to decode."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> dict[str, np.ndarray]:
        self.calls += 1
        return _arrays()


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "source.bin"
    path.write_bytes(b"version 1")
    return path


def _assert_same(got: dict[str, np.ndarray]) -> None:
    for key, value in _arrays().items():
        np.testing.assert_array_equal(got[key], value)
        assert got[key].dtype == value.dtype


def test_second_call_reads_the_cache_instead_of_decoding(source: Path, lab_home: Path) -> None:
    build = Builder()
    first = cached_arrays("demo", [source], ["a", "b"], build)
    second = cached_arrays("demo", [source], ["a", "b"], build)
    assert build.calls == 1
    _assert_same(first)
    _assert_same(second)
    entry = cache_entry("demo", [source])
    assert entry.parent == lab_home / "cache" / "datasets"
    assert sorted(p.name for p in entry.iterdir()) == ["a.npy", "b.npy"]  # no temp files left


@pytest.mark.parametrize("damage", [b"", b"garbage", b"\x93NUMPY\x01\x00\xff\xff"])
def test_a_corrupt_entry_is_rebuilt_silently(source: Path, damage: bytes) -> None:
    build = Builder()
    cached_arrays("demo", [source], ["a", "b"], build)
    (cache_entry("demo", [source]) / "a.npy").write_bytes(damage)
    _assert_same(cached_arrays("demo", [source], ["a", "b"], build))
    assert build.calls == 2
    _assert_same(cached_arrays("demo", [source], ["a", "b"], build))
    assert build.calls == 2  # the rebuilt entry is good again


def test_a_missing_array_or_a_failed_check_rebuilds(source: Path) -> None:
    build = Builder()
    cached_arrays("demo", [source], ["a", "b"], build)
    (cache_entry("demo", [source]) / "b.npy").unlink()
    cached_arrays("demo", [source], ["a", "b"], build)
    cached_arrays("demo", [source], ["a", "b"], build, check=lambda arrays: False)
    assert build.calls == 3


def test_changing_a_source_invalidates_and_removes_the_old_entry(source: Path) -> None:
    build = Builder()
    cached_arrays("demo", [source], ["a", "b"], build)
    old = cache_entry("demo", [source])
    source.write_bytes(b"version 2")
    cached_arrays("demo", [source], ["a", "b"], build)
    assert build.calls == 2 and cache_entry("demo", [source]) != old and not old.exists()


def test_the_key_follows_content_not_location(source: Path, tmp_path: Path) -> None:
    moved = tmp_path / "elsewhere.bin"
    moved.write_bytes(source.read_bytes())
    assert cache_entry("demo", [source]) == cache_entry("demo", [moved])


def test_an_unwritable_cache_still_returns_the_arrays(source: Path, lab_home: Path) -> None:
    lab_home.mkdir(parents=True)
    (lab_home / "cache").write_text("a file where the cache folder should be")
    build = Builder()
    _assert_same(cached_arrays("demo", [source], ["a", "b"], build))
    _assert_same(cached_arrays("demo", [source], ["a", "b"], build))
    assert build.calls == 2


def test_mnist_second_load_comes_from_the_cache(mnist: Dataset, monkeypatch) -> None:
    first = load_builtin("mnist", {"n": 1000})  # cold in this test's own cache folder

    def no_decoding(path: Path) -> None:
        raise AssertionError(f"decoded {path} although the cache was warm")

    monkeypatch.setattr(real, "read_idx", no_decoding)
    second = load_builtin("mnist", {"n": 1000})
    for got, want in ((second.x, first.x), (second.y, first.y),
                      (second.x_test, first.x_test), (second.y_test, first.y_test)):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(second.x, mnist.x[:1000])


def test_corrupt_mnist_cache_is_rebuilt(mnist: Dataset, lab_home: Path) -> None:
    load_builtin("mnist", {"n": 10})
    (entry,) = (lab_home / "cache" / "datasets").glob("mnist-*")
    with open(entry / "x_train.npy", "r+b") as f:
        f.truncate(1000)
    (entry / "y_test.npy").write_bytes(b"not an array")
    again = load_builtin("mnist", {"n": 2000})
    np.testing.assert_array_equal(again.x, mnist.x[:2000])
    np.testing.assert_array_equal(again.y_test, mnist.y_test)
    assert (entry / "x_train.npy").stat().st_size > 47_000_000


def test_damaged_mnist_sources_are_reported(tmp_path: Path, monkeypatch) -> None:
    folder = tmp_path / "datasets" / "mnist"
    folder.mkdir(parents=True)
    for file in real.MNIST_FILES.values():
        (folder / file).write_bytes(b"\x1f\x8b" + b"\0" * 30)
    monkeypatch.setenv("BACKPROP_LAB_RESOURCES", str(tmp_path))
    with pytest.raises(DataError, match="gzip file is damaged or truncated"):
        load_builtin("mnist")
