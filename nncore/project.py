"""Project files: one ``.bplab`` file a student can e-mail.

A project file is a ZIP archive with two members:

- ``project.json`` — the readable part: format version, the network, training and data
  specs, the fitted preprocessing, the history's metric name, lesson text and the
  designer's view state (passed through untouched);
- ``arrays.npz`` — every array: trained weights (``weights/<name>``), optimizer state
  (``optimizer/<param>/<key>``), the history columns (``history/<column>``) and, optional,
  what the views collected while training (``view/<key>``: weight and gradient
  distributions and layer health over time), so a reopened run looks as it was saved.

Saving writes a temporary file in the same folder, flushes it to disk and renames it over
the target, so a crash never leaves half a file. Loading never executes code: JSON only,
``np.load(..., allow_pickle=False)``, and every member's size is checked before it is read:
the ZIP directory's sizes before a member is decompressed, and every array's ``.npy``
header (type and shape) before the array is allocated, so a zip bomb, a huge declared
shape or a pickled object array is refused without running or allocating anything.
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
from nncore._types import DTYPES, Array
from nncore.data.limits import human_bytes, memory_limit
from nncore.errors import ProjectFileError, SpecError
from nncore.npy_header import read_npy_header
from nncore.rewind import SnapshotKeeper
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
ARRAY_KINDS = "biuf"
"""Array types a project holds (bool, integers, floats): anything else is refused unread."""
MAX_NESTING = 32
"""Deepest nesting of the pass-through objects (view, lesson, preprocessing): real ones
use fewer than 10 levels, and deeper ones could exhaust the stack of whatever reads,
copies or sends them next."""
MAX_HISTORY_VALUE = 2 ** 53
"""Largest epoch or step number a history may hold (exact in float64)."""
MAX_VIEW_ARRAY_BYTES = 32 * 1024 ** 2
"""Most the ``view/`` arrays (plots' histories) may hold together; the app keeps them to a
few hundred kilobytes (every history it draws is bounded), so more means a damaged file."""


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
    snapshots: SnapshotKeeper | None = None
    """Weight snapshots for rewinding and animations (optional; ``nncore.rewind``)."""
    view_arrays: dict[str, Array] = field(default_factory=dict)
    """What the views collected over the run (``view/<key>`` in ``arrays.npz``), passed
    through untouched like ``view``; optional."""


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
    } | ({"snapshots": project.snapshots.settings()} if project.snapshots else {})


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
    if project.snapshots is not None:
        for name, value in project.snapshots.to_arrays().items():
            arrays[f"snapshots/{name}"] = value
    for name, value in project.view_arrays.items():
        arrays[f"view/{name}"] = np.asarray(value)
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
        # ask for no more than the directory claims: zipfile decompresses up to the amount
        # asked for in one go, so read(limit) would inflate a lying member's bomb in full
        data = member.read(info.file_size + 1)
    if len(data) > info.file_size:
        raise ProjectFileError(f"{path.name}: {name} is larger than it claims")
    return data


def _array_limit() -> int:
    """Bytes the arrays of one project may decode to: ``MAX_ARRAY_BYTES``, or a third of
    the memory limit on a busy machine (the raw member and the arrays coexist briefly)."""
    return min(MAX_ARRAY_BYTES, memory_limit() // 3)


def _parse_document(raw: bytes, path: Path) -> dict[str, Any]:
    try:
        # utf-8-sig: a byte-order mark (Windows Notepad adds one to edited lessons) is fine
        document = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ProjectFileError(f"{path.name}: project.json is not UTF-8 text") from None
    except RecursionError:
        raise ProjectFileError(f"{path.name}: the JSON is nested too deeply") from None
    except json.JSONDecodeError as err:
        raise ProjectFileError(f"{path.name}: invalid JSON at line {err.lineno}, column "
                               f"{err.colno}: {err.msg}") from None
    except ValueError as err:  # e.g. a number of more than 4300 digits
        raise ProjectFileError(f"{path.name}: invalid JSON: {err}") from None
    if not isinstance(document, dict):
        raise ProjectFileError(f"{path.name}: expected a JSON object at the top level")
    return document


def _npy_size(zf: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path) -> int:
    """Bytes one ``.npy`` member decodes to, read from its header; refuses any member
    that is not a plain numeric array or whose header and size disagree."""
    where = f"{path.name}: arrays.npz member {info.filename!r}"
    if not info.filename.endswith(".npy"):
        raise ProjectFileError(f"{where} is not a NumPy array; the file is damaged or was "
                               "not written by Backprop Lab")
    with zf.open(info) as member:
        try:
            npy = read_npy_header(member)
        except ValueError as err:
            raise ProjectFileError(f"{where}: {err}") from None
    shape, dtype, header = npy.shape, npy.dtype, npy.header_bytes
    if dtype.hasobject or dtype.kind not in ARRAY_KINDS:
        raise ProjectFileError(f"{path.name}: arrays.npz is unsafe: {info.filename!r} holds "
                               f"{dtype} values (Python objects need pickle, which could run "
                               "code); refused without loading it")
    nbytes = npy.data_bytes
    if nbytes != info.file_size - header or min(shape, default=0) < 0:
        raise ProjectFileError(f"{where} is damaged: its header announces shape {shape} "
                               f"({human_bytes(nbytes)}) but it holds "
                               f"{human_bytes(info.file_size - header)}")
    return nbytes


def _check_arrays(raw: bytes, path: Path) -> None:
    """Read every array header before any array is allocated (see ``_npy_size``)."""
    limit, total = _array_limit(), 0
    with zipfile.ZipFile(io.BytesIO(raw)) as zf:
        infos = zf.infolist()
        if len(infos) > MAX_ARRAYS:
            raise ProjectFileError(f"{path.name}: too many arrays ({len(infos)})")
        for info in infos:
            total += _npy_size(zf, info, path)
            if total > limit:
                raise ProjectFileError(f"{path.name}: the arrays would need more than "
                                       f"{human_bytes(limit)} of memory, the most allowed")


def _load_arrays(raw: bytes, path: Path) -> dict[str, np.ndarray]:
    try:
        _check_arrays(raw, path)
        with np.load(io.BytesIO(raw), allow_pickle=False) as npz:
            if len(npz.files) > MAX_ARRAYS:
                raise ProjectFileError(f"{path.name}: too many arrays ({len(npz.files)})")
            return {name: npz[name] for name in npz.files}
    except ProjectFileError:
        raise
    except ValueError as err:  # includes "Object arrays cannot be loaded when allow_pickle"
        raise ProjectFileError(f"{path.name}: arrays.npz is unsafe or malformed ({err})") from None
    except (OSError, EOFError, zipfile.BadZipFile, KeyError, zlib.error, NotImplementedError,
            RuntimeError) as err:  # RuntimeError: an encrypted member
        raise ProjectFileError(f"{path.name}: arrays.npz is damaged ({err})") from None
    except MemoryError:
        raise ProjectFileError(f"{path.name}: the arrays do not fit in memory") from None


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
                arrays = _load_arrays(_read_member(zf, "arrays.npz", _array_limit(), path),
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
    except UnicodeDecodeError:  # a member name in the archive's headers is not UTF-8
        raise ProjectFileError(f"{path.name}: the project archive is damaged (a file name "
                               "inside it is garbled)") from None
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
    _check_values(weights, "weights", training.dtype, source)
    for name, state in optimizer_state.items():
        _check_values(state, f"optimizer state of {name!r}:", training.dtype, source)
    columns = _group(arrays, "history/")
    history = _history(columns, _text(document.get("history_metric"), "accuracy"),
                       source) if columns else None
    return Project(network, training, data, weights or None, optimizer_state or None,
                   _int(document.get("optimizer_step"), source), history,
                   _optional_dict(document.get("preprocessing"), "preprocessing", source),
                   _optional_dict(document.get("lesson"), "lesson", source),
                   _optional_dict(document.get("view"), "view", source) or {},
                   _text(document.get("title"), ""),
                   _snapshots(document.get("snapshots"), _group(arrays, "snapshots/"), source),
                   _view_arrays(arrays, source))


def _view_arrays(arrays: dict[str, np.ndarray], source: str) -> dict[str, np.ndarray]:
    """The ``view/`` arrays, at most ``MAX_VIEW_ARRAY_BYTES`` together."""
    views = _group(arrays, "view/")
    total = sum(value.nbytes for value in views.values())
    if total > MAX_VIEW_ARRAY_BYTES:
        raise ProjectFileError(f"{source}: the saved plot histories (view/...) take "
                               f"{human_bytes(total)}, more than the "
                               f"{human_bytes(MAX_VIEW_ARRAY_BYTES)} allowed; the file is "
                               "damaged or was not written by Backprop Lab")
    return views


def _check_values(arrays: dict[str, np.ndarray], what: str, dtype: str, source: str) -> None:
    """Refuse NaN, infinite or out-of-range numbers: the app never saves them (the NaN
    guard keeps finite weights), and 1e308 would silently become inf in float32."""
    limit = np.finfo(DTYPES.get(dtype, np.float64)).max
    for name, value in arrays.items():
        if value.dtype.kind == "f" and value.size and not (
                np.all(np.isfinite(value)) and np.max(np.abs(value)) <= limit):
            raise ProjectFileError(f"{source}: {what} {name!r} hold NaN, infinite or values "
                                   f"too large for {dtype}; the file is damaged")


def _history(columns: dict[str, np.ndarray], metric: str, source: str) -> History:
    """The saved history; its epoch and step numbers must be whole, finite, >= 0 and in
    order (a plot or a resumed run could not make sense of anything else)."""
    try:
        for name in ("epoch", "step"):
            values = np.asarray(columns.get(name, []), dtype=np.float64).reshape(-1)
            if not (np.all(np.isfinite(values)) and np.all(values == np.round(values))
                    and np.all((values >= 0) & (values <= MAX_HISTORY_VALUE))):
                raise ValueError(f"the {name} numbers must be whole numbers >= 0")
            if np.any(np.diff(values) < (1 if name == "epoch" else 0)):
                raise ValueError(f"the {name} numbers must increase")
        return History.from_arrays(columns, metric)
    except (ValueError, TypeError, OverflowError) as err:
        raise ProjectFileError(f"{source}: history: {err}") from None


def _snapshots(settings: Any, arrays: dict[str, np.ndarray],
               source: str) -> SnapshotKeeper | None:
    """The saved weight snapshots (None when the project keeps none)."""
    if settings is None and not arrays:
        return None
    try:
        return SnapshotKeeper.from_arrays(_optional_dict(settings, "snapshots", source),
                                          arrays)
    except (ValueError, TypeError) as err:
        raise ProjectFileError(f"{source}: snapshots: {err}") from None


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
    if _nesting(value) > MAX_NESTING:
        raise ProjectFileError(f"{source}: {name} is nested more than {MAX_NESTING} levels "
                               "deep; the file is damaged or was not written by Backprop Lab")
    return value


def _nesting(value: Any) -> int:
    """How deeply lists and objects nest in ``value`` (without recursion)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            if deepest > MAX_NESTING:
                break
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return deepest
