"""State leaves a step recomputes from its other NEW state leaves, dropped from the state.

A spiking neuron's state usually carries its spike: LIF's ``(v, z)`` with
``z_t = H(v_t - thr)``. Such a leaf is a function of the other new state leaves alone (no
parameter, no previous state, no input), ``s_k,t = g(s_K,t)``, so its eligibility trace
is ``d s_k,t / d params = g'(s_K,t) . d s_K,t / d params``: a per-neuron multiple of the
other traces. The sparse method nevertheless carries it as a trace of its own (N x M
values per sample for an N x M weight) and updates and reads it at every step.

`derived_state` finds these leaves from the step's jaxpr and returns a `ReducedStep`:
the step on the KEPT leaves only, which recomputes each dropped leaf of the previous
state as ``s_k,t-1 = g(s_K,t-1)`` (the same equations, so the same values and the same
surrogate derivative) before calling the step. Its gradient equals the step's gradient
(it is the same function of params along any trajectory on which ``s_k = g(s_K)``) when
the initial state satisfies that relation too, which `ReducedStep.consistent` checks on
concrete values (LIF's zero state: ``H(0 - thr) = 0`` for ``thr > 0``). With the
dropped traces the sparse method carries, updates and contracts one N x M trace per
sample instead of two for LIF (measured in `spikead.train._grads`).

The analysis is on values only: a dropped leaf's equations must not read any argument of
the step (params, previous state, inputs), only the other new state leaves and
constants; a leaf read by another dropped leaf's ``g`` is kept.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import jax
import numpy as np
from jax.extend import core as jcore
from jax.extend.core import jaxpr_as_fun

from ._analysis import StepArgs, needed_eqns, trace_inlined


@dataclasses.dataclass(frozen=True)
class ReducedStep:
    """``step(params, kept, x) -> (kept_new, y)`` with ``kept`` a tuple of the kept leaves.

    Attributes:
        step: the original ``step(params, state, x) -> (state, y)`` (one sample).
        kept: indices (in the flattened state) of the leaves the reduced state carries.
        derived: indices of the leaves recomputed from the kept ones.
        closed: jaxpr ``kept leaves -> derived leaves`` (the step's own equations).
        state_tree: the pytree of the original state.
    """

    step: Callable = dataclasses.field(repr=False, compare=False)
    kept: tuple[int, ...]
    derived: tuple[int, ...]
    closed: Any = dataclasses.field(repr=False, compare=False)
    state_tree: Any = dataclasses.field(repr=False)

    def expand(self, kept) -> Any:
        """The full state (original pytree) from the kept leaves (one sample)."""
        leaves = [None] * self.state_tree.num_leaves
        for k, a in zip(self.kept, kept):
            leaves[k] = a
        for k, a in zip(self.derived, jaxpr_as_fun(self.closed)(*kept)):
            leaves[k] = a
        return jax.tree.unflatten(self.state_tree, leaves)

    def reduce(self, state) -> tuple:
        """The kept leaves of a full state (any leading batch axes)."""
        leaves = jax.tree.leaves(state)
        return tuple(leaves[k] for k in self.kept)

    def consistent(self, state) -> bool:
        """True when ``state`` (ONE sample, concrete values) already satisfies
        ``s_k = g(s_K)`` for every derived leaf, so the reduced step starts where the step
        starts; False also when ``g`` closes over traced constants (e.g. a neuron's
        threshold passed through `jit`: nothing to check with). Raises TypeError for a
        traced ``state`` (the check needs numbers)."""
        if any(isinstance(c, jax.core.Tracer) for c in self.closed.consts):
            return False
        leaves = jax.tree.leaves(state)
        if any(isinstance(a, jax.core.Tracer) for a in leaves):
            raise TypeError(
                "ReducedStep.consistent needs concrete state values, got a tracer; call it "
                "outside jit (or under jax.ensure_compile_time_eval) with the initial state."
            )
        with jax.ensure_compile_time_eval():
            again = jaxpr_as_fun(self.closed)(*(leaves[k] for k in self.kept))
        return all(
            np.array_equal(np.asarray(a), np.asarray(leaves[k]))
            for k, a in zip(self.derived, again)
        )

    def __call__(self, params, kept, x):
        new, y = self.step(params, self.expand(kept), x)
        return self.reduce(new), y


def derived_state(step: Callable, params, state, x) -> ReducedStep | None:
    """The step without the state leaves it recomputes from its other new state leaves
    (module docstring), at these (ONE sample's) arguments; None when there is none.

    Args:
        step: ``step(params, state, x) -> (state, y)`` for one sample.
        params, state, x: example arguments (values may be traced; only shapes and the
            step's equations are used).
    """
    args = StepArgs.of(params, state, x)
    n_s = args.sizes[1]

    def new_state(*flat):
        return jax.tree.leaves(step(*args.split(flat)[:3])[0])

    closed = trace_inlined(new_state, *args.p_leaves, *args.s_leaves, *args.x_leaves)
    outs = closed.jaxpr.outvars
    if len(outs) != n_s:
        return None  # the step changes the state's structure: the sparse method says why
    derived: list[int] = []
    for k in range(n_s):
        others = [j for j in range(n_s) if j != k and j not in derived]
        cut = _from_new_leaves(closed, [outs[j] for j in others], outs[k])
        if cut is not None:
            derived.append(k)
    kept = tuple(j for j in range(n_s) if j not in derived)
    if not derived:
        return None
    # one jaxpr: derived leaves from the kept ones (each reads kept leaves only)
    cut = _from_new_leaves(closed, [outs[j] for j in kept], [outs[k] for k in derived])
    if cut is None:  # pragma: no cover - each derived leaf was checked on its own
        raise RuntimeError("derived state leaves read each other")
    return ReducedStep(step, kept, tuple(derived), cut, args.trees[1])


def reduce_step(step: Callable, params, state0, x0, *, init=None) -> tuple[Callable, Any, tuple]:
    """``(step, state0, dropped)``: the step without its derived state leaves
    (`derived_state`) when there are some and the initial state satisfies their relation
    (`ReducedStep.consistent`), else the arguments unchanged and ``dropped == ()``.

    The reduced step has the step's gradient from this initial state (module docstring);
    the sparse method then carries no trace for the dropped leaves.

    Args:
        step: ``step(params, state, x) -> (state, y)`` for one sample.
        params: one sample's params (values may be traced).
        state0: the initial state, every leaf with a leading batch axis (B, ...).
        x0: one input with the same leading batch axis (B, ...): only its shapes are used.
        init: ONE sample's initial state as concrete values, for the consistency check;
            default: every sample of ``state0`` (which must then be concrete). Pass it when
            ``state0`` is traced (built inside `jit`).

    Returns:
        ``(reduced, reduced.reduce(state0), reduced.derived)`` (``ReducedStep``, kept
        leaves (B, ...), indices of the dropped leaves in the flattened state), or
        ``(step, state0, ())``.
    """
    reduced = derived_state(step, params, _sample(state0, 0), _sample(x0, 0))
    if reduced is None:
        return step, state0, ()
    if init is not None:
        ok = reduced.consistent(init)
    else:
        n = jax.tree.leaves(state0)[0].shape[0]
        ok = all(reduced.consistent(_sample(state0, b)) for b in range(n))
    if not ok:
        return step, state0, ()
    return reduced, reduced.reduce(state0), reduced.derived


def _sample(tree, b: int):
    """Sample ``b`` of a batched pytree (leading axis)."""
    return jax.tree.map(lambda a: a[b], tree)


def _from_new_leaves(closed: jcore.ClosedJaxpr, sources: list, target) -> jcore.ClosedJaxpr | None:
    """The jaxpr ``sources -> target`` (a var or list of vars) when ``target`` is computed
    from ``sources`` and constants only, with none of the step's arguments read; else None."""
    jaxpr = closed.jaxpr
    targets = target if isinstance(target, list) else [target]
    args = set(jaxpr.invars)
    if any(
        not isinstance(t, jcore.Var) or t in args or any(t is v for v in sources) for t in targets
    ):
        return None
    invars = [jcore.Var(v.aval) for v in sources]  # one input per source, in order
    fresh: dict = {}
    for v, new_var in zip(sources, invars):  # a source that is an argument stays unread
        if isinstance(v, jcore.Var) and v not in args:
            fresh.setdefault(v, new_var)
    sub = lambda a: fresh.get(a, a) if isinstance(a, jcore.Var) else a
    eqns = [e.replace(invars=[sub(a) for a in e.invars]) for e in jaxpr.eqns]
    outs = [sub(t) for t in targets]
    keep = needed_eqns(jcore.Jaxpr(jaxpr.constvars, jaxpr.invars, outs, eqns), outs)
    eqns = [e for k, e in enumerate(eqns) if k in keep]
    if any(isinstance(a, jcore.Var) and a in args for e in eqns for a in e.invars):
        return None
    new = jcore.Jaxpr(jaxpr.constvars, invars, outs, eqns, jaxpr.effects)
    return jcore.ClosedJaxpr(new, closed.consts)
