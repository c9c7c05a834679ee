"""`Sequential`: a chain of layers, each feeding the next in the SAME time step."""

from __future__ import annotations

from typing import Any

from jaxtyping import Array, PRNGKeyArray

from ._base import Shape, StatefulLayer, apply_layer, init_layer_state, output_spec, split_key
from ._errors import ParameterError


class Sequential(StatefulLayer):
    """Layers applied in order within one time step: y_t = f_L(... f_1(x_t)).

    Any mix of stateful layers (neurons, networks) and stateless ones (`eqx.nn.Linear`,
    `snn.Flatten`, ...). State: a tuple with one entry per layer (`()` for stateless).
    """

    layers: tuple[Any, ...]

    def __init__(self, *layers: Any):
        if not layers:
            raise ParameterError(
                "Sequential() needs at least one layer, e.g. "
                "Sequential(eqx.nn.Linear(M, N, key=key), LIF(shape=(N,)))."
            )
        self.layers = tuple(layers)

    def init_state(self, in_shape: Shape) -> tuple:
        states = []
        shape = tuple(in_shape)
        for i, layer in enumerate(self.layers):
            state = init_layer_state(layer, shape)
            states.append(state)
            if i + 1 < len(self.layers):
                shape = output_spec(layer, state, shape, where=f"Sequential layer {i}").shape
        return tuple(states)

    def step_all(
        self, state: tuple, x: Array, *, key: PRNGKeyArray | None = None
    ) -> tuple[tuple, tuple[Array, ...]]:
        """One step returning every layer's output: `(new_state, (y_1, ..., y_L))`."""
        new_states, outs = [], []
        for layer, s, k in zip(self.layers, state, split_key(key, len(self.layers))):
            s, x = apply_layer(layer, s, x, k)
            new_states.append(s)
            outs.append(x)
        return tuple(new_states), tuple(outs)

    def __call__(self, state: tuple, x: Array, *, key: PRNGKeyArray | None = None):
        state, outs = self.step_all(state, x, key=key)
        return state, outs[-1]
