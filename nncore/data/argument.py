"""Parse the CLI's ``--data`` value into a ``DataSpec``.

Forms accepted:

- a built-in name: ``spirals``, ``breast-cancer``, ``MNIST`` (any case, ``_`` for ``-``);
- a built-in name with options: ``spirals:turns=3,noise=0.1,n=1000`` (values are converted
  to the option's type and checked against its range);
- a path to a data file: anything with a path separator, a data-file ending
  (``.csv``, ``.tsv``, ``.txt``, ``.npz``, ``.gz``, ``.idx*``, ``-ubyte``) or naming an
  existing file that is not a built-in name.
"""

from __future__ import annotations

import os
from pathlib import Path

from nncore.data.files import FILE_SUFFIXES
from nncore.data.registry import BUILTIN, canonical_name, parse_value, validate_options
from nncore.errors import DataError
from nncore.spec import NORMALIZATIONS, DataSpec


def _looks_like_path(text: str) -> bool:
    lowered = text.lower()
    if "/" in text or "\\" in text or lowered.endswith(FILE_SUFFIXES):
        return True
    try:
        canonical_name(text.split(":", 1)[0])
    except DataError:
        return os.path.isfile(text)
    return False


def _options(name: str, text: str) -> dict[str, object]:
    """``k=v,k=v`` parsed with the types of built-in set ``name``'s options."""
    schema = {option.name: option for option in BUILTIN[name].options}
    options: dict[str, object] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, sep, value = item.partition("=")
        key = key.strip().lower()
        if not sep or not key:
            raise DataError(f"--data {name}: option {item!r} must look like name=value, e.g. "
                            f"{name}:{next(iter(schema), 'n')}=...")
        if key not in schema:
            valid = ", ".join(schema) if schema else "none (it has no options)"
            raise DataError(f"--data {name}: unknown option {key!r}; valid options: {valid}")
        options[key] = parse_value(value, schema[key], f"--data {name}")
    validate_options(name, options)
    return options


def parse_data_arg(text: str, *, target: str | None = None, normalize: str | None = None,
                   val_split: float | None = None) -> DataSpec:
    """The ``DataSpec`` for a ``--data`` value and the ``--target``, ``--normalize`` and
    ``--val-split`` flags (None: the spec's default).

    Raises
    ------
    DataError
        For an unknown name (listing the built-in names), an unknown option (listing the
        valid ones), a bad value, ``--target`` with a built-in set, or a bad flag value.
    """
    text = str(text).strip()
    if not text:
        raise DataError("--data is empty; give a built-in name such as 'spirals' or a path "
                        "to a .csv, .npz or IDX file")
    defaults = DataSpec()
    if normalize is None:
        normalize = defaults.normalize
    elif normalize not in NORMALIZATIONS:
        raise DataError(f"--normalize {normalize!r} is unknown; use one of "
                        f"{list(NORMALIZATIONS)}")
    if val_split is None:
        val_split = defaults.val_split
    elif isinstance(val_split, bool) or not isinstance(val_split, (int, float)) \
            or not 0 <= val_split < 1:
        raise DataError(f"--val-split must be a fraction in [0, 1), got {val_split!r}")
    if _looks_like_path(text):
        return DataSpec(source="file", path=str(Path(text).expanduser()), target=target,
                        normalize=normalize, val_split=float(val_split))
    name_text, _, option_text = text.partition(":")
    name = canonical_name(name_text)
    if target is not None:
        raise DataError(f"--target {target!r} applies to files only; the built-in set "
                        f"{name!r} has its own targets")
    return DataSpec(source=name, options=_options(name, option_text), normalize=normalize,
                    val_split=float(val_split))
