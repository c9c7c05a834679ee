"""jacve against jax.jacrev on assorted programs, orders, pytrees, argnums, aux, dtypes, jit/vmap."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from spikead import ad

from .helpers import assert_tree_close, check_all_orders


def mlp(params, x):
    h = jnp.tanh(params["W1"] @ x + params["b1"])
    logits = params["W2"] @ h + params["b2"]
    return jax.nn.logsumexp(logits) - logits[0]


def layer_norm_softmax(x):
    mu = jnp.mean(x, axis=-1, keepdims=True)
    var = jnp.mean((x - mu) ** 2, axis=-1, keepdims=True)
    y = (x - mu) / jnp.sqrt(var + 1e-5)
    return jax.nn.softmax(y, axis=-1)


def index_maps(x):
    a = jnp.concatenate([x[:, :2], jnp.flip(x, 0)[:, 1:]], axis=1)
    b = jnp.pad(x, ((1, 0), (0, 2))).reshape(-1)[::2]
    return jnp.sum(a.T**2, axis=0), jnp.cos(b), x.reshape(2, 3, 2).transpose(2, 0, 1)


@pytest.fixture
def params(getkey):
    return {
        "W1": jax.random.normal(getkey(), (5, 3)),
        "b1": jax.random.normal(getkey(), (5,)),
        "W2": jax.random.normal(getkey(), (4, 5)),
        "b2": jax.random.normal(getkey(), (4,)),
    }


def test_mlp_pytree_input(params, getkey):
    x = jax.random.normal(getkey(), (3,))
    check_all_orders(mlp, params, x, argnums=(0, 1), n_random=1)


def test_layer_norm_softmax(getkey):
    check_all_orders(layer_norm_softmax, jax.random.normal(getkey(), (2, 4)), n_random=1)


def test_index_maps(getkey):
    check_all_orders(index_maps, jax.random.normal(getkey(), (3, 4)), n_random=1)


def test_pytree_output_and_has_aux(getkey):
    def f(x, y):
        out = {"s": jnp.sin(x) * y[0], "p": (x @ y, jnp.exp(y))}
        return out, {"norm": jnp.sum(x**2)}

    x = jax.random.normal(getkey(), (3,))
    y = jax.random.normal(getkey(), (3,))
    (jac, aux) = jax.jit(ad.jacve(f, "markowitz", argnums=(0, 1), has_aux=True))(x, y)
    jac_ref, aux_ref = jax.jit(jax.jacrev(f, argnums=(0, 1), has_aux=True))(x, y)
    assert_tree_close(jac, jac_ref)
    assert_tree_close(aux, aux_ref)


def test_outputs_reusing_intermediates_and_inputs(getkey):
    def f(x):
        y = jnp.sin(x)
        return y, y * 2.0, x, y, 3.0 * jnp.ones(2)  # y reused, an input, a constant

    x = jax.random.normal(getkey(), (2,))
    graph, _ = check_all_orders(f, x, n_random=1)
    assert len(graph.outputs) == 5


def test_scalar_inputs_and_multiple_argnums():
    f = lambda a, b, c: jnp.arctan2(a * b, c) + jnp.maximum(a, c) ** 3
    check_all_orders(f, 0.3, 1.2, -0.7, argnums=(0, 2), n_random=1)


def test_float64():
    with jax.enable_x64(True):
        x = jnp.linspace(0.1, 0.9, 5, dtype=jnp.float64)
        f = lambda x: jnp.log1p(x) * jnp.tanh(x).sum()
        got, want = jax.jit(lambda x: (ad.jacve(f, "fwd")(x), jax.jacrev(f)(x)))(x)
        assert got.dtype == jnp.float64
        np.testing.assert_allclose(got, want, rtol=1e-12)


def test_under_jit_and_vmap(params, getkey):
    xs = jax.random.normal(getkey(), (6, 3))
    f = jax.vmap(lambda x: jnp.sin(x) * jnp.sum(x))

    @jax.jit
    def both(params, xs):
        got = jax.vmap(ad.jacve(mlp, "rev"), in_axes=(None, 0))(params, xs), ad.jacve(f, "fwd")(xs)
        want = jax.vmap(jax.jacrev(mlp), in_axes=(None, 0))(params, xs), jax.jacrev(f)(xs)
        return got, want

    got, want = both(params, xs)
    assert_tree_close(got, want, atol=1e-6)


def test_jitted_jaxpr_is_plain_arithmetic(params, getkey):
    x = jax.random.normal(getkey(), (3,))
    jaxpr = jax.make_jaxpr(ad.jacve(mlp, "rev"))(params, x)
    names = {e.primitive.name for e in jaxpr.jaxpr.eqns}
    assert names <= set(ad.supported_primitives()) | {"pjit", "jit", "iota", "eq", "select_n"}
    assert len(jaxpr.jaxpr.eqns) < 200


def test_nested_jit_and_custom_jvp_surrogate(getkey):
    @jax.custom_jvp
    def spike(v):
        return (v > 0).astype(v.dtype)

    @spike.defjvp
    def _spike_jvp(primals, tangents):
        (v,), (t,) = primals, tangents
        return spike(v), t / (1.0 + 10.0 * jnp.abs(v)) ** 2

    inner = jax.jit(lambda w, x: w @ x)
    f = lambda w, x: spike(inner(w, x) - 0.1) * jax.nn.relu(x[:2].sum())
    w = jax.random.normal(getkey(), (2, 3))
    x = jax.random.normal(getkey(), (3,))
    check_all_orders(f, w, x, argnums=(0, 1), n_random=1)
    # the surrogate stays element-wise: one value per neuron on the spike edge
    graph = ad.make_graph(f, w, x, argnums=(0, 1))
    spikes = [v.id for v in graph.vertices if v.primitive == "custom_jvp_call" and v.shape == (2,)]
    (src,) = graph.preds[spikes[0]]
    assert graph.edges[(src, spikes[0])].pair == (0,)


@pytest.mark.parametrize("order", ["fwd", "rev", "markowitz"])
def test_vmap_jacve_equals_vmap_jacrev(params, getkey, order):
    """Per-example Jacobians from the graph of vmap(f): same pytree, shapes and values."""
    batched = jax.tree_util.tree_map(lambda a: jnp.stack([a, 2.0 * a, -a]), params)
    x = jax.random.normal(getkey(), (3, 3))

    def f(params, x):
        return {"loss": mlp(params, x), "h": jnp.tanh(params["W1"] @ x)}

    jac = jax.jit(ad.vmap_jacve(f, order, argnums=(0, 1)))(batched, x)
    ref = jax.jit(jax.vmap(jax.jacrev(f, argnums=(0, 1))))(batched, x)
    assert_tree_close(jac, ref)


def test_batch_diagonal_of_every_batch_structure(getkey):
    """Paired, both-constant, one-sided and fully dense batch dims give the dense diagonal."""
    B, n, m = 3, 2, 4
    cases = [
        ad.Structure((B, n), (B, m), (0, None), (0, 1, 3)),  # paired batch, dense rest
        ad.Structure((B, n), (B, n), (0, 1), (0,)),  # paired batch and inner diagonal
        ad.Structure((B, n), (B, m), (None, None), (1, 3)),  # constant along both batch dims
        ad.Structure((B, n), (B, m), (None, None), (2, 3)),  # varies along the source batch only
        ad.Structure((B, n), (B, m), (None, None), (0, 1, 2, 3)),  # dense: diagonal taken
        ad.Structure((B, n), (B, n), (None, 1), None),  # identity inside, broadcast batch
    ]
    for s in cases:
        val = None if s.val_shape is None else jax.random.normal(getkey(), s.val_shape)
        t = ad.STensor(val, s)
        dense = np.asarray(ad.to_dense(t))
        expected = np.stack([dense[b, :, b] for b in range(B)])
        np.testing.assert_allclose(np.asarray(ad.batch_diagonal(t)), expected, err_msg=str(s))
    with pytest.raises(ValueError, match="leading batch dims"):
        ad.batch_diagonal(ad.STensor(None, ad.Structure((2,), (3,), (None,), None)))
