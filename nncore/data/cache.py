"""Decoded arrays cached in the user's cache folder, so a data set is decoded only once.

An entry is the folder ``<user_cache_dir>/datasets/<name>-<key>/`` with one ``.npy`` file
per array, read back with ``np.load(..., allow_pickle=False)``. The key is a SHA-256 of
``CACHE_FORMAT`` and the *content* of every source file, so a changed source gets a new
entry (the stale one is deleted) while moving or re-extracting the same files (a
PyInstaller bundle unpacks to a new folder each run) still hits the cache. Hashing the
11 MB of MNIST takes a few milliseconds.

Each file is written under a temporary name and renamed with ``os.replace``, so a reader
never sees half a file. No lock is taken: two processes building at once both write valid
files and the last rename wins. A missing, unreadable or malformed entry is rebuilt
silently, and if the cache cannot be written the freshly decoded arrays are still returned.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from nncore.locations import ensure_dir, user_cache_dir

CACHE_FORMAT = 1
"""Bump when the layout or meaning of cached arrays changes."""

Arrays = dict[str, np.ndarray]


def cache_key(sources: Sequence[Path]) -> str:
    """A short hex digest of ``CACHE_FORMAT`` and the sources' content."""
    digest = hashlib.sha256(f"backprop-lab-cache-{CACHE_FORMAT}".encode())
    for source in sources:
        with open(source, "rb") as f:
            digest.update(hashlib.file_digest(f, "sha256").digest())
    return digest.hexdigest()[:20]


def cache_entry(name: str, sources: Sequence[Path]) -> Path:
    """The folder that caches data set ``name`` decoded from ``sources``."""
    return user_cache_dir() / "datasets" / f"{name}-{cache_key(sources)}"


def _read(entry: Path, names: Sequence[str]) -> Arrays | None:
    try:
        return {n: np.load(entry / f"{n}.npy", allow_pickle=False) for n in names}
    except (OSError, ValueError, EOFError):
        return None


def _write(entry: Path, arrays: Arrays) -> None:
    """Write every array atomically; give up quietly if the cache is not writable."""
    try:
        ensure_dir(entry)
        for n, array in arrays.items():
            fd, temp = tempfile.mkstemp(prefix=f".{n}-", suffix=".tmp", dir=entry)
            try:
                with os.fdopen(fd, "wb") as f:
                    np.save(f, array, allow_pickle=False)
                os.replace(temp, entry / f"{n}.npy")
            except BaseException:
                Path(temp).unlink(missing_ok=True)
                raise
    except OSError:
        return


def _remove_stale(entry: Path, name: str) -> None:
    for other in entry.parent.glob(f"{name}-*"):
        if other != entry and other.is_dir():
            shutil.rmtree(other, ignore_errors=True)


def cached_arrays(name: str, sources: Sequence[Path], names: Sequence[str],
                  build: Callable[[], Arrays],
                  check: Callable[[Arrays], bool] = lambda arrays: True) -> Arrays:
    """The arrays ``build()`` returns, from the cache when a valid entry exists.

    Parameters
    ----------
    name : str
        Cache entry prefix, e.g. ``"mnist"``.
    sources : sequence of Path
        Files the arrays are decoded from (their content keys the entry).
    names : sequence of str
        Names of the arrays ``build`` returns.
    build : callable
        Decodes the sources; called on a cache miss.
    check : callable, optional
        Returns False for cached arrays that are not right (e.g. wrong shapes): rebuilt.
    """
    entry = cache_entry(name, sources)
    arrays = _read(entry, names)
    if arrays is not None and check(arrays):
        return arrays
    arrays = build()
    _write(entry, arrays)
    _remove_stale(entry, name)
    return arrays
