"""MLP and encoder tasks against independent formulations."""

import jax
import jax.numpy as jnp
import numpy as np
import optax

from spikead import tasks
from spikead.tasks import nn


def test_mlp_matches_independent_numpy():
    task = tasks.load("MLP_v0")
    x, w1, b1, w2, b2, gamma, beta, labels = (np.array(a, np.float64) for a in task.args)
    z = np.tanh(np.tanh(x @ w1 + b1) @ w2 + b2)
    zn = (z - z.mean(-1, keepdims=True)) / np.sqrt(z.var(-1, keepdims=True) + 1e-5)
    logits = zn * gamma + beta
    logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    expected = -(labels * logp).sum(-1).mean()
    np.testing.assert_allclose(jax.jit(task.fn)(*task.args), expected, rtol=1e-5)


def test_cross_entropy_matches_optax():
    logits = jnp.array([[0.3, -1.2, 2.0], [0.0, 0.5, -0.5]])
    labels = jnp.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    np.testing.assert_allclose(
        nn.softmax_cross_entropy(logits, labels),
        optax.softmax_cross_entropy(logits, labels),
        rtol=1e-6,
    )


def test_encoder_is_permutation_equivariant():
    # No positional encoding: swapping the two tokens (and their labels) swaps the losses.
    task = tasks.load("Encoder_v0")
    fn = jax.jit(task.fn)
    args = list(task.args)
    swapped = [args[0][::-1]] + args[1:-1] + [args[-1][::-1]]
    np.testing.assert_allclose(fn(*swapped), fn(*args)[::-1], rtol=1e-5)


def test_encoder_shapes_documented():
    task = tasks.load("Encoder_v0")
    assert task.args[0].shape == (2, 3)
    assert len(task.args) == 1 + 2 * 9 + 2
    assert task.args[-1].shape == (2, 2) and task.argnums == tuple(range(len(task.args) - 1))
