"""Peer ``spyx``: ``spyx.nn.Sequential(nnx.Linear, LIF)`` run with ``spyx.nn.run`` (Flax NNX).

``spyx.nn.LIF`` (Spyx 1.0.0) resets by subtraction, without detaching, and emits the spike
of the state *before* the update (a one-step delay). To compare like with like, the
default uses a subclass of ``spyx.nn.LIF`` whose ``__call__`` follows the common dynamics
(zero reset, detached, same-step spike) with Spyx's own ``axn.superspike(k=slope)``
surrogate and Spyx's scan (``spyx.nn.run``). ``options.native = true`` times Spyx's LIF
unchanged instead (agreement then drops, as expected).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from ._jax_measure import measure_jax
from ._protocol import LIFProblem, PeerResult, PeerSettings, dist_version, run_as_script

__all__ = ["measure"]


def _zero_reset_lif(spyx):
    class ZeroResetLIF(spyx.nn.LIF):
        """spyx.nn.LIF with the common dynamics; state = post-reset membrane (B, N)."""

        def __init__(self, hidden_shape, beta, threshold, activation):
            self.hidden_shape = hidden_shape
            self.beta = float(beta)
            self.threshold = float(threshold)
            self.spike = activation

        def __call__(self, x, V):
            V = self.beta * V + x
            z = self.spike(V - self.threshold)
            return z, V * (1.0 - jax.lax.stop_gradient(z))

    return ZeroResetLIF


def measure(settings: PeerSettings, problem: LIFProblem) -> PeerResult:
    import spyx
    from flax import nnx

    native = bool(settings.options.get("native", False))
    n = problem.n
    activation = spyx.axn.superspike(k=settings.slope)
    if native:
        lif = spyx.nn.LIF(
            (n,),
            beta=settings.beta,
            threshold=settings.threshold,
            activation=activation,
            rngs=nnx.Rngs(0),
        )
    else:
        lif = _zero_reset_lif(spyx)((n,), settings.beta, settings.threshold, activation)
    model = spyx.nn.Sequential(nnx.Linear(n, n, use_bias=False, rngs=nnx.Rngs(0)), lif)
    graphdef, state = nnx.split(model)
    pure = nnx.to_pure_dict(state)

    def with_weight(weight):
        params = jax.tree.map(lambda a: a, pure)
        params["layers"][0]["kernel"] = weight.T  # nnx.Linear kernel is (in, out)
        return nnx.merge(graphdef, params)

    def forward(weight, x):
        return spyx.nn.run(with_weight(weight), x, batch_major=True)[0]

    def loss(weight, x):
        return jnp.sum(forward(weight, x))

    return measure_jax(
        settings,
        problem,
        forward=forward,
        loss=loss,
        surrogate=f"spyx.axn.superspike(k={settings.slope})",
        reset="subtract, not detached; spike of previous state (spyx.nn.LIF)"
        if native
        else "zero, detached (spyx.nn.LIF subclass)",
        notes="spyx.nn.run over spyx.nn.Sequential(nnx.Linear, LIF)",
        versions={"spyx": dist_version("spyx"), "flax": dist_version("flax")},
    )


if __name__ == "__main__":
    run_as_script(measure)
