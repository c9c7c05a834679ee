"""Input encoders: turn analog data into spike trains (T, *F) for `snn.run`.

- `rate_encode`: Bernoulli (Poisson-like) spikes with probability gain * x per step.
- `latency_encode`: one spike per feature, earlier for larger values.
- `delta_encode`: a spike where a time series changes by more than a threshold.

Shapes: `x` (*F) is one sample's features (values in [0, 1] for rate and latency);
`xs` (T, *F) a time series. Outputs are float32 with a leading time axis T.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, PRNGKeyArray

from ._errors import ParameterError, ShapeError


def _check_steps(num_steps: int) -> None:
    if not isinstance(num_steps, int) or num_steps < 1:
        raise ParameterError(f"num_steps={num_steps!r} must be a positive int (T).")


def rate_encode(x: ArrayLike, num_steps: int, *, key: PRNGKeyArray, gain: float = 1.0) -> Array:
    """Rate (Bernoulli) code: spikes[t, f] ~ Bernoulli(clip(gain * x[f], 0, 1)), independent
    over t and f.

    Args:
        x: (*F) intensities, typically in [0, 1].
        num_steps: T.
        key: PRNG key.
        gain: scales the spike probability.
    Returns:
        (T, *F) float32 spikes in {0, 1}.
    """
    _check_steps(num_steps)
    p = jnp.clip(gain * jnp.asarray(x, jnp.float32), 0.0, 1.0)
    u = jax.random.uniform(key, (num_steps, *p.shape))
    return (u < p[None]).astype(jnp.float32)


def latency_encode(
    x: ArrayLike,
    num_steps: int,
    *,
    method: str = "linear",
    tau: float = 5.0,
    threshold: float = 0.01,
) -> Array:
    """Latency code: at most one spike per feature, at step t(x); features with
    x <= threshold never spike.

        linear: t = round((1 - x) (T - 1))        (x = 1 at step 0, x -> 0 at step T-1)
        log:    t = round(tau ln(x / (x - threshold)))   (RC charging time to threshold)

    Times beyond T - 1 are dropped (no spike). Not differentiable (an input encoder).

    Args:
        x: (*F) intensities in [0, 1].
        num_steps: T.
        method: "linear" or "log".
        tau: time constant of the "log" method (steps).
        threshold: features at or below it do not spike.
    Returns:
        (T, *F) float32 spikes in {0, 1}.
    """
    _check_steps(num_steps)
    x = jnp.clip(jnp.asarray(x, jnp.float32), 0.0, 1.0)
    if method == "linear":
        t = jnp.round((1.0 - x) * (num_steps - 1))
    elif method == "log":
        safe = jnp.where(x > threshold, x, 1.0)
        t = jnp.round(tau * jnp.log(safe / jnp.maximum(safe - threshold, 1e-12)))
    else:
        raise ParameterError(f"latency_encode method={method!r}; use 'linear' or 'log'.")
    t = jnp.where(x > threshold, t, num_steps)  # never
    steps = jnp.arange(num_steps).reshape((num_steps,) + (1,) * x.ndim)
    return (steps == t[None]).astype(jnp.float32)


def delta_encode(
    xs: ArrayLike,
    threshold: float = 0.1,
    *,
    off_spikes: bool = True,
    initial: ArrayLike | None = None,
) -> Array:
    """Delta code: a spike where the signal changed by more than `threshold` since the
    previous step.

        d_t = x_t - x_{t-1}  (x_{-1} = `initial`, default x_0: no spike at t = 0)
        s_t = +1 if d_t > threshold;  -1 if d_t < -threshold and off_spikes;  else 0

    Args:
        xs: (T, *F) time series.
        threshold: change needed for a spike (>= 0).
        off_spikes: emit -1 for decreases (else only increases spike).
        initial: (*F) value before the first step.
    Returns:
        (T, *F) float32 in {-1, 0, 1} (or {0, 1} without off_spikes).
    """
    xs = jnp.asarray(xs, jnp.float32)
    if xs.ndim < 1:
        raise ShapeError(f"delta_encode expects xs of shape (T, *F), got {xs.shape}.")
    if threshold < 0:
        raise ParameterError(f"delta_encode threshold={threshold} must be >= 0.")
    first = (
        xs[0] if initial is None else jnp.broadcast_to(jnp.asarray(initial, xs.dtype), xs.shape[1:])
    )
    d = jnp.diff(xs, axis=0, prepend=first[None])
    on = (d > threshold).astype(jnp.float32)
    if not off_spikes:
        return on
    return on - (d < -threshold).astype(jnp.float32)
