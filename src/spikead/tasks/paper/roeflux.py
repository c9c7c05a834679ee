"""RoeFlux_1d and RoeFlux_3d as the AlphaGrad paper defines them (the authors' source).

Source of the benchmark: Graphax repository (Lohoff), ``src/graphax/examples/roe.py``,
``RoeFlux_1d`` and ``RoeFlux_3d``. Same sequence of operations as there (the jaxpr, hence
the graph and the paper's Table 1 counts, depend on it), gamma = 0.5.

RoeFlux_1d: Roe averages with sqrt weights, the eigenvalues taken with ``abs`` (no
entropy fix; the source uses |u| for both u -+ a waves' coefficients c0 and c2 and
|u + a| for c1), pressure p = (gamma - 1)(E - m^2 / 2 rho). Inputs: six scalars
(rho, m, E) of the left and of the right state; outputs: three flux scalars. The example
point is the source's ``xs = [.01, .02, .02, .01, .03, .03]``.

RoeFlux_3d: the version of Graphax commit b76d737 (the one whose vmapped graph is
closest to the paper's 143 vertices; the other stored version, 0c1bd48, indexes scalars
and gives 197), traced under ``jax.vmap`` with batch 1 as the authors' benchmark
(``alphagrad/experiments.py``, ``make_RoeFlux_3d``) does.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

GAMMA = 0.5
"""Ratio of specific heats of the benchmark."""

__all__ = [
    "GAMMA",
    "ROE_1D_START",
    "ROE_3D_START",
    "roe_flux_1d",
    "roe_flux_3d",
    "roe_flux_3d_batched",
]

ROE_1D_START = (0.01, 0.02, 0.02, 0.01, 0.03, 0.03)
"""The source's example input (ul0, ul1, ul2, ur0, ur1, ur2)."""


def _pressure(rho, mom, energy):
    """p = (gamma - 1) (E - 0.5 m^2 / rho), in the source's operation order."""
    return (GAMMA - 1.0) * (energy - 0.5 * mom**2 / rho)


def _enthalpy(rho, energy, p):
    """h = (E + p) / rho."""
    return (energy + p) / rho


def _euler_flux(rho, mom, energy, p):
    """Physical flux (m, p + m v, v (p + E)) with v = m / rho, as the source orders it."""
    v = mom / rho
    return mom, p + mom * v, v * (p + energy)


def roe_flux_1d(ul0, ul1, ul2, ur0, ur1, ur2):
    """Roe flux of the 1-D Euler equations: six scalars -> three scalars (see module doc)."""
    du0 = ur0 - ul0
    ulr0 = jnp.sqrt(ul0 * ur0)
    w1 = jnp.sqrt(ul0) + jnp.sqrt(ur0)

    vl = ul1 / ul0
    pl = _pressure(ul0, ul1, ul2)
    hl = _enthalpy(ul0, ul2, pl)
    vr = ur1 / ur0
    pr = _pressure(ur0, ur1, ur2)
    hr = _enthalpy(ur0, ur2, pr)
    dp = pr - pl
    dv = vr - vl

    # Roe averages (each sqrt is its own equation, as in the source).
    u = (jnp.sqrt(ul0) * vl + jnp.sqrt(ur0) * vr) / w1
    h = (jnp.sqrt(ul0) * hl + jnp.sqrt(ur0) * hr) / w1
    q2 = u**2
    a2 = (GAMMA - 1.0) * (h - 0.5 * q2)
    a = jnp.sqrt(a2)

    lam_plus = jnp.abs(u + a)
    lam_0 = jnp.abs(u)
    lam_minus = jnp.abs(u)  # the source's choice (|u|, not |u - a|)

    n = a * ulr0
    c0 = (du0 - dp / a2) * lam_0
    c1 = (dv + dp / n) * lam_plus
    c2 = (dv - dp / n) * lam_minus

    fl = _euler_flux(ul0, ul1, ul2, pl)
    fr = _euler_flux(ur0, ur1, ur2, pr)
    f0, f1, f2 = (left + right for left, right in zip(fl, fr))

    c = 0.5 * ulr0 / a
    df0 = c0 + c * c1 - c * c2
    df1 = c0 * u + c * c1 * (u + a) - c * c2 * (u - a)
    df2 = c0 * 0.5 * q2 + c * c1 * (h + u * a) - c * c2 * (h - u * a)
    return 0.5 * (f0 - df0), 0.5 * (f1 - df1), 0.5 * (f2 - df2)


ROE_3D_START = ((0.1,), (0.1, 0.2, 0.3), (0.5,), (0.2,), (0.2, 0.2, 0.4), (0.6,))
"""The source's example state (ul0, ul, ul4, ur0, ur, ur4), before batching."""


def _pressure_3d(rho, mom, energy):
    """p = (gamma - 1) (E - 0.5 sum(m^2) / rho); mom (3,), rho and energy (1,)."""
    return (GAMMA - 1.0) * (energy - 0.5 * jnp.sum(mom**2) / rho)


def _euler_flux_3d(rho, mom, vel, energy, p):
    """Flux in x: (m_x, p e_x + m v, v_x (p + E)); shapes (1,), (3,), (1,), as the source."""
    vx = vel[0:1]
    p_x = jnp.concatenate([p, jnp.zeros(2, dtype=jnp.float32)])
    return mom[0:1], p_x + mom * vel, vx * (p + energy)


def roe_flux_3d(ul0, ul, ul4, ur0, ur, ur4):
    """Roe flux in x of the 3-D Euler equations for one interface.

    Shapes: density and energy (1,), momentum (3,) of the left then the right state ->
    (1,), (3,), (1,) flux. Operation sequence of the source's ``RoeFlux_3d`` at Graphax
    commit b76d737 (``roe.py``): momenta copied by ``* 1.0``, slices ``[0:1]``, the
    momentum-flux pressure padded by ``concatenate`` with zeros, eigenvalues without
    ``abs`` (``lp = u + a``, ``l = u``, ``lm = u - a``), gamma 0.5.
    """
    ul = ul * 1.0
    ur = ur * 1.0
    du0 = ur0 - ul0
    du = ur - ul
    du1, du2, du3 = du[0:1], du[1:2], du[2:]
    du4 = ur4 - ul4
    vl = ul / ul0
    vr = ur / ur0
    w1 = jnp.sqrt(ul0) + jnp.sqrt(ur0)

    uvw = (jnp.sqrt(ul0) * vl + jnp.sqrt(ur0) * vr) / w1  # Roe-averaged velocity
    u, v, w = uvw[0:1], uvw[1:2], uvw[2:]
    pl = _pressure_3d(ul0, ul, ul4)
    hl = _enthalpy(ul0, ul4, pl)
    pr = _pressure_3d(ur0, ur, ur4)
    hr = _enthalpy(ur0, ur4, pr)
    h = (jnp.sqrt(ul0) * hl + jnp.sqrt(ur0) * hr) / w1

    q2 = jnp.sum(uvw**2)
    a2 = (GAMMA - 1.0) * (h - 0.5 * q2)
    a = jnp.sqrt(a2)
    lp, lam, lm = u + a, u, u - a

    c3 = ((GAMMA - 1.0) / a2 * ((h - q2) * du0 + jnp.dot(uvw, du) - du4)) * lam
    c2 = (du3 / w - du1) * lam
    c1 = (du2 / v - du0) * lam
    k1 = du0 - c3
    k2 = (du1 - u * du0) / a
    c0 = 0.5 * (k1 - k2) * lm
    c4 = 0.5 * (k1 + k2) * lp

    fl0, fl, fl4 = _euler_flux_3d(ul0, ul, vl, ul4, pl)
    fr0, fr, fr4 = _euler_flux_3d(ur0, ur, vr, ur4, pr)
    f0, f, f4 = fl0 + fr0, fl + fr, fl4 + fr4

    df0 = c0 + c3 + c4 * lp
    df1 = c0 * lm + c3 * u + c4 * lp
    df2 = c0 * v + c1 * v + c3 * v + c4 * v
    df3 = c0 * w + c2 * w + c3 * w + c4 * w
    df4 = c0 * (h - u * a) + c1 * v**2 + c2 * w**2 + c3 * 0.5 * q2 + c4 * (h + u * a)
    df = jnp.concatenate([df1, df2, df3])
    return 0.5 * (f0 - df0), 0.5 * (f - df), 0.5 * (f4 - df4)


def roe_flux_3d_batched(ul0, ul, ul4, ur0, ur, ur4):
    """`roe_flux_3d` vmapped over a leading batch axis: (B, 1), (B, 3), ... -> (B, 1), (B, 3), (B, 1)."""
    return jax.vmap(roe_flux_3d)(ul0, ul, ul4, ur0, ur, ur4)
