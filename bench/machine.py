"""What the benchmark ran on: CPU, cores, Python, NumPy and the BLAS it really uses."""

from __future__ import annotations

import ctypes
import os
import platform
from pathlib import Path
from typing import Any

import numpy as np


def cpu_model() -> str:
    """The CPU's model name from ``/proc/cpuinfo`` (or ``platform.processor()``)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_flags() -> set[str]:
    """The CPU's feature flags (Linux only; empty elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def _openblas() -> ctypes.CDLL | None:
    libs = Path(np.__file__).parent.parent / "numpy.libs"
    for pattern in ("libscipy_openblas*", "libopenblas*"):
        for path in sorted(libs.glob(pattern)):
            try:
                return ctypes.CDLL(str(path))
            except OSError:
                continue
    return None


def _openblas_call(lib: ctypes.CDLL, stem: str, restype: Any) -> Any:
    for name in (f"scipy_openblas_{stem}64_", f"scipy_openblas_{stem}", f"openblas_{stem}64_",
                 f"openblas_{stem}"):
        function = getattr(lib, name, None)
        if function is not None:
            function.restype = restype
            value = function()
            return value.decode() if isinstance(value, bytes) else value
    return None


def blas_info() -> dict[str, Any]:
    """NumPy's BLAS: name, version, the kernel OpenBLAS picked and its thread count."""
    info: dict[str, Any] = {"name": "unknown", "version": "", "core": None, "threads": None}
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        info["name"], info["version"] = blas.get("name", "unknown"), blas.get("version", "")
    except Exception:  # show_config's layout is not a stable API
        pass
    lib = _openblas()
    if lib is not None:
        info["core"] = _openblas_call(lib, "get_corename", ctypes.c_char_p)
        info["threads"] = _openblas_call(lib, "get_num_threads", ctypes.c_int)
    return info


def describe() -> dict[str, Any]:
    """Machine, Python, NumPy and BLAS facts for the report."""
    flags = cpu_flags()
    simd = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "SSE"
    return {
        "cpu": cpu_model(), "cores": os.cpu_count(), "simd": simd,
        "python": platform.python_version(), "numpy": np.__version__, "blas": blas_info(),
        "system": f"{platform.system()} {platform.release()}",
    }
