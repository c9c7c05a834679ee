import jax
import jax.numpy as jnp
import numpy as np
import pytest

from spikead import snn

from .helpers import column, trajectory


def const(value, steps, n=2):
    return np.broadcast_to(np.asarray(value, np.float32), (steps, n))


def test_li_per_neuron_decay():
    li = snn.LI(shape=(2,), beta=[0.5, 0.25])
    xs = np.array([[1.0, 2.0], [0.0, 0.0], [0.0, 0.0]], np.float32)
    states, ys = trajectory(li, xs)
    np.testing.assert_array_equal(ys, [[1.0, 2.0], [0.5, 0.5], [0.25, 0.125]])
    np.testing.assert_array_equal(column(states, -1), ys)  # output is the last state entry


def test_lif_zero_reset_trajectory_per_neuron_params():
    # neuron 0: beta 0.5, threshold 1; neuron 1: beta 1, threshold 2; input 0.75 each step
    lif = snn.LIF(shape=(2,), beta=[0.5, 1.0], threshold=[1.0, 2.0], reset="zero")
    states, zs = trajectory(lif, const(0.75, 5))
    v = column(states, 0)
    np.testing.assert_array_equal(
        v, [[0.75, 0.75], [1.125, 1.5], [0.75, 2.25], [1.125, 0.75], [0.75, 1.5]]
    )
    np.testing.assert_array_equal(zs, [[0, 0], [1, 0], [0, 1], [1, 0], [0, 0]])
    np.testing.assert_array_equal(column(states, -1), zs)  # spike is the last state entry


def test_lif_subtract_reset_trajectory():
    lif = snn.LIF(shape=(2,), beta=[0.5, 1.0], threshold=[1.0, 2.0], reset="subtract")
    states, zs = trajectory(lif, const(0.75, 5))
    v = column(states, 0)
    # n0: 0.75, 1.125*, 0.5*0.125+0.75, 0.5*0.8125+0.75*, 0.5*0.15625+0.75
    # n1: 0.75, 1.5, 2.25*, 0.25+0.75, 1.75
    np.testing.assert_array_equal(
        v, [[0.75, 0.75], [1.125, 1.5], [0.8125, 2.25], [1.15625, 1.0], [0.828125, 1.75]]
    )
    np.testing.assert_array_equal(zs, [[0, 0], [1, 0], [0, 1], [1, 0], [0, 0]])


def test_iaf_trajectories_and_strict_threshold():
    xs = const(0.75, 5)
    _, zs = trajectory(snn.IAF(shape=(2,), threshold=[1.0, 2.0], reset="subtract"), xs)
    states, _ = trajectory(snn.IAF(shape=(2,), threshold=[1.0, 2.0], reset="subtract"), xs)
    np.testing.assert_array_equal(
        column(states, 0), [[0.75, 0.75], [1.5, 1.5], [1.25, 2.25], [1.0, 1.0], [1.75, 1.75]]
    )
    # v == threshold exactly does not spike (H(0) = 0)
    np.testing.assert_array_equal(zs, [[0, 0], [1, 0], [1, 1], [0, 0], [1, 0]])
    states, zs = trajectory(snn.IAF(shape=(2,), threshold=[1.0, 2.0], reset="zero"), xs)
    np.testing.assert_array_equal(
        column(states, 0), [[0.75, 0.75], [1.5, 1.5], [0.75, 2.25], [1.5, 0.75], [0.75, 1.5]]
    )


def test_cuba_lif_trajectory():
    cuba = snn.CuBaLIF(shape=(2,), alpha=[0.5, 0.25], beta=0.5, threshold=1.0, reset="zero")
    states, zs = trajectory(cuba, const(0.75, 4))
    np.testing.assert_array_equal(
        column(states, 0),
        [[0.75, 0.75], [1.125, 0.9375], [1.3125, 0.984375], [1.40625, 0.99609375]],
    )
    np.testing.assert_array_equal(
        column(states, 1), [[0.75, 0.75], [1.5, 1.3125], [1.3125, 0.984375], [1.40625, 1.48828125]]
    )
    np.testing.assert_array_equal(zs, [[0, 0], [1, 1], [1, 0], [1, 1]])


def test_parameters_have_neuron_shape_and_are_leaves():
    lif = snn.LIF(shape=(3, 2), beta=0.9, threshold=jnp.ones((1, 2)))
    assert lif.beta.shape == (3, 2) and lif.threshold.shape == (3, 2)
    assert len(jax.tree_util.tree_leaves(lif)) == 2
    with pytest.raises(snn.ShapeError, match=r"'beta'.*\(4,\).*\(3,\)"):
        snn.LIF(shape=(3,), beta=jnp.ones(4))


def test_parameter_gradient_is_per_neuron():
    lif = snn.LIF(shape=(2,), beta=0.5, surrogate=snn.Sigmoid(slope=2.0))

    def loss(model):
        _, ys = snn.run(model, jnp.array([[0.5, 0.1], [0.5, 0.2]]))
        return jnp.sum(ys[-1] * jnp.array([1.0, 3.0]))

    g = jax.grad(loss)(lif)
    assert g.beta.shape == (2,)
    # d z1 / d beta = sur'(v1 - th) * v0   with v0 = x0 (no reset), v1 = beta x0 + x1
    v1 = 0.5 * np.array([0.5, 0.1]) + np.array([0.5, 0.2])
    s = 1 / (1 + np.exp(-2.0 * (v1 - 1.0)))
    expected = np.array([1.0, 3.0]) * 2.0 * s * (1 - s) * np.array([0.5, 0.1])
    np.testing.assert_allclose(g.beta, expected, rtol=1e-5)


def test_surrogate_gradient_of_one_step_is_the_surrogate():
    sur = snn.FastSigmoid(slope=10.0)
    lif = snn.LIF(shape=(3,), beta=0.9, threshold=1.0, surrogate=sur)
    state = (jnp.array([0.2, 0.9, 1.4]), jnp.zeros(3))
    x = jnp.array([0.3, 0.1, -0.2])
    jac = jax.jacrev(lambda x: lif(state, x)[1])(x)
    v = 0.9 * state[0] + x
    np.testing.assert_allclose(jac, np.diag(sur.derivative(v - 1.0)), rtol=1e-6)


@pytest.mark.parametrize("reset", ["zero", "subtract"])
def test_stop_reset_grad(reset):
    sur = snn.FastSigmoid(slope=10.0)
    beta, th = 0.5, 1.0

    def v1_of_x0(model, x0):
        state = model.init_state((1,))
        state, _ = model(state, x0)  # v0 = x0 = 1.5 > th: spikes
        state, _ = model(state, jnp.array([0.2]))
        return state[0][0]

    x0 = jnp.array([1.5])
    g = {}
    for stop in (False, True):
        lif = snn.LIF(
            shape=(1,), beta=beta, threshold=th, reset=reset, surrogate=sur, stop_reset_grad=stop
        )
        g[stop] = float(jax.grad(v1_of_x0, argnums=1)(lif, x0)[0])
    dz0 = float(sur.derivative(jnp.array(0.5)))
    if reset == "zero":  # v1 = beta * x0 * (1 - z0) + x1
        assert g[True] == pytest.approx(beta * (1 - 1.0))
        assert g[False] == pytest.approx(beta * (1 - 1.0) - beta * 1.5 * dz0)
    else:  # v1 = beta * (x0 - th z0) + x1
        assert g[True] == pytest.approx(beta)
        assert g[False] == pytest.approx(beta - beta * th * dz0)


def test_wrong_input_shape_names_expected_and_got():
    lif = snn.LIF(shape=(3,))
    with pytest.raises(snn.ShapeError, match=r"expected shape \(3,\), got \(4,\)"):
        lif(lif.init_state((3,)), jnp.ones(4))
    with pytest.raises(snn.ShapeError, match=r"expected shape \(3,\), got \(2, 3\)"):
        lif.init_state((2, 3))


def test_bad_reset_mode():
    with pytest.raises(snn.ParameterError, match="'hard'.*zero.*subtract"):
        snn.LIF(shape=(2,), reset="hard")


def test_surrogate_by_name():
    lif = snn.LIF(shape=(2,), surrogate="sigmoid")
    assert isinstance(lif.surrogate, snn.Sigmoid)
