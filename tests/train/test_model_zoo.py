"""The model zoo (configs/model/*.yaml): every config composes and builds the neuron it
names; `alif` is Bellec's ALIF; online training refuses at build time what it cannot train."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import REPO
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from spikead import snn, train

MODELS = sorted(p.stem for p in (REPO / "configs" / "model").glob("*.yaml"))
#: The neuron class each named model must build (names that were once confused included).
NEURON_CLASS = {
    "alif": snn.ALIF,
    "ssc_recurrent_alif": snn.ALIF,
    "adlif": snn.AdLIF,
    "paper_a_alif": snn.AdLIF,
    "shd_adlif_mlp": snn.AdLIF,
    "lif": snn.LIF,
    "randman_mlp": snn.LIF,
}


def _model_cfg(model: str, profile: str = "smoke") -> train.ModelConfig:
    with initialize_config_dir(config_dir=str(REPO / "configs"), version_base="1.3"):
        cfg = compose(config_name="train_snn", overrides=[f"model={model}", f"profile={profile}"])
    return train.from_mapping(train.ModelConfig, OmegaConf.to_container(cfg.model, resolve=True))


def test_the_zoo_has_the_named_models():
    assert set(NEURON_CLASS) <= set(MODELS)


@pytest.mark.parametrize("model", MODELS)
def test_every_model_config_composes_and_builds(model):
    cfg = _model_cfg(model)
    assert cfg.name == model
    net = train.build_model(cfg, 7, 3, key=jax.random.key(0))
    assert len(net.neurons) == len(net.weights) == cfg.depth
    cls = NEURON_CLASS.get(model, snn.NEURONS[cfg.neuron])
    assert all(type(n) is cls and n.shape == (cfg.width,) for n in net.neurons)
    assert len(net.recurrent) == (cfg.depth if cfg.recurrent else 0)
    xs = (jax.random.uniform(jax.random.key(1), (4, 7)) < 0.5).astype(jnp.float32)
    ys = net.run(xs)
    assert ys.shape == (4, 3) and bool(jnp.all(jnp.isfinite(ys)))


def _bellec_eprop_reference(x, beta, rho, beta_prime, v_th):
    """Bellec et al. 2020 (e-prop) ALIF in its own form, written out in numpy:
    a_t = rho a_{t-1} + z_{t-1}, A_t = v_th + beta' a_t, reset by subtracting v_th, spikes
    z_t = H(v_t - A_t). The membrane follows this library's time convention (reset applied
    to the stored pre-reset potential before the decay). Returns spikes and thresholds."""
    n = x.shape[1]
    v, a, z = np.zeros(n), np.zeros(n), np.zeros(n)
    spikes, thresholds = [], []
    for x_t in x:
        a = rho * a + z
        threshold = v_th + beta_prime * a
        v = beta * (v - v_th * z) + x_t
        z = (v - threshold > 0).astype(float)
        spikes.append(z)
        thresholds.append(threshold)
    return np.array(spikes), np.array(thresholds)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_alif_is_bellec_adaptive_threshold(seed):
    """model=alif spikes exactly like Bellec's ALIF with beta' = (1 - rho) beta_a (the e-prop
    scaling of the LSNN neuron), on inputs that make it fire and adapt."""
    cfg = _model_cfg("alif")
    n, t = 16, 200
    net = train.build_model(cfg, 1, 2, key=jax.random.key(seed))
    neuron = net.neurons[0]
    x = np.asarray(jax.random.uniform(jax.random.key(seed), (t, n), minval=0.0, maxval=0.6))
    _, spikes = jax.lax.scan(
        lambda s, x_t: neuron(s, x_t), neuron.init_state(neuron.shape), jnp.asarray(x, jnp.float32)
    )
    p = cfg.neuron_params
    ref, thresholds = _bellec_eprop_reference(
        x, p["beta"], p["rho"], (1 - p["rho"]) * p["beta_a"], p["threshold"]
    )
    np.testing.assert_array_equal(np.asarray(spikes), ref)
    assert ref.mean() > 0.05 and thresholds.max() > p["threshold"] + 0.1  # it fired and adapted


@pytest.mark.parametrize("model", ["alif", "paper_a_alif", "lif"])
def test_eprop_accepts_one_layer_models(model):
    net = train.build_model(_model_cfg(model), 3, 2, key=jax.random.key(0))
    train.check_algorithm(net, train.AlgorithmConfig("eprop", "sparse"), label=model)


@pytest.mark.parametrize("model", ["shd_adlif_mlp", "ssc_recurrent_alif"])
def test_eprop_accepts_deep_models_at_build_time(model):
    cfg = _model_cfg(model)
    net = train.build_model(
        cfg, 3, 2, key=jax.random.key(0), algorithm=train.AlgorithmConfig("eprop")
    )
    assert len(net.weights) == 2  # per-layer e-prop (tests/train/test_depth.py)


def test_unsupported_model_is_refused_when_built(monkeypatch):
    from spikead import online
    from spikead.train import _grads

    def refuse(algorithm):
        def fn(*args):
            raise online.UnsupportedStepError("primitive 'cumsum' acts on previous-state tangents")

        return fn

    monkeypatch.setattr(_grads, "make_value_and_grad", refuse)
    with pytest.raises(
        train.TrainConfigError, match=r"eprop.*lif.*1 hidden layer.*cumsum.*algorithm=bptt"
    ):
        train.build_model(
            _model_cfg("lif"), 3, 2, key=jax.random.key(0), algorithm=train.AlgorithmConfig("eprop")
        )
    train.build_model(
        _model_cfg("lif"), 3, 2, key=jax.random.key(0), algorithm=train.AlgorithmConfig("bptt")
    )
