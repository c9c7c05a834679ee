"""Paired measurement: spikead against the hand-written ``lax.scan`` in one process.

Run as ``python -m spikead.bench.peers.paired --config settings.json`` (the peer
protocol of :mod:`spikead.bench.peers._protocol`). Both programs are built by the
``spikead`` and ``jax_scan`` peers (:func:`spikead.bench.peers.spikead.functions`,
:func:`spikead.bench.peers.jax_scan.functions`), compiled, warmed up, and then timed in
interleaved rounds with :func:`spikead.bench.time_alternating` (forward, then
forward+backward), so drift of the machine between two separate subprocesses does not
enter their ratio. Options (``settings.options``): ``order`` (``"random"`` or
``"alternate"``) and ``seed`` of the random order.

Time cap: after one warm-up call and one probe call of each of the four functions, the
full timing is predicted as ``(max(warmup - 2, 0) + repeats) * (sum of the 4 probes)``;
over ``settings.time_cap_s`` the size is skipped with status
``"skipped: over time cap (predicted P s > C s at n=N)"``, never timed with fewer rounds.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .._capped import CAP_STATUS
from .._timing import PairedTiming, _call_ms, synchronize, time_alternating
from . import jax_scan
from . import spikead as spikead_peer
from ._protocol import LIFProblem, PeerSettings, run_as_script, save_spikes

__all__ = ["PairedResult", "measure"]


@dataclass
class PairedResult:
    """What the paired peer measured (``a`` = spikead, ``b`` = hand scan).

    ``fwd``/``fwdbwd`` are ``None`` for a skipped size; ``agreement`` is the fraction of
    equal entries of the two forward spike trains (B, T, N); ``probe_ms`` holds the single
    probe call of each function (keys ``fwd_a``, ``fwd_b``, ``fwdbwd_a``, ``fwdbwd_b``).
    """

    framework: str
    status: str = "ok"
    fwd: PairedTiming | None = None
    fwdbwd: PairedTiming | None = None
    agreement: float | None = None
    probe_ms: dict[str, float] = field(default_factory=dict)
    predicted_timing_s: float | None = None
    timing_s: float | None = None
    order: str = "random"
    versions: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def measure(settings: PeerSettings, problem: LIFProblem) -> PairedResult:
    order = str(settings.options.get("order", "random"))
    seed = int(settings.options.get("seed", 0))
    fwd_a, loss_a = spikead_peer.functions(settings, problem)
    hand = PeerSettings(**{**asdict(settings), "options": {"hoist": True}})
    fwd_b, loss_b = jax_scan.functions(hand, problem)
    weight, inputs = jnp.asarray(problem.weight), jnp.asarray(problem.inputs)
    funcs = {
        "fwd_a": jax.jit(fwd_a),
        "fwd_b": jax.jit(fwd_b),
        "fwdbwd_a": jax.jit(jax.grad(loss_a)),
        "fwdbwd_b": jax.jit(jax.grad(loss_b)),
    }
    spikes_a = np.asarray(synchronize(funcs["fwd_a"](weight, inputs)))
    spikes_b = np.asarray(synchronize(funcs["fwd_b"](weight, inputs)))
    agreement = float(np.mean((spikes_a > 0) == (spikes_b > 0)))
    save_spikes(settings.spikes_path, spikes_a)
    for name in ("fwdbwd_a", "fwdbwd_b"):  # the forward ones ran (compiled) just above
        synchronize(funcs[name](weight, inputs))
    probe = {name: _call_ms(fn, (weight, inputs)) for name, fn in funcs.items()}
    rest = max(settings.warmup - 2, 0)
    predicted_s = (rest + settings.repeats) * sum(probe.values()) / 1e3
    result = PairedResult(
        framework=settings.framework,
        agreement=agreement,
        probe_ms=probe,
        predicted_timing_s=predicted_s,
        order=order,
        versions={"jax": jax.__version__},
    )
    cap = settings.time_cap_s
    if cap is not None and predicted_s > cap:
        result.status = f"{CAP_STATUS} (predicted {predicted_s:.0f} s > {cap:g} s at n={problem.n})"
        result.timing_s = 0.0
        return result
    start = time.perf_counter()
    result.fwd = time_alternating(
        funcs["fwd_a"],
        funcs["fwd_b"],
        weight,
        inputs,
        warmup=rest,
        repeats=settings.repeats,
        order=order,
        seed=seed,
    )
    result.fwdbwd = time_alternating(
        funcs["fwdbwd_a"],
        funcs["fwdbwd_b"],
        weight,
        inputs,
        warmup=rest,
        repeats=settings.repeats,
        order=order,
        seed=seed + 1,
    )
    result.timing_s = time.perf_counter() - start
    return result


if __name__ == "__main__":
    run_as_script(measure)
