"""Real data shipped with the app in ``resources/datasets/`` (see its README.md).

Iris, Wine and Breast Cancer Wisconsin are UCI tables (CSV with an ``n,d,class names``
first line); the 8x8 digits are a headerless gzip CSV (64 pixels 0-16, then the label);
MNIST is the four original gzip IDX files, decoded once and cached (``nncore.data.cache``).
Image pixels are scaled to [0, 1] when loaded, so the images need no further scaling.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nncore.data.cache import Arrays, cached_arrays
from nncore.data.dataset import Dataset, DatasetInfo
from nncore.data.idx import pixel_names, pixels_to_unit, read_idx
from nncore.errors import DataError
from nncore.locations import resources_dir

UCI = "UCI Machine Learning Repository, licence CC BY 4.0"
MNIST_SOURCE = ("The MNIST database of handwritten digits, Y. LeCun, C. Cortes and "
                "C. J. C. Burges; licence CC BY-SA 3.0")
MNIST_FILES = {"x_train": "train-images.idx3-ubyte.gz", "y_train": "train-labels.idx1-ubyte.gz",
               "x_test": "t10k-images.idx3-ubyte.gz", "y_test": "t10k-labels.idx1-ubyte.gz"}
MNIST_TRAIN, MNIST_TEST = 60000, 10000

_CANCER = ("radius", "texture", "perimeter", "area", "smoothness", "compactness", "concavity",
           "concave points", "symmetry", "fractal dimension")


@dataclass(frozen=True)
class Table:
    """A shipped table: its file, expected shape and metadata."""

    file: str
    n_samples: int
    feature_names: tuple[str, ...]
    class_names: tuple[str, ...]
    description: str
    source: str
    image_shape: tuple[int, ...] | None = None
    pixel_max: float | None = None  # pixels are divided by this


TABLES: dict[str, Table] = {
    "iris": Table(
        "uci/iris.csv", 150,
        ("sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"),
        ("setosa", "versicolor", "virginica"),
        "Fisher's irises: 4 flower measurements (cm) of 150 plants from 3 species.",
        f"R. A. Fisher (1936), Iris; {UCI}"),
    "wine": Table(
        "uci/wine_data.csv", 178,
        ("alcohol", "malic_acid", "ash", "alcalinity_of_ash", "magnesium", "total_phenols",
         "flavanoids", "nonflavanoid_phenols", "proanthocyanins", "color_intensity", "hue",
         "od280/od315_of_diluted_wines", "proline"),
        ("class_0", "class_1", "class_2"),
        "Chemical analysis of 178 Italian wines from 3 cultivars: 13 measurements.",
        f"M. Forina et al., Wine; {UCI}"),
    "breast-cancer": Table(
        "uci/breast_cancer.csv", 569,
        tuple(f"mean {b}" for b in _CANCER) + tuple(f"{b} error" for b in _CANCER)
        + tuple(f"worst {b}" for b in _CANCER),
        ("malignant", "benign"),
        "569 breast-mass biopsies: 30 cell-nucleus measurements, malignant or benign.",
        "W. H. Wolberg, W. N. Street and O. L. Mangasarian, Breast Cancer Wisconsin "
        f"(Diagnostic); {UCI}"),
    "digits": Table(
        "uci/digits.csv.gz", 1797, pixel_names((8, 8)), tuple(str(d) for d in range(10)),
        "1,797 handwritten digits as 8x8 images (0-16 per pixel, scaled to [0, 1]).",
        "E. Alpaydin and C. Kaynak, Optical Recognition of Handwritten Digits (8x8 "
        f"version); {UCI}",
        image_shape=(8, 8), pixel_max=16.0),
}


def resource(relative: str) -> Path:
    """The shipped data file ``resources/datasets/<relative>``, which must exist."""
    path = resources_dir() / "datasets" / relative
    if not path.is_file():
        raise DataError(f"the built-in data file {path} is missing; reinstall Backprop Lab "
                        "or point BACKPROP_LAB_RESOURCES to the folder holding datasets/")
    return path


def load_table(name: str) -> Dataset:
    """One of the shipped ``TABLES`` (``iris``, ``wine``, ``breast-cancer``, ``digits``)."""
    table = TABLES[name]
    path = resource(table.file)
    from nncore.data.csvfile import load_csv  # pandas is imported only when needed

    raw = load_csv(path, header=False if table.image_shape else None,
                   task="classification")
    shape = (table.n_samples, len(table.feature_names), len(table.class_names))
    if (len(raw.x), raw.x.shape[1], raw.info.n_classes) != shape:
        raise DataError(f"{path}: expected {shape[0]} samples, {shape[1]} features and "
                        f"{shape[2]} classes, found {raw.x.shape} and {raw.info.n_classes} "
                        "classes; the file is damaged, reinstall Backprop Lab")
    x = raw.x / np.float32(table.pixel_max) if table.pixel_max else raw.x
    info = dataclasses.replace(
        raw.info, name=name, feature_names=table.feature_names,
        class_names=table.class_names, image_shape=table.image_shape,
        description=table.description, source=table.source,
        recommended_normalize="none" if table.image_shape else "standard", domain=None)
    return Dataset(info, x.astype(np.float32), raw.y)


def _decode_mnist(sources: dict[str, Path]) -> Arrays:
    arrays = {key: read_idx(path) for key, path in sources.items()}
    if not _mnist_shapes_ok(arrays, flat=False):
        shapes = {key: a.shape for key, a in arrays.items()}
        raise DataError(f"{sources['x_train'].parent}: the MNIST files have shapes {shapes}, "
                        "not the expected ones; they are damaged, reinstall Backprop Lab")
    arrays["x_train"] = arrays["x_train"].reshape(MNIST_TRAIN, -1)
    arrays["x_test"] = arrays["x_test"].reshape(MNIST_TEST, -1)
    return arrays


def _mnist_shapes_ok(arrays: Arrays, *, flat: bool = True) -> bool:
    image = (784,) if flat else (28, 28)
    expected = {"x_train": (MNIST_TRAIN, *image), "y_train": (MNIST_TRAIN,),
                "x_test": (MNIST_TEST, *image), "y_test": (MNIST_TEST,)}
    return all(arrays[k].shape == s and arrays[k].dtype == np.uint8 for k, s in expected.items()) \
        and max(int(arrays["y_train"].max()), int(arrays["y_test"].max())) <= 9


def load_mnist(n: int = MNIST_TRAIN) -> Dataset:
    """MNIST: the first ``n`` of the 60,000 training images, and the fixed 10,000 test images.

    Returns
    -------
    Dataset
        ``x`` float32 of shape (n, 784) in [0, 1], ``y`` int64 of shape (n,);
        ``x_test`` (10000, 784) and ``y_test`` (10000,).
    """
    sources = {key: resource(f"mnist/{file}") for key, file in MNIST_FILES.items()}
    arrays = cached_arrays("mnist", list(sources.values()), list(MNIST_FILES),
                           lambda: _decode_mnist(sources), _mnist_shapes_ok)
    info = DatasetInfo(
        name="mnist", task="multiclass", n_features=784, n_classes=10,
        class_names=tuple(str(d) for d in range(10)), feature_names=pixel_names((28, 28)),
        image_shape=(28, 28),
        description=f"Handwritten digits as 28x28 grey images: {n:,} for training (and "
                    "validation), 10,000 fixed for testing; pixels scaled to [0, 1].",
        source=MNIST_SOURCE, recommended_normalize="none")
    return Dataset(info, pixels_to_unit(arrays["x_train"][:n]),
                   arrays["y_train"][:n].astype(np.int64),
                   pixels_to_unit(arrays["x_test"]), arrays["y_test"].astype(np.int64))
