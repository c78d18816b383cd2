"""Real data shipped in resources/datasets: byte-identical files, shapes, class counts."""

from __future__ import annotations

import filecmp

import numpy as np
import pytest

from nncore.data import Dataset, load_builtin
from nncore.errors import DataError
from nncore.locations import resources_dir

from .samples import SHARED_DATASETS, assert_valid_dataset

SHIPPED = ["mnist/train-images.idx3-ubyte.gz", "mnist/train-labels.idx1-ubyte.gz",
           "mnist/t10k-images.idx3-ubyte.gz", "mnist/t10k-labels.idx1-ubyte.gz",
           "uci/iris.csv", "uci/wine_data.csv", "uci/breast_cancer.csv", "uci/digits.csv.gz"]
MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.mark.parametrize("relative", SHIPPED)
def test_shipped_files_are_byte_identical_to_the_shared_originals(relative: str) -> None:
    shipped = resources_dir() / "datasets" / relative
    assert shipped.is_file()
    if not SHARED_DATASETS.is_dir():
        pytest.skip("the shared data folder is not beside the repository")
    assert filecmp.cmp(shipped, SHARED_DATASETS / relative, shallow=False)


def test_shipped_readme_keeps_provenance_and_licences() -> None:
    text = (resources_dir() / "datasets" / "README.md").read_text(encoding="utf-8")
    for words in ("LeCun", "CC BY 4.0", "Attribution-Share Alike 3.0", "Fisher", "Wolberg",
                  "Alpaydin", "Forina"):
        assert words in text


@pytest.mark.parametrize(("name", "shape", "counts"), [
    ("iris", (150, 4), [50, 50, 50]),
    ("wine", (178, 13), [59, 71, 48]),
    ("breast-cancer", (569, 30), [212, 357]),
    ("digits", (1797, 64), [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]),
])
def test_tables_load_with_their_shapes_and_class_counts(name: str, shape: tuple[int, int],
                                                        counts: list[int]) -> None:
    data = load_builtin(name)
    assert_valid_dataset(data)
    assert data.x.shape == shape and np.bincount(data.y).tolist() == counts
    assert len(data.info.feature_names) == shape[1] and data.x_test is None
    assert "CC BY 4.0" in data.info.source


def test_iris_metadata_names_features_and_species() -> None:
    info = load_builtin("iris").info
    assert info.class_names == ("setosa", "versicolor", "virginica")
    assert info.feature_names[0] == "sepal length (cm)"
    assert info.recommended_normalize == "standard" and info.image_shape is None


def test_breast_cancer_classes_follow_the_file_header() -> None:
    data = load_builtin("breast-cancer")
    assert data.info.class_names == ("malignant", "benign") and data.info.task == "binary"
    assert data.x[0, 0] == pytest.approx(17.99) and data.info.feature_names[0] == "mean radius"


def test_digits_are_8x8_images_scaled_to_unit_range() -> None:
    data = load_builtin("digits")
    assert data.info.image_shape == (8, 8) and data.info.recommended_normalize == "none"
    assert data.x.min() == 0.0 and data.x.max() == 1.0


def test_mnist_has_the_canonical_label_counts(mnist: Dataset) -> None:
    assert_valid_dataset(mnist)
    assert mnist.x.shape == (60000, 784) and mnist.x_test.shape == (10000, 784)
    assert np.bincount(mnist.y).tolist() == MNIST_TRAIN_COUNTS
    assert np.bincount(mnist.y_test).tolist() == MNIST_TEST_COUNTS


def test_mnist_metadata_and_pixel_range(mnist: Dataset) -> None:
    info = mnist.info
    assert info.image_shape == (28, 28) and info.n_classes == 10
    assert info.class_names == tuple("0123456789") and info.recommended_normalize == "none"
    assert "LeCun" in info.source and "CC BY-SA 3.0" in info.source
    assert mnist.x.min() == 0.0 and mnist.x.max() == 1.0
    assert mnist.x.dtype == np.float32 and mnist.y.dtype == np.int64


def test_mnist_n_takes_the_first_training_images(mnist: Dataset) -> None:
    small = load_builtin("mnist", {"n": 500})
    np.testing.assert_array_equal(small.x, mnist.x[:500])
    np.testing.assert_array_equal(small.y, mnist.y[:500])
    assert small.x_test.shape == (10000, 784)


def test_missing_resources_give_a_clear_message(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("BACKPROP_LAB_RESOURCES", str(tmp_path))
    with pytest.raises(DataError, match=r"iris\.csv is missing; reinstall"):
        load_builtin("iris")
    with pytest.raises(DataError, match="is missing"):
        load_builtin("mnist")
