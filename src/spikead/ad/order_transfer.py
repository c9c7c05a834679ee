"""Carry an elimination order from one graph to the graph of a batched version of it.

The order search works on ``make_graph(f, *args)``; the runtime experiment eliminates the
graph of ``jax.vmap(f)``. Both number their vertices in jaxpr order, and ``vmap`` keeps
one equation per equation of ``f`` (the batch axis becomes one more dim of every vertex),
so in most programs the two graphs correspond vertex by vertex. Where a batching rule
has to move the batch axis (``stack`` of batched operands, for example) ``vmap`` adds
``transpose``-like equations: vertices whose every in-edge is a pure relabelling
(a permutation of paired dims, no values), so eliminating them costs nothing.

:func:`vertex_correspondence` matches the vertices (same kind and primitive, in the same
order; the target shape is the source shape, or it with one axis inserted) and checks
that matched vertices have matched predecessors; target vertices left over must be
free relabellings. :func:`transfer_order` maps an order of the source graph to one of
the target graph: the free vertices first (zero multiplications), then the mapped order.
"""

from __future__ import annotations

from collections.abc import Sequence

from ._graph import INTERMEDIATE, Graph, Vertex
from .elimination import validate_order
from .errors import InvalidOrderError


class OrderTransferError(InvalidOrderError):
    """No vertex-to-vertex correspondence exists between two graphs."""


def _shape_embeds(small: tuple[int, ...], big: tuple[int, ...]) -> bool:
    """``big == small`` or ``big`` is ``small`` with exactly one axis inserted."""
    if big == small:
        return True
    if len(big) != len(small) + 1:
        return False
    return any(big[:k] + big[k + 1 :] == small for k in range(len(big)))


def _is_free_relabelling(graph: Graph, k: int) -> bool:
    """Vertex ``k`` is an intermediate with one in-edge that is a pure permutation (no values)."""
    if graph.vertices[k].kind != INTERMEDIATE or len(graph.preds[k]) != 1:
        return False
    (i,) = graph.preds[k]
    s = graph.structure(graph.edges[(i, k)])
    return (
        s.val_dims is None
        and len(s.in_shape) == len(s.out_shape)
        and all(p is not None for p in s.pair)
    )


def _describe(v: Vertex) -> str:
    return f"vertex {v.id} ({v.kind} {v.primitive} {v.shape}, {v.where or 'no location'})"


def vertex_correspondence(
    graph_from: Graph, graph_to: Graph, *, name: str = "graph"
) -> dict[int, int]:
    """Map every vertex id of ``graph_from`` to its vertex id in ``graph_to``.

    ``graph_to`` is typically ``make_graph(jax.vmap(f), *batched_args)`` and ``graph_from``
    ``make_graph(f, *args)``. Vertices are matched in id order (same kind and primitive;
    ``graph_to``'s shape is ``graph_from``'s, possibly with one inserted axis); a vertex of
    ``graph_to`` that does not match may be skipped only if it is a free relabelling (one
    in-edge, a permutation without values). Matched vertices must have matched
    predecessors (through skipped vertices).

    Raises:
        OrderTransferError: naming ``name`` and the first vertex that has no counterpart.
    """
    mapping: dict[int, int] = {}
    to_vertices = graph_to.vertices
    j = 0
    for a in graph_from.vertices:
        while j < len(to_vertices):
            b = to_vertices[j]
            if (a.kind, a.primitive) == (b.kind, b.primitive) and _shape_embeds(a.shape, b.shape):
                break
            if not _is_free_relabelling(graph_to, b.id):
                raise OrderTransferError(
                    f"{name}: no vertex correspondence: {_describe(a)} of the source graph "
                    f"meets {_describe(b)} of the target graph, which is neither the same "
                    "primitive nor a free relabelling (a permutation without values); the order "
                    "cannot be transferred, search an order on the target graph itself"
                )
            j += 1
        else:
            raise OrderTransferError(
                f"{name}: no vertex correspondence: {_describe(a)} of the source graph has no "
                f"counterpart left in the target graph ({len(to_vertices)} vertices); search an "
                "order on the target graph itself"
            )
        mapping[a.id] = to_vertices[j].id
        j += 1
    extra = [v for v in to_vertices[j:] if not _is_free_relabelling(graph_to, v.id)]
    if extra:
        raise OrderTransferError(
            f"{name}: no vertex correspondence: the target graph has {_describe(extra[0])} "
            "after the last matched vertex, with no counterpart in the source graph"
        )
    _check_predecessors(graph_from, graph_to, mapping, name)
    return mapping


def _check_predecessors(
    graph_from: Graph, graph_to: Graph, mapping: dict[int, int], name: str
) -> None:
    matched = set(mapping.values())

    def sources(k: int) -> set[int]:  # predecessors of k, looking through skipped vertices
        out = set()
        for i in graph_to.preds[k]:
            out |= {i} if i in matched else sources(i)
        return out

    for a in graph_from.vertices:
        want = {mapping[i] for i in graph_from.preds[a.id]}
        got = sources(mapping[a.id])
        if want != got:
            raise OrderTransferError(
                f"{name}: no vertex correspondence: {_describe(a)} has predecessors "
                f"{sorted(graph_from.preds[a.id])} in the source graph, but its counterpart "
                f"{mapping[a.id]} has {sorted(got)} in the target graph (expected {sorted(want)})"
            )


def transfer_order(
    graph_from: Graph, graph_to: Graph, order: Sequence[int], *, name: str = "graph"
) -> tuple[int, ...]:
    """An order of ``graph_to`` that eliminates the counterparts of ``order`` (ids of ``graph_from``).

    The free relabelling vertices that only ``graph_to`` has come first (they cost no
    multiplications); then the counterparts of ``order`` in the same sequence. For
    ``graph_to`` the graph of ``jax.vmap(f)`` at batch ``B``, the result's cost is ``B``
    times the cost of ``order`` on ``graph_from`` on the ten tasks (tested).

    Raises:
        InvalidOrderError: ``order`` is not a complete order of ``graph_from``.
        OrderTransferError: the graphs do not correspond (see :func:`vertex_correspondence`).
    """
    order = validate_order(graph_from, list(order))
    mapping = vertex_correspondence(graph_from, graph_to, name=name)
    matched = set(mapping.values())
    free = tuple(k for k in graph_to.eliminable if k not in matched)
    return validate_order(graph_to, free + tuple(mapping[k] for k in order))


__all__ = ["OrderTransferError", "transfer_order", "vertex_correspondence"]
