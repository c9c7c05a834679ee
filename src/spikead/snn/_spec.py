"""A model's constructor arguments as JSON (a *spec*), and the model rebuilt from one.

`model_spec(model)` describes every layer by its class and constructor arguments; array
arguments are recorded by shape and dtype only (their values are the leaves `snn.save`
writes). `build_from_spec(spec)` calls the constructors again, with zero arrays in place of
the array arguments, giving the skeleton that `eqx.tree_deserialise_leaves` fills.

Supported: the classes exported by `spikead.snn` whose constructor arguments are
attributes of the same name (neurons, surrogates, `SpikingPool`, `Flatten`, `Scale`, ...),
`Sequential`, `Graph`, and from Equinox `Linear`, `Conv1d/2d/3d`, `AvgPool1d/2d/3d`,
`MaxPool1d/2d/3d`, `Dropout`, `Identity`. `spec_check` rebuilds the model and compares its
tree structure (static hyperparameters included), so a layer whose arguments cannot be
read back raises instead of loading differently.
"""

from __future__ import annotations

import inspect
from typing import Any

import equinox as eqx
import jax
import numpy as np

from ._errors import SNNError

MODULE = "__module__"
ARRAY = "__array__"

_EQX_FIELDS = {
    "Linear": ("in_features", "out_features", "use_bias"),
    "Conv1d": (
        "in_channels",
        "out_channels",
        "kernel_size",
        "stride",
        "padding",
        "dilation",
        "groups",
        "use_bias",
        "padding_mode",
    ),
    "AvgPool1d": ("kernel_size", "stride", "padding", "use_ceil"),
    "Dropout": ("p", "inference"),
    "Identity": (),
}
for _n in (2, 3):
    _EQX_FIELDS[f"Conv{_n}d"] = _EQX_FIELDS["Conv1d"]
for _n in (1, 2, 3):
    _EQX_FIELDS[f"AvgPool{_n}d"] = _EQX_FIELDS["AvgPool1d"]
    _EQX_FIELDS[f"MaxPool{_n}d"] = _EQX_FIELDS["AvgPool1d"]
_NEEDS_KEY = {"Linear", "Conv1d", "Conv2d", "Conv3d"}


def _snn():
    from spikead import snn

    return snn


def _encode(value: Any, where: str) -> Any:
    if isinstance(value, (jax.Array, np.ndarray)):
        return {ARRAY: {"shape": list(np.shape(value)), "dtype": str(value.dtype)}}
    if isinstance(value, eqx.Module):
        return model_spec(value, where)
    if isinstance(value, (tuple, list)):
        return [_encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):
        return {str(k): _encode(v, f"{where}.{k}") for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        return value.item()
    raise SNNError(
        f"snn.save: {where} = {value!r} ({type(value).__name__}) cannot be "
        "stored as a hyperparameter; save with a skeleton instead."
    )


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_decode(v) for v in value)
    if isinstance(value, dict):
        if ARRAY in value:
            return np.zeros(value[ARRAY]["shape"], value[ARRAY]["dtype"])
        if MODULE in value:
            return build_from_spec(value)
        return {k: _decode(v) for k, v in value.items()}
    return value


def _graph_args(graph) -> dict:
    """Constructor arguments of a `Graph`, layers listed in its topological order (a Graph
    rebuilt from them has the same order, whatever the order of the edges)."""
    edges, recurrent = [], []
    for node, srcs in zip(graph.order, graph.inputs):
        for src, rec in srcs:
            (recurrent if rec else edges).append((src, node))
    return {
        "layers": {n: graph.layers[n] for n in graph.order},
        "edges": edges,
        "recurrent": recurrent,
        "merge": dict(zip(graph.order, graph.merge)),
        "outputs": list(graph.outputs),
        "feedback_shapes": dict(graph.feedback_shapes),
    }


def _constructor_args(model, where: str) -> tuple[str, dict]:
    snn = _snn()
    cls = type(model)
    if cls is snn.Graph:
        return "Graph", _graph_args(model)
    if cls is snn.Sequential:
        return "Sequential", {"layers": list(model.layers)}
    if cls.__module__.startswith("equinox") and cls.__name__ in _EQX_FIELDS:
        return f"eqx.nn.{cls.__name__}", {f: getattr(model, f) for f in _EQX_FIELDS[cls.__name__]}
    if getattr(snn, cls.__name__, None) is not cls:
        raise SNNError(
            f"snn.save: {where} is a {cls.__module__}.{cls.__name__}, which "
            "snn.save cannot describe (classes of spikead.snn, Sequential, Graph "
            "and eqx.nn Linear/Conv/Pool/Dropout/Identity can); save with a "
            "skeleton instead: snn.load(path, like=...)."
        )
    args = {}
    for p in inspect.signature(cls.__init__).parameters.values():
        if p.name == "self" or p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
            continue
        if not hasattr(model, p.name):
            raise SNNError(
                f"snn.save: {where} ({cls.__name__}) has no attribute for its "
                f"constructor argument {p.name!r}; save with a skeleton instead."
            )
        args[p.name] = getattr(model, p.name)
    return cls.__name__, args


def model_spec(model: Any, where: str = "model") -> dict:
    """JSON-able description of `model`: `{"__module__": class name, "args": {...}}`."""
    name, args = _constructor_args(model, where)
    return {MODULE: name, "args": {k: _encode(v, f"{where}.{k}") for k, v in args.items()}}


def build_from_spec(spec: dict) -> Any:
    """The model `spec` describes, with zero arrays in place of the array leaves."""
    snn = _snn()
    name = spec[MODULE]
    args = {k: _decode(v) for k, v in spec["args"].items()}
    if name == "Sequential":
        return snn.Sequential(*args["layers"])
    if name.startswith("eqx.nn."):
        cls_name = name.removeprefix("eqx.nn.")
        if cls_name not in _EQX_FIELDS:
            raise SNNError(f"snn.load: unknown Equinox layer {name!r} in the file.")
        cls = getattr(eqx.nn, cls_name)
        if cls_name in _NEEDS_KEY:
            args["key"] = jax.random.key(0)  # the values are replaced by the saved leaves
        return cls(**args)
    cls = getattr(snn, name, None)
    if not isinstance(cls, type) or not issubclass(cls, eqx.Module):
        raise SNNError(
            f"snn.load: the file names the layer class {name!r}, which "
            "spikead.snn does not define (a newer spikead wrote it?)."
        )
    return cls(**args)


def spec_check(spec: dict, model: Any) -> None:
    """Raise unless `build_from_spec(spec)` has the structure and leaf shapes of `model`."""
    rebuilt = build_from_spec(spec)
    a, b = jax.tree.structure(model), jax.tree.structure(rebuilt)
    shapes = [(np.shape(x), getattr(x, "dtype", type(x))) for x in jax.tree.leaves(model)]
    again = [(np.shape(x), getattr(x, "dtype", type(x))) for x in jax.tree.leaves(rebuilt)]
    if a != b or shapes != again:
        raise SNNError(
            "snn.save: the model rebuilt from its constructor arguments differs from the "
            f"model (structure {b} vs {a}); a layer keeps a hyperparameter under another "
            "name. Save it with a skeleton instead (snn.load(path, like=...))."
        )
