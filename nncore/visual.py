"""What the views draw, computed without Qt: decision maps, unit heat maps, fit curves.

All functions take inputs in the data set's *original* coordinates (the plot's axes) and
run them through the fitted preprocessing, so a boundary is drawn where the data is.
Grids are float32 and evaluated in chunks (``Network.predict``); a 200 x 200 map of a
2-16-16-1 network costs a few milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nncore._types import Array
from nncore.data.dataset import Preprocessing, Splits
from nncore.layers import Dense
from nncore.network import Network, build, set_target_scaling
from nncore.spec import NetworkSpec, TrainingSpec, resolve_output


@dataclass(frozen=True)
class GridMap:
    """Values on a regular grid over ``extent = (x_min, x_max, y_min, y_max)``.

    ``values`` has shape ``(resolution, resolution)`` (row 0 is ``y_min``) for a single
    probability or value; ``classes`` (same shape) holds the winning class for
    multi-class problems, with ``values`` then its probability.
    """

    values: Array
    extent: tuple[float, float, float, float]
    classes: np.ndarray | None = None


def eval_network(network: NetworkSpec, training: TrainingSpec, splits: Splits) -> Network:
    """A float32 network of the right shape for evaluating weights sent by a run."""
    info = splits.info
    resolved = resolve_output(network, training, info.task, info.n_classes, info.n_targets)
    return set_target_scaling(build(network, n_inputs=splits.n_inputs, resolved=resolved,
                                    rng=np.random.default_rng(0), dtype=np.float32,
                                    huber_delta=training.huber_delta), splits)


def plot_extent(raw: Array, domain: tuple[tuple[float, float], ...] | None,
                margin: float = 0.08) -> tuple[float, float, float, float]:
    """The square-ish area to draw for 2-D raw inputs: the data set's domain, or the data's
    bounding box with a margin."""
    if domain is not None and len(domain) >= 2:
        (x0, x1), (y0, y1) = domain[0], domain[1]
        return float(x0), float(x1), float(y0), float(y1)
    lo, hi = raw[:, :2].min(axis=0), raw[:, :2].max(axis=0)
    pad = (hi - lo) * margin + 1e-6
    return float(lo[0] - pad[0]), float(hi[0] + pad[0]), float(lo[1] - pad[1]), \
        float(hi[1] + pad[1])


def grid_points(extent: tuple[float, float, float, float], resolution: int) -> Array:
    """Centres of a ``resolution x resolution`` grid, row-major from ``y_min``, float32."""
    x0, x1, y0, y1 = extent
    xs = np.linspace(x0, x1, resolution, dtype=np.float32)
    ys = np.linspace(y0, y1, resolution, dtype=np.float32)
    gx, gy = np.meshgrid(xs, ys)
    return np.column_stack([gx.ravel(), gy.ravel()])


# A diverged network (the NaN guard keeps the last finite weights, which can be huge)
# overflows here; the picture then shows it, without a warning.
_QUIET = np.errstate(over="ignore", invalid="ignore", divide="ignore")


@_QUIET
def decision_map(network: Network, preprocessing: Preprocessing,
                 extent: tuple[float, float, float, float], resolution: int = 200) -> GridMap:
    """Class-1 probability (binary) or winning class and its probability (multi-class)."""
    inputs = preprocessing.transform(grid_points(extent, resolution))
    out = network.predict(inputs).astype(np.float32, copy=False)
    shape = (resolution, resolution)
    if out.shape[1] == 1:
        return GridMap(out[:, 0].reshape(shape), extent)
    if out.shape[1] == 2:
        return GridMap(out[:, 1].reshape(shape), extent)
    winner = out.argmax(axis=1)
    return GridMap(out.max(axis=1).reshape(shape), extent, winner.reshape(shape))


def _layer_outputs(network: Network, inputs: Array, max_units: int) -> dict[str, Array]:
    """Each Dense layer's outputs ``(n_points, units)`` for ``inputs`` (the network's own
    inputs), skipping layers wider than ``max_units``; the output layer as the user sees it
    (probabilities for classification)."""
    outputs: dict[str, Array] = {}
    output_layer = network.layers[-1]
    for layer, trace in zip(network.layers, network.trace(inputs)):
        if not isinstance(layer, Dense) or layer.units > max_units:
            continue
        out = trace.output
        if layer is output_layer:
            out = network.output_activation.forward(out.copy())
        outputs[layer.id] = out
    return outputs


def _strips(values: Array, resolution: int) -> Array:
    """``(k, r)`` values along x drawn as ``(k, r, r)`` images (constant down each column)."""
    return np.ascontiguousarray(np.broadcast_to(values[:, None, :],
                                                (values.shape[0], resolution, resolution)),
                                dtype=np.float32)


@_QUIET
def unit_maps(network: Network, preprocessing: Preprocessing,
              extent: tuple[float, float, float, float], resolution: int = 24,
              max_units: int = 64) -> dict[str, Array]:
    """Each Dense layer's unit outputs over the input plane: ``{layer_id: (units, r, r)}``.

    Layers wider than ``max_units`` are skipped (they are drawn as compact blocks).
    """
    inputs = preprocessing.transform(grid_points(extent, resolution))
    return {layer_id: np.ascontiguousarray(out.T.reshape(-1, resolution, resolution),
                                           dtype=np.float32)
            for layer_id, out in _layer_outputs(network, inputs, max_units).items()}


@_QUIET
def unit_strips(network: Network, preprocessing: Preprocessing,
                x_range: tuple[float, float], resolution: int = 24,
                max_units: int = 64) -> dict[str, Array]:
    """For 1-D data: each unit's output along the input's range, as ``(units, r, r)``
    images that vary left to right (where each ReLU switches on, where tanh saturates)."""
    xs = np.linspace(x_range[0], x_range[1], resolution, dtype=np.float32)
    inputs = preprocessing.transform(xs[:, None])
    return {layer_id: _strips(out.T, resolution)
            for layer_id, out in _layer_outputs(network, inputs, max_units).items()}


def feature_maps(preprocessing: Preprocessing, extent: tuple[float, float, float, float],
                 resolution: int = 24) -> Array:
    """The network's inputs (after derived features and scaling) over the input plane,
    shape ``(n_inputs, r, r)``: what TensorFlow Playground draws for each input node."""
    inputs = preprocessing.transform(grid_points(extent, resolution))
    return np.ascontiguousarray(inputs.T.reshape(-1, resolution, resolution), dtype=np.float32)


def feature_strips(preprocessing: Preprocessing, x_range: tuple[float, float],
                   resolution: int = 24) -> Array:
    """For 1-D data: the network's inputs along the input's range, ``(n_inputs, r, r)``."""
    xs = np.linspace(x_range[0], x_range[1], resolution, dtype=np.float32)
    return _strips(preprocessing.transform(xs[:, None]).T, resolution)


@_QUIET
def fit_curve(network: Network, preprocessing: Preprocessing, x_range: tuple[float, float],
              n: int = 400) -> tuple[Array, Array]:
    """Predictions along a 1-D input range: ``(x, y)`` of shape ``(n,)`` and ``(n, k)``."""
    xs = np.linspace(x_range[0], x_range[1], n, dtype=np.float32)
    return xs, network.predict(preprocessing.transform(xs[:, None]))
