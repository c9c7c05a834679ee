"""The stateful-layer protocol and the adapters that let networks treat any layer alike.

A *stateful layer* (`StatefulLayer`) maps `(state, x) -> (state, y)` for one time step
and one sample (no batch axis) and creates its own initial state from the input shape.
A *stateless layer* is any `eqx.Module` (or callable) mapping `x -> y`, such as
`eqx.nn.Linear` or `eqx.nn.Conv2d`; networks give it the empty state `()`.
"""

from __future__ import annotations

import abc
import inspect
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, PRNGKeyArray

from ._errors import ShapeError

State = Any  # a tuple of arrays for a layer, a nested pytree of them for a network
Shape = tuple[int, ...]


class StatefulLayer(eqx.Module):
    """Abstract base of every layer that carries state across time steps.

    Implementations are one step, one sample: time is added by `snn.run` (`lax.scan`) and
    batch by `jax.vmap` (or `snn.run_batched`).
    """

    @abc.abstractmethod
    def init_state(self, in_shape: Shape) -> State:
        """Initial state for inputs of shape `in_shape` (no time or batch axis).

        Neurons return a tuple of arrays whose LAST entry is the output of the previous
        step (zeros at t = 0)."""

    @abc.abstractmethod
    def __call__(
        self, state: State, x: Array, *, key: PRNGKeyArray | None = None
    ) -> tuple[State, Array]:
        """One time step: returns `(new_state, output)`."""


def is_stateful(layer: Any) -> bool:
    """True for layers following the `StatefulLayer` protocol (neurons, networks)."""
    return isinstance(layer, StatefulLayer)


def init_layer_state(layer: Any, in_shape: Shape) -> State:
    """`layer.init_state(in_shape)` for stateful layers, `()` for stateless ones."""
    if is_stateful(layer):
        return layer.init_state(tuple(in_shape))
    return ()


def apply_layer(
    layer: Any, state: State, x: Array, key: PRNGKeyArray | None = None
) -> tuple[State, Array]:
    """Run one step of any layer; a stateless layer is called as `layer(x)` (with `key=`
    only when a key is given, so plain callables without a `key` argument work). A
    stateless layer that rejects `x` (TypeError/ValueError at trace time) raises
    `ShapeError` naming the layer and the input shape."""
    if is_stateful(layer):
        return layer(state, x, key=key)
    try:
        y = layer(x) if key is None else layer(x, key=key)
    except ShapeError:
        raise
    except (TypeError, ValueError) as err:
        raise ShapeError(
            f"{type(layer).__name__} cannot take an input of shape {tuple(jnp.shape(x))}: "
            f"{str(err).rstrip('.')}. Check the layer sizes (one call is one step of ONE sample)."
        ) from err
    return state, y


def accepts_key(layer: Any) -> bool:
    """Whether calling the (stateless) layer accepts a `key=` keyword argument."""
    try:
        params = inspect.signature(layer).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.name == "key" or p.kind is p.VAR_KEYWORD for p in params)


def output_spec(
    layer: Any, state: State, in_shape: Shape, dtype=jnp.float32, where: str = "layer"
) -> jax.ShapeDtypeStruct:
    """Shape and dtype of the layer's output for an input of `in_shape`, without running
    it (`jax.eval_shape` of one step). A layer that rejects the input shape raises
    `ShapeError` naming `where` and the input shape."""
    x = jax.ShapeDtypeStruct(tuple(in_shape), dtype)
    # a traced dummy key lets stochastic layers (dropout) trace; only if they take one
    use_key = is_stateful(layer) or accepts_key(layer)

    def step(s, x):
        return apply_layer(layer, s, x, jax.random.key(0) if use_key else None)

    try:
        _, y = jax.eval_shape(step, state, x)
    except ShapeError as err:
        raise ShapeError(f"{where}: {err}") from err
    return y


def split_key(key: PRNGKeyArray | None, n: int) -> list[PRNGKeyArray | None]:
    """`n` independent keys from `key`, or `n` Nones when `key` is None."""
    if key is None:
        return [None] * n
    return list(jax.random.split(key, n))


def check_shape(what: str, expected: Shape, got: Shape, fix: str = "") -> None:
    """Raise `ShapeError` unless `got == expected` (static shapes, checked at trace time)."""
    if tuple(expected) != tuple(got):
        msg = f"{what}: expected shape {tuple(expected)}, got {tuple(got)}."
        if fix:
            msg += " " + fix
        raise ShapeError(msg)
