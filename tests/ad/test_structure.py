"""The structure algebra: products and sums of structured tensors against dense einsums."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from spikead import ad
from spikead.ad import Structure, product_plan


def random_structure(rng, out_shape, in_shape) -> Structure:
    """A random valid structure with the given shapes (pairs only between equal sizes)."""
    pair = []
    free_out = list(range(len(out_shape)))
    for q, n in enumerate(in_shape):
        options = [p for p in free_out if out_shape[p] == n]
        if options and rng.random() < 0.6:
            p = int(rng.choice(options))
            free_out.remove(p)
            pair.append(p)
        else:
            pair.append(None)
    s = Structure(tuple(out_shape), tuple(in_shape), tuple(pair), None)
    r = rng.random()
    if r < 0.2:
        return s
    labels = s.labels()
    val = tuple(sorted(int(l) for l in labels if rng.random() < 0.6))
    return Structure(s.out_shape, s.in_shape, s.pair, val)


def random_stensor(rng, out_shape, in_shape) -> ad.STensor:
    s = random_structure(rng, out_shape, in_shape)
    val = None if s.val_dims is None else jnp.asarray(rng.normal(size=s.val_shape), jnp.float32)
    return ad.STensor(val, s)


def dense_product(a, b, k_ndim):
    da, db = ad.to_dense(a), ad.to_dense(b)
    return jnp.tensordot(da, db, axes=k_ndim)


SHAPES = [(2,), (3,), (2, 3), (3, 2), (), (1,), (2, 1)]


@pytest.mark.parametrize("seed", range(15))
def test_matmul_matches_dense(seed):
    rng = np.random.default_rng(seed)
    j, k, i = (SHAPES[rng.integers(len(SHAPES))] for _ in range(3))
    a = random_stensor(rng, j, k)
    b = random_stensor(rng, k, i)
    c, n = ad.matmul(a, b)
    np.testing.assert_allclose(ad.to_dense(c), dense_product(a, b, len(k)), rtol=1e-5, atol=1e-5)
    plan = product_plan(a.structure, b.structure)
    assert n == plan.cost
    if a.val is None or b.val is None:
        assert n == 0
    else:
        assert 0 < n <= math.prod(j) * math.prod(k) * math.prod(i)


@pytest.mark.parametrize("seed", range(8))
def test_add_matches_dense(seed):
    rng = np.random.default_rng(100 + seed)
    o, i = SHAPES[rng.integers(len(SHAPES))], SHAPES[rng.integers(len(SHAPES))]
    a, b = random_stensor(rng, o, i), random_stensor(rng, o, i)
    np.testing.assert_allclose(ad.to_dense(ad.add(a, b)), ad.to_dense(a) + ad.to_dense(b), rtol=1e-6)


def test_counting_convention_hand_products():
    diag8 = ad.diagonal(jnp.arange(8.0))
    assert ad.matmul(diag8, diag8)[1] == 8  # element-wise product
    ident = ad.identity((8,))
    assert ad.matmul(ident, ident)[1] == 0  # identity x identity is free
    assert ad.matmul(ident, diag8)[1] == 0
    s1, s2 = ad.scaled_identity((8,), 2.0), ad.scaled_identity((8,), 3.0)
    c, n = ad.matmul(s1, s2)
    assert n == 1 and c.val.shape == ()  # two scaled identities: one scalar product
    dense = ad.dense(jnp.ones((4, 8)), 1)
    assert ad.matmul(ad.diagonal(jnp.ones(4)), dense)[1] == 32
    assert ad.matmul(dense, ad.dense(jnp.ones((8, 3)), 1))[1] == 4 * 8 * 3


def test_structured_tensor_is_a_static_pytree():
    t = ad.diagonal(jnp.arange(3.0))
    leaves, _tree = jax.tree_util.tree_flatten(t)
    assert len(leaves) == 1
    doubled = jax.jit(lambda t: ad.scale(t, 2.0))(t)
    assert doubled.structure == t.structure
    np.testing.assert_allclose(ad.to_dense(doubled), 2 * jnp.diag(jnp.arange(3.0)))

    def body(carry, _):
        return ad.add(ad.matmul(ad.scaled_identity((3,), 0.5), carry)[0], t), None

    out, _ = jax.lax.scan(body, t, None, length=4)
    assert out.structure == t.structure
    np.testing.assert_allclose(ad.to_dense(out), jnp.diag(jnp.arange(3.0)) * (1 + 0.5 + 0.25 + 0.125 + 0.0625))


def test_invalid_structures_raise():
    with pytest.raises(ValueError):
        Structure((2,), (3,), (0,), None)  # paired dims of different size
    with pytest.raises(ValueError):
        ad.STensor(jnp.ones(3), Structure((2,), (2,), (0,), (0,)))


def test_scale_by_scalar_and_by_output_array():
    t = ad.STensor(jnp.arange(3.0), Structure((2,), (3,), (None,), (1,)))  # broadcast on the output side
    np.testing.assert_allclose(ad.to_dense(ad.scale(t, 2.0)), 2.0 * ad.to_dense(t))
    d = jnp.array([1.0, -2.0])
    np.testing.assert_allclose(ad.to_dense(ad.scale(t, d)), d[:, None] * ad.to_dense(t))
    with pytest.raises(ValueError, match="output shape"):
        ad.scale(t, jnp.ones(3))


@pytest.mark.parametrize("small", [0, 10**9], ids=["dot_general", "multiply_reduce"])
def test_contract_matches_einsum(small, monkeypatch):
    """Both emitted forms of a labelled two-operand contraction equal numpy's einsum."""
    from spikead.ad import _stensor

    monkeypatch.setattr(_stensor, "SMALL_CONTRACTION", small)
    rng = np.random.default_rng(0)
    sizes = {0: 2, 1: 3, 2: 4, 3: 2, 4: 3}
    for _ in range(60):
        la = tuple(int(v) for v in rng.permutation(5)[: rng.integers(1, 4)])
        lb = tuple(int(v) for v in rng.permutation(5)[: rng.integers(1, 4)])
        out = tuple(int(v) for v in rng.permutation(sorted(set(la) | set(lb))) if rng.random() < 0.6)
        a = rng.standard_normal([sizes[v] for v in la]).astype(np.float32)
        b = rng.standard_normal([sizes[v] for v in lb]).astype(np.float32)
        got = _stensor._contract([(jnp.asarray(a), la), (jnp.asarray(b), lb)], out)
        np.testing.assert_allclose(
            np.asarray(got), np.einsum(a, list(la), b, list(lb), list(out)), rtol=1e-5, atol=1e-5,
            err_msg=f"{la} x {lb} -> {out}",
        )
