"""Save and load models: the constructor arguments (hyperparameters) beside the leaves.

File layout (format version 1): the bytes `MAGIC`, an 8-byte little-endian length, a JSON
header `{"format_version": 1, "model": <spec or null>, "why_no_spec": ...}` (see `_spec`),
then the array leaves written by `eqx.tree_serialise_leaves`. `load(path)` rebuilds the
model from the header alone; `load(path, like=skeleton)` fills a skeleton as before and
also reads files of the older leaves-only format.
"""

from __future__ import annotations

import json
import os
from typing import Any, TypeVar

import equinox as eqx

from ._errors import SNNError
from ._spec import build_from_spec, model_spec, spec_check

M = TypeVar("M")

MAGIC = b"SPIKEAD-SNN\n"
FORMAT_VERSION = 1
_LENGTH_BYTES = 8


def save(path: str | os.PathLike, model) -> None:
    """Write `model` to `path`: its hyperparameters (constructor arguments) and leaves.

    `snn.load(path)` rebuilds it without a skeleton. A model containing a layer whose
    constructor arguments cannot be described (e.g. `eqx.nn.Lambda`) is still saved; it
    then loads only with a skeleton, `snn.load(path, like=...)`, and `snn.load(path)`
    raises naming that layer.
    """
    try:
        spec = model_spec(model)
        spec_check(spec, model)
        header = {"format_version": FORMAT_VERSION, "model": spec}
    except SNNError as err:
        header = {"format_version": FORMAT_VERSION, "model": None, "why_no_spec": str(err)}
    blob = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(MAGIC)
        f.write(len(blob).to_bytes(_LENGTH_BYTES, "little"))
        f.write(blob)
        eqx.tree_serialise_leaves(f, model)


def load(path: str | os.PathLike, like: M | None = None) -> M | Any:
    """Read a model written by `save`.

    Args:
        path: the file.
        like: optional skeleton with the same structure (e.g. the model built with the same
            arguments); needed for files of the leaves-only format of earlier versions and
            for models `save` could not describe.

    Raises `SNNError` for a file of another format version (naming both versions).
    """
    with open(path, "rb") as f:
        if f.read(len(MAGIC)) != MAGIC:  # leaves-only file of the first format
            if like is None:
                raise SNNError(
                    f"snn.load: {os.fspath(path)!r} holds array leaves only (written by an "
                    "older snn.save, or not by snn.save); pass a skeleton: "
                    "snn.load(path, like=model_built_with_the_same_arguments)."
                )
            f.seek(0)
            return eqx.tree_deserialise_leaves(f, like)
        n = int.from_bytes(f.read(_LENGTH_BYTES), "little")
        header = json.loads(f.read(n).decode())
        version = header.get("format_version")
        if version != FORMAT_VERSION:
            raise SNNError(
                f"snn.load: {os.fspath(path)!r} has format version {version!r}; this "
                f"spikead reads version {FORMAT_VERSION}. Load it with the spikead version "
                "that wrote it and save it again."
            )
        if like is None:
            if header["model"] is None:
                raise SNNError(
                    f"snn.load: {os.fspath(path)!r} stores no hyperparameters because "
                    f"{header.get('why_no_spec')}; pass like=<skeleton>."
                )
            like = build_from_spec(header["model"])
        return eqx.tree_deserialise_leaves(f, like)
