"""A jittable vertex-elimination environment over fixed-size arrays.

The state holds every edge's structure as arrays (``V`` vertices, ``R`` maximal rank;
positions index vertices, edges are ``[src, dst]``):

* ``exists[V, V]``, ``valued[V, V]`` (false: a pure identity/broadcast, factor 1);
* ``pair[V, V, R]``: per input dim ``q`` of the source, the output dim of the target it
  is Kronecker-paired with, or ``NO_PAIR``;
* ``vals[V, V, 2R]``: which canonical labels carry values; slot ``p < R`` is output dim
  ``p`` of the target, slot ``R + q`` is an *unpaired* input dim ``q`` of the source.

:func:`step` eliminates one vertex with the product and sum rules of
:mod:`spikead.ad._structure` written as array operations (so it runs under ``jit`` and
``vmap``); the reward is minus the multiplications. Tests check it equals the engine
and the plain-Python reference on every task and on random graphs.
"""

from __future__ import annotations

import dataclasses
import math
from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax import Array

from spikead.ad._structure import Structure

from ._graph import SymGraph

NO_PAIR = -1


class EnvState(eqx.Module):
    """Elimination state of one graph (all arrays; ``vmap`` adds a leading batch dim B).

    Attributes:
        exists, valued: ``[V, V]`` bool, edge ``src -> dst`` present / carries values.
        pair: ``[V, V, R]`` int32, pairing of source dims to target dims (``NO_PAIR``).
        vals: ``[V, V, 2R]`` bool, canonical labels that carry values.
        sizes: ``[V, R]`` int32, vertex shapes padded with 1.
        rank: ``[V]`` int32, vertex ranks.
        eliminable: ``[V]`` bool, intermediates (the actions).
        eliminated: ``[V]`` bool, already eliminated.
        cost: ``[]`` int32, multiplications so far.
    """

    exists: Array
    valued: Array
    pair: Array
    vals: Array
    sizes: Array
    rank: Array
    eliminable: Array
    eliminated: Array
    cost: Array

    @property
    def num_vertices(self) -> int:
        return self.exists.shape[-1]

    @property
    def max_rank(self) -> int:
        return self.pair.shape[-1]


class StepOutput(NamedTuple):
    state: EnvState
    reward: Array  # [] float32, minus the multiplications of this step
    done: Array    # [] bool, every eliminable vertex is gone


# ------------------------------------------------------------------- encoding
def _as_scalar(graph: SymGraph) -> SymGraph:
    """The same graph with every (size-1) vertex as a rank-0 scalar."""
    edges = {e: Structure((), (), (), None if s.val_dims is None else ())
             for e, s in graph.edges.items()}
    return dataclasses.replace(graph, shapes=((),) * graph.num_vertices, edges=edges)


def encode(graph: SymGraph, *, num_vertices: int | None = None,
           max_rank: int | None = None) -> EnvState:
    """Initial state of ``graph``, optionally padded to ``num_vertices`` / ``max_rank``.

    When every vertex holds a single scalar (all shapes of size 1), dims of size 1 are
    dropped (rank 0): every product then costs 1 or 0 and the arrays stay ``[V, V]``.

    Padding vertices have no edges and are not eliminable, so a joint agent can batch
    graphs of different sizes.
    """
    v = graph.num_vertices if num_vertices is None else num_vertices
    unit = all(math.prod(shape) == 1 for shape in graph.shapes)
    if max_rank is None:
        max_rank = 0 if unit else graph.max_rank
    r = max_rank
    if unit:  # every vertex holds one scalar: dims and pairs cannot change any cost
        graph = _as_scalar(graph)
    if v < graph.num_vertices or r < graph.max_rank:
        raise ValueError(f"padding ({v} vertices, rank {r}) smaller than graph {graph}")
    exists = np.zeros((v, v), bool)
    valued = np.zeros((v, v), bool)
    pair = np.full((v, v, r), NO_PAIR, np.int32)
    vals = np.zeros((v, v, 2 * r), bool)
    sizes = np.ones((v, r), np.int32)
    rank = np.zeros((v,), np.int32)
    for p, shape in enumerate(graph.shapes):
        rank[p] = len(shape)
        sizes[p, :len(shape)] = shape
    for (i, j), s in graph.edges.items():
        exists[i, j] = True
        pj = len(s.out_shape)
        for q, partner in enumerate(s.pair):
            if partner is not None:
                pair[i, j, q] = partner
        if s.val_dims is not None:
            valued[i, j] = True
            for label in s.val_dims:
                vals[i, j, label if label < pj else r + label - pj] = True
    eliminable = np.zeros((v,), bool)
    eliminable[list(graph.eliminable)] = True
    return EnvState(exists=jnp.asarray(exists), valued=jnp.asarray(valued),
                    pair=jnp.asarray(pair), vals=jnp.asarray(vals), sizes=jnp.asarray(sizes),
                    rank=jnp.asarray(rank), eliminable=jnp.asarray(eliminable),
                    eliminated=jnp.zeros((v,), bool), cost=jnp.zeros((), jnp.int32))


# ------------------------------------------------------------- product / sum
def _products(state: EnvState, k: Array):
    """Structures and costs of every ``(k -> j) x (i -> k)`` product, over ``[i, j]``."""
    r = state.max_rank
    v = state.num_vertices
    slots = jnp.arange(4 * r)
    dims = jnp.arange(r)
    # a = k -> j (indexed by j), b = i -> k (indexed by i)
    ex_a, va_a, pr_a, vl_a = state.exists[k], state.valued[k], state.pair[k], state.vals[k]
    ex_b, va_b, pr_b, vl_b = state.exists[:, k], state.valued[:, k], state.pair[:, k], state.vals[:, k]
    rank_k = state.rank[k]
    # label of each dim of k on a's input side, in a's label space [j, R]
    a_in = jnp.where(pr_a >= 0, pr_a, r + dims[None, :])
    # sizes of the 4R slots for every (i, j): j-out | k-unpaired | (unused) | i-unpaired
    size_j = state.sizes[None, :, :]                      # [1, V, R]
    size_k = jnp.broadcast_to(state.sizes[k], (1, v, r))
    size_i = state.sizes[:, None, :]                      # [V, 1, R]
    size_slot = jnp.concatenate([
        jnp.broadcast_to(size_j, (v, v, r)), jnp.broadcast_to(size_k, (v, v, r)),
        jnp.ones((v, v, r), jnp.int32), jnp.broadcast_to(size_i, (v, v, r))], axis=-1)
    # union of value labels
    a_part = jnp.concatenate([vl_a, jnp.zeros((v, 2 * r), bool)], axis=-1)[None, :, :]
    hit = a_in[None, :, :, None] == slots[None, None, None, :]          # [1, V, R, 4R]
    b_out = jnp.any(vl_b[:, None, :r, None] & hit, axis=2)               # [V, V, 4R]
    b_in = jnp.concatenate([jnp.zeros((v, 3 * r), bool), vl_b[:, r:]], axis=-1)[:, None, :]
    union = a_part | b_out | b_in
    both = (ex_a[None, :] & ex_b[:, None])
    mult = jnp.prod(jnp.where(union, size_slot, 1), axis=-1)
    cost = jnp.where(both & va_a[None, :] & va_b[:, None], mult, 0)
    # result input labels: c_in[i, j, q]
    rank_i = state.rank[:, None, None]
    rank_j = state.rank[None, :, None]
    idx = jnp.clip(pr_b, 0, r - 1)[:, None, :]                           # [V, 1, R]
    via = jnp.take_along_axis(jnp.broadcast_to(a_in[None], (v, v, r)),
                              jnp.broadcast_to(idx, (v, v, r)), axis=-1)
    c_in = jnp.where((pr_b >= 0)[:, None, :], via, 3 * r + dims)        # [V, V, R]
    q_live = dims[None, None, :] < rank_i
    c_hit = (c_in[..., None] == slots) & q_live[..., None]               # [V, V, R, 4R]
    kept = (slots < rank_j) | jnp.any(c_hit, axis=2)
    k_hit = (a_in[..., None] == slots) & (dims[None, :, None] < rank_k)  # [V, R, 4R]
    summed = jnp.any(k_hit, axis=1)[None, :, :] & ~kept
    scale_big = jnp.any(summed & ~union & (size_slot > 1), axis=-1)
    c_valued = va_a[None, :] | va_b[:, None] | scale_big
    c_pair = jnp.where(q_live & (c_in < r), c_in, NO_PAIR)
    out_vals = union[..., :r] & (dims < rank_j)
    u_at_c = jnp.take_along_axis(union, jnp.clip(c_in, 0, 4 * r - 1), axis=-1)
    in_vals = q_live & (c_in >= r) & u_at_c
    c_vals = jnp.concatenate([out_vals, in_vals], axis=-1) & c_valued[..., None]
    return both, cost, c_valued, c_pair, c_vals


def _dims_in(vals: Array, pair: Array, new_pair: Array, r: int) -> Array:
    """Value labels of a structure re-expressed with the (coarser) pairing ``new_pair``."""
    dropped = (pair >= 0) & (new_pair < 0)                               # [..., R]
    out_slots = jnp.arange(r)
    to_out = jnp.any(dropped[..., :, None] & (pair[..., :, None] == out_slots), axis=-2)
    return vals | jnp.concatenate([to_out, dropped], axis=-1)


def step(state: EnvState, action: Array) -> StepOutput:
    """Eliminate vertex ``action``; an illegal action leaves the state unchanged (reward 0).

    Shapes: ``state`` unbatched (``vmap`` for batches); ``action`` an int scalar.
    """
    r = state.max_rank
    k = jnp.asarray(action, jnp.int32)
    legal = state.eliminable[k] & ~state.eliminated[k]
    if r == 0:
        return _step_scalar(state, k, legal)
    both, cost, c_valued, c_pair, c_vals = _products(state, k)
    both = both & legal
    old = state.exists
    new_pair = jnp.where(state.pair == c_pair, state.pair, NO_PAIR)
    sum_vals = _dims_in(state.vals, state.pair, new_pair, r) | _dims_in(c_vals, c_pair, new_pair, r)
    pair = jnp.where(both[..., None], jnp.where(old[..., None], new_pair, c_pair), state.pair)
    vals = jnp.where(both[..., None], jnp.where(old[..., None], sum_vals, c_vals), state.vals)
    valued = jnp.where(both, old | c_valued, state.valued)
    exists = old | both
    # remove k's edges
    keep = legal & (jnp.arange(state.num_vertices) == k)
    cut = keep[:, None] | keep[None, :]
    exists = exists & ~cut
    valued = valued & ~cut
    vals = vals & ~cut[..., None]
    pair = jnp.where(cut[..., None], NO_PAIR, pair)
    step_cost = jnp.sum(jnp.where(both, cost, 0))
    eliminated = state.eliminated | keep
    new = EnvState(exists=exists, valued=valued, pair=pair, vals=vals, sizes=state.sizes,
                   rank=state.rank, eliminable=state.eliminable, eliminated=eliminated,
                   cost=state.cost + step_cost)
    done = ~jnp.any(state.eliminable & ~eliminated)
    return StepOutput(new, -step_cost.astype(jnp.float32), done)


def _step_scalar(state: EnvState, k: Array, legal: Array) -> StepOutput:
    """:func:`step` when every vertex is one scalar (rank 0): each valued x valued
    product costs 1, a product is valued when either factor is, every sum is valued."""
    ex_a, ex_b = state.exists[k], state.exists[:, k]
    va_a, va_b = state.valued[k] & ex_a, state.valued[:, k] & ex_b
    both = ex_b[:, None] & ex_a[None, :] & legal
    step_cost = jnp.where(legal, jnp.sum(va_b) * jnp.sum(va_a), 0).astype(jnp.int32)
    c_valued = va_b[:, None] | va_a[None, :]
    valued = jnp.where(both, state.exists | c_valued, state.valued)
    hit = legal & (jnp.arange(state.num_vertices) == k)
    cut = hit[:, None] | hit[None, :]
    exists = (state.exists | both) & ~cut
    eliminated = state.eliminated | hit
    new = dataclasses.replace(state, exists=exists, valued=valued & ~cut,
                              eliminated=eliminated, cost=state.cost + step_cost)
    done = ~jnp.any(state.eliminable & ~eliminated)
    return StepOutput(new, -step_cost.astype(jnp.float32), done)


def legal_actions(state: EnvState) -> Array:
    """``[V]`` bool: vertices that may be eliminated now."""
    return state.eliminable & ~state.eliminated


def is_done(state: EnvState) -> Array:
    return ~jnp.any(legal_actions(state))


def action_mask(state: EnvState) -> Array:
    """``[V]`` bool: the legal actions, or only vertex 0 once the episode is over.

    Searches over padded graphs play a fixed number of moves (the largest graph's); after
    the last elimination every action is a no-op (reward 0), and this mask offers one so
    that policies never face an empty action set.
    """
    legal = legal_actions(state)
    done = ~jnp.any(legal)
    return legal | (done & (jnp.arange(state.num_vertices) == 0))


def effective_order(actions, eliminable) -> list[int]:
    """The eliminations a padded action sequence performs: each eliminable position at
    its first occurrence (later repeats and non-eliminable actions are no-ops)."""
    elim = {int(k) for k in np.flatnonzero(np.asarray(eliminable))}
    seen: set[int] = set()
    out = []
    for a in np.asarray(actions).tolist():
        if a in elim and a not in seen:
            seen.add(a)
            out.append(int(a))
    return out


def rollout(state: EnvState, order: Array) -> tuple[EnvState, Array]:
    """Apply ``order`` (``[n]`` positions) with ``lax.scan``; returns final state, ``[n]`` costs."""
    def body(s, a):
        out = step(s, a)
        return out.state, -out.reward
    return jax.lax.scan(body, state, order)


@eqx.filter_jit
def order_costs(state: EnvState, orders: Array) -> Array:
    """Total multiplications of each of ``orders`` (``[B, n]`` positions) from ``state``: ``[B]``."""
    def one(order):
        final, _ = rollout(state, order)
        return final.cost
    return jax.vmap(one)(orders)


# ---------------------------------------------------------------- heuristics
def degrees(state: EnvState) -> tuple[Array, Array]:
    """Markowitz in- and out-degree of every vertex in scalar units, ``[V]`` each.

    In-degree of ``k``: over incoming edges ``i -> k``, the number of entries of ``i`` one
    entry of ``k`` depends on (product of the sizes of ``i``'s unpaired dims);
    out-degree: over outgoing ``k -> j``, the number of entries of ``j`` one entry of ``k``
    reaches (product of the sizes of ``j``'s dims not paired with ``k``).
    """
    r = state.max_rank
    dims = jnp.arange(r)
    live_in = dims[None, None, :] < state.rank[:, None, None]              # [i, j, R]
    src_fan = jnp.prod(jnp.where(live_in & (state.pair < 0), state.sizes[:, None, :], 1), -1)
    paired_out = jnp.any((state.pair[..., :, None] == dims) & live_in[..., None], axis=-2)
    live_out = dims[None, None, :] < state.rank[None, :, None]
    dst_fan = jnp.prod(jnp.where(live_out & ~paired_out, state.sizes[None, :, :], 1), -1)
    e = state.exists
    indeg = jnp.sum(jnp.where(e, src_fan, 0), axis=0)
    outdeg = jnp.sum(jnp.where(e, dst_fan, 0), axis=1)
    return indeg, outdeg


def fill_in(state: EnvState) -> Array:
    """``[V]`` number of new edges eliminating each vertex would create."""
    e = state.exists.astype(jnp.float32)
    missing = 1.0 - e
    return jnp.sum(e * (missing @ e.T), axis=0).astype(jnp.int32)


SCORES = ("markowitz", "relative_markowitz", "fill_in")


def score(state: EnvState, kind: str) -> Array:
    """``[V]`` heuristic score (lower is better) of eliminating each vertex now.

    ``markowitz``: size x in x out (the engine's :func:`spikead.ad.markowitz_degree`);
    ``relative_markowitz``: size x (in x out - in - out) (the products it costs minus the
    edges it removes; our definition); ``fill_in``: number of new edges.
    """
    indeg, outdeg = degrees(state)
    size = jnp.prod(state.sizes, axis=-1).astype(jnp.float32)
    prod = (indeg * outdeg).astype(jnp.float32)
    if kind == "markowitz":
        return size * prod
    if kind == "relative_markowitz":
        return size * (prod - indeg - outdeg)
    if kind == "fill_in":
        return fill_in(state).astype(jnp.float32)
    raise ValueError(f"unknown score {kind!r}; choose one of {SCORES}")


# ------------------------------------------------------------------ decoding
def decode(state: EnvState, shapes) -> dict[tuple[int, int], Structure]:
    """The current edges of an unbatched ``state`` as engine structures (for checks/printing).

    ``shapes`` are the vertex shapes the state was encoded with (rank-0 for unit graphs).
    """
    r = state.max_rank
    exists, valued = np.asarray(state.exists), np.asarray(state.valued)
    pair, vals = np.asarray(state.pair), np.asarray(state.vals)
    edges = {}
    for i, j in zip(*np.nonzero(exists)):
        out_shape, in_shape = tuple(shapes[j]), tuple(shapes[i])
        pj, qi = len(out_shape), len(in_shape)
        p = tuple(None if pair[i, j, q] < 0 else int(pair[i, j, q]) for q in range(qi))
        if valued[i, j]:
            labels = [s for s in range(pj) if vals[i, j, s]]
            labels += [pj + q for q in range(qi) if vals[i, j, r + q]]
            val_dims = tuple(labels)
        else:
            val_dims = None
        edges[(int(i), int(j))] = Structure(out_shape, in_shape, p, val_dims)
    return edges
