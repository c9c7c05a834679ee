"""Leaky and non-leaky integrate-and-fire neurons: `LI`, `LIF`, `IAF`, `CuBaLIF`.

Shapes: `x` (N...) is the input current of one step for neurons of `shape` (N...); all
parameters are arrays of that shape. See `_neuron_base` for the time convention
(state holds the pre-reset membrane; reset by z_{t-1} is applied at the start of step t).
"""

from __future__ import annotations

from typing import ClassVar

import equinox as eqx
from jaxtyping import Array, ArrayLike, PRNGKeyArray

from ._base import Shape
from ._neuron_base import (
    AbstractNeuron,
    ResetMode,
    apply_reset,
    as_shape,
    as_surrogate,
    check_reset,
    neuron_param,
)
from ._surrogates import DEFAULT_SURROGATE, AbstractSurrogate


class LI(AbstractNeuron):
    """Leaky integrator (non-spiking readout); output = membrane.

        v_t = beta * v_{t-1} + x_t,   output y_t = v_t.

    State: `(v,)` with v the output of the previous step.
    """

    shape: Shape = eqx.field(static=True)
    beta: Array
    n_state: ClassVar[int] = 1

    def __init__(self, shape: int | Shape, beta: ArrayLike = 0.95):
        self.shape = as_shape(shape)
        self.beta = neuron_param("beta", beta, self.shape)

    def __call__(self, state, x, *, key: PRNGKeyArray | None = None):
        self._check_input(x)
        (v,) = state
        v = self.beta * v + x
        return (v,), v


class LIF(AbstractNeuron):
    """Leaky integrate-and-fire neuron.

        r_{t-1} = v_{t-1} * (1 - z_{t-1})               (reset="zero")
                = v_{t-1} - threshold * z_{t-1}         (reset="subtract")
        v_t     = beta * r_{t-1} + x_t
        z_t     = H(v_t - threshold)                    (surrogate derivative in AD)

    State: `(v, z)`: pre-reset membrane and spike of the previous step (spike last).
    Output: z_t. `stop_reset_grad=True` stops the gradient through z_{t-1} in the reset.
    """

    shape: Shape = eqx.field(static=True)
    beta: Array
    threshold: Array
    reset: ResetMode = eqx.field(static=True)
    surrogate: AbstractSurrogate
    stop_reset_grad: bool = eqx.field(static=True)
    n_state: ClassVar[int] = 2

    def __init__(
        self,
        shape: int | Shape,
        beta: ArrayLike = 0.95,
        threshold: ArrayLike = 1.0,
        reset: ResetMode = "zero",
        surrogate: AbstractSurrogate | str = DEFAULT_SURROGATE,
        stop_reset_grad: bool = False,
    ):
        self.shape = as_shape(shape)
        self.beta = neuron_param("beta", beta, self.shape)
        self.threshold = neuron_param("threshold", threshold, self.shape)
        self.reset = check_reset(reset)
        self.surrogate = as_surrogate(surrogate)
        self.stop_reset_grad = stop_reset_grad

    def __call__(self, state, x, *, key: PRNGKeyArray | None = None):
        self._check_input(x)
        v, z = state
        r = apply_reset(v, z, self.threshold, self.reset, self.stop_reset_grad)
        v = self.beta * r + x
        z = self.surrogate(v - self.threshold)
        return (v, z), z


class IAF(AbstractNeuron):
    """Integrate-and-fire neuron without leak.

        r_{t-1} = v_{t-1} * (1 - z_{t-1})  or  v_{t-1} - threshold * z_{t-1}
        v_t     = r_{t-1} + x_t
        z_t     = H(v_t - threshold)

    State: `(v, z)` (spike last). Output: z_t.
    """

    shape: Shape = eqx.field(static=True)
    threshold: Array
    reset: ResetMode = eqx.field(static=True)
    surrogate: AbstractSurrogate
    stop_reset_grad: bool = eqx.field(static=True)
    n_state: ClassVar[int] = 2

    def __init__(
        self,
        shape: int | Shape,
        threshold: ArrayLike = 1.0,
        reset: ResetMode = "subtract",
        surrogate: AbstractSurrogate | str = DEFAULT_SURROGATE,
        stop_reset_grad: bool = False,
    ):
        self.shape = as_shape(shape)
        self.threshold = neuron_param("threshold", threshold, self.shape)
        self.reset = check_reset(reset)
        self.surrogate = as_surrogate(surrogate)
        self.stop_reset_grad = stop_reset_grad

    def __call__(self, state, x, *, key: PRNGKeyArray | None = None):
        self._check_input(x)
        v, z = state
        v = apply_reset(v, z, self.threshold, self.reset, self.stop_reset_grad) + x
        z = self.surrogate(v - self.threshold)
        return (v, z), z


class CuBaLIF(AbstractNeuron):
    """Current-based LIF: a synaptic current filters the input before the membrane.

        i_t     = alpha * i_{t-1} + x_t
        r_{t-1} = v_{t-1} * (1 - z_{t-1})  or  v_{t-1} - threshold * z_{t-1}
        v_t     = beta * r_{t-1} + i_t
        z_t     = H(v_t - threshold)

    State: `(i, v, z)` (spike last). Output: z_t.
    """

    shape: Shape = eqx.field(static=True)
    alpha: Array
    beta: Array
    threshold: Array
    reset: ResetMode = eqx.field(static=True)
    surrogate: AbstractSurrogate
    stop_reset_grad: bool = eqx.field(static=True)
    n_state: ClassVar[int] = 3

    def __init__(
        self,
        shape: int | Shape,
        alpha: ArrayLike = 0.9,
        beta: ArrayLike = 0.95,
        threshold: ArrayLike = 1.0,
        reset: ResetMode = "zero",
        surrogate: AbstractSurrogate | str = DEFAULT_SURROGATE,
        stop_reset_grad: bool = False,
    ):
        self.shape = as_shape(shape)
        self.alpha = neuron_param("alpha", alpha, self.shape)
        self.beta = neuron_param("beta", beta, self.shape)
        self.threshold = neuron_param("threshold", threshold, self.shape)
        self.reset = check_reset(reset)
        self.surrogate = as_surrogate(surrogate)
        self.stop_reset_grad = stop_reset_grad

    def __call__(self, state, x, *, key: PRNGKeyArray | None = None):
        self._check_input(x)
        i, v, z = state
        i = self.alpha * i + x
        r = apply_reset(v, z, self.threshold, self.reset, self.stop_reset_grad)
        v = self.beta * r + i
        z = self.surrogate(v - self.threshold)
        return (i, v, z), z
