"""Your own handwriting: a drawn digit prepared like the data set, and what the network
makes of it.

``prepare_drawing(canvas, image_shape)`` turns a drawing (a grey canvas of any size, ink
1, paper 0) into an input of the data set's shape by that set's own rule:

- MNIST (28 × 28): the ink's bounding box is scaled, keeping its aspect ratio, to fit a
  20 × 20 box (area-averaged, so strokes keep MNIST's grey anti-aliased edges), then
  placed in the 28 × 28 field so that its centre of mass is at the centre (LeCun et al.).
- The 8 × 8 UCI digits: the ink is scaled to fit 32 × 32 (aspect kept, centred), made
  black-and-white, and each 4 × 4 block's count of inked pixels gives 0-16, scaled to
  [0, 1] as the data set stores it.
- Any other image shape: scaled to fit (aspect kept) and centred.

``read_digit(network, preprocessing, image)`` gives the class probabilities, the first
Dense layer's activations and the gradient × input saliency of the top class: which
pixels pushed toward it (positive) or away from it (negative).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nncore._types import Array
from nncore.data.dataset import Preprocessing
from nncore.layers import Dense, Dropout
from nncore.network import Network

MNIST_SHAPE, DIGITS_SHAPE = (28, 28), (8, 8)
MNIST_BOX = 20
DIGITS_BITMAP, DIGITS_BLOCK = 32, 4
INK_THRESHOLD = 0.05
"""Canvas values above this count as ink when finding the drawing's bounding box."""


# --------------------------------------------------------------------------- resampling


def area_weights(n_in: int, n_out: int) -> np.ndarray:
    """``(n_out, n_in)`` matrix averaging the input cells each output cell covers (by
    overlap length): exact area resampling along one axis, up or down."""
    edges_out = np.linspace(0.0, n_in, n_out + 1)
    lo = np.maximum(edges_out[:-1, None], np.arange(n_in)[None, :])
    hi = np.minimum(edges_out[1:, None], np.arange(1, n_in + 1)[None, :])
    overlap = np.clip(hi - lo, 0.0, None)
    return overlap / overlap.sum(axis=1, keepdims=True)


def resample(image: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """``image`` resampled to ``shape`` by area averaging (float64)."""
    rows = area_weights(image.shape[0], shape[0])
    cols = area_weights(image.shape[1], shape[1])
    return rows @ np.asarray(image, dtype=np.float64) @ cols.T


def ink_box(canvas: np.ndarray) -> tuple[slice, slice] | None:
    """Rows and columns of the ink's bounding box, None for a blank canvas."""
    ink = canvas > INK_THRESHOLD
    if not ink.any():
        return None
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    return slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)


def fit_in_box(canvas: np.ndarray, box: int) -> np.ndarray:
    """The inked part of ``canvas`` scaled (aspect kept) so its longer side is ``box``."""
    where = ink_box(canvas)
    if where is None:
        return np.zeros((box, box))
    ink = canvas[where]
    h, w = ink.shape
    scale = box / max(h, w)
    size = (max(1, round(h * scale)), max(1, round(w * scale)))
    return np.clip(resample(ink, size), 0.0, 1.0)


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    """(row, column) centre of mass of the intensities (the middle for a blank image)."""
    total = image.sum()
    if total <= 0:
        return (image.shape[0] - 1) / 2, (image.shape[1] - 1) / 2
    rows, cols = np.indices(image.shape)
    return float((rows * image).sum() / total), float((cols * image).sum() / total)


def place(patch: np.ndarray, shape: tuple[int, int], at: tuple[int, int]) -> np.ndarray:
    """``patch`` pasted into a blank ``shape`` image with its top-left at ``at`` (clipped)."""
    out = np.zeros(shape)
    r0, c0 = at
    rs, cs = max(0, -r0), max(0, -c0)
    re, ce = min(patch.shape[0], shape[0] - r0), min(patch.shape[1], shape[1] - c0)
    if re > rs and ce > cs:
        out[r0 + rs:r0 + re, c0 + cs:c0 + ce] = patch[rs:re, cs:ce]
    return out


# --------------------------------------------------------------------------- the rules


def mnist_rule(canvas: np.ndarray) -> np.ndarray:
    """MNIST's rule: fit in 20 × 20 (aspect kept), centre of mass at the centre of 28 × 28."""
    patch = fit_in_box(canvas, MNIST_BOX)
    com_r, com_c = centre_of_mass(patch)
    centre = (MNIST_SHAPE[0] - 1) / 2
    at = (round(centre - com_r), round(centre - com_c))
    return place(patch, MNIST_SHAPE, at)


def centred(canvas: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The ink scaled to fit ``shape`` (aspect kept) and centred in it."""
    patch = fit_in_box(canvas, min(shape))
    at = ((shape[0] - patch.shape[0]) // 2, (shape[1] - patch.shape[1]) // 2)
    return place(patch, shape, at)


def digits_rule(canvas: np.ndarray) -> np.ndarray:
    """The UCI 8 × 8 digits' rule: a 32 × 32 black-and-white bitmap, each 4 × 4 block's
    inked pixels counted (0-16), scaled to [0, 1] as the data set holds them."""
    bitmap = centred(canvas, (DIGITS_BITMAP, DIGITS_BITMAP)) >= 0.5
    n = DIGITS_BITMAP // DIGITS_BLOCK
    counts = bitmap.reshape(n, DIGITS_BLOCK, n, DIGITS_BLOCK).sum(axis=(1, 3))
    return counts / float(DIGITS_BLOCK * DIGITS_BLOCK)


def prepare_drawing(canvas: Array, image_shape: tuple[int, ...]) -> np.ndarray:
    """The drawing as the data set's input: float32 of ``image_shape`` in [0, 1]."""
    canvas = np.clip(np.nan_to_num(np.asarray(canvas, dtype=np.float64)), 0.0, 1.0)
    if canvas.ndim != 2:
        raise ValueError(f"a drawing is a 2-D grey image, got shape {canvas.shape}")
    shape = tuple(int(s) for s in image_shape)
    if len(shape) != 2:
        raise ValueError(f"the digit pad draws 2-D images, not shape {shape}")
    if shape == MNIST_SHAPE:
        image = mnist_rule(canvas)
    elif shape == DIGITS_SHAPE:
        image = digits_rule(canvas)
    else:
        image = centred(canvas, shape)
    return image.astype(np.float32)


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class DigitReading:
    """What the network makes of one image."""

    probabilities: np.ndarray   # (n_classes,)
    top: int
    activations: np.ndarray     # the first Dense layer's outputs, (units,)
    saliency: np.ndarray        # gradient x input of the top class, image-shaped
    first_layer: str


def class_score_gradient(network: Network, x: Array, label: int) -> np.ndarray:
    """d(output ``label``)/d(input) for one input row ``x`` (the network's own inputs):
    the class's logit when softmax is fused into the loss, else its output. Uses the
    network's backward pass with dropout switched off."""
    dropouts = [layer for layer in network.layers if isinstance(layer, Dropout)]
    rates = [layer.rate for layer in dropouts]
    try:
        for layer in dropouts:
            layer.rate = 0.0
        out = network.forward(np.asarray(x, dtype=network.dtype).reshape(1, -1),
                              training=True)
        grad_out = np.zeros_like(out)
        grad_out[0, label] = 1.0
        return np.asarray(network.backward(grad_out, need_input_grad=True))[0].copy()
    finally:
        for layer, rate in zip(dropouts, rates):
            layer.rate = rate


def read_digit(network: Network, preprocessing: Preprocessing, image: Array) -> DigitReading:
    """Probabilities, first-layer activations and gradient × input saliency of ``image``
    (raw pixels, as the data set holds them)."""
    raw = np.asarray(image, dtype=np.float32).reshape(1, -1)
    x = preprocessing.transform(raw)
    probabilities = network.predict(x)[0].astype(np.float64)
    if probabilities.size == 1:  # one sigmoid unit: P(class 1)
        probabilities = np.array([1.0 - probabilities[0], probabilities[0]])
    top = int(np.argmax(probabilities))
    first = next(layer for layer in network.layers if isinstance(layer, Dense))
    trace = next(t for t in network.trace(x) if t.layer_id == first.id)
    label = top if network.forward(x).shape[1] > 1 else 0
    grad = class_score_gradient(network, x, label)
    if probabilities.size == 2 and network.forward(x).shape[1] == 1 and top == 0:
        grad = -grad  # the single unit's score points toward class 1
    grad_raw = grad[:raw.shape[1]] / _scale(preprocessing, raw.shape[1])
    saliency = (grad_raw * raw[0]).reshape(np.shape(image))
    return DigitReading(probabilities, top, np.asarray(trace.output[0], dtype=np.float64),
                        saliency.astype(np.float64), first.id)


def _scale(preprocessing: Preprocessing, n: int) -> np.ndarray:
    """d(network input)/d(raw input) per pixel: 1 / scale for standard or min-max."""
    if preprocessing.scale is None or preprocessing.method == "none":
        return np.ones(n)
    return np.asarray(preprocessing.scale, dtype=np.float64).reshape(-1)[:n]
