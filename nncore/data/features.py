"""Derived input features, as TensorFlow Playground offers them: x1^2, x2^2, x1*x2, sin.

``x1`` and ``x2`` are the first two raw input columns. Derived features are appended after
the raw inputs, in the order given, before any scaling. Names are canonical
(``DERIVED_FEATURES``); ``canonical_features`` also accepts common spellings such as
``x1**2``, ``x1²``, ``x1x2`` and ``sinx1``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from nncore._types import Array
from nncore.errors import DataError

DERIVED_FEATURES: dict[str, tuple[int, Callable[[Array], Array]]] = {
    "x1^2": (1, lambda x: x[:, 0] ** 2),
    "x2^2": (2, lambda x: x[:, 1] ** 2),
    "x1*x2": (2, lambda x: x[:, 0] * x[:, 1]),
    "sin(x1)": (1, lambda x: np.sin(x[:, 0])),
    "sin(x2)": (2, lambda x: np.sin(x[:, 1])),
}
"""Canonical name -> (raw inputs it needs, function of the raw inputs (n, d) -> (n,))."""


def _spelling(name: str) -> str:
    return name.strip().lower().replace(" ", "").replace("**", "^").replace("²", "^2")


FEATURE_ALIASES = {
    **{name: name for name in DERIVED_FEATURES},
    "x1x2": "x1*x2", "x2*x1": "x1*x2", "x1.x2": "x1*x2",
    "sinx1": "sin(x1)", "sinx2": "sin(x2)", "x1sq": "x1^2", "x2sq": "x2^2",
}
"""Accepted spellings (lower case, spaces removed, ``**`` and ``²`` as ``^``) -> canonical."""


def canonical_features(names: Sequence[str]) -> tuple[str, ...]:
    """Canonical names of the derived features, without duplicates, in the order given.

    Raises
    ------
    DataError
        For a name that is not a derived feature, listing the valid names.
    """
    if isinstance(names, str):
        names = [names]
    result: list[str] = []
    for name in names:
        canonical = FEATURE_ALIASES.get(_spelling(str(name))) if isinstance(name, str) else None
        if canonical is None:
            raise DataError(f"unknown derived feature {name!r}; choose from "
                            f"{', '.join(DERIVED_FEATURES)}")
        if canonical not in result:
            result.append(canonical)
    return tuple(result)


def add_features(x: Array, features: Sequence[str]) -> Array:
    """``x`` with the derived ``features`` appended as new columns.

    Parameters
    ----------
    x : ndarray of shape (n_samples, n_raw), float32
    features : sequence of str
        Canonical names from ``DERIVED_FEATURES``.

    Returns
    -------
    ndarray of shape (n_samples, n_raw + len(features)), float32
        ``x`` itself when ``features`` is empty.
    """
    if not features:
        return x
    columns = [x]
    for name in features:
        needs, function = DERIVED_FEATURES[name]
        if x.shape[1] < needs:
            raise DataError(f"the derived feature {name} needs {needs} input features, but "
                            f"the data has {x.shape[1]}; remove it")
        columns.append(function(x).astype(np.float32).reshape(-1, 1))
    return np.concatenate(columns, axis=1)
