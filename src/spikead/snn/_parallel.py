"""Parallel-in-time execution of ONE sample: `run_parallel` (and `run(..., mode="parallel")`).

Layers of a `Sequential` see the output of the same step, so a feed-forward network can be
run layer by layer, each layer over all T steps at once:

- stateless layers (`eqx.nn.Linear`, `Flatten`, ...) on the whole (T, ...) array;
- linear leaky layers (`LI`, the synaptic current of `CuBaLIF`, `SpikeCounter`) exactly,
  as the linear recurrence v_t = a_t * v_{t-1} + b_t solved by `jax.lax.associative_scan`
  (O(log T) depth; the sums are reordered, so values equal the sequential scan's up to
  float rounding);
- spiking layers with a reset (`LIF`, `IAF`, `CuBaLIF`) by fixed-point iteration: given a
  spike train z, the membrane is a linear recurrence in v (the reset by z_{t-1} only sets
  a_t, b_t), solved by the associative scan; then z <- H(v - threshold), until the spike
  train stops changing. Starting from z = 0, after k iterations steps 0..k-1 are exact
  (step t depends only on spikes before t), so T iterations always reach the sequential
  spike train; an unchanged spike train is the unique fixed point, hence exact too.

Convergence is checked and reported in a `ParallelInfo` (iterations, residual = number of
spike entries changed by the last iteration, converged). With `max_iter < T` a layer that
has not converged falls back to the sequential scan (`lax.cond`; under `vmap` both
branches run), sets `info.fallback` and warns at run time (`ParallelFallbackWarning`).

Gradients: the fixed point is found without gradient. One differentiable pass then
linearises the closed membrane map v_{t-1} -> v_t (z_{t-1} = H(v_{t-1} - threshold) with
its surrogate derivative) around the converged trajectory v*:
    v_t = J_t v_{t-1} + (g_t(v*_{t-1}) - J_t v*_{t-1}),   J_t = d g_t / d v_{t-1} at v*,
an affine recurrence solved by the associative scan whose value is v* and whose
derivative w.r.t. parameters, inputs and initial state is the sequential scan's (BPTT with
the surrogate) up to rounding. The forward values returned are the converged v* and
spikes exactly.

Supported: `Sequential`, `Residual`, stateless layers, `LI`, `LIF`, `IAF`, `CuBaLIF`,
`SpikeCounter`. Others raise `ParameterError` (use `mode="sequential"`).
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
from jax import lax
from jaxtyping import Array, ArrayLike

from ._base import State, init_layer_state, is_stateful
from ._errors import ParameterError, ShapeError
from ._layers import Residual, SpikeCounter
from ._lif import IAF, LI, LIF, CuBaLIF
from ._neuron_base import apply_reset
from ._sequential import Sequential

logger = logging.getLogger(__name__)


class ParallelFallbackWarning(RuntimeWarning):
    """A spiking layer did not converge within `max_iter`; its sequential scan was used."""


class ParallelInfo(eqx.Module):
    """Convergence report of `run_parallel`, one entry per iterated (spiking) layer, in order.

    Attributes:
        iterations: (L,) int32, fixed-point iterations done per spiking layer.
        residual: (L,) int32, spike entries changed by the last iteration (0 when the spike
            train was confirmed unchanged; may be > 0 after T iterations, which are exact).
        converged: (L,) bool, the parallel result is exact (unchanged or T iterations).
        fallback: () bool, some layer did not converge and ran the sequential scan.
    """

    iterations: Array
    residual: Array
    converged: Array
    fallback: Array


# ---------------------------------------------------------------- linear recurrences


def _combine(left, right):
    a1, b1 = left
    a2, b2 = right
    return a1 * a2, a2 * b1 + b2


def linear_scan(a: Array, b: Array, v0: Array) -> Array:
    """Solve v_t = a_t * v_{t-1} + b_t for t = 0..T-1 with v_{-1} = v0, in parallel.

    Args:
        a, b: (T, *N) coefficients (a broadcastable to b).
        v0: (*N) initial value.
    Returns:
        v: (T, *N).
    """
    a = jnp.broadcast_to(a, b.shape)
    b = b.at[0].add(a[0] * v0)
    _, v = lax.associative_scan(_combine, (a, b))
    return v


def _shift(v: Array, first: Array) -> Array:
    """(T, *N) -> (T, *N): entry t is v[t-1], entry 0 is `first`."""
    return jnp.concatenate([first[None], v[:-1]], axis=0)


# ---------------------------------------------------------------- spiking layers


class _ResetNeuron(eqx.Module):
    """The part of LIF / IAF / CuBaLIF solved by fixed-point iteration: the membrane
    v_t = g(v_{t-1}, z_{t-1}, i_t) (affine in v_{t-1} for a fixed spike z_{t-1}) and the spike
    z_t = H(v_t - threshold); `i` is the input current (T, *N)."""

    neuron: Any

    def membrane(self, v: Array, z: Array, i: Array) -> Array:
        n = self.neuron
        r = apply_reset(v, z, n.threshold, n.reset, n.stop_reset_grad)
        return r + i if isinstance(n, IAF) else n.beta * r + i

    def spike(self, v: Array) -> Array:
        return self.neuron.surrogate(v - self.neuron.threshold)


def _solve_membrane(cell: _ResetNeuron, z: Array, i: Array, v0: Array, z0: Array) -> Array:
    """Membrane (T, *N) for a given spike train z (T, *N): one associative scan."""
    z_prev = _shift(z, z0)
    zeros = jnp.zeros_like(i)
    membrane = jax.vmap(cell.membrane)  # over time (no implicit rank promotion)
    b = membrane(zeros, z_prev, i)
    a = jax.jvp(lambda v: membrane(v, z_prev, i), (zeros,), (jnp.ones_like(i),))[1]
    return linear_scan(a, b, v0)


def _fixed_point(cell: _ResetNeuron, i: Array, v0: Array, z0: Array, max_iter: int):
    """Iterate spikes -> membrane -> spikes (no gradient). Returns (v, z, iters, residual)."""
    length = i.shape[0]

    def body(carry):
        _, z, k, _ = carry
        v = _solve_membrane(cell, z, i, v0, z0)
        z_new = jax.vmap(lambda v: v > cell.neuron.threshold)(v).astype(z.dtype)
        changed = jnp.sum(z_new != z, dtype=jnp.int32)
        return v, z_new, k + 1, changed

    def cond(carry):
        _, _, k, changed = carry
        return (changed > 0) & (k < max_iter)

    zeros = jnp.zeros_like(i)
    init = (zeros, zeros, jnp.int32(0), jnp.int32(1))
    v, z, iters, residual = lax.while_loop(cond, body, init)
    converged = (residual == 0) | (iters >= length)
    return v, z, iters, residual, converged


def _linearised_pass(cell: _ResetNeuron, v_star: Array, i: Array, v0: Array, z0: Array):
    """Differentiable membrane around the converged v* (see module doc): value v*, the
    sequential scan's derivative."""
    v_prev = lax.stop_gradient(_shift(v_star, v0))
    closed = jax.vmap(lambda v, i: cell.membrane(v, cell.spike(v), i))
    g, jac = jax.jvp(lambda v: closed(v, i), (v_prev,), (jnp.ones_like(v_prev),))
    first = cell.membrane(v0, z0, i[0])  # step 0 uses the given initial state
    g = g.at[0].set(first)
    jac = lax.stop_gradient(jac).at[0].set(0.0)
    v_lin = linear_scan(jac, g - jac * v_prev, jnp.zeros_like(v0))
    return lax.stop_gradient(v_star) + (v_lin - lax.stop_gradient(v_lin))


def _sequential_cell(cell: _ResetNeuron, state: tuple, i: Array) -> tuple[tuple, Array]:
    """The fallback: a plain `lax.scan` of the membrane and spike over the current i (T, *N)."""

    def step(carry, i_t):
        v, z = carry
        v = cell.membrane(v, z, i_t)
        z = cell.spike(v)
        return (v, z), z

    return lax.scan(step, state, i)


def _warn_fallback(fallback, iterations, residual) -> None:
    if bool(fallback):
        msg = (f"run_parallel: the spike train did not converge within max_iter "
               f"(iterations {iterations.tolist()}, changed spikes in the last iteration "
               f"{residual.tolist()}); the sequential scan was used for those layers. Raise "
               "max_iter (T iterations are always exact) or use mode='sequential'.")
        logger.warning(msg)
        warnings.warn(msg, ParallelFallbackWarning, stacklevel=2)


def _spiking_layer(layer, state, xs, max_iter, infos):
    """LIF / IAF / CuBaLIF over all steps: fixed point, linearised pass, optional fallback."""
    length = xs.shape[0]
    if isinstance(layer, CuBaLIF):
        i0, v0, z0 = state
        i = linear_scan(layer.alpha, xs, i0)
    else:
        v0, z0 = state
        i = xs
    cell = _ResetNeuron(layer)
    nograd = lambda t: jax.tree.map(lax.stop_gradient, t)
    v_star, _, iters, residual, converged = _fixed_point(
        nograd(cell), nograd(i), nograd(v0), nograd(z0), min(max_iter, length))
    infos.append((iters, residual, converged))

    def parallel(operands):
        i, v0, z0 = operands
        v = _linearised_pass(cell, v_star, i, v0, z0)
        z = jax.vmap(cell.spike)(v)
        return (v[-1], z[-1]), z

    if max_iter >= length:  # T iterations are exact: no fallback needed
        (v_last, z_last), zs = parallel((i, v0, z0))
    else:
        def sequential(operands):
            i, v0, z0 = operands
            return _sequential_cell(cell, (v0, z0), i)

        (v_last, z_last), zs = lax.cond(converged, parallel, sequential, (i, v0, z0))
    new_state = (i[-1], v_last, z_last) if isinstance(layer, CuBaLIF) else (v_last, z_last)
    return new_state, zs


# ---------------------------------------------------------------- dispatch over layers


def _stateless(layer, xs: Array) -> Array:
    from ._run import _apply_leading  # _run imports this module lazily; no cycle at import

    return _apply_leading(layer, xs, 1)


def _layer_over_time(layer: Any, state: State, xs: Array, max_iter: int, infos: list):
    """(new_state, ys) of `layer` run over xs (T, *in) from `state`."""
    if not is_stateful(layer):
        return state, _stateless(layer, xs)
    if isinstance(layer, Sequential):
        states = []
        for sub, s in zip(layer.layers, state):
            s, xs = _layer_over_time(sub, s, xs, max_iter, infos)
            states.append(s)
        return tuple(states), xs
    if isinstance(layer, Residual):
        state, ys = _layer_over_time(layer.block, state, xs, max_iter, infos)
        return state, xs + ys
    if type(layer) is LI:
        (v0,) = state
        v = linear_scan(layer.beta, xs, v0)
        return (v[-1],), v
    if type(layer) is SpikeCounter:
        (c0,) = state
        c = c0[None] + jnp.cumsum(xs, axis=0)
        return (c[-1],), c
    if type(layer) in (LIF, IAF, CuBaLIF):
        layer._check_input(xs[0])
        return _spiking_layer(layer, state, xs, max_iter, infos)
    raise ParameterError(
        f"run_parallel has no parallel rule for {type(layer).__name__}; supported: "
        f"{', '.join(SUPPORTED)} and stateless layers. Use mode='sequential' for this model."
    )


SUPPORTED = ("Sequential", "Residual", "LI", "LIF", "IAF", "CuBaLIF", "SpikeCounter")


def run_parallel(
    model: Any,
    xs: ArrayLike,
    state: State | None = None,
    *,
    max_iter: int | None = None,
) -> tuple[State, Array, ParallelInfo]:
    """Run `model` over the time axis of ONE sample in parallel (see module doc).

    Args:
        model: a supported layer or feed-forward network (module doc).
        xs: inputs (T, *in_shape).
        state: initial state; default `model.init_state(in_shape)`.
        max_iter: most fixed-point iterations per spiking layer (default T, always exact);
            a layer not converged within it falls back to the sequential scan, warning.

    Returns:
        `(final_state, ys, info)`: as `snn.run` (ys (T, *out_shape)) plus a `ParallelInfo`.
        Batch with `jax.vmap(lambda x: snn.run_parallel(model, x)[1])(xs)`.
    """
    xs = jnp.asarray(xs)
    if xs.ndim < 1:
        raise ShapeError(f"run_parallel expects xs of shape (T, *in_shape), got {xs.shape}.")
    length = xs.shape[0]
    if max_iter is None:
        max_iter = length
    if not isinstance(max_iter, int) or max_iter < 1:
        raise ParameterError(
            f"max_iter={max_iter!r} must be a positive int (T = {length} is always exact).")
    if state is None:
        state = init_layer_state(model, xs.shape[1:])
    infos: list = []
    final, ys = _layer_over_time(model, state, xs, max_iter, infos)
    info = _make_info(infos)
    jax.debug.callback(_warn_fallback, info.fallback, info.iterations, info.residual)
    return final, ys, info


def _make_info(infos: list) -> ParallelInfo:
    if not infos:
        empty_i = jnp.zeros((0,), jnp.int32)
        return ParallelInfo(empty_i, empty_i, jnp.zeros((0,), bool), jnp.asarray(False))
    iters, residual, converged = (jnp.stack(col) for col in zip(*infos))
    return ParallelInfo(iters, residual, converged, ~jnp.all(converged))
