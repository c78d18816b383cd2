"""Read a ``.npy`` member's header (shape and dtype) without reading its data.

Loaders of ``.npz`` files call this for every array *before* ``np.load`` allocates it, so
a header announcing a terabyte, or a pickled object array, is refused without cost.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np

_READERS = {(1, 0): np.lib.format.read_array_header_1_0,
            (2, 0): np.lib.format.read_array_header_2_0}


@dataclass(frozen=True)
class NpyHeader:
    """What a ``.npy`` header announces, and how many bytes the header itself takes."""

    shape: tuple[int, ...]
    dtype: np.dtype
    header_bytes: int

    @property
    def data_bytes(self) -> int:
        """Bytes of array data the header announces."""
        return math.prod(self.shape) * self.dtype.itemsize


def read_npy_header(stream: BinaryIO) -> NpyHeader:
    """The header at the start of ``stream``; ``ValueError`` for a damaged or unsupported
    header (only format versions 1.0 and 2.0, which ``np.save`` writes, are read)."""
    version = np.lib.format.read_magic(stream)
    read = _READERS.get(version)
    if read is None:
        raise ValueError(f"it uses .npy format {version}, which is not supported; save it "
                         "with np.savez")
    shape, _, dtype = read(stream)
    return NpyHeader(tuple(shape), dtype, stream.tell())
