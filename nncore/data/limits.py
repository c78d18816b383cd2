"""What may be loaded: an existing, non-empty file whose decoded arrays fit in memory.

The memory limit is half the RAM the system reports as available when the load starts
(``MemAvailable`` on Linux, ``GlobalMemoryStatusEx`` on Windows, free pages elsewhere),
and 2 GiB when none of these can be read. Loaders compute what a file would decode to
from its header or its size and call ``check_fits`` *before* allocating, so a file that is
too large is refused with a message instead of exhausting memory.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from nncore.errors import DataError

FALLBACK_LIMIT = 2 * 2**30
"""Bytes allowed when the available memory cannot be determined."""

MIN_LIMIT = 64 * 2**20
"""Never refuse a file that decodes to less than this, however busy the machine is."""


class LoadCancelled(DataError):  # noqa: N818 - "raise LoadCancelled" reads as what happened
    """The user cancelled a load (raised between chunks or segments)."""


def _available_linux() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _available_windows() -> int | None:
    import ctypes

    class MemoryStatus(ctypes.Structure):
        _fields_ = [("dwLength", ctypes.c_ulong), ("dwMemoryLoad", ctypes.c_ulong),
                    ("ullTotalPhys", ctypes.c_ulonglong), ("ullAvailPhys", ctypes.c_ulonglong),
                    ("ullTotalPageFile", ctypes.c_ulonglong),
                    ("ullAvailPageFile", ctypes.c_ulonglong),
                    ("ullTotalVirtual", ctypes.c_ulonglong),
                    ("ullAvailVirtual", ctypes.c_ulonglong),
                    ("ullAvailExtendedVirtual", ctypes.c_ulonglong)]

    status = MemoryStatus()
    status.dwLength = ctypes.sizeof(MemoryStatus)
    if not ctypes.windll.kernel32.GlobalMemoryStatusEx(ctypes.byref(status)):
        return None
    return int(status.ullAvailPhys)


def _available_sysconf() -> int | None:
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def available_memory() -> int | None:
    """Bytes of RAM the system reports as available now, or None if it cannot tell."""
    if sys.platform == "win32":
        return _available_windows()
    available = _available_linux() if sys.platform.startswith("linux") else None
    return available if available is not None else _available_sysconf()


def memory_limit() -> int:
    """The most bytes a single data set may decode to (see the module docstring)."""
    available = available_memory()
    if available is None or available <= 0:
        return FALLBACK_LIMIT
    return max(available // 2, MIN_LIMIT)


def human_bytes(n: float) -> str:
    """``n`` bytes as a short human-readable string, e.g. ``'1.5 GB'``."""
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"  # pragma: no cover - loop always returns


def check_fits(nbytes: int, path: Path | str, what: str, limit: int | None = None) -> None:
    """Raise ``DataError`` if ``nbytes`` of decoded data would exceed ``memory_limit()``.

    Parameters
    ----------
    nbytes : int
        Bytes the decoded arrays would take.
    path : Path or str
        The file being loaded, named in the message.
    what : str
        What would be decoded, e.g. ``"the images"``.
    limit : int, optional
        The limit to use (default ``memory_limit()``), for loops that check repeatedly.
    """
    limit = memory_limit() if limit is None else limit
    if nbytes > limit:
        raise DataError(f"{path}: {what} would need {human_bytes(nbytes)} of memory, more "
                        f"than the {human_bytes(limit)} limit (half the available RAM); "
                        "use a smaller part of the data or free some memory")


def check_file(path: Path | str) -> Path:
    """``path`` as a ``Path`` if it is an existing, readable, non-empty regular file.

    Raises
    ------
    DataError
        Naming the path and what is wrong with it.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: no such file; check the path")
    if not path.is_file():
        raise DataError(f"{path}: is not a regular file (a folder?); choose a data file")
    try:
        size = path.stat().st_size
    except OSError as err:
        raise DataError(f"{path}: cannot be read ({err.strerror})") from err
    if size == 0:
        raise DataError(f"{path}: the file is empty (0 bytes); choose a file with data")
    if not os.access(path, os.R_OK):
        raise DataError(f"{path}: permission denied; check the file's permissions")
    return path
