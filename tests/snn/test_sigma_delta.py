import numpy as np
import pytest

from spikead import snn

from .helpers import column, trajectory


def test_sigma_delta_trajectory_per_neuron_threshold():
    sd = snn.SigmaDelta(shape=(2,), threshold=[0.3, 0.05], activation="relu")
    xs = np.repeat(np.array([[1.0], [0.1], [0.1], [0.5], [-2.0]], np.float32), 2, axis=1)
    states, s = trajectory(sd, xs)
    np.testing.assert_allclose(
        s, [[1.0, 1.0], [0.0, 0.1], [0.0, 0.1], [0.7, 0.5], [-1.7, -1.7]], atol=1e-6
    )
    np.testing.assert_allclose(column(states, 0)[:, 0], [1.0, 1.1, 1.2, 1.7, -0.3], atol=1e-6)
    # the receiver's reconstruction (sum of messages) tracks relu(sigma) within threshold
    ref = column(states, 1)
    np.testing.assert_allclose(ref, np.cumsum(s, axis=0), atol=1e-6)
    target = np.maximum(column(states, 0), 0.0)
    assert np.all(np.abs(ref - target) <= np.array([0.3, 0.05]) + 1e-6)


def test_sigma_delta_bad_activation():
    with pytest.raises(snn.ParameterError, match="'tanh'"):
        snn.SigmaDelta(shape=(2,), activation="tanh")
