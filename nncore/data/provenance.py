"""Recognise a data file again: a fingerprint of its size and content.

A project stores the fingerprint of the file its import recipe was made on
(``DataSpec.fingerprint``), so opening it elsewhere with a moved, replaced or edited file
says so instead of silently re-applying the recipe to different data. The fingerprint
hashes the size and three 64 KiB windows (start, middle, end): cheap for a large file,
and any edit that changes the size or touches those windows is caught.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from nncore.errors import DataError

WINDOW = 64 * 1024


def file_fingerprint(path: Path | str) -> str:
    """``"<size>:<blake2b hex>"`` of the file (raises ``DataError`` if it cannot be read)."""
    path = Path(path)
    try:
        size = path.stat().st_size
        digest = hashlib.blake2b(str(size).encode(), digest_size=16)
        with open(path, "rb") as f:
            for offset in sorted({0, max(size // 2 - WINDOW // 2, 0), max(size - WINDOW, 0)}):
                f.seek(offset)
                digest.update(f.read(WINDOW))
    except OSError as err:
        raise DataError(f"{path}: cannot be read ({err.strerror or err})") from err
    return f"{size}:{digest.hexdigest()}"


def check_fingerprint(path: str, expected: str) -> None:
    """Raise a clear ``DataError`` if the file is gone or not the one the recipe was made on."""
    file = Path(path)
    if not file.exists():
        raise DataError(f"{path}: the data file is not there (moved, renamed or deleted?); "
                        "locate it (in the app: Data > Locate file) or pass --data NEW_PATH")
    if expected and file_fingerprint(file) != expected:
        raise DataError(f"{path}: the file has changed since this project's import recipe "
                        "was made (different size or content); open it again to check the "
                        "columns, or pass --data with the file to accept it as it is now")
