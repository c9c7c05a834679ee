"""From a function and arguments to a :class:`Graph` of structured partials (the interpreter).

One interpreter loop walks the jaxpr: it evaluates every equation on the primal values,
inlines nested calls, creates a vertex for each differentiable output of an equation with
a differentiated input, and asks the rule table for the partials (the edges).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from . import rules as _rules  # noqa: F401  (registers every rule)
from ._graph import INPUT, INTERMEDIATE, OUTPUT, Graph, Vertex
from ._jaxpr import (
    INLINED_CALLS,
    ClosedJaxpr,
    eval_eqn,
    is_dropvar,
    is_literal,
    make_jaxpr,
    sub_jaxpr,
)
from ._stensor import STensor, add, identity
from .errors import UnsupportedPrimitiveError
from .rules import RULES, ZERO_PRIMITIVES, RuleContext, supported_primitives

ArgNums = int | Sequence[int]


@dataclasses.dataclass
class _Info:
    value: Any
    vid: int | None  # provisional vertex id, None for constants


@dataclasses.dataclass
class Traced:
    """A traced function: the graph plus what is needed to rebuild jacrev-shaped outputs."""

    graph: Graph
    in_ids: list[int]  # vertex id per differentiated input leaf
    out_ids: list[int]  # vertex id per output leaf
    in_avals: list[jax.ShapeDtypeStruct]
    out_avals: list[jax.ShapeDtypeStruct]
    in_tree: Any  # treedef of the list of differentiated arguments
    out_tree: Any
    aux: Any  # the auxiliary output (values), or None


def _inexact(dtype) -> bool:
    return jnp.issubdtype(dtype, jnp.inexact)


def split_args(args: Sequence[Any], argnums: ArgNums) -> tuple[tuple[int, ...], list, Any]:
    """The differentiated leaves of ``args[argnums]`` and their treedef."""
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    for a in nums:
        if not -len(args) <= a < len(args):
            raise ValueError(f"argnums {argnums} out of range for {len(args)} positional arguments")
    nums = tuple(a % len(args) for a in nums)
    leaves, tree = jax.tree_util.tree_flatten([args[a] for a in nums])
    leaves = [jnp.asarray(x) for x in leaves]
    for x in leaves:
        if not _inexact(x.dtype):
            raise TypeError(
                f"jacve requires differentiated inputs of float dtype, got {x.dtype}; "
                "pass integer arguments outside argnums"
            )
    return nums, leaves, tree


class _Builder:
    def __init__(self) -> None:
        self.vertices: list[dict] = []
        self.edges: dict[tuple[int, int], STensor] = {}

    def new_vertex(self, value, primitive: str, kind: str, where: str = "") -> int:
        self.vertices.append(
            {
                "shape": tuple(np.shape(value)),
                "dtype": str(jnp.result_type(value)),
                "primitive": primitive,
                "kind": kind,
                "where": where,
            }
        )
        return len(self.vertices) - 1

    def add_edge(self, src: int, dst: int, t: STensor) -> None:
        v_src, v_dst = self.vertices[src], self.vertices[dst]
        if t.in_shape != v_src["shape"] or t.out_shape != v_dst["shape"]:
            raise AssertionError(
                f"rule for {v_dst['primitive']} returned {t.structure} for {v_src['shape']} -> {v_dst['shape']}"
            )
        key = (src, dst)
        self.edges[key] = add(self.edges[key], t) if key in self.edges else t

    def walk(self, closed: ClosedJaxpr, in_infos: list[_Info], where: str) -> list[_Info]:
        jaxpr = closed.jaxpr
        env: dict[Any, _Info] = {}

        def read(v) -> _Info:
            return _Info(v.val, None) if is_literal(v) else env[v]

        for v, c in zip(jaxpr.constvars, closed.consts):
            env[v] = _Info(c, None)
        for v, info in zip(jaxpr.invars, in_infos):
            env[v] = info
        for n, eqn in enumerate(jaxpr.eqns):
            infos = [read(v) for v in eqn.invars]
            name = eqn.primitive.name
            here = f"{where}/eqn {n}"
            if name in INLINED_CALLS:
                outs = self.walk(
                    sub_jaxpr(eqn), infos, f"{here} ({name} {eqn.params.get('name', '')})"
                )
                for v, info in zip(eqn.outvars, outs):
                    env[v] = info
                continue
            outvals = eval_eqn(eqn, [i.value for i in infos])
            active = tuple(i.vid is not None for i in infos)
            diff_out = [not is_dropvar(v) and _inexact(v.aval.dtype) for v in eqn.outvars]
            out_ids: list[int | None] = [None] * len(outvals)
            if any(active) and any(diff_out) and name not in ZERO_PRIMITIVES:
                rule = RULES.get(name)
                if rule is None:
                    text = str(eqn).replace("\n", " ")
                    raise UnsupportedPrimitiveError(
                        name, f"{here}: {text[:160]}", supported_primitives()
                    )
                out_ids = [
                    self.new_vertex(x, name, INTERMEDIATE, here) if d else None
                    for x, d in zip(outvals, diff_out)
                ]
                ctx = RuleContext(
                    name, dict(eqn.params), [i.value for i in infos], outvals, active, eqn
                )
                for k, i, t in rule(ctx):
                    if out_ids[k] is not None and infos[i].vid is not None:
                        self.add_edge(infos[i].vid, out_ids[k], t)
            for v, x, vid in zip(eqn.outvars, outvals, out_ids):
                if not is_dropvar(v):
                    env[v] = _Info(x, vid)
        return [read(v) for v in jaxpr.outvars]


def trace(
    fun: Callable, args: Sequence[Any], argnums: ArgNums = 0, has_aux: bool = False
) -> Traced:
    """Trace ``fun(*args)`` into a graph whose edges hold structured partials (values included)."""
    nums, leaves, in_tree = split_args(args, argnums)
    trees: dict[str, Any] = {}

    def flat_fun(*diff_leaves):
        new_args = list(args)
        for a, x in zip(nums, jax.tree_util.tree_unflatten(in_tree, list(diff_leaves))):
            new_args[a] = x
        out = fun(*new_args)
        aux = None
        if has_aux:
            if not (isinstance(out, tuple) and len(out) == 2):
                raise TypeError("has_aux=True requires the function to return a pair (output, aux)")
            out, aux = out
        out_leaves, trees["out"] = jax.tree_util.tree_flatten(out)
        aux_leaves, trees["aux"] = jax.tree_util.tree_flatten(aux)
        trees["n_out"] = len(out_leaves)
        return list(out_leaves) + list(aux_leaves)

    closed = make_jaxpr(flat_fun, *leaves)
    b = _Builder()
    in_infos = [
        _Info(x, b.new_vertex(x, "input", INPUT, f"input {i}")) for i, x in enumerate(leaves)
    ]
    outs = b.walk(closed, in_infos, "top")
    n_out = trees["n_out"]
    out_infos, aux_infos = outs[:n_out], outs[n_out:]

    # outputs: reuse the producing vertex when possible, else add a copy vertex
    has_succ = {src for src, _ in b.edges}
    claimed: set[int] = set()
    out_prov: list[int] = []
    copies = []
    for k, info in enumerate(out_infos):
        vid = info.vid
        if (
            vid is not None
            and b.vertices[vid]["kind"] == INTERMEDIATE
            and vid not in has_succ
            and vid not in claimed
        ):
            b.vertices[vid]["kind"] = OUTPUT
            claimed.add(vid)
            out_prov.append(vid)
        else:
            copies.append((k, info))
            out_prov.append(-1)
    for k, info in copies:
        cid = b.new_vertex(info.value, "copy", OUTPUT, f"output {k}")
        if info.vid is not None:
            b.add_edge(info.vid, cid, identity(tuple(np.shape(info.value))))
        out_prov[k] = cid

    graph, remap = _prune_and_number(b)
    return Traced(
        graph=graph,
        in_ids=[remap[i.vid] for i in in_infos],
        out_ids=[remap[v] for v in out_prov],
        in_avals=[jax.ShapeDtypeStruct(x.shape, x.dtype) for x in leaves],
        out_avals=[
            jax.ShapeDtypeStruct(np.shape(i.value), jnp.result_type(i.value)) for i in out_infos
        ],
        in_tree=in_tree,
        out_tree=trees["out"],
        aux=None
        if not has_aux
        else jax.tree_util.tree_unflatten(trees["aux"], [i.value for i in aux_infos]),
    )


def _prune_and_number(b: _Builder) -> tuple[Graph, dict[int, int]]:
    """Drop intermediates not between an input and an output; number the rest contiguously."""
    n = len(b.vertices)
    succ: dict[int, list[int]] = {i: [] for i in range(n)}
    pred: dict[int, list[int]] = {i: [] for i in range(n)}
    for src, dst in b.edges:
        succ[src].append(dst)
        pred[dst].append(src)

    def reach(starts, nbrs):
        seen, stack = set(starts), list(starts)
        while stack:
            for w in nbrs[stack.pop()]:
                if w not in seen:
                    seen.add(w)
                    stack.append(w)
        return seen

    fwd = reach([i for i, v in enumerate(b.vertices) if v["kind"] == INPUT], succ)
    bwd = reach([i for i, v in enumerate(b.vertices) if v["kind"] == OUTPUT], pred)
    keep = [
        i for i, v in enumerate(b.vertices) if v["kind"] != INTERMEDIATE or (i in fwd and i in bwd)
    ]
    # inputs first, then intermediates and outputs in creation order (copies come last)
    keep.sort(key=lambda i: (b.vertices[i]["kind"] != INPUT, i))
    remap = {old: new for new, old in enumerate(keep)}
    vertices = [Vertex(id=remap[i], **b.vertices[i]) for i in keep]
    edges = {(remap[s], remap[d]): t for (s, d), t in b.edges.items() if s in remap and d in remap}
    return Graph(vertices, edges), remap
