import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from spikead import snn

# points away from the kinks/discontinuities of Boxcar and Triangle
XS = jnp.array([-1.3, -0.7, -0.31, -0.05, 0.02, 0.2, 0.45, 1.7])


def expected_derivative(name, slope, x):
    x = np.asarray(x, np.float64)
    if name == "fast_sigmoid":
        return 1.0 / (1.0 + slope * np.abs(x)) ** 2
    if name == "sigmoid":
        s = 1.0 / (1.0 + np.exp(-slope * x))
        return slope * s * (1.0 - s)
    if name == "boxcar":
        return np.where(np.abs(x) < 1.0 / slope, slope / 2.0, 0.0)
    if name == "arctan":
        return (slope / 2.0) / (1.0 + (math.pi * slope * x / 2.0) ** 2)
    if name == "triangle":
        return slope * np.maximum(0.0, 1.0 - slope * np.abs(x))
    raise AssertionError(name)


CASES = [
    ("fast_sigmoid", 10.0),
    ("sigmoid", 4.0),
    ("boxcar", 2.0),
    ("arctan", 2.0),
    ("triangle", 1.5),
]


@pytest.mark.parametrize("name,slope", CASES)
def test_forward_is_heaviside(name, slope):
    sur = snn.surrogate_from_name(name, slope=slope)
    x = jnp.array([-2.0, -1e-6, 0.0, 1e-6, 3.0])
    np.testing.assert_array_equal(sur(x), [0.0, 0.0, 0.0, 1.0, 1.0])
    np.testing.assert_array_equal(snn.heaviside(x, sur), sur(x))


@pytest.mark.parametrize("name,slope", CASES)
def test_reverse_mode_derivative(name, slope):
    sur = snn.surrogate_from_name(name, slope=slope)
    grads = jax.vmap(jax.grad(lambda x: sur(x)))(XS)
    np.testing.assert_allclose(grads, expected_derivative(name, slope, XS), rtol=1e-4, atol=1e-7)


@pytest.mark.parametrize("name,slope", CASES)
def test_forward_mode_derivative(name, slope):
    sur = snn.surrogate_from_name(name, slope=slope)
    jac = jax.jacfwd(sur)(XS)
    np.testing.assert_allclose(
        jac, np.diag(expected_derivative(name, slope, XS)), rtol=1e-4, atol=1e-7
    )
    _, tangent = jax.jvp(sur, (XS,), (jnp.full_like(XS, 2.0),))
    np.testing.assert_allclose(tangent, 2.0 * expected_derivative(name, slope, XS), rtol=1e-4)


def test_unit_area_surrogates_integrate_to_one():
    grid = jnp.linspace(-40.0, 40.0, 400001)
    dx = 80.0 / 400000
    for name, slope in CASES[1:]:
        d = snn.surrogate_from_name(name, slope=slope).derivative(grid)
        # arctan has heavy tails: (2/pi) * atan(pi*slope*40/2) of the mass lies in the grid
        target = 2.0 / math.pi * math.atan(math.pi * slope * 20.0) if name == "arctan" else 1.0
        assert float(np.sum(np.asarray(d, np.float64)) * dx) == pytest.approx(target, rel=2e-3), (
            name
        )


def test_surrogate_inside_jit_and_grad_of_grad_path():
    sur = snn.Sigmoid(slope=5.0)
    g = jax.jit(jax.grad(lambda x: jnp.sum(sur(x) * x)))(XS)
    # d/dx [H(x) x] = H(x) + x H'(x)
    expected = (XS > 0) + XS * expected_derivative("sigmoid", 5.0, XS)
    np.testing.assert_allclose(g, expected, rtol=1e-4, atol=1e-7)


def test_slope_is_static_and_default_superspike():
    sur = snn.FastSigmoid()
    assert sur.slope == 10.0
    assert jax.tree_util.tree_leaves(sur) == []


def test_unknown_surrogate_name_lists_known():
    with pytest.raises(snn.UnknownNameError, match="fast_sigmoid.*triangle|boxcar"):
        snn.surrogate_from_name("superfast")
