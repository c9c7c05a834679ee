"""Index maps (slice, pad, concatenate, split, rev): stored as index pairs, never multiplied.

Checked against dense tensors (products, sums, broadening), against ``jax.jacrev`` on
random index programs of ranks 1 to 3 in float64, and the multiplications ``jacve``
emits against :func:`spikead.ad.cost`.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from spikead import ad

from .helpers import random_orders, random_stensor

SHAPES = [(2,), (3,), (4,), (2, 3), (3, 2), (), (1,), (2, 4)]


def dense_product(a, b, k_ndim):
    return jnp.tensordot(ad.to_dense(a), ad.to_dense(b), axes=k_ndim)


def test_index_map_algebra():
    m = ad.IndexMap((2, -1, 0), 4)  # o0 <- i2, o1 empty, o2 <- i0
    assert (m.out_size, m.in_size, m.out_total, m.in_total) == (3, 4, False, False)
    assert m.inverse() == (2, -1, 0, -1)
    np.testing.assert_array_equal(m.matrix().astype(int), [[0, 0, 1, 0], [0] * 4, [1, 0, 0, 0]])
    back = ad.IndexMap((1, 2, 0), 3)  # a k -> i map composed after m's j -> k
    with pytest.raises(ValueError, match="4 != 3"):
        ad.compose_maps(m, back)
    assert ad.compose_maps(ad.IndexMap((1, 0), 2), ad.IndexMap((1, 0), 2)) is None  # identity
    assert ad.compose_maps(ad.IndexMap((1, -1), 3), ad.IndexMap((2, 0, 1), 3)).src == (0, -1)
    assert ad.as_index_map(np.eye(3)[::-1]).src == (2, 1, 0)
    assert ad.as_index_map(np.ones((2, 2))) is None  # a column read twice: not a map
    assert ad.as_index_map(2 * np.eye(2)) is None  # not 0/1
    with pytest.raises(ValueError, match="one-to-one"):
        ad.IndexMap((0, 0), 2)
    with pytest.raises(ValueError, match="one-to-one"):
        ad.IndexMap((3,), 2)


def test_structures_with_maps_are_checked():
    m = ad.IndexMap((1, 2), 4)
    s = ad.Structure((2,), (4,), (0,), None, (m,))
    assert s.map_of(0) == m and "~" in str(s)
    assert ad.Structure((3,), (3,), (0,), None, (ad.IndexMap((0, 1, 2), 3),)).maps == ()
    with pytest.raises(ValueError, match="does not map"):
        ad.Structure((3,), (4,), (0,), None, (m,))
    with pytest.raises(ValueError, match="unpaired"):
        ad.Structure((2,), (4,), (None,), (0, 1), (m,))
    with pytest.raises(ValueError, match="differ in size"):
        ad.Structure((2,), (4,), (0,), None)
    dense_ = s.densified()
    assert dense_ == ad.Structure((2,), (4,), (None,), (0, 1))


@pytest.mark.parametrize("seed", range(40))
def test_products_sums_and_broadening_with_maps_match_dense(seed):
    rng = np.random.default_rng(1000 + seed)
    j, k, i = (SHAPES[rng.integers(len(SHAPES))] for _ in range(3))
    a = random_stensor(rng, j, k, p_map=0.6)
    b = random_stensor(rng, k, i, p_map=0.6)
    c, n = ad.matmul(a, b)
    np.testing.assert_allclose(ad.to_dense(c), dense_product(a, b, len(k)), rtol=1e-5, atol=1e-6)
    plan = ad.product_plan(a.structure, b.structure)
    assert n == plan.cost
    if a.val is None or b.val is None:
        assert n == 0 if plan.scale == 1 else n >= 0
    other = random_stensor(rng, j, i, p_map=0.6)
    np.testing.assert_allclose(
        ad.to_dense(ad.add(c, other)), ad.to_dense(c) + ad.to_dense(other), rtol=1e-5, atol=1e-6
    )


def test_paper_count_refuses_index_maps():
    s = ad.Structure((2,), (4,), (0,), (0,), (ad.IndexMap((1, 2), 4),))
    plan = ad.product_plan(ad.identity_structure((2,)), s)
    assert plan.cost == 0
    with pytest.raises(ValueError, match="densified"):
        plan.cost_in("paper")


# ------------------------------------------------------------------ programs
def _index_op(rng, x):
    """One random index map of ``x`` (any rank >= 1) and an element-wise op after it."""
    axis = int(rng.integers(x.ndim))
    n = x.shape[axis]
    kind = rng.choice(
        ["slice", "strided", "pad", "rev", "concat", "split", "interior", "take", "dynamic"]
    )
    if kind == "slice" and n > 1:
        lo = int(rng.integers(0, n - 1))
        x = jax.lax.slice_in_dim(x, lo, int(rng.integers(lo + 1, n + 1)), axis=axis)
    elif kind == "strided" and n > 2:
        x = jax.lax.slice_in_dim(x, int(rng.integers(0, 2)), n, stride=2, axis=axis)
    elif kind == "pad":
        cfg = [(0, 0, 0)] * x.ndim
        cfg[axis] = (int(rng.integers(-1, 3)) if n > 1 else 1, int(rng.integers(0, 2)), 0)
        x = jax.lax.pad(x, 0.0, cfg)
    elif kind == "interior":
        cfg = [(0, 0, 0)] * x.ndim
        cfg[axis] = (1, 0, 1)
        x = jax.lax.pad(x, 0.0, cfg)
    elif kind == "rev":
        x = jax.lax.rev(x, (axis,))
    elif kind == "take":  # distinct constant indices, some out of range (filled with 0)
        idx = rng.permutation(n + 1)[: int(rng.integers(1, n + 2))] - int(rng.integers(0, 2))
        x = jnp.take(x, idx, axis=axis, mode="fill", fill_value=0.0)
    elif kind == "dynamic" and n > 1:  # a start known while tracing
        sizes = list(x.shape)
        sizes[axis] = n - 1
        starts = [0] * x.ndim
        starts[axis] = int(rng.integers(0, 3))  # 2 is clamped to 1
        x = jax.lax.dynamic_slice(x, starts, sizes)
    elif kind == "concat":
        x = jnp.concatenate([jnp.cos(x), x], axis=axis)
    elif kind == "split" and n > 1:
        first, second = jnp.split(x, [int(rng.integers(1, n))], axis=axis)
        x = jnp.sin(first).sum(axis=axis, keepdims=True) * second
    return jnp.sin(x) * x if rng.random() < 0.6 else x + 1.0


def _index_program(seed):
    rng = np.random.default_rng(seed)
    rank = 1 + seed % 3
    shape = tuple(int(rng.integers(2, 5)) for _ in range(rank))
    steps = int(rng.integers(3, 7))

    def f(x, y):  # the same program on every trace: each step draws from its own seed
        h = x * y
        for s in range(steps):
            h = _index_op(np.random.default_rng((seed, s)), h)
            if s % 2 and h.shape == x.shape:
                h = h * x
        return jnp.tanh(h), jnp.sum(h**2)

    args = (
        jnp.asarray(rng.normal(size=shape), jnp.float64),
        jnp.asarray(rng.normal(size=shape), jnp.float64),
    )
    return f, args


@pytest.mark.parametrize(
    "seed", [pytest.param(s, marks=[pytest.mark.slow] if s >= 4 else []) for s in range(18)]
)
def test_random_index_programs_match_jacrev_and_count_exactly(seed):
    with jax.enable_x64(True):
        f, args = _index_program(seed)
        graph = ad.make_graph(f, *args, argnums=(0, 1))
        expected = jax.jacrev(f, argnums=(0, 1))(*args)
        orders = ["forward", "reverse", "markowitz", *random_orders(graph, 1, seed)]
        for order in orders:
            got = ad.jacve(f, order=order, argnums=(0, 1))(*args)
            for g, e in zip(jax.tree.leaves(got), jax.tree.leaves(expected)):
                scale = max(float(jnp.max(jnp.abs(e))), 1e-300)
                assert float(jnp.max(jnp.abs(g - e))) <= 1e-12 * scale, order
        executed = ad.executed_costs(f, orders, *args, argnums=(0, 1))
        assert executed == [ad.cost(f, o, *args, argnums=(0, 1)) for o in orders]
        # per example: the maps sit beside a Kronecker-paired batch dim
        batch = tuple(jnp.stack([x, 1.5 * x, -x]) for x in args)
        got = ad.vmap_jacve(f, order="markowitz", argnums=(0, 1))(*batch)
        expected = jax.vmap(jax.jacrev(f, argnums=(0, 1)))(*batch)
        for g, e in zip(jax.tree.leaves(got), jax.tree.leaves(expected)):
            scale = max(float(jnp.max(jnp.abs(e))), 1e-300)
            assert float(jnp.max(jnp.abs(g - e))) <= 1e-12 * scale


def test_gathers_and_dynamic_slices_with_known_indices_are_index_maps():
    def f(x, y):
        a = jnp.sin(x[np.array([2, 0, -1])]) * jax.lax.dynamic_slice(x, (2,), (3,))
        b = jnp.take(y, np.array([3, 5, 0]), axis=1, mode="fill", fill_value=0.0)
        c = y[:, np.array([4, 4, 1])]  # a repeated index: dense 0/1 values
        return a, b * jnp.cos(b), c

    x, y = jnp.arange(1.0, 6.0), jnp.arange(10.0).reshape(2, 5) / 7
    graph = ad.make_graph(f, x, y, argnums=(0, 1))
    kinds = {v.id: v.primitive for v in graph.vertices}
    index_edges = [
        graph.structure(e)
        for (_, d), e in graph.edges.items()
        if kinds[d] in ("gather", "dynamic_slice")
    ]
    assert sum(bool(s.maps) and s.val_dims is None for s in index_edges) == 3
    assert sum(s.val_dims is not None for s in index_edges) == 1  # the repeated index
    for order in ["forward", "reverse", "markowitz"]:
        got = ad.jacve(f, order=order, argnums=(0, 1))(x, y)
        for g, e in zip(jax.tree.leaves(got), jax.tree.leaves(jax.jacrev(f, argnums=(0, 1))(x, y))):
            np.testing.assert_allclose(g, e, rtol=1e-6, atol=1e-7)
        assert ad.executed_cost(f, order, x, y, argnums=(0, 1)) == ad.cost(
            f, order, x, y, argnums=(0, 1)
        )


def test_index_maps_cost_nothing():
    def f(x):
        y = jnp.concatenate([x[1:4][::-1], x[::2]])
        return jnp.pad(y, (2, 1))[1:-1]

    x = jnp.arange(6.0)
    graph = ad.make_graph(f, x)
    assert all(graph.structure(e).val_dims is None for e in graph.edges.values())
    for order in ["forward", "reverse", "markowitz"]:
        assert ad.cost(f, order, x) == 0 == ad.executed_cost(f, order, x)
        assert ad.cost(f, order, x, convention="paper") > 0  # Graphax's dense 0/1 partials
    np.testing.assert_array_equal(ad.jacve(f)(x), jax.jacrev(f)(x))


def test_roeflux_3d_index_maps_are_free_and_the_paper_count_is_unchanged():
    from spikead import tasks

    task = tasks.load("RoeFlux_3d")
    graph = ad.make_graph(task.fn, *task.args, argnums=task.argnums)
    orders = [ad.forward_order(graph), ad.reverse_order(graph), ad.markowitz_order(graph)]
    costs = {
        c: [sum(ad.apply_order(graph, o, convention=c)) for o in orders] for c in ad.CONVENTIONS
    }
    assert costs["paper"] == [1800, 1094, 1091]  # dense 0/1 selections, as Graphax
    # the same graph with its 15 index maps stored densely, counted by our convention
    dense = ad.Graph(
        list(graph.vertices), {e: graph.structure(s).densified() for e, s in graph.edges.items()}
    )
    assert [sum(ad.apply_order(dense, o)) for o in orders] == [1133, 795, 892]
    assert costs["structured"] == [829, 626, 648]
