"""Network edits the designer offers, as pure functions from one ``NetworkSpec`` to the next.

No Qt here: each function returns a new spec (layers get fresh ids from ``new_layer_id``),
so the view only turns mouse gestures into calls and hands the result to the document as
one undo step. The one ordering rule is ``NetworkSpec``'s: the Dense output layer stays
last. Positions are *gaps*: gap ``g`` is the place just before ``spec.layers[g]``, so
gaps run from 0 (right after the input) to ``len(hidden)`` (right before the output).
"""

from __future__ import annotations

import dataclasses

from nncore.spec import (
    ActivationSpec,
    DenseSpec,
    DropoutSpec,
    LayerSpec,
    NetworkSpec,
    new_layer_id,
)

LAYER_TITLES = {"dense": "Dense", "dropout": "Dropout", "activation": "Activation"}
"""Palette kinds and the names the user reads."""

DEFAULT_UNITS = 8
DEFAULT_DROPOUT = 0.2


def clamp_gap(spec: NetworkSpec, gap: int) -> int:
    """``gap`` limited to the places a hidden layer may take (never after the output)."""
    return max(0, min(int(gap), len(spec.layers) - 1))


def is_output(spec: NetworkSpec, layer_id: str) -> bool:
    """True for the last layer, which cannot be moved, duplicated or removed."""
    return bool(spec.layers) and spec.layers[-1].id == layer_id


def new_layer(spec: NetworkSpec, kind: str, gap: int) -> LayerSpec:
    """A fresh layer of ``kind`` for ``gap``, with defaults taken from its neighbours.

    A new Dense layer copies the activation and initialiser of the nearest hidden Dense
    layer (students mostly stack alike layers), or uses ReLU and He initialisation.
    """
    if kind not in LAYER_TITLES:
        raise ValueError(f"unknown layer kind {kind!r}; choose one of {list(LAYER_TITLES)}")
    layer_id = new_layer_id(spec, kind)
    if kind == "dropout":
        return DropoutSpec(layer_id, DEFAULT_DROPOUT)
    if kind == "activation":
        return ActivationSpec(layer_id, "relu")
    model = _nearest_hidden_dense(spec, gap)
    if model is None:
        return DenseSpec(layer_id, DEFAULT_UNITS, "relu", init="he_uniform")
    return DenseSpec(layer_id, DEFAULT_UNITS, model.activation, model.activation_alpha,
                     model.init, model.init_scale)


def _nearest_hidden_dense(spec: NetworkSpec, gap: int) -> DenseSpec | None:
    hidden = [(abs(i - gap + 0.5), layer) for i, layer in enumerate(spec.hidden)
              if isinstance(layer, DenseSpec)]
    return min(hidden, key=lambda pair: pair[0])[1] if hidden else None


def insert_layer(spec: NetworkSpec, gap: int, layer: LayerSpec | str) -> NetworkSpec:
    """A copy of ``spec`` with ``layer`` (or a new layer of that kind) placed at ``gap``."""
    gap = clamp_gap(spec, gap)
    if isinstance(layer, str):
        layer = new_layer(spec, layer, gap)
    if layer.id in {x.id for x in spec.layers}:
        raise ValueError(f"a layer with id {layer.id!r} is already in the network")
    layers = list(spec.layers)
    layers.insert(gap, layer)
    return NetworkSpec(tuple(layers))


def move_layer(spec: NetworkSpec, layer_id: str, gap: int) -> NetworkSpec:
    """A copy with ``layer_id`` moved to ``gap`` (a gap of the *current* spec).

    The output layer stays where it is; moving a layer next to itself changes nothing.
    """
    if is_output(spec, layer_id):
        return spec
    index = spec.index_of(layer_id)
    gap = clamp_gap(spec, gap)
    target = gap if gap <= index else gap - 1
    if target == index:
        return spec
    layers = list(spec.layers)
    layer = layers.pop(index)
    layers.insert(target, layer)
    return NetworkSpec(tuple(layers))


def duplicate_layer(spec: NetworkSpec, layer_id: str) -> tuple[NetworkSpec, str]:
    """A copy with a twin of ``layer_id`` (new id) right after it; returns the twin's id.

    The output layer cannot be duplicated (a second output would be a hidden layer with
    ``auto`` settings): ``spec`` is returned unchanged with an empty id.
    """
    if is_output(spec, layer_id):
        return spec, ""
    layer = spec.layer(layer_id)
    twin = dataclasses.replace(layer, id=new_layer_id(spec, layer.kind))
    return insert_layer(spec, spec.index_of(layer_id) + 1, twin), twin.id


def remove_layer(spec: NetworkSpec, layer_id: str) -> NetworkSpec:
    """A copy without ``layer_id`` (the output layer is kept: a network needs one)."""
    if is_output(spec, layer_id):
        return spec
    spec.layer(layer_id)  # KeyError for an unknown id
    return NetworkSpec(tuple(x for x in spec.layers if x.id != layer_id))


def describe_move(new: NetworkSpec, layer_id: str) -> str:
    """Undo text for a move, e.g. ``Move dense-2 after dropout-1``."""
    index = new.index_of(layer_id)
    if index == 0:
        return f"Move {layer_id} to the start"
    return f"Move {layer_id} after {new.layers[index - 1].id}"
