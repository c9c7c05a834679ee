"""Errors name the problem and the fix: unsupported primitives, invalid orders, bad files."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import pytest
from jax import lax

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
    assert record["order"] == (2, 1) and record["task"] == "chain" and record["jax_version"] == jax.__version__
    assert record["cost"] == ad.cost(f, "rev", x)
    other = ad.make_graph(lambda x: jnp.cos(jnp.tanh(jnp.exp(x))), x)  # same shape, other primitive
    assert other.fingerprint() != graph.fingerprint()
    with pytest.raises(ad.OrderMismatchError, match="fingerprint"):
        ad.load_order(path, other)
    with pytest.raises(ad.InvalidOrderError):
        ad.save_order(path, task="chain", graph=graph, order=[2], cost=0)
    assert sorted(p.name for p in path.parent.iterdir()) == ["chain.json"]  # no temp files left
