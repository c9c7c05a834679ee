"""Proven optimal elimination orders, or a valid lower bound and the gap, within a time limit.

:func:`optimum` runs an A* search over partial eliminations with an admissible lower
bound (:func:`vertex_lower_bounds`: per remaining vertex, max-flow vertex cuts to the
inputs and outputs times the least cost of one product); states are memoised on the
*remaining graph itself* (every edge with its structure), so the search is exact for
scalar and tensor graphs alike (on tensor graphs the remaining graph may depend on the
order within the eliminated set, not only on the set; keying on the graph makes that
irrelevant). Without the bound (``use_bound=False``) the search is the exact dynamic
program over eliminated sets. Upper bounds come from the forward / reverse / Markowitz
orders, any orders passed in, and greedy completions ("dives") of frontier states. Every
elimination uses the engine's one rule (:func:`spikead.ad.eliminate_vertex`) under the
chosen convention.

No reduction whose optimality is unproven is applied: in particular the safe
pre-elimination (:func:`spikead.ad.safe_preelimination`) is *not* assumed optimal (moving
a one-in / one-out vertex to the front of a given order can make that order dearer:
``u1, u2 -> i -> k -> j -> {w, a, b}, w -> {a, b}``, order ``i, j, w, k`` costs 11 under
``"paper"``, ``k, i, j, w`` 13), so a ``proven`` result is optimal over all orders.

    >>> res = optimum("PropaneCombustion", convention="paper", time_limit=60)
    >>> res.cost, res.lower_bound, res.proven, res.gap      # (88, 88, True, 0.0)
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
import math
import time
from collections import deque
from collections.abc import Iterable, Sequence

from spikead import ad
from spikead.ad._graph import INPUT, INTERMEDIATE, OUTPUT, Graph, Vertex
from spikead.ad._structure import Structure, check_convention

from ._graph import SymGraph

BASELINE_ORDERS = ("forward", "reverse", "markowitz")


@dataclasses.dataclass
class OptimumResult:
    """Best known order and a proven lower bound on the optimum.

    Attributes:
        name: the graph's label (task name).
        convention: counting convention (``"structured"`` or ``"paper"``).
        order: the best order known (vertex ids of the graph; positions for a
            :class:`SymGraph`); optimal when ``proven``.
        cost: its multiplications (the best known upper bound).
        lower_bound: a proven lower bound on every order's cost (``== cost`` when proven).
        proven: whether ``cost`` is the optimum.
        method: how the result was obtained (e.g. ``"astar"``, ``"astar (time limit)"``).
        gap: ``(cost - lower_bound) / cost`` (0 when proven or when ``cost`` is 0).
        upper_from: which start order gave ``cost`` when the search did not improve on it.
        expanded: states expanded by the search.
        wall_s: seconds spent.
    """

    name: str
    convention: str
    order: list[int]
    cost: int
    lower_bound: int
    proven: bool
    method: str
    gap: float
    upper_from: str
    expanded: int
    wall_s: float


# ----------------------------------------------------------------- graph input
def as_graph(graph_or_task) -> tuple[Graph, str]:
    """A value-free engine graph and a label from a task name, an engine graph or a
    :class:`SymGraph` (whose vertex ids become its positions)."""
    if isinstance(graph_or_task, str):
        from spikead import tasks

        task = tasks.load(graph_or_task)
        graph = ad.make_graph(task.fn, *task.args, argnums=task.argnums)
        return graph.structures(), graph_or_task
    if isinstance(graph_or_task, SymGraph):
        sg = graph_or_task
        kinds = {
            **{p: INPUT for p in sg.inputs},
            **{p: OUTPUT for p in sg.outputs},
            **{p: INTERMEDIATE for p in sg.eliminable},
        }
        missing = [p for p in range(sg.num_vertices) if p not in kinds]
        if missing:
            raise ValueError(
                f"{sg.name}: vertices {missing[:5]} are neither input, output "
                "nor eliminable; every vertex of a SymGraph needs one kind"
            )
        vertices = [
            Vertex(p, tuple(s), "float32", "sym", kinds[p]) for p, s in enumerate(sg.shapes)
        ]
        return Graph(vertices, dict(sg.edges)), sg.name
    if isinstance(graph_or_task, Graph):
        return graph_or_task.structures(), ""
    raise TypeError(
        f"optimum takes a task name, an spikead.ad.Graph or a SymGraph, "
        f"got {type(graph_or_task).__name__}"
    )


# ----------------------------------------------------------------- lower bound
def _disjoint_paths(
    nbrs: dict[int, set[int]], sources: Iterable[int], target: int, last=None
) -> int:
    """Maximum number of paths from ``sources`` to ``target`` along ``nbrs`` that share no
    vertex except ``target`` (Menger: the minimum vertex cut, ``target`` excluded).
    ``last(v)``: whether a path may enter ``target`` from ``v`` (default: always).

    Augmenting paths (BFS) in the residual graph of the node-split network (``(v, 0)``
    in, ``(v, 1)`` out, unit vertex capacities), kept implicit: the flow is the set of
    arcs ``v -> nxt[v]`` (a vertex carries flow iff it is in ``nxt``).
    """
    nxt: dict[int, int] = {}
    prv: dict[int, int] = {}
    sources = [s for s in dict.fromkeys(sources) if s != target]
    count = 0
    while True:
        parent: dict = {(s, 0): None for s in sources if s not in nxt}
        queue = deque(parent)
        found = None
        while queue and found is None:
            node = queue.popleft()
            v, side = node
            steps = []
            if side == 0:
                if v not in nxt:
                    steps.append((v, 1))
                elif v in prv:
                    steps.append((prv[v], 1))  # undo the flow arc prv[v] -> v
            else:
                for w in nbrs.get(v, ()):
                    if nxt.get(v) == w:
                        continue
                    if w == target:
                        if last is None or last(v):
                            found = node
                            break
                        continue
                    steps.append((w, 0))
                if v in nxt:
                    steps.append((v, 0))  # undo v's vertex arc
            for step in steps:
                if step not in parent:
                    parent[step] = node
                    queue.append(step)
        if found is None:
            return count
        adds, removes = [(found[0], target)], []
        node = found
        while parent[node] is not None:
            prev = parent[node]
            if prev[1] == 1 and node[1] == 0:
                adds.append((prev[0], node[0]))  # forward arc out -> in
            elif prev[1] == 0 and node[1] == 1 and prev[0] != node[0]:
                removes.append((node[0], prev[0]))  # reverse of flow arc node -> prev
            node = prev
        for u, x in removes:
            del nxt[u], prv[x]
        for u, x in adds:
            nxt[u] = x
            if x != target:
                prv[x] = u
        count += 1


def vertex_lower_bounds(
    graph: Graph, convention: str, vertices: Iterable[int] | None = None
) -> dict[int, int]:
    """Per eliminable vertex ``k`` with edges, a lower bound on the multiplications of
    eliminating ``k`` in *every* completion of ``graph`` (orders of the rest).

    Proof. When ``k`` is eliminated after a set ``T``, its predecessors are the vertices
    ``u`` outside ``T`` (``u != k``) with a path ``u -> .. -> k`` in ``graph`` whose interior
    lies in ``T`` (elimination adds the product along every such path to edge ``u -> k``
    and never deletes an edge between surviving vertices). Inputs are never eliminated, so
    on every input-to-``k`` path the last vertex before ``k`` outside ``T`` is a
    predecessor; ``r`` paths sharing no vertex but ``k`` give ``r`` distinct predecessors.
    Likewise successors with paths to the outputs. Eliminating ``k`` multiplies every
    (successor edge, predecessor edge) pair once.

    * ``"paper"``: every product costs at least one multiplication
      (:func:`spikead.ad.paper_product_cost` starts at 1 and multiplies by dim sizes, all
      >= 1 here), so ``lb = c_in * c_out * floor`` with ``c_in`` / ``c_out`` the maximum
      numbers of such disjoint paths (:func:`_disjoint_paths`, exact max flow) and
      ``floor`` the least cost of one product (:func:`product_floor`, >= 1).
    * ``"structured"``: a product costs >= 1 when both factors carry values, else 0. A
      valued edge stays valued (a product with a valued factor is valued, a sum always
      is), and the edge ``u -> k`` at ``k``'s elimination sums every path from ``u`` through
      ``T`` to ``k``: if one of them ends with an edge that is valued now, it is valued.
      So disjoint input-to-``k`` paths whose last edge is valued now give distinct valued
      predecessor edges: ``lb = v_in * v_out``, the same max flow restricted to valued
      last (first) edges.

    A graph with an empty dimension (size 0) gets bound 0 everywhere (products may be free).
    Under ``"paper"`` the bounds are those of the graph with its index maps densified
    (:meth:`spikead.ad.Graph.priced`), the graph that convention counts.
    """
    if convention == "paper" and any(graph.structure(e).maps for e in graph.edges.values()):
        graph = graph.priced(convention)
    ks = _remaining(graph, graph.eliminable if vertices is None else vertices)
    c_in, c_out = side_bounds(graph, convention, ks, ks)
    unit = product_floor(graph, convention, ks)
    return {k: c_in[k] * c_out[k] * unit[k] for k in ks}


def _charged_in(s: Structure, convention: str) -> frozenset[int]:
    """Dims ``p`` of the target ``k`` of in-edge ``s`` that every later edge into ``k``
    containing ``s`` charges: valued along ``p`` (both conventions) or, under ``"paper"``,
    not paired with a source dim."""
    vals = set(s.val_dims or ())
    paired = {p for p in s.pair if p is not None}
    return frozenset(
        p
        for p in range(len(s.out_shape))
        if p in vals or (convention == "paper" and p not in paired)
    )


def _charged_out(s: Structure, convention: str, paired: bool = True) -> frozenset[int]:
    """Dims ``q`` of the source ``k`` of out-edge ``s`` charged likewise (label ``pair[q]``
    when paired, ``P + q`` when not); ``paired=False`` leaves the paired dims out."""
    vals = set(s.val_dims or ())
    rank = len(s.out_shape)
    return frozenset(
        q
        for q, p in enumerate(s.pair)
        if (p is None or paired)
        and ((rank + q if p is None else p) in vals or (convention == "paper" and p is None))
    )


def product_floor(graph: Graph, convention: str, vertices: Iterable[int]) -> dict[int, int]:
    """Per vertex ``k``, a lower bound on the cost of *each* product counted by
    :func:`vertex_lower_bounds` when ``k`` is eliminated in any completion (its third
    factor; at least 1).

    A product contracts the dims of ``k``. :func:`spikead.ad.paper_product_cost`
    multiplies by the size of every dim of ``k`` that is unpaired in either factor or
    valued along it in either factor; :func:`spikead.ad.product_plan` (``"structured"``,
    both factors valued) by the size of every label left after pre-reduction, which keeps
    every dim of ``k`` valued in *both* factors (a factor is pre-reduced only over labels
    the other is constant along). Both properties persist: an edge into (out
    of) ``k`` later is a sum of products of a current edge into (out of) ``k`` with
    another edge; a product keeps the unpaired dims of ``k`` unpaired (pairs compose only
    through pairs in both factors) and its valued labels valued when they survive (a dim of
    ``k`` is never summed inside such a product), and a sum keeps only common pairs and
    the union of values. So each product at ``k``'s elimination costs at least the
    ``min`` over current (in-edge, out-edge) pairs (``"structured"``: both valued, as
    the ones counted) of the product of the sizes of their charged dims of ``k``.

    Index maps: a label paired through a map has the size of the *target's* dim, which a
    later composition can make smaller than ``k``'s (a slice of a pair), so on a graph
    with an index map the dims of ``k`` paired in the out-edge are not charged.
    """
    check_convention(convention)
    shapes = {v.id: v.shape for v in graph.vertices}
    valued_only = convention == "structured"
    paired = not any(graph.structure(e).maps for e in graph.edges.values())
    out = {}
    for k in vertices:
        shape = shapes[k]
        ins = {
            _charged_in(graph.edges[(i, k)], convention)
            for i in graph.preds[k]
            if not valued_only or graph.edges[(i, k)].val_dims is not None
        }
        outs = {
            _charged_out(graph.edges[(k, j)], convention, paired)
            for j in graph.succs[k]
            if not valued_only or graph.edges[(k, j)].val_dims is not None
        }
        charged = (lambda a, b: a & b) if valued_only else (lambda a, b: a | b)
        floor = min(
            (math.prod(shape[q] for q in charged(a, b)) for a in ins for b in outs), default=1
        )
        out[k] = max(floor, 1)
    return out


def side_bounds(
    graph: Graph, convention: str, ins: Iterable[int], outs: Iterable[int]
) -> tuple[dict[int, int], dict[int, int]]:
    """The two factors of :func:`vertex_lower_bounds`: ``c_in`` (``v_in``) for the vertices
    ``ins`` and ``c_out`` (``v_out``) for ``outs``. With a size-0 dimension: all 0."""
    check_convention(convention)
    ins, outs = list(ins), list(outs)
    if any(0 in v.shape for v in graph.vertices):
        return dict.fromkeys(ins, 0), dict.fromkeys(outs, 0)
    valued = convention == "structured"
    into = lambda k: (lambda u: graph.edges[(u, k)].val_dims is not None) if valued else None
    out_of = lambda k: (lambda w: graph.edges[(k, w)].val_dims is not None) if valued else None
    return (
        {k: _disjoint_paths(graph.succs, graph.inputs, k, into(k)) for k in ins},
        {k: _disjoint_paths(graph.preds, graph.outputs, k, out_of(k)) for k in outs},
    )


def _reach(nbrs: dict[int, set[int]], start: Iterable[int]) -> set[int]:
    """Vertices reachable from ``start`` along ``nbrs`` (``start`` included)."""
    seen, stack = set(), list(start)
    while stack:
        v = stack.pop()
        if v not in seen:
            seen.add(v)
            stack.extend(nbrs.get(v, ()))
    return seen


# ----------------------------------------------------------------------- search
def _remaining(graph: Graph, eliminable: Sequence[int]) -> list[int]:
    """Eliminable vertices that still have an edge (the others are free no-ops)."""
    return [k for k in eliminable if graph.preds[k] or graph.succs[k]]


_MASK = (1 << 64) - 1


def _edge_hash(edge: tuple[int, int], s: Structure) -> int:
    return hash((edge, s)) & _MASK


def _graph_hash(graph: Graph) -> int:
    """Order-free hash of the edges with their structures (a sum, updated per elimination)."""
    return sum(_edge_hash(e, s) for e, s in graph.edges.items()) & _MASK


def _child(graph: Graph, h: int, k: int, convention: str) -> tuple[Graph, int, int]:
    """Eliminate ``k`` in a copy of ``graph`` (hash ``h``): ``(child, child hash, cost)``.

    Copies only the adjacency sets that the elimination changes (those of ``k``, its
    predecessors and successors); the edge dict is copied whole.
    """
    preds, succs = graph.preds[k], graph.succs[k]
    g = Graph.__new__(Graph)
    g.vertices, g.edges = graph.vertices, dict(graph.edges)
    g.preds, g.succs = dict(graph.preds), dict(graph.succs)
    for v in preds | succs | {k}:
        g.preds[v], g.succs[v] = set(graph.preds[v]), set(graph.succs[v])
    touched = [(i, k) for i in preds] + [(k, j) for j in succs]
    touched += [(i, j) for i in preds for j in succs if (i, j) in graph.edges]
    h -= sum(_edge_hash(e, graph.edges[e]) for e in touched)
    cost = ad.eliminate_vertex(g, k, check=False, convention=convention)
    h += sum(_edge_hash((i, j), g.edges[(i, j)]) for i in preds for j in succs)
    return g, h & _MASK, cost


class _Seen:
    """Cheapest cost so far of each remaining graph, exact: graphs with equal hashes are
    compared edge by edge (structures included)."""

    def __init__(self):
        self.table: dict[int, list[list]] = {}
        self.size = 0

    def get(self, graph: Graph, h: int) -> float:
        for edges, g in self.table.get(h, ()):
            if edges == graph.edges:
                return g
        return math.inf

    def put(self, graph: Graph, h: int, g: int) -> None:
        bucket = self.table.setdefault(h, [])
        for entry in bucket:
            if entry[0] == graph.edges:
                entry[1] = g
                return
        bucket.append([graph.edges, g])
        self.size += 1


def _dive(graph: Graph, h: int, bounds, elim: list[int], convention: str):
    """A greedy completion of ``graph``: each step eliminates the vertex whose cost exceeds
    its lower bound the least (ties: first in ``elim``). Returns ``(cost, order)``; the
    order holds the vertices that still had edges."""
    c_in, c_out, unit = bounds
    cost, order = 0, []
    while True:
        rest = _remaining(graph, elim)
        if not rest:
            return cost, order
        best = None
        for k in rest:
            child, h2, c = _child(graph, h, k, convention)
            regret = c - c_in.get(k, 0) * c_out.get(k, 0) * unit.get(k, 0)
            if best is None or regret < best[0]:
                best = (regret, k, child, h2, c)
        _, k, graph, h, c = best
        cost += c
        order.append(k)


def _complete(order: list[int], elim: Sequence[int]) -> list[int]:
    """``order`` followed by the eliminable vertices it misses (isolated: free no-ops)."""
    done = set(order)
    return order + [k for k in elim if k not in done]


def _unlink(order) -> list[int]:
    """``(k_n, (k_{n-1}, (... ())))`` -> ``[k_1, ..., k_n]``."""
    out = []
    while order:
        k, order = order
        out.append(k)
    return out[::-1]


def _start_orders(graph: Graph, orders: dict[str, Sequence[int]] | None) -> dict[str, list[int]]:
    named = {
        "forward": ad.forward_order(graph),
        "reverse": ad.reverse_order(graph),
        "markowitz": ad.markowitz_order(graph),
    }
    named.update(orders or {})
    return {k: [int(v) for v in ad.validate_order(graph, list(o))] for k, o in named.items()}


def optimum(
    graph_or_task,
    *,
    convention: str = "structured",
    time_limit: float = 60.0,
    max_states: int = 200_000,
    orders: dict[str, Sequence[int]] | None = None,
    use_bound: bool = True,
    dive_every: int = 25,
) -> OptimumResult:
    """The optimal elimination order of a graph, or a proven lower bound and the gap.

    Args:
        graph_or_task: a task name (:func:`spikead.tasks.load`), an engine graph
            (:func:`spikead.ad.make_graph`) or a :class:`SymGraph`.
        convention: ``"structured"`` or ``"paper"`` (:mod:`spikead.ad._structure`).
        time_limit: seconds of search before returning the best bound (the search also
            stops once ``max_states`` states are stored: each holds its remaining graph,
            about 5-10 kB on the ten tasks, so the default needs 1-2 GB at most).
        orders: extra start orders ``{label: order}`` (e.g. a search method's best); the
            forward, reverse and Markowitz orders are always tried. The cheapest is the
            initial upper bound.
        dive_every: every this many expansions, complete the popped state greedily
            (:func:`_dive`); a cheaper order found so becomes the upper bound.
        use_bound: prune with :func:`vertex_lower_bounds` (``False``: the plain exact
            dynamic program over remaining graphs, for tests and tiny graphs).

    A* pops states by ``f = cost so far + sum of the remaining vertices' lower bounds``
    (admissible: :func:`vertex_lower_bounds`); a popped complete state is optimal. States
    with ``f >= `` the best known cost are pruned (they cannot beat it). When the queue
    empties the best known order is optimal; at the time limit the smallest ``f`` in the
    queue is a lower bound on every order that beats the best known one, so
    ``min(best known, smallest f)`` bounds the optimum from below. A bound recorded for a
    vertex stays valid in every descendant state (its completions are a subset), so
    children inherit their parent's bounds and are re-bounded when popped.
    """
    check_convention(convention)
    start = time.perf_counter()
    graph, name = as_graph(graph_or_task)
    graph = graph.priced(convention)  # under "paper": index maps densified
    starts = _start_orders(graph, orders)
    costs = {
        k: int(sum(ad.apply_order(graph, o, convention=convention))) for k, o in starts.items()
    }
    upper_from = min(costs, key=costs.get)
    best_cost, best_order = costs[upper_from], starts[upper_from]
    elim = list(graph.eliminable)

    def rebound(g, bounds, touched):
        """Bounds of state ``g`` from inherited ``bounds``: recompute ``c_in`` of the
        vertices downstream of the last elimination and ``c_out`` upstream (the others'
        cuts are unchanged), keep the larger of inherited and new."""
        rest = _remaining(g, elim)
        if not use_bound:
            return dict.fromkeys(rest, 0), dict.fromkeys(rest, 0), dict.fromkeys(rest, 0)
        c_in, c_out, unit = bounds
        down, up = (
            (set(rest), set(rest))
            if touched is None
            else (_reach(g.succs, touched[1]), _reach(g.preds, touched[0]))
        )
        new_in, new_out = side_bounds(
            g, convention, [k for k in rest if k in down], [k for k in rest if k in up]
        )
        new_unit = product_floor(g, convention, rest)
        return (
            {k: max(c_in.get(k, 0), new_in.get(k, 0)) for k in rest},
            {k: max(c_out.get(k, 0), new_out.get(k, 0)) for k in rest},
            {k: max(unit.get(k, 0), new_unit[k]) for k in rest},
        )

    def total(bounds):
        c_in, c_out, unit = bounds
        return sum(c_in[k] * c_out[k] * unit[k] for k in c_in)

    root = rebound(graph, ({}, {}, {}), None)
    tie = itertools.count()
    # entries: f, (-depth, tie), g, state, hash, order (linked), bounds, touched (None once
    # re-bounded); among equal f the deepest state first, so plateaus are dived, not swept
    h0 = _graph_hash(graph)
    heap = [(total(root), (0, next(tie)), 0, graph, h0, (), root, None)]
    seen = _Seen()
    seen.put(graph, h0, 0)
    expanded, method, proven = 0, "astar" if use_bound else "dp", False
    lower = min(best_cost, heap[0][0])
    while heap:
        f, rank, g, state, h, order, bounds, touched = heapq.heappop(heap)
        depth = -rank[0]
        if f >= best_cost:
            heap.clear()
            break
        if seen.get(state, h) < g:
            continue
        if touched is not None:  # drop the eliminated vertex, re-bound this state exactly
            k = order[0]
            bounds = tuple({v: b for v, b in part.items() if v != k} for part in bounds)
            bounds = rebound(state, bounds, touched)
            f2 = g + total(bounds)
            if f2 > f:
                if f2 < best_cost:
                    heapq.heappush(
                        heap, (f2, (-depth, next(tie)), g, state, h, order, bounds, None)
                    )
                continue
        rest = list(bounds[0])
        if not rest:  # the cheapest complete state: optimal
            best_cost, best_order = g, _complete(_unlink(order), elim)
            upper_from = "search"
            heap.clear()
            break
        if time.perf_counter() - start > time_limit or seen.size >= max_states:
            heapq.heappush(heap, (f, rank, g, state, h, order, bounds, None))
            method += " (time limit)" if seen.size < max_states else " (state limit)"
            break
        if use_bound and expanded % dive_every == 0:  # a greedy completion: a new upper bound?
            dive_cost, dive_order = _dive(state, h, bounds, elim, convention)
            if g + dive_cost < best_cost:
                best_cost, upper_from = g + dive_cost, "dive"
                best_order = _complete(_unlink(order) + dive_order, elim)
                if f >= best_cost:
                    heap.clear()
                    break
        expanded += 1
        base = total(bounds)
        for k in rest:
            hit = (set(state.preds[k]), set(state.succs[k]))
            child, h2, cost = _child(state, h, k, convention)
            g2 = g + cost
            f2 = g2 + base - bounds[0][k] * bounds[1][k] * bounds[2][k]
            if f2 >= best_cost or seen.get(child, h2) <= g2:
                continue
            seen.put(child, h2, g2)
            heapq.heappush(
                heap, (f2, (-depth - 1, next(tie)), g2, child, h2, (k, order), bounds, hit)
            )
    if heap:
        lower = max(lower, min(best_cost, min(entry[0] for entry in heap)))
    else:
        lower, proven = best_cost, True
    gap = 0.0 if best_cost == 0 else (best_cost - lower) / best_cost
    return OptimumResult(
        name,
        convention,
        best_order,
        best_cost,
        int(lower),
        proven,
        method,
        round(gap, 6),
        upper_from,
        expanded,
        round(time.perf_counter() - start, 3),
    )
