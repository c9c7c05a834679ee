import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from spikead import snn

add_one = eqx.nn.Lambda(lambda x: x + 1.0)
RAMP = jnp.arange(6.0)[:, None]  # x_t = t, shape (T=6, 1)


def test_same_step_chain_has_zero_delay():
    g = snn.Graph(
        {"c": add_one, "b": add_one, "a": add_one},  # order given != topological
        edges=[("in", "a"), ("a", "b"), ("b", "c")],
        outputs="c",
    )
    assert g.order == ("a", "b", "c")
    _, ys = snn.run(g, RAMP)
    np.testing.assert_array_equal(ys, RAMP + 3.0)


def test_recurrent_edge_delays_exactly_one_step():
    # b reads a's output of the previous step: b_t = a_{t-1} + 1 = x_{t-1} + 2, b_0 = 0 + 1
    g = snn.Graph(
        {"a": add_one, "b": add_one},
        edges=[("in", "a")],
        recurrent=[("a", "b")],
        outputs=("a", "b"),
    )
    _, (ya, yb) = snn.run(g, RAMP)
    np.testing.assert_array_equal(ya, RAMP + 1.0)
    np.testing.assert_array_equal(yb[0], [1.0])
    np.testing.assert_array_equal(yb[1:], RAMP[:-1] + 2.0)


def test_two_recurrent_edges_delay_two_steps():
    g = snn.Graph(
        {"a": add_one, "b": add_one, "c": add_one},
        edges=[("in", "a")],
        recurrent=[("a", "b"), ("b", "c")],
        outputs="c",
    )
    _, yc = snn.run(g, RAMP)
    np.testing.assert_array_equal(yc[2:], RAMP[:-2] + 3.0)
    np.testing.assert_array_equal(yc[:2, 0], [1.0, 2.0])


def test_back_edge_loop():
    # a_t = x_t + b_{t-1} + 1, b_t = a_t + 1  =>  b_t = b_{t-1} + x_t + 2
    g = snn.Graph(
        {"a": add_one, "b": add_one},
        edges=[("in", "a"), ("a", "b")],
        recurrent=[("b", "a")],
        outputs="b",
    )
    _, yb = snn.run(g, RAMP)
    np.testing.assert_array_equal(yb[:, 0], np.cumsum(np.arange(6.0) + 2.0))


def test_self_loop():
    g = snn.Graph({"a": add_one}, edges=[("in", "a")], recurrent=[("a", "a")])
    _, ya = snn.run(g, jnp.zeros((4, 1)))
    np.testing.assert_array_equal(ya[:, 0], [1.0, 2.0, 3.0, 4.0])


def test_same_step_cycle_raises_cycle_error_naming_it():
    with pytest.raises(
        snn.CycleError, match=r"(a -> b -> c -> a|b -> c -> a -> b|c -> a -> b -> c)"
    ):
        snn.Graph(
            {"a": add_one, "b": add_one, "c": add_one},
            edges=[("in", "a"), ("a", "b"), ("b", "c"), ("c", "a")],
        )
    with pytest.raises(snn.CycleError, match="a -> a"):
        snn.Graph({"a": add_one}, edges=[("in", "a"), ("a", "a")])


def test_graph_errors():
    with pytest.raises(snn.GraphError, match="'x'"):
        snn.Graph({"a": add_one}, edges=[("x", "a")])
    with pytest.raises(snn.GraphError, match="'b' has no input"):
        snn.Graph({"a": add_one, "b": add_one}, edges=[("in", "a")])
    with pytest.raises(snn.GraphError, match="'mean'"):
        snn.Graph({"a": add_one}, edges=[("in", "a")], merge="mean")
    with pytest.raises(snn.GraphError, match="reserved"):
        snn.Graph({"in": add_one}, edges=[])


def recurrent_snn(key, n_in=3, n=4, n_out=2):
    """in -> lin_in -> lif1 -> lin_out -> lif2, with back edge lif2 -> lif1 (via lin_rec)."""
    k1, k2, k3 = jax.random.split(key, 3)
    layers = {
        "lin_in": eqx.nn.Linear(n_in, n, key=k1),
        "lif1": snn.LIF(shape=(n,), beta=0.9),
        "lin_out": eqx.nn.Linear(n, n_out, key=k2),
        "lif2": snn.LIF(shape=(n_out,), beta=0.9),
        "lin_rec": eqx.nn.Linear(n_out, n, key=k3),
    }
    edges = [
        ("in", "lin_in"),
        ("lin_in", "lif1"),
        ("lif1", "lin_out"),
        ("lin_out", "lif2"),
        ("lin_rec", "lif1"),
    ]
    return snn.Graph(
        layers,
        edges=edges,
        recurrent=[("lif2", "lin_rec"), ("lif1", "lif1")],
        outputs=("lif1", "lif2"),
    )


def test_init_state_with_back_edges(getkey):
    g = recurrent_snn(getkey())
    state = g.init_state((3,))
    assert set(state["feedback"]) == {"lif2", "lif1"}
    assert state["feedback"]["lif2"].shape == (2,) and state["feedback"]["lif1"].shape == (4,)
    assert state["layers"]["lin_rec"] == ()
    xs = jax.random.uniform(getkey(), (10, 3)) * 3.0
    _, (z1, z2) = snn.run(g, xs)
    assert z1.shape == (10, 4) and z2.shape == (10, 2)


def test_graph_matches_hand_written_recurrent_loop(getkey):
    g = recurrent_snn(getkey())
    xs = jax.random.uniform(getkey(), (12, 3)) * 3.0
    _, (z1, z2) = snn.run(g, xs)
    L = g.layers
    s1, s2 = L["lif1"].init_state((4,)), L["lif2"].init_state((2,))
    prev_z1, prev_z2 = jnp.zeros(4), jnp.zeros(2)
    for t in range(12):
        s1, a = L["lif1"](s1, L["lin_in"](xs[t]) + L["lin_rec"](prev_z2) + prev_z1)
        s2, b = L["lif2"](s2, L["lin_out"](a))
        prev_z1, prev_z2 = a, b
        np.testing.assert_allclose(z1[t], a, atol=1e-6)
        np.testing.assert_allclose(z2[t], b, atol=1e-6)
    assert np.any(np.asarray(z2) > 0)


def test_concat_merge_order_and_feedback_shapes(getkey):
    # rec reads concat(x_t, rec_{t-1}): the back edge's shape cannot be inferred -> hint
    rec = snn.Sequential(eqx.nn.Linear(5, 4, key=getkey()), snn.LIF(shape=(4,)))
    layers = {"rec": rec}
    with pytest.raises(snn.ShapeError, match="feedback_shapes"):
        snn.Graph(
            layers, edges=[("in", "rec")], recurrent=[("rec", "rec")], merge="concat"
        ).init_state((1,))
    g = snn.Graph(
        layers,
        edges=[("in", "rec")],
        recurrent=[("rec", "rec")],
        merge={"rec": "concat"},
        feedback_shapes={"rec": (4,)},
    )
    state = g.init_state((1,))
    assert state["feedback"]["rec"].shape == (4,)
    _, ys = snn.run(g, jnp.ones((5, 1)) * 2.0)
    assert ys.shape == (5, 4)
    bad = snn.Graph(
        layers,
        edges=[("in", "rec")],
        recurrent=[("rec", "rec")],
        merge="concat",
        feedback_shapes={"rec": (3,)},
    )
    with pytest.raises(snn.ShapeError):
        bad.init_state((2,))


def test_concat_order_edges_then_recurrent():
    ident = eqx.nn.Lambda(lambda x: x)
    g = snn.Graph(
        {"a": add_one, "b": ident, "c": ident},
        edges=[("in", "c"), ("a", "c"), ("in", "a")],
        recurrent=[("a", "b"), ("b", "c")],
        merge={"c": "concat"},
        outputs="c",
        feedback_shapes={"b": (1,)},
    )
    _, yc = snn.run(g, jnp.array([[10.0], [20.0]]))
    # c_t = [x_t, a_t, b_{t-1}] with a_t = x_t + 1 and b_t = a_{t-1}
    np.testing.assert_array_equal(yc, [[10.0, 11.0, 0.0], [20.0, 21.0, 0.0]])


def test_step_all_and_nesting(getkey):
    g = recurrent_snn(getkey())
    state = g.init_state((3,))
    _, outs = g.step_all(state, jnp.ones(3))
    assert set(outs) == {"lin_in", "lif1", "lin_out", "lif2", "lin_rec"}
    net = snn.Sequential(
        g.__class__(
            g.layers,
            edges=[
                ("in", "lin_in"),
                ("lin_in", "lif1"),
                ("lif1", "lin_out"),
                ("lin_out", "lif2"),
                ("lin_rec", "lif1"),
            ],
            recurrent=[("lif2", "lin_rec")],
            outputs="lif2",
        ),
        eqx.nn.Linear(2, 1, key=getkey()),
    )
    _, ys = snn.run(net, jnp.ones((4, 3)))
    assert ys.shape == (4, 1)
