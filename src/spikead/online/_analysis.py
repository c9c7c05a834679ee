"""Static structure of a step function's Jacobian blocks, read from its JVP jaxpr.

The step's JVP (tangents of params and previous state in, tangents of the new state out)
is traced once, nested `jit`s inlined. Tangent dependencies are linear, so walking the
JVP jaxpr tells, for every tangent variable and every source (a param leaf or a state
array), the *structure* of the partial Jacobian block in the convention of
`spikead.ad` (`Structure`: which source dims are Kronecker-paired with which output dims,
and which labels the values vary along). Custom JVP rules (surrogate spikes) are already
expanded in the JVP jaxpr, so the analysis sees the derivative the step really uses.

Rules are sound and conservative: an unknown primitive makes its outputs dense in every
source its operands depend on (never sparser than the truth).

Coupling: a `dot_general` or `reduce_sum` that sums over a dim paired with a *state*
source (a synaptic sum such as `W_rec @ z_{t-1}`) couples different neurons; the
analysis records it as a `Coupling` (equation index and operand); `summed_states` applies
the same rule to one equation of the primal step, where `_eprop` stops its gradient.

Primal variation: a closed-over constant whose value is known at trace time (a concrete
array, e.g. a neuron's decay ``beta`` of shape N with the same value for every neuron)
varies only along the dims where its values differ (`uniform_dims`). This is what lets a
scaled-identity state Jacobian (one scalar for all neurons) be recognised, and the trace
stay factorised. Traced (abstract) constants vary along every dim.
"""

from __future__ import annotations

import dataclasses
import linecache
import os
from collections.abc import Callable
from typing import Any

import jax
import jaxlib
import numpy as np
from jax.extend import core as jcore
from jax.extend.core import jaxpr_as_fun

from ._engine import Structure

Pair = tuple[int | None, ...]


@dataclasses.dataclass(frozen=True)
class Block:
    """Structure of d var / d source while walking: pairs and valued labels.

    Labels follow `spikead.ad`: out dim p has label p; source dim q has the label of the
    out dim it is paired with, else ``P + q`` (P = rank of var).
    """

    pair: Pair
    vals: frozenset[int]

    def structure(self, out_shape, in_shape) -> Structure:
        return Structure(tuple(out_shape), tuple(in_shape), self.pair, tuple(sorted(self.vals)))


@dataclasses.dataclass(frozen=True)
class Coupling:
    """A tangent path summed over a state-paired dim: equation index, operand index, primitive."""

    eqn: int
    operand: int
    primitive: str
    sources: tuple[int, ...]


@dataclasses.dataclass(frozen=True)
class Unknown:
    """A primitive without a structure rule that touches tangents (made dense)."""

    eqn: int
    primitive: str
    sources: tuple[int, ...]


@dataclasses.dataclass
class Analysis:
    """Result of :func:`analyse`: per output, per source, the block structure."""

    blocks: list[dict[int, Block]]  # one dict per jaxpr outvar
    couplings: list[Coupling]
    unknowns: list[Unknown]


def _shape(atom) -> tuple[int, ...]:
    return tuple(atom.aval.shape)


def _is_lit(atom) -> bool:
    return isinstance(atom, jcore.Literal)


# ------------------------------------------------------------------ block algebra
def _identity_block(rank: int) -> Block:
    return Block(tuple(range(rank)), frozenset())


def _dense_block(out_rank: int, src_rank: int) -> Block:
    return Block((None,) * src_rank, frozenset(range(out_rank + src_rank)))


def _remap(
    block: Block,
    old_rank: int,
    new_rank: int,
    dim_map: dict[int, int | None],
    extra: set[int] = frozenset(),
    contract_valued: set[int] = frozenset(),
) -> tuple[Block, bool]:
    """Move a block through an index map of the out dims (None: summed away).

    ``extra``: new out dims along which the values now vary; ``contract_valued``: summed
    old out dims whose partner factor varies (a source dim paired there becomes valued).
    Returns the block and whether a pair was lost (a sum over a paired dim).
    """
    pair: list[int | None] = []
    vals: set[int] = set()
    lost = False
    for q, p in enumerate(block.pair):
        if p is None:
            pair.append(None)
            if old_rank + q in block.vals:
                vals.add(new_rank + q)
        elif dim_map.get(p) is None:
            pair.append(None)
            lost = True
            if p in block.vals or p in contract_valued:
                vals.add(new_rank + q)
        else:
            pair.append(dim_map[p])
    for label in block.vals:
        if label < old_rank and dim_map.get(label) is not None:
            vals.add(dim_map[label])
    vals.update(extra)
    return Block(tuple(pair), frozenset(vals)), lost


def _join(a: Block, b: Block, rank: int) -> Block:
    """Structure of a sum: pairs kept where both agree; a dropped pair values both labels."""
    pair = tuple(pa if pa == pb else None for pa, pb in zip(a.pair, b.pair))
    vals: set[int] = set()
    for blk in (a, b):
        for label in blk.vals:
            vals.add(label)
        for q, (ps, pt) in enumerate(zip(blk.pair, pair)):
            if ps is not None and pt is None:
                vals.update({ps, rank + q})  # the dropped delta becomes a dense eye
    return Block(pair, frozenset(vals))


def _join_all(deps: list[dict[int, Block]], rank: int) -> dict[int, Block]:
    out: dict[int, Block] = {}
    for dep in deps:
        for src, blk in dep.items():
            out[src] = _join(out[src], blk, rank) if src in out else blk
    return out


# ------------------------------------------------------------------------ walker
_LINEAR_UNARY = {
    "neg",
    "convert_element_type",
    "copy",
    "copy_p",
    "reduce_precision",
    "optimization_barrier",
}
_ADDITIVE = {"add", "add_any", "sub"}
_SCALING = {"mul", "div"}


class _Walker:
    def __init__(self, jaxpr, n_sources: int, source_shapes):
        self.jaxpr = jaxpr
        self.tan: dict[Any, dict[int, Block]] = {}
        self.vary: dict[Any, frozenset[int]] = {}
        self.couplings: list[Coupling] = []
        self.unknowns: list[Unknown] = []
        self.n_sources = n_sources
        self.source_shapes = source_shapes

    # primal variation -------------------------------------------------------------
    def varying(self, atom) -> frozenset[int]:
        if _is_lit(atom):
            return frozenset()
        return self.vary.get(atom, frozenset(range(len(_shape(atom)))))

    def deps(self, atom) -> dict[int, Block]:
        if _is_lit(atom):
            return {}
        return self.tan.get(atom, {})

    def run(self, first_src: int, state_sources: set[int]) -> Analysis:
        for i, var in enumerate(self.jaxpr.invars):
            if first_src <= i < first_src + self.n_sources:
                self.tan[var] = {i - first_src: _identity_block(len(_shape(var)))}
        self.state_sources = state_sources
        for k, eqn in enumerate(self.jaxpr.eqns):
            self.eqn(k, eqn)
        blocks = [self.deps(v) for v in self.jaxpr.outvars]
        return Analysis(blocks, self.couplings, self.unknowns)

    def eqn(self, k: int, eqn) -> None:
        ins = eqn.invars
        tdeps = [self.deps(a) for a in ins]
        if not any(tdeps):
            self.primal(eqn)
            return
        name = eqn.primitive.name
        out = eqn.outvars[0]
        rank = len(_shape(out))
        result: dict[int, Block] | None = None
        if name in _LINEAR_UNARY and len(ins) == 1 and _shape(ins[0]) == _shape(out):
            result = dict(tdeps[0])
        elif name in _ADDITIVE and all(_shape(a) == _shape(out) for a, d in zip(ins, tdeps) if d):
            result = _join_all([d for d in tdeps if d], rank)
        elif (
            name in _SCALING
            and len(ins) == 2
            and not (tdeps[0] and tdeps[1])
            and not (name == "div" and tdeps[1])
        ):
            t, c = (0, 1) if tdeps[0] else (1, 0)
            if _shape(ins[t]) == _shape(out) and _shape(ins[c]) in ((), _shape(out)):
                extra = set(self.varying(ins[c])) if _shape(ins[c]) == _shape(out) else set()
                result = {
                    s: _remap(b, rank, rank, {p: p for p in range(rank)}, extra)[0]
                    for s, b in tdeps[t].items()
                }
        elif name == "select_n":
            if not tdeps[0] and all(_shape(a) == _shape(out) for a in ins[1:]):
                pred = ins[0]
                extra = set(self.varying(pred)) if _shape(pred) == _shape(out) else set()
                joined = _join_all([d for d in tdeps[1:] if d], rank)
                result = {
                    s: _remap(b, rank, rank, {p: p for p in range(rank)}, extra)[0]
                    for s, b in joined.items()
                }
        elif name == "broadcast_in_dim" and tdeps[0] and len([d for d in tdeps if d]) == 1:
            bd = eqn.params["broadcast_dimensions"]
            old = _shape(ins[0])
            if all(old[i] == _shape(out)[d] for i, d in enumerate(bd)):
                dmap = {i: d for i, d in enumerate(bd)}
                result = {s: _remap(b, len(old), rank, dmap)[0] for s, b in tdeps[0].items()}
        elif name in ("reshape", "squeeze") and len(ins) == 1:
            dmap = _reshape_map(_shape(ins[0]), _shape(out))
            if dmap is not None and eqn.params.get("dimensions") is None:
                result = {
                    s: _remap(b, len(_shape(ins[0])), rank, dmap)[0] for s, b in tdeps[0].items()
                }
        elif name == "transpose":
            perm = eqn.params["permutation"]
            dmap = {old: new for new, old in enumerate(perm)}
            result = {s: _remap(b, rank, rank, dmap)[0] for s, b in tdeps[0].items()}
        elif name == "reduce_sum":
            axes = set(eqn.params["axes"])
            old_rank = len(_shape(ins[0]))
            kept = [d for d in range(old_rank) if d not in axes]
            dmap = {d: (kept.index(d) if d in kept else None) for d in range(old_rank)}
            result = {}
            lost_states = []
            for s, b in tdeps[0].items():
                result[s], lost = _remap(b, old_rank, rank, dmap)
                if lost and s in self.state_sources:
                    lost_states.append(s)
            if lost_states:
                self.couplings.append(Coupling(k, 0, name, tuple(lost_states)))
        elif name == "dot_general" and not (tdeps[0] and tdeps[1]):
            result = self.dot_general(k, eqn, tdeps)
        if result is None:
            srcs = sorted({s for d in tdeps for s in d})
            self.unknowns.append(Unknown(k, name, tuple(srcs)))
            for o in eqn.outvars:
                r = len(_shape(o))
                self.tan[o] = {s: _dense_block(r, len(self.source_shapes[s])) for s in srcs}
            return
        self.tan[out] = result

    def dot_general(self, k, eqn, tdeps):
        (lc, rc), (lb, rb) = eqn.params["dimension_numbers"]
        lhs, rhs = eqn.invars
        lrank, rrank = len(_shape(lhs)), len(_shape(rhs))
        lfree = [d for d in range(lrank) if d not in lc and d not in lb]
        rfree = [d for d in range(rrank) if d not in rc and d not in rb]
        nb = len(lb)
        lmap = {d: i for i, d in enumerate(lb)}
        lmap.update({d: nb + j for j, d in enumerate(lfree)})
        rmap = {d: i for i, d in enumerate(rb)}
        rmap.update({d: nb + len(lfree) + j for j, d in enumerate(rfree)})
        rank = len(_shape(eqn.outvars[0]))
        if tdeps[0]:
            t, tmap, tc, c, cmap, cc, tidx = lhs, lmap, lc, rhs, rmap, rc, 0
        else:
            t, tmap, tc, c, cmap, cc, tidx = rhs, rmap, rc, lhs, lmap, lc, 1
        cvary = self.varying(c)
        extra = {cmap[d] for d in cvary if d in cmap}
        contract_valued = {tdim for tdim, cdim in zip(tc, cc) if cdim in cvary}
        result = {}
        lost_states = []
        for s, b in tdeps[tidx].items():
            result[s], lost = _remap(b, len(_shape(t)), rank, dict(tmap), extra, contract_valued)
            if lost and s in self.state_sources:
                lost_states.append(s)
        if lost_states:
            self.couplings.append(Coupling(k, tidx, "dot_general", tuple(lost_states)))
        return result

    def primal(self, eqn) -> None:
        name = eqn.primitive.name
        for out in eqn.outvars:
            shape = _shape(out)
            rank = len(shape)
            vary: set[int] | None = None
            if name == "broadcast_in_dim":
                src = eqn.invars[0]
                bd = eqn.params["broadcast_dimensions"]
                v = self.varying(src)
                vary = {bd[i] for i in v if _shape(src)[i] == shape[bd[i]]}
            elif name in ("iota",):
                vary = set(range(rank))
            elif all(_shape(a) in ((), shape) for a in eqn.invars) and eqn.invars:
                vary = set()
                for a in eqn.invars:
                    if _shape(a) == shape:
                        vary |= self.varying(a)
            self.vary[out] = frozenset(range(rank) if vary is None else vary)


def _reshape_map(old: tuple[int, ...], new: tuple[int, ...]) -> dict[int, int | None] | None:
    """Dim map of a reshape that only inserts/removes size-1 dims, else None."""
    o = [d for d in range(len(old)) if old[d] != 1]
    n = [d for d in range(len(new)) if new[d] != 1]
    if [old[d] for d in o] != [new[d] for d in n]:
        return None
    dmap: dict[int, int | None] = {d: None for d in range(len(old))}
    dmap.update(dict(zip(o, n)))
    return dmap


def analyse(
    closed: jcore.ClosedJaxpr, first_source: int, source_shapes, state_sources: set[int]
) -> Analysis:
    """Walk a JVP jaxpr whose invars ``first_source ...`` are the tangent sources.

    ``source_shapes``: shape of each source; ``state_sources``: indices (among sources)
    of previous-state tangents (sums over their paired dims are recorded as couplings).
    """
    walker = _Walker(closed.jaxpr, len(source_shapes), source_shapes)
    for var, value in zip(closed.jaxpr.constvars, closed.consts):
        varying = varying_dims(value)
        if varying is not None:
            walker.vary[var] = varying
    return walker.run(first_source, state_sources)


def analyse_jvp(closed: jcore.ClosedJaxpr, p_leaves, s_leaves, rest) -> Analysis:
    """Structure of the outputs of ``closed(*p_leaves, *s_leaves, *rest)`` w.r.t. the
    params and the state: its JVP (tangents of the param and state leaves; ``rest``
    fixed) traced with nested `jit`s inlined and walked by `analyse` (state leaves are the
    state sources)."""
    n = len(p_leaves) + len(s_leaves)
    n_primal = n + len(rest)
    fn = jaxpr_as_fun(closed)

    def jvp(*flat):
        primal, tangent = flat[:n_primal], flat[n_primal:]
        f = lambda *ps: fn(*ps, *primal[n:])
        return list(jax.jvp(f, tuple(primal[:n]), tuple(tangent))[1])

    jvp_closed = _live(trace_inlined(jvp, *p_leaves, *s_leaves, *rest, *p_leaves, *s_leaves))
    shapes = tuple(tuple(np.shape(a)) for a in (*p_leaves, *s_leaves))
    return analyse(jvp_closed, n_primal, shapes, set(range(len(p_leaves), n)))


def _live(closed: jcore.ClosedJaxpr) -> jcore.ClosedJaxpr:
    """``closed`` without the equations no output needs (e.g. a JVP's tangent of a value
    that then goes through `stop_gradient`: its sums would read as couplings)."""
    jaxpr = closed.jaxpr
    keep = needed_eqns(jaxpr, jaxpr.outvars)
    if len(keep) == len(jaxpr.eqns):
        return closed
    eqns = [e for k, e in enumerate(jaxpr.eqns) if k in keep]
    return jcore.ClosedJaxpr(
        jcore.Jaxpr(jaxpr.constvars, jaxpr.invars, jaxpr.outvars, eqns, jaxpr.effects),
        closed.consts,
    )


def summed_states(
    eqn, operand: int, deps: dict[int, Block], state_sources: set[int], source_shapes
) -> tuple[int, ...]:
    """State sources whose paired (neuron) dim ``eqn`` sums away along the path through
    operand ``operand`` alone, whose tangent has structure ``deps`` ({source: Block}):
    `analyse`'s coupling rule (`dot_general`, `reduce_sum`) applied to one equation of a
    primal jaxpr. Empty when the path stays within each neuron or the rule is unknown."""
    walker = _Walker(None, len(source_shapes), source_shapes)
    walker.state_sources = state_sources
    walker.tan[eqn.invars[operand]] = deps
    others = [a for k, a in enumerate(eqn.invars) if k != operand]
    if any(a is eqn.invars[operand] for a in others):
        return ()  # the same variable in two operands: no single-operand path (made dense)
    walker.eqn(0, eqn)
    return walker.couplings[0].sources if walker.couplings else ()


def varying_dims(value) -> frozenset[int] | None:
    """Dims along which a concrete array's values differ; None for an abstract (traced) value."""
    if isinstance(value, jax.core.Tracer) or not hasattr(value, "shape"):
        return None
    try:
        arr = np.asarray(value)
    except Exception:  # noqa: BLE001 - not concrete (e.g. a sharded tracer): assume it varies
        return None
    if arr.ndim == 0 or arr.size == 0:
        return frozenset()
    dims = set()
    for d in range(arr.ndim):
        first = np.take(arr, [0], axis=d)
        if not np.array_equal(arr, np.broadcast_to(first, arr.shape)):
            dims.add(d)
    return frozenset(dims)


def needed_eqns(jaxpr, outvars, *, differentiable: bool = False) -> set[int]:
    """Indices of equations the given outputs depend on (backward reachability).

    With ``differentiable``, only along paths a derivative can take: the search does not
    go past a `stop_gradient` (its operand's equations are needed for the value only).
    """
    need = {v for v in outvars if not _is_lit(v)}
    idx: set[int] = set()
    for k in range(len(jaxpr.eqns) - 1, -1, -1):
        eqn = jaxpr.eqns[k]
        if any(o in need for o in eqn.outvars):
            idx.add(k)
            if not (differentiable and eqn.primitive.name == "stop_gradient"):
                need.update(a for a in eqn.invars if not _is_lit(a))
    return idx


@dataclasses.dataclass(frozen=True)
class StepArgs:
    """The flattened ``(params, state, x)`` of a step: leaves, and the pytrees back."""

    p_leaves: list
    s_leaves: list
    x_leaves: list
    trees: tuple

    @classmethod
    def of(cls, params, state, x) -> StepArgs:
        (p, pt), (s, st), (xl, xt) = (jax.tree.flatten(a) for a in (params, state, x))
        return cls(p, s, xl, (pt, st, xt))

    @property
    def sizes(self) -> tuple[int, int, int]:
        return len(self.p_leaves), len(self.s_leaves), len(self.x_leaves)

    def split(self, flat) -> tuple[Any, Any, Any, list]:
        """``(params, state, x, rest)`` from ``p_leaves + s_leaves + x_leaves + rest``."""
        n_p, n_s, n_x = self.sizes
        p_tree, s_tree, x_tree = self.trees
        return (
            jax.tree.unflatten(p_tree, flat[:n_p]),
            jax.tree.unflatten(s_tree, flat[n_p : n_p + n_s]),
            jax.tree.unflatten(x_tree, flat[n_p + n_s : n_p + n_s + n_x]),
            list(flat[n_p + n_s + n_x :]),
        )


def trace_inlined(fn: Callable, *args) -> jcore.ClosedJaxpr:
    """`jax.make_jaxpr` with nested `jit`s inlined (traced under `jax.disable_jit`)."""
    with jax.disable_jit():
        return jax.make_jaxpr(fn)(*args)


#: frames of these packages are skipped when naming the step's line of an equation
_LIBRARY_DIRS = tuple(os.path.dirname(m.__file__) + os.sep for m in (jax, jaxlib))


def source_line(eqn) -> str | None:
    """``file:line (function): code`` of the innermost frame outside jax / jaxlib
    that emitted ``eqn`` (the line of the step's code); None when JAX recorded no traceback."""
    traceback = getattr(getattr(eqn, "source_info", None), "traceback", None)
    for frame in getattr(traceback, "frames", None) or ():
        if not frame.file_name.startswith(_LIBRARY_DIRS):
            code = linecache.getline(frame.file_name, frame.line_num).strip()
            return f"{frame.file_name}:{frame.line_num} ({frame.function_name})" + (
                f": {code}" if code else ""
            )
    return None
