import jax
import jax.numpy as jnp
import numpy as np

from spikead import snn

from .helpers import column, trajectory


def test_alif_threshold_adaptation_trajectory():
    # neuron 0 adapts (beta_a = 1), neuron 1 does not (beta_a = 0, beta = 1)
    alif = snn.ALIF(
        shape=(2,), beta=[0.5, 1.0], rho=0.5, beta_a=[1.0, 0.0], threshold=1.0, reset="subtract"
    )
    states, zs = trajectory(alif, np.full((5, 2), 0.75, np.float32))
    np.testing.assert_array_equal(
        column(states, 0),
        [[0.75, 0.75], [1.125, 1.5], [0.8125, 1.25], [1.15625, 1.0], [1.328125, 1.75]],
    )
    np.testing.assert_array_equal(
        column(states, 1), [[0, 0], [0, 0], [0.5, 0.5], [0.25, 0.75], [0.125, 0.375]]
    )
    # n0 at t=3: v = 1.15625 > 1 but < A = 1.25, so no spike (a plain LIF would spike)
    np.testing.assert_array_equal(zs, [[0, 0], [1, 1], [0, 1], [0, 0], [1, 1]])


def test_adlif_trajectory():
    adlif = snn.AdLIF(shape=(2,), alpha=0.5, beta=0.5, a=[0.5, 0.0], b=[1.0, 0.5], threshold=1.0)
    states, zs = trajectory(adlif, np.full((4, 2), 3.0, np.float32))
    np.testing.assert_array_equal(
        column(states, 0), [[1.5, 1.5], [0.875, 1.5], [1.28125, 1.375], [0.4921875, 1.25]]
    )
    np.testing.assert_array_equal(
        column(states, 1), [[0, 0], [1.75, 0.5], [1.3125, 0.75], [2.296875, 0.875]]
    )
    np.testing.assert_array_equal(zs, [[1, 1], [0, 1], [1, 1], [0, 1]])


def test_adaptive_parameters_per_neuron_and_differentiable():
    adlif = snn.AdLIF(shape=(3,), a=jnp.array([0.1, 0.2, 0.3]))
    assert all(p.shape == (3,) for p in jax.tree_util.tree_leaves(adlif))
    g = jax.grad(lambda m: jnp.sum(snn.run(m, jnp.ones((6, 3)) * 3.0)[1]))(adlif)
    assert g.a.shape == (3,) and np.all(np.isfinite(g.a)) and np.any(g.a != 0)
