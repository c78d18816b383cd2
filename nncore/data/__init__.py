"""The data layer: built-in data sets, your own files, and their preparation.

``load_dataset(spec)`` gives the raw ``Dataset`` a ``DataSpec`` describes; ``prepare``
splits it and fits the input transform; ``parse_data_arg`` reads the CLI's ``--data``;
``BUILTIN`` lists the built-in sets for the GUI. See ``docs/datasets.md``.
"""

from __future__ import annotations

from nncore.data.argument import parse_data_arg
from nncore.data.dataset import Dataset, DatasetInfo, Preprocessing, Splits
from nncore.data.features import DERIVED_FEATURES, add_features, canonical_features
from nncore.data.files import FILE_OPTIONS, file_format, load_file, load_npz
from nncore.data.idx import load_idx, read_idx
from nncore.data.limits import memory_limit
from nncore.data.prepare import MIN_SPLIT_SAMPLES, one_hot, prepare, split_indices
from nncore.data.preprocessing import (
    apply_preprocessing,
    fit_preprocessing,
    preprocessing_from_dict,
    preprocessing_to_dict,
)
from nncore.data.registry import (
    BUILTIN,
    GROUPS,
    BuiltinInfo,
    OptionInfo,
    canonical_name,
    load_builtin,
    load_dataset,
    validate_options,
)

__all__ = [
    "BUILTIN",
    "DERIVED_FEATURES",
    "FILE_OPTIONS",
    "GROUPS",
    "MIN_SPLIT_SAMPLES",
    "BuiltinInfo",
    "Dataset",
    "DatasetInfo",
    "OptionInfo",
    "Preprocessing",
    "Splits",
    "add_features",
    "apply_preprocessing",
    "canonical_features",
    "canonical_name",
    "file_format",
    "fit_preprocessing",
    "load_builtin",
    "load_csv",
    "load_dataset",
    "load_file",
    "load_idx",
    "load_npz",
    "memory_limit",
    "one_hot",
    "parse_data_arg",
    "prepare",
    "preprocessing_from_dict",
    "preprocessing_to_dict",
    "read_idx",
    "split_indices",
    "validate_options",
]


def __getattr__(name: str):
    """``load_csv`` on first use: it imports pandas, which the built-in sets never need."""
    if name == "load_csv":
        from nncore.data.csvfile import load_csv

        return load_csv
    raise AttributeError(f"module 'nncore.data' has no attribute {name!r}")
