"""RoeFlux_1d as the AlphaGrad paper defines it (the authors' published source).

Source of the benchmark: Graphax repository (Lohoff), ``src/graphax/examples/roe.py``,
``RoeFlux_1d``. Same sequence of operations as there (the jaxpr, hence the graph and the
paper's Table 1 counts, depend on it): gamma = 0.5, Roe averages with sqrt weights, the
eigenvalues taken with ``abs`` (no entropy fix; the source uses |u| for both u -+ a
waves' coefficients c0 and c2 and |u + a| for c1), pressure p = (gamma - 1)(E - m^2 / 2 rho).

Inputs: six scalars (rho, m, E) of the left and of the right state; outputs: three flux
scalars. The example point is the source's ``xs = [.01, .02, .02, .01, .03, .03]``.
"""

from __future__ import annotations

import jax.numpy as jnp

GAMMA = 0.5
"""Ratio of specific heats of the benchmark."""

__all__ = ["GAMMA", "ROE_1D_START", "roe_flux_1d"]

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
