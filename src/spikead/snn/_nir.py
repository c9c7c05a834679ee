"""NIR interchange: `to_nir(model, dt=...)` writes a model as a `nir.NIRGraph`,
`from_nir(graph, dt=...)` builds a model from one (save/read files with `nir.write` /
`nir.read`). NIR (the Neuromorphic Intermediate Representation) is how snnTorch, Norse,
Spyx, Rockpool, Lava and neuromorphic hardware exchange models.

Discretisation. NIR neurons are continuous-time ODEs; spikead steps them with FORWARD
EULER at step `dt`, the rule snnTorch's and Norse's NIR importers use (beta = 1 - dt/tau,
not exp(-dt/tau)):

    LI       tau dv/dt = (v_leak - v) + r I      v_t = beta v_{t-1} + g x_t
             beta = 1 - dt/tau,  input gain g = r dt / tau  (v_leak must be 0)
    LIF      the LI membrane; spike z_t = H(v_t - v_threshold); reset to v_reset = 0
             (spikead `LIF(reset="zero")`: the reset by z_t is applied at step t+1,
             which gives the same spikes as resetting at once)
    CubaLIF  tau_syn dI/dt = -I + w_in S,  tau_mem dv/dt = (v_leak - v) + r I
             i_t = alpha i_{t-1} + g x_t,  v_t = beta v_{t-1} + i_t,
             alpha = 1 - dt/tau_syn, beta = 1 - dt/tau_mem,
             g = (w_in dt / tau_syn) (r dt / tau_mem)   (v_leak, v_reset must be 0)
    IF       dv/dt = r I                         v_t = v_{t-1} + r x_t
             per-step gain r, dt not used: the convention of Norse's IAF import and of
             the snnTorch/Norse exports (r = 1 is one unit of input per step)

`to_nir` writes the inverse: tau = dt / (1 - beta), r = tau / dt (gain one, as snnTorch
writes it), v_leak = 0, v_reset = 0; for CubaLIF also w_in = tau_syn / dt; IF r = 1. It
needs 0 < beta, alpha < 1 and reset="zero" (NIR resets to a value; "subtract" has no
counterpart). On import a gain g != 1 (Norse writes r = 1, so g = dt/tau) becomes a
`snn.Scale(g)` in front of the neuron, so the membrane has NIR's units; gains within 1e-6
of one (the float32 rounding of r = tau/dt in a peer's file) are taken as one.

Layers: LI, LIF, CuBaLIF, IAF <-> LI, LIF, CubaLIF, IF; `eqx.nn.Linear` <-> Affine / Linear;
`eqx.nn.Conv1d/2d` <-> Conv1d / Conv2d; `snn.Flatten` <-> Flatten (all dims);
`snn.SpikingPool(mode="sum")` (2-d) <-> SumPool2d followed by Threshold;
`eqx.nn.AvgPool2d` <-> AvgPool2d; `snn.Scale` <-> Scale. `Sequential` and `Graph` become
the nodes and edges of the NIR graph (nested networks are flattened, names joined with
"."); a NIR graph that is a chain comes back as a `Sequential`, any other as a `Graph`.
Anything else raises `SNNError` naming the layer or node.

Time. NIR edges carry no delay; a cycle is how NIR writes recurrence. The importer marks
as recurrent (read at the previous step, `Graph(recurrent=...)`) exactly the edges that
close a cycle in a depth-first search from the input that follows the edges in the
order they are listed (for snnTorch's `lif -> w_rec -> lif` that is `(w_rec, lif)`).
`to_nir` checks that this rule recovers the model's recurrent edges and otherwise raises,
naming the edges to use: an export never changes the dynamics silently.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ._base import Shape, init_layer_state, output_spec
from ._errors import SNNError
from ._graph import INPUT, Graph
from ._layers import Flatten, SpikingPool
from ._lif import IAF, LI, LIF, CuBaLIF
from ._scale import Scale
from ._sequential import Sequential
from ._surrogates import SURROGATES, surrogate_from_name

Edge = tuple[str, str]
INPUT_NODE = "input"
OUTPUT_NODE = "output"
UNIT_GAIN_RTOL = 1e-6  # gains this close to one are one (float32 rounding of r = tau/dt)


def _nir():
    """The `nir` package (a dependency of the `peers` extra), imported on first use."""
    try:
        import nir
    except ImportError as err:  # pragma: no cover - nir is in the peers extra
        raise SNNError(
            "NIR interchange needs the `nir` package: pip install 'nir>=1.0.4' "
            "(it is in spikead's `peers` extra)."
        ) from err
    return nir


def back_edges(start: str, edges: list[Edge]) -> tuple[set[Edge], set[str]]:
    """Edges closing a cycle in a depth-first search from `start` that follows `edges` in
    their order, and the set of nodes reached. This is the rule both directions use to
    decide which NIR edges are recurrent (previous step)."""
    succ: dict[str, list[str]] = {}
    for src, dst in edges:
        succ.setdefault(src, []).append(dst)
    colour: dict[str, int] = {start: 1}  # 1 on the stack, 2 done
    found: set[Edge] = set()
    stack = [(start, iter(succ.get(start, ())))]
    while stack:
        node, it = stack[-1]
        nxt = next(it, None)
        if nxt is None:
            colour[node] = 2
            stack.pop()
        elif colour.get(nxt) == 1:
            found.add((node, nxt))
        elif nxt not in colour:
            colour[nxt] = 1
            stack.append((nxt, iter(succ.get(nxt, ()))))
    return found, set(colour)


# ----------------------------------------------------------------------------- export


@dataclass
class _Flat:
    """The NIR graph under construction: nodes, edges, and which edges were recurrent."""

    nodes: dict[str, Any] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    recurrent: set[Edge] = field(default_factory=set)

    def add_node(self, name: str, node) -> None:
        if name in self.nodes:
            raise SNNError(f"to_nir: two nodes are named {name!r}; rename a layer.")
        self.nodes[name] = node

    def connect(self, srcs: list[str], dsts: list[str], recurrent: bool = False) -> None:
        for s in srcs:
            for d in dsts:
                if (s, d) in self.edges:
                    raise SNNError(
                        f"to_nir: edge ({s!r}, {d!r}) would appear twice; NIR edges are unique."
                    )
                self.edges.append((s, d))
                if recurrent:
                    self.recurrent.add((s, d))


def _f64(a) -> np.ndarray:
    return np.asarray(a, np.float64)


def _decay_to_tau(name: str, what: str, decay, dt: float) -> np.ndarray:
    d = _f64(decay)
    if not np.all((d > 0) & (d < 1)):
        raise SNNError(
            f"to_nir: layer {name!r} has {what} outside (0, 1) (min {d.min()}, max "
            f"{d.max()}); NIR's tau = dt / (1 - {what}) needs 0 < {what} < 1."
        )
    return dt / (1.0 - d)


def _check_zero_reset(name: str, layer) -> None:
    if layer.reset != "zero":
        raise SNNError(
            f"to_nir: layer {name!r} ({type(layer).__name__}) has reset={layer.reset!r}; "
            f"NIR neurons reset to a value (v_reset = 0), so only reset='zero' can be "
            f"exported. Build it with reset='zero'."
        )


def _surrogate_metadata(layer) -> dict:
    """Training-only settings NIR does not know, kept in the node metadata."""
    names = [k for k, cls in SURROGATES.items() if type(layer.surrogate) is cls]
    meta = {"spikead_stop_reset_grad": int(layer.stop_reset_grad)}
    if names:
        meta.update(spikead_surrogate=names[0], spikead_slope=float(layer.surrogate.slope))
    return meta


def _export_li(nir, name, layer: LI, shape, dt):
    tau = _decay_to_tau(name, "beta", layer.beta, dt)
    return [(name, nir.LI(tau=tau, r=tau / dt, v_leak=np.zeros_like(tau)))]


def _export_lif(nir, name, layer: LIF, shape, dt):
    _check_zero_reset(name, layer)
    tau = _decay_to_tau(name, "beta", layer.beta, dt)
    thr = _f64(layer.threshold)
    node = nir.LIF(
        tau=tau,
        r=tau / dt,
        v_leak=np.zeros_like(tau),
        v_threshold=thr,
        v_reset=np.zeros_like(thr),
        metadata=_surrogate_metadata(layer),
    )
    return [(name, node)]


def _export_cubalif(nir, name, layer: CuBaLIF, shape, dt):
    _check_zero_reset(name, layer)
    tau_syn = _decay_to_tau(name, "alpha", layer.alpha, dt)
    tau_mem = _decay_to_tau(name, "beta", layer.beta, dt)
    thr = _f64(layer.threshold)
    node = nir.CubaLIF(
        tau_syn=tau_syn,
        tau_mem=tau_mem,
        r=tau_mem / dt,
        v_leak=np.zeros_like(thr),
        v_threshold=thr,
        v_reset=np.zeros_like(thr),
        w_in=tau_syn / dt,
        metadata=_surrogate_metadata(layer),
    )
    return [(name, node)]


def _export_iaf(nir, name, layer: IAF, shape, dt):
    _check_zero_reset(name, layer)
    thr = _f64(layer.threshold)
    node = nir.IF(
        r=np.ones_like(thr),
        v_threshold=thr,
        v_reset=np.zeros_like(thr),
        metadata=_surrogate_metadata(layer),
    )
    return [(name, node)]


def _export_linear(nir, name, layer: eqx.nn.Linear, shape, dt):
    if layer.in_features == "scalar" or layer.out_features == "scalar":
        raise SNNError(
            f"to_nir: layer {name!r} is an eqx.nn.Linear with 'scalar' features; "
            "NIR's Affine needs vectors. Use in/out_features >= 1."
        )
    w = np.asarray(layer.weight)
    if layer.bias is None:
        return [(name, nir.Linear(weight=w))]
    return [(name, nir.Affine(weight=w, bias=np.asarray(layer.bias)))]


def _symmetric_padding(name: str, padding) -> tuple[int, ...]:
    if any(lo != hi for lo, hi in padding):
        raise SNNError(
            f"to_nir: layer {name!r} has asymmetric padding {padding}; NIR "
            "pads both sides equally. Use symmetric padding."
        )
    return tuple(int(lo) for lo, _ in padding)


def _export_conv(nir, name, layer: eqx.nn.Conv, shape, dt):
    n = layer.num_spatial_dims
    if n not in (1, 2) or layer.padding_mode != "ZEROS":
        raise SNNError(
            f"to_nir: layer {name!r} is a {n}-d convolution with padding_mode "
            f"{layer.padding_mode!r}; NIR has Conv1d and Conv2d with zero padding."
        )
    pad = _symmetric_padding(name, layer.padding)
    w = np.asarray(layer.weight)
    bias = (
        np.asarray(layer.bias).reshape(-1)
        if layer.use_bias
        else np.zeros(layer.out_channels, w.dtype)
    )
    if n == 1:
        node = nir.Conv1d(
            input_shape=int(shape[1]),
            weight=w,
            stride=int(layer.stride[0]),
            padding=pad[0],
            dilation=int(layer.dilation[0]),
            groups=int(layer.groups),
            bias=bias,
        )
    else:
        node = nir.Conv2d(
            input_shape=tuple(int(s) for s in shape[1:]),
            weight=w,
            stride=tuple(int(s) for s in layer.stride),
            padding=pad,
            dilation=tuple(int(d) for d in layer.dilation),
            groups=int(layer.groups),
            bias=bias,
        )
    return [(name, node)]


def _export_flatten(nir, name, layer, shape, dt):
    return [(name, nir.Flatten(input_type={"input": np.array(shape)}, start_dim=0, end_dim=-1))]


def _export_spiking_pool(nir, name, layer: SpikingPool, shape, dt):
    if layer.mode != "sum" or len(layer.kernel_size) != 2:
        raise SNNError(
            f"to_nir: layer {name!r} is a SpikingPool(mode={layer.mode!r}) over "
            f"{len(layer.kernel_size)} dims; NIR has SumPool2d only (mode='sum', "
            "2-d)."
        )
    out = output_spec(layer, (), shape, where=f"layer {name!r}").shape
    pool = nir.SumPool2d(
        kernel_size=np.array(layer.kernel_size),
        stride=np.array(layer.stride),
        padding=np.zeros(2, np.int64),
    )
    thr = nir.Threshold(threshold=np.full(out, layer.threshold, np.float64))
    return [(name, pool), (f"{name}.threshold", thr)]


def _export_avg_pool(nir, name, layer: eqx.nn.AvgPool2d, shape, dt):
    if layer.use_ceil:
        raise SNNError(f"to_nir: layer {name!r} uses use_ceil=True; NIR's AvgPool2d rounds down.")
    pad = _symmetric_padding(name, layer.padding)
    return [
        (
            name,
            nir.AvgPool2d(
                kernel_size=np.array(layer.kernel_size),
                stride=np.array(layer.stride),
                padding=np.array(pad),
            ),
        )
    ]


def _export_scale(nir, name, layer: Scale, shape, dt):
    return [(name, nir.Scale(scale=_f64(layer.scale)))]


_EXPORTERS: dict[type, Callable] = {
    LI: _export_li,
    LIF: _export_lif,
    CuBaLIF: _export_cubalif,
    IAF: _export_iaf,
    eqx.nn.Linear: _export_linear,
    eqx.nn.Conv1d: _export_conv,
    eqx.nn.Conv2d: _export_conv,
    eqx.nn.Conv: _export_conv,
    Flatten: _export_flatten,
    SpikingPool: _export_spiking_pool,
    eqx.nn.AvgPool2d: _export_avg_pool,
    Scale: _export_scale,
}


def _supported_layers() -> str:
    names = sorted({c.__name__ for c in _EXPORTERS} | {"Sequential", "Graph"})
    return ", ".join(names)


def _export(nir, layer, name: str, shape: Shape, dt: float, flat: _Flat):
    """Add `layer` (input shape `shape`) to `flat`; returns (entries, exits): the nodes
    that receive its input and the nodes whose outputs are its outputs."""
    prefix = f"{name}." if name else ""
    if isinstance(layer, Sequential):
        entries, exits = None, None
        for i, sub in enumerate(layer.layers):
            e, x = _export(nir, sub, f"{prefix}{i}", shape, dt, flat)
            _single_output(x, f"{prefix}{i}")
            if exits is None:
                entries = e
            else:
                flat.connect(exits, e)
            exits = x
            shape = output_spec(
                sub, init_layer_state(sub, shape), shape, where=f"layer {prefix}{i}"
            ).shape
        return entries, exits
    if isinstance(layer, Graph):
        return _export_graph(nir, layer, prefix, shape, dt, flat)
    exporter = _EXPORTERS.get(type(layer))
    if exporter is None:
        raise SNNError(
            f"to_nir: layer {name or '<model>'!r} of type {type(layer).__name__} has no NIR "
            f"counterpart; supported layers: {_supported_layers()}."
        )
    chain = exporter(nir, name or type(layer).__name__.lower(), layer, tuple(shape), dt)
    for node_name, node in chain:
        flat.add_node(node_name, node)
    for (a, _), (b, _) in itertools.pairwise(chain):
        flat.connect([a], [b])
    return [chain[0][0]], [chain[-1][0]]


def _single_output(exits: list[str], where: str) -> None:
    if len(exits) != 1:
        raise SNNError(
            f"to_nir: {where!r} has {len(exits)} outputs; only the whole model may have several."
        )


def _export_graph(nir, graph: Graph, prefix: str, shape: Shape, dt: float, flat: _Flat):
    state = graph.init_state(shape)
    x = jax.ShapeDtypeStruct(tuple(shape), jnp.float32)
    _, outs = jax.eval_shape(lambda s, x: graph.step_all(s, x), state, x)
    shapes = {INPUT: tuple(shape), **{k: tuple(v.shape) for k, v in outs.items()}}
    ports: dict[str, tuple[list[str], list[str]]] = {}
    for node, srcs, mode in zip(graph.order, graph.inputs, graph.merge):
        if mode == "concat" and len(srcs) > 1:
            raise SNNError(
                f"to_nir: layer {prefix}{node!r} concatenates its inputs; NIR sums "
                "the inputs of a node. Use merge='sum'."
            )
        ports[node] = _export(
            nir, graph.layers[node], f"{prefix}{node}", shapes[srcs[0][0]], dt, flat
        )
        _single_output(ports[node][1], f"{prefix}{node}")
    entries: list[str] = []
    for node, srcs in zip(graph.order, graph.inputs):
        for src, rec in srcs:
            if src == INPUT:
                if rec:
                    raise SNNError(
                        f"to_nir: recurrent edge from the input to {node!r} "
                        "(a delayed input) has no NIR counterpart."
                    )
                entries += ports[node][0]
            else:
                flat.connect(ports[src][1], ports[node][0], recurrent=rec)
    return entries, [ports[n][1][0] for n in graph.outputs]


def to_nir(model: Any, *, dt: float, in_shape: Shape | None = None):
    """Export `model` as a `nir.NIRGraph` (write it with `nir.write(path, graph)`).

    Args:
        model: a supported layer, `Sequential` or `Graph` (see the module docstring).
        dt: time step in seconds of the discretisation (snnTorch's importer assumes 1e-4,
            Norse's 1e-3); tau = dt / (1 - beta).
        in_shape: shape of one input sample (no time or batch axis), e.g. (M,). Needed when
            the first layer does not fix it (a convolution); otherwise inferred.

    Returns a graph with an `Input` node "input", one `Output` node ("output", or
    "output.<name>" per output of a multi-output `Graph`), nodes named after the layers.
    """
    nir = _nir()
    shape = tuple(in_shape) if in_shape is not None else _infer_in_shape(model)
    flat = _Flat()
    entries, exits = _export(nir, model, "", shape, dt, flat)
    for name in (INPUT_NODE, OUTPUT_NODE):
        if name in flat.nodes:
            raise SNNError(
                f"to_nir: a layer is named {name!r}, the name of the graph's "
                f"{name} node; rename the layer."
            )
    state = init_layer_state(model, shape)
    out = output_spec(model, state, shape, where="model")
    out_shapes = out if isinstance(out, tuple) else (out,)
    nodes = {INPUT_NODE: nir.Input(input_type={"input": np.array(shape)}), **flat.nodes}
    edges = [(INPUT_NODE, e) for e in entries] + flat.edges
    out_names = [OUTPUT_NODE] if len(exits) == 1 else [f"{OUTPUT_NODE}.{n}" for n in model.outputs]
    for name, ex, o in zip(out_names, exits, out_shapes):
        nodes[name] = nir.Output(output_type={"output": np.array(o.shape)})
        edges.append((ex, name))
    found, _ = back_edges(INPUT_NODE, edges)
    if found != flat.recurrent:
        raise SNNError(
            f"to_nir: NIR edges carry no delay; importers treat the edges closing a cycle "
            f"(depth-first from the input) as the previous-step ones, here "
            f"{sorted(found)}, but the model's recurrent edges are {sorted(flat.recurrent)}. "
            f"Rebuild the Graph with recurrent= the former (same dynamics when the layers "
            f"between them are stateless), or note that a delayed edge outside a cycle "
            f"cannot be written in NIR."
        )
    return nir.NIRGraph(nodes=nodes, edges=edges)


def _infer_in_shape(model: Any) -> Shape:
    first = model
    while True:
        if isinstance(first, Sequential):
            first = first.layers[0]
        elif isinstance(first, Graph):
            takers = [
                n for n, srcs in zip(first.order, first.inputs) if any(s == INPUT for s, _ in srcs)
            ]
            first = first.layers[takers[0]]
        else:
            break
    if isinstance(first, eqx.nn.Linear) and first.in_features != "scalar":
        return (first.in_features,)
    if hasattr(first, "shape") and isinstance(first.shape, tuple):
        return first.shape
    raise SNNError(
        f"to_nir: cannot infer the input shape from the first layer "
        f"({type(first).__name__}); pass in_shape=(...) (one sample, no time or "
        f"batch axis)."
    )


# ----------------------------------------------------------------------------- import


def _positive_tau(name: str, what: str, tau, dt: float) -> np.ndarray:
    tau = _f64(tau)
    if not np.all(tau > dt):
        raise SNNError(
            f"from_nir: node {name!r} has {what} (min {tau.min()}) <= dt = {dt}; forward "
            f"Euler gives a decay 1 - dt/{what} <= 0. Use a smaller dt."
        )
    return tau


def _require_zero(name: str, what: str, value) -> None:
    if value is not None and np.any(_f64(value) != 0):
        raise SNNError(
            f"from_nir: node {name!r} has {what} != 0 (values {np.unique(value)}); "
            f"spikead neurons have {what} = 0."
        )


def _neuron_shape(name: str, node, *params) -> Shape:
    shape = np.broadcast_shapes(*(np.shape(p) for p in params))
    declared = (node.input_type or {}).get("input")
    if declared is not None and np.size(declared) > 0:
        try:
            shape = np.broadcast_shapes(shape, tuple(int(s) for s in declared))
        except ValueError:
            raise SNNError(
                f"from_nir: node {name!r} has parameters of shape {shape} and "
                f"input type {tuple(declared)}; they do not broadcast."
            ) from None
    if shape == ():
        raise SNNError(
            f"from_nir: cannot tell the number of neurons of node {name!r}: its "
            "parameters are scalars and its input type is unknown. Give per-neuron "
            "parameter arrays."
        )
    return tuple(int(s) for s in shape)


def _neuron_kwargs(node) -> dict:
    meta = node.metadata or {}
    kw = {}
    if "spikead_surrogate" in meta:
        kw["surrogate"] = surrogate_from_name(
            str(meta["spikead_surrogate"]), slope=float(meta["spikead_slope"])
        )
    if "spikead_stop_reset_grad" in meta:
        kw["stop_reset_grad"] = bool(int(meta["spikead_stop_reset_grad"]))
    return kw


def _with_gain(gain: np.ndarray, shape: Shape, neuron):
    gain = np.broadcast_to(gain, shape)
    if np.all(np.abs(gain - 1.0) <= UNIT_GAIN_RTOL):
        return neuron
    return Sequential(Scale(gain), neuron)


def _import_li(name, node, dt):
    tau = _positive_tau(name, "tau", node.tau, dt)
    _require_zero(name, "v_leak", node.v_leak)
    shape = _neuron_shape(name, node, node.tau, node.r)
    return _with_gain(_f64(node.r) * dt / tau, shape, LI(shape, beta=1.0 - dt / tau))


def _import_lif(name, node, dt):
    tau = _positive_tau(name, "tau", node.tau, dt)
    _require_zero(name, "v_leak", node.v_leak)
    _require_zero(name, "v_reset", node.v_reset)
    shape = _neuron_shape(name, node, node.tau, node.r, node.v_threshold)
    neuron = LIF(
        shape,
        beta=1.0 - dt / tau,
        threshold=_f64(node.v_threshold),
        reset="zero",
        **_neuron_kwargs(node),
    )
    return _with_gain(_f64(node.r) * dt / tau, shape, neuron)


def _import_cubalif(name, node, dt):
    tau_syn = _positive_tau(name, "tau_syn", node.tau_syn, dt)
    tau_mem = _positive_tau(name, "tau_mem", node.tau_mem, dt)
    _require_zero(name, "v_leak", node.v_leak)
    _require_zero(name, "v_reset", node.v_reset)
    shape = _neuron_shape(name, node, node.tau_syn, node.tau_mem, node.r, node.v_threshold)
    neuron = CuBaLIF(
        shape,
        alpha=1.0 - dt / tau_syn,
        beta=1.0 - dt / tau_mem,
        threshold=_f64(node.v_threshold),
        reset="zero",
        **_neuron_kwargs(node),
    )
    gain = (_f64(node.w_in) * dt / tau_syn) * (_f64(node.r) * dt / tau_mem)
    return _with_gain(gain, shape, neuron)


def _import_if(name, node, dt):
    _require_zero(name, "v_reset", node.v_reset)
    shape = _neuron_shape(name, node, node.r, node.v_threshold)
    neuron = IAF(shape, threshold=_f64(node.v_threshold), reset="zero", **_neuron_kwargs(node))
    return _with_gain(_f64(node.r), shape, neuron)


_KEY = jax.random.key(0)  # weights are replaced right after construction


def _import_affine(name, node, dt):
    w = np.asarray(node.weight, np.float32)
    bias = getattr(node, "bias", None)
    if w.ndim != 2:
        raise SNNError(
            f"from_nir: node {name!r} has a weight of shape {w.shape}; only 2-d "
            "(out, in) weights are supported."
        )
    layer = eqx.nn.Linear(w.shape[1], w.shape[0], use_bias=bias is not None, key=_KEY)
    layer = eqx.tree_at(lambda m: m.weight, layer, jnp.asarray(w))
    if bias is not None:
        layer = eqx.tree_at(lambda m: m.bias, layer, jnp.asarray(np.asarray(bias, np.float32)))
    return layer


def _as_tuple(value, n: int, name: str, what: str) -> tuple[int, ...]:
    arr = np.atleast_1d(np.asarray(value)).astype(np.int64)
    if arr.size == 1:
        arr = np.repeat(arr, n)
    if arr.size != n:
        raise SNNError(f"from_nir: node {name!r} has {what}={value!r}; expected {n} values.")
    return tuple(int(v) for v in arr)


def _import_conv(name, node, dt):
    w = np.asarray(node.weight, np.float32)
    n = w.ndim - 2
    kernel = w.shape[2:]
    stride = _as_tuple(node.stride, n, name, "stride")
    dilation = _as_tuple(node.dilation, n, name, "dilation")
    padding = node.padding
    if isinstance(padding, bytes):
        padding = padding.decode()
    if isinstance(padding, str):
        if padding == "valid":
            pads = [(0, 0)] * n
        elif all(s == 1 for s in stride):  # "same" as PyTorch: the extra pad goes last
            totals = [d * (k - 1) for d, k in zip(dilation, kernel)]
            pads = [(t // 2, t - t // 2) for t in totals]
        else:
            raise SNNError(
                f"from_nir: node {name!r} has padding='same' with stride "
                f"{stride}; 'same' needs stride 1."
            )
    else:
        pads = [(p, p) for p in _as_tuple(padding, n, name, "padding")]
    groups = int(node.groups)
    conv = {1: eqx.nn.Conv1d, 2: eqx.nn.Conv2d}[n]
    layer = conv(
        w.shape[1] * groups,
        w.shape[0],
        kernel,
        stride=stride,
        padding=pads,
        dilation=dilation,
        groups=groups,
        key=_KEY,
    )
    bias = np.asarray(node.bias, np.float32).reshape((w.shape[0],) + (1,) * n)
    layer = eqx.tree_at(lambda m: m.weight, layer, jnp.asarray(w))
    return eqx.tree_at(lambda m: m.bias, layer, jnp.asarray(bias))


def _import_flatten(name, node, dt):
    declared = (node.input_type or {}).get("input")
    ndim = None if declared is None else int(np.size(declared))
    end_ok = node.end_dim == -1 or (ndim is not None and node.end_dim == ndim - 1)
    if node.start_dim != 0 or not end_ok:
        raise SNNError(
            f"from_nir: node {name!r} flattens dims {node.start_dim}..{node.end_dim}"
            "; snn.Flatten flattens all dims of one sample (start_dim=0, "
            "end_dim=-1)."
        )
    return Flatten()


def _import_avg_pool(name, node, dt):
    pads = _as_tuple(node.padding, 2, name, "padding")
    return eqx.nn.AvgPool2d(
        _as_tuple(node.kernel_size, 2, name, "kernel_size"),
        stride=_as_tuple(node.stride, 2, name, "stride"),
        padding=tuple((p, p) for p in pads),
    )


def _import_scale(name, node, dt):
    return Scale(np.asarray(node.scale, np.float32))


def _importers(nir) -> dict[type, Callable]:
    return {
        nir.LI: _import_li,
        nir.LIF: _import_lif,
        nir.CubaLIF: _import_cubalif,
        nir.IF: _import_if,
        nir.Affine: _import_affine,
        nir.Linear: _import_affine,
        nir.Conv1d: _import_conv,
        nir.Conv2d: _import_conv,
        nir.Flatten: _import_flatten,
        nir.AvgPool2d: _import_avg_pool,
        nir.Scale: _import_scale,
    }


def _fuse_pool(nir, name: str, pool, threshold, thr_name: str) -> SpikingPool:
    if np.any(_f64(pool.padding) != 0):
        raise SNNError(
            f"from_nir: SumPool2d node {name!r} has padding {pool.padding}; "
            "SpikingPool pools without padding."
        )
    values = np.unique(_f64(threshold.threshold))
    if values.size != 1:
        raise SNNError(
            f"from_nir: Threshold node {thr_name!r} has several thresholds "
            f"{values}; SpikingPool has one."
        )
    return SpikingPool(
        _as_tuple(pool.kernel_size, 2, name, "kernel_size"),
        stride=_as_tuple(pool.stride, 2, name, "stride"),
        mode="sum",
        threshold=float(values[0]),
    )


def _import_graph(nir, graph, dt: float, where: str):
    nodes, edges = graph.nodes, [tuple(e) for e in graph.edges]
    inputs = [k for k, n in nodes.items() if isinstance(n, nir.Input)]
    outputs = [k for k, n in nodes.items() if isinstance(n, nir.Output)]
    if len(inputs) != 1 or not outputs:
        raise SNNError(
            f"from_nir: {where} has input nodes {inputs} and output nodes "
            f"{outputs}; expected one Input and at least one Output."
        )
    src_node = inputs[0]
    preds: dict[str, list[str]] = {k: [] for k in nodes}
    succs: dict[str, list[str]] = {k: [] for k in nodes}
    for a, b in edges:
        preds[b].append(a)
        succs[a].append(b)
    for k in outputs:
        if succs[k] or len(preds[k]) != 1:
            raise SNNError(
                f"from_nir: output node {k!r} of {where} has inputs {preds[k]} "
                f"and outputs {succs[k]}; expected exactly one input."
            )
    if preds[src_node]:
        raise SNNError(f"from_nir: edges lead into the input node {src_node!r} of {where}.")
    if INPUT in nodes:
        raise SNNError(
            f"from_nir: {where} has a node named {INPUT!r}, the name spikead "
            "reserves for the input; rename it."
        )

    # SumPool2d -> Threshold pairs become one SpikingPool named after the pool node
    alias: dict[str, str] = {}
    layers: dict[str, Any] = {}
    importers = _importers(nir)
    for k, node in nodes.items():
        if k in (src_node, *outputs) or k in alias:
            continue
        if isinstance(node, nir.SumPool2d):
            nxt = succs[k]
            if (
                len(nxt) != 1
                or not isinstance(nodes[nxt[0]], nir.Threshold)
                or preds[nxt[0]] != [k]
            ):
                raise SNNError(
                    f"from_nir: SumPool2d node {k!r} of {where} must feed exactly "
                    "one Threshold node (spikead's SpikingPool); a bare sum pool "
                    "is not supported."
                )
            layers[k] = _fuse_pool(nir, k, node, nodes[nxt[0]], nxt[0])
            alias[nxt[0]] = k
        elif isinstance(node, nir.NIRGraph):
            layers[k] = _import_graph(nir, node, dt, f"subgraph {k!r}")
        elif type(node) in importers:
            layers[k] = importers[type(node)](k, node, dt)
        elif not isinstance(node, nir.Threshold):
            raise SNNError(
                f"from_nir: node {k!r} of {where} has type {type(node).__name__}, which "
                f"spikead does not support; supported: "
                f"{', '.join(sorted(t.__name__ for t in importers))}, SumPool2d+Threshold, "
                f"NIRGraph."
            )
    for k, node in nodes.items():
        if isinstance(node, nir.Threshold) and k not in alias:
            raise SNNError(
                f"from_nir: Threshold node {k!r} of {where} does not follow a "
                "SumPool2d; a bare Threshold is not supported."
            )

    def rename(k: str) -> str:
        return INPUT if k == src_node else alias.get(k, k)

    inner = [
        (rename(a), rename(b))
        for a, b in edges
        if b not in outputs and (a, b) not in {(p, t) for t, p in alias.items()}
    ]
    recurrent, reached = back_edges(INPUT, inner)
    missing = [k for k in layers if k not in reached]
    if missing:
        raise SNNError(
            f"from_nir: nodes {missing} of {where} cannot be reached from the input node."
        )
    out_names = [rename(preds[k][0]) for k in outputs]
    chain = _as_chain(inner, out_names, recurrent)
    if chain is not None:
        flat_layers = []
        for k in chain:
            sub = layers[k]
            flat_layers += list(sub.layers) if isinstance(sub, Sequential) else [sub]
        return Sequential(*flat_layers)
    return Graph(
        layers,
        edges=[e for e in inner if e not in recurrent],
        recurrent=[e for e in inner if e in recurrent],
        outputs=out_names[0] if len(out_names) == 1 else out_names,
    )


def _as_chain(edges: list[Edge], outputs: list[str], recurrent: set[Edge]) -> list[str] | None:
    """The node names in order when the edges form the path in -> n1 -> ... -> nk with nk
    the only output; None otherwise."""
    if recurrent or len(outputs) != 1:
        return None
    nxt: dict[str, str] = {}
    for a, b in edges:
        if a in nxt:
            return None
        nxt[a] = b
    path, node = [], INPUT
    while node in nxt:
        node = nxt[node]
        if node in path:
            return None
        path.append(node)
    if len(path) != len(edges) or not path or path[-1] != outputs[0]:
        return None
    return path


def from_nir(graph: Any, *, dt: float):
    """Build a spikead model from a `nir.NIRGraph` (or the path of a file `nir.write` wrote).

    Args:
        graph: the NIR graph, or a path to read with `nir.read`.
        dt: time step in seconds of the forward-Euler discretisation (see the module
            docstring); use the `dt` the graph was exported with.

    Returns a `Sequential` when the graph is a chain, else a `Graph` whose recurrent edges
    are the edges closing a cycle (depth-first from the input). Raises `SNNError` naming
    any node that has no spikead counterpart or a parameter spikead cannot represent.
    """
    nir = _nir()
    if isinstance(graph, (str, os.PathLike)):
        graph = nir.read(graph)
    if not isinstance(graph, nir.NIRGraph):
        raise SNNError(
            f"from_nir: expected a nir.NIRGraph or a file path, got {type(graph).__name__}."
        )
    if not dt > 0:
        raise SNNError(f"from_nir: dt={dt}; the time step must be positive.")
    return _import_graph(nir, graph, float(dt), "the graph")
