"""Simulated annealing on the engine graph itself (``anneal_engine``).

The same Metropolis search over orders as :func:`~spikead.alphagrad.simulated_annealing`
(swap and insert moves, geometric cooling relative to the starting cost), but each order
is priced by the engine's own elimination rule (:func:`spikead.ad.eliminate_vertex`,
exact integers) in plain Python, one chain at a time. On the ten tasks this is 1-2 ms
per complete order, where the batched environment needs 1-225 ms (its dense
``[V, V, R]`` tensor state is costly on rank-2 graphs such as RoeFlux_3d).

Two savings, both exact:

* the part of the order before the first changed position is not replayed: the graph
  after every ``checkpoint``-th position of the current order is kept;
* a candidate is dropped as soon as its running cost passes the most the Metropolis rule
  would accept (``current - T ln u``, ``u`` drawn first): step costs are non-negative, so
  such a candidate would be rejected anyway.

Evaluations count the elimination steps actually replayed (an accepted move is replayed
twice: priced, then adopted with new checkpoints), in complete-order equivalents, like
every other method.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import jax
import numpy as np

from spikead import ad

from ._graph import SymGraph
from ._search import SearchResult, _Tracker


class _Chain:
    """One order with its step costs and the graph after every ``every``-th position."""

    def __init__(self, graph: ad.Graph, order: list[int], convention: str, every: int):
        self.graph, self.convention, self.every = graph, convention, every
        self.order: list[int] = []
        self.steps: list[int] = []
        self.saved: dict[int, ad.Graph] = {}
        self.prefix: list[int] = [0]
        self.rebuild(order, 0)

    @property
    def cost(self) -> int:
        return self.prefix[-1]

    def rebuild(self, order: list[int], start: int) -> int:
        """Adopt ``order`` (equal to the current one before ``start``): replay from the
        last checkpoint at or before ``start`` and keep new checkpoints. Returns the
        number of steps replayed."""
        c = start - start % self.every
        g = (self.saved[c] if c else self.graph).copy()
        self.order = list(order)
        self.steps = self.steps[:c]
        self.saved = {p: s for p, s in self.saved.items() if p <= c}
        for p in range(c, len(order)):
            if p % self.every == 0 and p:
                self.saved[p] = g.copy()
            self.steps.append(
                ad.eliminate_vertex(g, order[p], check=False, convention=self.convention)
            )
        self.prefix = [0, *np.cumsum(self.steps, dtype=np.int64).tolist()]
        return len(order) - c

    def price(self, cand: list[int], start: int, limit: float) -> tuple[int | None, int]:
        """Cost of ``cand`` (equal to the current order before ``start``), or ``None`` once
        its running cost exceeds ``limit``; and the number of steps replayed."""
        c = start - start % self.every
        g = (self.saved[c] if c else self.graph).copy()
        total = self.prefix[c]
        for p in range(c, len(cand)):
            total += ad.eliminate_vertex(g, cand[p], check=False, convention=self.convention)
            if total > limit:
                return None, p + 1 - c
        return total, len(cand) - c


def _move(rng: np.random.Generator, order: list[int]) -> tuple[list[int], int]:
    """A swap or an insert (probability 1/2 each) at two uniform positions; returns the
    candidate and the first position where it may differ."""
    n = len(order)
    i, j = (int(x) for x in rng.integers(0, n, 2))
    cand = list(order)
    if rng.random() < 0.5:
        cand[i], cand[j] = cand[j], cand[i]
    else:
        cand.insert(j, cand.pop(i))
    return cand, min(i, j)


def engine_annealing(
    graph: ad.Graph,
    sym: SymGraph,
    budget: float,
    key,
    *,
    convention: str,
    starts: Sequence[Sequence[int]] = (),
    chains: int = 4,
    t_start: float = 0.003,
    t_end: float = 0.0003,
    checkpoint: int = 8,
) -> SearchResult:
    """Simulated annealing on the engine ``graph`` for ``budget`` evaluations.

    Args:
        graph: the task's engine graph; ``sym`` its search view (orders are returned in
            its vertex positions, like every other method).
        budget: evaluations (complete-order equivalents of elimination steps) in all.
        key: JAX PRNG key (seeds the NumPy generator of the moves).
        convention: counting convention (``"paper"`` or ``"structured"``).
        starts: start orders in positions (e.g. the baselines, best first); chain ``c``
            starts from ``starts[c % len(starts)]``, or from a random order without any.
        chains: independent chains run one after another, ``budget / chains`` each.
        t_start, t_end: temperatures relative to the chain's starting cost (geometric
            cooling over the chain's own moves).
        checkpoint: keep the graph after every this many positions of the current order.

    Returns:
        A :class:`SearchResult` (``method="anneal_engine"``) whose curve has one point
        per chain start and per improvement.
    """
    if chains < 1 or checkpoint < 1:
        raise ValueError(f"chains={chains} and checkpoint={checkpoint} must be >= 1")
    rng = np.random.default_rng(np.asarray(jax.random.key_data(key)).ravel().tolist())
    g0 = graph.priced(convention)
    elim = sorted(graph.eliminable)
    n = len(elim)
    track = _Tracker("anneal_engine", n)
    id_starts = [sym.id_order(o) for o in starts]
    per_chain = budget / chains
    for c in range(chains):
        end = (c + 1) * per_chain
        first = list(id_starts[c % len(id_starts)]) if id_starts else list(rng.permutation(elim))
        chain = _Chain(g0, [int(k) for k in first], convention, checkpoint)
        track.spend(n)
        track.offer([chain.cost], [sym.position_order(chain.order)])
        chain_start, scale = track.evals, max(chain.cost, 1)
        while track.evals < end and n > 1:
            frac = min((track.evals - chain_start) / max(end - chain_start, 1e-9), 1.0)
            temp = scale * t_start * (t_end / t_start) ** frac
            cand, start = _move(rng, chain.order)
            limit = chain.cost - temp * math.log(1.0 - rng.random())  # u in (0, 1]
            cost, replayed = chain.price(cand, start, limit)
            track.spend(replayed)
            if cost is None:  # rejected: it passed the most the Metropolis rule accepts
                continue
            track.spend(chain.rebuild(cand, start))
            if chain.cost != cost:
                raise AssertionError(
                    f"{sym.name}: an order priced {cost} replays at {chain.cost}; "
                    "the checkpoints are stale (a bug in anneal_engine)"
                )
            if cost < track.best_cost:
                track.offer([cost], [sym.position_order(cand)])
    return track.result(chains=chains)
