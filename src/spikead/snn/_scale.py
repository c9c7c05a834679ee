"""`Scale`: an elementwise gain (stateless), the counterpart of NIR's `Scale` node."""

from __future__ import annotations

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, PRNGKeyArray

from ._base import check_shape


class Scale(eqx.Module):
    """Multiply the input elementwise by a fixed array: y = scale * x (stateless).

    `scale` has the shape of one input sample (N...), e.g. (N,). `from_nir` puts one in
    front of a neuron whose NIR input gain (r dt / tau) is not one.
    """

    scale: Array

    def __init__(self, scale: ArrayLike):
        self.scale = jnp.asarray(np.asarray(scale, np.float32))

    def __call__(self, x: Array, *, key: PRNGKeyArray | None = None) -> Array:
        check_shape(
            "Scale input",
            self.scale.shape,
            x.shape,
            "Build Scale with an array of the shape of one input sample.",
        )
        return self.scale * x
