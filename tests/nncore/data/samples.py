"""Sample files for the data-layer tests, and the data contract every loader must honour."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from nncore.data import Dataset

SHARED_DATASETS = Path(__file__).resolve().parents[4] / "shared" / "datasets"
"""The project's shared data folder (``../shared/datasets`` beside the repository)."""

IDX_CODES = {np.dtype(np.uint8): 0x08, np.dtype(np.int8): 0x09, np.dtype(">i2"): 0x0B,
             np.dtype(">i4"): 0x0C, np.dtype(">f4"): 0x0D, np.dtype(">f8"): 0x0E}


def idx_bytes(array: np.ndarray) -> bytes:
    """``array`` encoded as an IDX file (big-endian header and values)."""
    big = array.astype(array.dtype.newbyteorder(">"))
    header = bytes([0, 0, IDX_CODES[big.dtype], array.ndim])
    dims = b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + dims + big.tobytes()


def write_idx(path: Path, array: np.ndarray) -> Path:
    """Write ``array`` as IDX, gzip-compressed when ``path`` ends in ``.gz``."""
    data = idx_bytes(array)
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)
    return path


def assert_valid_dataset(dataset: Dataset) -> None:
    """Check the data contract: shapes, dtypes, finite values, consistent metadata."""
    info, x, y = dataset.info, dataset.x, dataset.y
    assert x.dtype == np.float32 and x.ndim == 2 and len(x) >= 1 and x.shape[1] >= 1
    assert np.isfinite(x).all()
    assert info.n_features == x.shape[1] and len(y) == len(x)
    if info.is_classification:
        assert y.dtype == np.int64 and y.ndim == 1
        assert info.n_classes == len(info.class_names) >= 2
        assert y.min() >= 0 and y.max() < info.n_classes
        assert info.task == ("binary" if info.n_classes == 2 else "multiclass")
    else:
        assert info.task == "regression" and y.dtype == np.float32 and y.ndim == 2
        assert y.shape[1] == info.n_targets and np.isfinite(y).all()
    assert len(info.feature_names) == info.n_features
    assert info.recommended_normalize in ("none", "standard", "minmax")
    if dataset.x_test is not None:
        assert dataset.y_test is not None and len(dataset.x_test) == len(dataset.y_test)
        assert dataset.x_test.dtype == np.float32
        assert dataset.x_test.shape[1] == x.shape[1]
