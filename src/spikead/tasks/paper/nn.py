"""MLP ("Perceptron") and Encoder as the AlphaGrad paper's benchmark defines them.

Source of the benchmark: Graphax repository (Lohoff), ``src/graphax/examples/
deep_learning.py`` (``Perceptron``, ``Encoder`` and their helpers), with the argument
shapes of the authors' benchmark (``alphagrad/experiments.py``, ``make_Perceptron``,
``make_Encoder``). Every argument is differentiated, labels and the scalar layer-norm
gains included (that is how the paper gets 86 and 154 inputs).

No single stored version of ``deep_learning.py`` traces with the benchmark's shapes and
has the paper's loss, so each function combines the source's pieces as follows:

- MLP: ``W1 @ x + b1``, tanh, layer norm, ``W2 @ a1 + b2``, tanh, softmax cross-entropy
  (the paper's description; ``W @ x`` as the shapes W1 (8, 4), x (4,) require); the
  layer norm and cross-entropy are the source's keepdims versions (``softmax_cross_entropy``
  = ``-sum(labels * log(softmax(logits)))``; variance ``sum((x - mu)**2) / n``; eps 1e-6).
  vmapped over x and y with batch 1 (``make_Perceptron`` of experiments.py at 0431887).
- Encoder: two ``encoder_block`` s of the source version with ``WQ @ x`` and
  ``attn(q, k, v) = softmax(q.T @ k, axis=1) @ v``, layer norm over axis 1 without
  keepdims, ``SiLU(W @ c + b)`` with ``SiLU(x) = x * (1 / (1 + exp(-x)))`` written out, and the
  later version's output ``softmax_cross_entropy(z2, y)`` (2 per-row losses).
"""

from __future__ import annotations

import jax
import jax.nn as jnn
import jax.numpy as jnp

__all__ = ["LAYER_NORM_EPS", "encoder", "perceptron", "perceptron_batched"]

LAYER_NORM_EPS = 1e-6
"""The source's epsilon under the layer-norm square root."""


def _sigmoid(x):
    return 1.0 / (1.0 + jnp.exp(-x))


def _silu(x):
    return x * _sigmoid(x)


def _softmax_cross_entropy(logits, labels):
    """-sum(labels * log(softmax(logits))) over the last axis: (..., C) -> (...)."""
    return -jnp.sum(labels * jnp.log(jnn.softmax(logits, axis=-1)), axis=-1)


def _layer_norm_keepdims(x, gamma, beta):
    """Normalise over the last axis (keepdims statistics), then gamma * . + beta."""
    mu = jnp.mean(x, axis=-1, keepdims=True)
    n = x.shape[-1]
    sigma = jnp.sum((x - mu) ** 2, axis=-1, keepdims=True) / n
    return (x - mu) / jnp.sqrt(sigma + LAYER_NORM_EPS) * gamma + beta


def _layer_norm_axis1(x, gamma, beta):
    """The source's older layer norm: statistics over axis 1 without keepdims (so they
    broadcast along the last axis of the (n, n) activations, as in the source)."""
    mu = jnp.mean(x, axis=1)
    n = x.shape[1]
    sigma = jnp.sum((x - jnp.mean(x, axis=1)) ** 2, axis=1) / n
    return (x - mu) / jnp.sqrt(sigma + LAYER_NORM_EPS) * gamma + beta


def _attention(q, k, v):
    return jnn.softmax(q.T @ k, axis=1) @ v


def perceptron(x, y, w1, b1, w2, b2, gamma, beta):
    """Loss of the 2-layer tanh MLP with layer norm. Shapes: x (4,), y (4,) one example,
    w1 (8, 4), b1 (8,), w2 (4, 8), b2 (4,), gamma and beta scalars -> scalar."""
    a1 = jnp.tanh(w1 @ x + b1)
    a1 = _layer_norm_keepdims(a1, gamma, beta)
    a2 = jnp.tanh(w2 @ a1 + b2)
    return _softmax_cross_entropy(a2, y)


def perceptron_batched(x, y, w1, b1, w2, b2, gamma, beta):
    """`perceptron` vmapped over x (B, 4) and y (B, 4); parameters shared -> (B,)."""
    batched = jax.vmap(perceptron, in_axes=(0, 0, None, None, None, None, None, None))
    return batched(x, y, w1, b1, w2, b2, gamma, beta)


def _encoder_block(x, wq, wk, wv, w, b, gamma, beta):
    q, k, v = wq @ x, wk @ x, wv @ x
    a = x + _attention(q, k, v)
    c = _layer_norm_axis1(a, gamma, beta)
    return _silu(w @ c + b)


def encoder(x, y, wq1, wq2, wk1, wk2, wv1, wv2, w1, w2, b1, b2, gamma0, beta0, gamma1, beta1):
    """Two encoder blocks and a per-row softmax cross-entropy.

    Shapes: x (4, 4), y (2, 4), wq*, wk*, wv* (4, 4), w1 (4, 4), w2 (2, 4), b1 (4,),
    b2 (2, 1), gammas and betas scalars -> (2,).
    """
    z1 = _encoder_block(x, wq1, wk1, wv1, w1, b1, gamma0, beta0)
    z2 = _encoder_block(z1, wq2, wk2, wv2, w2, b2, gamma1, beta1)
    return _softmax_cross_entropy(z2, y)
