"""The core never imports Qt, pyqtgraph or the app: checked statically (every module's
imports, parsed with ast) and dynamically (a fresh interpreter's sys.modules)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import nncore

FORBIDDEN = frozenset({"PySide6", "shiboken6", "pyqtgraph", "PyQt5", "PyQt6", "app"})
PACKAGE = Path(nncore.__file__).resolve().parent
MODULES = sorted(PACKAGE.rglob("*.py"))


def imported_roots(tree: ast.AST) -> set[str]:
    """Top-level package names a module imports (statements and import_module("...") calls)."""
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and node.args \
                and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("import_module", "__import__"):
                roots.add(node.args[0].value.split(".")[0])
    return roots


def test_the_scan_finds_the_core_modules():
    names = {p.relative_to(PACKAGE).as_posix() for p in MODULES}
    assert {"__init__.py", "network.py", "training.py", "session.py", "project.py"} <= names


def test_the_scan_recognises_every_import_form():
    source = ("import PySide6.QtCore\nfrom pyqtgraph import PlotWidget\nimport app.main as m\n"
              "import importlib\nimportlib.import_module('shiboken6')\n__import__('PyQt5')\n"
              "from . import spec\n")
    assert imported_roots(ast.parse(source)) >= {"PySide6", "pyqtgraph", "app", "shiboken6",
                                                 "PyQt5"}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_module_imports_nothing_from_qt_or_the_app(path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    assert not imported_roots(tree) & FORBIDDEN


def test_importing_the_core_loads_no_qt_module():
    code = ("import json, sys\n"
            "import nncore, nncore.session, nncore.project\n"
            f"forbidden = {sorted(FORBIDDEN)!r}\n"
            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in forbidden)))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=PACKAGE.parent, check=True)
    assert json.loads(result.stdout) == []
