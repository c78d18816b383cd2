"""What the doctor reports: a ``Finding`` (code, severity, evidence, explanation) and its
``Fix`` (a change to the specs that can be applied, and undone, like any edit).

A fix is stored as *changes* (dotted paths such as ``training.optimizer.lr`` or
``network.dense-1.init``, or a whole replacement spec), so it can be applied to the specs as
they are when the user clicks, not only to the specs it was computed from.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from nncore.spec import DataSpec, NetworkSpec, TrainingSpec, to_dict

SEVERITIES = ("info", "warning", "problem")
"""In increasing order of urgency. Warnings and problems are the 'open' findings."""

EVIDENCE_VIEWS = ("loss", "weights", "health", "confusion", "gradcheck", "design", "data")
"""Which view shows a finding's evidence (the GUI brings it to the front)."""

STAGES = ("design", "training", "gradcheck")
"""Where a finding comes from: the specs and data, a training run, or a gradient check."""

Change = tuple[str, Any]


@dataclass(frozen=True)
class Fix:
    """A suggested change to the specs, with a one-line imperative description.

    ``changes`` are ``(path, value)`` pairs: ``"network"``, ``"training"`` or ``"data"``
    replace a whole spec; ``"training.optimizer.lr"`` a field (any depth);
    ``"network.<layer id>.<field>"`` a field of one layer. ``network`` / ``training`` /
    ``data`` hold the result for the specs the fix was computed from (None: unchanged).
    """

    description: str
    changes: tuple[Change, ...]
    network: NetworkSpec | None = None
    training: TrainingSpec | None = None
    data: DataSpec | None = None

    @classmethod
    def build(cls, description: str, changes: Sequence[Change], network: NetworkSpec,
              training: TrainingSpec, data: DataSpec | None) -> Fix:
        """A fix with its resulting specs computed from the current ones."""
        fix = cls(description, tuple(changes))
        new_net, new_training, new_data = fix.apply(network, training, data)
        return dataclasses.replace(
            fix, network=new_net if new_net != network else None,
            training=new_training if new_training != training else None,
            data=new_data if new_data != data else None)

    @property
    def parts(self) -> tuple[str, ...]:
        """Which specs the fix changes (``network``, ``training``, ``data``)."""
        return tuple(dict.fromkeys(path.split(".")[0] for path, _ in self.changes))

    def apply(self, network: NetworkSpec, training: TrainingSpec,
              data: DataSpec | None) -> tuple[NetworkSpec, TrainingSpec, DataSpec | None]:
        """The three specs with this fix's changes applied (the inputs are not modified).

        Raises ``KeyError`` if a change names a layer the network no longer has.
        """
        specs: dict[str, Any] = {"network": network, "training": training, "data": data}
        for path, value in self.changes:
            part, _, rest = path.partition(".")
            if not rest:
                specs[part] = value
            elif part == "network":
                layer_id, _, name = rest.rpartition(".")
                specs[part] = _replace_layer(specs[part], layer_id, name, value)
            elif specs[part] is not None:
                specs[part] = _replace_path(specs[part], rest.split("."), value)
        return specs["network"], specs["training"], specs["data"]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the description and the changes."""
        return {"description": self.description,
                "changes": {path: _json(value) for path, value in self.changes}}


def _replace_layer(network: NetworkSpec, layer_id: str, name: str, value: Any) -> NetworkSpec:
    network.layer(layer_id)  # KeyError for a layer that is gone
    return network.replace_layer(layer_id, **{name: value})


def _replace_path(spec: Any, names: list[str], value: Any) -> Any:
    head, rest = names[0], names[1:]
    if not rest:
        return dataclasses.replace(spec, **{head: value})
    return dataclasses.replace(spec, **{head: _replace_path(getattr(spec, head), rest, value)})


def _json(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_dict(value)
    if isinstance(value, tuple):
        return list(value)
    return value


@dataclass(frozen=True)
class Finding:
    """One diagnosis: a stable ``code``, how urgent, where, the numbers, and what to do.

    ``message`` is one line (what is wrong, with the key number); ``explanation`` says in
    plain words why it happens and why it matters; ``evidence`` holds the numbers (floats,
    strings or lists of them); ``evidence_view`` names the view that shows them.
    """

    code: str
    severity: str
    title: str
    message: str
    explanation: str
    layer: str | None = None
    evidence: Mapping[str, Any] = field(default_factory=dict)
    fix: Fix | None = None
    evidence_view: str = "loss"
    stage: str = "training"

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, got {self.severity!r}")
        if self.evidence_view not in EVIDENCE_VIEWS:
            raise ValueError(f"evidence_view must be one of {EVIDENCE_VIEWS}")
        if self.stage not in STAGES:
            raise ValueError(f"stage must be one of {STAGES}, got {self.stage!r}")

    @property
    def key(self) -> tuple[str, str | None]:
        """What identifies a finding across updates: its code and layer."""
        return (self.code, self.layer)

    @property
    def is_open(self) -> bool:
        """True for warnings and problems (what the Doctor tab's badge counts)."""
        return self.severity != "info"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (non-finite numbers become None), as ``nncore train --report`` writes."""
        return {"code": self.code, "severity": self.severity, "layer": self.layer,
                "title": self.title, "message": self.message,
                "explanation": self.explanation,
                "evidence": {k: _finite(v) for k, v in self.evidence.items()},
                "evidence_view": self.evidence_view, "stage": self.stage,
                "fix": self.fix.to_dict() if self.fix else None}


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def severity_rank(finding: Finding) -> int:
    """0 for info, 1 for warning, 2 for problem."""
    return SEVERITIES.index(finding.severity)


def sort_findings(findings: Sequence[Finding]) -> list[Finding]:
    """Problems first, then warnings, then info; stable within a severity."""
    return sorted(findings, key=lambda f: -severity_rank(f))


def open_count(findings: Sequence[Finding]) -> int:
    """How many warnings and problems there are."""
    return sum(1 for f in findings if f.is_open)
