"""Sparse online gradients: eligibility traces kept as structured tensors.

For a step ``(state_t, y_t) = step(params, state_{t-1}, x_t)`` let, at step t,
``H[s, r] = d state_t[s] / d state_{t-1}[r]`` and ``F[s, p] = d state_t[s] / d params[p]``.
The traces ``G_t[s, p] = d state_t[s] / d params[p]`` follow

    G_t[s, p] = sum_r H_t[s, r] G_{t-1}[r, p] + F_t[s, p]
    grad[p]  += dE_t/dy_t . (sum_r J[y_t, r_{t-1}] G_{t-1}[r, p] + J[y_t, p])

The learning signal is taken AFTER the update instead: with the step's output read from
its new state (`_readout`),

    grad[p]  += dE_t/ds_t[taps] . G_t[taps, p] + dE_t/ds_{t-1}[reads] . G_{t-1}[reads, p]
                + dE_t/dparams[p] (paths avoiding s_t[taps])

the same sum regrouped by the chain rule, in which the direct path through the new state
(``x_t`` into ``W_in``, a B x N x M contraction per step) is part of the trace term and the
step's forward pass runs once. Both H, F (structured, from the step's JVP) and the
learning-signal terms (VJPs of the loss) come from the SAME step evaluated at the same
point, so the surrogate derivative is the one the step uses and the neuron's own reset /
adaptation paths are kept.

Structure. Every block is a `spikead.ad` structured tensor (`STensor`): for neuron-local
dynamics H is paired (diagonal) on the neuron index, F paired on the neuron index and
dense on the input index, so ``H @ G`` is an element-wise product (never N x N x M).
The carry has a fixed structure: the fixed point of the recursion's structure, computed
at trace time with `spikead.ad`'s product/sum rules. When H is a scaled identity with
one scalar (the same decay for every neuron, no per-neuron reset path) and F is constant
along the neuron index (``d(W x)_n / dW_nm = x_m``), the trace keeps that broadcast
structure and stores M values per sample instead of N x M. "The same for every neuron" is
read from the values of concrete closed-over constants (a neuron's ``beta`` array with one
value repeated; `_analysis.varying_dims`); the LIF of `spikead.snn` with
``reset="subtract", stop_reset_grad=True`` and a scalar decay is such a step. Its
gradient terms are then outer products over the batch: one B x N by B x M matmul per
step (see `sparse_value_and_grad`).

Values. Structures come from walking the step's JVP jaxpr (`_analysis`); values either
from `spikead.ad.structured_jacobian` (vertex elimination; the default when the engine
has a rule for every primitive of the step) or from compressed JVPs of the same jaxpr: a block with every output dim paired is
read with ONE transposed JVP (VJP) per state array, cotangent = ones (pairing makes the
sum trivial); a block with unpaired output dims (a scalar parameter, an input-side bias)
with one JVP per index of its unpaired source dims (one-hot tangents).

e-prop (recurrent weights). A `dot_general` or `reduce_sum` that sums a previous-state
tangent over its paired (neuron) index is a synaptic sum across neurons (``W_rec @
z_{t-1}``, lateral inhibition ``L @ relu(v_{t-1})``). A step with such sums is classified
"approximate" (`_contract`, `spikead.online.classify`): its gradient is returned only when
the caller passes ``approximation="eprop"``; otherwise `ApproximationRequiredError` names
each coupling equation (`SparsePlan.couplings`). With the opt-in the plan is the exact
plan of the step's *e-prop step* (`_eprop.eprop_step`: the step's jaxpr with
``stop_gradient`` on each summed operand, `SparsePlan.step`), so the traces, the readout
and the learning signal all lose exactly the paths through other neurons' previous state
(the self-connection ``W_rec[n, n]`` too) and keep every neuron-local one (leak, reset,
adaptation, the surrogate of the neuron's own spike). The result is Bellec et al.'s
e-prop: BPTT of the e-prop step (`_reference.eprop_reference_value_and_grad`, which says
why), to float rounding (tested at 1e-5 relative L2). Without such sums the result equals
BPTT exactly (`SparsePlan.exact`).

Depth (several layers). Layer l+1 reads ``W_[l+1] @ z^l_t``: a cross-neuron sum whose
operand carries layer l's previous state AND the tangents of layer l's (and lower layers')
parameters. The e-prop step stops it on the way to the new state only (`_eprop`, "Depth"),
so the traces drop every path from those parameters through layer l+1's state into LATER
steps (the exact trace d s^[l+1] / d W_l would be N x N x M per sample), while the learning
signal backpropagates exactly through the layers within each step. The result is
per-layer e-prop: for W_l, `jax.grad` of the loss with `stop_gradient` on the previous
state of every layer above l (tests/train/test_depth.py); the top layer's weights and the
readout are exact. Such a coupling's description says so.

Errors. `UnsupportedStepError` when a previous-state tangent reaches the new state
through a primitive without a structure rule, when a summed operand also carries a
parameter tangent and its sum feeds back into the states it sums (the stop would drop a
parameter path of a recurrence), or when a state-to-state block is not paired one-to-one
(state arrays must be indexed by neurons only).
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.extend.core import jaxpr_as_fun

from ._analysis import (
    Analysis,
    StepArgs,
    analyse,
    needed_eqns,
    source_line,
    trace_inlined,
)
from ._contract import check_approximation, require_allowed
from ._engine import (
    STensor,
    Structure,
    add,
    broaden,
    broadens_to,
    matmul,
    product_plan,
    structured_jacobian,
    sum_structure,
    supported_primitives,
    zero_structure,
)
from ._eprop import eprop_step
from ._errors import UnsupportedStepError
from ._readout import Readout, make_readout
from ._reference import loss_dtype

Step = Callable[[Any, Any, Any], tuple[Any, Any]]
Loss = Callable[[Any, Any], jax.Array]


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
        return self.exact and bool(self.trace) and all(map(_is_outer, self.trace.values()))

    def trace_values(self) -> int:
        """Number of values the carried traces store per sample."""
        return sum(s.n_values for s in self.trace.values())

    def describe(self) -> str:
        lines = [f"exact: {self.exact} (cut: {list(self.cuts)})"]
        for (s, p), st in sorted(self.trace.items()):
            lines.append(f"trace[state {s}, param {p}] {st}  ({st.n_values} values)")
        return "\n".join(lines)


def _shapes(leaves) -> tuple[tuple[int, ...], ...]:
    return tuple(tuple(np.shape(x)) for x in leaves)


def make_plan(step: Step, params, state, x) -> SparsePlan:
    """Analyse ``step`` at these (per-sample) shapes; values are never used."""
    args = StepArgs.of(params, state, x)
    p_leaves, s_leaves, x_leaves = args.p_leaves, args.s_leaves, args.x_leaves
    (n_p, n_s, n_x), (p_tree, s_tree, _) = args.sizes, args.trees

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

    flat = [*p_leaves, *s_leaves, *x_leaves, *p_leaves, *s_leaves]
    closed = trace_inlined(jvp_state, *flat)
    n_primal = n_p + n_s + n_x
    shapes = _shapes(p_leaves) + _shapes(s_leaves)
    states = set(range(n_p, n_p + n_s))
    first = analyse(closed, n_primal, shapes, states)
    needed = needed_eqns(closed.jaxpr, closed.jaxpr.outvars[:n_s])  # state outputs only
    y_reads = {r for blocks in first.blocks[n_s:] for r in range(n_s) if n_p + r in blocks}
    _check_unknowns(first, needed, states, closed)
    cuts = [c for c in first.couplings if c.eqn in needed]
    if cuts:  # approximate: e-prop's plan is the exact plan of the e-prop step
        return _eprop_plan(step, params, state, x, closed, cuts)
    analysis = first
    s_shapes = _shapes(s_leaves)
    p_shapes = _shapes(p_leaves)
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
    full = _trace_fixed_point(H, F, n_s, n_p)
    # the learning signal after the update (see `_readout`): traces of the tapped new
    # states and of the previous states the readout still reads
    readout = make_readout(step, params, state, x, {s for s, _ in _prune(full, H, y_reads)})
    trace = _prune(full, H, set(readout.taps) | readout.reads)
    return SparsePlan(
        tuple(H),
        tuple(F),
        trace,
        (),
        s_shapes,
        p_shapes,
        closed,
        n_primal,
        readout,
        (),
        jnp.result_type(*p_leaves, *s_leaves),
        step,
    )


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
    b = blocks.get(src)
    return None if b is None else b.structure(out_shape, in_shape)


def _check_unknowns(analysis: Analysis, needed, states, closed) -> None:
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


# ---------------------------------------------------------------------- values
def _values_from(arr, axis_labels, val_dims):
    """Read the values along ``val_dims`` from a compressed array whose axes carry labels."""
    index = tuple(slice(None) if lab in val_dims else 0 for lab in axis_labels)
    kept = [lab for lab in axis_labels if lab in val_dims]
    arr = arr[index]
    return jnp.transpose(arr, [kept.index(lab) for lab in val_dims]) if kept else arr


def engine_jacobians(plan: SparsePlan, params, state, x):
    """H and F of ``plan.step`` from `spikead.ad.structured_jacobian` (vertex elimination,
    reverse order; for e-prop, the e-prop step's ``stop_gradient`` is a zero). Each
    engine block is re-expressed in the plan's structure (`broaden`); a block the engine
    proves zero but the analysis does not becomes zeros in the plan's structure; a block
    whose values the analysis proved constant along some labels (uniform constants) is
    read at index 0 along them.
    """
    blocks = structured_jacobian(lambda p, s: plan.step(p, s, x)[0], params, state, argnums=(0, 1))
    s_tree = jax.tree.structure(state)
    rows = s_tree.flatten_up_to(blocks)
    n_p = len(plan.param_shapes)
    n_s = len(plan.state_shapes)
    is_t = lambda t: isinstance(t, STensor)
    H = [[None] * n_s for _ in range(n_s)]
    F = [[None] * n_p for _ in range(n_s)]
    for s, (jp, js) in enumerate(rows):
        for src, t in enumerate(
            jax.tree.leaves(jp, is_leaf=is_t) + jax.tree.leaves(js, is_leaf=is_t)
        ):
            mine = plan.F[s][src] if src < n_p else plan.H[s][src - n_p]
            if mine is None:
                continue
            if broadens_to(t.structure, mine):
                t = broaden(t, mine)
            elif _narrows_to(t.structure, mine):
                t = STensor(_values_from(t.val, t.structure.val_dims, mine.val_dims), mine)
            elif t.structure == zero_structure(mine.out_shape, mine.in_shape):
                t = STensor(jnp.zeros(mine.val_shape, plan.dtype), mine)
            else:
                raise RuntimeError(f"engine block {t.structure} does not fit the analysed {mine}")
            if src < n_p:
                F[s][src] = t
            else:
                H[s][src - n_p] = t
    return H, F


def _narrows_to(s: Structure, target: Structure) -> bool:
    """Same pairs, fewer value labels: the plan proved the values constant along the rest
    (concrete constants uniform along neurons, see `_analysis.varying_dims`)."""
    return (
        s.pair == target.pair
        and s.val_dims is not None
        and target.val_dims is not None
        and set(target.val_dims) < set(s.val_dims)
    )


def local_jacobians(plan: SparsePlan, params, state, x):
    """Structured H[s][r] and F[s][p] of ``plan.step`` at one point, as STensors.

    Values by compressed transposed JVPs of its JVP jaxpr (see module docstring).
    """
    p_leaves = jax.tree.leaves(params)
    s_leaves = jax.tree.leaves(state)
    x_leaves = jax.tree.leaves(x)
    primal = [*p_leaves, *s_leaves, *x_leaves]
    fn = jaxpr_as_fun(plan.closed)
    n_p = len(p_leaves)

    n_s_out = len(plan.state_shapes)

    def f_lin(tp, ts):
        return list(fn(*primal, *tp, *ts))[:n_s_out]

    tp0 = [jnp.zeros_like(a) for a in p_leaves]
    ts0 = [jnp.zeros_like(a) for a in s_leaves]
    transpose = jax.linear_transpose(f_lin, tp0, ts0)
    n_s = len(s_leaves)
    H = [[None] * n_s for _ in range(n_s)]
    F = [[None] * n_p for _ in range(n_s)]
    used = {src for (s_, p) in plan.trace for src in [p]}
    for s in range(n_s):
        out_rank = len(plan.state_shapes[s])
        wanted = [p for p in range(n_p) if (s, p) in plan.trace]
        wanted += [
            n_p + r
            for r in range(n_s)
            if any((s, p) in plan.trace and (r, p) in plan.trace for p in used)
        ]
        blocks = {
            src: st
            for src, st in enumerate((*plan.F[s], *plan.H[s]))
            if st is not None and src in wanted
        }
        needs_vjp = [st for st in blocks.values() if set(range(out_rank)) <= set(st.pair)]
        compressed = None
        if needs_vjp:
            ct = [jnp.ones_like(a) if k == s else jnp.zeros_like(a) for k, a in enumerate(s_leaves)]
            ctp, cts = transpose(ct)
            compressed = list(ctp) + list(cts)
        for src, st in blocks.items():
            if set(range(out_rank)) <= set(st.pair):
                labels = st.in_labels
                val = _values_from(compressed[src], labels, st.val_dims)
            else:
                val = _jvp_values(f_lin, st, s, src, tp0, ts0, plan.dtype)
            t = STensor(val.astype(plan.dtype), st)
            if src < n_p:
                F[s][src] = t
            else:
                H[s][src - n_p] = t
    return H, F


def _jvp_values(f_lin, st: Structure, s: int, src: int, tp0, ts0, dtype):
    """Values of a block with unpaired output dims: one JVP per unpaired source index."""
    n_p = len(tp0)
    in_shape = st.in_shape
    unpaired = [q for q, p in enumerate(st.pair) if p is None]
    u_sizes = [in_shape[q] for q in unpaired]
    n_u = math.prod(u_sizes)
    onehots = jnp.eye(n_u, dtype=dtype).reshape((n_u, *u_sizes))
    # tangent: ones along paired source dims, one-hot along unpaired ones
    expand = [q for q in range(len(in_shape)) if q not in unpaired]
    tangents = jnp.broadcast_to(
        jnp.expand_dims(onehots, [1 + q for q in expand]) if expand else onehots, (n_u, *in_shape)
    )

    def one(t):
        tp = [t if k == src else a for k, a in enumerate(tp0)]
        ts = [t if k + n_p == src else a for k, a in enumerate(ts0)]
        return f_lin(tp, ts)[s]

    out = jax.vmap(one)(tangents)  # (n_u, *out_shape)
    out = out.reshape((*u_sizes, *st.out_shape))
    p_rank = len(st.out_shape)
    labels = tuple(p_rank + q for q in unpaired) + tuple(range(p_rank))
    return _values_from(out, labels, st.val_dims)


def _to_union(arr: jax.Array, labels: list[int], union: list[int]) -> jax.Array:
    """B x (values along sorted ``labels``) -> B x (size-1 dims for the other union labels)."""
    return jnp.expand_dims(arr, [1 + i for i, lab in enumerate(union) if lab not in labels])


def _is_outer(st: Structure) -> bool:
    """A trace whose values vary along input labels only: ``sum_b L[b] G[b]`` is a matmul."""
    return not set(st.out_labels) & set(st.val_dims or ())


def _outer_term(signal: jax.Array, vals: jax.Array, st: Structure) -> jax.Array:
    """``sum_b sum_s signal[b, s] G[b, s, p]`` (shape ``st.in_shape``) for an `_is_outer` trace.

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


def _per_sample_term(signal: jax.Array, vals: jax.Array, st: Structure) -> jax.Array:
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
        if not _is_outer(st)
    ]
    if not shapes:
        return None
    return (batch, *(max(dims) for dims in zip(*shapes)))


def _trace_update(plan: SparsePlan, source: str, params, state, x, trace: dict):
    """One sample's new trace values ``G_t = H_t G_{t-1} + F_t`` (values only, per trace)."""
    if source == "engine":
        H, F = engine_jacobians(plan, params, state, x)
    else:
        H, F = local_jacobians(plan, params, state, x)
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


def _choose_source(jacobians: str, plan: SparsePlan, params, state, x) -> str:
    """The Jacobian source: ``jacobians`` unless "auto". "auto" is "jvp" when ``plan.step``
    (nested `jit`s inlined) uses a primitive without an engine rule
    (`spikead.ad.supported_primitives`), else "engine". The choice is made from the step's
    primitives, never by catching an engine failure: an error of the engine on a step it
    has rules for propagates."""
    if jacobians != "auto":
        return jacobians
    jaxpr = trace_inlined(lambda p, st, xx: plan.step(p, st, xx)[0], params, state, x).jaxpr
    missing = sorted({e.primitive.name for e in jaxpr.eqns} - set(supported_primitives()))
    if missing:
        log.info("spikead.ad has no rule for %s in this step; using jacobians='jvp'", missing)
        return "jvp"
    return "engine"


JACOBIANS = ("auto", "jvp", "engine")
#: time steps per iteration of the per-step scan (unrolled in the loop body, the last
#: iteration padded past T); see `sparse_value_and_grad`
UNROLL = 2
log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class _Inputs:
    """The input and target sequences as the caller laid them out, read window by window.

    ``time_axis``: 0 (T x ... unbatched, T x B x ... time-major) or 1 (B x T x ...);
    ``batched``: False gives each window a batch axis of one. Windows are `dynamic_slice`s
    of the arguments inside the scan, so no reordered copy of the whole sequence (whose size
    grows with T) is ever made: a transpose to time-major, or even the unit batch axis
    (XLA lays ``a[:, None]`` out anew and copies it), would be one.
    """

    xs: Any
    targets: Any
    time_axis: int
    batched: bool

    @property
    def n_steps(self) -> int:
        return jax.tree.leaves(self.xs)[0].shape[self.time_axis]

    def window(self, start, size: int):
        """``(xs, targets)`` of steps ``start .. start + size - 1``, each K x B x ..."""

        def one(a):
            w = jax.lax.dynamic_slice_in_dim(a, start, size, axis=self.time_axis)
            return jnp.moveaxis(w, self.time_axis, 0) if self.batched else w[:, None]

        return jax.tree.map(one, (self.xs, self.targets))

    def at(self, t):
        """``(x_t, target_t)``, each B x ..."""
        return jax.tree.map(lambda a: a[0], self.window(t, 1))


@dataclasses.dataclass(frozen=True)
class _Signals:
    """Where the learning signals meet the traces (static, from the plan).

    ``old[p]``: previous-state leaves r the readout still reads, whose signal
    dE_t/ds_{t-1}[r] multiplies G_{t-1}[r, p]; ``new[p]``: tapped new-state leaves s whose
    signal dE_t/ds_t[s] multiplies G_t[s, p] (see `_readout`).
    """

    old: list[list[int]]
    new: list[list[int]]

    @classmethod
    def of(cls, plan: SparsePlan, n_p: int) -> _Signals:
        taps, reads = plan.readout.taps, plan.readout.reads
        return cls(
            [[r for r in sorted(reads) if (r, p) in plan.trace] for p in range(n_p)],
            [[s for s in taps if (s, p) in plan.trace] for p in range(n_p)],
        )


def _output_fn(plan: SparsePlan, state, x, params) -> Callable:
    """One sample's ``y(params, state_prev, x, tapped) -> y_t``: the plan's `Readout` (y_t
    from the tapped new states)."""
    y_tree = jax.tree.structure(jax.eval_shape(plan.step, params, state, x)[1])

    def y(p, s, xx, tapped):
        leaves = plan.readout(jax.tree.leaves(p), jax.tree.leaves(s), jax.tree.leaves(xx), tapped)
        return jax.tree.unflatten(y_tree, leaves)

    return y


def _signal_vjp(y_b, loss_b, params, state, x, target, tapped):
    """``(value, g_direct, sig_old, sig_new)`` of the batch loss
    ``sum_b loss(y_b(params, state, x, tapped)[b], target[b])``."""

    def total(p, s, tp):
        return jnp.sum(loss_b(y_b(p, s, x, tp), target))

    value, vjp = jax.vjp(total, params, state, tapped)
    g_direct, sig_old, sig_new = vjp(jnp.ones_like(value))
    return value, jax.tree.leaves(g_direct), jax.tree.leaves(sig_old), list(sig_new)


def sparse_value_and_grad(
    step: Step,
    loss: Loss,
    jacobians: str = "auto",
    *,
    batched: bool = False,
    time_major: bool = False,
    unroll: int = UNROLL,
    approximation: str | None = None,
) -> Callable:
    """`fn(params, state0, xs, targets) -> (total_loss, grads)`; one sample (xs: T x ...) or,
    with ``batched``, a batch (state0: B x ..., xs: B x T x ... or T x B x ... when
    ``time_major``; loss and grads summed over the batch).

    ``jacobians``: how the per-step blocks get their values: ``"jvp"`` (compressed
    transposed JVPs of the analysed JVP jaxpr) or ``"engine"``
    (`spikead.ad.structured_jacobian`, vertex elimination), both of ``plan.step`` (for
    e-prop, the e-prop step); ``"auto"`` uses the engine when that step has only
    primitives with engine rules, and the JVP path otherwise (`_choose_source`; engine
    errors propagate).
    Both use the same plan (structures, carried trace) and the same structured products,
    so they agree to rounding (tested).

    ``approximation``: None (the default) raises `ApproximationRequiredError` for a step
    the plan classifies as approximate (cuts; `spikead.online.classify`); ``"eprop"``
    returns Bellec et al.'s e-prop there (the exact gradient of the e-prop step, see the
    module docstring). Exact steps are unaffected.

    The plan (and the Jacobian source) is built once per shapes and dtypes of the
    arguments and reused by later calls and traces of ``fn``: like `jax.jit`, this
    assumes the step's closed-over constants do not change between calls. A plan whose
    step closes over traced values (a step built inside a `jit`) is not kept.

    dtypes: traces are carried in the result type of the params and state (float64 under
    ``jax_enable_x64`` with float64 arguments); the total loss in the loss's dtype.

    Batching: the scan runs over time with the batch axis in the carry. Per-sample pieces
    (the structured Jacobians and the trace update, element-wise in the batch) are
    `jax.vmap`-ed inside the step. The direct gradient is a VJP of the batch loss w.r.t. the
    shared params (its batch sum is a contraction, e.g. a matmul for ``W_in @ x``). The
    trace term ``sum_b L_t[b] . G_t[b]``: a matmul over B per step when the trace is
    factorised (`_outer_term`); for traces with values along the neurons (element-wise
    in N, no matmul exists) a per-sample accumulator B x param shape, reduced over B once
    after the scan (`_per_sample_term`). A single sample runs as a batch of one.

    Factorised plans (every carried trace `_is_outer`, e.g. LIF with reset by subtraction,
    its gradient stopped, one decay for all neurons) cost per step the step's forward pass
    and one ``'bn,bm->nm'`` matmul with the trace after the update (`_readout`). Measured
    (LIF factorised, N = 128, M = 140, B = 16, CPU under load, medians of 15-25
    alternating rounds): time / BPTT 0.5-0.6 at T = 1000 against the former batched BPTT
    (a `vmap` of per-sample gradients); against the standard batched BPTT (one gradient
    through one scan of the `vmap`-ed step, `_reference`) 0.63 and 0.74 (2 runs, 15-20
    rounds, time-major inputs, params as jit arguments). Before the readout (the signal
    met G_{t-1}: one more B x N x M matmul per step, the direct gradient) it was 1.04;
    a mode that stacked chunks of 32 steps for one matmul over 32 B, which then also
    repeated the forward pass, was 1.34, and with the readout still 1.2-1.4x slower than
    this per-step form at T = 100-2000, so it was removed.

    The per-step scan runs ``unroll`` steps per loop iteration (default `UNROLL` = 2). Each
    new trace reads several old ones (``G_z`` reads ``G_v, G_b, G_z``), so in a loop of
    single steps XLA copies every carried trace each step before updating it in place;
    unrolled, consecutive steps' element-wise trace updates fuse and copy once per
    iteration. The loop runs max(ceil(T / unroll), 2) iterations (XLA would inline a
    single one), so nothing is peeled out of it and the compiled temporaries are
    byte-identical for every T >= 2 (at T = 1 XLA indexes the one-step input statically:
    some 100 bytes differ). The steps past T are padding: their input and target are
    step T - 1's (clamped read), their loss is dropped and their learning signals and
    direct gradient are zeroed with selects on these small (B x N, param-shaped) arrays
    (no select on the B x N x M traces), so they add exact zeros -- unless a trace they
    multiply is inf/nan: a trace after step T - 1 (computed but unused when unpadded, and
    by earlier padded steps), which would need dynamics that overflow. Their state and
    trace updates are discarded. Measured (ALIF, N = 128, M = 140, B = 16, T = 1000, CPU
    under load, medians of 20 alternating calls, 4 runs): time / hand-written e-prop
    0.81-0.97 with unroll 2 against 1.11-1.29 with unroll 1 (2 runs); XLA compile about
    2x longer (1.3 s against 0.75 s); temporaries +1 % (8.23 against 8.14 MB). Values
    agree with ``unroll=1`` to float rounding.
    """
    if jacobians not in JACOBIANS:
        raise ValueError(f"jacobians={jacobians!r}; use one of {JACOBIANS}")
    if not (isinstance(unroll, int) and unroll >= 1):
        raise ValueError(
            f"unroll={unroll!r}: expected a positive int (time steps per loop "
            f"iteration); use 1 for one step per iteration"
        )
    check_approximation(approximation)
    plans: dict = {}

    def planned(params, s0, x0) -> tuple[SparsePlan, str]:
        """The plan and Jacobian source for these per-sample arguments (cached, see above)."""
        key = tuple(map(jax.tree.structure, (params, s0, x0))) + tuple(
            map(jax.typeof, jax.tree.leaves((params, s0, x0)))
        )
        if key not in plans:
            plan = make_plan(step, params, s0, x0)
            require_allowed(plan, approximation)
            found = (plan, _choose_source(jacobians, plan, params, s0, x0))
            consts = [*plan.closed.consts, *plan.readout.closed.consts]
            if any(isinstance(c, jax.core.Tracer) for c in consts):
                return found
            plans[key] = found
        return plans[key]

    def core(params, state0, inputs: _Inputs):
        """state0: B x ...; the sequences in ``inputs`` (see `_Inputs`)."""
        one = lambda tree: jax.tree.map(lambda a: a[0], tree)
        x0, s0 = one(inputs.at(0)[0]), one(state0)
        plan, source = planned(params, s0, x0)
        p_leaves, p_tree = jax.tree.flatten(params)
        batch = jax.tree.leaves(state0)[0].shape[0]
        trace0 = {k: jnp.zeros((batch, *st.val_shape), plan.dtype) for k, st in plan.trace.items()}
        grads0 = [jnp.zeros_like(a) for a in p_leaves]
        sig = _Signals.of(plan, len(p_leaves))
        per_sample0 = {}
        for p in range(len(p_leaves)):
            shape = _per_sample_shape([plan.trace[(r, p)] for r in sig.old[p] + sig.new[p]], batch)
            if shape is not None:
                per_sample0[p] = jnp.zeros(shape, plan.dtype)
        step_b = jax.vmap(plan.step, in_axes=(None, 0, 0))  # e-prop: the same values
        update_b = jax.vmap(lambda st, xx, tr: _trace_update(plan, source, params, st, xx, tr))
        y_b = jax.vmap(_output_fn(plan, s0, x0, params), in_axes=(None, 0, 0, 0))
        loss_b = jax.vmap(loss)
        taps = plan.readout.taps
        n_steps = inputs.n_steps

        def body(carry):
            t, state, trace, grads, per_sample, total = carry
            x, target = inputs.at(t)  # t >= T (padding): dynamic_slice clamps to step T - 1
            valid = t < n_steps
            new_state = step_b(params, state, x)[0]  # no readout: XLA merges it with the VJP's
            new_trace = update_b(state, x, trace)
            value, g_direct, sig_old, sig_new = _signal_vjp(
                y_b, loss_b, params, state, x, target, [jax.tree.leaves(new_state)[k] for k in taps]
            )
            # a padded step's contributions are zeroed by selects on the small pieces (B x N
            # signals, param-shaped direct gradient): exact zeros even where its derivative
            # is inf (a zero cotangent would give 0 * inf = nan)
            zero_pad = lambda a: jnp.where(valid, a, 0.0)
            sig_old = [zero_pad(a) for a in sig_old]
            sig_new = dict(zip(taps, map(zero_pad, sig_new)))
            terms = [
                (sig_old[r], trace[(r, p)], (r, p)) for p, rs in enumerate(sig.old) for r in rs
            ]
            terms += [
                (sig_new[s], new_trace[(s, p)], (s, p)) for p, ss in enumerate(sig.new) for s in ss
            ]
            new_grads = [grads[p] + zero_pad(g) for p, g in enumerate(g_direct)]
            new_per_sample = dict(per_sample)
            for signal, vals, (s, p) in terms:
                st = plan.trace[(s, p)]
                if _is_outer(st):
                    new_grads[p] = new_grads[p] + _outer_term(signal, vals, st)
                else:
                    new_per_sample[p] = new_per_sample[p] + _per_sample_term(signal, vals, st)
            return (
                t + 1,
                new_state,
                new_trace,
                new_grads,
                new_per_sample,
                total + jnp.where(valid, value, 0.0),
            )

        def iteration(carry, _):
            for _ in range(unroll):  # unrolled here: the same loop body for every T
                carry = body(carry)
            return carry, None

        # ceil(T / unroll) iterations of ``unroll`` steps: nothing is peeled out of the loop
        # (lax.scan's own ``unroll`` would peel T mod unroll steps into a second copy of the
        # body, whose buffers depend on T); at least 2, since XLA inlines a loop of one
        # iteration into different buffers. The step index rides in the carry (a scanned
        # arange would be a T-sized buffer).
        value0 = jnp.zeros((), loss_dtype(step, loss, params, s0, x0, one(inputs.at(0)[1])))
        carry0 = (jnp.zeros((), jnp.int32), state0, trace0, grads0, per_sample0, value0)
        (_, _, _, grads, per_sample, total), _ = jax.lax.scan(
            iteration, carry0, None, length=max(-(-n_steps // unroll), 2)
        )
        grads = [
            g + jnp.broadcast_to(jnp.sum(per_sample[p], axis=0), g.shape) if p in per_sample else g
            for p, g in enumerate(grads)
        ]
        return total, jax.tree.unflatten(p_tree, grads)

    def fn(params, state0, xs, targets):
        if not batched:
            state0 = jax.tree.map(lambda a: a[None], state0)
        time_axis = 1 if batched and not time_major else 0
        return core(params, state0, _Inputs(xs, targets, time_axis, batched))

    return fn
