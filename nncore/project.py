"""Project files: one ``.bplab`` file a student can e-mail.

A project file is a ZIP archive with two members:

- ``project.json`` — the readable part: format version, the network, training and data
  specs, the fitted preprocessing, the history's metric name, lesson text and the
  designer's view state (passed through untouched);
- ``arrays.npz`` — every array: trained weights (``weights/<name>``), optimizer state
  (``optimizer/<param>/<key>``) and the history columns (``history/<column>``).

Saving writes a temporary file in the same folder, flushes it to disk and renames it over
the target, so a crash never leaves half a file. Loading never executes code: JSON only,
``np.load(..., allow_pickle=False)``, and every member's size is checked before it is read.
A plain ``.json`` file holding only the readable part (as lessons ship) loads too.
The format is documented in ``docs/project-format.md``.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nncore import __version__
from nncore._types import Array
from nncore.errors import ProjectFileError, SpecError
from nncore.spec import (
    SCHEMA_VERSION,
    DataSpec,
    NetworkSpec,
    TrainingSpec,
    data_from_dict,
    migrate,
    network_from_dict,
    to_dict,
    training_from_dict,
)
from nncore.training import History

SUFFIX = ".bplab"
MAX_JSON_BYTES = 16 * 1024 * 1024
MAX_ARRAY_BYTES = 2 * 1024 ** 3
MAX_ARRAYS = 10_000


@dataclass
class Project:
    """Everything a saved experiment holds. Only the three specs are required."""

    network: NetworkSpec
    training: TrainingSpec
    data: DataSpec
    weights: dict[str, Array] | None = None
    optimizer_state: dict[str, dict[str, Array]] | None = None
    optimizer_step: int = 0
    history: History | None = None
    preprocessing: dict[str, Any] | None = None
    lesson: dict[str, Any] | None = None
    view: dict[str, Any] = field(default_factory=dict)
    title: str = ""


def to_document(project: Project) -> dict[str, Any]:
    """The JSON part of a project."""
    return {
        "format": "backprop-lab-project",
        "schema_version": SCHEMA_VERSION,
        "app_version": __version__,
        "title": project.title,
        "network": to_dict(project.network),
        "training": to_dict(project.training),
        "data": to_dict(project.data),
        "preprocessing": project.preprocessing,
        "history_metric": project.history.metric_name if project.history else None,
        "optimizer_step": project.optimizer_step,
        "lesson": project.lesson,
        "view": project.view,
    }


def project_arrays(project: Project) -> dict[str, np.ndarray]:
    arrays: dict[str, np.ndarray] = {}
    for name, value in (project.weights or {}).items():
        arrays[f"weights/{name}"] = np.asarray(value)
    for name, state in (project.optimizer_state or {}).items():
        for key, value in state.items():
            arrays[f"optimizer/{name}/{key}"] = np.asarray(value)
    if project.history is not None:
        for name, column in project.history.to_arrays().items():
            arrays[f"history/{name}"] = column
    return arrays


def save_project(project: Project, path: str | os.PathLike) -> Path:
    """Write ``project`` to ``path`` atomically; returns the path written."""
    path = Path(path)
    document = json.dumps(to_document(project), indent=2, allow_nan=False).encode("utf-8")
    buffer = io.BytesIO()
    np.savez(buffer, **project_arrays(project))
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "wb") as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("project.json", document)
            zf.writestr("arrays.npz", buffer.getvalue())
            # ZipFile.close() (on leaving the block) writes the directory before we sync
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _read_member(zf: zipfile.ZipFile, name: str, limit: int, path: Path) -> bytes:
    try:
        info = zf.getinfo(name)
    except KeyError:
        raise ProjectFileError(f"{path.name}: the project has no {name!r}") from None
    if info.file_size > limit:
        raise ProjectFileError(f"{path.name}: {name} is {info.file_size} bytes, more than "
                               f"the {limit} allowed")
    with zf.open(info) as member:
        data = member.read(limit + 1)
    if len(data) > limit:
        raise ProjectFileError(f"{path.name}: {name} is larger than it claims")
    return data


def _parse_document(raw: bytes, path: Path) -> dict[str, Any]:
    try:
        document = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ProjectFileError(f"{path.name}: project.json is not UTF-8 text") from None
    except RecursionError:
        raise ProjectFileError(f"{path.name}: the JSON is nested too deeply") from None
    except json.JSONDecodeError as err:
        raise ProjectFileError(f"{path.name}: invalid JSON at line {err.lineno}, column "
                               f"{err.colno}: {err.msg}") from None
    if not isinstance(document, dict):
        raise ProjectFileError(f"{path.name}: expected a JSON object at the top level")
    return document


def _load_arrays(raw: bytes, path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as npz:
            if len(npz.files) > MAX_ARRAYS:
                raise ProjectFileError(f"{path.name}: too many arrays ({len(npz.files)})")
            return {name: npz[name] for name in npz.files}
    except ProjectFileError:
        raise
    except ValueError as err:  # includes "Object arrays cannot be loaded when allow_pickle"
        raise ProjectFileError(f"{path.name}: arrays.npz is unsafe or malformed ({err})") from None
    except (OSError, EOFError, zipfile.BadZipFile, KeyError) as err:
        raise ProjectFileError(f"{path.name}: arrays.npz is damaged ({err})") from None


def load_project(path: str | os.PathLike) -> Project:
    """Read a ``.bplab`` (or plain ``.json``) project; ``ProjectFileError`` says what is wrong."""
    path = Path(path)
    try:
        if path.stat().st_size == 0:
            raise ProjectFileError(f"{path.name}: the file is empty")
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                document = _parse_document(_read_member(zf, "project.json", MAX_JSON_BYTES,
                                                        path), path)
                arrays = _load_arrays(_read_member(zf, "arrays.npz", MAX_ARRAY_BYTES, path),
                                      path) if "arrays.npz" in zf.namelist() else {}
        else:
            with open(path, "rb") as f:
                raw = f.read(MAX_JSON_BYTES + 1)
            if len(raw) > MAX_JSON_BYTES:
                raise ProjectFileError(f"{path.name}: too large for a JSON project")
            if raw.startswith(b"PK\x03\x04"):  # a ZIP without its directory: cut short
                raise ProjectFileError(f"{path.name}: the project archive is damaged or "
                                       "truncated (an incomplete ZIP file)")
            document, arrays = _parse_document(raw, path), {}
    except ProjectFileError:
        raise
    except (OSError, zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, zlib.error,
            NotImplementedError, RuntimeError) as err:  # zlib.error: corrupt compressed data
        raise ProjectFileError(f"{path.name}: cannot read the file ({err})") from None
    return project_from_document(document, arrays, source=path.name)


def project_from_document(document: dict[str, Any], arrays: dict[str, np.ndarray] | None = None,
                          *, source: str = "project") -> Project:
    """Build a ``Project`` from its JSON part and arrays, validating every field."""
    arrays = arrays or {}
    try:
        document = migrate(dict(document))
        network = network_from_dict(document.get("network"))
        training = training_from_dict(document.get("training", {}))
        data = data_from_dict(document.get("data", {}))
    except SpecError as err:
        raise ProjectFileError(f"{source}: {err}") from None
    weights = _group(arrays, "weights/")
    optimizer_state: dict[str, dict[str, np.ndarray]] = {}
    for key, value in _group(arrays, "optimizer/").items():
        name, _, slot = key.rpartition("/")
        optimizer_state.setdefault(name, {})[slot] = value
    for name, value in weights.items():
        if not np.issubdtype(value.dtype, np.floating):
            raise ProjectFileError(f"{source}: weights {name!r} are not floating-point")
    history = None
    columns = _group(arrays, "history/")
    if columns:
        try:
            history = History.from_arrays(columns, _text(document.get("history_metric"),
                                                         "accuracy"))
        except (ValueError, TypeError) as err:
            raise ProjectFileError(f"{source}: history: {err}") from None
    return Project(network, training, data, weights or None, optimizer_state or None,
                   _int(document.get("optimizer_step"), source), history,
                   _optional_dict(document.get("preprocessing"), "preprocessing", source),
                   _optional_dict(document.get("lesson"), "lesson", source),
                   _optional_dict(document.get("view"), "view", source) or {},
                   _text(document.get("title"), ""))


def _group(arrays: dict[str, np.ndarray], prefix: str) -> dict[str, np.ndarray]:
    return {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}


def _text(value: Any, default: str) -> str:
    return value if isinstance(value, str) else default


def _int(value: Any, source: str) -> int:
    if value is None:
        return 0
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ProjectFileError(f"{source}: optimizer_step must be a whole number >= 0")
    return value


def _optional_dict(value: Any, name: str, source: str) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ProjectFileError(f"{source}: {name} must be a JSON object")
    return value
