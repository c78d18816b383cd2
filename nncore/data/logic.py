"""Logic gates: the 4-sample truth tables of AND, OR and XOR.

Named ``and``, ``or`` and ``xor-gate`` (the plain ``xor`` is the 2-D four-quadrant set).
Inputs are 0 or 1; with only 4 samples they are never split (see ``nncore.data.prepare``).
"""

from __future__ import annotations

import numpy as np

from nncore.data.dataset import Dataset, DatasetInfo
from nncore.data.synthetic import GENERATED

LOGIC_INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
GATES = {"and": (0, 0, 0, 1), "or": (0, 1, 1, 1), "xor-gate": (0, 1, 1, 0)}
"""Truth tables of the logic gates, in the order of ``LOGIC_INPUTS``."""


def gate(name: str) -> Dataset:
    """The 4-sample truth table of the gate ``name`` (``and``, ``or``, ``xor-gate``).

    Returns
    -------
    Dataset
        ``x`` float32 of shape (4, 2) with rows 00, 01, 10, 11; ``y`` int64 of shape (4,).
    """
    word = {"and": "AND", "or": "OR", "xor-gate": "XOR"}[name]
    info = DatasetInfo(
        name=name, task="binary", n_features=2, n_classes=2, class_names=("false", "true"),
        feature_names=("x1", "x2"),
        description=f"The {word} truth table: 4 samples, inputs 0 or 1."
                    + (" No straight line separates it: it needs a hidden layer."
                       if word == "XOR" else ""),
        source=GENERATED, recommended_normalize="none", domain=((-0.5, 1.5),) * 2)
    return Dataset(info, LOGIC_INPUTS.copy(), np.array(GATES[name], dtype=np.int64))
