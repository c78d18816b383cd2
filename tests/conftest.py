"""Shared fixtures for the whole suite.

``QT_QPA_PLATFORM`` is set at import, before anything can import Qt, so GUI tests run
headless. Every test gets its own ``BACKPROP_LAB_HOME`` so nothing touches real user folders.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pytest
from hypothesis import settings

# No timing in assertions: Hypothesis' per-example deadline would be a timed assert.
settings.register_profile("backprop-lab", deadline=None)
settings.load_profile("backprop-lab")


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path, monkeypatch):
    """Point the app's user folders (cache, data, logs) and its preferences (QSettings
    reads ``XDG_CONFIG_HOME`` on Linux, also in an app a test starts as a process) at a
    per-test temporary folder: a test must never leave recent files or a window size in
    the user's settings."""
    monkeypatch.setenv("BACKPROP_LAB_HOME", str(tmp_path / "backprop-lab-home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded generator: tests draw their random inputs from it, never from global state."""
    return np.random.default_rng(1234)
