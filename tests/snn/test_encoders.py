"""Encoders against hand-written numpy references."""

import jax
import numpy as np
import pytest

from spikead import snn


def test_rate_encode_is_bernoulli_of_the_intensity(getkey):
    x = np.array([0.0, 0.25, 0.5, 1.0, 1.7], np.float32)
    key = getkey()
    spikes = np.asarray(snn.rate_encode(x, 4000, key=key, gain=1.0))
    assert spikes.shape == (4000, 5) and set(np.unique(spikes)) <= {0.0, 1.0}
    u = np.asarray(jax.random.uniform(key, (4000, 5)))  # same draws as the encoder
    np.testing.assert_array_equal(spikes, (u < np.clip(x, 0, 1)).astype(np.float32))
    np.testing.assert_allclose(spikes.mean(0), np.clip(x, 0, 1), atol=0.03)


@pytest.mark.parametrize("method", ["linear", "log"])
def test_latency_encode_matches_reference(method):
    x = np.array([[1.0, 0.5, 0.0], [0.02, 0.3, 0.9]], np.float32)
    T, tau, thr = 12, 3.0, 0.01
    spikes = np.asarray(snn.latency_encode(x, T, method=method, tau=tau, threshold=thr))
    expected = np.zeros((T, *x.shape), np.float32)
    for idx in np.ndindex(x.shape):
        if x[idx] <= thr:
            continue
        if method == "linear":
            t = round((1 - float(x[idx])) * (T - 1))
        else:
            t = round(tau * np.log(x[idx] / (x[idx] - thr)))
        if t < T:
            expected[(t, *idx)] = 1.0
    np.testing.assert_array_equal(spikes, expected)
    assert spikes.sum(0).max() <= 1.0


def test_delta_encode_matches_reference():
    xs = np.array([[0.0, 1.0], [0.5, 1.0], [0.55, 0.2], [0.1, 0.25]], np.float32)
    out = np.asarray(snn.delta_encode(xs, 0.1))
    d = np.diff(xs, axis=0, prepend=xs[:1])
    np.testing.assert_array_equal(out, (d > 0.1) * 1.0 - (d < -0.1) * 1.0)
    on = np.asarray(snn.delta_encode(xs, 0.1, off_spikes=False, initial=0.0))
    d0 = np.diff(xs, axis=0, prepend=np.zeros((1, 2), np.float32))
    np.testing.assert_array_equal(on, (d0 > 0.1) * 1.0)


def test_encoder_errors():
    with pytest.raises(snn.ParameterError, match="num_steps=0"):
        snn.rate_encode(np.ones(3), 0, key=jax.random.key(0))
    with pytest.raises(snn.ParameterError, match="method='exp'"):
        snn.latency_encode(np.ones(3), 5, method="exp")
    with pytest.raises(snn.ParameterError, match="threshold=-1"):
        snn.delta_encode(np.ones((3, 2)), -1)
