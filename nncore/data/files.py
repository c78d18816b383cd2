"""Your own data: recognise a file's format and load it (tables, NumPy ``.npz``, IDX).

The format is recognised from the content, not the name: a zip archive is an ``.xlsx``
workbook (it holds ``xl/workbook.xml``), an ``.npz`` (it holds ``.npy`` members) or a
zipped CSV; two zero bytes and an IDX type byte start an IDX file (also inside gzip),
anything else is read as CSV text. ``target`` names what to predict in each format: a
column (tables), an array (NPZ, default ``y``) or the labels file (IDX, default: found by
name).
"""

from __future__ import annotations

import gzip
import zipfile
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from nncore.data.assemble import encode_labels, file_dataset, to_float32
from nncore.data.dataset import Dataset
from nncore.data.idx import IDX_TYPES, images_to_inputs, load_idx, pixel_names
from nncore.data.limits import check_file, check_fits, human_bytes
from nncore.errors import DataError
from nncore.npy_header import read_npy_header

FILE_OPTIONS: dict[str, tuple[str, ...]] = {
    "csv": ("delimiter", "header", "task", "encoding", "max_levels"),
    "xlsx": ("header", "task", "max_levels"),
    "npz": ("task",),
    "idx": (),
}
"""Options each format accepts in ``DataSpec.options`` (``format`` forces the format)."""

CSV_TASKS = ("auto", "classification", "regression")
"""The ``task`` option's values (tables and NPZ)."""

FILE_SUFFIXES = (".csv", ".tsv", ".txt", ".dat", ".npz", ".idx", ".gz", "ubyte", ".idx1",
                 ".idx3", ".xlsx", ".zip")
"""Name endings the CLI treats as files rather than built-in names."""


def file_format(path: Path | str) -> str:
    """``"csv"``, ``"npz"`` or ``"idx"``, recognised from the first bytes of the file."""
    path = check_file(path)
    with open(path, "rb") as f:
        start = f.read(8)
    if start[:2] == b"\x1f\x8b":
        try:
            with gzip.open(path, "rb") as f:
                start = f.read(8)
        except (OSError, EOFError, zlib.error):
            return "idx" if ".idx" in path.name or "ubyte" in path.name else "csv"
    if start[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return _zip_format(path)
    if start[:6] == b"\x93NUMPY":
        raise DataError(f"{path}: is a single NumPy array (.npy); save the inputs and the "
                        "targets together with np.savez(path, x=x, y=y)")
    if len(start) >= 4 and start[:2] == b"\0\0" and start[2] in IDX_TYPES:
        return "idx"
    return "csv"


def _zip_format(path: Path) -> str:
    """``xlsx``, ``npz`` or ``csv`` (a zipped table) for a zip archive."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return "npz"  # the .npz reader explains what is damaged
    if "xl/workbook.xml" in names:
        return "xlsx"
    if names and not any(n.endswith(".npy") for n in names):
        return "csv"
    return "npz"


def load_file(path: Path | str, *, target: str | int | None = None,
              options: Mapping[str, Any] | None = None,
              recipe: Mapping[str, Any] | None = None) -> Dataset:
    """Load a CSV, NPZ or IDX file as a data set.

    Parameters
    ----------
    path : Path or str
    target : str or int, optional
        CSV: a column name or 0-based number (default last). NPZ: the target array's
        name (default ``y``). IDX: the labels file (default: found by name).
    options : mapping, optional
        ``format`` (``csv``/``xlsx``/``npz``/``idx``) and the format's ``FILE_OPTIONS``.
    recipe : mapping, optional
        Tables only: ``roles``, ``kinds``, ``missing``, ``indicator`` (see
        ``nncore.data.tabular``).

    Raises
    ------
    DataError
        Naming the file and what is wrong; nothing is half-loaded.
    """
    options = dict(options or {})
    kind = options.pop("format", None) or file_format(path)
    if kind not in FILE_OPTIONS:
        raise DataError(f"{path}: unknown format {kind!r}; use one of {list(FILE_OPTIONS)}")
    if recipe and kind not in ("csv", "xlsx"):
        raise DataError(f"{path}: column roles, types and missing-value policies apply to "
                        f"tables (CSV, XLSX), not to a {kind} file; remove them")
    unknown = sorted(set(options) - set(FILE_OPTIONS[kind]))
    if unknown:
        raise DataError(f"{path}: unknown option {unknown[0]!r} for a {kind} file; valid "
                        f"options: {list(FILE_OPTIONS[kind]) or 'none'}")
    try:
        if kind in ("csv", "xlsx"):
            from nncore.data.csvfile import load_csv  # pandas is imported only for tables

            return load_csv(path, target=target, **options, **dict(recipe or {}))
        if kind == "npz":
            return load_npz(path, target=target, **options)
        return load_idx(path, labels=None if target is None else _beside(path, target))
    except MemoryError as err:
        raise DataError(f"{path}: does not fit in memory; use a smaller file") from err


def _beside(path: Path | str, other: str | int) -> Path:
    """``other`` as given, or next to ``path`` if it does not exist as given."""
    candidate = Path(str(other))
    if not candidate.exists() and (Path(path).parent / candidate).exists():
        return Path(path).parent / candidate
    return candidate


# --------------------------------------------------------------------------- NPZ


def _array_size(archive: np.lib.npyio.NpzFile, name: str, path: Path) -> int:
    """Bytes array ``name`` decodes to, from its header, refusing a truncated member."""
    member = f"{name}.npy"
    try:
        with archive.zip.open(member) as f:
            header = read_npy_header(f)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error) as err:
        raise DataError(f"{path}: array {name!r} is damaged or unsupported ({err})") from err
    shape, header_size = header.shape, header.header_bytes
    nbytes = header.data_bytes
    stored = archive.zip.getinfo(member).file_size - header_size
    if nbytes > stored:
        raise DataError(f"{path}: array {name!r} is truncated: its header announces shape "
                        f"{shape} ({human_bytes(nbytes)}) but the archive holds "
                        f"{human_bytes(stored)}")
    return nbytes


def _read_arrays(path: Path, names: list[str]) -> dict[str, np.ndarray]:
    try:
        archive = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error,
            NotImplementedError) as err:
        raise DataError(f"{path}: is not a readable .npz archive ({err}); save one with "
                        "np.savez(path, x=x, y=y)") from err
    with archive:
        missing = [n for n in names[:2] if n not in archive.files]
        if missing:
            raise DataError(f"{path}: has no array {missing[0]!r} (it holds "
                            f"{archive.files or 'no arrays'}); save the inputs as 'x' and the "
                            "targets as 'y': np.savez(path, x=x, y=y)")
        names = [n for n in names if n in archive.files]
        check_fits(sum(2 * _array_size(archive, n, path) for n in names), path, "the arrays")
        try:
            return {n: archive[n] for n in names}
        except (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error) as err:
            raise DataError(f"{path}: an array is damaged or truncated ({err})") from err


def _npz_inputs(x: np.ndarray, path: Path,
                name: str) -> tuple[np.ndarray, tuple[int, ...] | None, bool]:
    if x.dtype.kind not in "biuf" or x.ndim == 0:
        raise DataError(f"{path}: array {name!r} must be a numeric array of shape "
                        f"(n_samples, n_features), got dtype {x.dtype} and shape {x.shape}")
    if x.shape[0] == 0:  # (reshaping it to (0, -1) would fail without a message)
        raise DataError(f"{path}: array {name!r} holds no samples (shape {x.shape}); choose "
                        "a file with data")
    x = x.reshape(-1, 1) if x.ndim == 1 else x
    inputs, image_shape = images_to_inputs(x, path, f"array {name!r}")
    return inputs, image_shape, x.dtype == np.uint8


def _npz_targets(y: np.ndarray, path: Path, name: str,
                 task: str) -> tuple[np.ndarray, str]:
    """Targets squeezed to (n,) for labels, and "classification" or "regression"."""
    if y.ndim == 0 or y.dtype.kind not in "biufUS":
        raise DataError(f"{path}: array {name!r} must hold class labels or numbers, one per "
                        f"sample; got dtype {y.dtype} and shape {y.shape}")
    if y.ndim == 2 and y.shape[1] == 1 and (y.dtype.kind != "f" or task == "classification"):
        y = y[:, 0]
    if y.dtype.kind == "S":
        try:
            y = y.astype(str)
        except UnicodeDecodeError as err:
            raise DataError(f"{path}: array {name!r} holds labels that are not text") from err
    if task == "regression":
        if y.dtype.kind in "US":
            raise DataError(f"{path}: array {name!r} holds text, but regression needs numbers")
        return y, "regression"
    if task == "auto" and y.dtype.kind == "f":
        return y, "regression"
    if y.ndim != 1:
        raise DataError(f"{path}: class labels in {name!r} must have shape (n_samples,), got "
                        f"{y.shape}; for one-hot rows save y.argmax(axis=1)")
    return y, "classification"


def load_npz(path: Path | str, *, target: str | int | None = None,
             task: str = "auto") -> Dataset:
    """Load a NumPy ``.npz`` archive with inputs ``x`` and targets ``y``.

    Parameters
    ----------
    path : Path or str
        Saved with ``np.savez(path, x=x, y=y)``; optional ``x_test``/``y_test`` arrays
        become the fixed test set. Loaded with ``allow_pickle=False``.
    target : str, optional
        Name of the target array (default ``y``).
    task : {"auto", "classification", "regression"}
        Auto: integer, boolean and text targets are class labels, floats regression.

    Returns
    -------
    Dataset
        ``x`` float32 (n_samples, n_features) (1-D ``x`` becomes one feature; images
        ``(n, h, w)`` are flattened, uint8 pixels scaled to [0, 1]); ``y`` int64 labels of
        shape (n_samples,) or float32 targets of shape (n_samples, n_targets).
    """
    path = check_file(path)
    if task not in CSV_TASKS:
        raise DataError(f"{path}: unknown task {task!r}; use one of {list(CSV_TASKS)}")
    y_name = "y" if target is None else str(target)
    arrays = _read_arrays(path, ["x", y_name, "x_test", "y_test"])
    x, image_shape, scaled = _npz_inputs(arrays["x"], path, "x")
    raw_y, kind = _npz_targets(arrays[y_name], path, y_name, task)
    x_test = y_test = raw_test = None
    if "x_test" in arrays and "y_test" in arrays and y_name == "y":
        x_test = _npz_inputs(arrays["x_test"], path, "x_test")[0]
        raw_test = _npz_targets(arrays["y_test"], path, "y_test", task)[0]
        if x_test.shape[1] != x.shape[1] or len(x_test) != len(raw_test):
            raise DataError(f"{path}: x_test {arrays['x_test'].shape} and y_test "
                            f"{arrays['y_test'].shape} do not match x {arrays['x'].shape}")
    if len(raw_y) != len(x):
        raise DataError(f"{path}: array 'x' has {len(x)} rows but {y_name!r} has "
                        f"{len(raw_y)}; they need one target per sample")
    names: tuple[str, ...] = ()
    if kind == "regression":
        y = to_float32(raw_y.reshape(len(raw_y), -1), path, f"array {y_name!r}")
        if raw_test is not None:
            y_test = to_float32(raw_test.reshape(len(raw_test), -1), path, "array 'y_test'")
            if y_test.shape[1] != y.shape[1]:
                raise DataError(f"{path}: y_test has {y_test.shape[1]} target columns but "
                                f"{y_name!r} has {y.shape[1]}")
    else:
        if raw_y.dtype.kind == "f":
            to_float32(raw_y, path, f"array {y_name!r}")  # refuses NaN labels
        both = raw_y if raw_test is None else np.concatenate([raw_y, raw_test])
        codes, names = encode_labels(both, path, f"array {y_name!r}")
        y, y_test = codes[:len(raw_y)], (None if raw_test is None else codes[len(raw_y):])
    return file_dataset(path, x, y, class_names=names, image_shape=image_shape,
                        feature_names=pixel_names(image_shape) if image_shape else (),
                        recommended_normalize="none" if scaled else "standard",
                        kind="arrays", x_test=x_test, y_test=y_test)
