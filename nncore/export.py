"""Code export: a standalone script that builds and trains the same network on the same data.

``export_script(network, training, data, to="numpy" | "pytorch")`` returns the text of a
Python script that needs only NumPy (or NumPy and PyTorch), never ``nncore``:

- the **data** exactly as Backprop Lab prepares it (split, derived features, scaling and
  encoded targets) and the **initial weights** drawn from the design's seed are embedded
  as one compressed ``.npz`` archive in base64 (too large ones go to a ``.npz`` file next
  to the script);
- the **shuffle order** comes from the same NumPy generator, seeded the same way
  (``SeedSequence(seed).spawn(2)[1]``), so every batch holds the same samples;
- the NumPy script writes the forward pass, backpropagation, loss and update rule by hand,
  with a comment naming each formula; the PyTorch script uses ``nn.Sequential``, a
  ``torch.nn`` loss and ``torch.optim``.

Both print ``epoch N loss X`` after every epoch (the training loss of the whole training set,
as Backprop Lab's history records it) and accept ``--epochs``. The tests check that they
reproduce nncore's losses. Designs the scripts cannot reproduce exactly (dropout, schedules,
gradient clipping, lesson bugs...) are refused with a message saying what to change.
"""

from __future__ import annotations

import base64
import io
import zlib
from pathlib import Path

import numpy as np

from nncore import __version__
from nncore.errors import NNCoreError
from nncore.spec import DataSpec, DenseSpec, NetworkSpec, TrainingSpec
from nncore.training import EVAL_LIMIT

TARGETS = ("numpy", "pytorch")
EXPORT_ACTIVATIONS = ("linear", "relu", "leaky_relu", "elu", "tanh", "sigmoid")
EXPORT_OPTIMIZERS = ("sgd", "momentum", "nesterov", "adam")
MAX_EMBEDDED_BYTES = 4 * 1024 * 1024
"""Compressed data larger than this goes to a ``.npz`` file beside the script."""


class ExportError(NNCoreError, ValueError):
    """The design uses something the exported scripts cannot reproduce exactly."""


def _check_exportable(network: NetworkSpec, training: TrainingSpec, resolved) -> None:
    problems = []
    for layer in network.layers:
        if not isinstance(layer, DenseSpec):
            problems.append(f"layer {layer.id!r} is a {layer.kind} layer (only Dense layers "
                            "are exported; remove it)")
        elif layer is not network.layers[-1] and layer.activation not in EXPORT_ACTIVATIONS:
            problems.append(f"layer {layer.id!r} uses {layer.activation} (exported: "
                            f"{', '.join(EXPORT_ACTIVATIONS)})")
    fused = {("softmax", "cross_entropy"), ("sigmoid", "bce")}
    pair = (resolved.output_activation, resolved.loss)
    if pair not in fused and not (resolved.loss == "mse"
                                  and resolved.output_activation in EXPORT_ACTIVATIONS):
        problems.append(f"the output {pair[0]} with the {pair[1]} loss (exported: softmax + "
                        "cross-entropy, sigmoid + binary cross-entropy, or MSE)")
    opt = training.optimizer
    if opt.name not in EXPORT_OPTIMIZERS:
        problems.append(f"the {opt.name} optimizer (exported: {', '.join(EXPORT_OPTIMIZERS)})")
    if opt.clip_norm is not None:
        problems.append("gradient clipping (set clip norm to off)")
    s = training.schedule
    if s.name != "constant" or s.warmup_epochs:
        problems.append("a learning-rate schedule or warm-up (use a constant rate)")
    if training.early_stopping:
        problems.append("early stopping (switch it off)")
    if training.bugs:
        problems.append(f"the lesson bug(s) {', '.join(training.bugs)}")
    if problems:
        raise ExportError("cannot export this design exactly: " + "; ".join(problems))


def _resolved_session(network: NetworkSpec, training: TrainingSpec, data: DataSpec):
    from nncore.session import Session

    return Session(network, training, data)


def export_arrays(session) -> dict[str, np.ndarray]:
    """The arrays a script embeds: prepared data, encoded targets and initial weights."""
    d = session.data
    arrays = {"x_train": d.x_train, "t_train": d.t_train, "x_val": d.x_val, "t_val": d.t_val}
    fresh = session.network.get_weights() if not len(session.trainer.history) else None
    if fresh is None:  # a session that has trained: draw the initial weights again
        fresh = _resolved_session(session.network_spec, session.training_spec,
                                  session.data_spec).network.get_weights()
    arrays.update({f"init/{name}": value for name, value in fresh.items()})
    return arrays


def _pack(arrays: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return zlib.compress(buffer.getvalue(), 9)


def _blob_lines(packed: bytes) -> str:
    text = base64.b64encode(packed).decode("ascii")
    return "\n".join(text[i:i + 96] for i in range(0, len(text), 96))


def _settings(session) -> dict[str, object]:
    training, resolved = session.training_spec, session.resolved
    opt = training.optimizer
    momentum = opt.momentum if opt.momentum is not None else (
        0.9 if opt.name in ("momentum", "nesterov") else 0.0)
    layers = []
    for layer in session.network_spec.layers:
        last = layer is session.network_spec.layers[-1]
        activation = resolved.output_activation if last else layer.activation
        default_alpha = {"leaky_relu": 0.01, "elu": 1.0}.get(activation)
        alpha = layer.activation_alpha if layer.activation_alpha is not None else default_alpha
        layers.append((layer.id, activation, alpha, layer.bias, layer.l1, layer.l2))
    return {"dtype": training.dtype, "lr": opt.lr, "batch": training.batch_size,
            "epochs": training.epochs, "seed": training.seed, "shuffle": training.shuffle,
            "loss": resolved.loss, "optimizer": "adam" if opt.name == "adam" else "sgd",
            "momentum": momentum, "nesterov": opt.nesterov or opt.name == "nesterov",
            "beta1": opt.beta1, "beta2": opt.beta2,
            "eps": opt.eps if opt.eps is not None else 1e-8,
            "weight_decay": opt.weight_decay or 0.0, "layers": layers}


def export_script(session, to: str, *, title: str = "", sidecar: Path | None = None) -> str:
    """The text of a standalone training script for ``session``'s design (``to``: numpy or
    pytorch). Data too large to embed is written to ``sidecar`` (required then)."""
    if to not in TARGETS:
        raise ExportError(f"unknown export target {to!r}; choose numpy or pytorch")
    _check_exportable(session.network_spec, session.training_spec, session.resolved)
    packed = _pack(export_arrays(session))
    if len(packed) > MAX_EMBEDDED_BYTES:
        if sidecar is None:
            raise ExportError("the data is too large to embed in the script; give an output "
                              "file so it can go to a .npz file beside it")
        sidecar.write_bytes(zlib.decompress(packed))
        loader = SIDECAR_LOADER.format(name=sidecar.name)
    else:
        loader = BLOB_LOADER.format(blob=_blob_lines(packed))
    s = _settings(session)
    header = HEADER.format(
        title=title or session.splits.info.name, version=__version__,
        framework="plain NumPy" if to == "numpy" else "PyTorch",
        design=" -> ".join([str(session.splits.n_inputs)] + [
            f"{n} {a}" for n, (_, a, *_rest) in zip(
                [x.units or session.resolved.n_outputs for x in session.network_spec.layers],
                s["layers"])]),
        data=session.splits.info.name, n_train=len(session.data.x_train))
    values = {k: v if k == "dtype" else repr(v) for k, v in s.items()}
    values["layers"] = "[\n" + "".join(f"    {layer!r},\n" for layer in s["layers"]) + "]"
    settings = SETTINGS.format(eval_limit=EVAL_LIMIT, **values)
    if to == "numpy":
        from nncore.export_templates import numpy_body

        body = numpy_body(s)
    else:
        from nncore.export_templates import pytorch_body

        body = pytorch_body(s)
    return header + settings + loader + body


def export_project(project, to: str, output: Path | None = None) -> str:
    """Export a project's design (``output``: where the script will go, for a sidecar)."""
    session = _resolved_session(project.network, project.training, project.data)
    sidecar = output.with_suffix(".npz") if output is not None else None
    return export_script(session, to, title=project.title, sidecar=sidecar)


HEADER = '''#!/usr/bin/env python3
"""{title}: a neural network trained with {framework}.

Exported by Backprop Lab {version} (nncore export). The network
    {design}
(inputs, then each layer's units and activation) learns the data set "{data}"
({n_train} training samples). It starts from the same initial weights, sees the batches
in the same order and prints the same training loss per epoch as Backprop Lab.

    python train.py [--epochs N]
"""

import argparse
import base64
import io
import zlib
from pathlib import Path

import numpy as np

'''

SETTINGS = '''# ------------------------------------------------------------ settings
DTYPE = np.{dtype}
LEARNING_RATE = {lr}
BATCH_SIZE = {batch}          # None: the whole training set in one batch
EPOCHS = {epochs}
SEED = {seed}                  # the shuffle order comes from this seed
SHUFFLE = {shuffle}
LOSS = {loss}
OPTIMIZER = {optimizer}
MOMENTUM = {momentum}
NESTEROV = {nesterov}
BETA1, BETA2, EPS = {beta1}, {beta2}, {eps}
WEIGHT_DECAY = {weight_decay}
EVAL_LIMIT = {eval_limit}         # the training loss is measured on (at most) this many samples
# (layer name, activation, its alpha, has a bias, L1, L2) from input to output
LAYERS = {layers}

'''

BLOB_LOADER = '''# ------------------------------------------------------------ data
# The prepared data (inputs scaled as Backprop Lab scales them, targets one-hot or 0/1
# encoded) and the initial weights, as a compressed NumPy .npz archive in base64.
DATA = """
{blob}
"""


def load_arrays():
    """x_train, t_train, x_val, t_val and init/<layer>.weight, init/<layer>.bias."""
    raw = zlib.decompress(base64.b64decode("".join(DATA.split())))
    with np.load(io.BytesIO(raw), allow_pickle=False) as archive:
        return {{name: archive[name] for name in archive.files}}

'''

SIDECAR_LOADER = '''# ------------------------------------------------------------ data
# The prepared data (inputs scaled as Backprop Lab scales them, targets encoded) and the
# initial weights are in {name}, beside this script (too large to embed).


def load_arrays():
    """x_train, t_train, x_val, t_val and init/<layer>.weight, init/<layer>.bias."""
    path = Path(__file__).with_name("{name}")
    with np.load(path, allow_pickle=False) as archive:
        return {{name: archive[name] for name in archive.files}}

'''
