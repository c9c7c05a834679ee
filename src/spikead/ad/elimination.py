"""Vertex elimination, shared by the executor (values) and the symbolic cost (structures).

Eliminating vertex ``k`` multiplies every out-edge ``k -> j`` with every in-edge
``i -> k``, adds the product to edge ``i -> j`` and deletes ``k``. The same loop runs on
:class:`~spikead.ad._stensor.STensor` edges (arithmetic, under jit: traced) and on
:class:`~spikead.ad._structure.Structure` edges (cost only); both take the multiplication
count from :func:`~spikead.ad._structure.product_plan`, so the counts agree.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ._graph import Graph
from ._stensor import STensor, add, matmul
from ._structure import Structure, check_convention, product_plan, sum_structure
from .errors import InvalidOrderError

OrderSpec = str | Sequence[int]


def _mul_structure(
    a: Structure, b: Structure, convention: str = "structured"
) -> tuple[Structure, int]:
    plan = product_plan(a, b)
    return plan.result, plan.cost_in(convention)


def _algebra(graph: Graph) -> tuple[Callable, Callable]:
    edge = next(iter(graph.edges.values()), None)
    if isinstance(edge, STensor):
        return matmul, add
    return _mul_structure, sum_structure


def eliminate_vertex(
    graph: Graph, k: int, check: bool = True, convention: str = "structured"
) -> int:
    """Eliminate vertex ``k`` in place; returns the number of multiplications.

    ``convention`` names the counting convention (``"structured"`` or ``"paper"``, see
    :mod:`spikead.ad._structure`); it changes the returned count, never the edges.
    """
    check_convention(convention)
    mul, plus = _algebra(graph)
    cost = 0
    preds = sorted(graph.preds[k])
    for j in sorted(graph.succs[k]):
        a = graph.edges[(k, j)]
        for i in preds:
            c, n = mul(a, graph.edges[(i, k)], convention)
            cost += n
            if (i, j) in graph.edges:
                c = plus(graph.edges[(i, j)], c)
            graph.set_edge(i, j, c)
    graph.remove_vertex_edges(k)
    if check:
        graph.check(removed=k)
    return cost


def apply_order(
    graph: Graph, order: Sequence[int], check: bool = False, convention: str = "structured"
) -> list[int]:
    """Eliminate ``order`` on a value-free copy of ``graph``; the per-step multiplication counts.

    ``order`` may be a prefix (the search helper applies partial orders); it must not repeat
    vertices or name inputs/outputs. Counts follow ``convention`` (``"structured"`` or
    ``"paper"``; the latter on the graph with its index maps densified,
    :meth:`~spikead.ad._graph.Graph.priced`).
    """
    check_convention(convention)
    g = graph.priced(convention)  # under "paper": index maps densified, as Graphax's
    seen: set[int] = set()
    eliminable = set(graph.eliminable)
    costs = []
    for k in order:
        _check_vertex(graph, k, eliminable, seen)
        costs.append(eliminate_vertex(g, k, check=check, convention=convention))
    return costs


def _check_vertex(graph: Graph, k, eliminable: set[int], seen: set[int]) -> None:
    if not isinstance(k, (int,)) and not hasattr(k, "__index__"):
        raise InvalidOrderError(f"order entry {k!r} is not an integer vertex id")
    k = int(k)
    if k not in eliminable:
        kinds = {v.id: v.kind for v in graph.vertices}
        what = f"an {kinds[k]} vertex" if k in kinds else "not a vertex id"
        raise InvalidOrderError(
            f"vertex {k} is {what}; an order may only contain eliminable vertices "
            f"{min(eliminable, default=None)}..{max(eliminable, default=None)} (see make_graph(...).eliminable)"
        )
    if k in seen:
        raise InvalidOrderError(
            f"vertex {k} appears twice in the order; eliminate each vertex once"
        )
    seen.add(k)


def validate_order(graph: Graph, order: Sequence[int]) -> tuple[int, ...]:
    """Check that ``order`` eliminates every eliminable vertex exactly once."""
    seen: set[int] = set()
    eliminable = set(graph.eliminable)
    for k in order:
        _check_vertex(graph, k, eliminable, seen)
    missing = sorted(eliminable - seen)
    if missing:
        raise InvalidOrderError(
            f"order misses eliminable vertices {missing[:20]}{'...' if len(missing) > 20 else ''}; "
            "an explicit order must eliminate every eliminable vertex exactly once"
        )
    return tuple(int(k) for k in order)
