"""Saving and loading elimination orders as JSON tied to a graph fingerprint."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from typing import Any

import jax

from ._graph import Graph
from ._structure import check_convention
from .elimination import validate_order
from .errors import OrderMismatchError


def save_order(
    path: str | os.PathLike,
    *,
    task: str,
    graph: Graph,
    order: Sequence[int],
    cost: int,
    convention: str = "structured",
) -> None:
    """Write ``{task, fingerprint, jax_version, order, cost, convention}`` atomically (temp
    file + rename). ``cost`` is the order's count under ``convention`` (``"structured"`` or
    ``"paper"``, see :func:`spikead.ad.cost`); files without the key are ``"structured"``."""
    check_convention(convention)
    order = validate_order(graph, list(order))
    record = {
        "task": task,
        "fingerprint": graph.fingerprint(),
        "jax_version": jax.__version__,
        "order": [int(k) for k in order],
        "cost": int(cost),
        "convention": convention,
    }
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".order-", suffix=".json", dir=directory)
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(record, fh, indent=1)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load_order(path: str | os.PathLike, graph: Graph) -> dict[str, Any]:
    """Read an order file; raises :class:`OrderMismatchError` if it belongs to another graph.

    Returns the record with ``order`` as a tuple of vertex ids.
    """
    with open(path) as fh:
        record = json.load(fh)
    fingerprint = graph.fingerprint()
    if record.get("fingerprint") != fingerprint:
        raise OrderMismatchError(
            f"order file {os.fspath(path)} (task {record.get('task')!r}, jax {record.get('jax_version')}) "
            f"has fingerprint {record.get('fingerprint')}, but this graph's is {fingerprint} "
            f"(jax {jax.__version__}); recompute the order for this graph (the jaxpr changed)"
        )
    record["order"] = validate_order(graph, record["order"])
    return record
