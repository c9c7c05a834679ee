"""The structure algebra: products and sums of structured tensors against dense einsums."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from spikead import ad
from spikead.ad import Structure, product_plan

from .helpers import random_stensor


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
    if a.val is None and b.val is None:
        assert n == 0
    else:
        assert 0 <= n <= math.prod(j) * math.prod(k) * math.prod(i) + math.prod(j) * math.prod(i)


@pytest.mark.parametrize("seed", range(8))
def test_add_matches_dense(seed):
    rng = np.random.default_rng(100 + seed)
    o, i = SHAPES[rng.integers(len(SHAPES))], SHAPES[rng.integers(len(SHAPES))]
    a, b = random_stensor(rng, o, i), random_stensor(rng, o, i)
    np.testing.assert_allclose(
        ad.to_dense(ad.add(a, b)), ad.to_dense(a) + ad.to_dense(b), rtol=1e-6
    )


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
    np.testing.assert_allclose(
        ad.to_dense(out), jnp.diag(jnp.arange(3.0)) * (1 + 0.5 + 0.25 + 0.125 + 0.0625)
    )


def test_invalid_structures_raise():
    with pytest.raises(ValueError):
        Structure((2,), (3,), (0,), None)  # paired dims of different size
    with pytest.raises(ValueError):
        ad.STensor(jnp.ones(3), Structure((2,), (2,), (0,), (0,)))


def test_scale_by_scalar_and_by_output_array():
    t = ad.STensor(
        jnp.arange(3.0), Structure((2,), (3,), (None,), (1,))
    )  # broadcast on the output side
    np.testing.assert_allclose(ad.to_dense(ad.scale(t, 2.0)), 2.0 * ad.to_dense(t))
    d = jnp.array([1.0, -2.0])
    np.testing.assert_allclose(ad.to_dense(ad.scale(t, d)), d[:, None] * ad.to_dense(t))
    with pytest.raises(ValueError, match="output shape"):
        ad.scale(t, jnp.ones(3))


@pytest.mark.parametrize(
    "small, reduce_max",
    [(0, 4096), (10**9, 10**9), (10**9, 0)],
    ids=["dot_general", "multiply_reduce", "unrolled"],
)
def test_contract_matches_einsum(small, reduce_max, monkeypatch):
    """Every emitted form of a labelled two-operand contraction equals numpy's einsum."""
    from spikead.ad import _stensor

    monkeypatch.setattr(_stensor, "SMALL_CONTRACTION", small)
    monkeypatch.setattr(_stensor, "REDUCE_MAX_ELEMENTS", reduce_max)
    rng = np.random.default_rng(0)
    sizes = {0: 2, 1: 3, 2: 4, 3: 2, 4: 3}
    for _ in range(60):
        la = tuple(int(v) for v in rng.permutation(5)[: rng.integers(1, 4)])
        lb = tuple(int(v) for v in rng.permutation(5)[: rng.integers(1, 4)])
        out = tuple(
            int(v) for v in rng.permutation(sorted(set(la) | set(lb))) if rng.random() < 0.6
        )
        a = rng.standard_normal([sizes[v] for v in la]).astype(np.float32)
        b = rng.standard_normal([sizes[v] for v in lb]).astype(np.float32)
        got = _stensor._contract([(jnp.asarray(a), la), (jnp.asarray(b), lb)], out)
        np.testing.assert_allclose(
            np.asarray(got),
            np.einsum(a, list(la), b, list(lb), list(out)),
            rtol=1e-5,
            atol=1e-5,
            err_msg=f"{la} x {lb} -> {out}",
        )


def _contraction_primitives(batch: int) -> tuple[set[str], np.ndarray, np.ndarray]:
    """Per-example ``c[b, o, h, d] = sum_l a[b, o, d, l] w[b, h, l]`` (a short contraction of
    the Encoder's per-example Jacobian): primitives emitted, result, einsum reference."""
    from spikead.ad import _stensor

    rng = np.random.default_rng(batch)
    a = rng.standard_normal((batch, 2, 3, 2)).astype(np.float32)
    w = rng.standard_normal((batch, 5, 2)).astype(np.float32)
    operands = lambda a, w: [(a, (0, 1, 3, 4)), (w, (0, 2, 4))]
    contract = lambda a, w: _stensor._contract(operands(a, w), (0, 1, 2, 3))
    names = {e.primitive.name for e in jax.make_jaxpr(contract)(a, w).jaxpr.eqns}
    return (
        names,
        np.asarray(contract(jnp.asarray(a), jnp.asarray(w))),
        np.einsum("bodl,bhl->bohd", a, w),
    )


def test_large_short_contraction_emits_no_reduce():
    """At B = 512 the broadcast product (30720 elements) is unrolled over the contracted
    positions, not summed by a reduce (XLA:CPU hands large reduces to a library kernel, which
    made vmap_jacve(Encoder) at B = 512 1.8x slower than vmap(jacrev)); at B = 4 a reduce
    (one fused loop) is kept."""
    from spikead.ad import _stensor

    names, got, want = _contraction_primitives(512)
    assert 512 * 2 * 5 * 3 * 2 >= _stensor.REDUCE_MAX_ELEMENTS
    assert not names & {"reduce_sum", "dot_general"}, names
    assert "slice" in names
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    names, got, want = _contraction_primitives(4)
    assert "reduce_sum" in names
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_vmap_jacve_encoder_has_no_large_contraction_reduce():
    """The per-example Jacobian program of the Encoder at B = 512 (reverse order) sums no
    large broadcast product (its contractions' products have 18432 and 30720 elements) with a
    reduce (traced only, not compiled)."""
    from spikead import tasks

    t = tasks.load("Encoder_v0")
    args = [jnp.broadcast_to(jnp.asarray(a), (512, *jnp.shape(a))) for a in t.args]
    jaxpr = jax.make_jaxpr(ad.vmap_jacve(t.fn, "rev", argnums=t.argnums))(*args).jaxpr
    producer = {v: e.primitive.name for e in jaxpr.eqns for v in e.outvars}
    big = [
        e
        for e in jaxpr.eqns
        if e.primitive.name == "reduce_sum"
        and producer.get(e.invars[0]) == "mul"
        and e.invars[0].aval.size >= 8192
    ]
    assert not big, [str(e) for e in big[:3]]
    assert any(e.primitive.name == "slice" for e in jaxpr.eqns)


def test_structure_fields_are_plain_ints():
    """NumPy integers from a rule become ints: equal, same hash, and JSON-serialisable
    (order files fingerprint the graph)."""
    import json

    import numpy as np

    from spikead.ad._structure import Structure

    a = Structure((np.int64(2), 3), (np.int64(2),), (np.int64(0),), (np.int64(0),))
    b = Structure((2, 3), (2,), (0,), (0,))
    assert a == b and hash(a) == hash(b)
    json.dumps([a.out_shape, a.in_shape, a.pair, a.val_dims])
