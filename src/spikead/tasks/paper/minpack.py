"""HumanHeartDipole and PropaneCombustion as the AlphaGrad paper defines them.

Source of the benchmark: Graphax repository (Lohoff), ``src/graphax/examples/minpack.py``
(``HumanHeartDipole``, ``PropaneCombustion``): the MINPACK-2 residuals written in the
authors' operation order, which fixes the jaxpr and so the paper's Table 1 counts. The
measured sums sigma are all 1 there (and f8 subtracts sigma_E, as in the source).
Propane: p = 40, R = 10, no equilibrium constants (the source's simplified form).
"""

from __future__ import annotations

import jax.numpy as jnp

__all__ = ["HHD_SIGMA", "PROPANE_P", "PROPANE_R", "human_heart_dipole", "propane_combustion"]

HHD_SIGMA = 1.0
"""The source's value of every measured sum sigma_mx .. sigma_F."""
PROPANE_P = 40.0
"""Pressure p of the source."""
PROPANE_R = 10.0
"""Parameter R of the source."""


def human_heart_dipole(x1, x2, x3, x4, x5, x6, x7, x8):
    """Human heart dipole residuals: 8 scalars -> 8 scalars (x1..x4 = a, b, c, d; x5..x8 = t, u, v, w)."""
    s = HHD_SIGMA
    f1 = x1 + x2 - s
    f2 = x3 + x4 - s
    f3 = x5 * x1 + x6 * x2 - x7 * x3 - x8 * x4 - s
    f4 = x7 * x1 + x8 * x2 + x5 * x3 + x6 * x4 - s
    x57 = x5**2 - x7**2
    x68 = x6**2 - x8**2
    f5 = x1 * x57 - 2 * x3 * x5 * x7 + x2 * x68 - 2 * x4 * x6 * x8 - s
    f6 = x3 * x57 - 2 * x1 * x5 * x7 + x4 * x68 - 2 * x2 * x6 * x8 - s
    x557 = x5 * (x5**2 - 3 * x7**2)
    x775 = x7 * (x7**2 - 3 * x5**2)
    x668 = x6 * (x6**2 - 3 * x8**2)
    x886 = x8 * (x8**2 - 3 * x6**2)
    f7 = x1 * x557 + x3 * x775 + x2 * x668 + x4 * x886 - s
    f8 = x3 * x557 - x1 * x775 + x4 * x668 - x2 * x886 - s
    return f1, f2, f3, f4, f5, f6, f7, f8


def propane_combustion(x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, x11):
    """Propane combustion residuals (full formulation): 11 scalars -> 11 scalars."""
    p, r = PROPANE_P, PROPANE_R
    px11 = jnp.sqrt(p / x11)
    f1 = x1 + x4 - 3.0
    f2 = 2 * x1 + x2 + x4 + x7 + x8 + x9 + 2 * x10 - r
    f3 = 2 * x2 + 2 * x5 + x6 + x7 - 8.0
    f4 = 2 * x3 + x9 - 4 * r
    f5 = x2 * x4 - x1 * x5
    f6 = jnp.sqrt(x2 * x4) - jnp.sqrt(x1) * px11 * x6
    f7 = jnp.sqrt(x1 * x2) - jnp.sqrt(x4) * x7 * px11
    f8 = x1 - x4 * x8 * p / x11
    f9 = x1 * jnp.sqrt(x3) - x4 * x9 * px11
    f10 = x1**2 - x4**2 * x10 * p / x11
    f11 = x11 - x1 - x2 - x3 - x4 - x5 - x6 - x7 - x8 - x9 - x10
    return f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11
