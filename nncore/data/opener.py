"""Open a table file: recognise its container, stream its bytes, decode its start.

Used by ``nncore.data.table``: plain text, gzip, a zip holding one CSV, or an ``.xlsx``
workbook (recognised by its ``xl/workbook.xml`` member).
"""

from __future__ import annotations

import contextlib
import gzip
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from nncore.data.csvlayout import SNIFF_BYTES
from nncore.errors import DataError


def container(path: Path) -> str:
    """``gzip``, ``zip``, ``xlsx`` or ``plain``, from the first bytes of the file."""
    with open(path, "rb") as f:
        start = f.read(4)
    if start[:2] == b"\x1f\x8b":
        return "gzip"
    if start[:2] == b"PK":
        try:
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
        except (zipfile.BadZipFile, OSError, ValueError) as err:
            raise DataError(f"{path}: the zip file is damaged ({err}); download it "
                            "again") from err
        return "xlsx" if "xl/workbook.xml" in names else "zip"
    return "plain"


class _Counting(io.RawIOBase):
    """A read-only binary stream that remembers how many bytes were read from it."""

    def __init__(self, raw: IO[bytes]) -> None:
        super().__init__()
        self.raw, self.count = raw, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(len(buffer))
        buffer[:len(data)] = data
        self.count += len(data)
        return len(data)

    def close(self) -> None:
        self.raw.close()
        super().close()


def _zip_member(path: Path, archive: zipfile.ZipFile) -> zipfile.ZipInfo:
    members = [m for m in archive.infolist() if not m.is_dir()
               and not m.filename.startswith(("__MACOSX/", "."))]
    if len(members) != 1:
        raise DataError(f"{path}: the zip archive holds {len(members)} files; put exactly "
                        "one CSV file in it, or unpack it and open the CSV")
    return members[0]


@contextlib.contextmanager
def open_binary(path: Path, kind: str) -> Iterator[tuple[IO[bytes], _Counting, int]]:
    """(decompressed stream, counter of compressed bytes read, bytes to read in total)."""
    with contextlib.ExitStack() as stack:
        if kind == "zip":
            archive = stack.enter_context(zipfile.ZipFile(path))
            member = _zip_member(path, archive)
            counter = stack.enter_context(_Counting(archive.open(member)))
            yield io.BufferedReader(counter), counter, max(member.file_size, 1)
            return
        counter = stack.enter_context(_Counting(stack.enter_context(open(path, "rb"))))
        size = max(path.stat().st_size, 1)
        if kind == "gzip":
            yield stack.enter_context(gzip.GzipFile(fileobj=counter)), counter, size
        else:
            yield io.BufferedReader(counter), counter, size


def read_sample(path: Path, kind: str) -> bytes:
    with open_binary(path, kind) as (stream, _, _):
        return stream.read(SNIFF_BYTES)


def decode_sample(path: Path, data: bytes, forced: str | None) -> tuple[str, str]:
    """(text, encoding) of the sample; UTF-8 unless it is not valid UTF-8."""
    if forced:
        try:
            return data.decode(forced, errors="replace"), forced
        except LookupError:
            raise DataError(f"{path}: unknown text encoding {forced!r}; use e.g. utf-8 or "
                            "latin-1") from None
    try:
        return data.decode("utf-8-sig"), "utf-8-sig"
    except UnicodeDecodeError as err:
        if err.start >= len(data) - 3 and len(data) == SNIFF_BYTES:  # a character cut off
            return data[:err.start].decode("utf-8-sig"), "utf-8-sig"
        return data.decode("latin-1"), "latin-1"
