"""Run a layer or network over time with `lax.scan`: `run` (one sample) and `run_batched`.

Burn-in: with `burn_in=k` the first k steps only warm up the state: they run under
`stop_gradient` (the state entering step k is a constant for AD, so neither parameters
nor inputs get gradient from steps 0..k-1) and their outputs are dropped: `ys` holds steps
k..T-1.

Variable-length sequences: pad to a common T and pass `mask` (1 for real steps, 0 for
padding). Where `mask[t] == 0` the state is left unchanged (frozen) and the output of that
step is zero, so the final state is the state after the last real step.
"""

from __future__ import annotations

import functools
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
from jax import lax
from jaxtyping import Array, ArrayLike, PRNGKeyArray

from ._base import State, apply_layer, check_shape, init_layer_state, is_stateful
from ._errors import ParameterError, ShapeError
from ._graph import Graph
from ._sequential import Sequential


def _masked_step(model: Any, all_outputs: bool, state: State, inputs) -> tuple[State, Any]:
    """One step of one sample; `inputs = (x, m, key)` with m, key possibly None."""
    x, m, key = inputs
    if all_outputs:
        new_state, y = model.step_all(state, x, key=key)
    else:
        new_state, y = apply_layer(model, state, x, key)
    if m is not None:
        keep = m > 0
        new_state = jax.tree.map(lambda new, old: jnp.where(keep, new, old), new_state, state)
        y = jax.tree.map(lambda a: jnp.where(keep, a, jnp.zeros_like(a)), y)
    return new_state, y


def _hoist_stateless_prefix(model: Any, key, all_outputs: bool) -> tuple[tuple, Any]:
    """Split a Sequential into its leading stateless layers and the rest.

    Leading stateless layers (e.g. the input `eqx.nn.Linear`) do not depend on the state,
    so `run` applies them to all T steps at once before the scan: one (T, M) x (M, N)
    product instead of T small ones, as a hand-written scan would do. Not applied with
    a `key` (stochastic layers get per-step keys) or `all_outputs` (which records them).
    """
    if not isinstance(model, Sequential) or key is not None or all_outputs:
        return (), model
    k = 0
    while k < len(model.layers) - 1 and not is_stateful(model.layers[k]):
        k += 1
    if k == 0:
        return (), model
    return model.layers[:k], Sequential(*model.layers[k:])


def _apply_over_leading_axes(layers: tuple, xs: Array, n_axes: int) -> Array:
    """Apply stateless `layers` to every element of xs's first `n_axes` axes (T[, B])."""
    for layer in layers:
        xs = _apply_leading(layer, xs, n_axes)
    return xs


def _apply_leading(layer: Any, xs: Array, n_axes: int) -> Array:
    """`layer` on every element of the leading axes: xs (T[, B], *in) -> (T[, B], *out).

    An `eqx.nn.Linear` on vector inputs is one contraction (T[, B], M) x (N, M) ->
    (T[, B], N), written as a hand-made scan would; a `vmap` of `weight @ x` puts the
    batch axes last and costs two transposes of the whole activation (measured 2-3x on
    the forward pass at N=128) plus a slower weight-gradient product. Other layers are
    vmapped.
    """
    if (
        isinstance(layer, eqx.nn.Linear)
        and layer.in_features != "scalar"
        and layer.out_features != "scalar"
        and xs.shape[n_axes:] == (layer.in_features,)
    ):
        ys = jnp.einsum("...m,nm->...n", xs, layer.weight)
        if layer.bias is None:
            return ys
        return ys + layer.bias.reshape((1,) * n_axes + layer.bias.shape)
    apply = lambda x: apply_layer(layer, (), x)[1]
    for _ in range(n_axes):
        apply = jax.vmap(apply)
    return apply(xs)


def _check_all_outputs(model: Any, all_outputs: bool) -> None:
    if all_outputs and not isinstance(model, (Sequential, Graph)):
        raise ParameterError(
            f"all_outputs=True needs a network (Sequential or Graph) with step_all, got "
            f"{type(model).__name__}; drop all_outputs for a single layer."
        )


def _scan_with_burn_in(step, state, inputs, length: int, burn_in: int, unroll):
    if burn_in:
        warm = jax.tree.map(lambda a: a[:burn_in], inputs)
        state, _ = lax.scan(step, state, warm, unroll=unroll)
        state = lax.stop_gradient(state)
        inputs = jax.tree.map(lambda a: a[burn_in:], inputs)
    return lax.scan(step, state, inputs, length=length - burn_in, unroll=unroll)


def _run_time_major(
    model, state, xs, mask, keys, *, batched: bool, burn_in: int, unroll, all_outputs: bool
):
    """Scan `model` over xs (T, [B,] ...): hoist stateless input layers, then `lax.scan`."""
    _check_all_outputs(model, all_outputs)
    prefix, core = _hoist_stateless_prefix(model, keys, all_outputs)
    if prefix:
        xs = _apply_over_leading_axes(prefix, xs, 2 if batched else 1)
    step = functools.partial(_masked_step, core, all_outputs)
    step = jax.vmap(step) if batched else step
    core_state = state[len(prefix) :] if prefix else state
    final, ys = _scan_with_burn_in(step, core_state, (xs, mask, keys), xs.shape[0], burn_in, unroll)
    return (tuple(state[: len(prefix)]) + tuple(final) if prefix else final), ys


def _check_time(length: int, burn_in: int) -> None:
    if not 0 <= burn_in < length:
        raise ParameterError(
            f"burn_in={burn_in} must satisfy 0 <= burn_in < T = {length} (the number of "
            "time steps); lower burn_in or pass a longer sequence."
        )


def _check_parallel_options(**options) -> None:
    defaults = {"unroll": 1, "burn_in": 0, "key": None, "mask": None, "all_outputs": False}
    for name, value in options.items():
        default = defaults[name]
        if (value is not None) if default is None else (value != default):
            raise ParameterError(
                f"run(mode='parallel') does not support {name}={value!r}; drop it or use "
                "mode='sequential'."
            )


def run(
    model: Any,
    xs: ArrayLike,
    state: State | None = None,
    *,
    unroll: int | bool = 1,
    burn_in: int = 0,
    key: PRNGKeyArray | None = None,
    mask: ArrayLike | None = None,
    all_outputs: bool = False,
    mode: str = "sequential",
) -> tuple[State, Any]:
    """Run `model` over the time axis of ONE sample.

    Args:
        model: a layer or network (stateful or stateless).
        xs: inputs (T, *in_shape).
        state: initial state; default `model.init_state(in_shape)`.
        unroll: `lax.scan` unroll factor.
        burn_in: number of leading warm-up steps run without gradient (see module doc).
        key: PRNG key, split into one key per step (for stochastic layers).
        mask: (T,) 1 for real steps, 0 for padding (state frozen, output zero).
        all_outputs: record every layer's output (networks only): ys is then the
            `step_all` structure (tuple for Sequential, dict for Graph) of stacked arrays.
        mode: "sequential" (a `lax.scan`) or "parallel" (`snn.run_parallel`: associative
            scans and fixed-point iteration over time, feed-forward models only, without
            unroll / burn_in / key / mask / all_outputs; use `run_parallel` for its
            convergence report).

    Returns:
        `(final_state, ys)` with ys (T - burn_in, *out_shape).

    Batch with `jax.vmap(lambda x: snn.run(model, x)[1])(xs)` or `run_batched`.
    """
    if mode == "parallel":
        _check_parallel_options(
            unroll=unroll, burn_in=burn_in, key=key, mask=mask, all_outputs=all_outputs
        )
        from ._parallel import run_parallel  # lazy: _parallel reuses this module's helpers

        final, ys, _ = run_parallel(model, xs, state)
        return final, ys
    if mode != "sequential":
        raise ParameterError(f"run mode={mode!r}; use 'sequential' or 'parallel'.")
    xs = jnp.asarray(xs)
    if xs.ndim < 1:
        raise ShapeError(f"run expects xs of shape (T, *in_shape), got a scalar {xs.shape}.")
    length = xs.shape[0]
    _check_time(length, burn_in)
    if mask is not None:
        mask = jnp.asarray(mask)
        check_shape("run mask", (length,), mask.shape, "The mask has one entry per time step.")
    if state is None:
        state = init_layer_state(model, xs.shape[1:])
    keys = None if key is None else jax.random.split(key, length)
    return _run_time_major(
        model,
        state,
        xs,
        mask,
        keys,
        batched=False,
        burn_in=burn_in,
        unroll=unroll,
        all_outputs=all_outputs,
    )


def run_batched(
    model: Any,
    xs: ArrayLike,
    state: State | None = None,
    *,
    unroll: int | bool = 1,
    burn_in: int = 0,
    key: PRNGKeyArray | None = None,
    mask: ArrayLike | None = None,
    all_outputs: bool = False,
) -> tuple[State, Any]:
    """Run `model` over a batch: xs (B, T, *in_shape) -> (final_state, ys (B, T - burn_in, ...)).

    Same result as `jax.vmap` of `run`; internally time-major (one `lax.scan` over T of a
    step vmapped over B). `state` (if given) has a leading B axis on every leaf; `mask` is
    (B, T) or (T,); `key` is split into one key per step and sample; `all_outputs` as in
    `run` (every recorded array is (B, T - burn_in, ...)).
    """
    xs = jnp.asarray(xs)
    if xs.ndim < 2:
        raise ShapeError(
            f"run_batched expects xs of shape (B, T, *in_shape), got {xs.shape}; "
            "use snn.run for one sample."
        )
    batch, length = xs.shape[:2]
    _check_time(length, burn_in)
    if state is None:
        single = init_layer_state(model, xs.shape[2:])
        state = jax.tree.map(lambda a: jnp.broadcast_to(a, (batch, *a.shape)), single)
    if mask is not None:
        mask = jnp.asarray(mask)
        if mask.shape == (length,):
            mask = jnp.broadcast_to(mask, (batch, length))
        check_shape("run_batched mask", (batch, length), mask.shape, "Use (B, T) or (T,).")
        mask = jnp.swapaxes(mask, 0, 1)
    keys = None if key is None else jax.random.split(key, (length, batch))
    state, ys = _run_time_major(
        model,
        state,
        jnp.swapaxes(xs, 0, 1),
        mask,
        keys,
        batched=True,
        burn_in=burn_in,
        unroll=unroll,
        all_outputs=all_outputs,
    )
    return state, jax.tree.map(lambda a: jnp.swapaxes(a, 0, 1), ys)
