"""Per-step cross-entropy, targets, prediction."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax

from spikead import train


def test_step_cross_entropy_matches_optax():
    y = jax.random.normal(jax.random.key(0), (5,))
    target = jax.nn.one_hot(3, 5)
    ref = optax.softmax_cross_entropy_with_integer_labels(y, 3)
    np.testing.assert_allclose(train.step_cross_entropy(y, target), ref, rtol=1e-6)
    assert float(train.step_cross_entropy(y, 0.0 * target)) == 0.0


def test_sequence_loss_is_sum_of_step_losses():
    ys = jax.random.normal(jax.random.key(1), (7, 4))
    targets = train.make_targets(jnp.array([2]), jnp.array([1.0]), 4, 7)[0]
    steps = jax.vmap(train.step_cross_entropy)(ys, targets)
    np.testing.assert_allclose(train.sequence_loss(ys, jnp.array(2)), jnp.sum(steps), rtol=1e-6)


def test_targets_and_predict():
    t = train.make_targets(jnp.array([1, 0]), jnp.array([1.0, 0.0]), 3, 4)
    assert t.shape == (2, 4, 3)
    np.testing.assert_array_equal(t[0, 2], [0, 1, 0])
    np.testing.assert_array_equal(t[1], 0)
    ys = jnp.array([[[1.0, 0.0], [0.0, 3.0]], [[2.0, 0.0], [0.0, 1.0]]])  # (B, T, C)
    np.testing.assert_array_equal(train.predict(ys), [1, 0])
