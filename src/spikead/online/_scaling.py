"""Memory and time per training step of the gradient methods (Paper A, experiment 3).

A setting (method, N, T) of the batched single-layer ALIF network is measured with
`spikead.bench`: memory = `compiled_memory` (temps + args + outputs; also without the
T x B x M input arguments, which every method needs), time = median of
repeated calls after warm-up. Settings predicted too slow or too large are recorded as
skipped with the reason (the predictions are simple operation/byte counts, documented in
`predicted_cost`). Methods: the four of `value_and_grad` plus ``"handwritten"``, the
hand-derived exact e-prop of the same ALIF model (`alif_eprop_value_and_grad`).
"""

from __future__ import annotations

import dataclasses
import time

import jax
import jax.numpy as jnp

from spikead import bench

from ._api import value_and_grad
from ._eprop_alif import alif_eprop_value_and_grad
from ._models import make_single_layer, mse, random_task

SCALING_METHODS = ("sparse", "bptt", "dense", "rtrl", "handwritten")
N_STATE_ALIF = 3


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
    B P S N tangents; sparse and handwritten B S N M traces.
    """
    B, T, N, M, K, S = s.batch, s.seq_len, s.n_hidden, s.n_in, s.n_out, N_STATE_ALIF
    P = N * M + K * N
    ops = {
        "sparse": 12 * B * T * N * M,
        "handwritten": 8 * B * T * N * M,
        "bptt": 6 * B * T * N * M,
        "dense": B * T * (S * S * N * N * N * M + 2 * S * N * N * M),
        "rtrl": 2 * B * T * P * N * M,
    }[s.method]
    byts = 4 * {
        "sparse": B * S * N * M,
        "handwritten": B * S * N * M,
        "bptt": T * B * (S * N + M),
        "dense": 3 * B * S * N * N * M,
        "rtrl": B * P * S * N,
    }[s.method]
    return float(ops), float(byts)


def build(s: ScalingSetting, seed: int = 0):
    """The batched training-step function of a setting and its arguments."""
    k_net, k_task = jax.random.split(jax.random.key(seed))
    net, params = make_single_layer(s.neuron, s.n_in, s.n_hidden, s.n_out, key=k_net)
    xs, targets = random_task(k_task, s.n_in, s.n_out, s.seq_len, batch=s.batch)
    # time-major inputs (T x B x ...): no transposed copy of the inputs inside the step
    xs, targets = jnp.swapaxes(xs, 0, 1), jnp.swapaxes(targets, 0, 1)
    state0 = jax.tree.map(lambda a: jnp.broadcast_to(a, (s.batch, *a.shape)), net.init_state())
    if s.method == "handwritten":
        one = alif_eprop_value_and_grad(net, mse)

        def fn(p, st, x, t):
            losses, grads = jax.vmap(one, in_axes=(None, 0, 1, 1))(p, st, x, t)
            return jnp.sum(losses), jax.tree.map(lambda g: jnp.sum(g, 0), grads)
    else:
        fn = value_and_grad(net.step, mse, s.method, batched=True, time_major=True)
    return fn, (params, state0, xs, targets)


def measure_scaling(s: ScalingSetting, *, max_seconds: float, max_bytes: float, flops_per_s: float,
            warmup: int = 2, repeats: int = 10) -> dict:
    """One row: memory (compiled), time per step, or the reason it was skipped."""
    ops, byts = predicted_cost(s)
    row = {"method": s.method, "N": s.n_hidden, "T": s.seq_len, "batch": s.batch,
           "n_in": s.n_in, "neuron": s.neuron, "predicted_ops": ops, "predicted_bytes": byts,
           "memory_bytes": None, "memory_without_inputs_bytes": None, "temp_bytes": None, "argument_bytes": None,
           "output_bytes": None, "compile_s": None, "time_ms": None, "time_q25_ms": None,
           "time_q75_ms": None, "status": "ok"}
    if byts > max_bytes:
        row["status"] = f"skipped: predicted {byts / 1e9:.1f} GB > max_bytes {max_bytes / 1e9:.1f} GB"
        return row
    fn, args = build(s)
    start = time.perf_counter()
    mem = bench.compiled_memory(fn, *args)
    row["compile_s"] = round(time.perf_counter() - start, 3)
    input_bytes = sum(a.size * a.dtype.itemsize for a in args[2:])
    row.update(memory_bytes=mem.total_bytes, temp_bytes=mem.temp_bytes,
               argument_bytes=mem.argument_bytes, output_bytes=mem.output_bytes,
               memory_without_inputs_bytes=mem.total_bytes - input_bytes)
    seconds = ops / flops_per_s
    if seconds > max_seconds:
        row["status"] = (f"time skipped: predicted {seconds:.0f} s per call > max_seconds "
                         f"{max_seconds:.0f} s (memory measured)")
        return row
    timing = bench.time_fn(jax.jit(fn), *args, warmup=warmup, repeats=repeats)
    row.update(time_ms=timing.median_ms, time_q25_ms=timing.q25_ms, time_q75_ms=timing.q75_ms)
    return row


def rss_row(s: ScalingSetting, *, timeout: float = 600.0) -> dict:
    """Peak RSS added by one call (fresh interpreter; the compile happens in setup)."""
    setup = (
        "import jax\n"
        "from spikead.online._scaling import ScalingSetting, build\n"
        f"s = ScalingSetting(**{dataclasses.asdict(s)!r})\n"
        "fn, args = build(s)\n"
        "compiled = jax.jit(fn).lower(*args).compile()\n"
    )
    code = "jax.block_until_ready(compiled(*args))\n"
    m = bench.measure_peak_rss(code, setup=setup, timeout=timeout)
    return {"method": s.method, "N": s.n_hidden, "T": s.seq_len, "batch": s.batch,
            "rss_peak_bytes": m.peak_bytes, "rss_delta_bytes": m.delta_bytes}
