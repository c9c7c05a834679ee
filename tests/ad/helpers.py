"""Shared helpers for the AD engine tests (imported as `from .helpers import ...`)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from spikead import ad


def random_orders(graph: ad.Graph, n: int, seed: int = 0) -> list[tuple[int, ...]]:
    rng = np.random.default_rng(seed)
    elim = list(graph.eliminable)
    return [tuple(int(k) for k in rng.permutation(elim)) for _ in range(n)]


def assert_tree_close(a, b, rtol=1e-5, atol=1e-5, what="") -> None:
    ta, tb = jax.tree_util.tree_structure(a), jax.tree_util.tree_structure(b)
    assert ta == tb, f"{what}: tree structures differ: {ta} vs {tb}"
    for (path, x), y in zip(jax.tree_util.tree_leaves_with_path(a), jax.tree_util.tree_leaves(b)):
        where = f"{what} at {jax.tree_util.keystr(path)}"
        assert x.shape == y.shape, f"{where}: shape {x.shape} vs {y.shape}"
        np.testing.assert_allclose(
            np.asarray(x), np.asarray(y), rtol=rtol, atol=atol, err_msg=where
        )


def check_all_orders(
    f, *args, argnums=0, n_random=1, seed=0, rtol=1e-5, atol=1e-5, has_aux=False, jit=True
):
    """jacve == jacrev for fwd, rev, markowitz and random orders; cost == executed count.

    With ``jit`` all Jacobians are computed in one jitted call (compiling once is cheaper
    than op-by-op dispatch for small programs); ``jit=False`` runs eagerly (cheaper for
    large scalar programs, whose XLA compilation is slow). Returns the graph and the costs.
    """
    graph = ad.make_graph(f, *args, argnums=argnums, has_aux=has_aux)
    orders = ["fwd", "rev", "markowitz"] + random_orders(graph, n_random, seed)

    def all_jacobians(*args):
        ref = jax.jacrev(f, argnums=argnums, has_aux=has_aux)(*args)
        return ref, [ad.jacve(f, o, argnums=argnums, has_aux=has_aux)(*args) for o in orders]

    ref, results = (jax.jit(all_jacobians) if jit else all_jacobians)(*args)
    executed = ad.executed_costs(f, orders, *args, argnums=argnums, has_aux=has_aux)
    costs = {}
    for order, got, count in zip(orders, results, executed):
        assert_tree_close(got, ref, rtol, atol, what=f"order {order}")
        symbolic = sum(ad.apply_order(graph, ad.resolve_order(graph, order)))
        assert symbolic == count, f"order {order}: symbolic cost {symbolic} != executed {count}"
        costs[order if isinstance(order, str) else "random"] = symbolic
    return graph, costs


def random_structure(rng, out_shape, in_shape, p_map: float = 0.0) -> ad.Structure:
    """A random valid structure with the given shapes: identity pairs between equal sizes
    and, with probability ``p_map`` per input dim, an index-map pair of any sizes."""
    pair, maps = [], []
    free_out = list(range(len(out_shape)))
    for q, n in enumerate(in_shape):
        mapped = p_map > 0 and rng.random() < p_map
        options = free_out if mapped else [p for p in free_out if out_shape[p] == n]
        if options and rng.random() < 0.6:
            p = int(rng.choice(options))
            free_out.remove(p)
            pair.append(p)
            maps.append(random_index_map(rng, out_shape[p], n) if mapped else None)
        else:
            pair.append(None)
            maps.append(None)
    s = ad.Structure(tuple(out_shape), tuple(in_shape), tuple(pair), None, tuple(maps))
    r = rng.random()
    if r < 0.2:
        return s
    labels = s.labels()
    val = tuple(sorted(int(l) for l in labels if rng.random() < 0.6))
    return ad.Structure(s.out_shape, s.in_shape, s.pair, val, s.maps)


def random_index_map(rng, n_out: int, n_in: int) -> ad.IndexMap:
    """A random one-to-one partial map (possibly empty) from ``n_out`` to ``n_in`` indices."""
    m = int(rng.integers(0, min(n_out, n_in) + 1))
    src = np.full(n_out, -1)
    src[rng.choice(n_out, m, replace=False)] = rng.choice(n_in, m, replace=False)
    return ad.IndexMap(tuple(int(i) for i in src), n_in)


def random_stensor(rng, out_shape, in_shape, p_map: float = 0.0) -> ad.STensor:
    s = random_structure(rng, out_shape, in_shape, p_map)
    val = None if s.val_dims is None else jnp.asarray(rng.normal(size=s.val_shape), jnp.float32)
    return ad.STensor(val, s)


__all__ = [
    "assert_tree_close",
    "check_all_orders",
    "random_index_map",
    "random_orders",
    "random_stensor",
    "random_structure",
]
