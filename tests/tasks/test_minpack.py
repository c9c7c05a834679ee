"""MINPACK-2 residuals: structure and hand-derived Jacobian entries."""

import jax
import jax.numpy as jnp
import numpy as np

from spikead import tasks
from spikead.tasks import minpack


def _jac(task):
    x0 = jnp.stack(task.args)
    return np.array(jax.jit(jax.jacfwd(lambda x: jnp.stack(task.fn(*x))))(x0)), np.array(x0)


def test_hhd_residual_vanishes_at_constructed_solution():
    x = tuple(jnp.float32(v) for v in minpack.HHD_STARTS["DHHD3"])
    sums = tuple(float(r) for r in minpack.human_heart_dipole(*x, sigmas=(0.0,) * 8))
    res = minpack.human_heart_dipole(*x, sigmas=sums)
    np.testing.assert_allclose(res, 0.0, atol=1e-5)


def test_hhd_jacobian_rows_by_hand():
    jac, x = _jac(tasks.load("HumanHeartDipole_v0"))
    a, b, c, d, t, u, v, w = x
    np.testing.assert_allclose(jac[0], [1, 1, 0, 0, 0, 0, 0, 0])
    np.testing.assert_allclose(jac[1], [0, 0, 1, 1, 0, 0, 0, 0])
    np.testing.assert_allclose(jac[2], [t, u, -v, -w, a, b, -c, -d], rtol=1e-6)
    np.testing.assert_allclose(jac[3], [v, w, t, u, c, d, a, b], rtol=1e-6)
    row5 = [
        t * t - v * v,
        u * u - w * w,
        -2 * t * v,
        -2 * u * w,
        2 * (a * t - c * v),
        2 * (b * u - d * w),
        -2 * (a * v + c * t),
        -2 * (b * w + d * u),
    ]
    np.testing.assert_allclose(jac[4], row5, rtol=1e-5, atol=1e-7)


def test_propane_linear_rows():
    jac, x = _jac(tasks.load("PropaneCombustion_v0"))
    np.testing.assert_allclose(jac[0], [1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0])
    np.testing.assert_allclose(jac[1], [2, 1, 0, 1, 0, 0, 1, 1, 1, 2, 0])
    np.testing.assert_allclose(jac[10], [-1] * 10 + [1])
    k5 = minpack.PROPANE_K[0]
    np.testing.assert_allclose(
        jac[4, [0, 1, 3, 4]], [-x[4], k5 * x[3], k5 * x[1], -x[0]], rtol=1e-6
    )
    p = minpack.PROPANE_P
    np.testing.assert_allclose(
        jac[7, [0, 3, 7, 10]],
        [minpack.PROPANE_K[3], -x[7] * p / x[10], -x[3] * p / x[10], x[3] * x[7] * p / x[10] ** 2],
        rtol=1e-5,
    )


def test_propane_start_point():
    assert minpack.PROPANE_START[0] == 5.0 and minpack.PROPANE_START[-1] == 20.0
    np.testing.assert_allclose(minpack.PROPANE_START[4], 0.05 * 0.193)
