"""The classifier: shapes, Paper A's initialisation, trainable split, step semantics."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from train_helpers import small_model

from spikead import snn, train


def test_shapes_and_state():
    model = small_model(width=8, n_inputs=5, n_classes=4)
    state = model.init_state()
    assert [a.shape for a in state] == [(8,), (8,)]  # LIF: (v, z)
    new_state, y = model.step(state, jnp.ones(5))
    assert y.shape == (4,) and len(new_state) == 2
    assert model.run(jnp.zeros((7, 5))).shape == (7, 4)


def test_init_orthogonal_and_xavier():
    model = small_model(width=16, n_inputs=40, n_classes=3)
    w = np.asarray(model.weights[0])  # (16, 40): rows orthogonal with norm sqrt 2
    np.testing.assert_allclose(w @ w.T, 2.0 * np.eye(16), atol=1e-5)
    assert np.all(np.asarray(model.bias) == 0)
    big = small_model(width=512, n_inputs=4, n_classes=512)
    std = float(jnp.std(big.readout))
    assert abs(std - np.sqrt(2.0 / (512 + 512))) < 0.1 * np.sqrt(2.0 / 1024)


def test_neuron_config_reaches_the_neuron():
    model = small_model("adlif")
    nrn = model.neurons[0]
    assert isinstance(nrn, snn.AdLIF)
    np.testing.assert_allclose(nrn.beta, 0.8)
    np.testing.assert_allclose(nrn.a, 0.95)
    lif = small_model("lif").neurons[0]
    assert isinstance(lif.surrogate, snn.Sigmoid) and lif.surrogate.slope == 10.0
    assert lif.reset == "zero"


def test_step_matches_hand_computation():
    model = small_model(width=6, n_inputs=3, n_classes=2, recurrent=True)
    nrn = model.neurons[0]
    v0 = jnp.linspace(0.5, 1.5, 6)
    z0 = (jnp.arange(6) % 2).astype(jnp.float32)
    x = jnp.array([1.0, 0.0, 2.0])
    (v, z), y = model.step((v0, z0), x)
    v_ref = nrn.beta * v0 * (1 - z0) + model.weights[0] @ x + model.recurrent[0] @ z0
    np.testing.assert_allclose(v, v_ref, rtol=1e-6)
    np.testing.assert_array_equal(z, (v_ref > 1.0).astype(jnp.float32))
    np.testing.assert_allclose(y, model.readout @ z + model.bias, rtol=1e-6)


def test_input_scale_multiplies_the_input_current_of_alif():
    model = small_model("adlif", width=6, n_inputs=3, n_classes=2, input_scale=20.0)
    nrn = model.neurons[0]
    u0, w0 = jnp.linspace(-0.5, 1.5, 6), jnp.linspace(-1.0, 1.0, 6)
    z0 = (jnp.arange(6) % 2).astype(jnp.float32)
    x = jnp.array([1.0, 0.0, 2.0])
    (u, w, _z), _ = model.step((u0, w0, z0), x)
    w_ref = 0.8 * w0 + 0.95 * u0 + 1.0 * z0
    u_ref = 0.95 * (u0 - z0) + 0.05 * (20.0 * (model.weights[0] @ x) - w_ref)
    np.testing.assert_allclose(w, w_ref, rtol=1e-6)
    np.testing.assert_allclose(u, u_ref, rtol=1e-5, atol=1e-6)
    assert nrn.shape == (6,)


def test_input_scale_is_fixed_and_changes_the_gradient_scale_not_the_output():
    """Same forward pass as an init gain `s` times larger, but `s` times the weight gradient:
    with Adam (steps ~ lr whatever the gradient) the weights then move at LIF's relative speed."""
    s = 20.0
    scaled = small_model("adlif", width=8, input_scale=s, input_gain=2.0**0.5)
    big = small_model("adlif", width=8, input_scale=1.0, input_gain=s * 2.0**0.5)
    np.testing.assert_allclose(s * scaled.weights[0], big.weights[0], rtol=1e-5, atol=1e-6)
    xs = (jax.random.uniform(jax.random.key(1), (30, 12)) < 0.3).astype(jnp.float32)
    np.testing.assert_allclose(scaled.run(xs), big.run(xs), rtol=1e-4, atol=1e-5)

    def grad_w(model):
        params, frozen = train.split_model(model)
        return jax.grad(lambda p: jnp.sum(eqx.combine(p, frozen).run(xs) ** 2))(params).weights[0]

    np.testing.assert_allclose(grad_w(scaled), s * grad_w(big), rtol=1e-3, atol=1e-6)
    params, _ = train.split_model(scaled)  # the scale is static: no trained (or frozen) leaf
    assert len(jax.tree.leaves(params)) == len(jax.tree.leaves(train.split_model(big)[0]))


def test_depth_two_feeds_same_step():
    model = small_model(width=5, n_inputs=3, n_classes=2, depth=2)
    assert [w.shape for w in model.weights] == [(5, 3), (5, 5)]
    assert len(model.init_state()) == 4


def test_trainable_split_freezes_neuron_parameters():
    model = small_model(recurrent=True)
    params, frozen = train.split_model(model)
    assert params.neurons[0].beta is None and frozen.neurons[0].beta is not None
    assert params.weights[0] is not None and params.recurrent[0] is not None
    assert params.readout is not None and params.bias is not None
    everything, _ = train.split_model(model, train_neuron_params=True)
    assert everything.neurons[0].beta is not None
    assert eqx.tree_equal(eqx.combine(params, frozen), model)


def test_bad_model_config_names_the_value():
    with pytest.raises(train.TrainConfigError, match="no_such"):
        train.ModelConfig(neuron="no_such")
    with pytest.raises(train.TrainConfigError, match="width"):
        train.ModelConfig(width=0)
    with pytest.raises(train.TrainConfigError, match="input_gain='big'"):
        train.ModelConfig(input_gain="big")
    with pytest.raises(train.TrainConfigError, match="input_scale=0"):
        train.ModelConfig(input_scale=0)
    with pytest.raises(train.TrainConfigError, match="bogus"):
        train.from_mapping(train.ModelConfig, {"bogus": 1})
