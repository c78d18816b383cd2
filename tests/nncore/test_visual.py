"""What the views draw: unit maps over the plane, and strips along a 1-D input."""

from __future__ import annotations

import numpy as np

from nncore.data.dataset import Preprocessing
from nncore.network import build
from nncore.spec import Resolved, mlp_spec
from nncore.visual import feature_strips, unit_maps, unit_strips


def _network(n_inputs: int):
    return build(mlp_spec([3], "relu"), n_inputs=n_inputs, resolved=Resolved("linear", "mse", 1),
                 rng=np.random.default_rng(0))


def test_unit_strips_are_each_units_output_along_x():
    net = _network(1)
    strips = unit_strips(net, Preprocessing(), (0.0, 1.0), resolution=8)
    xs = np.linspace(0, 1, 8, dtype=np.float32)[:, None]
    hidden = np.maximum(xs @ net.layers[0].weight.value + net.layers[0].bias.value, 0)
    assert strips["dense-1"].shape == (3, 8, 8)
    for unit in range(3):  # every row of a unit's image is its output along x
        np.testing.assert_allclose(strips["dense-1"][unit], np.tile(hidden[:, unit], (8, 1)),
                                   rtol=1e-6)
    assert strips["dense-2"].shape == (1, 8, 8)


def test_feature_strips_show_the_input_itself():
    strips = feature_strips(Preprocessing(), (-2.0, 2.0), resolution=5)
    np.testing.assert_allclose(strips[0, 3], np.linspace(-2, 2, 5))


def test_unit_maps_cover_the_plane_row_major_from_y_min():
    net = _network(2)
    maps = unit_maps(net, Preprocessing(), (-1.0, 1.0, -2.0, 2.0), resolution=4)
    layer = net.layers[0]
    corner = np.array([[-1.0, 2.0]], dtype=np.float32)  # last row (y_max), first column
    expected = np.maximum(corner @ layer.weight.value + layer.bias.value, 0)[0]
    np.testing.assert_allclose(maps["dense-1"][:, 3, 0], expected, rtol=1e-6)
