import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from spikead import snn


def test_spiking_pool_sum_and_max():
    x = jnp.array([[[1.0, 0.0, 0.0, 0.0], [1.0, 0.0, 0.0, 1.0]]])  # (C=1, H=2, W=4)
    sum_pool = snn.SpikingPool((2, 2), mode="sum", threshold=1.5)
    max_pool = snn.SpikingPool((2, 2), mode="max")  # threshold 0.5: any spike
    np.testing.assert_array_equal(sum_pool(x), [[[1.0, 0.0]]])
    np.testing.assert_array_equal(max_pool(x), [[[1.0, 1.0]]])
    assert snn.SpikingPool(2, stride=1)(jnp.zeros((3, 4, 5))).shape == (3, 3, 4)


def test_spiking_pool_gradient_uses_surrogate():
    pool = snn.SpikingPool((2,), mode="sum", threshold=0.5, surrogate=snn.FastSigmoid(10.0))
    x = jnp.array([[0.2, 0.1, 1.0, 0.0]])  # (C=1, W=4)
    jac = jax.jacrev(pool)(x)
    d = snn.FastSigmoid(10.0).derivative(jnp.array([0.3 - 0.5, 1.0 - 0.5]))
    np.testing.assert_allclose(jac[0, 0, 0], [d[0], d[0], 0, 0], rtol=1e-5)
    np.testing.assert_allclose(jac[0, 1, 0], [0, 0, d[1], d[1]], rtol=1e-5)


def test_spiking_pool_rank_error():
    with pytest.raises(snn.ShapeError, match="rank"):
        snn.SpikingPool((2, 2))(jnp.zeros((4, 4)))


def test_flatten():
    assert snn.Flatten()(jnp.zeros((2, 3, 4))).shape == (24,)


def test_spike_counter_accumulates():
    counter = snn.SpikeCounter()
    xs = jnp.array([[1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    state, counts = snn.run(counter, xs)
    np.testing.assert_array_equal(counts, [[1, 0], [2, 1], [2, 2]])
    np.testing.assert_array_equal(state[0], [2, 2])


def test_residual_adds_block_output_same_step(getkey):
    block = snn.Sequential(eqx.nn.Linear(3, 3, key=getkey()), snn.LIF(shape=(3,)))
    res = snn.Residual(block)
    xs = jax.random.uniform(getkey(), (5, 3)) * 2
    _, ys = snn.run(res, xs)
    _, block_ys = snn.run(block, xs)
    np.testing.assert_allclose(ys, xs + block_ys)


def test_residual_shape_mismatch(getkey):
    res = snn.Residual(eqx.nn.Linear(3, 2, key=getkey()))
    with pytest.raises(snn.ShapeError, match="preserve"):
        res.init_state((3,))
