"""A step's output as a function of its NEW state: the learning signal after the update.

For ``(s_t, y_t) = step(params, s_{t-1}, x_t)`` the readout is

    y_t = readout(params, s_{t-1}, x_t, s_t[taps])

the step's own jaxpr in which every read of a tapped new-state array (by the equations
that compute y_t, or y_t itself) reads an input instead. By the chain rule on this cut,

    dE_t/dparams = dE_t/ds_t[taps] . G_t[taps] + dE_t/ds_{t-1}[reads] . G_{t-1}[reads]
                   + dE_t/dparams (paths that avoid s_t[taps])

with the traces ``G_t = d s_t / d params`` (total derivatives). The computation of s_t
inside the readout is dead code (XLA removes it), so the step's forward pass runs once
per step and the direct path through s_t (``x_t`` into ``W_in``: a B x N x M
contraction) is folded into the trace term ``dE_t/ds_t . G_t``. ``reads`` are the
previous-state arrays the readout still differentiates through (often none).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import jax
from jax.extend import core as jcore
from jax.extend.core import jaxpr_as_fun

from ._analysis import StepArgs, analyse_jvp, needed_eqns, trace_inlined


@dataclasses.dataclass(frozen=True)
class Readout:
    """``fn(p_leaves, s_leaves, x_leaves, tapped) -> y_leaves`` (one sample).

    ``taps``: indices of the new-state leaves read from ``tapped`` (in this order);
    ``reads``: previous-state leaves y_t depends on other than through the taps.
    """

    closed: Any = dataclasses.field(repr=False, compare=False)
    taps: tuple[int, ...]
    reads: frozenset[int]

    def __call__(self, p_leaves, s_leaves, x_leaves, tapped):
        return list(jaxpr_as_fun(self.closed)(*p_leaves, *s_leaves, *x_leaves, *tapped))


def reads_from_inputs(closed: jcore.ClosedJaxpr, replace: list, outvars: list) -> jcore.ClosedJaxpr:
    """The jaxpr computing ``outvars`` where every read of a var in ``replace`` reads a
    fresh input (appended to the invars, in order); equations no output needs are dropped.
    """
    jaxpr = closed.jaxpr
    fresh = {v: jcore.Var(v.aval) for v in replace}
    sub = lambda a: fresh.get(a, a) if isinstance(a, jcore.Var) else a
    eqns = [e.replace(invars=[sub(a) for a in e.invars]) for e in jaxpr.eqns]
    outs = [sub(v) for v in outvars]
    keep = needed_eqns(jcore.Jaxpr(jaxpr.constvars, jaxpr.invars, outs, eqns), outs)
    eqns = [e for k, e in enumerate(eqns) if k in keep]
    new = jcore.Jaxpr(
        jaxpr.constvars, list(jaxpr.invars) + list(fresh.values()), outs, eqns, jaxpr.effects
    )
    return jcore.ClosedJaxpr(new, closed.consts)


def make_readout(step, params, state, x, candidates: set[int]) -> Readout:
    """The readout tapping the new-state leaves in ``candidates`` that the step computes
    (a new state that IS a previous-state array or a literal is not tapped).

    ``reads`` is read from the readout's JVP (`analyse_jvp`; unknown primitives count as
    reading every state they touch).
    """
    args = StepArgs.of(params, state, x)
    p_leaves, s_leaves, x_leaves = args.p_leaves, args.s_leaves, args.x_leaves
    n_p, n_s, _ = args.sizes

    def flat_step(*flat):
        new, y = step(*args.split(flat)[:3])
        return jax.tree.leaves(new) + jax.tree.leaves(y)

    closed = trace_inlined(flat_step, *p_leaves, *s_leaves, *x_leaves)
    jaxpr = closed.jaxpr
    inputs = set(jaxpr.invars)
    state_out, y_out = jaxpr.outvars[:n_s], jaxpr.outvars[n_s:]
    taps, replace = [], []
    for k in sorted(candidates):
        v = state_out[k]
        if isinstance(v, jcore.Var) and v not in inputs and v not in replace:
            taps.append(k)
            replace.append(v)
    readout = reads_from_inputs(closed, replace, y_out)
    tapped = [s_leaves[k] for k in taps]
    an = analyse_jvp(readout, p_leaves, s_leaves, [*x_leaves, *tapped])
    reads = {src - n_p for blocks in an.blocks for src in blocks if src >= n_p}
    reads |= {src - n_p for u in an.unknowns for src in u.sources if src >= n_p}
    return Readout(readout, tuple(taps), frozenset(reads))
