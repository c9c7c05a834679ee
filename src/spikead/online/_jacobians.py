"""The values of a step's Jacobian blocks at one point, in the plan's structures.

`step_jacobians` returns the structured ``H[s][r] = d state_t[s] / d state_{t-1}[r]`` and
``F[s][p] = d state_t[s] / d params[p]`` of ``plan.step`` (`_plan`) at one sample's
arguments, as `STensor`s whose structures are the plan's, from one of two sources:

- ``"engine"`` (`engine_jacobians`): `spikead.ad.structured_jacobian` (vertex
  elimination) of the step, each block re-expressed in the plan's structure;
- ``"jvp"`` (`local_jacobians`): compressed JVPs of the plan's JVP jaxpr. A block with
  every output dim paired is read with ONE transposed JVP (VJP) per state array,
  cotangent = ones (pairing makes the sum trivial); a block with unpaired output dims (a
  scalar parameter, an input-side bias) with one JVP per index of its unpaired source dims
  (one-hot tangents, `_jvp_values`).

`choose_source` resolves ``"auto"`` from the step's primitives (engine when it has a rule
for each). Both sources share the plan, so they agree to rounding (tested).
"""

from __future__ import annotations

import logging
import math

import jax
import jax.numpy as jnp
from jax.extend.core import jaxpr_as_fun

from ._analysis import trace_inlined
from ._engine import (
    STensor,
    Structure,
    broaden,
    broadens_to,
    structured_jacobian,
    supported_primitives,
    zero_structure,
)
from ._plan import SparsePlan

#: the values of ``jacobians=`` of `spikead.online.value_and_grad`
JACOBIANS = ("auto", "jvp", "engine")
log = logging.getLogger(__name__)


def choose_source(jacobians: str, plan: SparsePlan, params, state, x) -> str:
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


def step_jacobians(plan: SparsePlan, source: str, params, state, x):
    """``(H, F)`` of ``plan.step`` at one sample's ``(params, state, x)`` from ``source``
    ("engine" or "jvp", see `choose_source`): lists ``H[s][r]``, ``F[s][p]`` of `STensor`s
    in the plan's structures (None where the plan has no block or needs none)."""
    if source == "engine":
        return engine_jacobians(plan, params, state, x)
    return local_jacobians(plan, params, state, x)


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
        and s.maps == target.maps
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
