"""Errors name the problem and the fix: unsupported primitives, invalid orders, bad files."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax
from jax.ad_checkpoint import checkpoint_name

from spikead import ad


def test_unsupported_while_loop():
    f = lambda x: lax.while_loop(lambda c: c[0] < 3, lambda c: (c[0] + 1, jnp.sin(c[1])), (0, x))[1]
    with pytest.raises(ad.UnsupportedPrimitiveError) as info:
        ad.jacve(f)(jnp.ones(3))
    message = str(info.value)
    assert "'while'" in message and "dot_general" in message and "register_rule" in message
    assert info.value.primitive == "while"


def test_unsupported_sort_in_make_graph():
    with pytest.raises(ad.UnsupportedPrimitiveError, match="sort"):
        ad.make_graph(lambda x: jnp.sort(x) * 2.0, jnp.arange(3.0))


UNSUPPORTED = {
    # name: (function of a (3,) vector, primitive named in the error, words of its advice)
    "scan": (
        lambda x: lax.scan(lambda c, _: (jnp.sin(c), None), x, None, length=3)[0],
        "scan",
        "unroll",
    ),
    "scan_unrolled": (
        lambda x: lax.scan(lambda c, _: (jnp.sin(c), None), x, None, length=3, unroll=True)[0],
        "scan",
        "unroll",
    ),
    "fori_loop": (lambda x: lax.fori_loop(0, 3, lambda i, c: jnp.sin(c), x), "scan", "Python loop"),
    "while": (
        lambda x: lax.while_loop(lambda c: c[0] < 10.0, lambda c: c * 2.0, x),
        "while",
        "jax.jacfwd",
    ),
    "cond": (lambda x: lax.cond(x[0] > 0, jnp.sin, jnp.cos, x), "cond", "jnp.where"),
    "switch": (lambda x: lax.switch(1, [jnp.sin, jnp.cos], x), "cond", "jnp.where"),
    "linear_solve": (
        lambda x: jnp.linalg.solve(jnp.eye(3) * 2.0 + jnp.outer(x, x), x),
        "custom_linear_solve",
        "jax.jacrev",
    ),
    "sort": (lambda x: jnp.sort(x) * 2.0, "sort", "jax.jacrev"),
    "top_k": (
        lambda x: lax.top_k(x, 2)[0],
        "top_k",
        "register_rule",
    ),  # no advice: the generic text
}


@pytest.mark.parametrize("name", sorted(UNSUPPORTED))
def test_unsupported_primitive_names_itself_and_the_fix(name):
    f, primitive, advice = UNSUPPORTED[name]
    x = jnp.array([0.5, -1.0, 2.0])
    for run in (lambda: ad.jacve(f)(x), lambda: ad.make_graph(f, x)):
        with pytest.raises(ad.UnsupportedPrimitiveError) as info:
            run()
        assert info.value.primitive == primitive
        assert f"'{primitive}'" in str(info.value) and advice in str(info.value)


IDENTITY_WRAPPERS = {
    "checkpoint": jax.checkpoint(lambda x: jnp.sin(jnp.exp(x)) * x),
    "checkpoint_name": lambda x: checkpoint_name(jnp.sin(x), "h") * x,
    "device_put": lambda x: jax.device_put(jnp.sin(x)) * x,
    "optimization_barrier": lambda x: jnp.multiply(*lax.optimization_barrier((jnp.sin(x), x * x))),
}


@pytest.mark.parametrize("name", sorted(IDENTITY_WRAPPERS))
def test_wrappers_that_do_not_change_values_are_differentiated(name):
    f = IDENTITY_WRAPPERS[name]
    x = jnp.array([0.5, -1.0, 2.0])
    ref = jax.jacrev(f)(x)
    for order in ("fwd", "rev"):
        np.testing.assert_allclose(ad.jacve(f, order)(x), ref, rtol=1e-6, atol=1e-6)


def test_no_silent_zero_for_constant_paths():
    # sort of a constant is fine: no differentiated input reaches it
    f = lambda x: x * jnp.sort(jnp.arange(3.0))
    jax.block_until_ready(ad.jacve(f)(jnp.ones(3)))


@pytest.fixture
def chain():
    f = lambda x: jnp.cos(jnp.sin(jnp.exp(x)))
    x = jnp.ones(2)
    return f, x, ad.make_graph(f, x)


def test_invalid_orders(chain):
    f, x, graph = chain
    assert graph.eliminable == (1, 2)
    with pytest.raises(ad.InvalidOrderError, match="twice"):
        ad.cost(f, [1, 1, 2], x)
    with pytest.raises(ad.InvalidOrderError, match="misses"):
        ad.cost(f, [1], x)
    with pytest.raises(ad.InvalidOrderError, match="input vertex"):
        ad.cost(f, [0, 1, 2], x)
    with pytest.raises(ad.InvalidOrderError, match="output vertex"):
        ad.jacve(f, [1, 2, 3])(x)
    with pytest.raises(ad.InvalidOrderError, match="not a vertex"):
        ad.cost(f, [1, 2, 99], x)
    with pytest.raises(ad.InvalidOrderError, match="unknown order name"):
        ad.cost(f, "sideways", x)


def test_integer_argnum_rejected():
    with pytest.raises(TypeError, match="float dtype"):
        ad.jacve(lambda n: n * 2)(jnp.int32(3))


def test_order_file_roundtrip_and_mismatch(tmp_path, chain):
    f, x, graph = chain
    path = tmp_path / "orders" / "chain.json"
    ad.save_order(path, task="chain", graph=graph, order=[2, 1], cost=ad.cost(f, [2, 1], x))
    record = ad.load_order(path, graph)
    assert (
        record["order"] == (2, 1)
        and record["task"] == "chain"
        and record["jax_version"] == jax.__version__
    )
    assert record["cost"] == ad.cost(f, "rev", x)
    other = ad.make_graph(lambda x: jnp.cos(jnp.tanh(jnp.exp(x))), x)  # same shape, other primitive
    assert other.fingerprint() != graph.fingerprint()
    with pytest.raises(ad.OrderMismatchError, match="fingerprint"):
        ad.load_order(path, other)
    with pytest.raises(ad.InvalidOrderError):
        ad.save_order(path, task="chain", graph=graph, order=[2], cost=0)
    assert sorted(p.name for p in path.parent.iterdir()) == ["chain.json"]  # no temp files left
