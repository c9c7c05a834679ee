"""Losses and regularisers against hand-written numpy references."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from spikead import snn


def _ce(logits, label):
    logits = np.asarray(logits, np.float64)
    m = logits.max()
    return float(m + np.log(np.exp(logits - m).sum()) - logits[label])


@pytest.fixture
def outputs():
    rng = np.random.default_rng(0)
    spikes = (rng.random((9, 4)) < 0.3).astype(np.float32)
    spikes[:, 3] = 0.0  # a silent class
    v = rng.normal(size=(9, 4)).astype(np.float32)
    return spikes, v


def test_losses_match_reference(outputs):
    spikes, v = outputs
    label = 2
    np.testing.assert_allclose(
        snn.rate_cross_entropy(spikes, label), np.mean([_ce(s, label) for s in spikes]), rtol=1e-5
    )
    np.testing.assert_allclose(
        snn.count_cross_entropy(spikes, label), _ce(spikes.sum(0), label), rtol=1e-5
    )
    np.testing.assert_allclose(
        snn.max_over_time_cross_entropy(v, label), _ce(v.max(0), label), rtol=1e-5
    )
    first = [int(np.argmax(spikes[:, c])) if spikes[:, c].any() else 9 for c in range(4)]
    np.testing.assert_array_equal(snn.first_spike_time(spikes), first)
    np.testing.assert_allclose(
        snn.first_spike_cross_entropy(spikes, label, tau=2.0),
        _ce(-np.array(first) / 2.0, label),
        rtol=1e-5,
    )


def test_first_spike_time_gradient_through_surrogate():
    """d t_first / d v via the surrogate: equals the gradient of the smooth expression."""
    v = jnp.array([[-0.2, 0.3], [0.4, -0.1], [0.1, 0.2]])
    surrogate = snn.FastSigmoid(10.0)
    g = jax.grad(lambda v: jnp.sum(snn.first_spike_time(surrogate(v))))(v)
    z = np.asarray(v > 0, np.float64)
    d = 1.0 / (1.0 + 10.0 * np.abs(np.asarray(v, np.float64))) ** 2
    # t_first = sum_t prod_{s<=t} (1 - z_s): d/dz_s = -sum_{t>=s} prod_{r<=t, r!=s} (1 - z_r)
    expected = np.zeros_like(z)
    for s in range(3):
        for t in range(s, 3):
            expected[s] -= np.prod([(1 - z[r]) for r in range(t + 1) if r != s], axis=0)
    np.testing.assert_allclose(g, expected * d, rtol=1e-5, atol=1e-7)


def test_loss_shape_errors():
    with pytest.raises(snn.ShapeError, match=r"\(T, C\)"):
        snn.count_cross_entropy(jnp.ones((2, 9, 4)), 0)
    with pytest.raises(snn.ParameterError, match="tau=0"):
        snn.first_spike_cross_entropy(jnp.ones((9, 4)), 0, tau=0)


def test_regularisers_match_reference(outputs):
    spikes, _ = outputs
    rate = spikes.mean(0)
    np.testing.assert_allclose(snn.firing_rate(spikes), rate)
    np.testing.assert_allclose(snn.rate_l2(spikes, 0.1), np.mean((rate - 0.1) ** 2), rtol=1e-6)
    np.testing.assert_allclose(snn.spike_count_l1(spikes), spikes.sum())
    expected = np.mean(np.maximum(0.05 - rate, 0) ** 2) + np.mean(np.maximum(rate - 0.3, 0) ** 2)
    np.testing.assert_allclose(snn.rate_bounds(spikes, 0.05, 0.3), expected, rtol=1e-6)
    np.testing.assert_allclose(
        snn.rate_bounds(spikes, high=0.3), np.mean(np.maximum(rate - 0.3, 0) ** 2), rtol=1e-6
    )
    with pytest.raises(snn.ParameterError, match="low=0.5 > high=0.1"):
        snn.rate_bounds(spikes, 0.5, 0.1)
