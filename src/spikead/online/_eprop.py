"""e-prop's step (Bellec et al. 2020): the step with `jax.lax.stop_gradient` on every
operand through which the previous state reaches OTHER neurons.

For ``(s_t, y_t) = step(params, s_{t-1}, x_t)`` the e-prop step is the step's own jaxpr
(nested `jit`s inlined) in which each *cross-neuron sum of the previous state* reads
``stop_gradient(operand)``: a `dot_general` or `reduce_sum` on the path to the new state
that sums an operand depending on the previous state over a dim paired with a state
array's neuron index (recurrent synapses ``W_rec @ z_{t-1}``, lateral inhibition
``L @ relu(v_{t-1})``). Values are unchanged; the derivative loses exactly these paths and
keeps every neuron-local one (leak, the neuron's own reset and adaptation through its own
spike, the surrogate). The self-connection ``W_rec[n, n]`` goes through the sum and is
dropped with the rest (as with ``W_rec @ stop_gradient(z)`` written by hand).

Where the stops go: the structure of every candidate operand (an operand of a
`dot_general` / `reduce_sum` needed for the new state that depends on the previous state)
w.r.t. params and state is read from the JVP of the step's jaxpr that outputs these
operands (`analyse_jvp`); `summed_states` applies the coupling rule of `_analysis` (the
one `spikead.online.classify` uses) to the primal equation. The result is checked: the
e-prop step's new state has no cross-neuron path of the previous state left and no
primitive the analysis cannot see through (`UnsupportedStepError` otherwise).

Why this is e-prop: `_reference.eprop_reference_value_and_grad`.

Depth. A summed operand that also depends on parameters and whose sum feeds only OTHER
state leaves than those it sums (layer l+1's input ``W_[l+1] @ z^l_t``: z^l_t carries layer
l's previous state and W_l) is stopped on the path to the new state only; the output y_t
reads the step's own operand (the e-prop step's jaxpr computes the new state and y_t by
two copies of the step, with the two sets of stops; their forward values are equal, and
the readout taps no new state of this step). BPTT of this step is per-layer e-prop: for
W_l, `jax.grad` with `stop_gradient` on the previous state of every layer above l (exact
within each step, layer l's own dynamics kept, later-step paths through the layers above
dropped). Recurrent sums (operands without parameters) keep Bellec's stops on both
paths. A parameter-carrying operand whose sum feeds back into the states it sums (a
recurrence through a parameter, ``R @ (h * g)``) is refused: no layer-wise reference
says which of its paths to keep.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

import jax
import numpy as np
from jax.extend import core as jcore
from jax.extend.core import jaxpr_as_fun

from ._analysis import (
    StepArgs,
    analyse_jvp,
    needed_eqns,
    source_line,
    summed_states,
    trace_inlined,
)
from ._errors import UnsupportedStepError

#: primitives that can sum over neurons (`_analysis`'s coupling rule)
SUMS = ("dot_general", "reduce_sum")


@dataclasses.dataclass(frozen=True)
class Stop:
    """One `stop_gradient` of the e-prop step.

    Attributes:
        eqn: index of the summing equation in the step's jaxpr (nested `jit`s inlined).
        operand: which of its operands is stopped.
        primitive: ``"dot_general"`` or ``"reduce_sum"``.
        states: indices of the state leaves whose neuron index the equation sums over.
        line: the line of the step's code that emitted the equation (None if unknown).
        params: parameter leaves the operand also depends on (module doc, "Depth"): such an
            operand is stopped on the way to the new state only; the output keeps it.
    """

    eqn: int
    operand: int
    primitive: str
    states: tuple[int, ...]
    line: str | None
    params: tuple[int, ...] = ()


@dataclasses.dataclass(frozen=True)
class EpropStep:
    """``step(params, state, x) -> (state, y)``: the step with its `stops` (module doc).

    Evaluates the rewritten jaxpr of ONE sample at the shapes it was built for (`jax.vmap`
    it for a batch); the state and output keep the original step's pytrees.
    """

    closed: Any = dataclasses.field(repr=False, compare=False)
    stops: tuple[Stop, ...]
    state_tree: Any = dataclasses.field(repr=False)
    y_tree: Any = dataclasses.field(repr=False)

    def __call__(self, params, state, x):
        flat = [*jax.tree.leaves(params), *jax.tree.leaves(state), *jax.tree.leaves(x)]
        out = jaxpr_as_fun(self.closed)(*flat)
        n_s = self.state_tree.num_leaves
        return (
            jax.tree.unflatten(self.state_tree, out[:n_s]),
            jax.tree.unflatten(self.y_tree, out[n_s:]),
        )


def eprop_step(step: Callable, params, state, x) -> EpropStep:
    """The e-prop step of ``step`` at these (ONE sample's) arguments; its `stops` are
    empty when nothing reaches other neurons (then it computes the step's own gradient).

    Raises:
        UnsupportedStepError: a stopped operand also depends on params and its sum feeds
            back into the states it sums (the stop would drop parameter paths of a
            recurrence), or after the stops the new state still depends on the
            previous state through a primitive the analysis has no rule for, or across
            neurons.
    """
    args = StepArgs.of(params, state, x)
    n_s = len(args.s_leaves)
    trees = []

    def flat_step(*flat):
        new, y = step(*args.split(flat)[:3])
        new_leaves, new_tree = jax.tree.flatten(new)
        if len(new_leaves) != n_s:
            raise UnsupportedStepError(
                f"step returned a new state with {len(new_leaves)} arrays, the state passed "
                f"in has {n_s}: the state must keep its pytree structure across steps."
            )
        y_leaves, y_tree = jax.tree.flatten(y)
        trees[:] = [new_tree, y_tree]
        return new_leaves + y_leaves

    closed = trace_inlined(flat_step, *args.p_leaves, *args.s_leaves, *args.x_leaves)
    stops = tuple(_find_stops(closed, args))
    stopped = _with_stops(closed, stops) if stops else closed
    if any(s.params for s in stops):  # deep: the output keeps the feed-forward sums
        signal = _with_stops(closed, [s for s in stops if not s.params])
        stopped = _join(stopped, signal, args)
    _check_local(stopped, args)
    return EpropStep(stopped, stops, *trees)


def _state_path(closed: jcore.ClosedJaxpr, n_s: int) -> jcore.ClosedJaxpr:
    """The jaxpr computing only the new state (the first ``n_s`` outputs)."""
    jaxpr = closed.jaxpr
    outs = jaxpr.outvars[:n_s]
    keep = needed_eqns(jaxpr, outs)
    eqns = [e for k, e in enumerate(jaxpr.eqns) if k in keep]
    return jcore.ClosedJaxpr(
        jcore.Jaxpr(jaxpr.constvars, jaxpr.invars, outs, eqns, jaxpr.effects), closed.consts
    )


def _reached(jaxpr, sources) -> set:
    """Variables that depend on any of ``sources`` (forward reachability)."""
    seen = set(sources)
    for eqn in jaxpr.eqns:
        if any(isinstance(a, jcore.Var) and a in seen for a in eqn.invars):
            seen.update(eqn.outvars)
    return seen


def _find_stops(closed: jcore.ClosedJaxpr, args: StepArgs) -> list[Stop]:
    jaxpr = closed.jaxpr
    n_p, n_s, _ = args.sizes
    # sums a derivative of the new state goes through (not those behind a stop_gradient,
    # e.g. a state accumulating stop_gradient(readout @ z_t): stopping them would cut y)
    needed = needed_eqns(jaxpr, jaxpr.outvars[:n_s], differentiable=True)
    reached = _reached(jaxpr, jaxpr.invars[n_p : n_p + n_s])
    candidates = [
        (k, i)
        for k, eqn in enumerate(jaxpr.eqns)
        if k in needed and eqn.primitive.name in SUMS
        for i, a in enumerate(eqn.invars)
        if isinstance(a, jcore.Var) and a in reached
    ]
    if not candidates:
        return []
    operands = [jaxpr.eqns[k].invars[i] for k, i in candidates]
    probe = jcore.ClosedJaxpr(
        jcore.Jaxpr(jaxpr.constvars, jaxpr.invars, operands, jaxpr.eqns, jaxpr.effects),
        closed.consts,
    )
    deps = analyse_jvp(probe, args.p_leaves, args.s_leaves, args.x_leaves).blocks
    shapes = [np.shape(a) for a in (*args.p_leaves, *args.s_leaves)]
    states = set(range(n_p, n_p + n_s))
    stops = []
    for (k, i), dep in zip(candidates, deps):
        eqn = jaxpr.eqns[k]
        summed = summed_states(eqn, i, dep, states, shapes)
        if not summed:
            continue
        mixed = tuple(sorted(s for s in dep if s not in states))
        fed = _fed_states(jaxpr, eqn, n_s) & {s - n_p for s in summed}
        if mixed and fed:
            raise UnsupportedStepError(
                f"the {eqn.primitive.name} at equation {k} of the step ({source_line(eqn)}) "
                f"sums previous-state values over neurons (a cross-neuron coupling e-prop "
                f"drops) but its operand {i} also depends on parameter leaves {list(mixed)} "
                f"and the sum feeds back into the state leaves {sorted(fed)} it sums; "
                f"stopping its gradient would drop parameter paths of that recurrence. Move "
                f"the parameter out of the summed operand, or use method='bptt'/'rtrl'."
            )
        stops.append(
            Stop(k, i, eqn.primitive.name, tuple(s - n_p for s in summed), source_line(eqn), mixed)
        )
    return stops


def _fed_states(jaxpr, eqn, n_s: int) -> set[int]:
    """New-state leaves (indices) whose value depends on ``eqn``'s output."""
    seen = _reached(jaxpr, eqn.outvars)
    return {j for j, v in enumerate(jaxpr.outvars[:n_s]) if v in seen}


def _join(state_from: jcore.ClosedJaxpr, y_from: jcore.ClosedJaxpr, args: StepArgs):
    """One jaxpr: the new state of ``state_from`` and the output of ``y_from`` (same
    inputs). The two paths share no variable, so the readout taps no new state of it."""
    n_s = args.sizes[1]

    def joined(*flat):
        return [*jaxpr_as_fun(state_from)(*flat)[:n_s], *jaxpr_as_fun(y_from)(*flat)[n_s:]]

    return trace_inlined(joined, *args.p_leaves, *args.s_leaves, *args.x_leaves)


@functools.cache
def _stop_gradient_eqn():
    """A traced ``stop_gradient`` equation (its primitive and params), to splice in."""
    return jax.make_jaxpr(jax.lax.stop_gradient)(np.float32(0)).jaxpr.eqns[0]


def _with_stops(closed: jcore.ClosedJaxpr, stops) -> jcore.ClosedJaxpr:
    """``closed`` with each stopped operand read through a new `stop_gradient` equation."""
    jaxpr = closed.jaxpr
    by_eqn: dict[int, list[int]] = {}
    for s in stops:
        by_eqn.setdefault(s.eqn, []).append(s.operand)
    template = _stop_gradient_eqn()
    eqns = []
    for k, eqn in enumerate(jaxpr.eqns):
        if k in by_eqn:
            invars = list(eqn.invars)
            for i in by_eqn[k]:
                fresh = jcore.Var(invars[i].aval)
                eqns.append(
                    template.replace(
                        invars=[invars[i]], outvars=[fresh], source_info=eqn.source_info
                    )
                )
                invars[i] = fresh
            eqn = eqn.replace(invars=invars)
        eqns.append(eqn)
    new = jcore.Jaxpr(
        jaxpr.constvars, jaxpr.invars, jaxpr.outvars, eqns, jaxpr.effects, jaxpr.debug_info
    )
    return jcore.ClosedJaxpr(new, closed.consts)


def _check_local(stopped: jcore.ClosedJaxpr, args: StepArgs) -> None:
    """Raise unless the new state reaches the previous state only within each neuron."""
    n_p, n_s, _ = args.sizes
    an = analyse_jvp(_state_path(stopped, n_s), args.p_leaves, args.s_leaves, args.x_leaves)
    states = set(range(n_p, n_p + n_s))
    for u in an.unknowns:
        if set(u.sources) & states:
            raise UnsupportedStepError(
                f"primitive {u.primitive!r} acts on the previous state on the way to the new "
                f"state and has no structure rule in spikead.online, so e-prop's cut of the "
                f"paths through other neurons cannot be placed. Express the step with "
                f"elementwise ops and dot_general, or use method='bptt' / 'dense' / 'rtrl'."
            )
    if an.couplings:
        c = an.couplings[0]
        raise UnsupportedStepError(
            f"after stopping the gradient of every cross-neuron sum found, the {c.primitive} "
            f"at equation {c.eqn} of the e-prop step's JVP still sums previous-state "
            f"tangents over neurons (an operand used by two equations?); use method='bptt'."
        )
