"""House rules of the data layer, checked on its source: no Qt, no pickle, no global RNG."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import nncore.data

SOURCES = sorted(Path(nncore.data.__file__).parent.glob("*.py"))
FORBIDDEN_MODULES = ("PySide6", "shiboken6", "pyqtgraph", "app", "pickle", "dill")


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_no_qt_and_no_pickle_imports(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
            [node.module or ""] if isinstance(node, ast.ImportFrom) else []
        for name in names:
            assert name.split(".")[0] not in FORBIDDEN_MODULES, f"{path.name} imports {name}"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_no_global_random_state_and_no_unsafe_loads(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"np\.random\.(seed|rand|randn|randint|normal|uniform|choice|"
                         r"shuffle|permutation)\(", text)
    assert "allow_pickle=True" not in text
    for call in re.finditer(r"np\.load\(([^)]*)\)", text):
        assert "allow_pickle=False" in call.group(1), f"{path.name}: {call.group(0)}"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_modules_stay_small(path: Path) -> None:
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 400
