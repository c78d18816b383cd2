"""NumPy .npz archives: what loads, and every malformed case with its message."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest

from nncore.data import limits, load_file, load_npz
from nncore.errors import DataError

from .samples import assert_valid_dataset


@pytest.fixture
def npz(tmp_path: Path):
    """Save arrays with np.savez and return the path."""

    def make(name: str = "data.npz", **arrays: np.ndarray) -> Path:
        path = tmp_path / name
        np.savez(path, **arrays)
        return path

    return make


def test_integer_labels(npz) -> None:
    x = np.arange(12, dtype=np.float64).reshape(6, 2)
    data = load_file(npz(x=x, y=np.array([3, 5, 3, 5, 7, 7])))
    assert_valid_dataset(data)
    np.testing.assert_array_equal(data.x, x)
    assert data.info.class_names == ("3", "5", "7") and data.y.tolist() == [0, 1, 0, 1, 2, 2]


def test_text_and_boolean_labels(npz) -> None:
    x = np.zeros((3, 2))
    assert load_npz(npz(x=x, y=np.array(["b", "a", "b"]))).info.class_names == ("a", "b")
    assert load_npz(npz(x=x, y=np.array([b"no", b"yes", b"no"]))).info.class_names == \
        ("no", "yes")
    assert load_npz(npz(x=x, y=np.array([True, False, True]))).y.tolist() == [1, 0, 1]


def test_float_targets_are_regression_with_several_columns(npz) -> None:
    y = np.arange(8, dtype=np.float64).reshape(4, 2)
    data = load_npz(npz(x=np.linspace(0, 1, 4), y=y))
    assert data.x.shape == (4, 1) and data.y.shape == (4, 2) and data.info.n_targets == 2
    assert data.info.task == "regression"


def test_task_and_target_array_can_be_chosen(npz) -> None:
    path = npz(x=np.zeros((4, 2)), y=np.array([1.0, 2.0, 1.0, 2.0]), labels=np.arange(4))
    assert load_file(path, options={"task": "classification"}).info.class_names == ("1.0", "2.0")
    assert load_file(path, target="labels", options={"task": "regression"}).y.shape == (4, 1)


def test_images_are_flattened_and_uint8_scaled(npz) -> None:
    images = np.full((5, 3, 4), 255, dtype=np.uint8)
    images[0] = 0
    data = load_npz(npz(x=images, y=np.array([0, 1, 0, 1, 1])))
    assert data.x.shape == (5, 12) and data.info.image_shape == (3, 4)
    assert data.x.max() == 1.0 and data.x.min() == 0.0
    assert data.info.recommended_normalize == "none"
    assert data.info.feature_names[:2] == ("pixel_0_0", "pixel_0_1")


def test_a_fixed_test_set_is_kept(npz) -> None:
    data = load_npz(npz(x=np.zeros((4, 2)), y=np.array([0, 1, 0, 1]),
                        x_test=np.ones((2, 2)), y_test=np.array([1, 0])))
    assert data.x_test.shape == (2, 2) and data.y_test.tolist() == [1, 0]


@pytest.mark.parametrize(("arrays", "message"), [
    ({"x": np.zeros((3, 2))}, "has no array 'y'"),
    ({"inputs": np.zeros((3, 2)), "y": np.arange(3)}, "has no array 'x' (it holds ['inputs', "
                                                        "'y'])"),
    ({"x": np.zeros((3, 2)), "y": np.arange(4)}, "array 'x' has 3 rows but 'y' has 4"),
    ({"x": np.array([[1.0, np.nan], [0, 0]]), "y": np.arange(2)}, "'x': NaN at row 0, "
                                                                  "column 1"),
    ({"x": np.array([[1.0, 2], [0, np.inf]]), "y": np.arange(2)}, "an infinite value at row 1"),
    ({"x": np.zeros((2, 2)), "y": np.array([0.5, np.nan])}, "'y': NaN at row 1"),
    ({"x": np.zeros((3, 2)), "y": np.zeros(3, dtype=int)}, "has a single class (0)"),
    ({"x": np.array(["a", "b"]), "y": np.arange(2)}, "must be a numeric array"),
    ({"x": np.zeros((2, 2)), "y": np.eye(2, dtype=int)}, "for one-hot rows save "
                                                         "y.argmax(axis=1)"),
    ({"x": np.float64(3), "y": np.arange(1)}, "must be a numeric array"),
    ({"x": np.zeros((2, 0)), "y": np.arange(2)}, "no input features"),
    ({"x": np.zeros((2, 2)), "y": np.array([1 + 2j, 3j])}, "must hold class labels or "
                                                           "numbers"),
])
def test_malformed_archives_name_the_array_and_problem(npz, arrays, message) -> None:
    path = npz(**arrays)
    with pytest.raises(DataError) as err:
        load_file(path)
    assert str(path) in str(err.value) and message in str(err.value)


def test_object_arrays_are_never_unpickled(tmp_path: Path) -> None:
    path = tmp_path / "pickled.npz"
    np.savez(path, x=np.array([{"a": 1}, None], dtype=object), y=np.arange(2))
    with pytest.raises(DataError, match=r"damaged|pickled"):
        load_npz(path)


def test_a_single_npy_array_is_explained(tmp_path: Path) -> None:
    path = tmp_path / "x.npy"
    np.save(path, np.zeros((3, 2)))
    with pytest.raises(DataError, match=r"single NumPy array \(.npy\); save the inputs and"):
        load_file(path)


def test_random_bytes_are_not_an_archive(tmp_path: Path) -> None:
    path = tmp_path / "data.npz"
    path.write_bytes(b"PK\x03\x04 this is not really a zip file")
    with pytest.raises(DataError, match=r"is not a readable \.npz archive"):
        load_file(path)


def _npz_with_member(path: Path, header_shape: tuple[int, ...], data: bytes) -> Path:
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buffer, {"descr": "<f8", "fortran_order": False, "shape": header_shape})
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("x.npy", buffer.getvalue() + data)
        y = io.BytesIO()
        np.save(y, np.arange(2))
        archive.writestr("y.npy", y.getvalue())
    return path


def test_a_truncated_array_is_refused_before_allocating(tmp_path: Path) -> None:
    path = _npz_with_member(tmp_path / "short.npz", (2, 2), b"\0" * 16)
    with pytest.raises(DataError, match=r"array 'x' is truncated: its header announces shape "
                                        r"\(2, 2\)"):
        load_npz(path)


def test_an_array_too_large_for_memory_is_refused(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "big.npz"
    np.savez(path, x=np.zeros((1000, 10)), y=np.arange(1000) % 2)
    monkeypatch.setattr(limits, "memory_limit", lambda: 10_000)
    with pytest.raises(DataError, match=r"the arrays would need .* more than the 10\.0 KB limit"):
        load_npz(path)


def test_a_truncated_zip_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "cut.npz"
    np.savez(path, x=np.zeros((100, 3)), y=np.arange(100) % 2)
    path.write_bytes(path.read_bytes()[:-200])
    with pytest.raises(DataError, match=r"not a readable \.npz archive"):
        load_npz(path)
