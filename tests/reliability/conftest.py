"""Shared helpers of the reliability suite: counting the cases tried, and fresh resources.

Every test adds the number of cases it tried to ``tally`` under an area name; the counts
are printed at the end of the run and written to ``tests/artifacts/reliability-counts.json``
(the numbers quoted in ``docs/reliability.md``).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.app.conftest import (  # noqa: F401 - the window tests' QSettings and collector
    _collect_cycles_on_the_gui_thread,
    settings,
)

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
COUNTS: Counter[str] = Counter()


@pytest.fixture
def tally() -> Callable[..., None]:
    """``tally(area, n=1)``: count ``n`` more cases tried in ``area``."""

    def add(area: str, n: int = 1) -> None:
        COUNTS[area] += n

    return add


def pytest_terminal_summary(terminalreporter) -> None:
    if not COUNTS:
        return
    terminalreporter.section("reliability: cases tried")
    for area, n in sorted(COUNTS.items()):
        terminalreporter.write_line(f"{area:<48} {n:>8,}")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "reliability-counts.json").write_text(
        json.dumps(dict(sorted(COUNTS.items())), indent=2) + "\n", encoding="utf-8")


def rss_mb() -> float:
    """Resident memory of this process in MB (Linux ``/proc/self/statm``)."""
    with open("/proc/self/statm", encoding="ascii") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6

