"""A jittable vertex-elimination environment over fixed-size arrays.

The state holds every edge's structure as arrays (``V`` vertices, ``R`` maximal rank;
positions index vertices, edges are ``[src, dst]``):

* ``exists[V, V]``, ``valued[V, V]`` (false: a pure identity/broadcast, factor 1);
* ``pair[V, V, R]``: per input dim ``q`` of the source, the output dim of the target it
  is Kronecker-paired with, or ``NO_PAIR``;
* ``vals[V, V, 2R]``: which canonical labels carry values; slot ``p < R`` is output dim
  ``p`` of the target, slot ``R + q`` is an *unpaired* input dim ``q`` of the source;
* ``pmap[V, V, R]``: per paired input dim, the id of its index map (0: the identity) in
  the graph's table of index maps (:func:`index_maps`: every map on an edge and every
  composition of them), with ``map_compose[M, M]`` (the id of ``a``'s map followed by
  ``b``'s) and ``map_out_total`` / ``map_in_total`` (``[M]``, the map leaves no output /
  input index empty; otherwise a product that drops the pair is masked, which adds that
  label to the values).

:func:`step` eliminates one vertex with the product and sum rules of
:mod:`spikead.ad._structure` written as array operations (so it runs under ``jit`` and
``vmap``); the reward is minus the multiplications. Costs are exact integer counts
(:mod:`spikead.alphagrad._count`: 16-bit limbs in ``uint32``, exact up to ``2**64 - 1``
with ``jax_enable_x64`` on or off); every integer array keeps its dtype under x64, so
the scans' carries do not change type. Tests check the costs equal the engine and the
plain-Python reference on every task and on random graphs.

Both counting conventions of :mod:`spikead.ad._structure` are available (a static field
of the state, chosen at :func:`encode`): ``"structured"`` (the engine's default) and
``"paper"`` (Graphax's count, :func:`~spikead.ad._structure.paper_product_cost`). The
convention changes only what a product costs, never the edges.
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

from spikead.ad._structure import (
    IndexMap,
    Structure,
    compose_maps,
)
from spikead.ad.orders import is_safe

from . import _count
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
        pmap: ``[V, V, R]`` int32, index-map id of each paired dim (0: identity).
        map_compose: ``[M, M]`` int32, id of the composition of two maps.
        map_out_total, map_in_total: ``[M]`` bool, the map leaves no output / input
            index without a partner.
        eliminable: ``[V]`` bool, intermediates (the actions).
        eliminated: ``[V]`` bool, already eliminated.
        cost: ``[WIDTH]`` uint32, multiplications so far as an exact count
            (:mod:`~spikead.alphagrad._count`; read it with :func:`cost_of` or
            ``_count.exact``).
        narrow: static; every single product's count is below ``2**32`` (see
            :func:`narrow_products`), so products are multiplied in ``uint32`` directly.
        convention: static; the counting convention of the costs (``"structured"`` or
            ``"paper"``, see :mod:`spikead.ad._structure`).
    """

    exists: Array
    valued: Array
    pair: Array
    vals: Array
    pmap: Array
    map_compose: Array
    map_out_total: Array
    map_in_total: Array
    sizes: Array
    rank: Array
    eliminable: Array
    eliminated: Array
    cost: Array
    narrow: bool = eqx.field(static=True, default=False)
    convention: str = eqx.field(static=True, default="structured")

    @property
    def num_vertices(self) -> int:
        return self.exists.shape[-1]

    @property
    def max_rank(self) -> int:
        return self.pair.shape[-1]

    @property
    def num_maps(self) -> int:
        return self.map_compose.shape[-1]


class StepOutput(NamedTuple):
    state: EnvState
    reward: Array  # [] float32, minus the multiplications of this step (rounded towards 0)
    done: Array  # [] bool, every eliminable vertex is gone
    count: Array  # [WIDTH] uint32, the exact multiplications of this step


# ------------------------------------------------------------------- encoding
def _as_scalar(graph: SymGraph) -> SymGraph:
    """The same graph with every (size-1) vertex as a rank-0 scalar."""
    edges = {
        e: Structure((), (), (), None if s.val_dims is None else ()) for e, s in graph.edges.items()
    }
    return dataclasses.replace(graph, shapes=((),) * graph.num_vertices, edges=edges)


MAX_INDEX_MAPS = 1024
"""Largest table of index maps :func:`index_maps` builds (its compositions included)."""


def index_maps(graph: SymGraph) -> tuple[IndexMap | None, ...]:
    """The index maps the elimination of ``graph`` can meet: ``None`` (the identity, id 0),
    every map on an edge, and every composition of them (closed under composition), in a
    fixed order. Raises ``ValueError`` beyond :data:`MAX_INDEX_MAPS` maps."""
    found = {s.map_of(q) for s in graph.edges.values() for q in range(len(s.in_shape))}
    found.discard(None)
    key = lambda m: (m.out_size, m.in_size, m.src)
    table: list[IndexMap | None] = [None, *sorted(found, key=key)]
    known = set(found)
    frontier = list(found)
    while frontier:
        new = []
        for a in list(known):
            for b in frontier:
                for x, y in ((a, b), (b, a)):
                    if x.in_size == y.out_size:
                        c = compose_maps(x, y)
                        if c is not None and c not in known:
                            known.add(c)
                            new.append(c)
        if len(known) + 1 > MAX_INDEX_MAPS:
            raise ValueError(
                f"{graph} has more than {MAX_INDEX_MAPS} distinct index maps with their "
                "compositions; encode it with convention='paper' (index maps densified) or "
                "raise spikead.alphagrad._env.MAX_INDEX_MAPS"
            )
        table += sorted(new, key=key)
        frontier = new
    return tuple(table)


def _map_tables(maps: tuple[IndexMap | None, ...], m: int):
    """``map_compose [m, m]``, ``map_out_total [m]``, ``map_in_total [m]`` of ``maps``
    (padded with identities to ``m``)."""
    ids = {mp: n for n, mp in enumerate(maps)}
    compose = np.zeros((m, m), np.int32)
    for x, a in enumerate(maps):
        for y, b in enumerate(maps):
            if a is None or b is None or a.in_size == b.out_size:
                compose[x, y] = ids[compose_maps(a, b)]
    out_total = np.ones((m,), bool)
    in_total = np.ones((m,), bool)
    for x, a in enumerate(maps):
        if a is not None:
            out_total[x], in_total[x] = a.out_total, a.in_total
    return compose, out_total, in_total


_NARROW_LIMIT = 1 << 32


def narrow_products(graph: SymGraph) -> bool:
    """Whether every product's count on ``graph`` is below ``2**32``, in any order.

    A product ``(k -> j) x (i -> k)`` counts the sizes of distinct dims of ``j``, ``k``
    and ``i`` in either convention (:func:`_product_count`), so it is at most
    ``size(j) size(k) size(i)``, at most the largest vertex size cubed.
    """
    largest = max((math.prod(s) for s in graph.shapes), default=1)
    return largest**3 < _NARROW_LIMIT


def encode(
    graph: SymGraph,
    *,
    num_vertices: int | None = None,
    max_rank: int | None = None,
    narrow: bool | None = None,
    convention: str = "structured",
    num_maps: int | None = None,
) -> EnvState:
    """Initial state of ``graph``, optionally padded to ``num_vertices`` / ``max_rank``.

    When every vertex holds a single scalar (all shapes of size 1), dims of size 1 are
    dropped (rank 0): every product then costs 1 or 0 and the arrays stay ``[V, V]``.

    Padding vertices have no edges and are not eliminable, so a joint agent can batch
    graphs of different sizes.

    ``narrow`` (default :func:`narrow_products` of ``graph``): multiply products in
    ``uint32`` (faster); ``False`` forces the limb products (states that are stacked
    together must agree); ``True`` on a graph where it is not exact raises.

    ``convention``: how products are counted, ``"structured"`` (the engine's default) or
    ``"paper"`` (Graphax's count, as ``spikead.ad.cost(..., convention="paper")``, on the
    graph with its index maps densified). ``num_maps``: pad the table of index maps
    (:func:`index_maps`) to this many (states stacked together must agree).
    """
    graph = graph.priced(convention)
    maps = index_maps(graph)
    m = len(maps) if num_maps is None else num_maps
    if m < len(maps):
        raise ValueError(f"num_maps={num_maps} is below the {len(maps)} index maps of {graph}")
    if narrow is None:
        narrow = narrow_products(graph)
    elif narrow and not narrow_products(graph):
        raise ValueError(
            f"narrow=True for {graph}: a product can reach 2**32 multiplications "
            "(largest vertex size cubed); pass narrow=False or leave it None"
        )
    v = graph.num_vertices if num_vertices is None else num_vertices
    unit = len(maps) == 1 and all(math.prod(shape) == 1 for shape in graph.shapes)
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
    pmap = np.zeros((v, v, r), np.int32)
    map_ids = {mp: n for n, mp in enumerate(maps)}
    sizes = np.ones((v, r), np.int32)
    rank = np.zeros((v,), np.int32)
    for p, shape in enumerate(graph.shapes):
        rank[p] = len(shape)
        sizes[p, : len(shape)] = shape
    for (i, j), s in graph.edges.items():
        exists[i, j] = True
        pj = len(s.out_shape)
        for q, partner in enumerate(s.pair):
            if partner is not None:
                pair[i, j, q] = partner
                pmap[i, j, q] = map_ids[s.map_of(q)]
        if s.val_dims is not None:
            valued[i, j] = True
            for label in s.val_dims:
                vals[i, j, label if label < pj else r + label - pj] = True
    eliminable = np.zeros((v,), bool)
    eliminable[list(graph.eliminable)] = True
    compose, out_total, in_total = _map_tables(maps, m)
    return EnvState(
        exists=jnp.asarray(exists),
        valued=jnp.asarray(valued),
        pair=jnp.asarray(pair),
        vals=jnp.asarray(vals),
        pmap=jnp.asarray(pmap),
        map_compose=jnp.asarray(compose),
        map_out_total=jnp.asarray(out_total),
        map_in_total=jnp.asarray(in_total),
        sizes=jnp.asarray(sizes),
        rank=jnp.asarray(rank),
        eliminable=jnp.asarray(eliminable),
        eliminated=jnp.zeros((v,), bool),
        cost=_count.zeros(),
        narrow=bool(narrow),
        convention=convention,
    )


# ------------------------------------------------------------- product / sum
def _product_count(counted: Array, size_slot: Array, charged: Array, narrow: bool) -> Array:
    """Multiplications of products, as counts ``[..., WIDTH]``: the product of the sizes
    of the ``counted`` slots where ``charged``, else 0.

    ``counted``: ``[..., S]`` bool, the slots a product counts (from
    :func:`_structured_count` or :func:`_paper_slots`); ``size_slot``: ``[..., S]``
    their sizes; ``charged``: ``[...]`` whether the product costs anything;
    ``narrow``: every product is below ``2**32`` (:func:`narrow_products`).
    """
    if narrow:
        prod = jnp.prod(jnp.where(counted, size_slot, 1), axis=-1, dtype=jnp.uint32)
        mult = _count.from_small(prod)
    else:
        mult = _count.product(size_slot, counted)
    return _count.where(charged, mult, _count.zeros())


def _structured_count(
    union, a_part, b_part, summed, size_slot, va_a, va_b, both, scale_big, narrow: bool
) -> Array:
    """Convention ``"structured"`` (:func:`spikead.ad._structure.product_plan`, what the
    executor runs): each factor is first summed over the contracted labels the other's
    values do not vary along (additions); the products are the sizes of the union of the
    remaining value labels when both factors have values; a contraction over labels along
    which both are constant multiplies the smallest of the reduced factors and the result
    by that size (counted when a factor has values). Arrays ``[V(i), V(j), S]`` over the
    used slots; returns counts ``[V, V, WIDTH]``."""
    a_red = a_part & ~(summed & ~b_part)
    b_red = b_part & ~(summed & ~a_part)
    va_a, va_b = va_a[None, :], va_b[:, None]
    ones = jnp.ones(both.shape, bool)
    products = _product_count(a_red | b_red, size_slot, va_a & va_b & both, narrow)
    # the constant rescaling multiplies the smallest candidate array
    scaled = _product_count(union & ~summed, size_slot, ones, narrow)
    scaled = _count.where(
        va_a, _count.minimum(scaled, _product_count(a_red, size_slot, ones, narrow)), scaled
    )
    scaled = _count.where(
        va_b, _count.minimum(scaled, _product_count(b_red, size_slot, ones, narrow)), scaled
    )
    rescale = scale_big & (va_a | va_b) & both
    return _count.add(products, _count.where(rescale, scaled, _count.zeros()))


def _paper_slots(state: EnvState, k: Array, size_k: Array) -> Array:
    """Convention ``"paper"`` (:func:`spikead.ad._structure.paper_product_cost`, Graphax's
    count): every product costs at least 1 and counts

    * each output dim of ``a`` (``k -> j``) unpaired in ``a`` that carries values;
    * each dim ``q`` of ``k``, unless paired on both sides (``a`` pairs it with an output
      dim of ``j``, ``b`` (``i -> k``) with an input dim of ``i``) and neither factor has
      values along it; then only when both factors have values and exactly one of them
      holds a single value (a scaled identity against a larger factor);
    * each input dim of ``b`` unpaired in ``b`` that carries values.

    ``size_k``: ``[R]`` sizes of ``k``'s dims. Returns ``counted [V, V, 4R]`` over
    ``[i, j]`` in the slots of :func:`_products` (charged wherever both edges exist).
    """
    r, v = state.max_rank, state.num_vertices
    dims = jnp.arange(r, dtype=jnp.int32)
    va_a, pr_a, vl_a = state.valued[k], state.pair[k], state.vals[k]  # by j
    va_b, pr_b, vl_b = state.valued[:, k], state.pair[:, k], state.vals[:, k]  # by i
    # a: output dims of j paired with a dim of k; b: dims of k paired with a dim of i
    a_paired_out = jnp.any(pr_a[:, :, None] == dims, axis=1)  # [j, R]
    b_paired_out = jnp.any(pr_b[:, :, None] == dims, axis=1)  # [i, R]
    a_out = vl_a[:, :r] & ~a_paired_out  # [j, R]
    b_in = vl_b[:, r:] & (pr_b < 0)  # [i, R]
    # dims of k: paired in a (to a j dim without values) and in b (no values on k's side)
    a_free = (pr_a >= 0) & ~jnp.take_along_axis(vl_a[:, :r], jnp.clip(pr_a, 0, r - 1), -1)
    b_free = b_paired_out & ~vl_b[:, :r]
    exempt = b_free[:, None, :] & a_free[None, :, :]  # [i, j, R]
    # a single value (a scalar or a scaled identity): no value label of size > 1
    a_sizes = jnp.concatenate([state.sizes, jnp.broadcast_to(size_k, (v, r))], axis=-1)
    b_sizes = jnp.concatenate([jnp.broadcast_to(size_k, (v, r)), state.sizes], axis=-1)
    a_single = ~jnp.any(vl_a & (a_sizes > 1), axis=-1)  # [j]
    b_single = ~jnp.any(vl_b & (b_sizes > 1), axis=-1)  # [i]
    mixed = (va_b[:, None] & va_a[None, :]) & (b_single[:, None] != a_single[None, :])
    k_counted = ~exempt | mixed[..., None]  # [i, j, R]
    return jnp.concatenate(
        [
            jnp.broadcast_to(a_out[None], (v, v, r)),
            k_counted,
            jnp.zeros((v, v, r), bool),
            jnp.broadcast_to(b_in[:, None], (v, v, r)),
        ],
        axis=-1,
    )


def _products(state: EnvState, k: Array):
    """Structures and costs of every ``(k -> j) x (i -> k)`` product, over ``[i, j]``.

    Costs are counts ``[V, V, WIDTH]`` (zero where the product does not exist).
    """
    r = state.max_rank
    v = state.num_vertices
    slots = jnp.arange(4 * r, dtype=jnp.int32)
    dims = jnp.arange(r, dtype=jnp.int32)
    # a = k -> j (indexed by j), b = i -> k (indexed by i)
    ex_a, va_a, pr_a, vl_a = state.exists[k], state.valued[k], state.pair[k], state.vals[k]
    ex_b, va_b, pr_b, vl_b = (
        state.exists[:, k],
        state.valued[:, k],
        state.pair[:, k],
        state.vals[:, k],
    )
    rank_k = state.rank[k]
    # label of each dim of k on a's input side, in a's label space [j, R]
    a_in = jnp.where(pr_a >= 0, pr_a, r + dims[None, :])
    # sizes of the 4R slots for every (i, j): j-out | k-unpaired | (unused) | i-unpaired
    size_j = state.sizes[None, :, :]  # [1, V, R]
    size_k = jnp.broadcast_to(state.sizes[k], (1, v, r))
    size_i = state.sizes[:, None, :]  # [V, 1, R]
    size_slot = jnp.concatenate(
        [
            jnp.broadcast_to(size_j, (v, v, r)),
            jnp.broadcast_to(size_k, (v, v, r)),
            jnp.ones((v, v, r), jnp.int32),
            jnp.broadcast_to(size_i, (v, v, r)),
        ],
        axis=-1,
    )
    # union of value labels
    a_part = jnp.concatenate([vl_a, jnp.zeros((v, 2 * r), bool)], axis=-1)[None, :, :]
    hit = a_in[None, :, :, None] == slots[None, None, None, :]  # [1, V, R, 4R]
    b_out = jnp.any(vl_b[:, None, :r, None] & hit, axis=2)  # [V, V, 4R]
    b_in = jnp.concatenate([jnp.zeros((v, 3 * r), bool), vl_b[:, r:]], axis=-1)[:, None, :]
    union = a_part | b_out | b_in
    both = ex_a[None, :] & ex_b[:, None]
    # result input labels: c_in[i, j, q]
    rank_i = state.rank[:, None, None]
    rank_j = state.rank[None, :, None]
    idx = jnp.clip(pr_b, 0, r - 1)[:, None, :]  # [V, 1, R]
    via = jnp.take_along_axis(
        jnp.broadcast_to(a_in[None], (v, v, r)), jnp.broadcast_to(idx, (v, v, r)), axis=-1
    )
    c_in = jnp.where((pr_b >= 0)[:, None, :], via, 3 * r + dims)  # [V, V, R]
    q_live = dims[None, None, :] < rank_i
    c_hit = (c_in[..., None] == slots) & q_live[..., None]  # [V, V, R, 4R]
    kept = (slots < rank_j) | jnp.any(c_hit, axis=2)
    k_hit = (a_in[..., None] == slots) & (dims[None, :, None] < rank_k)  # [V, R, 4R]
    summed = jnp.any(k_hit, axis=1)[None, :, :] & ~kept
    scale_big = jnp.any(summed & ~union & (size_slot > 1), axis=-1)
    used = np.r_[0 : 2 * r, 3 * r : 4 * r]  # slots 2R..3R are never counted
    if state.convention == "paper":
        cost = _product_count(
            _paper_slots(state, k, state.sizes[k])[..., used],
            size_slot[..., used],
            both,
            state.narrow,
        )
    else:
        b_part = b_out | b_in
        cost = _structured_count(
            *(x[..., used] for x in jnp.broadcast_arrays(union, a_part, b_part, summed, size_slot)),
            va_a,
            va_b,
            both,
            scale_big,
            state.narrow,
        )
    c_pair = jnp.where(q_live & (c_in < r), c_in, NO_PAIR)
    c_valued = va_a[None, :] | va_b[:, None] | scale_big
    out_vals = union[..., :r] & (dims < rank_j)
    u_at_c = jnp.take_along_axis(union, jnp.clip(c_in, 0, 4 * r - 1), axis=-1)
    in_vals = q_live & (c_in >= r) & u_at_c
    c_pmap = None  # no index map in the graph (a static fact: the table has one entry)
    if state.num_maps > 1:
        c_pmap, out_mask, in_mask = _map_products(state, k, idx, q_live)
        c_valued = c_valued | jnp.any(in_mask, axis=-1) | jnp.any(out_mask, axis=-1)
        out_vals, in_vals = out_vals | out_mask, in_vals | in_mask
    c_vals = jnp.concatenate([out_vals, in_vals], axis=-1) & c_valued[..., None]
    return both, cost, c_valued, c_pair, c_pmap, c_vals


def _map_products(state: EnvState, k: Array, idx: Array, q_live: Array):
    """Index maps of every ``(k -> j) x (i -> k)`` product, over ``[i, j]``: the result's
    map ids ``[V, V, R]`` (pairs on both sides compose through ``map_compose``) and the
    masks of partial maps whose pair ends, on the result's output and input dims
    (``[V, V, R]`` bool each; :func:`spikead.ad.product_plan`'s ``c_mask``).

    ``idx``: ``[V, 1, R]`` the dim of ``k`` each input dim of ``i`` is paired with
    (clipped); ``q_live``: ``[V, 1, R]`` the live input dims of ``i``."""
    v, r = state.num_vertices, state.max_rank
    dims = jnp.arange(r, dtype=jnp.int32)
    pr_a, pr_b = state.pair[k], state.pair[:, k]  # [j, R] over k's dims, [i, R] over i's
    pm_a, pm_b = state.pmap[k], state.pmap[:, k]
    at = jnp.broadcast_to(idx, (v, v, r))
    a_pr_at = jnp.take_along_axis(jnp.broadcast_to(pr_a[None], (v, v, r)), at, axis=-1)
    a_pm_at = jnp.take_along_axis(jnp.broadcast_to(pm_a[None], (v, v, r)), at, axis=-1)
    b_paired = (pr_b >= 0)[:, None, :]
    c_pmap = jnp.where(b_paired & (a_pr_at >= 0), state.map_compose[a_pm_at, pm_b[:, None, :]], 0)
    in_mask = b_paired & (a_pr_at < 0) & ~state.map_in_total[pm_b][:, None, :] & q_live
    b_pairs_k = jnp.any(pr_b[:, :, None] == dims, axis=1)  # [i, R]: b pairs k's dim
    a_partial = (pr_a >= 0) & ~state.map_out_total[pm_a]  # [j, R] over k's dims
    ends = a_partial[None, :, :] & ~b_pairs_k[:, None, :]  # [i, j, R] over k's dims
    out_mask = jnp.any(ends[..., None] & (pr_a[None, :, :, None] == dims), axis=2)
    return c_pmap, out_mask, in_mask


def _dims_in(vals: Array, pair: Array, new_pair: Array, r: int) -> Array:
    """Value labels of a structure re-expressed with the (coarser) pairing ``new_pair``."""
    dropped = (pair >= 0) & (new_pair < 0)  # [..., R]
    out_slots = jnp.arange(r, dtype=jnp.int32)
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
    both, cost, c_valued, c_pair, c_pmap, c_vals = _products(state, k)
    both = both & legal
    old = state.exists
    same = state.pair == c_pair
    if c_pmap is not None:
        same = same & (state.pmap == c_pmap)
    new_pair = jnp.where(same, state.pair, NO_PAIR)
    sum_vals = _dims_in(state.vals, state.pair, new_pair, r) | _dims_in(c_vals, c_pair, new_pair, r)
    pair = jnp.where(both[..., None], jnp.where(old[..., None], new_pair, c_pair), state.pair)
    pmap = state.pmap  # all identity without index maps
    if c_pmap is not None:
        new_pmap = jnp.where(same, state.pmap, 0)
        pmap = jnp.where(both[..., None], jnp.where(old[..., None], new_pmap, c_pmap), pmap)
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
    if c_pmap is not None:
        pmap = jnp.where(cut[..., None], 0, pmap)
    step_cost = _count.sum(_count.sum(_count.where(both, cost, _count.zeros()), 0), 0)
    eliminated = state.eliminated | keep
    new = dataclasses.replace(
        state,
        exists=exists,
        valued=valued,
        pair=pair,
        vals=vals,
        pmap=pmap,
        sizes=state.sizes,
        rank=state.rank,
        eliminable=state.eliminable,
        eliminated=eliminated,
        cost=_count.add(state.cost, step_cost),
        narrow=state.narrow,
        convention=state.convention,
    )
    done = ~jnp.any(state.eliminable & ~eliminated)
    return StepOutput(new, -_count.to_float(step_cost), done, step_cost)


def _step_scalar(state: EnvState, k: Array, legal: Array) -> StepOutput:
    """:func:`step` when every vertex is one scalar (rank 0): each valued x valued
    product costs 1 (convention ``"paper"``: every product costs 1), a product is valued
    when either factor is, every sum is valued."""
    ex_a, ex_b = state.exists[k], state.exists[:, k]
    va_a, va_b = state.valued[k] & ex_a, state.valued[:, k] & ex_b
    both = ex_b[:, None] & ex_a[None, :] & legal
    paid_a, paid_b = (ex_a, ex_b) if state.convention == "paper" else (va_a, va_b)
    n_b, n_a = jnp.sum(paid_b, dtype=jnp.uint32), jnp.sum(paid_a, dtype=jnp.uint32)
    step_cost = _count.mul(_count.from_small(jnp.where(legal, n_b, 0)), _count.from_small(n_a))
    c_valued = va_b[:, None] | va_a[None, :]
    valued = jnp.where(both, state.exists | c_valued, state.valued)
    hit = legal & (jnp.arange(state.num_vertices) == k)
    cut = hit[:, None] | hit[None, :]
    exists = (state.exists | both) & ~cut
    eliminated = state.eliminated | hit
    new = dataclasses.replace(
        state,
        exists=exists,
        valued=valued & ~cut,
        eliminated=eliminated,
        cost=_count.add(state.cost, step_cost),
    )
    done = ~jnp.any(state.eliminable & ~eliminated)
    return StepOutput(new, -_count.to_float(step_cost), done, step_cost)


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
    """Apply ``order`` (``[n]`` positions) with ``lax.scan``; returns the final state and
    the ``[n, WIDTH]`` exact count of each step (``_count.exact`` reads them)."""

    def body(s, a):
        out = step(s, a)
        return out.state, out.count

    return jax.lax.scan(body, state, order)


@eqx.filter_jit
def order_counts(state: EnvState, orders: Array) -> Array:
    """Exact total multiplications of each of ``orders`` (``[B, n]`` positions) from
    ``state``, as counts ``[B, WIDTH]`` (jittable; :func:`order_costs` reads them)."""

    def one(order):
        final, _ = rollout(state, order)
        return final.cost

    return jax.vmap(one)(orders)


def order_costs(state: EnvState, orders) -> np.ndarray:
    """Total multiplications of each of ``orders`` (``[B, n]`` positions): ``[B]`` int64,
    exact (raises :class:`~spikead.alphagrad._count.CountOverflowError` beyond int64)."""
    return _count.exact(order_counts(state, jnp.asarray(orders)))


def cost_of(state: EnvState) -> int | np.ndarray:
    """Multiplications so far of ``state``: a Python int (unbatched) or ``[B]`` int64."""
    value = _count.exact(state.cost)
    return int(value) if value.ndim == 0 else value


# ---------------------------------------------------------------- heuristics
def _fans(state: EnvState) -> tuple[Array, Array, Array]:
    """Per edge ``i -> j``: which source dims are unpaired (``[V, V, R]``, the in-fan) and
    which target dims are not paired with a source dim (``[V, V, R]``, the out-fan),
    and the live dims of every vertex (``[V, R]``); see :func:`degrees`."""
    r = state.max_rank
    dims = jnp.arange(r, dtype=jnp.int32)
    live = dims[None, :] < state.rank[:, None]  # [V, R]
    live_in = jnp.broadcast_to(live[:, None, :], state.pair.shape)  # [i, j, R]
    # a dim paired through an index map counts as unpaired (spikead.ad.orders.fan_in)
    identity_pair = (state.pair >= 0) & (state.pmap == 0)
    src_free = live_in & ~identity_pair
    paired_out = jnp.any(
        (state.pair[..., :, None] == dims) & (identity_pair & live_in)[..., None], axis=-2
    )
    dst_free = live[None, :, :] & ~paired_out
    return src_free, dst_free, live


def degrees(state: EnvState) -> tuple[Array, Array]:
    """Markowitz in- and out-degree of every vertex in scalar units, ``[V]`` int32 each
    (the array form of :func:`spikead.ad.scalar_degrees`; exact while each degree is
    below ``2**31``; :func:`markowitz_degrees` is exact always).

    In-degree of ``k``: over incoming edges ``i -> k``, the number of entries of ``i`` one
    entry of ``k`` depends on (product of the sizes of ``i``'s unpaired dims);
    out-degree: over outgoing ``k -> j``, the number of entries of ``j`` one entry of ``k``
    reaches (product of the sizes of ``j``'s dims not paired with ``k``).
    """
    src_free, dst_free, _ = _fans(state)
    src_fan = jnp.prod(jnp.where(src_free, state.sizes[:, None, :], 1), -1, dtype=jnp.int32)
    dst_fan = jnp.prod(jnp.where(dst_free, state.sizes[None, :, :], 1), -1, dtype=jnp.int32)
    e = state.exists
    indeg = jnp.sum(jnp.where(e, src_fan, 0), axis=0, dtype=jnp.int32)
    outdeg = jnp.sum(jnp.where(e, dst_fan, 0), axis=1, dtype=jnp.int32)
    return indeg, outdeg


def markowitz_degrees(state: EnvState) -> Array:
    """Exact :func:`spikead.ad.markowitz_degree` (``size x in x out``) of every vertex,
    as counts ``[V, WIDTH]`` (``_count.exact`` reads them)."""
    src_free, dst_free, live = _fans(state)
    v, r = state.num_vertices, state.max_rank
    zero = _count.zeros()
    src_fan = _count.product(jnp.broadcast_to(state.sizes[:, None, :], (v, v, r)), src_free)
    dst_fan = _count.product(jnp.broadcast_to(state.sizes[None, :, :], (v, v, r)), dst_free)
    e = state.exists
    indeg = _count.sum(_count.where(e, src_fan, zero), 0)
    outdeg = _count.sum(_count.where(e, dst_fan, zero), 1)
    size = _count.product(state.sizes, live)
    return _count.mul(_count.mul(size, indeg), outdeg)


def safe_vertices(state: EnvState, limit: int = 1) -> Array:
    """``[V]`` bool: legal vertices whose per-scalar degree ``in x out`` is at most
    ``limit`` (the predicate :func:`spikead.ad.orders.is_safe` of the engine's
    :func:`spikead.ad.safe_preelimination`)."""
    indeg, outdeg = degrees(state)
    return legal_actions(state) & is_safe(indeg, outdeg, limit)


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
    n_in, n_out = indeg.astype(jnp.float32), outdeg.astype(jnp.float32)
    size = jnp.prod(state.sizes.astype(jnp.float32), axis=-1)
    prod = n_in * n_out  # in float32: no int32 wrap-around, rounding only above 2**24
    if kind == "markowitz":
        return size * prod
    if kind == "relative_markowitz":
        return size * (prod - n_in - n_out)
    if kind == "fill_in":
        return fill_in(state).astype(jnp.float32)
    raise ValueError(f"unknown score {kind!r}; choose one of {SCORES}")


# ------------------------------------------------------------------ decoding
def decode(
    state: EnvState, shapes, maps: tuple[IndexMap | None, ...] = (None,)
) -> dict[tuple[int, int], Structure]:
    """The current edges of an unbatched ``state`` as engine structures (for checks/printing).

    ``shapes`` are the vertex shapes the state was encoded with (rank-0 for unit graphs),
    ``maps`` its table of index maps (:func:`index_maps` of the encoded graph).
    """
    r = state.max_rank
    exists, valued = np.asarray(state.exists), np.asarray(state.valued)
    pair, vals, pmap = np.asarray(state.pair), np.asarray(state.vals), np.asarray(state.pmap)
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
        index_maps_ = tuple(maps[pmap[i, j, q]] if p[q] is not None else None for q in range(qi))
        edges[(int(i), int(j))] = Structure(out_shape, in_shape, p, val_dims, index_maps_)
    return edges
