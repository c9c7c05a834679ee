import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from spikead import snn


@pytest.fixture
def net(getkey):
    return snn.Sequential(
        eqx.nn.Linear(3, 6, key=getkey()),
        snn.LIF(shape=(6,), beta=0.9, surrogate=snn.Sigmoid(slope=4.0)),
        eqx.nn.Linear(6, 2, key=getkey()),
        snn.LI(shape=(2,), beta=0.8),
    )


def python_loop(model, xs, state=None):
    state = model.init_state(xs.shape[1:]) if state is None else state
    ys = []
    for x in xs:
        state, y = model(state, x)
        ys.append(y)
    return state, jnp.stack(ys)


def test_run_equals_python_loop(net, getkey):
    xs = jax.random.uniform(getkey(), (9, 3)) * 3.0
    state, ys = snn.run(net, xs, unroll=3)
    ref_state, ref_ys = python_loop(net, xs)
    np.testing.assert_allclose(ys, ref_ys, atol=1e-5)
    for a, b in zip(jax.tree_util.tree_leaves(state), jax.tree_util.tree_leaves(ref_state)):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_burn_in_drops_outputs_and_gradient(net, getkey):
    xs = jax.random.uniform(getkey(), (10, 3)) * 3.0
    _, full = snn.run(net, xs)
    _, ys = snn.run(net, xs, burn_in=4)
    np.testing.assert_allclose(ys, full[4:], atol=1e-6)
    g = jax.grad(lambda xs: jnp.sum(snn.run(net, xs, burn_in=4)[1] ** 2))(xs)
    g_full = jax.grad(lambda xs: jnp.sum(snn.run(net, xs)[1][4:] ** 2))(xs)
    np.testing.assert_array_equal(g[:4], 0.0)  # no gradient through warm-up steps
    assert np.any(np.asarray(g_full[:4]) != 0)  # ... which would exist without burn-in
    np.testing.assert_allclose(g[4:], g_full[4:], atol=1e-5)
    with pytest.raises(snn.ParameterError, match="burn_in=10"):
        snn.run(net, xs, burn_in=10)


def test_vmap_and_run_batched_agree(net, getkey):
    xs = jax.random.uniform(getkey(), (4, 7, 3)) * 3.0
    ys_vmap = jax.vmap(lambda x: snn.run(net, x)[1])(xs)
    state, ys = snn.run_batched(net, xs)
    assert ys.shape == (4, 7, 2)
    np.testing.assert_allclose(ys, ys_vmap, atol=1e-5)
    np.testing.assert_allclose(ys[2], snn.run(net, xs[2])[1], atol=1e-5)
    assert jax.tree_util.tree_leaves(state)[0].shape[0] == 4
    _, ys_burn = snn.run_batched(net, xs, burn_in=2)
    np.testing.assert_allclose(ys_burn, ys[:, 2:], atol=1e-5)


def test_mask_freezes_state_for_padding(net, getkey):
    xs = jax.random.uniform(getkey(), (2, 8, 3)) * 3.0
    lengths = np.array([5, 8])
    mask = (np.arange(8)[None, :] < lengths[:, None]).astype(np.float32)
    state, ys = snn.run_batched(net, xs, mask=mask)
    short_state, short_ys = snn.run(net, xs[0, :5])
    np.testing.assert_allclose(ys[0, :5], short_ys, atol=1e-5)
    np.testing.assert_array_equal(ys[0, 5:], 0.0)
    for batched, single in zip(
        jax.tree_util.tree_leaves(state), jax.tree_util.tree_leaves(short_state)
    ):
        np.testing.assert_allclose(batched[0], single, atol=1e-5)
    _, single_ys = snn.run(net, xs[0], mask=mask[0])
    np.testing.assert_allclose(single_ys, ys[0], atol=1e-5)
    with pytest.raises(snn.ShapeError, match="mask"):
        snn.run(net, xs[0], mask=mask[0, :4])


def test_run_shape_errors(net):
    with pytest.raises(snn.ShapeError, match=r"\(B, T"):
        snn.run_batched(net, jnp.ones((5,)))
    with pytest.raises(snn.ShapeError):
        snn.run(net, jnp.ones((5, 4)))


def test_given_state_continues_the_run(net, getkey):
    xs = jax.random.uniform(getkey(), (8, 3)) * 3.0
    _, full = snn.run(net, xs)
    state, first = snn.run(net, xs[:3])
    _, rest = snn.run(net, xs[3:], state)
    np.testing.assert_allclose(jnp.concatenate([first, rest]), full, atol=1e-5)


def test_all_outputs_records_every_layer(net, getkey):
    xs = jax.random.uniform(getkey(), (2, 6, 3)) * 3.0
    _, ys = snn.run(net, xs[0], all_outputs=True)
    assert [y.shape for y in ys] == [(6, 6), (6, 6), (6, 2), (6, 2)]
    np.testing.assert_allclose(ys[-1], snn.run(net, xs[0])[1], atol=1e-6)
    _, ys_b = snn.run_batched(net, xs, all_outputs=True, burn_in=1)
    np.testing.assert_allclose(ys_b[1][0], ys[1][1:], atol=1e-6)
    with pytest.raises(snn.ParameterError, match="all_outputs"):
        snn.run(snn.LIF(shape=(3,)), xs[0], all_outputs=True)


def test_hoisted_input_layer_keeps_values_and_gradients(net, getkey):
    """run applies the leading stateless Linear to all steps before the scan."""
    xs = jax.random.uniform(getkey(), (7, 2, 3)) * 3.0

    def loss_hoisted(model):
        return jnp.sum(snn.run_batched(model, xs)[1] ** 2)

    def loss_loop(model):
        return sum(jnp.sum(python_loop(model, x)[1] ** 2) for x in xs)

    np.testing.assert_allclose(loss_hoisted(net), loss_loop(net), rtol=1e-5)
    g_hoisted = eqx.filter_grad(loss_hoisted)(net)
    g_loop = eqx.filter_grad(loss_loop)(net)
    for a, b in zip(jax.tree.leaves(g_hoisted), jax.tree.leaves(g_loop)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_hoisted_linear_fast_path_and_fallback_match_the_loop(getkey):
    """The hoisted Linear is one (T*B, M) x (M, N) product; scalar-input Linears and
    other stateless layers take the vmapped path. Both equal the per-step loop."""
    matrix = snn.Sequential(
        eqx.nn.Linear(3, 4, use_bias=False, key=getkey()), snn.LI(shape=(4,), beta=0.5)
    )
    scalar = snn.Sequential(
        eqx.nn.Linear("scalar", 4, key=getkey()), jnp.tanh, snn.LI(shape=(4,), beta=0.5)
    )
    for model, xs in (
        (matrix, jax.random.normal(getkey(), (2, 5, 3))),
        (scalar, jax.random.normal(getkey(), (2, 5))),
    ):
        _, ys = snn.run_batched(model, xs)
        ref = jnp.stack([python_loop(model, x)[1] for x in xs])
        np.testing.assert_allclose(ys, ref, rtol=1e-6, atol=1e-6)
