"""End-to-end: a small SNN learns a Randman-style task (Zenke & Vogels 2021)."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from spikead import snn


def randman(seed, n_classes=3, n_units=16, n_per_class=100, steps=50, n_freq=3):
    """Randman-style spikes: class c maps a latent u ~ U[0, 1] to one spike time per input
    unit through a random smooth (few-harmonic) function; samples of a class differ in u.

    Returns xs (S, T, U) binary spikes and labels (S,), S = n_classes * n_per_class
    (numpy, so no small XLA programs are compiled for the data)."""
    rng = np.random.default_rng(seed)
    harmonics = np.arange(1, n_freq + 1)
    amp = rng.uniform(size=(n_classes, 1, n_units, n_freq)) / harmonics
    phase = rng.uniform(size=(n_classes, 1, n_units, n_freq)) * 2 * np.pi
    u = rng.uniform(size=(n_classes, n_per_class, 1, 1))
    f = np.sum(amp * np.sin(2 * np.pi * harmonics * u + phase), axis=-1)  # (C, S, U)
    lo, hi = f.min(axis=1, keepdims=True), f.max(axis=1, keepdims=True)
    times = np.round((f - lo) / (hi - lo) * (steps - 1)).astype(np.int64)
    xs = (times[:, :, None, :] == np.arange(steps)[:, None]).astype(np.float32)  # (C,S,T,U)
    labels = np.repeat(np.arange(n_classes), n_per_class)
    perm = rng.permutation(n_classes * n_per_class)
    return xs.reshape(-1, steps, n_units)[perm], labels[perm]


@pytest.mark.slow
def test_small_snn_learns_randman(getkey):
    xs, labels = randman(seed=0)
    n_train = 240
    model = snn.Sequential(
        eqx.nn.Linear(16, 64, key=getkey()),
        snn.LIF(shape=(64,), beta=0.9),
        eqx.nn.Linear(64, 3, key=getkey()),
        snn.LI(shape=(3,), beta=0.9),
    )

    def logits(m, xs):  # xs (B, T, U) -> (B, C): max over time of the readout membrane
        _, ys = snn.run_batched(m, 5.0 * xs)
        return jnp.max(ys, axis=1)

    def loss(m, xs, ys):
        return optax.softmax_cross_entropy_with_integer_labels(logits(m, xs), ys).mean()

    opt = optax.adam(1e-2)

    @eqx.filter_jit
    def train(m, xs, ys, n_steps=80):
        def body(carry, _):
            m_params, opt_state = carry
            m = eqx.combine(m_params, static)
            value, grads = eqx.filter_value_and_grad(loss)(m, xs, ys)
            updates, opt_state = opt.update(grads, opt_state, m_params)
            return (eqx.apply_updates(m_params, updates), opt_state), value

        params, static = eqx.partition(m, eqx.is_inexact_array)
        (params, _), losses = jax.lax.scan(body, (params, opt.init(params)), None, n_steps)
        return eqx.combine(params, static), losses

    @eqx.filter_jit
    def accuracy(m, xs, ys):
        return jnp.mean(jnp.argmax(logits(m, xs), axis=-1) == ys)

    before = float(accuracy(model, xs[n_train:], labels[n_train:]))
    model, losses = train(model, xs[:n_train], labels[:n_train])
    after = float(accuracy(model, xs[n_train:], labels[n_train:]))
    assert float(losses[-1]) < 0.5 * float(losses[0])
    assert after > 0.9, (before, after)
