"""Live updates of an existing drawing: weights to link pens, unit outputs to heat maps.

These run up to 30 times a second while training, so they only change existing items
(pens, brushes, pixmaps) and skip anything whose shape does not match the drawing (the
weights of a design that was just edited, say).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from app.designer.columns import value_range
from app.designer.heatmap import HeatPalette
from app.designer.layer_item import LayerItem
from app.designer.link_item import BandItem, LinkItem


def layer_weights(layers: list[LayerItem], weights: Mapping[str, np.ndarray] | None
                  ) -> dict[int, tuple[np.ndarray, np.ndarray | None]]:
    """``{column index: (W, b)}`` for every Dense column whose weights fit the drawing."""
    found: dict[int, tuple[np.ndarray, np.ndarray | None]] = {}
    if not weights:
        return found
    for k, layer in enumerate(layers):
        if k == 0 or layer.column.kind not in ("dense", "output"):
            continue
        w = weights.get(f"{layer.layer_id}.weight")
        shape = (layers[k - 1].column.width, layer.column.width)
        if w is None or np.shape(w) != shape:
            continue
        b = weights.get(f"{layer.layer_id}.bias")
        found[k] = (np.asarray(w), None if b is None or np.shape(b) != (shape[1],)
                    else np.asarray(b))
    return found


def apply_weights(layers: list[LayerItem], links: dict[int, list[LinkItem]],
                  bands: dict[int, BandItem], weights: Mapping[str, np.ndarray] | None) -> None:
    """Colour links and bands by the weights, and give units their biases.

    Link thickness is relative to the largest ``|w|`` drawn one by one, so layers can be
    compared; bands are shaded relative to the largest mean ``|w|`` of any band.
    """
    found = layer_weights(layers, weights)
    drawn = [found[k][0] for k in links if k in found and links[k][0].weighted]
    max_abs = max((_max_abs(w) for w in drawn), default=0.0)
    for k, items in links.items():
        if not items[0].weighted:
            continue
        if k not in found:
            for item in items:
                item.set_weight(None)
            continue
        for item, value in zip(items, found[k][0].ravel().tolist()):
            item.set_weight(value, max_abs)
    means = [float(np.mean(np.abs(found[k][0]))) for k in bands if k in found]
    max_mean = max(means, default=0.0)
    for k, band in bands.items():
        if band.weighted:
            band.set_weights(found[k][0] if k in found else None, max_mean)
    for k, layer in enumerate(layers):
        bias = found[k][1] if k in found else None
        for unit, j in zip(layer.units, layer.unit_indices):
            unit.bias = None if bias is None else float(bias[j])


def _max_abs(w: np.ndarray) -> float:
    finite = np.abs(w[np.isfinite(w)])
    return float(finite.max()) if finite.size else 0.0


def apply_frame(layers: list[LayerItem], frame, heat: HeatPalette) -> int:
    """Show each unit's output over the input plane (``VisualFrame.units`` / ``inputs``).

    Returns the number of heat maps shown; units without a matching map are cleared.
    """
    shown = 0
    for layer in layers:
        maps = _maps_for(layer, frame)
        if maps is None or not layer.units:
            for unit in layer.units:
                unit.set_heatmap(None)
            continue
        if layer.column.kind == "input":
            pixmaps = heat.pixmaps_each(maps, layer.unit_indices)
        else:
            pixmaps = heat.pixmaps(maps, value_range(layer.column.activation),
                                   layer.unit_indices)
        for unit, pixmap in zip(layer.units, pixmaps):
            unit.set_heatmap(pixmap)
        shown += len(pixmaps)
    return shown


def _maps_for(layer: LayerItem, frame) -> np.ndarray | None:
    if frame is None or layer.column.elementwise:
        return None
    if layer.column.kind == "input":
        maps = getattr(frame, "inputs", None)
    else:
        maps = (getattr(frame, "units", None) or {}).get(layer.layer_id)
    if maps is None or maps.ndim != 3 or maps.shape[0] != layer.column.width:
        return None
    return maps
