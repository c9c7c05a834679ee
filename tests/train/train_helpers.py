"""Small models and a learnable toy dataset for the training tests (imported by name)."""

from __future__ import annotations

import jax
import numpy as np

from spikead import train


def toy_splits(n_train=96, n_test=48, n_steps=20, n_inputs=12, n_classes=3, seed=0):
    """Spike trains whose per-channel rates depend on the class (learnable in a few epochs)."""
    rng = np.random.default_rng(seed)
    rates = rng.uniform(0.02, 0.5, (n_classes, n_inputs))

    def draw(n):
        y = rng.integers(0, n_classes, n).astype(np.int32)
        x = (rng.random((n, n_steps, n_inputs)) < rates[y][:, None, :]).astype(np.float32)
        return x, y

    return {"train": draw(n_train), "val": draw(n_test), "test": draw(n_test)}


def small_model(neuron="lif", width=16, n_inputs=12, n_classes=3, recurrent=False, seed=0, **kw):
    params = kw.pop(
        "neuron_params",
        {"adlif": {"alpha": 0.95, "beta": 0.8, "a": 0.95, "b": 1.0}}.get(neuron, {}),
    )
    scale = (
        20.0 if neuron == "adlif" else 1.0
    )  # as configs/model/paper_a_alif.yaml in quick: 1 / (1 - alpha)
    cfg = train.ModelConfig(
        neuron=neuron,
        width=width,
        recurrent=recurrent,
        neuron_params=params,
        input_gain=kw.pop("input_gain", 2.0**0.5),
        input_scale=kw.pop("input_scale", scale),
        **kw,
    )
    return train.build_model(cfg, n_inputs, n_classes, key=jax.random.key(seed))
