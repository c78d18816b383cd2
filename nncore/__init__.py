"""nncore: the pure-NumPy engine of Backprop Lab.

Specs describe a network, its training and its data (``nncore.spec``); a ``Session``
builds them into a ``Network``, an ``Optimizer`` and a ``Trainer`` that runs step by step
and hands out ``Snapshot``s. Nothing here imports Qt: the CLI (``python -m nncore``), the
tests, the benchmarks and the GUI share this one engine.
"""

from __future__ import annotations

__version__ = "0.2.0"

from nncore.errors import DataError, NNCoreError, ProjectFileError, SpecError
from nncore.network import Network, build
from nncore.session import Session
from nncore.spec import (
    ActivationSpec,
    DataSpec,
    DenseSpec,
    DropoutSpec,
    NetworkSpec,
    OptimizerSpec,
    ScheduleSpec,
    TrainingSpec,
    mlp_spec,
)
from nncore.training import Snapshot, StopReason, Trainer

__all__ = [
    "ActivationSpec", "DataError", "DataSpec", "DenseSpec", "DropoutSpec", "NNCoreError",
    "Network", "NetworkSpec", "OptimizerSpec", "ProjectFileError", "ScheduleSpec", "Session",
    "Snapshot", "SpecError", "StopReason", "Trainer", "TrainingSpec", "__version__", "build",
    "mlp_spec",
]
