"""Gradient alignment of online methods against BPTT (Paper A, experiment 1).

One *setting* is (neuron, recurrent, N, T); for every seed it draws a network
(`make_single_layer`) and a random binary input sequence, computes BPTT and each other
method, and compares every parameter leaf (`compare`).

The sparse method runs with ``approximation="eprop"``: with recurrent weights it is
Bellec et al.'s e-prop, so its rows also compare it with the e-prop reference
(`eprop_reference_value_and_grad`, `jax.grad` with the recurrent spikes' gradient
stopped): ``rel_l2_vs_eprop_reference`` (float rounding, ~1e-7) beside ``rel_l2`` (vs
BPTT: how far e-prop is from the true gradient). Without recurrence the e-prop reference
is BPTT itself (nothing to stop), so the column repeats ``rel_l2``; the exact reference
methods (dense, rtrl) leave it empty (NaN).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable

import jax
import jax.numpy as jnp

from spikead.online import (
    compare,
    eprop_reference_value_and_grad,
    make_single_layer,
    mse,
    random_task,
    value_and_grad,
)


@dataclasses.dataclass(frozen=True)
class AlignmentSetting:
    """One cell of the sweep. ``methods``: the methods compared with BPTT."""

    neuron: str
    recurrent: bool
    n_hidden: int
    seq_len: int
    n_in: int = 40
    n_out: int = 10
    rate: float = 0.2
    gain: float = 3.0
    methods: tuple[str, ...] = ("sparse",)


def _spike_rate(step, params, state0, xs) -> jax.Array:
    def body(state, x):
        state, _ = step(params, state, x)
        return state, jnp.mean(state[-1])

    return jnp.mean(jax.lax.scan(body, state0, xs)[1])


def alignment_rows(
    setting: AlignmentSetting, seeds: Iterable[int], on_row: Callable[[dict], None] | None = None
) -> list[dict]:
    """Rows ``{setting..., seed, method, param, cosine, rel_l2, max_abs, ref_norm,
    rel_l2_vs_eprop_reference, spike_rate}`` (errors vs BPTT; module docstring)."""
    s = setting
    net, _ = make_single_layer(
        s.neuron,
        s.n_in,
        s.n_hidden,
        s.n_out,
        key=jax.random.key(0),
        recurrent=s.recurrent,
        gain=s.gain,
    )
    # the sparse method's e-prop (recurrent settings) is what is measured here
    opts = {"sparse": {"approximation": "eprop"}}
    fns = {
        m: jax.jit(value_and_grad(net.step, mse, m, **opts.get(m, {})))
        for m in ("bptt", *s.methods)
    }
    eprop_ref = (
        jax.jit(eprop_reference_value_and_grad(net.step, mse)) if s.recurrent else fns["bptt"]
    )  # without recurrence nothing is stopped: e-prop is BPTT
    rate_fn = jax.jit(lambda p, st, xs: _spike_rate(net.step, p, st, xs))
    rows = []
    for seed in seeds:
        k_net, k_task = jax.random.split(jax.random.key(seed))
        _, params = make_single_layer(
            s.neuron, s.n_in, s.n_hidden, s.n_out, key=k_net, recurrent=s.recurrent, gain=s.gain
        )
        xs, targets = random_task(k_task, s.n_in, s.n_out, s.seq_len, rate=s.rate)
        state0 = net.init_state()
        rate = float(rate_fn(params, state0, xs))
        _, ref = fns["bptt"](params, state0, xs, targets)
        _, ref_eprop = eprop_ref(params, state0, xs, targets)
        for method in s.methods:
            _, grads = fns[method](params, state0, xs, targets)
            for name in sorted(grads):
                vs_eprop = (
                    compare(grads[name], ref_eprop[name])["rel_l2"]
                    if method == "sparse"
                    else float("nan")
                )
                row = {
                    "neuron": s.neuron,
                    "recurrent": s.recurrent,
                    "N": s.n_hidden,
                    "T": s.seq_len,
                    "seed": seed,
                    "method": method,
                    "param": name,
                    **compare(grads[name], ref[name]),
                    "rel_l2_vs_eprop_reference": vs_eprop,
                    "spike_rate": rate,
                }
                rows.append(row)
                if on_row is not None:
                    on_row(row)
    return rows
