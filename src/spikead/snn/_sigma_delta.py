"""Sigma-delta neuron: integrates incoming deltas (sigma decoder), applies an activation and
sends graded spikes only when the activation changed by more than a threshold (delta
encoder)."""

from __future__ import annotations

from typing import ClassVar, Literal

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, PRNGKeyArray

from ._base import Shape
from ._errors import ParameterError
from ._neuron_base import AbstractNeuron, as_shape, as_surrogate, neuron_param
from ._surrogates import DEFAULT_SURROGATE, AbstractSurrogate

ACTIVATIONS = {"identity": lambda s: s, "relu": jax.nn.relu}


class SigmaDelta(AbstractNeuron):
    """Sigma-delta encoder/decoder neuron.

        sigma_t = sigma_{t-1} + x_t                     (decoder: sum of received deltas)
        y_t     = act(sigma_t)                          (act: "identity" or "relu")
        d_t     = y_t - ref_{t-1}                       (change since the last message)
        s_t     = d_t * H(|d_t| - threshold)            (graded spike, surrogate in AD)
        ref_t   = ref_{t-1} + s_t                       (what the receiver has decoded)

    State: `(sigma, ref, s)` (output last). Output: s_t. The sum of outputs over time,
    ref_t, tracks y_t within `threshold`.
    """

    shape: Shape = eqx.field(static=True)
    threshold: Array
    activation: str = eqx.field(static=True)
    surrogate: AbstractSurrogate
    n_state: ClassVar[int] = 3

    def __init__(
        self,
        shape: int | Shape,
        threshold: ArrayLike = 0.1,
        activation: Literal["identity", "relu"] = "relu",
        surrogate: AbstractSurrogate | str = DEFAULT_SURROGATE,
    ):
        if activation not in ACTIVATIONS:
            raise ParameterError(
                f"activation={activation!r} unknown; use one of {tuple(ACTIVATIONS)}."
            )
        self.shape = as_shape(shape)
        self.threshold = neuron_param("threshold", threshold, self.shape)
        self.activation = activation
        self.surrogate = as_surrogate(surrogate)

    def __call__(self, state, x, *, key: PRNGKeyArray | None = None):
        self._check_input(x)
        sigma, ref, _ = state
        sigma = sigma + x
        d = ACTIVATIONS[self.activation](sigma) - ref
        s = d * self.surrogate(jnp.abs(d) - self.threshold)
        return (sigma, ref + s, s), s
