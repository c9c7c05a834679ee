"""Roe's approximate Riemann solver for the Euler equations (Roe 1981), 1-D and 3-D.

The numerical flux between a left and a right state is

    F = 1/2 (F(q_L) + F(q_R)) - 1/2 sum_k |lambda_k| alpha_k r_k

with Roe-averaged velocity and enthalpy, eigenvalues lambda_k, wave strengths alpha_k
and right eigenvectors r_k of the Roe matrix. |lambda| carries Harten's entropy fix.
The AlphaGrad paper uses gamma = 0.5 (`GAMMA`); the ideal-gas pressure is
p = (gamma - 1) (E - rho |u|^2 / 2), so with gamma < 1 valid states need E < rho |u|^2 / 2
(then p > 0 and the sound speed a^2 = gamma p / rho is real).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from ._paper import PAPER
from ._registry import Task

__all__ = [
    "ENTROPY_FIX",
    "GAMMA",
    "euler_flux_1d",
    "euler_flux_3d",
    "harten_abs",
    "roe_flux_1d",
    "roe_flux_3d",
    "roe_flux_3d_batched",
    "roeflux_1d_task",
    "roeflux_3d_task",
]

GAMMA = 0.5
"""Ratio of specific heats used by the AlphaGrad paper."""

ENTROPY_FIX = 0.1
"""Harten's entropy-fix width as a fraction of the Roe sound speed."""


def harten_abs(lam: jax.Array, delta: jax.Array) -> jax.Array:
    """|lam| with Harten's entropy fix: (lam^2 + delta^2) / (2 delta) where |lam| < delta."""
    mag = jnp.abs(lam)
    return jnp.where(mag < delta, (lam * lam + delta * delta) / (2.0 * delta), mag)


def _pressure(rho, kinetic_x2, energy, gamma):
    """p = (gamma - 1) (E - rho |u|^2 / 2) given rho |u|^2 as ``kinetic_x2``."""
    return (gamma - 1.0) * (energy - 0.5 * kinetic_x2)


def euler_flux_1d(rho, mom, energy, *, gamma: float = GAMMA):
    """Physical 1-D Euler flux of a conservative state (rho, rho u, E) -> 3 scalars."""
    u = mom / rho
    p = _pressure(rho, mom * u, energy, gamma)
    return mom, mom * u + p, u * (energy + p)


def roe_flux_1d(rho_l, mom_l, e_l, rho_r, mom_r, e_r, *, gamma: float = GAMMA):
    """Roe flux of the 1-D Euler equations.

    Args: left and right conservative states (density, momentum, total energy), six
    scalars. Returns the three flux components (mass, momentum, energy).
    """
    sl, sr = jnp.sqrt(rho_l), jnp.sqrt(rho_r)
    u_l, u_r = mom_l / rho_l, mom_r / rho_r
    p_l = _pressure(rho_l, mom_l * u_l, e_l, gamma)
    p_r = _pressure(rho_r, mom_r * u_r, e_r, gamma)
    h_l, h_r = (e_l + p_l) / rho_l, (e_r + p_r) / rho_r

    # Roe averages.
    w = sl + sr
    u = (sl * u_l + sr * u_r) / w
    h = (sl * h_l + sr * h_r) / w
    rho_hat = sl * sr
    a2 = (gamma - 1.0) * (h - 0.5 * u * u)
    a = jnp.sqrt(a2)

    # Wave strengths.
    d_rho, d_u, d_p = rho_r - rho_l, u_r - u_l, p_r - p_l
    alpha1 = (d_p - rho_hat * a * d_u) / (2.0 * a2)
    alpha2 = d_rho - d_p / a2
    alpha3 = (d_p + rho_hat * a * d_u) / (2.0 * a2)

    delta = ENTROPY_FIX * a
    k1 = harten_abs(u - a, delta) * alpha1
    k2 = harten_abs(u, delta) * alpha2
    k3 = harten_abs(u + a, delta) * alpha3

    # Dissipation sum_k |lambda_k| alpha_k r_k with r = (1, u -+ a, h -+ u a), (1, u, u^2/2).
    d0 = k1 + k2 + k3
    d1 = k1 * (u - a) + k2 * u + k3 * (u + a)
    d2 = k1 * (h - u * a) + k2 * (0.5 * u * u) + k3 * (h + u * a)

    fl = euler_flux_1d(rho_l, mom_l, e_l, gamma=gamma)
    fr = euler_flux_1d(rho_r, mom_r, e_r, gamma=gamma)
    return tuple(0.5 * (a_ + b_ - d_) for a_, b_, d_ in zip(fl, fr, (d0, d1, d2)))


def euler_flux_3d(rho, mx, my, mz, energy, *, gamma: float = GAMMA):
    """Physical 3-D Euler flux in x of a conservative state (rho, m_x, m_y, m_z, E).

    Five scalars -> five scalars.
    """
    u, v, w = mx / rho, my / rho, mz / rho
    p = _pressure(rho, mx * u + my * v + mz * w, energy, gamma)
    return mx, mx * u + p, mx * v, mx * w, u * (energy + p)


def roe_flux_3d(
    rho_l, mx_l, my_l, mz_l, e_l, rho_r, mx_r, my_r, mz_r, e_r, *, gamma: float = GAMMA
):
    """Roe flux in x of the 3-D Euler equations for one interface.

    Args: left and right conservative states (rho, m_x, m_y, m_z, E), ten scalars.
    Returns the five flux components.
    """
    sl, sr = jnp.sqrt(rho_l), jnp.sqrt(rho_r)
    ul, vl, wl = mx_l / rho_l, my_l / rho_l, mz_l / rho_l
    ur, vr, wr = mx_r / rho_r, my_r / rho_r, mz_r / rho_r
    p_l = _pressure(rho_l, mx_l * ul + my_l * vl + mz_l * wl, e_l, gamma)
    p_r = _pressure(rho_r, mx_r * ur + my_r * vr + mz_r * wr, e_r, gamma)
    h_l, h_r = (e_l + p_l) / rho_l, (e_r + p_r) / rho_r

    # Roe averages.
    s = sl + sr
    u = (sl * ul + sr * ur) / s
    v = (sl * vl + sr * vr) / s
    w = (sl * wl + sr * wr) / s
    h = (sl * h_l + sr * h_r) / s
    rho_hat = sl * sr
    q2 = u * u + v * v + w * w
    a2 = (gamma - 1.0) * (h - 0.5 * q2)
    a = jnp.sqrt(a2)

    # Wave strengths of the five waves (u - a, u, u, u, u + a).
    d_rho, d_p = rho_r - rho_l, p_r - p_l
    d_u, d_v, d_w = ur - ul, vr - vl, wr - wl
    alpha1 = (d_p - rho_hat * a * d_u) / (2.0 * a2)
    alpha2 = d_rho - d_p / a2
    alpha3 = rho_hat * d_v
    alpha4 = rho_hat * d_w
    alpha5 = (d_p + rho_hat * a * d_u) / (2.0 * a2)

    delta = ENTROPY_FIX * a
    l_u = harten_abs(u, delta)
    k1 = harten_abs(u - a, delta) * alpha1
    k2 = l_u * alpha2
    k3 = l_u * alpha3
    k4 = l_u * alpha4
    k5 = harten_abs(u + a, delta) * alpha5

    # Eigenvectors: r1 = (1, u-a, v, w, h-ua), r2 = (1, u, v, w, q2/2), r3 = (0,0,1,0,v),
    # r4 = (0,0,0,1,w), r5 = (1, u+a, v, w, h+ua).
    k_sum = k1 + k2 + k5
    diss = (
        k_sum,
        k1 * (u - a) + k2 * u + k5 * (u + a),
        k_sum * v + k3,
        k_sum * w + k4,
        k1 * (h - u * a) + k2 * (0.5 * q2) + k3 * v + k4 * w + k5 * (h + u * a),
    )
    fl = euler_flux_3d(rho_l, mx_l, my_l, mz_l, e_l, gamma=gamma)
    fr = euler_flux_3d(rho_r, mx_r, my_r, mz_r, e_r, gamma=gamma)
    return tuple(0.5 * (a_ + b_ - d_) for a_, b_, d_ in zip(fl, fr, diss))


def roe_flux_3d_batched(*states: jax.Array):
    """`roe_flux_3d` vmapped over a batch.

    Shapes: ten (B,) arrays (rho, m_x, m_y, m_z, E of the left, then the right state)
    -> five (B,) flux arrays.
    """
    return jax.vmap(roe_flux_3d)(*states)


def _f32(*values: float) -> tuple[jax.Array, ...]:
    return tuple(jnp.asarray(np.float32(x)) for x in values)


def roeflux_1d_task() -> Task:
    """RoeFlux_1d: 6 scalars -> 3 scalars (supersonic-ish left, slower right state)."""
    return Task(
        name="RoeFlux_1d",
        fn=roe_flux_1d,
        # (rho, m, E) per side; E < m^2 / (2 rho) so that p > 0 with gamma = 0.5.
        args=_f32(1.0, 2.0, 1.5, 0.8, 1.2, 0.5),
        argnums=tuple(range(6)),
        description="Roe flux, 1-D Euler, gamma 0.5: (rho, m, E)_L, (rho, m, E)_R scalars "
        "-> 3 flux scalars",
        paper=PAPER["RoeFlux_1d"],
    )


def roeflux_3d_task() -> Task:
    """RoeFlux_3d: ten (B=1,) arrays -> five (B=1,) arrays."""
    left = (1.0, 2.0, 0.3, -0.2, 1.6)
    right = (0.8, 1.2, -0.1, 0.4, 0.5)
    return Task(
        name="RoeFlux_3d",
        fn=roe_flux_3d_batched,
        args=tuple(jnp.asarray(np.array([x], dtype=np.float32)) for x in left + right),
        argnums=tuple(range(10)),
        description="Roe flux in x, 3-D Euler, gamma 0.5, vmapped: (rho, m_x, m_y, m_z, E) "
        "of left and right states as ten (B=1,) arrays -> five (B=1,) arrays",
        paper=PAPER["RoeFlux_3d"],
    )
