"""Peer ``parallel``: `snn.run(mode="parallel")` against `snn.run` and the hand-written scan.

One Linear(N, N) + LIF layer (the framework comparison's neuron) or + LI readout
(``options["neuron"] = "lif" | "li"``) on the shared problem (B, T, N), one process.
Modes (``options["modes"]``, any of :data:`MODES`): ``sequential`` (`snn.run`, a
`lax.scan`), ``parallel`` (`snn.run_parallel`, chunked method, the default of
`run(mode="parallel")`) and ``parallel_associative`` (`method="associative"`); each is
timed against the hand scan (:func:`spikead.bench.peers.jax_scan.lif_scan` /
:func:`~spikead.bench.peers.jax_scan.li_scan`) in interleaved rounds with
:func:`spikead.bench.time_alternating`, forward and forward+backward (gradient of the
output sum w.r.t. W), so the ratio mode / hand scan is free of drift between processes.

Also reported per mode: ``identical`` (LIF: the forward spike train equals the hand
scan's entry for entry; LI: outputs within 1e-4 relative), ``max_abs_diff`` of the
forward outputs, ``grad_rel_err`` (max |dW - dW_hand| / max |dW_hand|) and, for the
parallel modes, the iterations of `run_parallel` per sample.

Time cap (``settings.time_cap_s``, per mode): after a warm-up and one probe call of the
mode's and the hand scan's forward and forward+backward, a mode predicted over the cap is
not timed (its status says ``skipped: over time cap (...)``), the others still are.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._capped import CAP_STATUS
from .._parallel_comparison import MODES, NEURONS
from .._timing import PairedTiming, _call_ms, synchronize, time_alternating
from ._protocol import LIFProblem, PeerSettings, run_as_script
from .jax_scan import li_scan, lif_scan
from .spikead import make_model

__all__ = ["MODES", "NEURONS", "ModeResult", "ParallelResult", "functions", "measure"]

_LI_RTOL = 1e-4


@dataclass
class ModeResult:
    """One mode against the hand scan; ``fwd``/``fwdbwd`` ``None`` when not timed."""

    status: str = "ok"
    fwd: PairedTiming | None = None
    fwdbwd: PairedTiming | None = None
    identical: bool | None = None
    max_abs_diff: float | None = None
    grad_rel_err: float | None = None
    iterations: list[int] | None = None
    probe_ms: dict[str, float] = field(default_factory=dict)
    predicted_timing_s: float | None = None
    timing_s: float | None = None


@dataclass
class ParallelResult:
    framework: str
    neuron: str = "lif"
    status: str = "ok"
    modes: dict[str, ModeResult] = field(default_factory=dict)
    output_mean: float | None = None
    versions: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def functions(settings: PeerSettings, n: int, neuron: str):
    """``(hand, modes, iterations)``: pure functions of ``(W (N, N), x (B, T, N))`` giving
    outputs (B, T, N) (spikes, or LI membranes): the hand scan, each of :data:`MODES`,
    and the `run_parallel` iteration counts (B,) per parallel mode."""
    from spikead import snn

    if neuron not in NEURONS:
        raise ValueError(f"neuron={neuron!r}; use one of {NEURONS}.")
    beta, threshold, slope = settings.beta, settings.threshold, settings.slope
    model = make_model(n, beta=beta, threshold=threshold, slope=slope, key=jax.random.key(0))
    if neuron == "li":
        model = snn.Sequential(model.layers[0], snn.LI(n, beta=beta))

    def with_weight(weight):
        return eqx.tree_at(lambda m: m.layers[0].weight, model, weight)

    def hand(weight, x):
        if neuron == "li":
            return li_scan(weight, x, beta=beta)
        return lif_scan(weight, x, beta=beta, threshold=threshold, slope=slope)

    def per_sample(run_one):
        return lambda weight, x: jax.vmap(lambda xi: run_one(with_weight(weight), xi))(x)

    modes = {
        "sequential": per_sample(lambda m, xi: snn.run(m, xi)[1]),
        "parallel": per_sample(lambda m, xi: snn.run(m, xi, mode="parallel")[1]),
        "parallel_associative": per_sample(
            lambda m, xi: snn.run_parallel(m, xi, method="associative")[1]
        ),
    }
    iterations = {
        "parallel": per_sample(lambda m, xi: snn.run_parallel(m, xi)[2].iterations),
        "parallel_associative": per_sample(
            lambda m, xi: snn.run_parallel(m, xi, method="associative")[2].iterations
        ),
    }
    return hand, modes, iterations


def _grad(fn):
    return jax.jit(jax.grad(lambda weight, x: jnp.sum(fn(weight, x))))


def measure(settings: PeerSettings, problem: LIFProblem) -> ParallelResult:
    neuron = str(settings.options.get("neuron", "lif"))
    names = list(settings.options.get("modes", MODES))
    unknown = [m for m in names if m not in MODES]
    if unknown:
        raise ValueError(f"unknown parallel modes {unknown}; use any of {MODES}.")
    seed = int(settings.options.get("seed", 0))
    hand, modes, iterations = functions(settings, problem.n, neuron)
    weight, inputs = jnp.asarray(problem.weight), jnp.asarray(problem.inputs)
    hand_fwd, hand_bwd = jax.jit(hand), _grad(hand)
    ref = np.asarray(synchronize(hand_fwd(weight, inputs)))
    ref_grad = np.asarray(synchronize(hand_bwd(weight, inputs)))
    result = ParallelResult(
        framework=settings.framework,
        neuron=neuron,
        output_mean=float(ref.mean()),
        versions={"jax": jax.__version__},
    )
    for k, name in enumerate(names):
        fwd, bwd = jax.jit(modes[name]), _grad(modes[name])
        out = np.asarray(synchronize(fwd(weight, inputs)))
        grad = np.asarray(synchronize(bwd(weight, inputs)))
        mode = ModeResult(
            max_abs_diff=float(np.max(np.abs(out - ref))),
            grad_rel_err=float(
                np.max(np.abs(grad - ref_grad)) / max(float(np.max(np.abs(ref_grad))), 1e-30)
            ),
        )
        mode.identical = bool(
            np.array_equal(out, ref)
            if neuron == "lif"
            else np.allclose(out, ref, rtol=_LI_RTOL, atol=_LI_RTOL)
        )
        if name in iterations:
            counts = jax.jit(iterations[name])(weight, inputs)
            mode.iterations = [int(c) for c in np.asarray(counts).reshape(-1)]
        funcs = {"fwd_a": fwd, "fwd_b": hand_fwd, "fwdbwd_a": bwd, "fwdbwd_b": hand_bwd}
        mode.probe_ms = {key: _call_ms(fn, (weight, inputs)) for key, fn in funcs.items()}
        rest = max(settings.warmup - 2, 0)
        mode.predicted_timing_s = (rest + settings.repeats) * sum(mode.probe_ms.values()) / 1e3
        cap = settings.time_cap_s
        if cap is not None and mode.predicted_timing_s > cap:
            mode.status = (
                f"{CAP_STATUS} (predicted {mode.predicted_timing_s:.0f} s > "
                f"{cap:g} s at T={problem.steps})"
            )
            mode.timing_s = 0.0
        else:
            start = time.perf_counter()
            mode.fwd = time_alternating(
                fwd,
                hand_fwd,
                weight,
                inputs,
                warmup=rest,
                repeats=settings.repeats,
                seed=seed + 2 * k,
            )
            mode.fwdbwd = time_alternating(
                bwd,
                hand_bwd,
                weight,
                inputs,
                warmup=rest,
                repeats=settings.repeats,
                seed=seed + 2 * k + 1,
            )
            mode.timing_s = time.perf_counter() - start
        result.modes[name] = mode
    return result


if __name__ == "__main__":
    run_as_script(measure)
