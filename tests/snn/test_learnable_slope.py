"""Learnable surrogate slope: the spike acts in AD as the smooth step S_k(x)."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from spikead import snn

FAMILIES = [
    snn.FastSigmoid(10.0),
    snn.Sigmoid(5.0),
    snn.Boxcar(2.0),
    snn.Arctan(2.0),
    snn.Triangle(1.0),
]
X = jnp.array([-1.3, -0.45, -0.07, 0.03, 0.2, 0.33, 0.9])  # away from boxcar/triangle kinks


@pytest.mark.parametrize("surrogate", FAMILIES, ids=lambda s: type(s).__name__)
def test_smooth_step_derivative_is_the_surrogate(surrogate):
    learnable = surrogate.learnable()
    np.testing.assert_allclose(learnable.derivative(X), surrogate.derivative(X), rtol=1e-5)
    # d spike / dx of the learnable surrogate equals the fixed one's
    gx = jax.grad(lambda x: jnp.sum(learnable(x)))(X)
    np.testing.assert_allclose(gx, surrogate.derivative(X), rtol=1e-5)


@pytest.mark.parametrize("surrogate", FAMILIES, ids=lambda s: type(s).__name__)
def test_slope_gradient_is_finite_difference_of_smooth_step(surrogate):
    w = jnp.linspace(-1.0, 2.0, X.shape[0])
    learnable = surrogate.learnable()
    grad = jax.grad(lambda s: jnp.sum(w * s(X)))(learnable).slope
    k, eps = float(surrogate.slope), 1e-3 * float(surrogate.slope)
    x64 = np.asarray(X, np.float64)
    smooth = lambda k: np.asarray(surrogate.smooth_step(x64, k), np.float64)
    expected = np.sum(np.asarray(w) * (smooth(k + eps) - smooth(k - eps)) / (2 * eps))
    assert abs(expected) > 1e-3
    np.testing.assert_allclose(grad, expected, rtol=2e-3)


def test_fast_sigmoid_slope_gradient_by_hand():
    learnable = snn.LearnableSlope(snn.FastSigmoid(), slope=4.0, shape=(X.shape[0],))
    grad = jax.grad(lambda s: jnp.sum(s(X)))(learnable).slope
    x = np.asarray(X, np.float64)
    np.testing.assert_allclose(grad, -x * np.abs(x) / (1 + 4.0 * np.abs(x)) ** 2, rtol=1e-5)


def test_per_neuron_slope_in_a_network_trains_and_freezes(getkey):
    n = 4
    lif = snn.LIF(n, beta=0.8, surrogate=snn.FastSigmoid(5.0).learnable(shape=(n,)))
    model = snn.Sequential(eqx.nn.Linear(3, n, key=getkey()), lif)
    xs = 2.0 * jax.random.uniform(getkey(), (20, 3))

    def loss(model):
        return jnp.sum(snn.run(model, xs)[1] * jnp.arange(20.0)[:, None])

    g = eqx.filter_grad(loss)(model)
    assert g.layers[1].surrogate.slope.shape == (n,)
    assert float(jnp.max(jnp.abs(g.layers[1].surrogate.slope))) > 0
    spec = snn.trainable_filter(model, freeze=("slope",))
    assert spec.layers[1].surrogate.slope is False and spec.layers[1].beta is True
    # the same spikes as the fixed surrogate; parallel mode gives the same slope gradient
    fixed = eqx.tree_at(lambda m: m.layers[1].surrogate, model, snn.FastSigmoid(5.0))
    np.testing.assert_array_equal(snn.run(model, xs)[1], snn.run(fixed, xs)[1])
    g_par = eqx.filter_grad(
        lambda m: jnp.sum(snn.run(m, xs, mode="parallel")[1] * jnp.arange(20.0)[:, None])
    )(model)
    np.testing.assert_allclose(
        g_par.layers[1].surrogate.slope, g.layers[1].surrogate.slope, rtol=1e-4, atol=1e-6
    )


def test_learnable_errors():
    with pytest.raises(TypeError, match="already"):
        snn.LearnableSlope(snn.FastSigmoid().learnable())
