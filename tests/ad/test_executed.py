"""The executed multiplication count: measured from the jaxpr ``jacve`` emits, equal to the
symbolic cost (structured convention) product by product and order by order."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

from spikead import ad
from spikead.ad import Structure, count_multiplications, product_plan
from spikead.ad._trace import trace

from .helpers import random_stensor

SHAPES = [(2,), (3,), (2, 3), (3, 2), (), (1,), (2, 1), (2, 3, 2)]


# ------------------------------------------------------------------ the counter itself
def test_counts_dot_general_and_mul_only():
    def f(a, b, x):
        c = jnp.einsum("ij,jk->ik", a, b)  # dot_general: 3 * 5 outputs x 4 terms
        return jnp.sum(jnp.sin(c) * x + c - x, axis=0) / 2.0  # mul: 15; add, sub, sum, div: 0

    jaxpr = jax.make_jaxpr(f)(jnp.ones((3, 4)), jnp.ones((4, 5)), jnp.ones((3, 5)))
    got = count_multiplications(jaxpr)
    assert (got.total, got.unit) == (60 + 15, 0)
    assert got.uncounted == ("div",)


def test_batched_dot_general():
    f = lambda a, b: lax.dot_general(a, b, (((2,), (1,)), ((0,), (0,))))  # (6, 2, 3) x (6, 3, 4)
    assert (
        count_multiplications(jax.make_jaxpr(f)(jnp.ones((6, 2, 3)), jnp.ones((6, 3, 4)))).total
        == 6 * 2 * 4 * 3
    )


def test_unit_constants_are_reported_separately():
    signs = np.array([1.0, -1.0, 1.0], np.float32)

    def f(x):
        a = x * -1.0  # literal
        b = a * jnp.ones(3)  # broadcast of a literal 1
        c = jax.jit(lambda y: y * signs)(b)  # closed-over constant inside a nested call
        return c * 2.0 + c * jnp.array([1.0, 0.0, -1.0])  # not unit: 2 and a 0 entry

    got = count_multiplications(jax.make_jaxpr(f)(jnp.ones(3)))
    assert (got.total, got.unit) == (5 * 3, 3 * 3)


def test_only_the_named_scope_counts():
    def f(x):
        y = x * x  # outside: not counted
        with jax.named_scope("here"):
            z = jax.jit(lambda v: v * v)(y) * y  # the nested call's body counts too
        return z * z

    jaxpr = jax.make_jaxpr(f)(jnp.ones(4))
    assert count_multiplications(jaxpr, scope="here").total == 8
    assert count_multiplications(jaxpr).total == 16
    assert count_multiplications(jaxpr, scope="elsewhere").total == 0


def test_control_flow_in_scope_raises():
    def f(x):
        with jax.named_scope("here"):
            return lax.scan(lambda c, v: (c * v, None), x, jnp.ones((3, 2)))[0]

    with pytest.raises(NotImplementedError, match="'scan'"):
        count_multiplications(jax.make_jaxpr(f)(jnp.ones(2)), scope="here")


# ------------------------------------------------------------- products: plan == emitted
def _emitted(a: ad.STensor, b: ad.STensor) -> int:
    return count_multiplications(
        jax.make_jaxpr(lambda: jax.tree_util.tree_leaves(ad.matmul(a, b)[0]))()
    ).total


@pytest.mark.parametrize("seed", range(40))
def test_every_product_emits_its_planned_count(seed):
    rng = np.random.default_rng(1000 + seed)
    j, k, i = (SHAPES[rng.integers(len(SHAPES))] for _ in range(3))
    a, b = random_stensor(rng, j, k), random_stensor(rng, k, i)
    c, n = ad.matmul(a, b)
    assert n == product_plan(a.structure, b.structure).cost == _emitted(a, b)
    want = jnp.tensordot(ad.to_dense(a), ad.to_dense(b), axes=len(k))
    np.testing.assert_allclose(ad.to_dense(c), want, rtol=1e-5, atol=1e-5)


def test_pre_reduction_is_counted():
    """A dense factor times one constant along the contracted index: summed first, then
    multiplied (8 products, not the 32 of the full einsum)."""
    a = ad.dense(jnp.arange(32.0).reshape(2, 4, 4), 1)  # (2,) <- (4, 4), all values
    b = ad.STensor(jnp.asarray(3.0), Structure((4, 4), (1, 4), (None, 1), ()))  # constant along k0
    c, n = ad.matmul(a, b)
    assert n == _emitted(a, b) == 2 * 4
    np.testing.assert_allclose(
        ad.to_dense(c), jnp.tensordot(ad.to_dense(a), ad.to_dense(b), 2), rtol=1e-6
    )


def test_constant_rescaling_is_counted():
    """Summing over an index along which both factors are constant multiplies by its size:
    one product per value of the smallest array it can multiply."""
    total = Structure((2,), (2, 3), (0, None), None)  # d sum_c x[a, c] / d x: no values
    b = ad.STensor(jnp.arange(4.0), Structure((2, 3), (4,), (None,), (2,)))  # varies only along i
    c, n = ad.matmul(ad.STensor(None, total), b)
    assert product_plan(total, b.structure).scale == 3  # the size of c
    assert n == _emitted(ad.STensor(None, total), b) == 4
    np.testing.assert_allclose(
        ad.to_dense(c), 3.0 * jnp.broadcast_to(jnp.arange(4.0), (2, 4)), rtol=1e-6
    )
    both_constant = ad.STensor(None, Structure((2, 3), (4,), (None,), None))
    c, n = ad.matmul(ad.STensor(None, total), both_constant)
    assert (
        n == _emitted(ad.STensor(None, total), both_constant) == 0
    )  # the result is the constant 3
    np.testing.assert_allclose(ad.to_dense(c), jnp.full((2, 4), 3.0))


# --------------------------------------------------------- whole programs: jacve's jaxpr
def _cube_net(w, x):
    return jnp.sum(jnp.tanh(w @ x) ** 3 * x[:3] - x[1:4] * 2.0)


@pytest.mark.parametrize("order", ["fwd", "rev", "markowitz"])
def test_the_scope_holds_exactly_the_elimination(order, getkey):
    """jacve's whole jaxpr = primal and partials (the trace alone) + the elimination scope."""
    w, x = jax.random.normal(getkey(), (3, 5)), jax.random.normal(getkey(), (5,))
    whole = count_multiplications(jax.make_jaxpr(ad.jacve(_cube_net, order, argnums=(0, 1)))(w, x))
    partials = count_multiplications(
        jax.make_jaxpr(
            lambda w, x: [e.val for e in trace(_cube_net, (w, x), (0, 1)).graph.edges.values()]
        )(w, x)
    )
    executed = ad.executed_count(_cube_net, order, w, x, argnums=(0, 1))
    assert partials.total > 0 and executed.total > 0
    assert whole.total == partials.total + executed.total
    assert executed.total == ad.cost(_cube_net, order, w, x, argnums=(0, 1))
    assert ad.executed_costs(_cube_net, [order], w, x, argnums=(0, 1)) == [executed.total]


def test_sign_products_are_units():
    """``-x`` and ``a - b`` give the partial -1: the products with it are the unit part."""
    f = lambda x: jnp.sin(-jnp.exp(x))
    got = ad.executed_count(f, "fwd", jnp.ones(4))
    assert (got.total, got.unit) == (ad.cost(f, "fwd", jnp.ones(4)), 4)
