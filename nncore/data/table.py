"""Read a user's table (CSV/TSV/text, gzip or zip compressed, or ``.xlsx``) with pandas.

``read_table`` decides the layout from the first lines, then lets pandas' C parser read
the body in chunks (so a large file reports progress and can be cancelled):

- Encoding: UTF-8 (a byte-order mark is fine), else Latin-1.
- Delimiter: the first of tab, semicolon, comma, ``|`` that splits the sample lines into
  the same number (> 1) of fields; else runs of whitespace. With a semicolon, tab or
  whitespace delimiter, decimal commas (``1,5``) are read as ``1.5`` when the sample holds
  them. Blank lines and lines starting with ``#`` are skipped.
- Header: the first row is a header when a text cell sits above numbers, or when every
  cell is text and none of them reappears below it (``header=True/False`` overrides).
  Names lose surrounding quotes (``'vote'`` -> ``vote``); an empty name becomes
  ``column N``; repeated names get `` (2)``, `` (3)``. A header one field shorter than the
  rows (R's ``write.table`` with row names) gets a first column ``row names``. A trailing
  delimiter on every row (an empty last column) is dropped.
- The UCI layout of the shipped sets (``n_samples,n_features,class0,class1,...``) is
  recognised; its class codes are mapped to the names by ``nncore.data.tabular``.
- Missing cells: empty, ``NA``, ``N/A``, ``NaN``, ``null``, ``None``, ``?``, ``-``.

Nothing is converted to numbers for training here: that is ``nncore.data.tabular``'s job.
"""

from __future__ import annotations

import contextlib
import gzip
import re
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nncore.data import hints, segments
from nncore.data.csvlayout import (
    DELIMITERS,
    MISSING_TOKENS,
    SNIFF_BYTES,
    SNIFF_LINES,
    Layout,
    clean_name,
    detect_layout,
    has_header,
    normalise_delimiter,
    unique_names,
)
from nncore.data.limits import LoadCancelled, check_file, check_fits, memory_limit
from nncore.data.opener import container, decode_sample, open_binary, read_sample
from nncore.errors import DataError

__all__ = ["DELIMITERS", "MISSING_TOKENS", "LoadCancelled", "RawTable", "clean_name",
           "read_table"]
CHUNK_ROWS = 200_000
"""Rows pandas parses per chunk: progress and cancel are checked between chunks."""
WHOLE_READ_BYTES = 128 * 2**20
"""Plain files up to this size are read in one call even when progress is watched: pandas
then parses them on every core (three times faster here than chunk by chunk), in well
under a second here; progress jumps to the end and a cancel takes effect after it."""

ProgressFn = Callable[[float], None]
CancelFn = Callable[[], bool]


@dataclass
class RawTable:
    """A table as read: a frame of raw cells plus where it came from.

    ``frame`` has one column per file column, named by ``names``; cells are pandas'
    guesses (float64 for clean numbers, strings otherwise), missing cells NaN.
    ``line_of(i)`` is the file line (1-based; the sheet row for ``.xlsx``) of row ``i``.
    """

    path: Path
    frame: pd.DataFrame
    names: tuple[str, ...]
    delimiter: str | None
    header_line: int | None
    first_line: int
    encoding: str = "utf-8"
    fmt: str = "csv"
    uci_classes: tuple[str, ...] | None = None
    uci_rows: int | None = None
    notes: list[str] = field(default_factory=list)
    comment_lines: tuple[int, ...] = ()

    def line_of(self, row: int) -> int:
        """The 1-based line (sheet row) of the frame's row labelled ``row``.

        Comment lines that pandas skipped are counted back in when they were seen in the
        sample (the first 256 KB); later ones are not known.
        """
        line = self.first_line + int(row)
        for comment in self.comment_lines:
            if self.first_line <= comment <= line:
                line += 1
        return line

    @property
    def place(self) -> str:
        """``line`` for text files, ``row`` for spreadsheets."""
        return "row" if self.fmt == "xlsx" else "line"


# --------------------------------------------------------------------------- reading


def _fit_names(path: Path, frame: pd.DataFrame, layout: Layout) -> list[str]:
    """Header names matched to the frame's width (row names, trailing delimiter)."""
    names, width = list(layout.names), frame.shape[1]
    if width == len(names) > 1 and not clean_name(names[-1]) and frame.iloc[:, -1].isna().all():
        del frame[frame.columns[-1]]  # a trailing delimiter on every line, header too
        return unique_names(names[:-1])
    if width == len(names) + 1 and frame.iloc[:, -1].isna().all():
        del frame[frame.columns[-1]]
        return unique_names(names)
    if width == len(names) + 1 and layout.header_line is not None:
        return unique_names(["row names", *names])
    if width == len(names) - 1 and layout.header_line is not None and not clean_name(names[-1]):
        return unique_names(names[:-1])  # a trailing delimiter on the header only
    if width < len(names):
        for _ in range(len(names) - width):
            frame[f"__pad{frame.shape[1]}"] = float("nan")
        return unique_names(names)
    if width != len(names):
        where = f"the header (line {layout.header_line})" if layout.header_line else \
            f"line {layout.first_line}"
        raise DataError(f"{path}: rows have {width} fields but {where} has {len(names)} "
                        f"({DELIMITERS[layout.delimiter]}-separated); every row needs the same "
                        "number of columns")
    return unique_names(names)


_FIELDS = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


def _parser_error(path: Path, err: Exception, layout: Layout) -> DataError:
    match = _FIELDS.search(str(err))
    how = f"{DELIMITERS[layout.delimiter]}-separated"
    if match:
        expected, line, saw = match.groups()
        return DataError(f"{path}: line {line} has {saw} fields but the rows above have "
                         f"{expected} ({how}); fix that row, quote cells holding the "
                         "delimiter, or choose the delimiter yourself")
    text = str(err).replace("Error tokenizing data. C error: ", "").strip()
    return DataError(f"{path}: cannot be read as a {how} table ({text}); check the file or "
                     "choose the delimiter yourself")


def _csv_options(layout: Layout, encoding: str) -> dict[str, Any]:
    """``pandas.read_csv`` settings for the body of a table with ``layout``."""
    return {"sep": r"\s+" if layout.delimiter == " " else layout.delimiter, "header": None,
            "skiprows": layout.first_line - 1, "skip_blank_lines": False, "index_col": False,
            "na_values": list(MISSING_TOKENS), "keep_default_na": True, "encoding": encoding,
            "decimal": layout.decimal, "comment": layout.comment, "engine": "c",
            "skipinitialspace": layout.padded}


def _read_chunks(path: Path, kind: str, layout: Layout, encoding: str,
                 progress: ProgressFn | None, cancel: CancelFn | None,
                 max_rows: int | None, line_bytes: float,
                 dtypes: dict[int, str] | None = None,
                 splittable: bool = False) -> pd.DataFrame:
    """The body as one frame, read in chunks of ``CHUNK_ROWS`` rows.

    A plain file is handed to pandas by name (its C reader is fastest), in one piece when
    nobody watches the progress or it is at most ``WHOLE_READ_BYTES`` (pandas reads it in
    parallel, with no copy joining chunks). A larger one that is watched is read in byte
    segments on a thread pool (``nncore.data.segments``) when ``splittable`` (line ends
    are ``\n``, no quotes before the body), else in chunks, its progress estimated from
    the rows read and the sample's bytes per line. Compressed files go through a counting
    stream, whose position gives the progress, and are always read in chunks so the
    memory limit is checked as they decompress.
    """
    chunks: list[pd.DataFrame] = []
    nbytes, limit = 0, memory_limit()
    with contextlib.ExitStack() as stack:
        if kind == "plain":
            source: Any = str(path)
            counter, total = None, max(path.stat().st_size, 1)
        else:
            source, counter, total = stack.enter_context(open_binary(path, kind))
        watched = progress is not None or cancel is not None
        whole = kind == "plain" and (not watched or total <= WHOLE_READ_BYTES)
        if kind == "plain" and not whole and max_rows is None and splittable:
            frame = segments.read_segments(path, layout.first_line - 1, {**_csv_options(
                layout, encoding), "skiprows": None}, dtypes, progress, cancel)
            if frame is not None:
                return frame
        reader = pd.read_csv(source, chunksize=None if whole else CHUNK_ROWS, nrows=max_rows,
                             dtype=dtypes or None, **_csv_options(layout, encoding))
        if whole:  # read_table checked the size first
            if cancel is not None and cancel():
                raise LoadCancelled(f"{path}: loading was cancelled")
            if progress is not None:
                progress(1.0)
            return reader
        rows = 0
        with reader:
            for chunk in reader:
                chunks.append(chunk)
                rows += len(chunk)
                nbytes += int(chunk.memory_usage(index=False, deep=False).sum())
                check_fits(nbytes, path, "the table", limit)
                if progress is not None:
                    done = counter.count if counter is not None else rows * line_bytes
                    progress(min(done / total, 1.0))
                if cancel is not None and cancel():
                    raise LoadCancelled(f"{path}: loading was cancelled")
    mixed = segments.mixed_columns(chunks)
    if mixed:  # numbers in one chunk, text in another: read those columns as text
        chunks.clear()
        return _read_chunks(path, kind, layout, encoding, progress, cancel, max_rows,
                            line_bytes, {**(dtypes or {}), **dict.fromkeys(mixed, "str")})
    if progress is not None:
        progress(1.0)
    if not chunks:
        return pd.DataFrame()
    frame = chunks[0] if len(chunks) == 1 else pd.concat(chunks, ignore_index=True)
    chunks.clear()
    return frame


def _read_text(path: Path, kind: str, delimiter: str | None, header: bool | None,
               encoding: str | None, progress: ProgressFn | None,
               cancel: CancelFn | None, max_rows: int | None) -> RawTable:
    data = read_sample(path, kind)
    text, encoding = decode_sample(path, data, encoding)
    layout = detect_layout(path, text, len(data) < SNIFF_BYTES, delimiter, header)
    line_bytes = len(data) / max(data.count(b"\n"), 1)
    options = _csv_options(layout, "utf-8")
    del options["encoding"]
    dtypes = hints.category_columns(text, options)
    splittable = segments.can_split(text, layout.first_line, encoding)

    def read(layout: Layout) -> tuple[pd.DataFrame, str]:
        try:
            return _read_chunks(path, kind, layout, encoding, progress, cancel, max_rows,
                                line_bytes, dtypes, splittable), encoding
        except UnicodeDecodeError:  # Latin-1 decodes any byte
            return _read_chunks(path, kind, layout, "latin-1", progress, cancel, max_rows,
                                line_bytes, dtypes, splittable), "latin-1"

    try:
        try:
            frame, encoding = read(layout)
        except pd.errors.ParserError:
            if layout.padded:
                raise
            # Skipping spaces after the delimiter costs the parser a quarter of its time,
            # so it is done only when the sample shows such spaces; a quote after a space
            # further down (1, "a, b") splits wrongly without it: read again skipping them.
            layout = replace(layout, padded=True)
            frame, encoding = read(layout)
        if not layout.padded and hints.quoted_after_space(frame):  # 1, "a": the quotes were kept
            layout = replace(layout, padded=True)
            frame, encoding = read(layout)
    except pd.errors.EmptyDataError:
        frame = pd.DataFrame()
    except pd.errors.ParserError as err:
        raise _parser_error(path, err, layout) from None
    if frame.shape[1]:
        frame.columns = range(frame.shape[1])
    names = _fit_names(path, frame, layout) if frame.shape[1] else unique_names(layout.names)
    frame.columns = names[:frame.shape[1]] if frame.shape[1] else []
    return RawTable(path, frame, tuple(names), layout.delimiter, layout.header_line,
                    layout.first_line, encoding, "csv", layout.uci_classes, layout.uci_rows,
                    comment_lines=layout.comment_lines)


def _read_xlsx(path: Path, header: bool | None, max_rows: int | None) -> RawTable:
    check_fits(20 * path.stat().st_size, path, "the spreadsheet")
    try:
        raw = pd.read_excel(path, sheet_name=0, header=None, engine="openpyxl",
                            nrows=max_rows)
    except Exception as err:  # openpyxl raises many kinds for a damaged workbook
        raise DataError(f"{path}: the spreadsheet cannot be read ({type(err).__name__}: "
                        f"{err}); save it again as .xlsx or as CSV") from None
    raw = raw.dropna(how="all").dropna(axis=1, how="all")
    if raw.empty:
        raise DataError(f"{path}: the first sheet holds no data; put the table on the first "
                        "sheet")
    rows = [["" if pd.isna(v) else str(v) for v in row] for row in raw.head(SNIFF_LINES)
            .itertuples(index=False)]
    first_row = int(raw.index[0]) + 1
    if header is None:
        header = has_header(rows[0], rows[1:], False)
    if header:
        names = unique_names(rows[0])
        frame = raw.iloc[1:].infer_objects()
    else:
        names = [f"column {i + 1}" for i in range(raw.shape[1])]
        frame = raw.infer_objects()
    frame.columns = names  # the index stays the sheet row - 1, for messages
    frame = frame.replace(list(MISSING_TOKENS[1:]), float("nan"))
    return RawTable(path, frame, tuple(names), None, first_row if header else None,
                    1, "xlsx", "xlsx")


def _blank_rows(frame: pd.DataFrame) -> np.ndarray:
    """Rows with no value at all, checking later columns only for rows still empty."""
    if not frame.shape[1]:
        return np.zeros(len(frame), dtype=bool)
    blank = np.array(frame.iloc[:, 0].isna(), dtype=bool)
    for j in range(1, frame.shape[1]):
        rows = np.flatnonzero(blank)
        if not len(rows):
            break
        blank[rows] = frame.iloc[rows, j].isna().to_numpy()
    return blank


def read_table(path: Path | str, *, delimiter: str | None = None, header: bool | None = None,
               encoding: str | None = None, progress: ProgressFn | None = None,
               cancel: CancelFn | None = None, max_rows: int | None = None) -> RawTable:
    """Read a table file into a ``RawTable`` (rules in the module docstring).

    Parameters
    ----------
    path : Path or str
        ``.csv``/``.tsv``/``.txt`` text, gzip- or zip-compressed text, or ``.xlsx``.
    delimiter : str, optional
        ``,``, ``;``, tab, ``|`` or ``" "`` (whitespace); names such as ``tab`` work too.
    header : bool, optional
        Whether the first row names the columns (default: detected).
    encoding : str, optional
        Text encoding (default: UTF-8, else Latin-1).
    progress : callable, optional
        Called with the fraction read so far after each chunk.
    cancel : callable, optional
        Returning True stops the load with ``LoadCancelled``.
    max_rows : int, optional
        Read only this many data rows (a preview).

    Raises
    ------
    DataError
        Naming the file, the line and what to do; ``LoadCancelled`` when cancelled.
    """
    path = check_file(path)
    delimiter = normalise_delimiter(path, delimiter)
    if header not in (None, True, False):
        raise DataError(f"{path}: header must be true or false, got {header!r}")
    kind = container(path)
    if kind != "gzip":  # the decoded frame takes about as much memory as the text
        check_fits(2 * path.stat().st_size, path, "the table")
    try:
        if kind == "xlsx":
            table = _read_xlsx(path, header, max_rows)
        else:
            table = _read_text(path, kind, delimiter, header, encoding, progress, cancel,
                               max_rows)
    except (EOFError, zlib.error, gzip.BadGzipFile, zipfile.BadZipFile) as err:
        raise DataError(f"{path}: the compressed file is damaged or truncated ({err}); "
                        "download or compress it again") from err
    except OSError as err:
        raise DataError(f"{path}: cannot be read ({err})") from err
    if table.frame.shape[1] < 2 and len(table.names) < 2:
        how = DELIMITERS.get(table.delimiter or ",", "comma")
        raise DataError(f"{path}: found a single column (reading it as {how}-separated); a "
                        "data set needs input columns and a target column (choose the "
                        "delimiter if this is wrong)")
    blank = _blank_rows(table.frame)
    if blank.any():  # blank or comment lines inside the body
        table.frame = table.frame[~blank]
    if table.frame.empty:
        raise DataError(f"{path}: has a header but no data rows" if table.header_line
                        else f"{path}: holds no data rows")
    return table
