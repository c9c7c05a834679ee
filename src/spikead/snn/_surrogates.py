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


class Sigmoid(AbstractSurrogate):
    """Logistic: d/dx = slope s (1 - s), s = sigmoid(slope x) (default slope 5)."""

    slope: float = eqx.field(static=True, default=5.0)

    def derivative(self, x: Array) -> Array:
        s = jax.nn.sigmoid(self.slope * x)
        return self.slope * s * (1.0 - s)


class Boxcar(AbstractSurrogate):
    """Piecewise constant: d/dx = slope/2 on |x| < 1/slope, else 0 (unit area; default 2).

    Equivalently width w = 1/slope and height 1/(2w).
    """

    slope: float = eqx.field(static=True, default=2.0)

    def derivative(self, x: Array) -> Array:
        inside = jnp.abs(x) < 1.0 / self.slope
        return jnp.where(inside, 0.5 * self.slope, 0.0).astype(x.dtype)


class Arctan(AbstractSurrogate):
    """Arctangent: d/dx = (slope/2) / (1 + (pi slope x / 2)^2) (unit area; default 2)."""

    slope: float = eqx.field(static=True, default=2.0)

    def derivative(self, x: Array) -> Array:
        return 0.5 * self.slope / (1.0 + (0.5 * math.pi * self.slope * x) ** 2)


class Triangle(AbstractSurrogate):
    """Triangle: d/dx = slope * max(0, 1 - slope |x|) (unit area; default 1)."""

    slope: float = eqx.field(static=True, default=1.0)

    def derivative(self, x: Array) -> Array:
        return self.slope * jnp.maximum(0.0, 1.0 - self.slope * jnp.abs(x))


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
