"""Two nonlinear systems of the MINPACK-2 collection (Averick, Carter, More, Xue 1992).

- Human heart dipole ("dhhd", Nelson & Hodgkin, formulation of Dennis, Gay & Vu):
  8 unknowns (a, b, c, d, t, u, v, w), 8 residuals; the measured sums sigma are the
  published data sets DHHD1..DHHD5 (`HHD_SIGMAS`).
- Propane combustion in air, full formulation ("dcpf", Meintjes & Morgan): 11 unknowns,
  11 residuals, pressure p = 40, R = 10, equilibrium constants `PROPANE_K`.

The residuals are written as in the MINPACK-2 Fortran sources; the example inputs are
the published standard starting points.
"""

from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np

from ._paper import PAPER
from ._registry import Task

__all__ = [
    "HHD_SIGMAS",
    "HHD_STARTS",
    "PROPANE_K",
    "PROPANE_P",
    "PROPANE_R",
    "PROPANE_START",
    "human_heart_dipole",
    "human_heart_dipole_task",
    "propane_combustion",
    "propane_combustion_task",
]

HHD_SIGMAS: dict[str, tuple[float, ...]] = {
    # (sigma_mx, sigma_my, sigma_A, sigma_B, sigma_C, sigma_D, sigma_E, sigma_F)
    "DHHD1": (0.485, -0.0019, -0.0581, 0.015, 0.105, 0.0406, 0.167, -0.399),
    "DHHD2": (-0.69, -0.044, -1.57, -1.31, -2.65, 2.0, -12.6, 9.48),
    "DHHD3": (-0.816, -0.017, -1.826, -0.754, -4.839, -3.259, -14.023, 15.467),
    "DHHD4": (-0.809, -0.021, -2.04, -0.614, -6.903, -2.934, -26.328, 18.639),
    "DHHD5": (-0.807, -0.021, -2.379, -0.364, -10.541, -1.961, -51.551, 21.053),
}
"""Published data sets of the human heart dipole problem."""

HHD_STARTS: dict[str, tuple[float, ...]] = {
    "DHHD1": (0.299, 0.186, -0.0273, 0.0254, -0.474, 0.474, -0.0892, 0.0892),
    "DHHD2": (-0.3, -0.39, 0.3, -0.344, -1.2, 2.69, 1.59, -1.5),
    "DHHD3": (-0.041, -0.775, 0.03, -0.047, -2.565, 2.565, -0.754, 0.754),
    "DHHD4": (-0.056, -0.753, 0.026, -0.047, -2.991, 2.991, -0.568, 0.568),
    "DHHD5": (-0.074, -0.733, 0.013, -0.034, -3.632, 3.632, -0.289, 0.289),
}
"""Published standard starting points (a, b, c, d, t, u, v, w)."""


def human_heart_dipole(a, b, c, d, t, u, v, w, *, sigmas: tuple[float, ...] = HHD_SIGMAS["DHHD1"]):
    """Human heart dipole residuals: 8 scalars -> 8 scalars."""
    s_mx, s_my, s_a, s_b, s_c, s_d, s_e, s_f = sigmas
    t2_v2 = t * t - v * v
    u2_w2 = u * u - w * w
    t2_3v2 = t * t - 3.0 * v * v
    v2_3t2 = v * v - 3.0 * t * t
    u2_3w2 = u * u - 3.0 * w * w
    w2_3u2 = w * w - 3.0 * u * u
    return (
        a + b - s_mx,
        c + d - s_my,
        t * a + u * b - v * c - w * d - s_a,
        v * a + w * b + t * c + u * d - s_b,
        a * t2_v2 - 2.0 * c * t * v + b * u2_w2 - 2.0 * d * u * w - s_c,
        c * t2_v2 + 2.0 * a * t * v + d * u2_w2 + 2.0 * b * u * w - s_d,
        a * t * t2_3v2 + c * v * v2_3t2 + b * u * u2_3w2 + d * w * w2_3u2 - s_e,
        c * t * t2_3v2 - a * v * v2_3t2 + d * u * u2_3w2 - b * w * w2_3u2 - s_f,
    )


PROPANE_P = 40.0
"""Pressure (atm)."""
PROPANE_R = 10.0
"""Air-to-fuel ratio parameter R."""
PROPANE_K = (0.1930, 2.597e-3, 3.448e-3, 1.799e-5, 2.155e-4, 3.846e-5)
"""Equilibrium constants K_5 .. K_10."""


def propane_combustion(x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, x11):
    """Propane combustion residuals (full formulation): 11 scalars -> 11 scalars.

    x1..x10 are product mole numbers, x11 their total.
    """
    k5, k6, k7, k8, k9, k10 = PROPANE_K
    p, r = PROPANE_P, PROPANE_R
    p_x = p / x11
    sq_p_x = jnp.sqrt(p_x)
    return (
        x1 + x4 - 3.0,
        2.0 * x1 + x2 + x4 + x7 + x8 + x9 + 2.0 * x10 - r,
        2.0 * x2 + 2.0 * x5 + x6 + x7 - 8.0,
        2.0 * x3 + x9 - 4.0 * r,
        k5 * x2 * x4 - x1 * x5,
        k6 * jnp.sqrt(x2 * x4) - jnp.sqrt(x1) * x6 * sq_p_x,
        k7 * jnp.sqrt(x1 * x2) - jnp.sqrt(x4) * x7 * sq_p_x,
        k8 * x1 - x4 * x8 * p_x,
        k9 * x1 * jnp.sqrt(x3) - x4 * x9 * sq_p_x,
        k10 * x1**2 - x4**2 * x10 * p_x,
        x11 - (x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8 + x9 + x10),
    )


def _propane_start() -> tuple[float, ...]:
    k5, k6, k7, k8, k9, k10 = PROPANE_K
    p, sqp = PROPANE_P, math.sqrt(PROPANE_P)
    return (
        5.0,
        2.5,
        5.0,
        0.1,
        0.05 * k5,
        k6 / sqp,
        50.0 * k7 / sqp,
        1e3 * k8 / p,
        500.0 * k9 / sqp,
        5e4 * k10 / p,
        20.0,
    )


PROPANE_START = _propane_start()
"""Published standard starting point x_s."""


def _scalars(values) -> tuple:
    return tuple(jnp.asarray(np.float32(x)) for x in values)


def human_heart_dipole_task() -> Task:
    """HumanHeartDipole: 8 -> 8 at the DHHD1 standard starting point."""
    return Task(
        name="HumanHeartDipole",
        fn=human_heart_dipole,
        args=_scalars(HHD_STARTS["DHHD1"]),
        argnums=tuple(range(8)),
        description="MINPACK-2 human heart dipole residuals (data set DHHD1): 8 scalars "
        "-> 8 scalars",
        paper=PAPER["HumanHeartDipole"],
    )


def propane_combustion_task() -> Task:
    """PropaneCombustion: 11 -> 11 at the standard starting point."""
    return Task(
        name="PropaneCombustion",
        fn=propane_combustion,
        args=_scalars(PROPANE_START),
        argnums=tuple(range(11)),
        description="MINPACK-2 propane combustion residuals, full formulation: 11 scalars "
        "-> 11 scalars",
        paper=PAPER["PropaneCombustion"],
    )
