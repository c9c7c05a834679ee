"""Neurons with threshold or current adaptation: `ALIF` (Bellec et al. 2020) and `AdLIF`
(Bittar & Garner 2022).

Shapes: `x` (N...) input current of one step; parameters are arrays of the neuron shape.
Time convention as in `_neuron_base`: the state holds the pre-reset membrane and the spike
of the previous step; the spike of step t is computed from the pre-reset membrane of
step t.
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


class ALIF(AbstractNeuron):
    """LIF with an adaptive threshold (LSNN / e-prop form, Bellec et al. 2020).

        b_t     = rho * b_{t-1} + (1 - rho) * z_{t-1}
        A_t     = threshold + beta_a * b_t                  (adaptive threshold)
        r_{t-1} = v_{t-1} - threshold * z_{t-1}             (reset="subtract", base threshold)
                = v_{t-1} * (1 - z_{t-1})                   (reset="zero")
        v_t     = beta * r_{t-1} + x_t
        z_t     = H(v_t - A_t)

    State: `(v, b, z)` (spike last). Output: z_t.
    """

    shape: Shape = eqx.field(static=True)
    beta: Array
    rho: Array
    beta_a: Array
    threshold: Array
    reset: ResetMode = eqx.field(static=True)
    surrogate: AbstractSurrogate
    stop_reset_grad: bool = eqx.field(static=True)
    n_state: ClassVar[int] = 3

    def __init__(
        self,
        shape: int | Shape,
        beta: ArrayLike = 0.95,
        rho: ArrayLike = 0.99,
        beta_a: ArrayLike = 1.8,
        threshold: ArrayLike = 1.0,
        reset: ResetMode = "subtract",
        surrogate: AbstractSurrogate | str = DEFAULT_SURROGATE,
        stop_reset_grad: bool = False,
    ):
        self.shape = as_shape(shape)
        self.beta = neuron_param("beta", beta, self.shape)
        self.rho = neuron_param("rho", rho, self.shape)
        self.beta_a = neuron_param("beta_a", beta_a, self.shape)
        self.threshold = neuron_param("threshold", threshold, self.shape)
        self.reset = check_reset(reset)
        self.surrogate = as_surrogate(surrogate)
        self.stop_reset_grad = stop_reset_grad

    def __call__(self, state, x, *, key: PRNGKeyArray | None = None):
        self._check_input(x)
        v, b, z = state
        b = self.rho * b + (1.0 - self.rho) * z
        adaptive_threshold = self.threshold + self.beta_a * b
        r = apply_reset(v, z, self.threshold, self.reset, self.stop_reset_grad)
        v = self.beta * r + x
        z = self.surrogate(v - adaptive_threshold)
        return (v, b, z), z


class AdLIF(AbstractNeuron):
    """Adaptive LIF with an adaptation current (Bittar & Garner 2022, as in their code).

        w_t = beta * w_{t-1} + a * u_{t-1} + b * z_{t-1}
        u_t = alpha * (u_{t-1} - threshold * z_{t-1}) + (1 - alpha) * (x_t - w_t)
        z_t = H(u_t - threshold)

    `alpha` is the membrane decay, `beta` the adaptation decay, `a` the sub-threshold
    coupling of the adaptation current to the membrane and `b` the spike-triggered
    adaptation. u_{t-1} is the stored (pre-reset) membrane. With threshold = 1 the reset
    term is the paper's `alpha * (u_{t-1} - z_{t-1})`.

    State: `(u, w, z)` (spike last). Output: z_t. `stop_reset_grad` stops the gradient
    through z_{t-1} in the reset term of u (not in the adaptation term).
    """

    shape: Shape = eqx.field(static=True)
    alpha: Array
    beta: Array
    a: Array
    b: Array
    threshold: Array
    surrogate: AbstractSurrogate
    stop_reset_grad: bool = eqx.field(static=True)
    n_state: ClassVar[int] = 3

    def __init__(
        self,
        shape: int | Shape,
        alpha: ArrayLike = 0.95,
        beta: ArrayLike = 0.98,
        a: ArrayLike = 0.5,
        b: ArrayLike = 1.0,
        threshold: ArrayLike = 1.0,
        surrogate: AbstractSurrogate | str = DEFAULT_SURROGATE,
        stop_reset_grad: bool = False,
    ):
        self.shape = as_shape(shape)
        self.alpha = neuron_param("alpha", alpha, self.shape)
        self.beta = neuron_param("beta", beta, self.shape)
        self.a = neuron_param("a", a, self.shape)
        self.b = neuron_param("b", b, self.shape)
        self.threshold = neuron_param("threshold", threshold, self.shape)
        self.surrogate = as_surrogate(surrogate)
        self.stop_reset_grad = stop_reset_grad

    def __call__(self, state, x, *, key: PRNGKeyArray | None = None):
        self._check_input(x)
        u, w, z = state
        w = self.beta * w + self.a * u + self.b * z
        r = apply_reset(u, z, self.threshold, "subtract", self.stop_reset_grad)
        u = self.alpha * r + (1.0 - self.alpha) * (x - w)
        z = self.surrogate(u - self.threshold)
        return (u, w, z), z
