"""Classification losses on the output of `snn.run` for ONE sample (vmap for a batch).

Shapes: `spikes` / `v` (T, C) output over T steps for C classes, `label` an int in [0, C).
Every loss returns a scalar; all are differentiable through the surrogate of the spikes.

| function                     | logits                                 | as in          |
|------------------------------|----------------------------------------|----------------|
| `rate_cross_entropy`         | spikes_t at every step, CE averaged    | snnTorch ce_rate_loss |
| `count_cross_entropy`        | sum_t spikes_t (spike count)           | snnTorch ce_count_loss |
| `max_over_time_cross_entropy`| max_t v_t (LI readout membrane)        | Cramer et al. 2020 (SHD) |
| `first_spike_cross_entropy`  | -t_first / tau (earlier = larger)      | temporal coding |
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike

from ._errors import ParameterError, ShapeError


def _check(name: str, outputs: Array) -> Array:
    outputs = jnp.asarray(outputs)
    if outputs.ndim != 2:
        raise ShapeError(
            f"{name} expects outputs of shape (T, C) for ONE sample, got {outputs.shape}; "
            "jax.vmap it over a batch."
        )
    return outputs


def cross_entropy(logits: ArrayLike, label: ArrayLike) -> Array:
    """-log softmax(logits)[label] for logits (C,) and an int label: scalar."""
    logits = jnp.asarray(logits)
    return -jax.nn.log_softmax(logits)[label]


def rate_cross_entropy(spikes: ArrayLike, label: ArrayLike) -> Array:
    """Mean over steps of the cross-entropy of the spikes of each step as logits.

    L = (1/T) sum_t CE(spikes_t, label);  spikes (T, C) -> scalar.
    """
    spikes = _check("rate_cross_entropy", spikes)
    return jnp.mean(jax.vmap(cross_entropy, in_axes=(0, None))(spikes, label))


def count_cross_entropy(spikes: ArrayLike, label: ArrayLike) -> Array:
    """Cross-entropy of the spike counts: L = CE(sum_t spikes_t, label); (T, C) -> scalar."""
    spikes = _check("count_cross_entropy", spikes)
    return cross_entropy(jnp.sum(spikes, axis=0), label)


def max_over_time_cross_entropy(v: ArrayLike, label: ArrayLike) -> Array:
    """Cross-entropy of the maximum over time: L = CE(max_t v_t, label); (T, C) -> scalar."""
    v = _check("max_over_time_cross_entropy", v)
    return cross_entropy(jnp.max(v, axis=0), label)


def first_spike_time(spikes: ArrayLike) -> Array:
    """Step of the first spike of each output, T where none: (T, C) -> (C,).

    Computed as sum_t prod_{s <= t} (1 - spikes_s) (the number of steps before the first
    spike), exact for binary spikes and differentiable through their surrogate.
    """
    spikes = _check("first_spike_time", spikes)
    silent_so_far = jnp.cumprod(1.0 - spikes, axis=0)
    return jnp.sum(silent_so_far, axis=0)


def first_spike_cross_entropy(spikes: ArrayLike, label: ArrayLike, *, tau: float = 1.0) -> Array:
    """Cross-entropy of negative first-spike times: L = CE(-t_first / tau, label), so the
    target class is pushed to fire first; (T, C) -> scalar. Outputs that never spike count
    as t_first = T."""
    if not tau > 0:
        raise ParameterError(f"first_spike_cross_entropy tau={tau} must be > 0.")
    return cross_entropy(-first_spike_time(spikes) / tau, label)
