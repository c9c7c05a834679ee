"""Parallel-in-time execution of ONE sample: `run_parallel` (and `run(..., mode="parallel")`).

Layers of a `Sequential` see the output of the same step, so a feed-forward network can be
run layer by layer, each layer over all T steps at once:

- stateless layers (`eqx.nn.Linear`, `Flatten`, ...) on the whole (T, ...) array;
- linear leaky layers (`LI`, the synaptic current of `CuBaLIF`, `SpikeCounter`) exactly,
  as the linear recurrence v_t = a_t * v_{t-1} + b_t solved by `jax.lax.associative_scan`
  (O(log T) depth; the sums are reordered, so values equal the sequential scan's up to
  float rounding);
- spiking layers with a reset (`LIF`, `IAF`, `CuBaLIF`) by an iteration that always
  reaches the sequential result and usually stops far earlier.

Two methods (`method=`):

- "chunked" (default; `spikead.snn._chunked`): the T steps are cut into chunks of
  `chunk` steps (default about sqrt(T)) that all run at once, each pass one `lax.scan`
  over a chunk's steps on a (T/chunk)-times wider array. Linear recurrences are solved
  exactly this way (chunk ends carried by a scan over the chunks); spiking layers by
  Newton iteration on the chunk start states (K = T/chunk passes always exact; on the
  framework-comparison problem 3-9 passes). Same arithmetic as the sequential scan inside
  a chunk.
- "associative": linear recurrences by `jax.lax.associative_scan`; spiking layers by
  fixed-point iteration on the spike train: given a spike train z, the membrane is a
  linear recurrence in v (the reset by z_{t-1} only sets a_t, b_t), solved by the
  associative scan; then z <- H(v - threshold), until the spike train stops changing.
  Starting from z = 0, after k iterations steps 0..k-1 are exact (step t depends only on
  spikes before t), so T iterations always reach the sequential spike train; an
  unchanged spike train is the unique fixed point, hence exact too. It needs about as
  many iterations as a neuron has spikes, each a full O(T log T)-work scan.

Convergence is checked and reported in a `ParallelInfo` (iterations, residual = number of
spike entries changed by the last iteration ("associative") or chunk starts not yet
consistent ("chunked"), converged). With `max_iter` below the always-exact count (T, or
the number of chunks) a layer that has not converged falls back to the sequential scan (`lax.cond`; under `vmap` both
branches run), sets `info.fallback` and warns at run time (`ParallelFallbackWarning`).

Gradients: the fixed point is found without gradient. One differentiable pass then
linearises the closed membrane map v_{t-1} -> v_t (z_{t-1} = H(v_{t-1} - threshold) with
its surrogate derivative) around the converged trajectory v*:
    v_t = J_t v_{t-1} + (g_t(v*_{t-1}) - J_t v*_{t-1}),   J_t = d g_t / d v_{t-1} at v*,
an affine recurrence solved by the method's linear solver whose value is v* and whose
derivative w.r.t. parameters, inputs and initial state is the sequential scan's (BPTT with
the surrogate) up to rounding. The forward values returned are the converged v* and
its spikes.

Supported: `Sequential`, `Residual`, stateless layers, `LI`, `LIF`, `IAF`, `CuBaLIF`,
`SpikeCounter`. Others raise `ParameterError` (use `mode="sequential"`).
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
from jax import lax
from jaxtyping import Array, ArrayLike

from ._base import State, init_layer_state, is_stateful
from ._chunked import chunked_fixed_point, chunked_linear_scan, default_chunk
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
        iterations: (L,) int32, iterations (passes) done per spiking layer.
        residual: (L,) int32, what the last iteration changed: spike entries
            ("associative") or inconsistent chunk starts ("chunked"); 0 when confirmed
            converged; may be > 0 after the always-exact count of iterations.
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


METHODS = ("chunked", "associative")


@dataclass(frozen=True)
class _Plan:
    """How `run_parallel` solves recurrences: `method` (see module doc), `chunk` steps per
    chunk ("chunked"), `max_iter` iterations per spiking layer (None: always exact)."""

    method: str
    chunk: int
    max_iter: int | None

    def linear(self, a: Array, b: Array, v0: Array) -> Array:
        """v_t = a_t v_{t-1} + b_t from v0: (T, *N)."""
        if self.method == "chunked":
            return chunked_linear_scan(a, b, v0, self.chunk)
        return linear_scan(a, b, v0)

    def exact_iterations(self, length: int) -> int:
        """Iterations after which the result is always exact: T or the number of chunks."""
        return length if self.method == "associative" else -(-length // self.chunk)

    def iterations(self, length: int) -> int:
        exact = self.exact_iterations(length)
        return exact if self.max_iter is None else min(self.max_iter, exact)


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


def _linearised_pass(
    cell: _ResetNeuron, v_star: Array, i: Array, v0: Array, z0: Array, plan: _Plan
):
    """Differentiable membrane around the converged v* (see module doc): value v*, the
    sequential scan's derivative."""
    v_prev = lax.stop_gradient(_shift(v_star, v0))
    closed = jax.vmap(lambda v, i: cell.membrane(v, cell.spike(v), i))
    g, jac = jax.jvp(lambda v: closed(v, i), (v_prev,), (jnp.ones_like(v_prev),))
    first = cell.membrane(v0, z0, i[0])  # step 0 uses the given initial state
    g = g.at[0].set(first)
    jac = lax.stop_gradient(jac).at[0].set(0.0)
    v_lin = plan.linear(jac, g - jac * v_prev, jnp.zeros_like(v0))
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
        msg = (
            f"run_parallel: the spike train did not converge within max_iter "
            f"(iterations {iterations.tolist()}, changed spikes in the last iteration "
            f"{residual.tolist()}); the sequential scan was used for those layers. Raise "
            "max_iter (T iterations, or as many as chunks, are always exact) or use "
            "mode='sequential'."
        )
        logger.warning(msg)
        warnings.warn(msg, ParallelFallbackWarning, stacklevel=2)


def _search(cell: _ResetNeuron, i: Array, v0: Array, z0: Array, plan: _Plan):
    """The converged membrane without gradient: (v*, iterations, residual, converged)."""
    nograd = lambda t: jax.tree.map(lax.stop_gradient, t)
    cell, i, v0, z0 = nograd((cell, i, v0, z0))
    max_iter = plan.iterations(i.shape[0])
    if plan.method == "chunked":
        v, _, iters, residual, converged = chunked_fixed_point(
            cell.membrane, cell.neuron.threshold, i, v0, z0, plan.chunk, max_iter
        )
    else:
        v, _, iters, residual, converged = _fixed_point(cell, i, v0, z0, max_iter)
    return v, iters, residual, converged


def _spiking_layer(layer, state, xs, plan: _Plan, infos):
    """LIF / IAF / CuBaLIF over all steps: fixed point, linearised pass, optional fallback."""
    length = xs.shape[0]
    if isinstance(layer, CuBaLIF):
        i0, v0, z0 = state
        i = plan.linear(layer.alpha, xs, i0)
    else:
        v0, z0 = state
        i = xs
    cell = _ResetNeuron(layer)
    v_star, iters, residual, converged = _search(cell, i, v0, z0, plan)
    infos.append((iters, residual, converged))

    def parallel(operands):
        i, v0, z0 = operands
        v = _linearised_pass(cell, v_star, i, v0, z0, plan)
        z = jax.vmap(cell.spike)(v)
        return (v[-1], z[-1]), z

    if plan.iterations(length) >= plan.exact_iterations(length):  # exact: no fallback
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


def _layer_over_time(layer: Any, state: State, xs: Array, plan: _Plan, infos: list):
    """(new_state, ys) of `layer` run over xs (T, *in) from `state`."""
    if not is_stateful(layer):
        return state, _stateless(layer, xs)
    if isinstance(layer, Sequential):
        states = []
        for sub, s in zip(layer.layers, state):
            s, xs = _layer_over_time(sub, s, xs, plan, infos)
            states.append(s)
        return tuple(states), xs
    if isinstance(layer, Residual):
        state, ys = _layer_over_time(layer.block, state, xs, plan, infos)
        return state, xs + ys
    if type(layer) is LI:
        (v0,) = state
        v = plan.linear(layer.beta, xs, v0)
        return (v[-1],), v
    if type(layer) is SpikeCounter:
        (c0,) = state
        c = c0[None] + jnp.cumsum(xs, axis=0)
        return (c[-1],), c
    if type(layer) in (LIF, IAF, CuBaLIF):
        layer._check_input(xs[0])
        return _spiking_layer(layer, state, xs, plan, infos)
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
    method: str = "chunked",
    chunk: int | None = None,
) -> tuple[State, Array, ParallelInfo]:
    """Run `model` over the time axis of ONE sample in parallel (see module doc).

    Args:
        model: a supported layer or feed-forward network (module doc).
        xs: inputs (T, *in_shape).
        state: initial state; default `model.init_state(in_shape)`.
        max_iter: most iterations per spiking layer (default: the count that is always
            exact, T for "associative", the number of chunks for "chunked"); a layer not
            converged within it falls back to the sequential scan, warning.
        method: "chunked" or "associative" (module doc).
        chunk: steps per chunk of the "chunked" method (default about sqrt(T)).

    Returns:
        `(final_state, ys, info)`: as `snn.run` (ys (T, *out_shape)) plus a `ParallelInfo`.
        Batch with `jax.vmap(lambda x: snn.run_parallel(model, x)[1])(xs)`.
    """
    xs = jnp.asarray(xs)
    if xs.ndim < 1:
        raise ShapeError(f"run_parallel expects xs of shape (T, *in_shape), got {xs.shape}.")
    plan = _make_plan(xs.shape[0], max_iter, method, chunk)
    if state is None:
        state = init_layer_state(model, xs.shape[1:])
    infos: list = []
    final, ys = _layer_over_time(model, state, xs, plan, infos)
    info = _make_info(infos)
    jax.debug.callback(_warn_fallback, info.fallback, info.iterations, info.residual)
    return final, ys, info


def _positive_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _make_plan(length: int, max_iter, method: str, chunk) -> _Plan:
    if method not in METHODS:
        raise ParameterError(f"run_parallel method={method!r}; use one of {METHODS}.")
    if chunk is None:
        chunk = default_chunk(length)
    if not _positive_int(chunk):
        raise ParameterError(
            f"chunk={chunk!r} must be a positive int (steps per chunk); "
            "leave it None for about sqrt(T)."
        )
    plan = _Plan(method, min(chunk, length), max_iter)
    if max_iter is not None and not _positive_int(max_iter):
        raise ParameterError(
            f"max_iter={max_iter!r} must be a positive int ({plan.exact_iterations(length)} "
            f"iterations are always exact for method={method!r} and T = {length})."
        )
    return plan


def _make_info(infos: list) -> ParallelInfo:
    if not infos:
        empty_i = jnp.zeros((0,), jnp.int32)
        return ParallelInfo(empty_i, empty_i, jnp.zeros((0,), bool), jnp.asarray(False))
    iters, residual, converged = (jnp.stack(col) for col in zip(*infos))
    return ParallelInfo(iters, residual, converged, ~jnp.all(converged))
