"""The PyTorch peer, run as ``python -m bench.torch_peer`` (see ``bench.protocol``).

The same workload in idiomatic eager PyTorch on the CPU: ``torch.nn.Sequential`` of
``Linear`` layers, ``CrossEntropyLoss`` on integer labels, ``torch.optim`` (default, or
``fused=True``, the fastest eager form), ``zero_grad`` / ``backward`` / ``step`` and
``loss.item()`` every step (the app needs the batch loss of every step for its live
plot, so nncore computes it too). Data, initial weights and the shuffle order come from
the ``.npz`` file nncore's side wrote (``bench.workloads.export``). Threads come from the
environment the parent set (``torch.set_num_threads`` is called with the same number).

Optional: install with ``pip install torch==2.13.0`` (CPU wheels are enough).
"""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np

from bench.workloads import WORKLOADS

INSTALL_HINT = "pip install torch==2.13.0  (CPU wheels: --index-url " \
    "https://download.pytorch.org/whl/cpu)"

_loaded: dict[str, dict[str, Any]] = {}


def _torch():
    import torch

    threads = int(os.environ.get("OMP_NUM_THREADS", "1"))
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    return torch


def info() -> dict[str, Any]:
    """PyTorch's version, threads and math libraries."""
    torch = _torch()
    return {"version": torch.__version__, "threads": torch.get_num_threads(),
            "mkl": torch.backends.mkl.is_available(),
            "mkldnn": torch.backends.mkldnn.is_available(),
            "cpu_capability": torch.backends.cpu.get_cpu_capability()}


def load(workload: str, path: str) -> dict[str, Any]:
    """Read a workload's data, order and initial weights (kept for the following runs)."""
    torch = _torch()
    with np.load(path, allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files}
    n_layers = int(arrays["n_layers"])
    _loaded[workload] = {
        "x": torch.from_numpy(arrays["x"]), "labels": torch.from_numpy(arrays["labels"]),
        "order": torch.from_numpy(arrays["order"]),
        "weights": [(arrays[f"w{i}"], arrays[f"b{i}"]) for i in range(n_layers)]}
    return {"rows": int(arrays["x"].shape[0]), "layers": n_layers}


def _model(torch, weights, activation: str):
    layers = []
    act = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh}[activation]
    for i, (w, b) in enumerate(weights):
        linear = torch.nn.Linear(w.shape[0], w.shape[1])
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(np.ascontiguousarray(w.T)))
            linear.bias.copy_(torch.from_numpy(b))
        layers.append(linear)
        if i < len(weights) - 1:
            layers.append(act())
    return torch.nn.Sequential(*layers)


def _optimizer(torch, params, spec, fused: bool):
    extra = {"fused": True} if fused else {}
    if spec.name == "adam":
        return torch.optim.Adam(params, lr=spec.lr, **extra)
    if spec.name in ("sgd", "momentum"):
        momentum = spec.momentum if spec.momentum is not None else \
            (0.9 if spec.name == "momentum" else 0.0)
        return torch.optim.SGD(params, lr=spec.lr, momentum=momentum, **extra)
    raise ValueError(f"the peer has no optimizer {spec.name!r}")


def run(workload: str, fused: bool, steps: int) -> dict[str, Any]:
    """One timed run, split like nncore's: first step (with the shuffle), then ``steps``."""
    torch = _torch()
    w, data = WORKLOADS[workload], _loaded[workload]
    model = _model(torch, data["weights"], w.activation)
    optimizer = _optimizer(torch, model.parameters(), w.optimizer, fused)
    loss_fn = torch.nn.CrossEntropyLoss()
    batch = w.batch_size

    start = time.perf_counter()
    order = data["order"]
    x_epoch, y_epoch = data["x"][order], data["labels"][order]

    def step(i: int) -> float:
        xb, yb = x_epoch[i * batch:(i + 1) * batch], y_epoch[i * batch:(i + 1) * batch]
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
        return loss.item()

    first_loss = step(0)
    first = time.perf_counter()
    last_loss = first_loss
    for i in range(1, steps + 1):
        last_loss = step(i)
    end = time.perf_counter()
    return {"first_step": first - start, "steps": steps, "seconds": end - first,
            "per_step": (end - first) / steps, "first_loss": first_loss,
            "last_loss": last_loss}


def main() -> None:
    from bench.protocol import serve

    serve({"info": info, "load": load, "run": run})


if __name__ == "__main__":
    main()
