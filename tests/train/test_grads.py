"""Both algorithms compute the gradient of the same loss; e-prop is exact without recurrence."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from train_helpers import small_model

from spikead import train

BPTT = train.AlgorithmConfig(name="bptt")
EPROP = train.AlgorithmConfig(name="eprop", online_method="sparse")


def _batch(seed=0, b=4, t=25, m=12, c=3, rate=0.3):
    kx, ky = jax.random.split(jax.random.key(seed))
    x = (jax.random.uniform(kx, (b, t, m)) < rate).astype(jnp.float32)
    y = jax.random.randint(ky, (b,), 0, c)
    return x, y, jnp.ones(b)


def _reference_grads(model, x, y):
    """jax.grad of the mean over samples of sum_t CE(y_t, label), written independently."""
    params, frozen = train.split_model(model)

    def loss(p):
        m = eqx.combine(p, frozen)
        total = 0.0
        for i in range(x.shape[0]):
            state, acc = m.init_state(), 0.0
            for t in range(x.shape[1]):
                state, logits = m.step(state, x[i, t])
                acc = acc - jax.nn.log_softmax(logits)[y[i]]
            total = total + acc
        return total / x.shape[0]

    return jax.jit(jax.value_and_grad(loss))(params)


def _leaves(tree):
    return [np.asarray(a) for a in jax.tree.leaves(tree)]


def test_bptt_matches_unrolled_reference():
    model = small_model(width=10, recurrent=True)
    x, y, w = _batch(b=2, t=6, rate=0.5)
    params, frozen = train.split_model(model)
    result, grads = jax.jit(train.make_value_and_grad(BPTT))(params, frozen, x, y, w)
    ref_loss, ref_grads = _reference_grads(model, x, y)
    np.testing.assert_allclose(result.loss, ref_loss, rtol=1e-5)
    for a, b in zip(_leaves(grads), _leaves(ref_grads)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("neuron", ["lif", "adlif"])
def test_eprop_equals_bptt_without_recurrence(neuron):
    model = small_model(neuron, width=24)
    x, y, w = _batch(seed=3, rate=0.4)
    params, frozen = train.split_model(model)
    spikes = jax.vmap(
        lambda xs: jax.lax.scan(lambda s, xt: (model.step(s, xt)[0],) * 2, model.init_state(), xs)[
            1
        ][-1]
    )(x)
    assert float(spikes.sum()) > 0, "the test needs hidden spikes"
    rb, gb = jax.jit(train.make_value_and_grad(BPTT))(params, frozen, x, y, w)
    # frozen closed over, as in `fit`'s training step: the spike is recomputed from the
    # membrane, no trace of its own (`online.derived_state`; test_train_step checks the plan)
    eprop = train.make_value_and_grad(EPROP)
    re, ge = jax.jit(lambda p: eprop(p, frozen, x, y, w))(params)
    np.testing.assert_allclose(rb.loss, re.loss, rtol=1e-6)
    assert float(rb.correct) == float(re.correct)
    for a, b in zip(_leaves(gb), _leaves(ge)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5 * np.abs(a).max())


def test_eprop_differs_from_bptt_with_recurrence():
    model = small_model(width=24, recurrent=True)
    x, y, w = _batch(seed=4, rate=0.4)
    params, frozen = train.split_model(model)
    _, gb = jax.jit(train.make_value_and_grad(BPTT))(params, frozen, x, y, w)
    _, ge = jax.jit(train.make_value_and_grad(EPROP))(params, frozen, x, y, w)
    a, b = np.asarray(gb.weights[0]).ravel(), np.asarray(ge.weights[0]).ravel()
    assert np.dot(a, b) / np.linalg.norm(a) / np.linalg.norm(b) < 0.9999
    np.testing.assert_allclose(gb.readout, ge.readout, rtol=1e-4, atol=1e-6)  # readout stays exact


@pytest.mark.parametrize("alg", [BPTT, EPROP], ids=["bptt", "eprop"])
def test_padding_samples_do_not_change_the_gradient(alg):
    model = small_model(width=12)
    x, y, _ = _batch(seed=5, b=3)
    params, frozen = train.split_model(model)
    fn = jax.jit(train.make_value_and_grad(alg))
    r3, g3 = fn(params, frozen, x, y, jnp.ones(3))
    noise = jax.random.uniform(jax.random.key(9), x[:2].shape)
    xp = jnp.concatenate([x, noise])
    yp = jnp.concatenate([y, jnp.array([0, 1])])
    r5, g5 = fn(params, frozen, xp, yp, jnp.array([1.0, 1, 1, 0, 0]))
    np.testing.assert_allclose(r3.loss, r5.loss, rtol=1e-6)
    assert float(r5.count) == 3.0
    for a, b in zip(_leaves(g3), _leaves(g5)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
