"""Tools the fuzz tests share: walking and editing JSON documents, and measuring what a
refused load allocated."""

from __future__ import annotations

import copy
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any

import pytest

DELETE = object()
"""Pass as the value to ``replaced`` to remove the field instead."""


def field_paths(value: Any, prefix: tuple = ()) -> Iterator[tuple]:
    """Every path to a value inside nested dicts and lists."""
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return
    for key, child in items:
        yield (*prefix, key)
        yield from field_paths(child, (*prefix, key))


def replaced(document: dict, path: tuple, value: Any) -> dict:
    """A deep copy of ``document`` with the value at ``path`` replaced (or ``DELETE``d)."""
    document = copy.deepcopy(document)
    target = document
    for key in path[:-1]:
        target = target[key]
    if value is DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return document


def peak_bytes_refusing(error: type[BaseException], load: Callable[..., Any], *args: Any,
                        match: str | None = None, **kwargs: Any) -> int:
    """Peak bytes Python allocated while ``load(*args, **kwargs)`` raised ``error``: a
    loader that refuses a huge or lying file must do so without allocating it."""
    return peak_bytes(lambda: _raises(error, match, load, *args, **kwargs))


def peak_bytes(action: Callable[[], Any]) -> int:
    """Peak bytes Python allocated while ``action()`` ran."""
    tracemalloc.start()
    try:
        action()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _raises(error, match, load, *args, **kwargs) -> None:
    with pytest.raises(error, match=match):
        load(*args, **kwargs)
