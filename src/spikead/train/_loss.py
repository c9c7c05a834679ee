"""Per-step softmax cross-entropy summed over time, and the summed-readout prediction.

Targets are per-step class weights: `target_t = w * one_hot(label)` (C,), so a padded
sample (w = 0) contributes nothing and real samples (w = 1) give plain cross-entropy.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jaxtyping import Array


def step_cross_entropy(y_t: Array, target_t: Array) -> Array:
    """Cross-entropy of one step: logits y_t (C,), weighted one-hot target_t (C,) -> scalar."""
    return -jnp.sum(target_t * jax.nn.log_softmax(y_t))


def make_targets(labels: Array, weights: Array, n_classes: int, n_steps: int) -> Array:
    """Per-step targets (B, T, C) = weights[b] * one_hot(labels[b]) repeated over T."""
    onehot = jax.nn.one_hot(labels, n_classes, dtype=jnp.float32) * weights[:, None]
    return jnp.broadcast_to(onehot[:, None, :], (labels.shape[0], n_steps, n_classes))


def sequence_loss(ys: Array, label: Array) -> Array:
    """Loss of one sample: logits ys (T, C), integer label -> sum_t CE(y_t, label)."""
    return -jnp.sum(jnp.take(jax.nn.log_softmax(ys, axis=-1), label, axis=-1))


def predict(ys: Array) -> Array:
    """Prediction = argmax of the readout summed over time: ys (..., T, C) -> (...,) int."""
    return jnp.argmax(jnp.sum(ys, axis=-2), axis=-1)
