"""Chunked (blocked) parallel-in-time solvers used by `run_parallel(method="chunked")`.

The T steps are cut into K = ceil(T / C) chunks of C steps (the last one padded). All
chunks run at once: a `lax.scan` over the C steps of a chunk whose carry holds every
chunk's state (width K * N), so one pass has C + K sequential steps instead of T, and
every step is the sequential scan's own arithmetic on a wider array.

- `chunked_linear_scan`: v_t = a_t v_{t-1} + b_t; each chunk is solved from 0 together
  with its decay product, a scan over the K chunk ends carries the true start values, and
  one elementwise pass adds them (values equal the sequential recursion up to rounding;
  differentiable, its transpose is again chunked).
- `chunked_fixed_point`: a spiking layer's (membrane, spike) recurrence, which is not
  linear, by Newton iteration on the chunk start states (multiple shooting): every pass
  runs all chunks from the current start states and also returns d(end membrane) /
  d(start membrane) of each chunk (zero once a zero-reset spike happened in it); a scan
  over the chunks then updates the starts by Newton, s_{j+1} <- e_j + d_j (s_j' - s_j)
  (exact for chunks without a spike, e.g. silent neurons, which a plain Jacobi iteration
  would need hundreds of steps of geometric decay to settle). Chunk 0 starts from the
  true state, so after k passes chunks 0..k-1 are exact: K passes always reach the
  sequential result. The iteration stops when every chunk's start spike equals the end
  spike of the chunk before and its start membrane matches that end membrane within
  `rtol * (|v| + |threshold|)`; the result is then the sequential trajectory up to
  rounding-sized perturbations at the chunk starts (the spikes are the sequential ones
  unless a membrane comes within about that distance of the threshold, as with the
  reordered sums of an associative scan).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import jax
import jax.numpy as jnp
from jax import lax
from jaxtyping import Array

RTOL = 1e-5  # chunk start membranes this close (relative) to the previous end count as equal


def default_chunk(length: int) -> int:
    """Chunk length C for T steps: about sqrt(T) (C + K sequential steps per pass), >= 1."""
    return max(1, round(math.sqrt(length)))


def split_chunks(x: Array, chunk: int) -> Array:
    """(T, *N) -> (C, K, *N): chunk k holds steps k*C..k*C+C-1; the tail is zero-padded."""
    length = x.shape[0]
    count = -(-length // chunk)
    pad = count * chunk - length
    if pad:
        x = jnp.concatenate([x, jnp.zeros((pad, *x.shape[1:]), x.dtype)])
    return jnp.swapaxes(x.reshape((count, chunk, *x.shape[1:])), 0, 1)


def merge_chunks(y: Array, length: int) -> Array:
    """Inverse of `split_chunks`: (C, K, *N) -> (T, *N) without the padding."""
    chunk, count = y.shape[:2]
    return jnp.swapaxes(y, 0, 1).reshape((chunk * count, *y.shape[2:]))[:length]


def _starts(first: Array, ends: Array) -> Array:
    """(K, *N) chunk start values: `first` (*N), then the ends (K, *N) of chunks 0..K-2."""
    return jnp.concatenate([first[None], ends[:-1]], axis=0)


def chunked_linear_scan(a: Array, b: Array, v0: Array, chunk: int) -> Array:
    """Solve v_t = a_t * v_{t-1} + b_t for t = 0..T-1 with v_{-1} = v0, in chunks of `chunk`.

    Args:
        a, b: (T, *N) coefficients (a broadcastable to b).
        v0: (*N) initial value.
        chunk: steps per chunk C >= 1.
    Returns:
        v: (T, *N).
    """
    length = b.shape[0]
    a = jnp.broadcast_to(a, b.shape)
    a_c, b_c = split_chunks(a, chunk), split_chunks(b, chunk)  # padding: a = b = 0, unused

    def local(carry, ab):  # each chunk from 0, and its decay product so far
        decay, v = carry
        a_t, b_t = ab
        carry = (decay * a_t, a_t * v + b_t)
        return carry, carry

    zeros = jnp.zeros(b_c.shape[1:], b.dtype)
    (decay_end, v_end), (decay, v) = lax.scan(local, (jnp.ones_like(zeros), zeros), (a_c, b_c))

    def across(start, ends):  # the true end of each chunk from the true start
        d, e = ends
        end = d * start + e
        return end, end

    _, ends = lax.scan(across, v0, (decay_end, v_end))
    return merge_chunks(v + decay * _starts(v0, ends)[None], length)


def chunked_fixed_point(
    membrane: Callable[[Array, Array, Array], Array],
    threshold: Array,
    i: Array,
    v0: Array,
    z0: Array,
    chunk: int,
    max_iter: int,
    rtol: float = RTOL,
):
    """Membrane and spikes of v_t = membrane(v_{t-1}, z_{t-1}, i_t), z_t = H(v_t - threshold).

    `membrane(v, z, i)` acts on one step's (*N) arrays and is affine in v for fixed z.
    No gradient is taken through this search (see `run_parallel` for the gradient).

    Args:
        i: (T, *N) input current; v0, z0: (*N) initial membrane and spike.
        chunk: steps per chunk C; max_iter: most passes (K = ceil(T / C) are always exact).
    Returns:
        (v (T, *N), z (T, *N), passes, residual, converged): residual = chunk starts not
        yet consistent after the last pass (0 when converged).
    """
    length = i.shape[0]
    i_c = split_chunks(i, chunk)  # (C, K, *N)
    count = i_c.shape[1]
    step_membrane = jax.vmap(membrane)  # over the K chunks (no implicit rank promotion)
    spike = jax.vmap(lambda v: (v > threshold).astype(v.dtype))

    def run_chunks(starts_v, starts_z):
        def step(carry, i_t):
            v, z, dv = carry
            v, dv = jax.jvp(lambda v: step_membrane(v, z, i_t), (v,), (dv,))
            z = spike(v)
            return (v, z, dv), (v, z)

        init = (starts_v, starts_z, jnp.ones_like(starts_v))
        return lax.scan(step, init, i_c)

    def newton(start, args):
        end, slope, old_start = args
        start = end + slope * (start - old_start)
        return start, start

    def body(carry):
        starts_v, starts_z, _, _, passes, _ = carry
        (end_v, end_z, slope), (v, z) = run_chunks(starts_v, starts_z)
        tol = rtol * jax.vmap(lambda v: jnp.abs(v) + jnp.abs(threshold))(end_v[:-1])
        residual = jnp.sum(
            (jnp.abs(end_v[:-1] - starts_v[1:]) > tol) | (end_z[:-1] != starts_z[1:]),
            dtype=jnp.int32,
        )
        _, new_v = lax.scan(newton, v0, (end_v[:-1], slope[:-1], starts_v[:-1]))
        new_v = jnp.concatenate([v0[None], new_v], axis=0)
        new_z = _starts(z0, end_z)
        return new_v, new_z, v, z, passes + 1, residual

    def cond(carry):
        *_, passes, residual = carry
        return (residual > 0) & (passes < max_iter)

    starts_v = jnp.zeros((count, *v0.shape), i.dtype).at[0].set(v0)
    starts_z = jnp.zeros((count, *z0.shape), i.dtype).at[0].set(z0)
    init = (
        starts_v,
        starts_z,
        jnp.zeros_like(i_c),
        jnp.zeros_like(i_c),
        jnp.int32(0),
        jnp.int32(1),
    )
    _, _, v, z, passes, residual = lax.while_loop(cond, body, init)
    converged = (residual == 0) | (passes >= count)
    return merge_chunks(v, length), merge_chunks(z, length), passes, residual, converged
