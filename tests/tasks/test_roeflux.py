"""Roe flux: consistency with the physical flux and the Roe (upwind) property."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from spikead.tasks import roeflux

GAMMA = roeflux.GAMMA


def _conservative(rho, u, v, w, p):
    """(rho, m_x, m_y, m_z, E) of a primitive state for gamma = GAMMA."""
    energy = p / (GAMMA - 1.0) + 0.5 * rho * (u * u + v * v + w * w)
    return rho, rho * u, rho * v, rho * w, energy


def _f32(values):
    return tuple(jnp.float32(x) for x in values)


flux_1d = jax.jit(roeflux.roe_flux_1d)
flux_3d = jax.jit(roeflux.roe_flux_3d)


def test_1d_equal_states_give_physical_flux():
    rho, m, _, _, e = _conservative(0.9, 1.7, 0.0, 0.0, 0.4)
    state = _f32((rho, m, e))
    np.testing.assert_allclose(flux_1d(*state, *state), roeflux.euler_flux_1d(*state), rtol=1e-6)
    # Hand-computed physical flux: (rho u, rho u^2 + p, u (E + p)).
    u, p = 1.7, 0.4
    np.testing.assert_allclose(
        roeflux.euler_flux_1d(*state), (rho * u, rho * u * u + p, u * (e + p)), rtol=1e-5
    )


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_1d_supersonic_flow_is_upwind(sign):
    # All waves move the same way (|u| > a): the Roe flux is the upwind physical flux.
    left = _conservative(1.0, sign * 3.0, 0.0, 0.0, 0.5)
    right = _conservative(0.5, sign * 2.5, 0.0, 0.0, 0.3)
    ql, qr = _f32(left[:2] + left[4:]), _f32(right[:2] + right[4:])
    upwind = ql if sign > 0 else qr
    np.testing.assert_allclose(flux_1d(*ql, *qr), roeflux.euler_flux_1d(*upwind), rtol=1e-5)


def test_1d_subsonic_flux_has_upwind_dissipation():
    task_args = (1.0, 2.0, 1.5, 0.8, 1.2, 0.5)
    out = np.array(flux_1d(*_f32(task_args)))
    central = 0.5 * (
        np.array(roeflux.euler_flux_1d(*_f32(task_args[:3])))
        + np.array(roeflux.euler_flux_1d(*_f32(task_args[3:])))
    )
    assert np.all(np.isfinite(out))
    assert not np.allclose(out, central)  # the upwind dissipation is active


def test_harten_abs():
    delta = jnp.float32(0.5)
    assert float(roeflux.harten_abs(jnp.float32(-2.0), delta)) == 2.0
    # Inside the fix: (lam^2 + delta^2) / (2 delta) >= |lam|.
    np.testing.assert_allclose(
        roeflux.harten_abs(jnp.float32(0.1), delta), (0.01 + 0.25) / 1.0, rtol=1e-6
    )


def test_3d_equal_states_give_physical_flux():
    state = _f32(_conservative(1.2, 0.7, -0.3, 0.4, 0.6))
    np.testing.assert_allclose(
        flux_3d(*state, *state), roeflux.euler_flux_3d(*state), rtol=1e-6, atol=1e-7
    )


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_3d_supersonic_flow_is_upwind(sign):
    left = _f32(_conservative(1.0, sign * 3.0, 0.4, -0.2, 0.5))
    right = _f32(_conservative(0.5, sign * 2.5, -0.3, 0.5, 0.3))
    upwind = left if sign > 0 else right
    np.testing.assert_allclose(
        flux_3d(*left, *right), roeflux.euler_flux_3d(*upwind), rtol=1e-5, atol=1e-6
    )


def test_3d_without_transverse_velocity_matches_1d():
    left = _conservative(1.0, 2.0, 0.0, 0.0, 0.25)
    right = _conservative(0.8, 1.5, 0.0, 0.0, 0.2)
    out3 = np.array(flux_3d(*_f32(left), *_f32(right)))
    out1 = np.array(flux_1d(*_f32(left[:2] + left[4:]), *_f32(right[:2] + right[4:])))
    np.testing.assert_allclose(out3[[0, 1, 4]], out1, rtol=1e-5)
    np.testing.assert_allclose(out3[[2, 3]], 0.0, atol=1e-7)


def test_3d_batched_matches_single():
    from spikead import tasks

    task = tasks.load("RoeFlux_3d_v0")
    batched = jax.jit(task.fn)(*task.args)
    single = flux_3d(*(a[0] for a in task.args))
    np.testing.assert_allclose(np.array(batched)[:, 0], single, rtol=1e-6)
