"""Read a large plain text table in byte segments on several threads, with progress.

pandas parses a whole file on every core, but only in one call: no progress, no cancel.
Read chunk by chunk it has both, on one core (three times slower here). This module
splits the body at line ends into segments of about ``SEGMENT_BYTES`` and lets a thread
pool parse them (pandas' tokeniser and number conversion release the GIL), reporting
progress and checking cancel and the memory limit as segments finish.

Splitting at a line end is wrong when the line end sits inside a quoted cell. Such a
segment ends inside an open quote, which pandas refuses. Any refused segment (also one
starting with a blank line, where pandas finds no columns), a segment wider than the
first (the serial reader would have named the line), or a column of numbers in one
segment and words in another (``mixed_columns``) makes ``read_segments`` return None, and
the caller reads the file chunk by chunk instead, which also gives the messages their
right line numbers and reads mixed columns again as text.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

import pandas as pd
from pandas.api.types import union_categoricals

from nncore.data.csvlayout import LINE_BREAK
from nncore.data.limits import LoadCancelled, check_fits, memory_limit

SEGMENT_BYTES = 32 * 2**20
"""About this many bytes of text per segment (progress and cancel come between them)."""


def workers() -> int:
    """Threads to parse with: the cores this process may use, at most 4."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, 4))


def can_split(text: str, first_line: int, encoding: str) -> bool:
    """Whether a file whose sample is ``text`` can be cut at ``\n`` bytes: an encoding
    that writes ASCII as single bytes (not UTF-16), no bare ``\r`` line ends, and no quote
    before the body (line ``first_line``) that could hide a line end from the count."""
    try:
        ascii_bytes = b"a,\n\r".decode(encoding) == "a,\n\r"
    except (UnicodeDecodeError, LookupError):
        ascii_bytes = False
    head = "\n".join(LINE_BREAK.split(text)[:max(first_line - 1, 0)])
    return ascii_bytes and "\r" not in text.replace("\r\n", "") and '"' not in head


def data_offset(path: Path, skip_lines: int) -> int:
    """The byte offset after the first ``skip_lines`` lines (ending in ``\\n``)."""
    with open(path, "rb") as f:
        for _ in range(skip_lines):
            if not f.readline():
                break
        return f.tell()


def cut_points(path: Path, start: int, size: int, pieces: int) -> list[int]:
    """Byte offsets that split ``[start, size)`` into ``pieces`` runs of whole lines."""
    cuts = [start]
    with open(path, "rb") as f:
        for k in range(1, pieces):
            f.seek(start + (size - start) * k // pieces)
            f.readline()  # to the end of the line the guess fell in
            if f.tell() > cuts[-1] and f.tell() < size:
                cuts.append(f.tell())
    cuts.append(size)
    return cuts


def _parse(path: Path, begin: int, end: int, options: dict[str, Any],
           dtypes: dict[int, str] | None) -> pd.DataFrame | None:
    with open(path, "rb") as f:
        f.seek(begin)
        text = f.read(end - begin)
    try:
        return pd.read_csv(io.BytesIO(text), dtype=dtypes or None, **options)
    except (pd.errors.ParserError, pd.errors.EmptyDataError):
        # a cut inside a quoted cell, a ragged row, or a segment starting with a blank
        # line (pandas then finds no columns): read serially
        return None


def mixed_columns(pieces: list[pd.DataFrame]) -> list[Any]:
    """Columns read as numbers in one piece of a table and as text in another.

    Joined, such a column would hold floats beside strings (``1.0`` and ``"1"``, or
    ``1.5`` for a cell written ``1.50``), unlike the same file read in one piece, where the
    whole column is text. Pieces where a column is all missing do not count.
    """
    mixed = []
    for column in pieces[0].columns if pieces else ():
        kinds = {("number" if p[column].dtype.kind in "iuf" else str(p[column].dtype))
                 for p in pieces if column in p.columns and p[column].notna().any()}
        if len(kinds) > 1:
            mixed.append(column)
    return mixed


def _join(frames: list[pd.DataFrame]) -> pd.DataFrame | None:
    """One frame (categories of a column united), or None when the pieces disagree in a
    way one read would not: a longer row below the first, numbers beside text."""
    frames = [f for f in frames if f.shape[1]]
    if not frames:
        return pd.DataFrame()
    if any(f.shape[1] > frames[0].shape[1] for f in frames) or mixed_columns(frames):
        return None
    for column in frames[0].columns:
        parts = [f[column] for f in frames if column in f.columns]
        if len(parts) < len(frames) or not all(
                isinstance(p.dtype, pd.CategoricalDtype) for p in parts):
            continue
        filled = [p.array for p in parts if len(p.cat.categories)]  # (an all-missing piece
        if filled:                                                   # has no categories)
            categories = union_categoricals(filled).categories
            for frame, part in zip(frames, parts, strict=True):
                frame[column] = part.cat.set_categories(categories)
    return pd.concat(frames, ignore_index=True)


def read_segments(path: Path, skip_lines: int, options: dict[str, Any],
                  dtypes: dict[int, str] | None,
                  progress: Callable[[float], None] | None,
                  cancel: Callable[[], bool] | None) -> pd.DataFrame | None:
    """The body of ``path`` (after ``skip_lines`` lines) read by a thread pool, or None
    when it cannot be split (read it chunk by chunk then).

    ``options`` are ``pandas.read_csv`` settings for the body (no ``skiprows``).

    Raises
    ------
    LoadCancelled
        When ``cancel()`` returns true between segments.
    DataError
        When the frames read so far would exceed the memory limit.
    """
    size = path.stat().st_size
    start = data_offset(path, skip_lines)
    pool_size = workers()
    pieces = max(2 * pool_size, round((size - start) / SEGMENT_BYTES))
    cuts = cut_points(path, start, size, pieces)
    frames: dict[int, pd.DataFrame] = {}
    done_bytes, nbytes, limit = 0, 0, memory_limit()
    with ThreadPoolExecutor(pool_size, thread_name_prefix="table-segment") as pool:
        running: dict[Future, int] = {
            pool.submit(_parse, path, cuts[i], cuts[i + 1], options, dtypes): i
            for i in range(len(cuts) - 1)}
        try:
            while running:
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    i = running.pop(future)
                    frame = future.result()
                    if frame is None:
                        return None
                    frames[i] = frame
                    done_bytes += cuts[i + 1] - cuts[i]
                    nbytes += int(frame.memory_usage(index=False, deep=False).sum())
                    check_fits(nbytes, path, "the table", limit)
                    if progress is not None:
                        progress(min(done_bytes / max(size - start, 1), 1.0))
                    if cancel is not None and cancel():
                        raise LoadCancelled(f"{path}: loading was cancelled")
        finally:
            for future in running:  # refused, cancelled or too big: drop the queue
                future.cancel()
    return _join([frames[i] for i in sorted(frames)])
