"""Helper layers for spiking networks: `SpikingPool`, `Flatten`, `SpikeCounter`, `Residual`."""

from __future__ import annotations

from typing import Any, Literal

import equinox as eqx
import jax.numpy as jnp
from jax import lax
from jaxtyping import Array, PRNGKeyArray

from ._base import (
    Shape,
    State,
    StatefulLayer,
    apply_layer,
    check_shape,
    init_layer_state,
    output_spec,
)
from ._errors import ParameterError
from ._neuron_base import as_surrogate
from ._surrogates import DEFAULT_SURROGATE, AbstractSurrogate


class SpikingPool(eqx.Module):
    """Pool spikes over spatial windows, then spike (stateless).

        p = sum_pool(x) or max_pool(x)          over windows of `kernel_size`
        y = H(p - threshold)                    (surrogate derivative in AD)

    Input `x` (C, *S) with len(S) = len(kernel_size) (e.g. (C, H, W)); output
    (C, *S') with S' = (S - kernel) // stride + 1 ("VALID" padding). With the default
    threshold 0.5 and binary spikes, a window spikes if any input in it spiked.
    """

    kernel_size: tuple[int, ...] = eqx.field(static=True)
    stride: tuple[int, ...] = eqx.field(static=True)
    mode: str = eqx.field(static=True)
    threshold: float = eqx.field(static=True)
    surrogate: AbstractSurrogate

    def __init__(
        self,
        kernel_size: int | tuple[int, ...] = (2, 2),
        stride: int | tuple[int, ...] | None = None,
        mode: Literal["sum", "max"] = "sum",
        threshold: float = 0.5,
        surrogate: AbstractSurrogate | str = DEFAULT_SURROGATE,
    ):
        if mode not in ("sum", "max"):
            raise ParameterError(f"SpikingPool mode={mode!r}; use 'sum' or 'max'.")
        if isinstance(kernel_size, int):
            kernel_size = (kernel_size, kernel_size)
        self.kernel_size = tuple(kernel_size)
        if stride is None:
            stride = self.kernel_size
        if isinstance(stride, int):
            stride = (stride,) * len(self.kernel_size)
        self.stride = tuple(stride)
        self.mode = mode
        self.threshold = float(threshold)
        self.surrogate = as_surrogate(surrogate)

    def __call__(self, x: Array, *, key: PRNGKeyArray | None = None) -> Array:
        n_spatial = len(self.kernel_size)
        check_shape(
            "SpikingPool input rank",
            (n_spatial + 1,),
            (x.ndim,),
            f"Expected (C, *spatial) with {n_spatial} spatial dims for one sample.",
        )
        window, strides = (1, *self.kernel_size), (1, *self.stride)
        if self.mode == "sum":
            p = lax.reduce_window(x, 0.0, lax.add, window, strides, "VALID")
        else:
            p = lax.reduce_window(x, -jnp.inf, lax.max, window, strides, "VALID")
        return self.surrogate(p - self.threshold)


class Flatten(eqx.Module):
    """Flatten one sample to a vector: (d1, d2, ...) -> (d1 * d2 * ...,) (stateless)."""

    def __call__(self, x: Array, *, key: PRNGKeyArray | None = None) -> Array:
        return jnp.reshape(x, (-1,))


class SpikeCounter(StatefulLayer):
    """Counts its inputs over time: c_t = c_{t-1} + x_t; output c_t. State `(c,)`."""

    def init_state(self, in_shape: Shape) -> tuple[Array]:
        return (jnp.zeros(tuple(in_shape), jnp.float32),)

    def __call__(self, state, x, *, key: PRNGKeyArray | None = None):
        (c,) = state
        check_shape("SpikeCounter input", c.shape, x.shape)
        c = c + x
        return (c,), c


class Residual(StatefulLayer):
    """Residual block: y_t = x_t + block(x_t) (same step); state = the block's state.

    `block` is any layer or network whose output shape equals its input shape.
    """

    block: Any

    def init_state(self, in_shape: Shape) -> State:
        state = init_layer_state(self.block, in_shape)
        out = output_spec(self.block, state, in_shape, where="Residual block")
        check_shape(
            "Residual block output",
            tuple(in_shape),
            out.shape,
            "The block must preserve the shape of its input.",
        )
        return state

    def __call__(self, state, x, *, key: PRNGKeyArray | None = None):
        state, y = apply_layer(self.block, state, x, key)
        return state, x + y
