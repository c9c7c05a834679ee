"""Steps the sparse method cannot express raise clear errors, never wrong gradients."""

import jax.numpy as jnp
import pytest

from spikead import online


def _data(n=5, m=3, T=4):
    params = {"w": jnp.ones((n, m)) * 0.1, "r": jnp.ones((2, n))}
    return params, (jnp.zeros(n),), jnp.ones((T, m)), jnp.zeros((T, 2))


def test_cumsum_over_neurons_is_unsupported():
    def step(p, s, x):
        (h,) = s
        h = 0.9 * jnp.cumsum(h) + p["w"] @ x  # neither neuron-local nor a synaptic sum
        return (h,), p["r"] @ h

    params, s0, xs, tg = _data()
    with pytest.raises(online.UnsupportedStepError, match="cumsum"):
        online.value_and_grad(step, online.mse, "sparse")(params, s0, xs, tg)
    # the reference methods still work on it
    online.value_and_grad(step, online.mse, "dense")(params, s0, xs, tg)


def test_cut_that_would_drop_a_parameter_path():
    def step(p, s, x):
        (h,) = s
        h = 0.9 * h + p["r2"] @ (h * p["g"]) + p["w"] @ x  # param inside the synaptic sum
        return (h,), p["r"] @ h

    params, s0, xs, tg = _data()
    params = dict(params, r2=jnp.eye(5) * 0.1, g=jnp.ones(5))
    with pytest.raises(online.UnsupportedStepError, match="parameter"):
        online.value_and_grad(step, online.mse, "sparse")(params, s0, xs, tg)


def test_unknown_method():
    with pytest.raises(online.UnknownMethodError, match="sparse"):
        online.value_and_grad(lambda p, s, x: (s, x), online.mse, "eprop2")
