"""How a CSV table is laid out: its delimiter, its header and its target column.

Decided from the first lines, before the body is read (rules in ``nncore.data.csvfile``).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from nncore.errors import DataError

DELIMITERS = {"\t": "tab", ";": "semicolon", ",": "comma"}
"""Delimiters tried, in order of preference, with their names."""


@dataclass(frozen=True)
class Layout:
    """How the table is laid out, decided from its first two rows."""

    delimiter: str
    names: list[str]
    width: int
    header_line: int | None  # line of the header row, if any
    uci_classes: tuple[str, ...] | None = None
    uci_rows: int | None = None


def is_number(text: str, decimal_comma: bool) -> bool:
    """Whether ``text`` reads as a number (``1,5`` too when ``decimal_comma``)."""
    try:
        float(text.replace(",", ".") if decimal_comma else text)
    except ValueError:
        return False
    return True


def sniff_delimiter(head: list[str]) -> str:
    """The delimiter that splits the sample lines most consistently."""
    sample = [line for line in head if line.strip() and not line.lstrip().startswith("#")]
    best, best_width = ",", 1
    for delimiter in DELIMITERS:
        widths = [len(row) for row in csv.reader(sample, delimiter=delimiter)]
        body = widths[1:] or widths  # the first line may be a differently sized UCI header
        if body and min(body) > 1 and len(set(body)) == 1:
            return delimiter
        if body and max(body) > best_width:
            best, best_width = delimiter, max(body)
    return best


def detect_layout(first: tuple[int, list[str]], second: tuple[int, list[str]] | None,
                  delimiter: str, header: bool | None) -> Layout:
    """Header, UCI header or none, decided from the first two (line, cells) rows."""
    line, row = first
    comma = delimiter != ","
    below = second[1] if second else []
    cells = [cell.strip() for cell in row]
    if header is not False and len(row) >= 4 and cells[0].isdigit() and cells[1].isdigit() \
            and not any(is_number(c, comma) for c in cells[2:]) \
            and len(below) == int(cells[1]) + 1:
        width = int(cells[1]) + 1
        names = [f"x{i + 1}" for i in range(width - 1)] + ["class"]
        return Layout(delimiter, names, width, line, tuple(cells[2:]), int(cells[0]))
    if header is None:
        header = any(c and not is_number(c, comma) and i < len(below)
                     and is_number(below[i].strip(), comma) for i, c in enumerate(cells)) or \
            (second is None and not any(is_number(c, comma) for c in cells))
    if header:
        return Layout(delimiter, cells, len(row), line)
    return Layout(delimiter, [f"column {i + 1}" for i in range(len(row))], len(row), None)


def target_index(target: str | int | None, layout: Layout, path: Path) -> int:
    """The 0-based column of ``target``: a header name (any case), a number, or the last."""
    names, width = layout.names, layout.width
    if target is None:
        return width - 1
    if isinstance(target, str):
        for candidates in (names, [n.lower() for n in names]):
            key = target.strip() if candidates is names else target.strip().lower()
            if key in candidates:
                return candidates.index(key)
        try:
            target = int(target)
        except ValueError:
            raise DataError(f"{path}: no column named {target!r}; the columns are "
                            f"{', '.join(names)} (or give a column number counting from 0)"
                            ) from None
    if isinstance(target, bool) or not -width <= target < width:
        raise DataError(f"{path}: target column {target!r} is out of range; the file has "
                        f"{width} columns, numbered 0 to {width - 1}")
    return target % width
