"""Memory and time per training step of the gradient methods (Paper A, experiment 3).

A setting (method, N, T, neuron) of the batched single-layer network (neurons:
`SCALING_NEURONS`) is measured with `spikead.bench`: memory = `compiled_memory` (temps +
args + outputs; also without the T x B x M input arguments, which every method needs),
time = median of repeated calls after warm-up. Settings predicted too slow or too large are recorded as
skipped with the reason (the predictions are simple operation/byte counts, documented in
`predicted_cost`). Methods: the four of `value_and_grad` plus ``"handwritten"``, the
hand-derived exact e-prop of the same LIF / ALIF model
(`handwritten_eprop_value_and_grad`, batched inside its one scan). "sparse" differentiates
the step without the state leaves it recomputes from its other new leaves (the spike
``z = H(v - thr)``; `spikead.online.reduce_step`), so it carries the traces e-prop needs
(membrane, ALIF's adaptation) and none for the spike; the row's ``derived_state`` column
names the dropped leaves (same gradient: the initial state satisfies the relation).
"bptt" is the standard batched BPTT (one gradient of the batch loss through one scan of
the `vmap`-ed step, inputs time-major), "dense" and "rtrl" batch inside their scans too;
params are arguments of the jitted function, as in training.
"""

from __future__ import annotations

import dataclasses
import time

import jax
import jax.numpy as jnp
import numpy as np

from spikead.online import make_single_layer, mse, random_task, reduce_step, value_and_grad

from .._compiled import compiled_memory
from .._rss import measure_peak_rss
from .._timing import time_fn
from ._eprop_handwritten import handwritten_eprop_value_and_grad

SCALING_METHODS = ("sparse", "bptt", "dense", "rtrl", "handwritten")
#: neuron of a setting -> (`spikead.snn` name, kwargs). "lif_factorised": LIF with reset by
#: subtraction and the reset's gradient stopped, one decay for all neurons: its state
#: Jacobian is a scaled identity, so the sparse input-weight trace is factorised (B x M).
#: "lif_zero": the paper's LIF (reset to zero, reset gradient kept): per-neuron traces.
SCALING_NEURONS = {
    "alif": ("alif", {}),
    "lif_factorised": ("lif", {"reset": "subtract", "stop_reset_grad": True}),
    "lif_zero": ("lif", {"reset": "zero"}),
}
#: state variables per neuron (S in `predicted_cost`)
N_STATE = {"alif": 3, "lif_factorised": 2, "lif_zero": 2}


@dataclasses.dataclass(frozen=True)
class ScalingSetting:
    method: str
    n_hidden: int
    seq_len: int
    batch: int = 16
    n_in: int = 140
    n_out: int = 20
    neuron: str = "alif"


def predicted_cost(s: ScalingSetting) -> tuple[float, float]:
    """(multiply-adds, bytes of the largest live buffers) predicted for one training step.

    sparse / handwritten / bptt: B T N M; dense: B T S^2 N^3 M (the trace recursion
    contracts N x N state Jacobians with N x N x M traces) + the N x N x M Jacobian per
    step; rtrl (`jacfwd`): B T P N M with P = N M + K N tangents.
    Bytes: bptt keeps T x B x (S N + M) activations; dense B S N^2 M traces; rtrl
    B P S N tangents; sparse and handwritten B S N M traces (an upper bound: both carry
    no trace for the spike, sparse through `reduce_step`, so B (S - 1) N M).
    """
    B, T, N, M, K, S = s.batch, s.seq_len, s.n_hidden, s.n_in, s.n_out, N_STATE[s.neuron]
    P = N * M + K * N
    ops = {
        "sparse": 12 * B * T * N * M,
        "handwritten": 8 * B * T * N * M,
        "bptt": 6 * B * T * N * M,
        "dense": B * T * (S * S * N * N * N * M + 2 * S * N * N * M),
        "rtrl": 2 * B * T * P * N * M,
    }[s.method]
    byts = (
        4
        * {
            "sparse": B * S * N * M,
            "handwritten": B * S * N * M,
            "bptt": T * B * (S * N + M),
            "dense": 3 * B * S * N * N * M,
            "rtrl": B * P * S * N,
        }[s.method]
    )
    return float(ops), float(byts)


def build(s: ScalingSetting, seed: int = 0):
    """The batched training-step function of a setting and its arguments."""
    fn, args, _ = build_noted(s, seed)
    return fn, args


def build_noted(s: ScalingSetting, seed: int = 0):
    """``(fn, args, derived)``: `build`'s function and arguments, and for "sparse" the
    note of the state leaves its step does not carry (`derived_note`; None otherwise)."""
    if s.method == "handwritten":
        net, args = _network(s, seed)
        return handwritten_eprop_value_and_grad(net, mse, batched=True), args, None
    step, args, derived = method_step(s, seed)
    fn = value_and_grad(step, mse, s.method, batched=True, time_major=True)
    return fn, args, derived


def method_step(s: ScalingSetting, seed: int = 0):
    """``(step, (params, state0, xs, targets), derived)``: the one-sample step a method
    of `value_and_grad` differentiates and its batched arguments (state0 B x ..., xs and
    targets time-major T x B x ...). For "sparse" the step without its derived state
    leaves (`spikead.online.reduce_step`; ``derived`` the `derived_note`), else the
    network's step (``derived`` None)."""
    net, (params, state0, xs, targets) = _network(s, seed)
    if s.method != "sparse":
        return net.step, (params, state0, xs, targets), None
    n_leaves = len(jax.tree.leaves(state0))
    step, state0, dropped = reduce_step(net.step, params, state0, xs[0])
    return step, (params, state0, xs, targets), derived_note(dropped, n_leaves)


def _network(s: ScalingSetting, seed: int):
    """``(net, (params, state0, xs, targets))`` of a setting (see `method_step`)."""
    k_net, k_task = jax.random.split(jax.random.key(seed))
    if s.neuron not in SCALING_NEURONS:
        raise ValueError(f"neuron={s.neuron!r}; use one of {sorted(SCALING_NEURONS)}")
    name, kwargs = SCALING_NEURONS[s.neuron]
    net, params = make_single_layer(name, s.n_in, s.n_hidden, s.n_out, key=k_net, **kwargs)
    xs, targets = random_task(k_task, s.n_in, s.n_out, s.seq_len, batch=s.batch)
    # time-major inputs (T x B x ...): no transposed copy of the inputs inside the step
    xs, targets = jnp.swapaxes(xs, 0, 1), jnp.swapaxes(targets, 0, 1)
    state0 = jax.tree.map(lambda a: jnp.broadcast_to(a, (s.batch, *a.shape)), net.init_state())
    return net, (params, state0, xs, targets)


def derived_note(dropped: tuple[int, ...], n_leaves: int) -> str:
    """The row's ``derived_state``: which state leaves the sparse step recomputes instead
    of carrying (indices in the flattened neuron state; the spike is the last)."""
    if not dropped:
        return f"none dropped (all {n_leaves} state leaves carried)"
    return f"dropped leaves {list(dropped)} of {n_leaves} (recomputed from the others)"


def extrapolate_probe_times(steps, times_ms, seq_len: int) -> tuple[float, float, bool]:
    """``(lower_bound_ms, extrapolated_ms, clamped)`` at length ``seq_len`` from one-call
    times ``times_ms`` measured at the probe lengths ``steps`` (ascending, all < seq_len).

    The lower bound is the time at the largest probe: a scan of ``seq_len`` identical
    steps does at least the work of a shorter one. The extrapolation is a least-squares
    line ``a + b T`` through the probes (one probe: proportional scaling, ``t T / T'``),
    evaluated at ``seq_len``, and never below the lower bound: one-call timings under
    load can tilt the line down (a negative slope was seen); then the bound itself is
    the estimate and ``clamped`` is True.
    """
    steps = [int(t) for t in steps]
    times = [float(ms) for ms in times_ms]
    if not steps or len(steps) != len(times):
        raise ValueError(f"need one time per probe length, got steps={steps} and times_ms={times}")
    if steps != sorted(set(steps)) or steps[-1] >= seq_len:
        raise ValueError(f"probe lengths {steps} must be distinct, ascending and below T={seq_len}")
    bound = times[-1]
    if len(steps) > 1:
        slope, icpt = np.polyfit(np.asarray(steps, float), np.asarray(times, float), 1)
        line = float(icpt + slope * seq_len)
    else:
        line = times[0] * seq_len / steps[0]
    clamped = not line >= bound  # also when the fit is not finite
    return bound, (bound if clamped else line), clamped


def probe_time(s: ScalingSetting, probe_steps) -> dict:
    """Time one call (compiled ahead) at each short length ``T' < T`` of ``probe_steps``.

    Time per call grows with T (a scan of T identical steps), so the time at the largest
    probe is a measured LOWER BOUND of the time at T; a straight line through the probes
    (``a + b T``), never below that bound, gives the extrapolated time at T
    (`extrapolate_probe_times`). Use probes >= 2: XLA simplifies a scan of length 1 whose
    traces start at zero (dense at N=128: 0.5 s at T=1, 24 s at T=2).
    """
    steps = sorted({int(t) for t in probe_steps if 0 < int(t) < s.seq_len})
    if not steps:
        raise ValueError(f"probe_steps={list(probe_steps)} has no length below T={s.seq_len}")
    times = []
    for t in steps:
        fn, args = build(dataclasses.replace(s, seq_len=t))
        compiled = jax.jit(fn).lower(*args).compile()  # compiled ahead: one call is timed
        times.append(time_fn(compiled, *args, warmup=0, repeats=1).median_ms)
    bound, extrapolated, clamped = extrapolate_probe_times(steps, times, s.seq_len)
    probes = "; ".join(f"T={t}: {ms:.0f} ms" for t, ms in zip(steps, times))
    if clamped:
        probes += f" (line at T={s.seq_len} below the T={steps[-1]} time: bound used)"
    return {
        "time_lower_bound_ms": bound,
        "time_extrapolated_ms": extrapolated,
        "time_probe": probes,
    }


def measure_scaling(
    s: ScalingSetting,
    *,
    max_seconds: float,
    max_bytes: float,
    flops_per_s: float,
    warmup: int = 2,
    repeats: int = 10,
    probe_steps=(),
) -> dict:
    """One row: memory (compiled), time per step, or the reason it was skipped.

    A setting predicted slower than ``max_seconds`` per call is not timed at T; with
    ``probe_steps`` it is timed at those short lengths instead (`probe_time`: a measured
    lower bound and a linear extrapolation, in their own columns).
    """
    ops, byts = predicted_cost(s)
    row = {
        "method": s.method,
        "N": s.n_hidden,
        "T": s.seq_len,
        "batch": s.batch,
        "n_in": s.n_in,
        "neuron": s.neuron,
        "predicted_ops": ops,
        "predicted_bytes": byts,
        "memory_bytes": None,
        "memory_without_inputs_bytes": None,
        "temp_bytes": None,
        "argument_bytes": None,
        "output_bytes": None,
        "compile_s": None,
        "time_ms": None,
        "time_q25_ms": None,
        "time_q75_ms": None,
        "time_lower_bound_ms": None,
        "time_extrapolated_ms": None,
        "time_probe": None,
        "derived_state": None,
        "status": "ok",
    }
    if byts > max_bytes:
        row["status"] = (
            f"skipped: predicted {byts / 1e9:.1f} GB > max_bytes {max_bytes / 1e9:.1f} GB"
        )
        return row
    fn, args, row["derived_state"] = build_noted(s)
    start = time.perf_counter()
    mem = compiled_memory(fn, *args)
    row["compile_s"] = round(time.perf_counter() - start, 3)
    input_bytes = sum(a.size * a.dtype.itemsize for a in args[2:])
    row.update(
        memory_bytes=mem.total_bytes,
        temp_bytes=mem.temp_bytes,
        argument_bytes=mem.argument_bytes,
        output_bytes=mem.output_bytes,
        memory_without_inputs_bytes=mem.total_bytes - input_bytes,
    )
    seconds = ops / flops_per_s
    if seconds > max_seconds:
        row["status"] = (
            f"time skipped: predicted {seconds:.0f} s per call > max_seconds "
            f"{max_seconds:.0f} s (memory measured)"
        )
        if probe_steps:
            row.update(probe_time(s, probe_steps))
            row["status"] = (
                f"time at T={s.seq_len} not run (predicted {seconds:.0f} s per call > "
                f"max_seconds {max_seconds:.0f} s): lower bound and linear "
                f"extrapolation from {row['time_probe']}"
            )
        return row
    timing = time_fn(jax.jit(fn), *args, warmup=warmup, repeats=repeats)
    row.update(time_ms=timing.median_ms, time_q25_ms=timing.q25_ms, time_q75_ms=timing.q75_ms)
    return row


def rss_row(s: ScalingSetting, *, timeout: float = 600.0) -> dict:
    """Peak RSS added by one call (fresh interpreter; the compile happens in setup)."""
    setup = (
        "import jax\n"
        "from spikead.bench.online._scaling import ScalingSetting, build\n"
        f"s = ScalingSetting(**{dataclasses.asdict(s)!r})\n"
        "fn, args = build(s)\n"
        "compiled = jax.jit(fn).lower(*args).compile()\n"
    )
    code = "jax.block_until_ready(compiled(*args))\n"
    m = measure_peak_rss(code, setup=setup, timeout=timeout)
    return {
        "method": s.method,
        "N": s.n_hidden,
        "T": s.seq_len,
        "batch": s.batch,
        "rss_peak_bytes": m.peak_bytes,
        "rss_delta_bytes": m.delta_bytes,
    }
