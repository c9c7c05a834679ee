"""What every spiking neuron layer has: a shape, per-neuron parameters, a spike function.

Time convention shared by all neurons (important for online-gradient code that calls
these step functions): the state after step t-1 holds the *pre-reset* membrane of step
t-1 and the spike z_{t-1} (spike output last). Step t first applies the reset caused by
z_{t-1}, then decays and integrates the input, and finally computes the spike of step t
from the pre-reset membrane of step t: z_t = H(v_t - threshold). The reset caused by z_t
is therefore applied at the beginning of step t+1.
"""

from __future__ import annotations

from typing import Literal

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike

from ._base import Shape, StatefulLayer, check_shape
from ._errors import ParameterError, ShapeError
from ._surrogates import AbstractSurrogate, surrogate_from_name

ResetMode = Literal["zero", "subtract"]
RESET_MODES = ("zero", "subtract")


class AbstractNeuron(StatefulLayer):
    """Abstract base of neuron layers: elementwise dynamics over neurons of `shape`.

    Every parameter (decay, threshold, ...) is an array of shape `shape` (scalars given to
    `__init__` are broadcast), so each neuron has its own trainable value. Freeze any of
    them with `snn.trainable_filter(model, freeze=(...))`.
    """

    shape: eqx.AbstractVar[Shape]
    n_state: eqx.AbstractClassVar[int]  # number of state arrays (spike/output last)

    def init_state(self, in_shape: Shape) -> tuple[Array, ...]:
        """Zeros for every state variable; `in_shape` must equal `self.shape`."""
        check_shape(
            f"{type(self).__name__}.init_state",
            self.shape,
            in_shape,
            f"Build the neuron with shape={tuple(in_shape)} or feed it inputs of shape "
            f"{self.shape}.",
        )
        return tuple(jnp.zeros(self.shape, jnp.float32) for _ in range(self.n_state))

    def _check_input(self, x: Array) -> None:
        check_shape(
            f"{type(self).__name__} input",
            self.shape,
            x.shape,
            "One call is one time step of ONE sample: use jax.vmap or snn.run_batched "
            "for a batch, snn.run for time.",
        )


def as_shape(shape: int | Shape) -> Shape:
    """Normalise an int or a sequence of ints to a shape tuple."""
    if isinstance(shape, int):
        return (shape,)
    return tuple(int(s) for s in shape)


def neuron_param(name: str, value: ArrayLike, shape: Shape) -> Array:
    """A per-neuron float32 parameter of `shape` from a scalar or broadcastable array."""
    concrete = not isinstance(value, jax.core.Tracer)
    arr = np.asarray(value, np.float32) if concrete else jnp.asarray(value, jnp.float32)
    try:
        if concrete:  # plain numpy: no small XLA programs compiled at construction
            return jnp.asarray(np.array(np.broadcast_to(arr, shape)))
        return jnp.broadcast_to(arr, shape)
    except ValueError:
        raise ShapeError(
            f"parameter {name!r} of shape {arr.shape} cannot be broadcast to the neuron "
            f"shape {shape}; pass a scalar or an array broadcastable to {shape}."
        ) from None


def as_surrogate(surrogate: AbstractSurrogate | str) -> AbstractSurrogate:
    """Accept a surrogate instance or a registry name (default slope)."""
    if isinstance(surrogate, str):
        return surrogate_from_name(surrogate)
    return surrogate


def check_reset(reset: str) -> str:
    if reset not in RESET_MODES:
        raise ParameterError(f"reset={reset!r} is not a reset mode; use one of {RESET_MODES}.")
    return reset


def apply_reset(v: Array, z: Array, amount: Array, reset: str, stop_reset_grad: bool) -> Array:
    """Membrane after the reset caused by spike `z`.

    "zero": v * (1 - z);  "subtract": v - amount * z. With `stop_reset_grad` the spike in
    the reset term is wrapped in `stop_gradient` (no gradient flows through the reset).
    """
    if stop_reset_grad:
        z = jax.lax.stop_gradient(z)
    if reset == "zero":
        return v * (1.0 - z)
    return v - amount * z
