import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.flatten_util import ravel_pytree

from spikead import snn

add_one = eqx.nn.Lambda(lambda x: x + 1.0)


def test_chain_has_no_delay():
    net = snn.Sequential(add_one, add_one, add_one)
    xs = jnp.arange(5.0)[:, None]
    _, ys = snn.run(net, xs)
    np.testing.assert_array_equal(ys, xs + 3.0)


def test_step_all_returns_every_layer(getkey):
    lin = eqx.nn.Linear(2, 3, key=getkey())
    net = snn.Sequential(lin, snn.LIF(shape=(3,)), add_one)
    state = net.init_state((2,))
    assert state[0] == () and len(state[1]) == 2
    x = jnp.array([1.0, -1.0])
    _, outs = net.step_all(state, x)
    assert len(outs) == 3
    np.testing.assert_allclose(outs[0], lin(x))
    np.testing.assert_array_equal(outs[2], outs[1] + 1.0)


def test_nested_networks(getkey):
    inner = snn.Sequential(eqx.nn.Linear(2, 4, key=getkey()), snn.LIF(shape=(4,)))
    outer = snn.Sequential(inner, eqx.nn.Linear(4, 1, key=getkey()), snn.LI(shape=(1,)))
    _, ys = snn.run(outer, jnp.ones((6, 2)))
    assert ys.shape == (6, 1)


def test_init_state_shape_error_names_layer(getkey):
    net = snn.Sequential(eqx.nn.Linear(2, 4, key=getkey()), snn.LIF(shape=(5,)))
    with pytest.raises(snn.ShapeError, match=r"expected shape \(5,\), got \(4,\)"):
        net.init_state((2,))
    with pytest.raises(snn.ShapeError, match="Sequential layer 0"):
        net.init_state((3,))
    with pytest.raises(snn.ShapeError, match=r"Linear cannot take an input of shape \(3,\)"):
        good = snn.Sequential(net.layers[0], snn.LIF(shape=(4,)))
        good(good.init_state((2,)), jnp.ones(3))
    with pytest.raises(snn.ParameterError, match="at least one layer"):
        snn.Sequential()


def test_key_reaches_stochastic_layers(getkey):
    net = snn.Sequential(eqx.nn.Dropout(p=0.5), add_one)
    xs = jnp.ones((20, 8))
    _, y1 = snn.run(net, xs, key=getkey())
    _, y2 = snn.run(net, xs, key=getkey())
    assert set(np.unique(y1).tolist()) <= {1.0, 3.0}
    assert not np.array_equal(y1, y2)


class SmoothSpike(snn.AbstractSurrogate):
    """Test-only surrogate whose forward pass is smooth (a sigmoid), so finite
    differences of a network using it equal the AD gradient."""

    slope: float = eqx.field(static=True, default=4.0)

    def derivative(self, x):
        s = jax.nn.sigmoid(self.slope * x)
        return self.slope * s * (1 - s)

    def __call__(self, x):
        return jax.nn.sigmoid(self.slope * x)


@pytest.mark.parametrize("reset", ["zero", "subtract"])
def test_grad_matches_finite_differences(getkey, reset):
    sur = SmoothSpike()
    net = snn.Sequential(
        eqx.nn.Linear(3, 5, key=getkey()),
        snn.LIF(shape=(5,), beta=0.8, reset=reset, surrogate=sur),
        eqx.nn.Linear(5, 2, key=getkey()),
        snn.LI(shape=(2,), beta=0.9),
    )
    xs = jax.random.normal(getkey(), (8, 3)) * 2.0
    params, static = eqx.partition(net, eqx.is_inexact_array)

    flat_p, unravel = ravel_pytree(params)

    def loss(flat):
        _, ys = snn.run(eqx.combine(unravel(flat), static), xs)
        return jnp.sum(ys**2) / ys.size

    @jax.jit
    def check(flat, directions, eps=1e-2):
        grad = jax.grad(loss)(flat)
        fd = jax.vmap(lambda d: (loss(flat + eps * d) - loss(flat - eps * d)) / (2 * eps))
        return fd(directions), directions @ grad

    d = jax.random.normal(getkey(), (3, flat_p.size))
    fd, ad = check(flat_p, d / jnp.linalg.norm(d, axis=1, keepdims=True))
    np.testing.assert_allclose(fd, ad, rtol=2e-2, atol=1e-5)
    assert np.all(np.abs(ad) > 1e-4)  # the check is not vacuous
