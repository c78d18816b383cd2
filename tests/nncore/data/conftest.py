"""Fixtures of the data-layer tests: a private user folder, small IDX files, MNIST once."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from nncore.data import Dataset, load_builtin

from .samples import write_idx


@pytest.fixture(autouse=True)
def lab_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own user folders, so nothing touches the real cache."""
    home = tmp_path / "lab-home"
    monkeypatch.setenv("BACKPROP_LAB_HOME", str(home))
    return home


@pytest.fixture
def idx_pair(tmp_path: Path) -> Callable[..., tuple[Path, Path]]:
    """A writer of small MNIST-like images/labels pairs; it returns (images, labels)."""

    def make(n: int = 30, prefix: str = "train", gz: bool = True,
             classes: int = 3) -> tuple[Path, Path]:
        rng = np.random.default_rng(n)
        suffix = ".gz" if gz else ""
        images = rng.integers(0, 256, size=(n, 4, 5), dtype=np.uint8)
        labels = (np.arange(n) % classes).astype(np.uint8)
        return (write_idx(tmp_path / f"{prefix}-images-idx3-ubyte{suffix}", images),
                write_idx(tmp_path / f"{prefix}-labels-idx1-ubyte{suffix}", labels))

    return make


@pytest.fixture(scope="session")
def mnist() -> Iterator[Dataset]:
    """MNIST loaded once for the whole session, its cache in a private folder."""
    with pytest.MonkeyPatch.context() as patch, tempfile.TemporaryDirectory() as home:
        patch.setenv("BACKPROP_LAB_HOME", home)
        yield load_builtin("mnist")
