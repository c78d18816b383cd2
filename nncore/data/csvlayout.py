"""How a text table is laid out: delimiter, decimal mark, header, names, the UCI layout.

Decided from a sample of the first lines before pandas reads the body (the rules are in
``nncore.data.table``'s docstring).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nncore.errors import DataError

DELIMITERS = {"\t": "tab", ";": "semicolon", ",": "comma", "|": "bar", " ": "whitespace"}
"""Delimiters, in order of preference, with their names (``" "``: runs of whitespace)."""
DELIMITER_ALIASES = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "bar": "|",
                     "pipe": "|", "space": " ", "whitespace": " "}
MISSING_TOKENS = ("", "NA", "N/A", "n/a", "na", "NaN", "nan", "-nan", "NAN", "null", "NULL",
                  "None", "none", "?", "-", ".", "#N/A", "<NA>", "missing")
"""Cells read as missing values."""
LINE_BREAK = re.compile(r"\r\n|\r|\n")
SNIFF_BYTES = 256 * 1024
SNIFF_LINES = 40
MAX_LINE_CHARS = 8 * 2**20


@dataclass(frozen=True)
class Layout:
    delimiter: str
    names: list[str]
    header_line: int | None
    first_line: int
    decimal: str = "."
    comment: str | None = None
    uci_classes: tuple[str, ...] | None = None
    uci_rows: int | None = None
    comment_lines: tuple[int, ...] = ()  # comment lines seen in the sample (pandas skips them)
    padded: bool = False  # cells start with spaces after the delimiter ("1, red, 2.5")


# --------------------------------------------------------------------------- helpers


def clean_name(text: Any) -> str:
    """A column name without surrounding whitespace and quotes (``'vote'`` -> ``vote``)."""
    name = str(text).strip()
    while len(name) >= 2 and name[0] == name[-1] and name[0] in "'\"`":
        name = name[1:-1].strip()
    return name


def unique_names(names: list[str]) -> list[str]:
    """Names made unique and non-empty: ``row names`` for a blank first name, ``column N``
    for other blanks, `` (2)`` for repeats."""
    out: list[str] = []
    seen: set[str] = set()
    for i, raw in enumerate(names):
        # a blank first name is the index of pandas' to_csv or R's write.csv: row names
        base = clean_name(raw) or ("row names" if i == 0 else f"column {i + 1}")
        name, k = base, 2
        while name in seen:
            name, k = f"{base} ({k})", k + 1
        seen.add(name)
        out.append(name)
    return out


def is_number(text: str, decimal_comma: bool = False) -> bool:
    """Whether ``text`` reads as a number (``1,5`` too when ``decimal_comma``)."""
    try:
        float(text.replace(",", ".") if decimal_comma else text)
    except ValueError:
        return False
    return True


def _is_missing(text: str) -> bool:
    return text.strip() in MISSING_TOKENS


def normalise_delimiter(path: Path | str, delimiter: str | None) -> str | None:
    """``delimiter`` as one of ``DELIMITERS`` (names such as ``tab`` accepted)."""
    if delimiter is None:
        return None
    value = DELIMITER_ALIASES.get(str(delimiter).lower(), delimiter)
    if value not in DELIMITERS:
        raise DataError(f"{path}: unknown delimiter {delimiter!r}; use ',', ';', tab, '|' or "
                        "whitespace")
    return value


# --------------------------------------------------------------------------- layout


def _sample_lines(path: Path, text: str, complete: bool) -> list[tuple[int, str]]:
    """(line number, text) of the sample's non-blank, non-comment lines."""
    lines = LINE_BREAK.split(text)
    if not complete and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut off
    out: list[tuple[int, str]] = []
    for number, line in enumerate(lines, start=1):
        if len(line) > MAX_LINE_CHARS:
            raise DataError(f"{path}: line {number} is longer than {MAX_LINE_CHARS:,} "
                            "characters; this does not look like a table")
        if "\x00" in line:
            raise DataError(f"{path}: line {number} holds NUL bytes; this looks like a binary "
                            "file, not CSV text")
        if line.strip() and not line.lstrip().startswith("#"):
            out.append((number, line))
        if len(out) >= SNIFF_LINES:
            break
    return out


def split_lines(lines: list[str], delimiter: str) -> list[list[str]]:
    """The cells of ``lines`` (``" "``: runs of whitespace, quotes respected)."""
    if delimiter == " ":
        return list(csv.reader([line.strip() for line in lines], delimiter=" ",
                               skipinitialspace=True))
    return list(csv.reader(lines, delimiter=delimiter))


def _sniff_delimiter(lines: list[str]) -> str:
    """The delimiter that splits the sample lines most consistently."""
    best, best_width = ",", 1
    for delimiter in DELIMITERS:
        widths = [len(row) for row in split_lines(lines, delimiter)]
        body = widths[1:] or widths
        # a header one shorter than the rows (R row names) or a UCI first line are fine
        if body and min(body) > 1 and len(set(body)) == 1 and widths[0] >= body[0] - 1:
            return delimiter
        if body and max(body) > best_width and delimiter != " ":
            best, best_width = delimiter, max(body)
    return best


_COMMA_DECIMAL = re.compile(r"^[+-]?\d+,\d+$")


def _decimal(rows: list[list[str]], delimiter: str) -> str:
    if delimiter == ",":
        return "."
    cells = [c.strip() for row in rows for c in row]
    return "," if any(_COMMA_DECIMAL.match(c) for c in cells) else "."


def _column_is_numeric(cells: list[str], comma: bool) -> bool:
    present = [c.strip() for c in cells if not _is_missing(c)]
    return bool(present) and all(is_number(c, comma) for c in present)


def has_header(first: list[str], body: list[list[str]], comma: bool) -> bool:
    """Whether the first row names the columns (see the module docstring)."""
    cells = [c.strip() for c in first]
    if not body:
        return not any(is_number(c, comma) for c in cells)
    columns = [[row[i] for row in body if i < len(row)] for i in range(len(cells))]
    text = [i for i, c in enumerate(cells) if c and not is_number(c, comma)
            and not _is_missing(c)]
    if any(_column_is_numeric(columns[i], comma) for i in text):
        return True
    if any(is_number(c, comma) for c in cells):
        return False
    below = [{v.strip() for v in columns[i]} for i in text]
    return not any(cells[i] in seen for i, seen in zip(text, below, strict=True))


def _uci(rows: list[list[str]], comma: bool) -> tuple[tuple[str, ...], int] | None:
    """(class names, rows announced) if the first row is a UCI ``n,d,names...`` line."""
    cells = [c.strip() for c in rows[0]]
    if len(cells) < 4 or not (cells[0].isdigit() and cells[1].isdigit()):
        return None
    if any(is_number(c, comma) for c in cells[2:]) or len(rows) < 2:
        return None
    if len(rows[1]) != int(cells[1]) + 1:
        return None
    return tuple(cells[2:]), int(cells[0])


def detect_layout(path: Path, text: str, complete: bool, delimiter: str | None,
                  header: bool | None) -> Layout:
    """The layout of a table from a decoded sample of its start (``complete``: the whole
    file)."""
    sample = _sample_lines(path, text, complete)
    if not sample:
        raise DataError(f"{path}: holds no data (only blank or comment lines)")
    numbers, lines = zip(*sample, strict=True)
    try:
        delimiter = delimiter or _sniff_delimiter(list(lines))
        rows = split_lines(list(lines), delimiter)
    except csv.Error as err:
        raise DataError(f"{path}: cannot be read as a table ({err}); check the quotes and "
                        "line ends") from None
    comma = _decimal(rows[1:] or rows, delimiter) == ","
    comments = tuple(i for i, line in enumerate(LINE_BREAK.split(text), start=1)
                     if line.lstrip().startswith("#"))
    decimal, comment = ("," if comma else "."), ("#" if comments else None)
    padded = delimiter != " " and f"{delimiter} " in text
    uci = None if header is False else _uci(rows, comma)
    if uci is not None:
        names = [f"x{i + 1}" for i in range(len(rows[1]) - 1)] + ["class"]
        return Layout(delimiter, names, numbers[0], numbers[1], decimal, comment, *uci,
                      comment_lines=comments, padded=padded)
    if header is None:
        header = has_header(rows[0], rows[1:], comma)
    if not header:
        width = max(len(r) for r in rows)
        return Layout(delimiter, [f"column {i + 1}" for i in range(width)], None,
                      numbers[0], decimal, comment, comment_lines=comments, padded=padded)
    first_line = numbers[1] if len(numbers) > 1 else numbers[0] + 1
    return Layout(delimiter, list(rows[0]), numbers[0], first_line, decimal, comment,
                  comment_lines=comments, padded=padded)
