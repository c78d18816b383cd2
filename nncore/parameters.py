"""Trainable parameters, and the flat buffer that holds them all.

A layer owns ``Parameter`` objects (value and gradient of the same shape). Once a network
is built, ``flatten`` moves every value into one contiguous array and every gradient into
another, leaving each ``Parameter`` with *views* into them. Layers keep working on their
own tensors, while an optimizer can update the whole network with a handful of vectorised
NumPy calls instead of a Python loop over tensors: at the sizes people teach with, a
training step costs about one microsecond per NumPy call, so this is most of the speed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nncore._types import Array


@dataclass(eq=False)
class Parameter:
    """A trainable tensor: ``value`` is updated in place, ``grad`` has the same shape.

    ``name`` is a stable dotted path (``"dense-1.weight"``) used for files and labels.
    Identity hashing (``eq=False``) lets optimizer state key on the object.
    """

    name: str
    value: Array
    grad: Array

    @classmethod
    def zeros_like(cls, name: str, value: Array) -> Parameter:
        """A parameter holding ``value`` with a zero gradient of the same shape and dtype."""
        return cls(name, value, np.zeros_like(value))

    def __repr__(self) -> str:
        return f"Parameter({self.name!r}, shape={self.value.shape}, dtype={self.value.dtype})"


@dataclass(eq=False)
class FlatParameters:
    """All of a network's parameters as two contiguous 1-D arrays, plus where each lives."""

    values: Array
    grads: Array
    params: tuple[Parameter, ...]
    offsets: tuple[int, ...]

    def slice_of(self, index: int) -> slice:
        """The range of ``values`` that holds ``params[index]``."""
        start = self.offsets[index]
        return slice(start, start + self.params[index].value.size)


def flatten(params: Sequence[Parameter], dtype: type) -> FlatParameters:
    """Move ``params`` into two contiguous buffers and rebind them to views (in place)."""
    sizes = [p.value.size for p in params]
    offsets = tuple(int(o) for o in np.cumsum([0, *sizes[:-1]])) if params else ()
    total = int(sum(sizes))
    values = np.empty(total, dtype=dtype)
    grads = np.zeros(total, dtype=dtype)
    for p, start, size in zip(params, offsets, sizes):
        shape = p.value.shape
        values[start:start + size] = p.value.ravel()
        p.value = values[start:start + size].reshape(shape)
        p.grad = grads[start:start + size].reshape(shape)
    return FlatParameters(values, grads, tuple(params), offsets)


def find_flat(params: Sequence[Parameter]) -> FlatParameters | None:
    """The flat buffers ``params`` are consecutive views of, or None if they are not.

    Lets an optimizer take any list of parameters and still use the fast path when the
    list is exactly a built network's parameters in order.
    """
    if not params:
        return None
    values_base, grads_base = params[0].value.base, params[0].grad.base
    if values_base is None or grads_base is None or values_base.ndim != 1 \
            or grads_base.ndim != 1 or values_base.size != grads_base.size:
        return None
    offsets = []
    expected = 0
    for p in params:
        if p.value.base is not values_base or p.grad.base is not grads_base \
                or not p.value.flags.c_contiguous or not p.grad.flags.c_contiguous:
            return None
        start = _offset(p.value, values_base)
        if start != expected or _offset(p.grad, grads_base) != start:
            return None
        offsets.append(start)
        expected += p.value.size
    if expected != values_base.size:
        return None
    return FlatParameters(values_base, grads_base, tuple(params), tuple(offsets))


def stacked_view(top: Array, bottom: Array) -> Array | None:
    """``top`` (m, n) and ``bottom`` (n,) as one ``(m + 1, n)`` view, or None.

    Possible when ``bottom`` directly follows ``top`` in one flat buffer, as a Dense
    layer's bias follows its weight after ``flatten``: then ``[x, 1] @ [W; b]`` computes
    ``x @ W + b`` in a single matrix product, and ``[x, 1].T @ g`` both gradients.
    """
    base = top.base
    if base is None or bottom.base is not base or base.ndim != 1 or top.ndim != 2 \
            or bottom.shape != top.shape[1:] or not top.flags.c_contiguous \
            or not bottom.flags.c_contiguous:
        return None
    start = _offset(top, base)
    if _offset(bottom, base) != start + top.size:
        return None
    return base[start:start + top.size + bottom.size].reshape(top.shape[0] + 1, top.shape[1])


def _offset(view: Array, base: Array) -> int:
    address = view.__array_interface__["data"][0] - base.__array_interface__["data"][0]
    return address // base.itemsize
