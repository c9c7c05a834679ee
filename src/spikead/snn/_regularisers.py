"""Spike-rate regularisers for ONE sample's spike train (vmap or average over a batch).

Shapes: `spikes` (T, *N) over T steps for neurons of shape N; rates are per neuron,
r_n = (1/T) sum_t spikes[t, n] (spikes per step). Every function returns a scalar.
"""

from __future__ import annotations

import jax.numpy as jnp
from jaxtyping import Array, ArrayLike

from ._errors import ParameterError, ShapeError


def firing_rate(spikes: ArrayLike) -> Array:
    """Mean spikes per step of each neuron: (T, *N) -> (*N)."""
    spikes = jnp.asarray(spikes)
    if spikes.ndim < 1:
        raise ShapeError(f"firing_rate expects spikes of shape (T, *N), got {spikes.shape}.")
    return jnp.mean(spikes, axis=0)


def rate_l2(spikes: ArrayLike, target: float = 0.0) -> Array:
    """Mean squared deviation of the rates from `target`: mean_n (r_n - target)^2."""
    return jnp.mean((firing_rate(spikes) - target) ** 2)


def spike_count_l1(spikes: ArrayLike) -> Array:
    """Total number of spikes, sum_{t,n} |spikes[t, n]| (an activity / energy penalty)."""
    return jnp.sum(jnp.abs(jnp.asarray(spikes)))


def rate_bounds(spikes: ArrayLike, low: float | None = None, high: float | None = None) -> Array:
    """Penalty for rates outside [low, high] (Zenke & Vogels 2021 style bounds):

    mean_n relu(low - r_n)^2 + mean_n relu(r_n - high)^2   (a missing bound adds 0)
    """
    if low is not None and high is not None and low > high:
        raise ParameterError(f"rate_bounds low={low} > high={high}; use low <= high.")
    rate = firing_rate(spikes)
    penalty = jnp.zeros((), rate.dtype)
    if low is not None:
        penalty = penalty + jnp.mean(jnp.maximum(low - rate, 0.0) ** 2)
    if high is not None:
        penalty = penalty + jnp.mean(jnp.maximum(rate - high, 0.0) ** 2)
    return penalty
