"""Elimination orders: forward, reverse, Markowitz, safe pre-elimination.

Markowitz degree (scalar units), exactly as implemented:

* for an in-edge ``i -> k`` with structure ``s``, ``fan_in(s)`` = product of the sizes of
  the *source* dims of ``s`` that are not paired (the number of source scalars that one
  scalar of ``k`` depends on; paired dims fix the index, so they count once);
* for an out-edge ``k -> j``, ``fan_out(s)`` = product of the sizes of the *target* dims
  that are not paired (the number of target scalars one scalar of ``k`` feeds);
* ``in(k) = sum fan_in``, ``out(k) = sum fan_out`` over the current edges;
* a dim paired through an index map (a slice, pad, concatenation) counts as unpaired, at
  its full size: the degree of the graph as convention ``"paper"`` sees it (index maps
  densified), so Markowitz and safe pre-elimination pick the same order under both
  conventions;
* ``markowitz_degree(k) = size(k) * in(k) * out(k)``: the sum over the scalars of ``k`` of
  the scalar Markowitz products (for scalar graphs this is the classic in x out).

:func:`markowitz_order` eliminates greedily the vertex of smallest degree in the current
graph (degrees are recomputed after each elimination), ties to the lowest id. The degree
counts scalar dependencies, not multiplications, so it is the same under both counting
conventions (``"structured"`` and ``"paper"``); with it the paper-convention Markowitz
costs equal the AlphaGrad paper's (a degree sorted once on the initial graph, as one
version of Graphax's ``minimal_markowitz`` does, gives RoeFlux_1d 460, not 407).
:func:`safe_preelimination` uses the per-scalar degree ``in(k) * out(k) <= 1`` (each
scalar of ``k`` has at most one predecessor and one successor scalar: no fill-in),
tested by :func:`is_safe`, which the AlphaGrad environment's array form shares.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from ._graph import Graph
from ._structure import Structure
from .elimination import OrderSpec, eliminate_vertex, validate_order
from .errors import InvalidOrderError


def forward_order(graph: Graph) -> tuple[int, ...]:
    """Eliminable vertices in increasing id (forward mode)."""
    return tuple(sorted(graph.eliminable))


def reverse_order(graph: Graph) -> tuple[int, ...]:
    """Eliminable vertices in decreasing id (reverse mode)."""
    return tuple(sorted(graph.eliminable, reverse=True))


def fan_in(s: Structure) -> int:
    return math.prod(
        n for q, (n, p) in enumerate(zip(s.in_shape, s.pair)) if p is None or s.map_of(q)
    )


def fan_out(s: Structure) -> int:
    paired = {p for q, p in enumerate(s.pair) if p is not None and s.map_of(q) is None}
    return math.prod(n for p, n in enumerate(s.out_shape) if p not in paired)


def scalar_degrees(graph: Graph, k: int) -> tuple[int, int]:
    """``(in(k), out(k))`` in scalar units (see module docstring)."""
    n_in = sum(fan_in(graph.structure(graph.edges[(i, k)])) for i in graph.preds[k])
    n_out = sum(fan_out(graph.structure(graph.edges[(k, j)])) for j in graph.succs[k])
    return n_in, n_out


def is_safe(n_in, n_out, limit: int = 1):
    """Whether ``n_in * n_out <= limit`` (per-scalar Markowitz degree; ``limit >= 0``).

    Written without the product, so it is exact on Python ints and on int32 arrays
    (elementwise, under ``jit``) alike: ``n_in == 0`` or ``n_out <= limit // n_in``.
    """
    return (n_in == 0) | (n_out <= limit // (n_in + (n_in == 0)))


def markowitz_degree(graph: Graph, k: int) -> int:
    """``size(k) * in(k) * out(k)`` for vertex ``k`` of the current graph."""
    n_in, n_out = scalar_degrees(graph, k)
    return graph.vertices[k].size * n_in * n_out


def markowitz_order(graph: Graph) -> tuple[int, ...]:
    """Greedy lowest-Markowitz-degree order (degrees updated after each step; ties: lowest id)."""
    g = graph.structures()
    remaining = set(g.eliminable)
    order = []
    degree = {k: markowitz_degree(g, k) for k in remaining}
    while remaining:
        k = min(remaining, key=lambda v: (degree[v], v))
        touched = (g.preds[k] | g.succs[k]) & remaining
        eliminate_vertex(g, k, check=False)
        remaining.discard(k)
        order.append(k)
        for v in touched - {k}:
            degree[v] = markowitz_degree(g, v)
    return tuple(order)


def safe_preelimination(graph: Graph) -> tuple[int, ...]:
    """An order prefix of vertices whose per-scalar degree ``in * out`` is at most 1.

    Repeatedly takes the lowest such id in the current graph and eliminates it.
    """
    g = graph.structures()
    remaining = set(g.eliminable)
    prefix = []
    while True:
        ready = [k for k in sorted(remaining) if is_safe(*scalar_degrees(g, k))]
        if not ready:
            return tuple(prefix)
        k = ready[0]
        eliminate_vertex(g, k, check=False)
        remaining.discard(k)
        prefix.append(k)


def resolve_order(graph: Graph, order: OrderSpec) -> tuple[int, ...]:
    """Turn ``"fwd"``/``"rev"``/``"markowitz"`` or an explicit id sequence into a valid order."""
    if isinstance(order, str):
        named = {
            "fwd": forward_order,
            "forward": forward_order,
            "rev": reverse_order,
            "reverse": reverse_order,
            "markowitz": markowitz_order,
        }
        if order not in named:
            raise InvalidOrderError(
                f"unknown order name {order!r}; expected one of {sorted(named)} or a sequence of vertex ids"
            )
        return named[order](graph)
    if not isinstance(order, Sequence) and not hasattr(order, "__iter__"):
        raise InvalidOrderError(f"order must be a name or a sequence of vertex ids, got {order!r}")
    return validate_order(graph, list(order))


__all__ = [
    "forward_order",
    "is_safe",
    "markowitz_degree",
    "markowitz_order",
    "resolve_order",
    "reverse_order",
    "safe_preelimination",
    "scalar_degrees",
]
