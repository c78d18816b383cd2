"""The data contract between loaders, preparation, the trainer and the GUI.

A ``Dataset`` is raw data as loaded or generated (features ``x`` of shape
``(n_samples, n_features)``, float32; targets ``y``: integer class labels of shape
``(n_samples,)`` or float regression targets of shape ``(n_samples, n_targets)``), with
``DatasetInfo`` metadata. ``prepare`` turns it into ``Splits`` (train / validation / test)
with a fitted ``Preprocessing`` that maps any raw input to what the network sees, so a
saved model, the decision-boundary grid and new data all go through the same transform.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nncore._types import Array


@dataclass(frozen=True)
class DatasetInfo:
    """What a data set is: its task, shapes, names and provenance."""

    name: str
    task: str  # "binary" | "multiclass" | "regression"
    n_features: int
    n_classes: int = 0  # 0 for regression
    n_targets: int = 1  # regression target columns (1 for classification)
    class_names: tuple[str, ...] = ()
    feature_names: tuple[str, ...] = ()
    image_shape: tuple[int, ...] | None = None  # e.g. (28, 28) when inputs are images
    description: str = ""
    source: str = ""
    recommended_normalize: str = "none"
    domain: tuple[tuple[float, float], ...] | None = None  # plot range per raw feature (2-D/1-D)
    notes: tuple[str, ...] = ()  # what a table import did (rows dropped, task chosen, ...)
    target_name: str = ""  # the target column of a table ("" for built-ins: "y")

    @property
    def is_classification(self) -> bool:
        """True for binary and multi-class tasks."""
        return self.task != "regression"


@dataclass(frozen=True)
class Dataset:
    """Raw data plus metadata; ``x_test``/``y_test`` hold a fixed test set (MNIST) if any."""

    info: DatasetInfo
    x: Array
    y: np.ndarray
    x_test: Array | None = None
    y_test: np.ndarray | None = None


@dataclass(frozen=True)
class Preprocessing:
    """Fitted input transform: derived features, then scaling (fitted on training data).

    ``transform(x_raw)`` is what the network sees. ``to_dict``/``from_dict`` store it in a
    project so a saved model predicts correctly later.
    """

    features: tuple[str, ...] = ()
    method: str = "none"  # "none" | "standard" | "minmax"
    offset: Array | None = None
    scale: Array | None = None
    feature_names: tuple[str, ...] = ()
    target_offset: Array | None = None  # regression targets trained as (y - offset) / scale
    target_scale: Array | None = None

    def transform(self, x: Array) -> Array:  # implemented by nncore.data.prepare
        from nncore.data.prepare import apply_preprocessing

        return apply_preprocessing(self, x)

    def to_dict(self) -> dict[str, Any]:
        from nncore.data.prepare import preprocessing_to_dict

        return preprocessing_to_dict(self)


@dataclass(frozen=True)
class Splits:
    """Prepared arrays (float32 inputs after ``preprocessing``) for each split."""

    info: DatasetInfo
    preprocessing: Preprocessing
    x_train: Array
    y_train: np.ndarray
    x_val: Array
    y_val: np.ndarray
    x_test: Array | None = None
    y_test: np.ndarray | None = None
    raw_train: Array | None = field(default=None, repr=False)  # for plots in raw coordinates
    raw_val: Array | None = field(default=None, repr=False)

    @property
    def n_inputs(self) -> int:
        """Width of the network's input (features after derived features)."""
        return int(self.x_train.shape[1])
