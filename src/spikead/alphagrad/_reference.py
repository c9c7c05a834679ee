"""Plain-Python vertex elimination on structures: the reference the jitted env is tested on.

Uses the engine's one definition of the product and sum rules
(:func:`spikead.ad._structure.product_plan`, :func:`~spikead.ad._structure.sum_structure`):
eliminating ``k`` multiplies every ``(k -> j) x (i -> k)`` pair, adds the product into
``(i -> j)`` (fill-in) and removes ``k``. Counts follow ``convention``
(``"structured"`` or ``"paper"``, :meth:`~spikead.ad._structure.ProductPlan.cost_in`).
"""

from __future__ import annotations

from collections.abc import Iterable

from spikead.ad._structure import (
    Structure,
    check_convention,
    product_plan,
    sum_structure,
)

from ._graph import Edge, SymGraph


class OrderError(ValueError):
    """An order is not a permutation of the graph's eliminable vertices."""


def check_order(graph: SymGraph, order: Iterable[int]) -> list[int]:
    """Return ``order`` as a list after checking it eliminates every eliminable vertex once."""
    order = [int(k) for k in order]
    expected = set(graph.eliminable)
    extra = [k for k in order if k not in expected]
    dup = sorted({k for k in order if order.count(k) > 1})
    missing = sorted(expected - set(order))
    if extra or dup or missing:
        raise OrderError(
            f"{graph.name}: order must eliminate each of the {len(expected)} eliminable "
            f"positions once; not eliminable: {extra[:5]}, duplicated: {dup[:5]}, "
            f"missing: {missing[:5]}"
        )
    return order


def eliminate(edges: dict[Edge, Structure], k: int, convention: str = "structured") -> int:
    """Eliminate vertex ``k`` in place in ``edges``; returns the multiplications."""
    preds = [(i, s) for (i, j), s in edges.items() if j == k]
    succs = [(j, s) for (i, j), s in edges.items() if i == k]
    cost = 0
    for j, a in succs:
        for i, b in preds:
            plan = product_plan(a, b)
            cost += plan.cost_in(convention)
            old = edges.get((i, j))
            edges[(i, j)] = plan.result if old is None else sum_structure(old, plan.result)
    for i, _ in preds:
        del edges[(i, k)]
    for j, _ in succs:
        del edges[(k, j)]
    return cost


def step_costs(
    graph: SymGraph, order: Iterable[int], *, check: bool = True, convention: str = "structured"
) -> list[int]:
    """Multiplications of each elimination of ``order`` (positions), in order."""
    check_convention(convention)
    order = check_order(graph, order) if check else [int(k) for k in order]
    edges = dict(graph.priced(convention).edges)
    return [eliminate(edges, k, convention) for k in order]


def order_cost(graph: SymGraph, order: Iterable[int], *, convention: str = "structured") -> int:
    """Total multiplications of eliminating ``order`` (positions) on ``graph``."""
    return sum(step_costs(graph, order, convention=convention))
