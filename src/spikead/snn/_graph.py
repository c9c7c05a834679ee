"""`Graph`: layers connected by same-step edges and previous-step (recurrent) edges.

Time semantics (one call = one time step t):
- an edge in `edges` delivers the source's output of the SAME step t; layers run in a
  topological order of these edges, computed once at construction;
- an edge in `recurrent` (back edges, self-loops, any delayed connection) delivers the
  source's output of the PREVIOUS step t-1 (zeros at t = 0).
A cycle made only of same-step edges cannot be evaluated and raises `CycleError`.
The external input is the source name "in".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, PRNGKeyArray

from ._base import Shape, StatefulLayer, apply_layer, init_layer_state, output_spec, split_key
from ._errors import CycleError, GraphError, ShapeError

INPUT = "in"
MERGES = ("sum", "concat")
Edge = tuple[str, str]


def _topological_order(names: Sequence[str], edges: Sequence[Edge]) -> tuple[str, ...]:
    """Order of `names` such that every same-step edge goes forward; `CycleError` naming a
    cycle otherwise. Ties keep the order in which layers were given."""
    succ: dict[str, list[str]] = {n: [] for n in names}
    for src, dst in edges:
        if src != INPUT:
            succ[src].append(dst)
    colour = dict.fromkeys(names, 0)  # 0 new, 1 on the DFS stack, 2 done
    post: list[str] = []
    stack: list[str] = []

    def visit(n: str) -> None:
        colour[n] = 1
        stack.append(n)
        for m in succ[n]:
            if colour[m] == 1:
                cycle = stack[stack.index(m) :] + [m]
                raise CycleError(
                    "same-step cycle " + " -> ".join(cycle) + ": it can never be "
                    "evaluated within one time step. Move one of its edges to `recurrent=` "
                    f"(e.g. recurrent=[({cycle[-2]!r}, {cycle[-1]!r})]) to read the previous "
                    "step instead."
                )
            if colour[m] == 0:
                visit(m)
        stack.pop()
        colour[n] = 2
        post.append(n)

    for n in reversed(names):
        if colour[n] == 0:
            visit(n)
    return tuple(reversed(post))


def _merge_shapes(node: str, mode: str, shapes: list[Shape]) -> Shape:
    if mode == "sum" or len(shapes) == 1:
        if any(s != shapes[0] for s in shapes):
            raise ShapeError(
                f"layer {node!r} sums inputs of different shapes {shapes}; make them equal "
                f"or use merge={{{node!r}: 'concat'}}."
            )
        return shapes[0]
    if any(len(s) == 0 or s[1:] != shapes[0][1:] for s in shapes):
        raise ShapeError(
            f"layer {node!r} concatenates inputs along axis 0 but their shapes {shapes} "
            "differ in another axis; make the trailing dims equal."
        )
    return (sum(s[0] for s in shapes), *shapes[0][1:])


class Graph(StatefulLayer):
    """A network of named layers with same-step and previous-step connections.

    Args:
        layers: name -> layer (stateful or stateless). "in" is reserved for the input.
        edges: same-step connections (src, dst); src may be "in".
        recurrent: previous-step connections (src, dst), including self-loops (a, a).
        merge: how a layer combines several inputs: "sum" or "concat" (along axis 0), one
            mode for all or a dict name -> mode (default "sum"). Inputs are taken in the
            order they appear in `edges`, then in `recurrent`.
        outputs: names whose outputs `__call__` returns: one name gives an array, several a
            tuple in that order. Default: the last layer of the topological order.
        feedback_shapes: output shapes of recurrent sources that `init_state` cannot infer
            (only needed when such a source feeds a "concat" merge before its own shape is
            known); name -> shape.

    State: `{"layers": {name: state}, "feedback": {src: previous output}}`.
    """

    layers: dict[str, Any]
    order: tuple[str, ...] = eqx.field(static=True)
    inputs: tuple[tuple[tuple[str, bool], ...], ...] = eqx.field(static=True)
    merge: tuple[str, ...] = eqx.field(static=True)
    outputs: tuple[str, ...] = eqx.field(static=True)
    feedback_sources: tuple[str, ...] = eqx.field(static=True)
    feedback_shapes: tuple[tuple[str, Shape], ...] = eqx.field(static=True)

    def __init__(
        self,
        layers: Mapping[str, Any],
        edges: Sequence[Edge],
        recurrent: Sequence[Edge] = (),
        merge: str | Mapping[str, str] = "sum",
        outputs: Sequence[str] | str | None = None,
        feedback_shapes: Mapping[str, Shape] | None = None,
    ):
        names = tuple(layers)
        if INPUT in layers:
            raise GraphError(f"{INPUT!r} is reserved for the external input; rename that layer.")
        if not names:
            raise GraphError("Graph needs at least one layer.")
        edges = [tuple(e) for e in edges]
        recurrent = [tuple(e) for e in recurrent]
        for kind, group in (("edges", edges), ("recurrent", recurrent)):
            for src, dst in group:
                if src != INPUT and src not in layers:
                    raise GraphError(
                        f"{kind} entry ({src!r}, {dst!r}): unknown source {src!r}; known "
                        f"sources are {(INPUT, *names)}."
                    )
                if dst not in layers:
                    raise GraphError(
                        f"{kind} entry ({src!r}, {dst!r}): unknown destination {dst!r}; "
                        f"known layers are {names}."
                    )
        modes = {n: merge for n in names} if isinstance(merge, str) else {n: "sum" for n in names}
        if not isinstance(merge, str):
            for n, m in merge.items():
                if n not in layers:
                    raise GraphError(f"merge given for unknown layer {n!r}; known: {names}.")
                modes[n] = m
        for n, m in modes.items():
            if m not in MERGES:
                raise GraphError(f"merge={m!r} for layer {n!r}; use one of {MERGES}.")
        sources = {n: [] for n in names}
        for src, dst in edges:
            sources[dst].append((src, False))
        for src, dst in recurrent:
            sources[dst].append((src, True))
        for n in names:
            if not sources[n]:
                raise GraphError(
                    f"layer {n!r} has no input; add an edge to it (e.g. ({INPUT!r}, {n!r}))."
                )
        self.order = _topological_order(names, edges)
        if outputs is None:
            outputs = (self.order[-1],)
        elif isinstance(outputs, str):
            outputs = (outputs,)
        for n in outputs:
            if n not in layers:
                raise GraphError(f"output {n!r} is not a layer; known layers are {names}.")
        self.layers = dict(layers)
        self.inputs = tuple(tuple(sources[n]) for n in self.order)
        self.merge = tuple(modes[n] for n in self.order)
        self.outputs = tuple(outputs)
        self.feedback_sources = tuple(dict.fromkeys(src for src, _ in recurrent))
        self.feedback_shapes = tuple((k, tuple(v)) for k, v in (feedback_shapes or {}).items())

    def init_state(self, in_shape: Shape) -> dict:
        """Initial state: zeros for every layer state and every fed-back output.

        Output shapes come from `jax.eval_shape` of one step of each layer, visiting a
        layer once the shapes of all its sources are known (recurrent sources included).
        When only loops through recurrent edges remain, a layer takes a missing recurrent
        source's shape from `feedback_shapes`, or (merge "sum") from its known inputs;
        every such assumption is checked against the real shapes at the end."""
        sources = dict(zip(self.order, self.inputs))
        modes = dict(zip(self.order, self.merge))
        hints = dict(self.feedback_shapes)
        specs = {INPUT: (tuple(in_shape), jnp.float32)}
        used_in: dict[str, Shape] = {}
        states = {}

        def input_shape(node: str, assume: bool) -> Shape | None:
            shapes = []
            known = [specs[s][0] for s, _ in sources[node] if s in specs]
            for src, _ in sources[node]:
                if src in specs:
                    shapes.append(specs[src][0])
                elif assume and src in hints:
                    shapes.append(hints[src])
                elif assume and modes[node] == "sum" and known:
                    shapes.append(known[0])
                else:
                    return None
            return _merge_shapes(node, modes[node], shapes)

        pending = list(self.order)
        while pending:
            node, node_in = None, None
            for assume in (False, True):
                for n in pending:
                    node_in = input_shape(n, assume)
                    if node_in is not None:
                        node = n
                        break
                if node is not None:
                    break
            if node is None:
                n = pending[0]
                missing = [s for s, _ in sources[n] if s not in specs]
                raise ShapeError(
                    f"cannot infer the input shape of {n!r} (merge {modes[n]!r}): the output "
                    f"shapes of {missing} are only known after {n!r} runs. Pass "
                    f"feedback_shapes={{{missing[0]!r}: <shape>}} to Graph."
                )
            pending.remove(node)
            used_in[node] = node_in
            states[node] = init_layer_state(self.layers[node], node_in)
            out = output_spec(self.layers[node], states[node], node_in, where=f"layer {node!r}")
            specs[node] = (tuple(out.shape), out.dtype)
        for node in self.order:
            real = input_shape(node, assume=False)
            if real != used_in[node]:
                raise ShapeError(
                    f"layer {node!r} was built for input shape {used_in[node]}, but its "
                    f"sources deliver {real}; fix the layer sizes or feedback_shapes."
                )
        feedback = {s: jnp.zeros(*specs[s]) for s in self.feedback_sources}
        return {"layers": states, "feedback": feedback}

    def step_all(
        self, state: dict, x: Array, *, key: PRNGKeyArray | None = None
    ) -> tuple[dict, dict[str, Array]]:
        """One step returning every layer's output: `(new_state, {name: output})`."""
        outs = {INPUT: x}
        feedback = state["feedback"]
        new_layer_states = {}
        keys = split_key(key, len(self.order))
        for node, srcs, mode, k in zip(self.order, self.inputs, self.merge, keys):
            vals = [feedback[s] if rec else outs[s] for s, rec in srcs]
            if len(vals) == 1:
                merged = vals[0]
            elif mode == "sum":
                merged = sum(vals[1:], vals[0])
            else:
                merged = jnp.concatenate(vals, axis=0)
            new_layer_states[node], outs[node] = apply_layer(
                self.layers[node], state["layers"][node], merged, k
            )
        new_feedback = {s: outs[s] for s in self.feedback_sources}
        del outs[INPUT]
        return {"layers": new_layer_states, "feedback": new_feedback}, outs

    def __call__(self, state: dict, x: Array, *, key: PRNGKeyArray | None = None):
        state, outs = self.step_all(state, x, key=key)
        if len(self.outputs) == 1:
            return state, outs[self.outputs[0]]
        return state, tuple(outs[n] for n in self.outputs)
