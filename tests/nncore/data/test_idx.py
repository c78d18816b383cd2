"""IDX files (MNIST format): pairs that load, and every malformed case with its message."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from nncore.data import file_format, limits, load_dataset, load_file, load_idx, read_idx
from nncore.errors import DataError
from nncore.spec import DataSpec

from .samples import assert_valid_dataset, idx_bytes, write_idx


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, ">i2", ">i4", ">f4", ">f8"])
@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_round_trips_every_type(tmp_path: Path, dtype, gz: bool) -> None:
    array = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    if np.dtype(dtype) == np.uint8:
        array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    path = write_idx(tmp_path / ("a.idx" + (".gz" if gz else "")), array)
    got = read_idx(path)
    np.testing.assert_array_equal(got, array)
    assert got.dtype.isnative and got.shape == (2, 3, 4)


@pytest.mark.parametrize("gz", [False, True])
def test_an_images_file_finds_its_labels_and_test_pair(idx_pair, gz: bool) -> None:
    images, _ = idx_pair(30, gz=gz)
    idx_pair(12, prefix="t10k", gz=gz)
    data = load_file(images)
    assert_valid_dataset(data)
    assert file_format(images) == "idx"
    assert data.x.shape == (30, 20) and data.info.image_shape == (4, 5)
    assert data.x_test.shape == (12, 20) and data.y_test.tolist() == [0, 1, 2] * 4
    assert data.info.class_names == ("0", "1", "2")
    raw = read_idx(images).reshape(30, -1)
    np.testing.assert_array_equal(data.x, raw.astype(np.float32) / 255)
    assert data.info.recommended_normalize == "none"


def test_the_labels_file_finds_its_images(idx_pair) -> None:
    images, labels = idx_pair()
    data = load_idx(labels)
    assert data.x.shape == (30, 20) and data.x_test is None
    assert data.info.name == images.name


def test_emnist_style_test_files_and_label_gaps(tmp_path: Path) -> None:
    images = np.zeros((6, 2, 2), dtype=np.uint8)
    write_idx(tmp_path / "emnist-letters-train-images-idx3-ubyte", images)
    write_idx(tmp_path / "emnist-letters-train-labels-idx1-ubyte",
              np.array([1, 2, 26, 1, 2, 26], dtype=np.uint8))
    write_idx(tmp_path / "emnist-letters-test-images-idx3-ubyte", images[:2])
    write_idx(tmp_path / "emnist-letters-test-labels-idx1-ubyte", np.array([26, 1], np.uint8))
    data = load_file(tmp_path / "emnist-letters-train-images-idx3-ubyte")
    assert data.info.class_names == ("1", "2", "26") and data.y_test.tolist() == [2, 0]


def test_labels_can_be_given_as_the_target(tmp_path: Path) -> None:
    write_idx(tmp_path / "inputs.idx", np.arange(8, dtype=">f4").reshape(4, 2))
    write_idx(tmp_path / "answers.idx", np.array([0, 1, 1, 0], dtype=np.uint8))
    data = load_dataset(DataSpec(source="file", path=str(tmp_path / "inputs.idx"),
                                 target="answers.idx"))
    assert data.x.shape == (4, 2) and data.info.image_shape is None
    assert data.info.recommended_normalize == "standard"


def test_float_labels_make_a_regression_set(tmp_path: Path) -> None:
    write_idx(tmp_path / "x-images.idx", np.zeros((3, 2, 2), dtype=np.uint8))
    write_idx(tmp_path / "x-labels.idx", np.array([0.5, 1.5, 2.5], dtype=">f8"))
    data = load_idx(tmp_path / "x-images.idx")
    assert data.info.task == "regression" and data.y.tolist() == [[0.5], [1.5], [2.5]]


# --------------------------------------------------------------------------- malformed


def _expect(path: Path, message: str) -> None:
    with pytest.raises(DataError) as err:
        read_idx(path)
    assert str(path) in str(err.value) and message in str(err.value)


@pytest.mark.parametrize(("data", "message"), [
    (b"\x00\x00\x07\x01" + b"\0" * 8, "wrong IDX magic number 0x00000701; an IDX file starts "
                                      "with 0x00000801 (labels) or 0x00000803 (images)"),
    (b"\x12\x34\x08\x03" + b"\0" * 8, "wrong IDX magic number 0x12340803"),
    (b"\x00\x00\x08\x09" + b"\0" * 40, "wrong IDX magic number 0x00000809"),
    (b"\x00\x00", "wrong IDX magic number 0x00000000"),
    (b"\x00\x00\x08\x03\x00\x00", "truncated inside its header"),
    (b"\x00\x00\x08\x01\x00\x00\x00\x00", "declares an empty array of shape (0,)"),
])
def test_bad_headers(tmp_path: Path, data: bytes, message: str) -> None:
    path = tmp_path / "bad.idx"
    path.write_bytes(data)
    _expect(path, message)


@pytest.mark.parametrize("gz", [False, True])
def test_a_truncated_file(tmp_path: Path, gz: bool) -> None:
    data = idx_bytes(np.zeros((10, 28, 28), dtype=np.uint8))[:-100]
    path = tmp_path / ("cut.idx.gz" if gz else "cut.idx")
    path.write_bytes(gzip.compress(data) if gz else data)
    _expect(path, "is truncated: its header announces an array of shape (10, 28, 28) "
                  "(7,840 bytes) but only 7,740 bytes follow")


def test_a_truncated_gzip_stream(tmp_path: Path) -> None:
    packed = gzip.compress(idx_bytes(np.arange(5000, dtype=np.uint8) % 7))
    path = tmp_path / "cut.idx.gz"
    path.write_bytes(packed[:-30])
    _expect(path, "the gzip file is damaged or truncated")


def test_trailing_bytes(tmp_path: Path) -> None:
    path = tmp_path / "long.idx"
    path.write_bytes(idx_bytes(np.arange(6, dtype=np.uint8)) + b"\x01")
    _expect(path, "has extra bytes after the 6 bytes of values")


def test_an_array_too_large_for_memory_is_refused_before_allocating(tmp_path: Path) -> None:
    path = tmp_path / "huge.idx"
    header = b"\x00\x00\x08\x03" + b"".join(d.to_bytes(4, "big") for d in (2**31, 2**16, 2**16))
    path.write_bytes(header + b"\0" * 64)
    _expect(path, "the array of shape (2147483648, 65536, 65536) would need")


def test_the_memory_limit_applies_to_ordinary_sizes(idx_pair, monkeypatch) -> None:
    images, _ = idx_pair(30)
    monkeypatch.setattr(limits, "memory_limit", lambda: 1000)
    with pytest.raises(DataError, match=r"more than the 1\.0 KB limit"):
        load_idx(images)


def test_mismatched_counts_name_both_files(tmp_path: Path) -> None:
    write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((5, 2, 2), dtype=np.uint8))
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.arange(4, dtype=np.uint8))
    with pytest.raises(DataError, match="has 4 labels but train-images-idx3-ubyte has 5 images"):
        load_idx(tmp_path / "train-images-idx3-ubyte")


def test_a_missing_partner_is_explained(tmp_path: Path) -> None:
    path = write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((5, 2, 2), dtype=np.uint8))
    with pytest.raises(DataError, match="found no labels file beside it"):
        load_idx(path)


def test_labels_chosen_as_images_and_bad_labels(tmp_path: Path) -> None:
    write_idx(tmp_path / "a.idx", np.arange(4, dtype=np.uint8))
    write_idx(tmp_path / "b.idx", np.zeros((4, 2), dtype=np.uint8))
    write_idx(tmp_path / "one.idx", np.zeros(4, dtype=np.uint8))
    with pytest.raises(DataError, match=r"holds a 1-D array \(labels\?\)"):
        load_idx(tmp_path / "a.idx", labels=tmp_path / "b.idx")
    with pytest.raises(DataError, match=r"labels must be a 1-D array, got shape \(4, 2\)"):
        load_idx(tmp_path / "b.idx", labels=tmp_path / "b.idx")
    with pytest.raises(DataError, match="has a single class"):
        load_idx(tmp_path / "b.idx", labels=tmp_path / "one.idx")
