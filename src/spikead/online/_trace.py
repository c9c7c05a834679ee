"""The eligibility traces of the sparse method: their recursion and their gradient terms.

The trace ``G_t[s, p] = d state_t[s] / d params[p]`` of each pair (state leaf s, param
leaf p) the plan keeps (`SparsePlan.trace`) follows

    G_t[s, p] = sum_r H_t[s, r] G_{t-1}[r, p] + F_t[s, p]

with the structured step Jacobians H, F of `_jacobians`; only the VALUES of each trace
are carried (per sample, shape ``plan.trace[(s, p)].val_shape``), its structure is fixed
by the plan. `init_traces` starts them at zero, `update_traces` advances one sample's by
one step (one structured product per non-zero H block: element-wise in the neurons).

The learning signals dE_t/ds (`_readout`, `Signals`) meet the traces in the gradient:
``grad[p] += sum_b sum_s L_t[b, s] G[b, s, p]``. Two kinds of trace:

- factorised (`_plan.is_outer`: no values along the neuron labels, e.g. M values for an
  N x M input weight of a step whose H is one decay for every neuron): the batch sum is
  one matmul per step into the gradient (`outer_term`, ``'bn,bm->nm'``);
- per-neuron (values along the neurons, e.g. B x N x M): no matmul exists (element-wise
  in N), so a per-sample accumulator B x param shape collects ``signal * G`` each step
  (`per_sample_term`) and is summed over B once after the scan (`reduce_per_sample`).

`add_trace_terms` adds one step's terms of either kind.
"""

from __future__ import annotations

import dataclasses
import functools

import jax
import jax.numpy as jnp

from ._engine import STensor, Structure, add, broaden, matmul
from ._jacobians import step_jacobians
from ._plan import SparsePlan, is_outer

#: carried trace values per (state leaf, param leaf): arrays B x ``Structure.val_shape``
Traces = dict[tuple[int, int], jax.Array]


def init_traces(plan: SparsePlan, batch: int) -> Traces:
    """Zero traces of a batch of ``batch`` samples (the traces before step 0)."""
    return {k: jnp.zeros((batch, *st.val_shape), plan.dtype) for k, st in plan.trace.items()}


def update_traces(plan: SparsePlan, source: str, params, state, x, trace: dict) -> dict:
    """One sample's new trace values ``G_t = H_t G_{t-1} + F_t`` (values only, per trace).

    ``state``, ``x``: one sample's previous state and input; ``trace``: its values of
    G_{t-1}; ``source``: where H_t and F_t come from (`_jacobians.choose_source`).
    """
    H, F = step_jacobians(plan, source, params, state, x)
    old = {k: STensor(v, plan.trace[k]) for k, v in trace.items()}
    new = {}
    for (s, p), st in plan.trace.items():
        terms = [] if F[s][p] is None else [F[s][p]]
        for r in range(len(plan.state_shapes)):
            if plan.H[s][r] is not None and (r, p) in old:
                terms.append(matmul(H[s][r], old[(r, p)])[0])
        acc = functools.reduce(add, terms)
        new[(s, p)] = broaden(acc, st).val.astype(plan.dtype)
    return new


@dataclasses.dataclass(frozen=True)
class Signals:
    """Where the learning signals meet the traces (static, from the plan).

    ``old[p]``: previous-state leaves r the readout still reads, whose signal
    dE_t/ds_{t-1}[r] multiplies G_{t-1}[r, p]; ``new[p]``: tapped new-state leaves s whose
    signal dE_t/ds_t[s] multiplies G_t[s, p] (see `_readout`).
    """

    old: list[list[int]]
    new: list[list[int]]

    @classmethod
    def of(cls, plan: SparsePlan, n_p: int) -> Signals:
        """The signals of a plan with ``n_p`` param leaves."""
        taps, reads = plan.readout.taps, plan.readout.reads
        return cls(
            [[r for r in sorted(reads) if (r, p) in plan.trace] for p in range(n_p)],
            [[s for s in taps if (s, p) in plan.trace] for p in range(n_p)],
        )


def init_per_sample(plan: SparsePlan, sig: Signals, batch: int) -> dict[int, jax.Array]:
    """Zero per-sample accumulators, ``{param leaf: B x (param shape, size 1 along input
    dims no per-neuron trace varies along)}``, for the params with a per-neuron trace."""
    per_sample0 = {}
    for p in range(len(sig.old)):
        shape = _per_sample_shape([plan.trace[(r, p)] for r in sig.old[p] + sig.new[p]], batch)
        if shape is not None:
            per_sample0[p] = jnp.zeros(shape, plan.dtype)
    return per_sample0


def add_trace_terms(
    plan: SparsePlan,
    sig: Signals,
    sig_old: list[jax.Array],
    sig_new: dict[int, jax.Array],
    trace: Traces,
    new_trace: Traces,
    grads: list[jax.Array],
    per_sample: dict[int, jax.Array],
) -> tuple[list[jax.Array], dict[int, jax.Array]]:
    """``(grads, per_sample)`` with one step's trace terms added.

    ``sig_old[r]``: B x state r's shape, dE_t/ds_{t-1}[r] (meets ``trace``, G_{t-1});
    ``sig_new[s]``: B x state s's shape, dE_t/ds_t[s] (meets ``new_trace``, G_t).
    Factorised traces add into ``grads`` (param-shaped), per-neuron ones into
    ``per_sample`` (see the module docstring).
    """
    terms = [(sig_old[r], trace[(r, p)], (r, p)) for p, rs in enumerate(sig.old) for r in rs]
    terms += [(sig_new[s], new_trace[(s, p)], (s, p)) for p, ss in enumerate(sig.new) for s in ss]
    grads, per_sample = list(grads), dict(per_sample)
    for signal, vals, (s, p) in terms:
        st = plan.trace[(s, p)]
        if is_outer(st):
            grads[p] = grads[p] + outer_term(signal, vals, st)
        else:
            per_sample[p] = per_sample[p] + per_sample_term(signal, vals, st)
    return grads, per_sample


def reduce_per_sample(grads: list[jax.Array], per_sample: dict[int, jax.Array]) -> list:
    """The gradients after the scan: each per-sample accumulator summed over B into its
    param's gradient."""
    return [
        g + jnp.broadcast_to(jnp.sum(per_sample[p], axis=0), g.shape) if p in per_sample else g
        for p, g in enumerate(grads)
    ]


def _to_union(arr: jax.Array, labels: list[int], union: list[int]) -> jax.Array:
    """B x (values along sorted ``labels``) -> B x (size-1 dims for the other union labels)."""
    return jnp.expand_dims(arr, [1 + i for i, lab in enumerate(union) if lab not in labels])


def outer_term(signal: jax.Array, vals: jax.Array, st: Structure) -> jax.Array:
    """``sum_b sum_s signal[b, s] G[b, s, p]`` (shape ``st.in_shape``) for an `_plan.is_outer` trace.

    ``signal``: B x state shape; ``vals``: B x ``st.val_shape``. One `einsum` contracting
    the batch, e.g. ``'bn,bm->nm'`` for a factorised input-weight trace ``n<-nm: v[m]``.
    """
    b = len(st.out_shape) + len(st.in_shape)  # a label the structure does not use
    in_labels = list(st.in_labels)
    val_labels = list(st.val_dims or ())
    present = set(st.out_labels) | set(val_labels)
    kept = [lab for lab in in_labels if lab in present]
    ops = [signal, [b, *st.out_labels]] + ([vals, [b, *val_labels]] if val_labels else [])
    res = jnp.einsum(*ops, kept)
    free = [q for q, lab in enumerate(in_labels) if lab not in present]
    res = jnp.expand_dims(res, free) if free else res
    return jnp.broadcast_to(res, st.in_shape)


def per_sample_term(signal: jax.Array, vals: jax.Array, st: Structure) -> jax.Array:
    """``sum_s signal[b, s] G[b, s, p]`` per sample, shape B x ``st.in_shape`` (size 1
    along input dims the trace is constant along), for traces with values along state labels.

    Element-wise in the neurons (``'bn,bnm->bnm'``); the caller accumulates it per sample
    and reduces over B once after the scan. Measured on CPU (B=16, N=128, M=140): this is
    1.6x faster than a per-step ``'bn,bnm->nm'`` (whose `dot_general` transposes every
    trace) and 10x faster than a per-step broadcast-and-reduce over B.
    """
    out_labels, in_labels = list(st.out_labels), list(st.in_labels)
    val_labels = list(st.val_dims or ())
    union = sorted(set(out_labels) | set(val_labels))
    kept = [lab for lab in in_labels if lab in union]
    prod = _to_union(signal, out_labels, union)
    if val_labels:
        prod = prod * _to_union(vals, val_labels, union)
    summed = tuple(1 + i for i, lab in enumerate(union) if lab not in kept)
    prod = jnp.sum(prod, axis=summed) if summed else prod
    remaining = [lab for lab in union if lab in kept]
    prod = jnp.transpose(prod, [0] + [1 + remaining.index(lab) for lab in kept])
    free = [1 + q for q, lab in enumerate(in_labels) if lab not in union]
    return jnp.expand_dims(prod, free) if free else prod


def _per_sample_shape(structs: list[Structure], batch: int) -> tuple[int, ...] | None:
    """Shape of the per-sample accumulator of one param leaf (None: no such term)."""
    shapes = [
        [
            1 if lab not in set(st.out_labels) | set(st.val_dims or ()) else size
            for lab, size in zip(st.in_labels, st.in_shape)
        ]
        for st in structs
        if not is_outer(st)
    ]
    if not shapes:
        return None
    return (batch, *(max(dims) for dims in zip(*shapes)))
