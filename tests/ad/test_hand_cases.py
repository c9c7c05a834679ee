"""The hand-checked costs of docs/engine-notes.md and the structured step example."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from spikead import ad


@pytest.mark.parametrize("order,expected", [("fwd", 8), ("rev", 8), ("markowitz", 8)])
def test_sin_exp_vector(order, expected):
    f = lambda x: jnp.sin(jnp.exp(x))
    x = jnp.linspace(-1.0, 1.0, 8)
    assert ad.cost(f, order, x) == expected
    np.testing.assert_allclose(ad.jacve(f, order)(x), jax.jacrev(f)(x), rtol=1e-6)


@pytest.mark.parametrize("order", ["fwd", "rev"])
def test_tanh_matvec(order, getkey):
    f = lambda W, x: jnp.tanh(W @ x)
    W = jax.random.normal(getkey(), (4, 8))
    x = jax.random.normal(getkey(), (8,))
    assert ad.cost(f, order, W, x, argnums=(0, 1)) == 64
    got, want = jax.jit(
        lambda W, x: (ad.jacve(f, order, argnums=(0, 1))(W, x), jax.jacrev(f, argnums=(0, 1))(W, x))
    )(W, x)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("order,expected", [("fwd", 2), ("rev", 3)])
def test_scalar_chain(order, expected):
    f = lambda s: jnp.sin(jnp.exp(s) * s)
    assert ad.cost(f, order, 0.7) == expected
    assert ad.executed_cost(f, order, 0.7) == expected
    np.testing.assert_allclose(ad.jacve(f, order)(0.7), jax.jacrev(f)(0.7), rtol=1e-6)


def test_step_partials_stay_structured(getkey):
    N, M = 6, 4
    step = lambda w, h, x: 0.9 * h + w @ x
    w = jax.random.normal(getkey(), (N, M))
    h = jax.random.normal(getkey(), (N,))
    x = jax.random.normal(getkey(), (M,))
    d_w, d_h = ad.structured_jacobian(step, w, h, x, argnums=(0, 1))
    # d step / d h: identity-paired, scaled by 0.9, one stored value
    assert d_h.structure.pair == (0,) and d_h.val.shape == ()
    np.testing.assert_allclose(d_h.val, 0.9, rtol=1e-6)
    # d step / d w: paired on the neuron index, dense on the input index; never N x N x M
    assert d_w.structure.pair == (0, None)
    assert d_w.val.size <= N * M
    np.testing.assert_allclose(ad.to_dense(d_w), jax.jacrev(step)(w, h, x), rtol=1e-6)
    np.testing.assert_allclose(ad.to_dense(d_h), jax.jacrev(step, argnums=1)(w, h, x), rtol=1e-6)


def test_structured_jacobian_count_and_zero_block():
    f = lambda x, y: jnp.sin(x) * 2.0
    blocks, count = ad.structured_jacobian(
        f, jnp.ones(3), jnp.ones(2), argnums=(0, 1), return_count=True
    )
    assert count == ad.cost(f, "rev", jnp.ones(3), jnp.ones(2), argnums=(0, 1))
    np.testing.assert_array_equal(ad.to_dense(blocks[1]), jnp.zeros((3, 2)))
