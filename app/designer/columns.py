"""What the network drawing shows, column by column, computed without Qt.

The drawing reads left to right like TensorFlow Playground: the input (one node per
feature), each layer of the spec, and the output last. A ``Column`` says how wide a
column is and what its labels say; the scene turns columns into items. Keeping this
pure makes "rebuild only when the structure changes" a simple equality test.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from nncore.activations import ACTIVATIONS, canonical_activation
from nncore.spec import (
    AUTO,
    ActivationSpec,
    DenseSpec,
    DropoutSpec,
    NetworkSpec,
    TrainingSpec,
    resolve_output,
)

MAX_NODES = 16
"""Layers wider than this are drawn as a compact block with the width written on it."""


@dataclass(frozen=True)
class DataShape:
    """The facts about the data that the drawing needs (from ``Splits``)."""

    n_inputs: int
    feature_names: tuple[str, ...] = ()
    task: str = "binary"
    n_classes: int = 2
    n_targets: int = 1
    class_names: tuple[str, ...] = ()
    name: str = ""
    image_shape: tuple[int, ...] | None = None


@dataclass(frozen=True)
class Column:
    """One vertical slice of the drawing.

    ``kind`` is ``input``, ``dense``, ``dropout``, ``activation`` or ``output``;
    ``width`` is the number of units (None while the data set is not loaded);
    ``activation`` is what the units output (resolved for the output layer), used to
    choose the colour range of heat maps; ``unit_names`` label the nodes (features for
    the input, classes for the output).
    """

    kind: str
    layer_id: str | None
    width: int | None
    title: str
    subtitle: str
    activation: str | None = None
    unit_names: tuple[str, ...] = ()

    @property
    def compact(self) -> bool:
        """True when drawn as a block instead of one node per unit."""
        return self.width is None or self.width > MAX_NODES

    @property
    def elementwise(self) -> bool:
        """Dropout and Activation layers act on each unit separately (links are 1:1)."""
        return self.kind in ("dropout", "activation")


def pretty_feature(name: str) -> str:
    """``x1^2`` -> ``x1²``, ``x1*x2`` -> ``x1·x2``: how a student writes features."""
    return name.replace("^2", "²").replace("^3", "³").replace("*", "·")


def input_column(shape: DataShape | None) -> Column:
    """The input column: one node per feature, named after the features."""
    if shape is None:
        return Column("input", None, None, "input", "loading data…")
    names = shape.feature_names if len(shape.feature_names) == shape.n_inputs else \
        tuple(f"x{i + 1}" for i in range(shape.n_inputs))
    noun = "feature" if shape.n_inputs == 1 else "features"
    subtitle = f"{shape.n_inputs} {noun}"
    if shape.image_shape and len(shape.image_shape) >= 2:
        subtitle = f"{shape.image_shape[0]}×{shape.image_shape[1]} pixels"
    return Column("input", None, shape.n_inputs, "input", subtitle, None,
                  tuple(pretty_feature(n) for n in names))


def _output_column(network: NetworkSpec, training: TrainingSpec,
                   shape: DataShape | None) -> Column:
    layer = network.output
    chosen = layer.activation
    resolved_activation, width = None, layer.units
    if shape is not None:
        try:
            resolved = resolve_output(network, training, shape.task, shape.n_classes,
                                      shape.n_targets)
        except ValueError:  # an unknown activation name: validation explains it
            resolved = None
        if resolved is not None:
            resolved_activation, width = resolved.output_activation, resolved.n_outputs
    activation_text = chosen
    if chosen == AUTO and resolved_activation:
        activation_text = f"auto → {resolved_activation}"
    units_text = str(width) if width is not None else "auto"
    return Column("output", layer.id, width, f"{layer.id} · output",
                  f"{units_text} · {activation_text}",
                  resolved_activation or _known(chosen), _output_names(shape, width))


def _output_names(shape: DataShape | None, width: int | None) -> tuple[str, ...]:
    if shape is None or width is None:
        return ()
    names = shape.class_names
    if shape.task == "regression":
        return ("ŷ",) if width == 1 else tuple(f"ŷ{i + 1}" for i in range(width))
    if width == 1:
        positive = names[1] if len(names) == 2 else "class 1"
        return (f"P({positive})",)
    if len(names) == width:
        return tuple(str(n) for n in names)
    return tuple(f"class {i}" for i in range(width))


def _known(activation: str) -> str | None:
    try:
        return canonical_activation(activation)
    except ValueError:
        return None


def network_columns(network: NetworkSpec, training: TrainingSpec,
                    shape: DataShape | None) -> tuple[Column, ...]:
    """Every column of the drawing, input first and output last."""
    columns = [input_column(shape)]
    ends_dense = bool(network.layers) and isinstance(network.layers[-1], DenseSpec)
    for layer in network.hidden if ends_dense else network.layers:
        width = columns[-1].width
        if isinstance(layer, DenseSpec):
            columns.append(Column("dense", layer.id, layer.units, layer.id,
                                  f"{layer.units} · {layer.activation}",
                                  _known(layer.activation)))
        elif isinstance(layer, DropoutSpec):
            columns.append(Column("dropout", layer.id, width, layer.id,
                                  f"dropout {layer.rate:g}", columns[-1].activation))
        elif isinstance(layer, ActivationSpec):
            columns.append(Column("activation", layer.id, width, layer.id,
                                  layer.activation, _known(layer.activation)))
    if ends_dense:
        columns.append(_output_column(network, training, shape))
    return tuple(columns)


def value_range(activation: str | None) -> tuple[float, float] | None:
    """The fixed output range of an activation (tanh: -1..1), or None if unbounded."""
    if activation is None or activation not in ACTIVATIONS:
        return None
    if activation == "softmax":
        return (0.0, 1.0)
    bounds = ACTIVATIONS[activation].bounded
    if bounds is None or not all(math.isfinite(b) for b in bounds):
        return None
    return bounds


def data_shape(splits) -> DataShape | None:
    """The ``DataShape`` of prepared ``Splits`` (None while nothing is loaded)."""
    if splits is None:
        return None
    info = splits.info
    names = tuple(splits.preprocessing.feature_names or info.feature_names)
    image_shape = tuple(info.image_shape) if info.image_shape else None
    return DataShape(splits.n_inputs, names, info.task, info.n_classes, info.n_targets,
                     tuple(str(c) for c in info.class_names), info.name, image_shape)


_HOW = {
    "dense": "Drag it to move it; Del removes it, Ctrl+D duplicates it; right-click for more.",
    "dropout": "Active only while training. Drag it to move it; Del removes it.",
    "activation": "Drag it to move it; Del removes it, Ctrl+D duplicates it.",
}


def describe_column(column: Column, data_name: str = "") -> str:
    """The tooltip of a column: what it is and what the user can do with it."""
    width = "?" if column.width is None else f"{column.width:,}"
    if column.kind == "input":
        names = ", ".join(column.unit_names[:8]) + (" …" if len(column.unit_names) > 8 else "")
        source = f" of {data_name}" if data_name else ""
        text = f"Input: {width} features{source}"
        text += f" ({names})" if names else ""
        return text + ".\nIt follows the data set: add features such as x1² in the Data panel."
    if column.kind == "output":
        return (f"{column.title}: {column.subtitle}.\nThe output layer follows the task and "
                "stays last; click it to choose its activation or units.")
    kinds = {"dense": f"Dense layer, {width} units, {column.subtitle.split(' · ')[-1]}",
             "dropout": f"Dropout layer, {column.subtitle}", "activation":
             f"Activation layer, {column.subtitle} applied to each of {width} units"}
    return f"{column.layer_id}: {kinds[column.kind]}.\n{_HOW[column.kind]}"
