"""Classical order search sharing one evaluation budget.

One *evaluation* is one complete order's worth of environment steps: a method that takes
``s`` single-vertex steps on a graph with ``n`` eliminable vertices has used ``s / n``
evaluations. Every method returns a :class:`SearchResult` with its best order
(positions), best cost and the curve of best cost against evaluations.

Methods: :func:`random_search`, :func:`simulated_annealing` (swap / insert moves,
parallel chains), :func:`beam_search` (Markowitz-family scores, after safe
pre-elimination) and :func:`exact_dp` (dynamic programming over vertex subsets, for
graphs with at most ~16 eliminable vertices).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax import Array

from spikead.ad._structure import check_convention

from . import _count
from ._env import (
    SCORES,
    EnvState,
    action_mask,
    cost_of,
    effective_order,
    legal_actions,
    order_costs,
    order_counts,
    safe_vertices,
    score,
    step,
)
from ._graph import SymGraph
from ._reference import eliminate


@dataclasses.dataclass
class SearchResult:
    """Outcome of one search run.

    Attributes:
        method: method name.
        order: best order found (vertex positions).
        cost: its multiplications.
        evaluations: evaluations used (complete-order equivalents of env steps).
        curve: ``(evaluations, best cost so far)`` points, increasing evaluations.
        wall_s: wall-clock seconds.
        info: method-specific extras (e.g. the agents' training losses and ``mean_costs``,
            the mean episode cost per iteration).
    """

    method: str
    order: list[int]
    cost: int
    evaluations: float
    curve: list[tuple[float, int]]
    wall_s: float = 0.0
    info: dict = dataclasses.field(default_factory=dict)


class _Tracker:
    """Best-so-far bookkeeping shared by the methods."""

    def __init__(self, method: str, n: int, eliminable=None):
        self.method, self.n = method, max(n, 1)
        self.eliminable = None if eliminable is None else np.asarray(eliminable)
        self.best_cost: int | None = None
        self.best_order: list[int] = []
        self.evals = 0.0
        self.curve: list[tuple[float, int]] = []
        self.start = time.perf_counter()

    def spend(self, steps: float) -> None:
        self.evals += steps / self.n

    def offer(self, costs, orders) -> None:
        costs = np.asarray(costs)
        i = int(np.argmin(costs))
        c = int(costs[i])
        if self.best_cost is None or c < self.best_cost:
            order = np.asarray(orders[i])
            self.best_cost = c
            self.best_order = (
                [int(k) for k in order]
                if self.eliminable is None
                else effective_order(order, self.eliminable)
            )
        self.curve.append((round(self.evals, 3), self.best_cost))

    def result(self, **info) -> SearchResult:
        return SearchResult(
            self.method,
            self.best_order,
            int(self.best_cost),
            round(self.evals, 3),
            self.curve,
            round(time.perf_counter() - self.start, 3),
            info,
        )


def _eliminable(state: EnvState) -> np.ndarray:
    return np.flatnonzero(np.asarray(state.eliminable))


def _padded_actions(state: EnvState, moves: int | None) -> np.ndarray:
    """The eliminable positions followed by no-op fillers up to ``moves`` actions.

    A filler is a non-eliminable position (an input): stepping it changes nothing, so
    orders of graphs padded to one size share one compiled rollout.
    """
    elim = _eliminable(state)
    moves = len(elim) if moves is None else moves
    if moves < len(elim):
        raise ValueError(
            f"moves={moves} is less than the {len(elim)} eliminable vertices; "
            "pass at least the graph's eliminable count"
        )
    fillers = np.flatnonzero(~np.asarray(state.eliminable))
    if moves > len(elim) and len(fillers) == 0:
        raise ValueError("padding moves needs a non-eliminable vertex (an input) as filler")
    return np.concatenate([elim, np.full(moves - len(elim), fillers[:1].sum(), elim.dtype)])


# ------------------------------------------------------------------ random
@jax.jit
def _permutations(keys, elim):
    """``[B]`` keys, ``[n]`` positions -> ``[B, n]`` random orders."""
    return jax.vmap(lambda k: jax.random.permutation(k, elim))(keys)


def random_search(
    state: EnvState, budget: int, key, *, batch: int = 64, moves: int | None = None
) -> SearchResult:
    """Uniformly random orders, evaluated ``batch`` at a time, until ``budget`` evaluations.

    ``moves``: pad orders with no-op actions to this length (graphs padded to one size
    then share one compilation); default the number of eliminable vertices.
    """
    n = len(_eliminable(state))
    elim = jnp.asarray(_padded_actions(state, moves))
    track = _Tracker("random", n, state.eliminable)
    while track.evals < budget:  # fixed batch: one compilation (may overshoot < batch)
        key, sub = jax.random.split(key)
        orders = _permutations(jax.random.split(sub, batch), elim)
        costs = order_costs(state, orders)
        track.spend(batch * n)
        track.offer(costs, orders)
    return track.result()


# ------------------------------------------------------------- annealing
@jax.jit
def _propose(key, orders):
    """One swap or insert move per chain: ``[B, n] -> [B, n]``."""
    b, n = orders.shape
    k1, k2, _ = jax.random.split(key, 3)
    ij = jax.random.randint(k1, (b, 2), 0, n)
    i, j = ij[:, 0], ij[:, 1]
    use_swap = jax.random.bernoulli(k2, 0.5, (b,))
    pos = jnp.arange(n)[None, :]
    # swap
    a_i = jnp.take_along_axis(orders, i[:, None], 1)
    a_j = jnp.take_along_axis(orders, j[:, None], 1)
    swapped = jnp.where(pos == i[:, None], a_j, jnp.where(pos == j[:, None], a_i, orders))
    # insert: move element at i to position j, shifting the ones between
    lo, hi = jnp.minimum(i, j)[:, None], jnp.maximum(i, j)[:, None]
    fwd = (i < j)[:, None]
    src = jnp.where(
        (pos < lo) | (pos > hi),
        pos,
        jnp.where(
            fwd,
            jnp.where(pos == hi, i[:, None], pos + 1),
            jnp.where(pos == lo, i[:, None], pos - 1),
        ),
    )
    inserted = jnp.take_along_axis(orders, src, 1)
    return jnp.where(use_swap[:, None], swapped, inserted)


@eqx.filter_jit
def _anneal_block(state: EnvState, key, orders, counts, best_orders, best_counts, temps, active):
    """``len(temps)`` Metropolis steps of every chain in one call (moves: :func:`_propose`).

    ``orders`` ``[B, n]`` with exact ``counts`` ``[B, WIDTH]``; ``best_*`` the best order
    and count each chain has seen; ``temps`` ``[S]`` absolute temperatures; a step whose
    ``active`` ``[S]`` is false changes nothing (padding of the last block). A move that
    does not raise the count is always taken (exact comparison); a dearer one with
    probability ``exp(-delta / temp)`` (``delta`` in float32: only the acceptance
    probability is rounded). Returns the new carry and every chain's best count after
    each step, ``[S, B, WIDTH]``.
    """

    def body(carry, x):
        temp, on = x
        key, orders, counts, best_orders, best_counts = carry
        key, k1, k2 = jax.random.split(key, 3)
        cand = _propose(k1, orders)
        cand_counts = order_counts(state, cand)
        delta = _count.to_float(cand_counts) - _count.to_float(counts)
        accept = on & (
            ~_count.less(counts, cand_counts)
            | (jax.random.uniform(k2, delta.shape) < jnp.exp(-delta / temp))
        )
        orders = jnp.where(accept[:, None], cand, orders)
        counts = _count.where(accept, cand_counts, counts)
        better = on & _count.less(cand_counts, best_counts)
        best_orders = jnp.where(better[:, None], cand, best_orders)
        best_counts = _count.where(better, cand_counts, best_counts)
        return (key, orders, counts, best_orders, best_counts), best_counts

    init = (key, orders, counts, best_orders, best_counts)
    return jax.lax.scan(body, init, (temps, active))


def simulated_annealing(
    state: EnvState,
    budget: int,
    key,
    *,
    chains: int = 16,
    starts: Sequence[Sequence[int]] = (),
    t_start: float = 0.05,
    t_end: float = 0.001,
    moves: int | None = None,
    block: int = 256,
    start_chains: int | None = None,
) -> SearchResult:
    """Parallel Metropolis chains over orders with swap/insert moves.

    ``start_chains`` chains start from ``starts`` (e.g. the baseline orders, cycled;
    default: one chain per start, at most half the chains) and the rest from random
    orders. The temperature falls geometrically from ``t_start`` to ``t_end``, both
    relative to the best starting cost. The steps run in equal blocks of at most ``block`` steps, one
    compiled call each (:func:`_anneal_block`); the curve still has one point per step.
    """
    elim = _padded_actions(state, moves)
    n = len(_eliminable(state))
    track = _Tracker("anneal", n, state.eliminable)
    key, sub = jax.random.split(key)
    rand = np.asarray(_permutations(jax.random.split(sub, chains), jnp.asarray(elim)))
    orders = np.array(rand)
    if start_chains is None:
        start_chains = min(len(starts), max(1, chains // 2))
    if not 0 <= start_chains <= chains:
        raise ValueError(f"start_chains={start_chains} must lie in 0..chains={chains}")
    for c in range(start_chains if len(starts) else 0):
        start = np.asarray(starts[c % len(starts)])
        orders[c] = np.concatenate([start, elim[len(start) :]])  # fillers after the start
    orders = jnp.asarray(orders)
    counts = order_counts(state, orders)
    costs = _count.exact(counts)
    track.spend(chains * n)
    track.offer(costs, orders)
    steps = max(1, int((budget - track.evals) // chains))
    scale = float(np.min(costs)) or 1.0
    t = np.arange(steps)
    temps = scale * t_start * (t_end / t_start) ** (t / max(steps - 1, 1))
    carry = (key, orders, counts, orders, counts)
    # equal blocks of at most ``block`` steps: fewer than one padded step per block
    block = -(-steps // -(-steps // max(block, 1)))
    for lo in range(0, steps, block):
        chunk = temps[lo : lo + block]
        # pad the last block to the block size (one compilation); its extra steps are
        # run (inactive) but neither counted nor recorded
        padded = np.concatenate([chunk, np.full(block - len(chunk), chunk[-1])])
        active = np.arange(block) < len(chunk)
        carry, bests = _anneal_block(
            state, *carry, jnp.asarray(padded, jnp.float32), jnp.asarray(active)
        )
        for c in _count.exact(bests)[: len(chunk)].min(axis=1):
            track.spend(chains * n)
            track.curve.append((round(track.evals, 3), int(min(c, track.best_cost))))
    best_orders, best_counts = carry[3], carry[4]
    track.offer(_count.exact(best_counts), np.asarray(best_orders))
    track.curve.pop()  # offer() appended the last point again
    return track.result(chains=chains, steps=steps)


# ------------------------------------------------------------------- beam
_jstep = jax.jit(step)


_jsafe = jax.jit(safe_vertices, static_argnames="limit")


def safe_prefix(state: EnvState, *, limit: int = 1) -> tuple[EnvState, list[int]]:
    """Greedy safe pre-elimination: repeatedly eliminate a vertex whose per-scalar degree
    ``in x out`` is <= ``limit`` (the engine's :func:`spikead.ad.safe_preelimination`,
    same predicate :func:`spikead.ad.orders.is_safe`).

    Ties go to the lowest position. Returns the state after the prefix and the prefix.
    """
    prefix: list[int] = []
    while True:
        cand = np.flatnonzero(np.asarray(_jsafe(state, limit=limit)))
        if len(cand) == 0:
            return state, prefix
        k = int(cand[0])
        state = _jstep(state, k).state
        prefix.append(k)


def _merge_same_sets(eliminated: Array, cost: Array) -> Array:
    """``[K, V]`` eliminated masks, ``[K]`` costs -> ``[K]`` costs, inf where another child
    eliminated the same set more cheaply (ties: the first one kept).

    Children are sorted by a hash of their set, then by cost; a child whose set equals its
    predecessor's in that order is a duplicate. The sets are compared exactly, so a hash
    collision can only keep a duplicate, never drop a distinct set.
    """
    v = eliminated.shape[-1]
    weights = jax.random.bits(jax.random.key(0), (v,), jnp.uint32)
    h = (eliminated.astype(jnp.uint32) * weights).sum(-1)
    idx = jnp.lexsort((cost, h))
    ordered = eliminated[idx]
    same = jnp.all(ordered[1:] == ordered[:-1], axis=-1)
    dup = jnp.zeros(cost.shape, bool).at[idx[1:]].set(same)
    return jnp.where(dup, jnp.inf, cost)


@eqx.filter_jit
def _beam(state: EnvState, kind: Array, width: int, expand: int, n: int, merge: bool = True):
    """Beam search of ``width`` states, ``expand`` best-scored children each, ``n`` layers.

    ``kind`` indexes :data:`SCORES` (traced, so the three scores share one compilation).
    ``merge``: keep one child per eliminated set (:func:`_merge_same_sets`).
    """
    v = state.num_vertices
    batch = jax.tree.map(lambda x: jnp.broadcast_to(x, (width,) + x.shape), state)
    orders = jnp.zeros((width, n), jnp.int32)
    alive = jnp.arange(width) == 0  # start with one live beam entry

    def scores(st):
        return jnp.stack([score(st, name) for name in SCORES])[kind]

    def layer(carry, t):
        states, orders, alive = carry
        s = jax.vmap(scores)(states)  # [W, V]
        legal = jax.vmap(action_mask)(states)  # a finished entry keeps one no-op child
        s = jnp.where(jax.vmap(legal_actions)(states), s, 0.0)
        s = jnp.where(legal, s + jnp.arange(v) * 1e-6, jnp.inf)
        _, acts = jax.lax.top_k(-s, expand)  # [W, E]
        ok = jnp.take_along_axis(legal, acts, 1) & alive[:, None]
        rep = lambda x: jnp.repeat(x, expand, axis=0)
        children = jax.vmap(step)(jax.tree.map(rep, states), acts.reshape(-1)).state
        c_orders = rep(orders).at[:, t].set(acts.reshape(-1))
        c_cost = jnp.where(ok.reshape(-1), _count.to_float(children.cost), jnp.inf)
        if merge:
            c_cost = _merge_same_sets(children.eliminated, c_cost)
        _, keep = jax.lax.top_k(-c_cost, width)
        new = jax.tree.map(lambda x: x[keep], children)
        return (new, c_orders[keep], (c_cost < jnp.inf)[keep]), None

    (states, orders, alive), _ = jax.lax.scan(layer, (batch, orders, alive), jnp.arange(n))
    return orders, states.cost, alive


def beam_search(
    state: EnvState,
    budget: int,
    key=None,
    *,
    kind: str = "markowitz",
    expand: int = 4,
    safe: bool = True,
    max_width: int = 256,
    merge: bool = True,
    moves: int | None = None,
) -> SearchResult:
    """Beam search guided by ``kind`` (one of :data:`SCORES`, lower is better).

    The safe pre-elimination prefix is applied first when ``safe``; then one beam of the
    largest power-of-two width (at most ``max_width``) whose ``width x expand`` children
    per layer fit the budget. Each layer expands every entry's ``expand`` best-scored
    vertices and keeps the ``width`` cheapest children (cost so far: every child has
    eliminated as many vertices). With ``merge``, children that eliminated the same set
    count once (the cheapest): on scalar graphs the rest of the problem depends only on
    that set, so the beam then holds ``width`` different subproblems, like a truncated
    dynamic program over subsets. Width 1 with ``expand`` 1 is the greedy heuristic.
    ``key`` is unused (deterministic). ``moves``: run this many layers (no-ops once
    done) so that graphs padded to one size share one compilation.
    """
    del key
    if kind not in SCORES:
        raise ValueError(f"unknown beam score {kind!r}; choose one of {SCORES}")
    elim = _eliminable(state)
    track = _Tracker(f"beam_{kind}", len(elim), state.eliminable)
    prefix: list[int] = []
    if safe:
        state, prefix = safe_prefix(state)
        track.spend(len(prefix))
    rest = len(elim) - len(prefix)
    if rest == 0:
        track.offer([cost_of(state)], [prefix])
        return track.result(prefix=len(prefix), width=0)
    e = min(expand, rest)
    width = 1
    while width * 2 <= max_width and track.evals + 2 * width * e * rest / track.n <= budget:
        width *= 2
    layers = rest if moves is None else max(moves, rest)
    orders, counts, alive = _beam(state, jnp.asarray(SCORES.index(kind)), width, e, layers, merge)
    track.spend(width * e * rest)
    full = np.concatenate(
        [np.tile(np.asarray(prefix, np.int32), (width, 1)), np.asarray(orders)], axis=1
    )
    alive = np.asarray(alive)  # entry 0 always lives: a legal or no-op child exists
    track.offer(_count.exact(counts)[alive], full[alive])
    return track.result(prefix=len(prefix), width=width, merge=merge)


# ------------------------------------------------------------------ exact
class TooLargeError(ValueError):
    """The exact search was asked for a graph with too many eliminable vertices."""


def exact_dp(
    graph: SymGraph, *, max_vertices: int = 16, convention: str = "structured"
) -> SearchResult:
    """Minimal cost over all orders by dynamic programming over eliminated subsets.

    The graph after eliminating a set ``S`` is taken from the best predecessor
    ``S - {k}``; for scalar graphs it does not depend on the order within ``S``, so the
    result is the exact optimum (for tensor graphs a valid upper bound). Uses the
    plain-Python reference rules, counting with ``convention`` (``"structured"`` or
    ``"paper"``); ``O(2^n n)`` eliminations.
    """
    check_convention(convention)
    elim = list(graph.eliminable)
    n = len(elim)
    if n > max_vertices:
        raise TooLargeError(
            f"{graph.name}: {n} eliminable vertices > max_vertices={max_vertices}; "
            "use a heuristic method or raise the limit"
        )
    track = _Tracker("exact_dp", n)
    layer = {0: (0, [], dict(graph.edges))}
    steps = 0
    for _ in range(n):
        nxt: dict[int, tuple[int, list[int], dict]] = {}
        for mask, (c, order, edges) in layer.items():
            for b, k in enumerate(elim):
                if mask >> b & 1:
                    continue
                e2 = dict(edges)
                c2 = c + eliminate(e2, k, convention)
                steps += 1
                m2 = mask | (1 << b)
                if m2 not in nxt or c2 < nxt[m2][0]:
                    nxt[m2] = (c2, order + [k], e2)
        layer = nxt
    ((c, order, _),) = layer.values()
    track.spend(steps)
    track.offer([c], [order])
    return track.result(states=2**n)
