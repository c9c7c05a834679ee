"""Paper A's schedule and clipping."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

from spikead import train


def test_schedule_warmup_peak_end():
    cfg = train.OptimizerConfig()
    sched = train.make_schedule(cfg, steps_per_epoch=10, epochs=5)
    np.testing.assert_allclose(sched(0), 2e-4, rtol=1e-6)
    np.testing.assert_allclose(sched(10), 1e-3, rtol=1e-6)  # peak after one epoch
    np.testing.assert_allclose(sched(50), 1e-7, rtol=1e-4)
    assert sched(5) > sched(0) and sched(30) < sched(10)


def test_first_update_with_a_huge_gradient_is_bounded():
    cfg = train.OptimizerConfig(weight_decay=0.0)
    tx = train.make_optimizer(cfg, 10, 2)
    params = {"w": jnp.zeros(4)}
    state = tx.init(params)
    grads = {"w": jnp.array([1e6, 0, 0, 0])}
    updates, _ = tx.update(grads, state, params)
    # Adam normalises, so the first step is lr * sign; the clip must not produce NaN/inf.
    np.testing.assert_allclose(updates["w"][0], -2e-4, rtol=1e-3)
    np.testing.assert_array_equal(updates["w"][1:], 0.0)


def test_bad_optimizer_values_fail():
    with pytest.raises(train.TrainConfigError, match="clip_norm"):
        train.OptimizerConfig(clip_norm=0.0)
    with pytest.raises(train.TrainConfigError, match="peak_lr"):
        train.OptimizerConfig(peak_lr=-1.0)
