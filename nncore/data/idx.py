"""IDX files, the format of MNIST, Fashion-MNIST and EMNIST (raw or gzip-compressed).

Layout: two zero bytes, a type byte (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
0x0D float32, 0x0E float64), a byte with the number of dimensions, one big-endian uint32
per dimension, then the values, big-endian, in C order. The magic number of a labels file
is therefore 0x00000801 and that of an images file 0x00000803.

A data set is an images file and a labels file with the same name except ``images`` ->
``labels`` and ``idx3`` -> ``idx1`` (``train-images-idx3-ubyte.gz`` and
``train-labels-idx1-ubyte.gz``); a ``train`` pair also picks up its ``t10k``/``test`` pair
as the fixed test set. uint8 images are scaled to [0, 1].
"""

from __future__ import annotations

import gzip
import math
import zlib
from pathlib import Path
from typing import BinaryIO

import numpy as np

from nncore._types import Array
from nncore.data.assemble import encode_labels, file_dataset, to_float32
from nncore.data.dataset import Dataset
from nncore.data.limits import check_file, check_fits
from nncore.errors import DataError

IDX_TYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8), 0x09: np.dtype(np.int8), 0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
MAX_DIMS = 4


def _open_binary(path: Path) -> BinaryIO:
    with open(path, "rb") as f:
        compressed = f.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rb") if compressed else open(path, "rb")


def _read_into(f: BinaryIO, buffer: np.ndarray) -> int:
    """Fill ``buffer`` from ``f``; the number of bytes read (short at end of file)."""
    view, got = memoryview(buffer), 0
    while got < len(buffer):
        n = f.readinto(view[got:])
        if not n:
            break
        got += n
    return got


def read_idx(path: Path | str) -> np.ndarray:
    """Decode one IDX file (raw or gzip) into an array in native byte order.

    Returns
    -------
    ndarray
        Of the shape and type its header declares, e.g. (60000, 28, 28) uint8.

    Raises
    ------
    DataError
        For a wrong magic number, a truncated or damaged file, trailing bytes, or an array
        that would not fit the memory limit (checked before allocating it).
    """
    path = check_file(path)
    try:
        with _open_binary(path) as f:
            return _decode(f, path)
    except (EOFError, zlib.error, gzip.BadGzipFile) as err:
        raise DataError(f"{path}: the gzip file is damaged or truncated ({err}); download "
                        "it again") from err
    except OSError as err:
        raise DataError(f"{path}: cannot be read ({err})") from err


def _decode(f: BinaryIO, path: Path) -> np.ndarray:
    header = f.read(4)
    magic = int.from_bytes(header.ljust(4, b"\0"), "big")
    if len(header) < 4 or header[:2] != b"\0\0" or header[2] not in IDX_TYPES \
            or not 1 <= header[3] <= MAX_DIMS:
        raise DataError(f"{path}: wrong IDX magic number 0x{magic:08X}; an IDX file starts "
                        "with 0x00000801 (labels) or 0x00000803 (images) - is this an IDX "
                        "file?")
    ndim, dtype = header[3], IDX_TYPES[header[2]]
    raw_dims = f.read(4 * ndim)
    if len(raw_dims) < 4 * ndim:
        raise DataError(f"{path}: is truncated inside its header; download it again")
    shape = tuple(int.from_bytes(raw_dims[4 * i:4 * i + 4], "big") for i in range(ndim))
    if 0 in shape:
        raise DataError(f"{path}: declares an empty array of shape {shape}")
    nbytes = math.prod(shape) * dtype.itemsize
    check_fits(nbytes + 4 * math.prod(shape), path, f"the array of shape {shape}")
    if not isinstance(f, gzip.GzipFile):
        available = path.stat().st_size - 4 - 4 * ndim
        if available < nbytes:
            raise _truncated(path, shape, nbytes, available)
    data = np.empty(nbytes, dtype=np.uint8)
    got = _read_into(f, data)
    if got < nbytes:
        raise _truncated(path, shape, nbytes, got)
    if f.read(1):
        raise DataError(f"{path}: has extra bytes after the {nbytes:,} bytes of values its "
                        "header announces; the file is damaged or not an IDX file")
    return data.view(dtype).reshape(shape).astype(dtype.newbyteorder("="), copy=False)


def _truncated(path: Path, shape: tuple[int, ...], nbytes: int, got: int) -> DataError:
    return DataError(f"{path}: is truncated: its header announces an array of shape {shape} "
                     f"({nbytes:,} bytes) but only {got:,} bytes follow; download it again")


def pixels_to_unit(values: np.ndarray) -> Array:
    """8-bit pixel intensities 0..255 as float32 in [0, 1]."""
    return np.divide(values, np.float32(255), dtype=np.float32)


def pixel_names(shape: tuple[int, ...]) -> tuple[str, ...]:
    """Feature names ``pixel_<row>_<col>`` (``_<channel>``) for a flattened image."""
    return tuple("pixel_" + "_".join(map(str, i)) for i in np.ndindex(*shape))


def images_to_inputs(images: np.ndarray, path: Path,
                     what: str = "the inputs") -> tuple[Array, tuple[int, ...] | None]:
    """Flatten ``(n, h, w[, c])`` images (or take ``(n, d)`` rows) into float32 inputs.

    Returns the inputs of shape (n, d) (uint8 scaled to [0, 1]) and the image shape.
    """
    if images.ndim < 2:
        raise DataError(f"{path}: holds a 1-D array (labels?); choose the file with the "
                        "inputs (images)")
    image_shape = tuple(images.shape[1:]) if images.ndim > 2 else None
    flat = images.reshape(len(images), -1)
    if flat.dtype == np.uint8:
        return pixels_to_unit(flat), image_shape
    return to_float32(flat, path, what), image_shape


def _renamed(path: Path, swaps: list[tuple[str, str]]) -> Path | None:
    """The existing file whose name is ``path``'s with the swaps applied, if any."""
    name = path.name
    for old, new in swaps:
        name = name.replace(old, new)
    if name == path.name:
        return None
    for candidate in (name, name.removesuffix(".gz"), name + ".gz"):
        if (path.parent / candidate).is_file():
            return path.parent / candidate
    return None


def _pair(path: Path, labels: Path | str | None) -> tuple[Path, Path]:
    """(images, labels) files from the chosen file and an optional labels file."""
    if labels is not None:
        return path, check_file(labels)
    is_labels = "labels" in path.name or "idx1" in path.name
    swaps = [("labels", "images"), ("idx1", "idx3")] if is_labels else \
        [("images", "labels"), ("idx3", "idx1")]
    partner = _renamed(path, swaps)
    if partner is None:
        kind = "images" if is_labels else "labels"
        raise DataError(f"{path}: found no {kind} file beside it (an IDX data set is an "
                        f"images file and a labels file named alike); give the labels file "
                        "as the target")
    return (partner, path) if is_labels else (path, partner)


def _targets(values: np.ndarray, n: int, path: Path, images: Path) -> np.ndarray:
    if values.ndim != 1:
        raise DataError(f"{path}: labels must be a 1-D array, got shape {values.shape}")
    if len(values) != n:
        raise DataError(f"{path}: has {len(values)} labels but {images.name} has {n} "
                        "images; the two files must belong together")
    return values


def load_idx(path: Path | str, *, labels: Path | str | None = None) -> Dataset:
    """Load an IDX images file and its labels file (found by name unless given).

    Parameters
    ----------
    path : Path or str
        The images file (or the labels file: the images file is then found by name).
    labels : Path or str, optional
        The labels file, if it is not named like the images file.

    Returns
    -------
    Dataset
        ``x`` float32 of shape (n_samples, h*w) with ``info.image_shape == (h, w)``;
        ``y`` int64 labels (float32 (n, 1) targets if the labels are floats). A ``train``
        file brings its ``t10k``/``test`` pair as ``x_test``/``y_test``.
    """
    images, label_file = _pair(check_file(path), labels)
    raw_x = read_idx(images)
    x, image_shape = images_to_inputs(raw_x, images)
    raw_y = _targets(read_idx(label_file), len(x), label_file, images)
    x_test, raw_test = None, None
    test_images = _renamed(images, [("train", "t10k")]) or _renamed(images, [("train", "test")])
    test_labels = _renamed(label_file, [("train", "t10k")]) or \
        _renamed(label_file, [("train", "test")])
    if test_images and test_labels:
        x_test, test_shape = images_to_inputs(read_idx(test_images), test_images)
        if test_shape != image_shape or x_test.shape[1] != x.shape[1]:
            raise DataError(f"{test_images}: images of shape {test_shape} do not match the "
                            f"training images of shape {image_shape}")
        raw_test = _targets(read_idx(test_labels), len(x_test), test_labels, test_images)
    if raw_y.dtype.kind == "f":
        y, names = to_float32(raw_y, label_file, "the labels").reshape(-1, 1), ()
        y_test = None if raw_test is None else \
            to_float32(raw_test, test_labels, "the labels").reshape(-1, 1)
    else:
        both = raw_y if raw_test is None else np.concatenate([raw_y, raw_test])
        codes, names = encode_labels(both, label_file, "the labels")
        y, y_test = codes[:len(raw_y)], (None if raw_test is None else codes[len(raw_y):])
    recommended = "none" if raw_x.dtype == np.uint8 else "standard"  # pixels now in [0, 1]
    return file_dataset(images, x, y, class_names=names, image_shape=image_shape,
                        feature_names=pixel_names(image_shape) if image_shape else (),
                        recommended_normalize=recommended, kind="IDX set",
                        x_test=x_test, y_test=y_test)
