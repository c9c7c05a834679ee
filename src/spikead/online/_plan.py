"""The plan of the sparse method: what a step's Jacobians are, and which traces it carries.

For a step ``(state_t, y_t) = step(params, state_{t-1}, x_t)`` let
``H[s, r] = d state_t[s] / d state_{t-1}[r]`` and ``F[s, p] = d state_t[s] / d params[p]``.
`make_plan` derives, once per step function and argument shapes and never from values,
the *structures* of these blocks and of the eligibility traces ``G_t = H_t G_{t-1} + F_t``
(`_trace`), and classifies the step (`spikead.online.classify`, `_contract`):

- Structures. Every block is a `spikead.ad` structured tensor (`Structure`), read from the
  step's JVP jaxpr (`_analysis`): for neuron-local dynamics H is paired (diagonal) on the
  neuron index, F paired on the neuron index and dense on the input index, so ``H @ G`` is
  an element-wise product (never N x N x M). The carried trace has a fixed structure: the
  fixed point of the recursion's structure (`_trace_fixed_point`), computed with
  `spikead.ad`'s product/sum rules. When H is a scaled identity with one scalar (the same
  decay for every neuron, no per-neuron reset path) and F is constant along the neuron
  index (``d(W x)_n / dW_nm = x_m``), the trace keeps that broadcast structure and stores
  M values per sample instead of N x M (`is_outer`, `SparsePlan.factorised`). "The same
  for every neuron" is read from the values of concrete closed-over constants (a neuron's
  ``beta`` array with one value repeated; `_analysis.varying_dims`); the LIF of
  `spikead.snn` with ``reset="subtract", stop_reset_grad=True`` and a scalar decay is
  such a step.
- Pruning. Only the traces the gradient reads are kept (`_prune`): those of the states
  the step's output reads (`_readout`: the tapped new states and the previous states it
  still reads) and the traces their recursion needs.
- Classification (e-prop). A `dot_general` or `reduce_sum` that sums a previous-state
  tangent over its paired (neuron) index is a synaptic sum across neurons (``W_rec @
  z_{t-1}``, lateral inhibition ``L @ relu(v_{t-1})``). A step with such sums is
  "approximate": its plan records each coupling equation (`SparsePlan.couplings`) and is
  the exact plan of the step's *e-prop step* (`_eprop.eprop_step`: the step's jaxpr with
  ``stop_gradient`` on each summed operand, `SparsePlan.step`), so the traces, the readout
  and the learning signal all lose exactly the paths through other neurons' previous state
  (the self-connection ``W_rec[n, n]`` too) and keep every neuron-local one (leak, reset,
  adaptation, the surrogate of the neuron's own spike). The result is Bellec et al.'s
  e-prop: BPTT of the e-prop step (`_reference.eprop_reference_value_and_grad`, which says
  why), to float rounding (tested at 1e-5 relative L2). Without such sums the result
  equals BPTT exactly (`SparsePlan.exact`).
- Depth (several layers). Layer l+1 reads ``W_[l+1] @ z^l_t``: a cross-neuron sum whose
  operand carries layer l's previous state AND the tangents of layer l's (and lower
  layers') parameters. The e-prop step stops it on the way to the new state only
  (`_eprop`, "Depth"), so the traces drop every path from those parameters through layer
  l+1's state into LATER steps (the exact trace d s^[l+1] / d W_l would be N x N x M per
  sample), while the learning signal backpropagates exactly through the layers within
  each step. The result is per-layer e-prop: for W_l, `jax.grad` of the loss with
  `stop_gradient` on the previous state of every layer above l
  (tests/train/test_depth.py); the top layer's weights and the readout are exact. Such a
  coupling's description says so (`_DEPTH_NOTE`).

Errors. `UnsupportedStepError` when a previous-state tangent reaches the new state
through a primitive without a structure rule, when a summed operand also carries a
parameter tangent and its sum feeds back into the states it sums (the stop would drop a
parameter path of a recurrence), or when a state-to-state block is not paired one-to-one
(state arrays must be indexed by neurons only).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ._analysis import (
    Analysis,
    StepArgs,
    analyse,
    needed_eqns,
    source_line,
    trace_inlined,
)
from ._engine import Structure, product_plan, sum_structure
from ._eprop import eprop_step
from ._errors import UnsupportedStepError
from ._readout import Readout, make_readout

Step = Callable[[Any, Any, Any], tuple[Any, Any]]


@dataclasses.dataclass(frozen=True)
class SparsePlan:
    """Trace-time description of a step's structured Jacobians (static; inspectable).

    Attributes:
        H: ``H[s][r]``: structure of d state_t[s] / d state_{t-1}[r] (None: zero).
        F: ``F[s][p]``: structure of d state_t[s] / d param leaf p (None: zero).
        trace: ``{(s, p): Structure}`` of the carried eligibility traces.
        cuts: primitives whose cross-neuron tangent paths e-prop cuts (empty: exact).
        couplings: one description per cut: the equation of the step's JVP that sums
            previous-state tangents over neurons, its operand, the state leaves it reads
            and the line of the step's code that emitted it (`spikead.online.classify`).
        dtype: dtype of the carried traces (the params' and state's result type).
        readout: the step's output read from its new state (`Readout`), so the learning
            signal meets G_t.
        step: the step the Jacobians, traces and readout are of: the analysed step when
            exact; with cuts, its e-prop step (`spikead.online._eprop.eprop_step`).
        state_shapes / param_shapes: shapes of the flattened state and param leaves.
    """

    H: tuple[tuple[Structure | None, ...], ...]
    F: tuple[tuple[Structure | None, ...], ...]
    trace: dict[tuple[int, int], Structure]
    cuts: tuple[str, ...]
    state_shapes: tuple[tuple[int, ...], ...]
    param_shapes: tuple[tuple[int, ...], ...]
    closed: Any = dataclasses.field(repr=False, compare=False)
    n_primal: int = 0
    readout: Readout | None = None
    couplings: tuple[str, ...] = ()
    dtype: Any = np.float32
    step: Step | None = dataclasses.field(default=None, repr=False, compare=False)

    @property
    def exact(self) -> bool:
        """True when nothing was cut: the gradient equals BPTT's."""
        return not self.cuts

    @property
    def factorised(self) -> bool:
        """Exact, and every carried trace stores no values along its neuron (state) labels."""
        return self.exact and bool(self.trace) and all(map(is_outer, self.trace.values()))

    def trace_values(self) -> int:
        """Number of values the carried traces store per sample."""
        return sum(s.n_values for s in self.trace.values())

    def describe(self) -> str:
        """Whether the plan is exact, and each carried trace's structure and size."""
        lines = [f"exact: {self.exact} (cut: {list(self.cuts)})"]
        for (s, p), st in sorted(self.trace.items()):
            lines.append(f"trace[state {s}, param {p}] {st}  ({st.n_values} values)")
        return "\n".join(lines)


def _shapes(leaves) -> tuple[tuple[int, ...], ...]:
    """The shape of each leaf."""
    return tuple(tuple(np.shape(x)) for x in leaves)


def make_plan(step: Step, params, state, x) -> SparsePlan:
    """Analyse ``step`` at these shapes; values are never used.

    Args:
        step: ``step(params, state, x_t) -> (state, y_t)`` for ONE sample.
        params, state, x: ONE sample's arguments (pytrees; only shapes and dtypes, and the
            values of the step's closed-over constants, are read).

    Returns:
        The `SparsePlan`: for an approximate step (cross-neuron sums of the previous
        state), the plan of its e-prop step with the couplings recorded (`_eprop_plan`).

    Raises:
        UnsupportedStepError: see the module docstring.
    """
    args = StepArgs.of(params, state, x)
    n_p, n_s, n_x = args.sizes
    closed = _jvp_jaxpr(step, args)
    shapes = _shapes(args.p_leaves) + _shapes(args.s_leaves)
    states = set(range(n_p, n_p + n_s))
    analysis = analyse(closed, n_p + n_s + n_x, shapes, states)
    needed = needed_eqns(closed.jaxpr, closed.jaxpr.outvars[:n_s])  # state outputs only
    y_reads = {r for blocks in analysis.blocks[n_s:] for r in range(n_s) if n_p + r in blocks}
    _check_unknowns(analysis, needed, states, closed)
    cuts = [c for c in analysis.couplings if c.eqn in needed]
    if cuts:  # approximate: e-prop's plan is the exact plan of the e-prop step
        return _eprop_plan(step, params, state, x, closed, cuts)
    s_shapes, p_shapes = _shapes(args.s_leaves), _shapes(args.p_leaves)
    H, F = _state_blocks(analysis, n_p, s_shapes, p_shapes)
    full = _trace_fixed_point(H, F, n_s, n_p)
    # the learning signal after the update (see `_readout`): traces of the tapped new
    # states and of the previous states the readout still reads
    readout = make_readout(step, params, state, x, {s for s, _ in _prune(full, H, y_reads)})
    trace = _prune(full, H, set(readout.taps) | readout.reads)
    return SparsePlan(
        H,
        F,
        trace,
        (),
        s_shapes,
        p_shapes,
        closed,
        n_p + n_s + n_x,
        readout,
        (),
        jnp.result_type(*args.p_leaves, *args.s_leaves),
        step,
    )


def _jvp_jaxpr(step: Step, args: StepArgs):
    """The closed jaxpr of the step's JVP w.r.t. params and state, nested `jit`s inlined:
    inputs ``(*params, *state, *x, *param tangents, *state tangents)`` (flattened leaves),
    outputs ``(*new-state tangents, *output tangents)``."""
    n_p, n_s, _ = args.sizes
    p_tree, s_tree, _ = args.trees

    def jvp_state(*flat):
        p, s, xx, tangents = args.split(flat)
        tp = jax.tree.unflatten(p_tree, tangents[:n_p])
        ts = jax.tree.unflatten(s_tree, tangents[n_p:])
        _, (t_out, t_y) = jax.jvp(lambda a, b: step(a, b, xx), (p, s), (tp, ts))
        t_leaves = jax.tree.leaves(t_out)
        if len(t_leaves) != n_s:
            raise UnsupportedStepError(
                f"step returned a new state with {len(t_leaves)} arrays, the state passed "
                f"in has {n_s}: the state must keep its pytree structure across steps."
            )
        return t_leaves + jax.tree.leaves(t_y)

    p_leaves, s_leaves = args.p_leaves, args.s_leaves
    return trace_inlined(jvp_state, *p_leaves, *s_leaves, *args.x_leaves, *p_leaves, *s_leaves)


def _state_blocks(analysis: Analysis, n_p: int, s_shapes, p_shapes):
    """``(H, F)``: the structures ``H[s][r]`` (state s from previous state r) and ``F[s][p]``
    (state s from param leaf p), None where zero; each H block checked to pair the neurons
    one-to-one."""
    n_s = len(s_shapes)
    H, F = [], []
    for i, blocks in enumerate(analysis.blocks[:n_s]):
        H.append(tuple(_block(blocks, n_p + r, s_shapes[i], s_shapes[r]) for r in range(n_s)))
        F.append(tuple(_block(blocks, p, s_shapes[i], p_shapes[p]) for p in range(n_p)))
        for r, h in enumerate(H[-1]):
            if h is not None and (
                h.pair != tuple(range(len(s_shapes[r]))) or s_shapes[i] != s_shapes[r]
            ):
                raise UnsupportedStepError(
                    f"d state[{i}] / d previous state[{r}] has structure {h}, not paired "
                    f"one-to-one (diagonal over neurons): state arrays must be indexed by "
                    f"neurons only and interact across neurons only through synaptic sums "
                    f"(dot_general / reduce_sum). Use method='dense' or 'bptt' for this step."
                )
    return tuple(H), tuple(F)


def _eprop_plan(step: Step, params, state, x, closed, cuts) -> SparsePlan:
    """The plan of an approximate step: the exact plan of its e-prop step (`eprop_step`:
    ``stop_gradient`` on each cross-neuron sum of the previous state), with the couplings
    of ``step`` (equations of its JVP ``closed``) recorded for `classify` and the errors."""
    n_p = len(jax.tree.leaves(params))
    stopped = eprop_step(step, params, state, x)
    deep = {(s.line, frozenset(s.states)) for s in stopped.stops if s.params}
    couplings = tuple(
        _describe_coupling(closed, c, n_p, state)
        + (
            _DEPTH_NOTE
            if (source_line(closed.jaxpr.eqns[c.eqn]), frozenset(x - n_p for x in c.sources))
            in deep
            else ""
        )
        for c in cuts
    )
    plan = make_plan(stopped, params, state, x)
    if plan.cuts:  # pragma: no cover - eprop_step checks that no coupling is left
        raise RuntimeError(f"the e-prop step still has cross-neuron couplings {plan.cuts}")
    return dataclasses.replace(
        plan, cuts=tuple(f"{c.primitive}@eqn{c.eqn}" for c in cuts), couplings=couplings
    )


#: appended to a coupling whose summed operand also carries parameter tangents
_DEPTH_NOTE = (
    "; the operand also carries parameter tangents (a deeper layer's input "
    "W_[l+1] @ z^l_t): their paths through this sum into LATER steps are dropped "
    "from the traces, the same-step path stays in the learning signal (per-layer "
    "e-prop, `spikead.online._eprop`)"
)


def _describe_coupling(closed, coupling, n_p: int, state) -> str:
    """One line naming a cross-neuron coupling: equation, primitive, operand, state leaves,
    and the step's source line."""
    eqn = closed.jaxpr.eqns[coupling.eqn]
    operand = eqn.invars[coupling.operand]
    paths = [
        jax.tree_util.keystr(path) for path, _ in jax.tree_util.tree_flatten_with_path(state)[0]
    ]
    leaves = ", ".join(f"state{paths[s - n_p]}" for s in coupling.sources)
    text = " ".join(str(eqn).split())
    names = text.rsplit("] ", 1)[-1].split()  # the operands as the equation prints them
    name = f"`{names[coupling.operand]}` " if len(names) == len(eqn.invars) else ""
    where = source_line(eqn)
    return (
        f"{coupling.primitive} (equation {coupling.eqn} of the step's JVP: `{text}`) sums "
        f"its operand {coupling.operand} ({name}{operand.aval.str_short()}), the tangent "
        f"of previous {leaves}, over neurons" + (f"; emitted at {where}" if where else "")
    )


def _block(blocks, src, out_shape, in_shape) -> Structure | None:
    """The structure of one output's block from input ``src`` (None: no path, a zero)."""
    b = blocks.get(src)
    return None if b is None else b.structure(out_shape, in_shape)


def _check_unknowns(analysis: Analysis, needed, states, closed) -> None:
    """Refuse a primitive without a structure rule on a previous-state tangent's way to the
    new state (equations in ``needed``)."""
    for u in analysis.unknowns:
        bad = [s for s in u.sources if s in states]
        if u.eqn in needed and bad:
            raise UnsupportedStepError(
                f"primitive {u.primitive!r} (equation {u.eqn} of the step's JVP) acts on "
                f"previous-state tangents and has no structure rule in spikead.online; its "
                f"state Jacobian can be neither paired per neuron nor dropped as a synaptic "
                f"sum. Express the step with elementwise ops and dot_general, or use "
                f"method='dense' / 'bptt' / 'rtrl'."
            )


def _trace_fixed_point(H, F, n_s, n_p) -> dict[tuple[int, int], Structure]:
    """Structure of every non-zero trace: iterate the recursion on structures until stable."""
    trace: dict[tuple[int, int], Structure] = {}
    for _ in range(64):
        new: dict[tuple[int, int], Structure] = {}
        for s in range(n_s):
            for p in range(n_p):
                terms = [] if F[s][p] is None else [F[s][p]]
                for r in range(n_s):
                    if H[s][r] is not None and (r, p) in trace:
                        terms.append(product_plan(H[s][r], trace[(r, p)]).result)
                if (s, p) in trace:
                    terms.append(trace[(s, p)])
                if terms:
                    new[(s, p)] = functools.reduce(sum_structure, terms)
        if new == trace:
            return trace
        trace = new
    raise RuntimeError(
        "trace structure did not reach a fixed point in 64 iterations"
    )  # pragma: no cover


def _prune(trace, H, y_reads: set[int]) -> dict[tuple[int, int], Structure]:
    """Keep the traces the gradient reads: states y_t depends on, and what they need."""
    keep = {(r, p) for (r, p) in trace if r in y_reads}
    frontier = list(keep)
    while frontier:
        s, p = frontier.pop()
        for r, h in enumerate(H[s]):
            if h is not None and (r, p) in trace and (r, p) not in keep:
                keep.add((r, p))
                frontier.append((r, p))
    return {k: v for k, v in trace.items() if k in keep}


def is_outer(st: Structure) -> bool:
    """A trace whose values vary along input labels only (stored without its neuron axis):
    ``sum_b L[b] G[b]`` is a matmul (`_trace.outer_term`)."""
    return not set(st.out_labels) & set(st.val_dims or ())
