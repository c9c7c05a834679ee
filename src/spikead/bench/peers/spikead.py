"""Peer ``spikead``: ``snn.Sequential(eqx.nn.Linear, snn.LIF)`` run with ``snn.run_batched``."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

from ._jax_measure import measure_jax
from ._protocol import LIFProblem, PeerResult, PeerSettings, run_as_script

__all__ = ["functions", "make_model", "measure"]


def make_model(
    n: int, *, beta: float, threshold: float, slope: float, key: jax.Array, layers: int = 1
):
    """``layers`` x (Linear(n, n, no bias) + LIF(zero reset, detached, fast sigmoid))."""
    from spikead import snn

    parts = []
    for k in jax.random.split(key, layers):
        parts.append(eqx.nn.Linear(n, n, use_bias=False, key=k))
        parts.append(
            snn.LIF(
                shape=(n,),
                beta=beta,
                threshold=threshold,
                reset="zero",
                surrogate=snn.FastSigmoid(slope=slope),
                stop_reset_grad=True,
            )
        )
    return snn.Sequential(*parts)


def functions(settings: PeerSettings, problem: LIFProblem):
    """``(forward, loss)`` of the spikead model as pure functions of ``(W (N, N), x (B, T, N))``:
    forward returns the spikes (B, T, N), loss their sum (not jitted)."""
    from spikead import snn

    model = make_model(
        problem.n,
        beta=settings.beta,
        threshold=settings.threshold,
        slope=settings.slope,
        key=jax.random.key(0),
    )

    def with_weight(weight):
        return eqx.tree_at(lambda m: m.layers[0].weight, model, weight)

    def forward(weight, x):
        return snn.run_batched(with_weight(weight), x)[1]

    def loss(weight, x):
        return jnp.sum(forward(weight, x))

    return forward, loss


def measure(settings: PeerSettings, problem: LIFProblem) -> PeerResult:
    import spikead

    forward, loss = functions(settings, problem)

    return measure_jax(
        settings,
        problem,
        forward=forward,
        loss=loss,
        surrogate=f"spikead.snn.FastSigmoid(slope={settings.slope})",
        reset="zero, stop_reset_grad=True",
        notes="snn.run_batched applies the leading Linear to all steps before the scan",
        versions={"spikead": spikead.__version__, "equinox": eqx.__version__},
    )


if __name__ == "__main__":
    run_as_script(measure)
