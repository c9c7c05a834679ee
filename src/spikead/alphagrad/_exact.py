"""The ``exact`` method of the benchmark: A* over partial eliminations with a time limit.

:func:`exact_search` runs :func:`~spikead.alphagrad.optimum` on a task's engine graph,
starting from the best orders the other methods found on it (so its upper bound is at
most theirs and the proof is quicker), and returns a :class:`SearchResult`: the proven
optimum where the search finishes in time, else its best order (incumbent) with the
proven lower bound in ``info``. A result that is not proven depends on the time limit
(so on the machine's speed); a proven one does not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ._graph import SymGraph
from ._optimum import optimum
from ._search import SearchResult


def exact_search(
    graph,
    sym: SymGraph,
    *,
    convention: str,
    time_limit: float,
    orders: Mapping[str, Sequence[int]] | None = None,
) -> SearchResult:
    """A* (:func:`~spikead.alphagrad.optimum`) on ``graph`` within ``time_limit`` seconds.

    Args:
        graph: the task's engine graph (:class:`spikead.ad.Graph`).
        sym: its search view (:func:`~spikead.alphagrad.from_engine`), to give the order
            in vertex positions like every other method.
        convention: counting convention (``"paper"`` or ``"structured"``).
        time_limit: seconds of search before returning the best bound.
        orders: start orders ``{label: positions}`` (e.g. other methods' best orders);
            forward, reverse and Markowitz are always tried.

    Returns:
        A :class:`SearchResult` with ``method="exact"``; ``evaluations`` is the number
        of states expanded (each expands every remaining vertex once: at most one
        order's worth of elimination steps); ``info`` holds ``lower_bound`` (== ``cost``
        when ``proven``), ``proven``, ``upper_from`` (``"search"`` / ``"dive"`` or the
        start order that gave ``cost``) and ``expanded``. The curve has one point.
    """
    starts = {label: sym.id_order(o) for label, o in (orders or {}).items()}
    res = optimum(graph, convention=convention, time_limit=time_limit, orders=starts)
    order = sym.position_order(res.order)
    evaluations = float(max(res.expanded, 1))
    return SearchResult(
        "exact",
        order,
        int(res.cost),
        evaluations,
        [(evaluations, int(res.cost))],
        res.wall_s,
        {
            "lower_bound": int(res.lower_bound),
            "proven": bool(res.proven),
            "upper_from": res.upper_from,
            "expanded": int(res.expanded),
        },
    )
