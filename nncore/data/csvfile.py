"""Read a CSV table (comma, semicolon or tab separated; optionally gzip-compressed).

Rules, in the order they are applied:

- The text is UTF-8 (a byte-order mark is fine); if it is not, Latin-1 is assumed.
  Blank lines and lines starting with ``#`` are skipped.
- The delimiter is the first of tab, semicolon, comma that splits the first lines into
  the same number (> 1) of fields. With semicolon or tab, a decimal comma (``1,5``) is read
  as ``1.5``.
- The first row is a header when one of its non-empty cells is not a number while the cell
  below it is (or when ``header=True``). The UCI layout of the shipped sets, a first line
  ``n_samples,n_features,class_name_0,class_name_1,...`` (two or more class names, rows of
  ``n_features + 1`` fields) with integer class codes in the last column, is recognised too.
- The target is the last column unless ``target`` names a header column or gives a
  0-based column number (negative numbers count from the end).
- Targets: text labels are classes (sorted); whole numbers are classes when there are at
  most ``MAX_AUTO_CLASSES`` distinct values; other numbers are regression targets.
  ``task="classification"`` or ``"regression"`` overrides the guess.
- Every other column must hold finite numbers. Errors give the 1-based line and column.

Rows are converted to float32 in bounded blocks, so memory stays close to the size of the
result; a plain file whose result could exceed the memory limit is refused before reading,
and the running total is checked after every block (which also stops a gzip bomb).
"""

from __future__ import annotations

import csv
import gzip
import itertools
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import numpy as np

from nncore.data.assemble import encode_labels, file_dataset, first_bad_value
from nncore.data.csvlayout import (
    DELIMITERS,
    Layout,
    detect_layout,
    is_number,
    sniff_delimiter,
    target_index,
)
from nncore.data.dataset import Dataset
from nncore.data.limits import check_file, check_fits, memory_limit
from nncore.errors import DataError

CSV_TASKS = ("auto", "classification", "regression")
MAX_AUTO_CLASSES = 100
MAX_LINE_CHARS = 8 * 2**20
MAX_CELL_CHARS = 256  # longer is neither a number nor a sensible class label
BLOCK_CHARS = 8 * 2**20  # characters converted at once (x4 bytes as a NumPy str array)
SNIFF_LINES = 20

_strings = getattr(np, "strings", np.char)  # np.strings from NumPy 2.0, np.char before


def load_csv(path: Path | str, *, target: str | int | None = None,
             delimiter: str | None = None, header: bool | None = None,
             task: str = "auto") -> Dataset:
    """Load a CSV file as a data set (see the module docstring for the rules).

    Parameters
    ----------
    path : Path or str
        A ``.csv``/``.tsv``/``.txt`` file, or one compressed with gzip.
    target : str or int, optional
        Target column: a header name or a 0-based index (default: the last column).
    delimiter : {",", ";", "\\t"}, optional
        Skip the detection.
    header : bool, optional
        Whether the first row is a header (default: detected).
    task : {"auto", "classification", "regression"}
        How to read the target column.

    Returns
    -------
    Dataset
        ``x`` float32 of shape (n_samples, n_features); ``y`` int64 labels of shape
        (n_samples,) or float32 targets of shape (n_samples, 1).
    """
    path = check_file(path)
    delimiter = _check_options(path, delimiter, header, task)
    check_fits(4 * _text_size(path), path, "the table")
    try:
        try:
            return _load(path, "utf-8-sig", target, delimiter, header, task)
        except UnicodeDecodeError:
            return _load(path, "latin-1", target, delimiter, header, task)
    except (EOFError, zlib.error, gzip.BadGzipFile) as err:
        raise DataError(f"{path}: the gzip file is damaged or truncated ({err}); "
                        "download or compress it again") from err
    except OSError as err:
        raise DataError(f"{path}: cannot be read ({err})") from err


def _check_options(path: Path, delimiter: str | None, header: bool | None,
                   task: str) -> str | None:
    aliases = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";"}
    delimiter = aliases.get(delimiter, delimiter) if isinstance(delimiter, str) else delimiter
    if delimiter is not None and delimiter not in DELIMITERS:
        raise DataError(f"{path}: unknown delimiter {delimiter!r}; use ',', ';' or tab")
    if header not in (None, True, False):
        raise DataError(f"{path}: header must be true or false, got {header!r}")
    if task not in CSV_TASKS:
        raise DataError(f"{path}: unknown task {task!r}; use one of {list(CSV_TASKS)}")
    return delimiter


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(2) == b"\x1f\x8b"


def _text_size(path: Path) -> int:
    """Characters of text in a plain file; 0 for gzip, whose size is checked while reading.

    (The gzip trailer's size field cannot be trusted before the file has been read: in a
    truncated file it is arbitrary bytes.)
    """
    return 0 if _is_gzip(path) else path.stat().st_size


def _open_text(path: Path, encoding: str) -> TextIO:
    if _is_gzip(path):
        return gzip.open(path, "rt", encoding=encoding, newline="")
    return open(path, encoding=encoding, newline="")


def _bounded_lines(f: TextIO, path: Path) -> Iterator[str]:
    """The file's lines, refusing any longer than ``MAX_LINE_CHARS`` before reading it all."""
    for number in itertools.count(1):
        line = f.readline(MAX_LINE_CHARS + 1)
        if not line:
            return
        if len(line) > MAX_LINE_CHARS:
            raise DataError(f"{path}: line {number} is longer than {MAX_LINE_CHARS:,} "
                            "characters; this does not look like a table")
        if "\x00" in line:
            raise DataError(f"{path}: line {number} holds NUL bytes; this looks like a binary "
                            "file, not CSV text")
        yield line


def _rows(lines: Iterator[str], delimiter: str, path: Path) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of every row that is not blank or a comment."""
    reader = csv.reader(lines, delimiter=delimiter)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            raise DataError(f"{path}: line {reader.line_num + 1}: {err}") from err
        if not row or all(not cell.strip() for cell in row) or row[0].lstrip().startswith("#"):
            continue
        yield reader.line_num, row


def _load(path: Path, encoding: str, target: str | int | None, delimiter: str | None,
          header: bool | None, task: str) -> Dataset:
    with _open_text(path, encoding) as f:
        lines = _bounded_lines(f, path)
        head = list(itertools.islice(lines, SNIFF_LINES))
        delimiter = delimiter or sniff_delimiter(head)
        rows = _rows(itertools.chain(head, lines), delimiter, path)
        start = list(itertools.islice(rows, 2))
        if not start:
            raise DataError(f"{path}: holds no data (only blank or comment lines)")
        layout = detect_layout(start[0], start[1] if len(start) > 1 else None, delimiter, header)
        if layout.width < 2:
            raise DataError(f"{path}: found a single column (reading it as "
                            f"{DELIMITERS[delimiter]}-separated); a data set needs input "
                            "columns and a target column")
        column = target_index(target, layout, path)
        body = start[1:] if layout.header_line is not None else start
        reader = _BlockReader(layout, column, path)
        for line, row in itertools.chain(body, rows):
            reader.add(line, row)
        x, targets, lines = reader.result()
    y, class_names = _encode_target(targets, lines, layout, column, task, path)
    features = [n for i, n in enumerate(layout.names) if i != column]
    if layout.header_line is None or layout.uci_classes is not None:
        features = [f"x{i + 1}" for i in range(len(features))]
    return file_dataset(path, x, y, class_names=class_names, feature_names=features,
                        kind="table")


class _BlockReader:
    """Collects data rows and converts them to arrays in blocks of bounded size.

    A block holds at most ``BLOCK_CHARS`` characters as a NumPy string array (cells are
    at most ``MAX_CELL_CHARS`` long), so parsing needs little memory beyond the result.
    """

    def __init__(self, layout: Layout, column: int, path: Path) -> None:
        self.layout, self.column, self.path = layout, column, path
        self.features = [i for i in range(layout.width) if i != column]
        self.rows: list[list[str]] = []
        self.lines: list[int] = []
        self.longest = 0
        self.done: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.nbytes, self.limit = 0, memory_limit()
        self.first_line: int | None = None

    def add(self, line: int, row: list[str]) -> None:
        """Take one data row (raises ``DataError`` for a ragged row or a huge cell)."""
        self._check(line, row)
        longest = max(map(len, row))
        if self.rows and (len(self.rows) + 1) * self.layout.width * \
                max(self.longest, longest) > BLOCK_CHARS:
            self.flush()
        self.rows.append(row)
        self.lines.append(line)
        self.longest = max(self.longest, longest)

    def _check(self, line: int, row: list[str]) -> None:
        layout = self.layout
        if self.first_line is None:
            self.first_line = line
        if len(row) != layout.width:
            where = (f"the header (line {layout.header_line})" if layout.header_line is not None
                     else f"line {self.first_line}")
            raise DataError(f"{self.path}: line {line} has {len(row)} fields but {where} has "
                            f"{layout.width} ({DELIMITERS[layout.delimiter]}-separated); "
                            "every row needs the same number of columns")
        for c, cell in enumerate(row):
            if len(cell) > MAX_CELL_CHARS:
                raise DataError(f"{self.path}: line {line}, column {c + 1} "
                                f"({layout.names[c]!r}): a value of {len(cell):,} characters "
                                "is too long for a number or a class label")

    def flush(self) -> None:
        """Convert the collected rows and check the running total against the limit."""
        if not self.rows:
            return
        x, targets = _convert(self.rows, self.lines, self.features, self.column, self.layout,
                              self.path)
        lines = np.asarray(self.lines, dtype=np.int64)
        self.done.append((x, targets, lines))
        self.nbytes += x.nbytes + targets.nbytes + lines.nbytes
        self.rows, self.lines, self.longest = [], [], 0
        check_fits(self.nbytes, self.path, "the table", self.limit)

    def result(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Inputs (float32), target cells (str) and their 1-based line numbers."""
        self.flush()
        if not self.done:
            raise DataError(f"{self.path}: has a header but no data rows")
        return tuple(np.concatenate(parts) for parts in zip(*self.done, strict=True))


def _numbers(cells: np.ndarray, decimal_comma: bool) -> np.ndarray:
    """``cells`` parsed as float64 (raises ValueError on any non-number)."""
    if decimal_comma:
        cells = _strings.replace(cells, ",", ".")
    return cells.astype(np.float64)


def _convert(block: list[list[str]], lines: list[int], features: list[int], column: int,
             layout: Layout, path: Path) -> tuple[np.ndarray, np.ndarray]:
    cells = np.array(block, dtype=str).reshape(len(block), layout.width)
    comma = layout.delimiter != ","
    try:
        values = _numbers(cells[:, features], comma)
    except ValueError:
        values = None
    where = None if values is None else first_bad_value(values)
    if values is None or where is not None:
        _raise_bad_cell(cells, lines, features, layout, path)
    return values.astype(np.float32), cells[:, column]


def _raise_bad_cell(cells: np.ndarray, lines: list[int], features: list[int],
                    layout: Layout, path: Path) -> None:
    """Find the first cell that is not a finite number and raise a message about it."""
    comma = layout.delimiter != ","
    for r, row in enumerate(cells):
        for c in features:
            text = str(row[c]).strip()
            place = f"{path}: line {lines[r]}, column {c + 1} ({layout.names[c]!r})"
            if not text:
                raise DataError(f"{place} is empty (a missing value); fill it in or remove "
                                "the row")
            if not is_number(text, comma):
                raise DataError(f"{place}: {text[:40]!r} is not a number; input columns must "
                                "hold numbers (is the target column right?)")
            if first_bad_value(_numbers(np.array([text]), comma)) is not None:
                raise DataError(f"{place}: {text!r} is not a finite float32 number; remove "
                                "or replace NaN, infinite and huge values")
    raise DataError(f"{path}: could not read the numbers")  # pragma: no cover


def _encode_target(cells: np.ndarray, lines: np.ndarray, layout: Layout, column: int,
                   task: str, path: Path) -> tuple[np.ndarray, tuple[str, ...]]:
    """Labels and class names, or float32 regression targets of shape (n, 1) and ()."""
    name = layout.names[column]
    what = f"the target column {name!r}"
    text = _strings.strip(cells)
    empty = np.flatnonzero(_strings.str_len(text) == 0)
    if len(empty):
        raise DataError(f"{path}: line {lines[empty[0]]}: {what} is empty; every row needs a "
                        "target value")
    integer = bool(_strings.isdigit(_strings.lstrip(text, "+-")).all())
    try:
        numbers = _numbers(text, layout.delimiter != ",")
    except ValueError:
        numbers = None
    if layout.uci_classes is not None and task != "regression":
        return _uci_labels(numbers if integer else None, lines, layout, path)
    if task == "regression" or (task == "auto" and numbers is not None and not (
            integer and len(np.unique(numbers)) <= MAX_AUTO_CLASSES)):
        if numbers is None:
            bad = next(i for i, t in enumerate(text.tolist()) if not is_number(t, True))
            raise DataError(f"{path}: line {lines[bad]}: {str(text[bad])!r} in {what} is not a "
                            "number, but regression needs numeric targets")
        where = first_bad_value(numbers)
        if where is not None:
            raise DataError(f"{path}: line {lines[where[0]]}: {what} holds "
                            f"{str(text[where[0]])!r}; targets must be finite numbers")
        return numbers.astype(np.float32).reshape(-1, 1), ()
    if integer and numbers is not None:
        return encode_labels(numbers.astype(np.int64), path, what)
    return encode_labels(numbers if numbers is not None else text, path, what)


def _uci_labels(codes: np.ndarray | None, lines: np.ndarray, layout: Layout,
                path: Path) -> tuple[np.ndarray, tuple[str, ...]]:
    """Integer class codes indexing the class names of a UCI header line."""
    names = layout.uci_classes or ()
    k = len(names)
    if codes is None or codes.min() < 0 or codes.max() >= k:
        raise DataError(f"{path}: the last column must hold class numbers 0 to {k - 1} (the "
                        f"header names {k} classes)")
    if len(codes) != layout.uci_rows:
        raise DataError(f"{path}: the header (line {layout.header_line}) announces "
                        f"{layout.uci_rows} rows but the file holds {len(codes)}; the file is "
                        "incomplete or the header is wrong")
    labels = codes.astype(np.int64)
    if k < 2 or len(np.unique(labels)) < 2:
        raise DataError(f"{path}: has a single class; a classifier needs at least two")
    return labels, names

