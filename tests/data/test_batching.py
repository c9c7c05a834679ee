"""`batches`: seeded per-epoch order, full coverage, JAX outputs."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from spikead.data import batches, epoch_permutation, num_batches

N, T, C = 23, 3, 2


@pytest.fixture
def data():
    x = np.arange(N * T * C, dtype=np.float32).reshape(N, T, C)
    y = np.arange(N, dtype=np.int32)  # label = sample id, to track order
    return x, y


def _order(x, y, **kw):
    return np.concatenate([np.asarray(yb) for _, yb in batches(x, y, 5, **kw)])


def test_every_sample_once_per_epoch(data):
    x, y = data
    for epoch in range(3):
        order = _order(x, y, seed=0, epoch=epoch)
        np.testing.assert_array_equal(np.sort(order), y)


def test_deterministic_per_seed_and_epoch(data):
    x, y = data
    np.testing.assert_array_equal(_order(x, y, seed=7, epoch=2), _order(x, y, seed=7, epoch=2))
    assert not np.array_equal(_order(x, y, seed=7, epoch=2), _order(x, y, seed=7, epoch=3))
    assert not np.array_equal(_order(x, y, seed=7, epoch=2), _order(x, y, seed=8, epoch=2))
    key = jax.random.PRNGKey(7)
    np.testing.assert_array_equal(_order(x, y, key=key, epoch=2), _order(x, y, seed=7, epoch=2))


def test_batch_contents_and_types(data):
    x, y = data
    got = list(batches(x, y, 5, seed=1, epoch=0))
    assert len(got) == num_batches(N, 5) == 5
    assert [b[0].shape for b in got] == [(5, T, C)] * 4 + [(3, T, C)]
    order = epoch_permutation(N, seed=1, epoch=0)
    for i, (xb, yb) in enumerate(got):
        assert isinstance(xb, jax.Array) and xb.dtype == jnp.float32
        np.testing.assert_array_equal(np.asarray(xb), x[order[5 * i : 5 * i + 5]])
        np.testing.assert_array_equal(np.asarray(yb), y[order[5 * i : 5 * i + 5]])


def test_drop_last_and_no_shuffle(data):
    x, y = data
    got = list(batches(x, y, 5, shuffle=False, drop_last=True))
    assert len(got) == num_batches(N, 5, drop_last=True) == 4
    np.testing.assert_array_equal(np.concatenate([np.asarray(b) for _, b in got]), y[:20])


def test_bad_arguments(data):
    x, y = data
    with pytest.raises(ValueError, match="exactly one"):
        next(batches(x, y, 5))
    with pytest.raises(ValueError, match="batch_size=0"):
        next(batches(x, y, 0, seed=0))
    with pytest.raises(ValueError, match="22"):
        next(batches(x, y[:22], 5, seed=0))
