"""Carry an elimination order from one graph to the graph of a batched version of it.

The order search works on ``make_graph(f, *args)``; the runtime experiment eliminates the
graph of ``jax.vmap(f)``. Both number their vertices in jaxpr order, and ``vmap`` keeps
one equation per equation of ``f`` (the batch axis becomes one more dim of every vertex),
so in most programs the two graphs correspond vertex by vertex. Where a batching rule
has to move or expand an operand, ``vmap`` adds equations the unbatched program lacks:
``transpose`` where it moves the batch axis (``stack`` of batched operands, for example),
``broadcast_in_dim`` where a scalar operand of a binary op becomes a batched ``(B,)``
array that must be expanded to ``(B, 1, 1)`` (the paper's f, MLP and Encoder). Both are
*free index maps*: one in-edge that is a 0/1 index map (no values, no summation), so
eliminating them costs nothing.

:func:`vertex_correspondence` matches the vertices (same kind and primitive, in the same
order; the target shape is the source shape, or it with one axis inserted) and checks
that matched vertices have matched predecessors; target vertices left over must be
free index maps whose elimination, first and in id order, costs no multiplication
(checked on the target graph). :func:`transfer_order` maps an order of the source graph
to one of the target graph: the free vertices first, then the mapped order.
"""

from __future__ import annotations

from collections.abc import Sequence

from ._graph import INTERMEDIATE, Graph, Vertex
from .elimination import eliminate_vertex, validate_order
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


def _is_free_index_map(graph: Graph, k: int) -> bool:
    """Vertex ``k`` is an intermediate whose one in-edge is a 0/1 index map.

    The in-edge has no values, and every input dim is paired with an output dim or has
    size 1 (no summation): a permutation (``transpose``), a broadcast (``broadcast_in_dim``)
    or a reshape that only adds or drops unit dims.
    """
    if graph.vertices[k].kind != INTERMEDIATE or len(graph.preds[k]) != 1:
        return False
    (i,) = graph.preds[k]
    s = graph.structure(graph.edges[(i, k)])
    return s.val_dims is None and all(p is not None or n == 1 for p, n in zip(s.pair, s.in_shape))


def _describe(v: Vertex) -> str:
    return f"vertex {v.id} ({v.kind} {v.primitive} {v.shape}, {v.where or 'no location'})"


def vertex_correspondence(
    graph_from: Graph, graph_to: Graph, *, name: str = "graph"
) -> dict[int, int]:
    """Map every vertex id of ``graph_from`` to its vertex id in ``graph_to``.

    ``graph_to`` is typically ``make_graph(jax.vmap(f), *batched_args)`` and ``graph_from``
    ``make_graph(f, *args)``. Vertices are matched in id order (same kind and primitive;
    ``graph_to``'s shape is ``graph_from``'s, possibly with one inserted axis); a vertex of
    ``graph_to`` that does not match may be skipped only if it is a free index map (one
    in-edge without values or summation: a permutation or broadcast) and eliminating the
    skipped vertices first, in id order, costs no multiplication. Matched vertices must have
    matched predecessors (through skipped vertices).

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
            if not _is_free_index_map(graph_to, b.id):
                raise OrderTransferError(
                    f"{name}: no vertex correspondence: {_describe(a)} of the source graph "
                    f"meets {_describe(b)} of the target graph, which is neither the same "
                    "primitive nor a free index map (one in-edge without values or summation: "
                    "a permutation or broadcast); the order cannot be transferred, search an "
                    "order on the target graph itself"
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
    extra = [v for v in to_vertices[j:] if not _is_free_index_map(graph_to, v.id)]
    if extra:
        raise OrderTransferError(
            f"{name}: no vertex correspondence: the target graph has {_describe(extra[0])} "
            "after the last matched vertex, with no counterpart in the source graph"
        )
    _check_predecessors(graph_from, graph_to, mapping, name)
    _check_free_prefix(graph_to, _free_vertices(graph_to, mapping), name)
    return mapping


def _free_vertices(graph_to: Graph, mapping: dict[int, int]) -> tuple[int, ...]:
    """The target's vertices without a counterpart (all eliminable), in id order."""
    matched = set(mapping.values())
    return tuple(k for k in graph_to.eliminable if k not in matched)


def _check_free_prefix(graph_to: Graph, free: Sequence[int], name: str) -> None:
    """Eliminating ``free`` first, in this order, costs no multiplication (structured count).

    A free index map can still cost when a successor is constant along one of the dims it
    broadcasts and sums over it (the product then carries that dim's size as a factor).
    """
    g = graph_to.structures()
    for k in free:
        cost = eliminate_vertex(g, k, check=False)
        if cost:
            raise OrderTransferError(
                f"{name}: no vertex correspondence: {_describe(graph_to.vertices[k])} of the "
                f"target graph has no counterpart in the source graph, and eliminating it first "
                f"costs {cost} multiplications, not 0 (a successor sums over a dim it "
                "broadcasts); the order cannot be transferred at the source's cost, search an "
                "order on the target graph itself"
            )


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

    The free index maps that only ``graph_to`` has come first, in id order (they cost no
    multiplications, checked); then the counterparts of ``order`` in the same sequence.
    For ``graph_to`` the graph of ``jax.vmap(f)`` at batch ``B`` (structured count, tested
    on every task): at ``B = 1`` each step after the free prefix costs what the same step
    costs on ``graph_from`` (under both conventions), so the total is the source's; at
    larger ``B`` each step costs at most ``B`` times the source step (less where some of its
    products multiply values that do not depend on the batch index, such as two constant
    scalar partials), so the total is at most ``B`` times the source's. Under the
    ``"paper"`` convention the free prefix costs one multiplication per product.

    Raises:
        InvalidOrderError: ``order`` is not a complete order of ``graph_from``.
        OrderTransferError: the graphs do not correspond (see :func:`vertex_correspondence`).
    """
    order = validate_order(graph_from, list(order))
    mapping = vertex_correspondence(graph_from, graph_to, name=name)
    free = _free_vertices(graph_to, mapping)
    return validate_order(graph_to, free + tuple(mapping[k] for k in order))


__all__ = ["OrderTransferError", "transfer_order", "vertex_correspondence"]
