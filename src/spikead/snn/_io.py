"""Save and load models (parameters only) with `eqx.tree_serialise_leaves`."""

from __future__ import annotations

import os
from typing import TypeVar

import equinox as eqx

M = TypeVar("M")


def save(path: str | os.PathLike, model) -> None:
    """Write every array leaf of `model` to `path` (static structure is not stored:
    rebuild it with the same constructor call and pass it as `like` to `load`)."""
    eqx.tree_serialise_leaves(path, model)


def load(path: str | os.PathLike, like: M) -> M:
    """Read leaves saved by `save` into a skeleton `like` with the same structure
    (e.g. the model built with the same arguments); returns the filled model."""
    return eqx.tree_deserialise_leaves(path, like)
