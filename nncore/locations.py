"""Where things live: shipped resources, and the per-user cache, data and log folders.

Nothing is ever found relative to the working directory. Resources come from
``$BACKPROP_LAB_RESOURCES``, else the PyInstaller bundle, else the source checkout.
User folders follow the platform's conventions (``platformdirs``) unless
``$BACKPROP_LAB_HOME`` is set, which puts them all under one folder (tests, portable use).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_NAME = "backprop-lab"


def resources_dir() -> Path:
    """The folder holding ``datasets/``, ``lessons/`` and ``icons/``."""
    override = os.environ.get("BACKPROP_LAB_RESOURCES")
    if override:
        return Path(override)
    bundle = getattr(sys, "_MEIPASS", None)  # set by PyInstaller at run time
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def _user_dir(kind: str) -> Path:
    home = os.environ.get("BACKPROP_LAB_HOME")
    if home:
        path = Path(home) / kind
    else:
        import platformdirs

        path = Path(getattr(platformdirs, f"user_{kind}_dir")(APP_NAME, appauthor=False))
    return path


def user_cache_dir() -> Path:
    """Decoded data sets and other things that can be rebuilt (created on demand)."""
    return _user_dir("cache")


def user_data_dir() -> Path:
    """Autosaves and other user data worth keeping."""
    return _user_dir("data")


def user_log_dir() -> Path:
    """Log files, including crash reports."""
    return _user_dir("log")


def ensure_dir(path: Path) -> Path:
    """``path``, created if needed."""
    path.mkdir(parents=True, exist_ok=True)
    return path
