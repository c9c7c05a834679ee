"""Measurement of a JAX peer: compile time, XLA memory, timings, spikes, RSS."""

from __future__ import annotations

import functools
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from .._capped import time_pair_capped
from .._compiled import compile_time, compile_time_and_memory
from .._timing import synchronize
from ._protocol import (
    LIFProblem,
    PeerResult,
    PeerSettings,
    capped_fields,
    peak_rss_since_reset,
    reset_peak_rss,
    save_spikes,
)

__all__ = ["measure_jax", "superspike"]


@functools.partial(jax.custom_jvp, nondiff_argnums=(1,))
def superspike(x: jax.Array, slope: float = 10.0) -> jax.Array:
    """Heaviside ``H(x) = 1 if x > 0`` with fast-sigmoid derivative ``1/(1+slope|x|)^2``."""
    return (x > 0).astype(x.dtype)


@superspike.defjvp
def _superspike_jvp(slope, primals, tangents):
    (x,), (dx,) = primals, tangents
    return superspike(x, slope), dx / (1.0 + slope * jnp.abs(x)) ** 2


def measure_jax(
    settings: PeerSettings,
    problem: LIFProblem,
    *,
    forward: Callable[[jax.Array, jax.Array], jax.Array],
    loss: Callable[[jax.Array, jax.Array], jax.Array],
    surrogate: str,
    reset: str,
    notes: str = "",
    versions: dict[str, str] | None = None,
) -> PeerResult:
    """Measure a JAX implementation given as pure functions of ``(W, x)``.

    Args:
        forward: ``(W (N, N), x (B, T, N)) -> spikes (B, T, N)``; jitted here.
        loss: ``(W, x) -> scalar`` (sum of spikes); ``jax.grad`` w.r.t. W is timed.
    """
    weight = jnp.asarray(problem.weight)
    inputs = jnp.asarray(problem.inputs)
    fwd = jax.jit(forward)
    fwdbwd = jax.jit(jax.grad(loss))
    compile_fwd_s = compile_time(fwd, weight, inputs)
    compile_s, memory = compile_time_and_memory(fwdbwd, weight, inputs)
    spikes = np.asarray(fwd(weight, inputs))
    save_spikes(settings.spikes_path, spikes)
    timed = time_pair_capped(
        fwd,
        fwdbwd,
        weight,
        inputs,
        warmup=settings.warmup,
        repeats=settings.repeats,
        cap_s=settings.time_cap_s,
        label=f"n={problem.n}",
    )
    baseline = reset_peak_rss()
    synchronize(fwdbwd(weight, inputs))
    rss = peak_rss_since_reset(baseline)
    all_versions = {"jax": jax.__version__, **(versions or {})}
    return PeerResult(
        framework=settings.framework,
        **capped_fields(timed),
        compile_s=compile_s,
        compile_fwd_s=compile_fwd_s,
        memory_bytes=memory.total_bytes,
        memory_kind="xla_compiled_total",
        rss_delta_bytes=rss,
        surrogate=surrogate,
        reset=reset,
        notes=notes,
        versions=all_versions,
    )
