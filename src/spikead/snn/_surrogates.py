"""Heaviside spike function with surrogate derivatives (`jax.custom_jvp`).

The forward value of every surrogate spike is the Heaviside step `H(x) = 1 if x > 0 else 0`
(so `H(0) = 0`); the derivative used by AD is the surrogate's `derivative(x)`. The rule is
a JVP rule, hence forward mode (`jax.jvp`, `jax.jacfwd`) and reverse mode (`jax.grad`) both
see the surrogate.

Every surrogate has one static hyperparameter `slope` (a Python float, not trained):

| class          | derivative d/dx                                   | integral over R |
|----------------|---------------------------------------------------|-----------------|
| `FastSigmoid`  | 1 / (1 + slope |x|)^2   (SuperSpike, Zenke 2018)  | 2 / slope       |
| `Sigmoid`      | slope s (1 - s),  s = sigmoid(slope x)            | 1               |
| `Boxcar`       | slope / 2 on |x| < 1/slope, else 0 (width w=1/slope, height 1/(2w)) | 1 |
| `Arctan`       | (slope/2) / (1 + (pi slope x / 2)^2)              | 1               |
| `Triangle`     | slope * max(0, 1 - slope |x|)                     | 1               |

Learnable slope: `LearnableSlope(FastSigmoid(10.0), shape=(N,))` (or `surrogate.learnable()`)
holds the slope as a float32 array leaf (one per neuron with `shape`), trained like any
parameter; freeze it with `snn.trainable_filter(model, freeze=("slope",))`. The forward
spike H(x) does not depend on the slope, so its gradient is defined through the smooth
step S_k(x) whose x-derivative is the surrogate (`smooth_step`): in AD the spike acts as
S_k(x), dz = S_k'(x) dx + dS_k(x)/dk dk.
"""

from __future__ import annotations

import abc
import functools
import math

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike

from ._errors import unknown_name


class AbstractSurrogate(eqx.Module):
    """A surrogate gradient: `__call__(x)` is the spike H(x), `derivative(x)` its surrogate.

    Subclasses implement `derivative`; `__call__` gives Heaviside forward with that
    derivative as its JVP. Works elementwise on arrays of any shape.
    """

    slope: eqx.AbstractVar[float]

    @abc.abstractmethod
    def derivative(self, x: Array) -> Array:
        """Surrogate dH/dx evaluated at `x` (same shape as `x`)."""

    def __call__(self, x: ArrayLike) -> Array:
        """Spike `H(x)` (1.0 where x > 0, else 0.0) with surrogate derivative."""
        return _heaviside(self, jnp.asarray(x))

    def smooth_step(self, x: Array, slope: ArrayLike) -> Array:
        """S(x) with dS/dx = this surrogate's derivative at `slope` and S(0) = 0 (same
        shape as `x`); defines the gradient of a learnable slope (`LearnableSlope`)."""
        raise NotImplementedError(
            f"{type(self).__name__} defines no smooth_step, so its slope cannot be learned; "
            "implement smooth_step(x, slope) or use one of " + ", ".join(SURROGATES) + "."
        )

    def learnable(self, shape: tuple[int, ...] = ()) -> LearnableSlope:
        """This surrogate with its slope a trainable array leaf of `shape` (see module doc)."""
        return LearnableSlope(self, shape=shape)


@functools.partial(jax.custom_jvp, nondiff_argnums=(0,))
def _heaviside(surrogate: AbstractSurrogate, x: Array) -> Array:
    return (x > 0).astype(jnp.result_type(x, jnp.float32))


@_heaviside.defjvp
def _heaviside_jvp(surrogate, primals, tangents):
    (x,), (dx,) = primals, tangents
    return _heaviside(surrogate, x), surrogate.derivative(x) * dx


def heaviside(x: ArrayLike, surrogate: AbstractSurrogate) -> Array:
    """Spike `H(x)` with the derivative of `surrogate` (equivalent to `surrogate(x)`)."""
    return surrogate(x)


class FastSigmoid(AbstractSurrogate):
    """SuperSpike / fast sigmoid: d/dx = 1 / (1 + slope |x|)^2 (default slope 10)."""

    slope: float = eqx.field(static=True, default=10.0)

    def derivative(self, x: Array) -> Array:
        return 1.0 / (1.0 + self.slope * jnp.abs(x)) ** 2

    def smooth_step(self, x: Array, slope: ArrayLike) -> Array:
        return x / (1.0 + slope * jnp.abs(x))


class Sigmoid(AbstractSurrogate):
    """Logistic: d/dx = slope s (1 - s), s = sigmoid(slope x) (default slope 5)."""

    slope: float = eqx.field(static=True, default=5.0)

    def derivative(self, x: Array) -> Array:
        s = jax.nn.sigmoid(self.slope * x)
        return self.slope * s * (1.0 - s)

    def smooth_step(self, x: Array, slope: ArrayLike) -> Array:
        return jax.nn.sigmoid(slope * x) - 0.5


class Boxcar(AbstractSurrogate):
    """Piecewise constant: d/dx = slope/2 on |x| < 1/slope, else 0 (unit area; default 2).

    Equivalently width w = 1/slope and height 1/(2w).
    """

    slope: float = eqx.field(static=True, default=2.0)

    def derivative(self, x: Array) -> Array:
        inside = jnp.abs(x) < 1.0 / self.slope
        return jnp.where(inside, 0.5 * self.slope, 0.0).astype(x.dtype)

    def smooth_step(self, x: Array, slope: ArrayLike) -> Array:
        return jnp.clip(0.5 * slope * x, -0.5, 0.5)


class Arctan(AbstractSurrogate):
    """Arctangent: d/dx = (slope/2) / (1 + (pi slope x / 2)^2) (unit area; default 2)."""

    slope: float = eqx.field(static=True, default=2.0)

    def derivative(self, x: Array) -> Array:
        return 0.5 * self.slope / (1.0 + (0.5 * math.pi * self.slope * x) ** 2)

    def smooth_step(self, x: Array, slope: ArrayLike) -> Array:
        return jnp.arctan(0.5 * math.pi * slope * x) / math.pi


class Triangle(AbstractSurrogate):
    """Triangle: d/dx = slope * max(0, 1 - slope |x|) (unit area; default 1)."""

    slope: float = eqx.field(static=True, default=1.0)

    def derivative(self, x: Array) -> Array:
        return self.slope * jnp.maximum(0.0, 1.0 - self.slope * jnp.abs(x))

    def smooth_step(self, x: Array, slope: ArrayLike) -> Array:
        u = jnp.minimum(slope * jnp.abs(x), 1.0)
        return jnp.sign(x) * (u - 0.5 * u**2)


class LearnableSlope(AbstractSurrogate):
    """The surrogate `base` with its slope a trainable float32 array leaf (module doc).

    Args:
        base: the surrogate family (its own static slope is the default initial value).
        slope: initial slope (scalar or array broadcastable to `shape`); default base.slope.
        shape: shape of the slope array, e.g. the neuron shape (N,) for one slope per
            neuron; () for one shared slope.
    """

    base: AbstractSurrogate
    slope: Array

    def __init__(
        self, base: AbstractSurrogate, slope: ArrayLike | None = None, shape: tuple[int, ...] = ()
    ):
        if isinstance(base, LearnableSlope):
            raise TypeError("LearnableSlope(base): base is already a LearnableSlope.")
        self.base = base
        value = base.slope if slope is None else slope
        self.slope = jnp.broadcast_to(jnp.asarray(value, jnp.float32), tuple(shape))

    def derivative(self, x: Array) -> Array:
        ones = jnp.ones_like(x)
        return jax.jvp(lambda x: self.base.smooth_step(x, self.slope), (x,), (ones,))[1]

    def __call__(self, x: ArrayLike) -> Array:
        return _heaviside_learnable(self.base, self.slope, jnp.asarray(x))


@functools.partial(jax.custom_jvp, nondiff_argnums=(0,))
def _heaviside_learnable(base: AbstractSurrogate, slope: Array, x: Array) -> Array:
    return (x > 0).astype(jnp.result_type(x, jnp.float32))


@_heaviside_learnable.defjvp
def _heaviside_learnable_jvp(base, primals, tangents):
    (slope, x), (dslope, dx) = primals, tangents
    _, dz = jax.jvp(base.smooth_step, (x, slope), (dx, dslope))
    return _heaviside_learnable(base, slope, x), dz


DEFAULT_SURROGATE = FastSigmoid(slope=10.0)  # default of every spiking neuron

SURROGATES: dict[str, type[AbstractSurrogate]] = {
    "fast_sigmoid": FastSigmoid,
    "superspike": FastSigmoid,
    "sigmoid": Sigmoid,
    "boxcar": Boxcar,
    "arctan": Arctan,
    "triangle": Triangle,
}


def surrogate_from_name(name: str, **kwargs) -> AbstractSurrogate:
    """Build a surrogate by registry name, e.g. `surrogate_from_name("fast_sigmoid", slope=10)`.

    Raises `UnknownNameError` (listing the known names) for an unknown `name`.
    """
    try:
        cls = SURROGATES[name]
    except KeyError:
        raise unknown_name("surrogate", name, SURROGATES) from None
    return cls(**kwargs)
