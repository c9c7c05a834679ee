"""Peer ``jax_scan``: the same LIF dynamics written by hand with ``lax.scan`` (the floor).

Option ``hoist`` (default true): compute ``W x_t`` for all steps with one matrix product
before the scan (what a hand-written kernel does); false: one product per step inside
the scan, the structure ``snn.run_batched`` has.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
from jax import lax

from ._jax_measure import measure_jax, superspike
from ._protocol import LIFProblem, PeerResult, PeerSettings, run_as_script

__all__ = ["functions", "li_scan", "lif_scan", "measure"]


def lif_scan(
    weight: jax.Array,
    x: jax.Array,
    *,
    beta: float,
    threshold: float,
    slope: float,
    hoist: bool = True,
) -> jax.Array:
    """Spikes (B, T, N) of Linear(W) + LIF for inputs x (B, T, M); W is (N, M).

    v_t = beta * v_{t-1} * (1 - sg(z_{t-1})) + W x_t;  z_t = H(v_t - threshold).
    """
    xs = jnp.swapaxes(x, 0, 1)  # (T, B, M)
    batch, n = x.shape[0], weight.shape[0]
    if hoist:
        xs = jnp.einsum("tbm,nm->tbn", xs, weight)

    def step(carry, xt):
        v, z = carry
        current = xt if hoist else xt @ weight.T
        v = beta * (v * (1.0 - lax.stop_gradient(z))) + current
        z = superspike(v - threshold, slope)
        return (v, z), z

    zeros = jnp.zeros((batch, n), x.dtype)
    _, zs = lax.scan(step, (zeros, zeros), xs)
    return jnp.swapaxes(zs, 0, 1)


def li_scan(weight: jax.Array, x: jax.Array, *, beta: float) -> jax.Array:
    """Membrane (B, T, N) of Linear(W) + LI readout for inputs x (B, T, M):
    v_t = beta * v_{t-1} + W x_t (input GEMM hoisted)."""
    xs = jnp.einsum("btm,nm->tbn", x, weight)

    def step(v, xt):
        v = beta * v + xt
        return v, v

    _, vs = lax.scan(step, jnp.zeros(xs.shape[1:], x.dtype), xs)
    return jnp.swapaxes(vs, 0, 1)


def functions(settings: PeerSettings, problem: LIFProblem):
    """``(forward, loss)`` of the hand scan as pure functions of ``(W (N, N), x (B, T, N))``;
    option ``hoist`` from ``settings.options`` (default true). ``problem`` is unused (the
    same signature as the spikead peer's)."""
    del problem
    hoist = bool(settings.options.get("hoist", True))
    forward = functools.partial(
        lif_scan,
        beta=settings.beta,
        threshold=settings.threshold,
        slope=settings.slope,
        hoist=hoist,
    )

    def loss(weight, x):
        return jnp.sum(forward(weight, x))

    return forward, loss


def measure(settings: PeerSettings, problem: LIFProblem) -> PeerResult:
    hoist = bool(settings.options.get("hoist", True))
    forward, loss = functions(settings, problem)
    return measure_jax(
        settings,
        problem,
        forward=forward,
        loss=loss,
        surrogate=f"custom_jvp fast sigmoid 1/(1+{settings.slope}|x|)^2",
        reset="zero, detached",
        notes="input GEMM hoisted out of the scan" if hoist else "GEMM per step in the scan",
    )


if __name__ == "__main__":
    run_as_script(measure)
