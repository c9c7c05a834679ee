import equinox as eqx
import jax
import numpy as np
import pytest

from spikead import snn


def build(key, beta=0.9):
    k1, k2 = jax.random.split(key)
    return snn.Sequential(
        eqx.nn.Linear(3, 4, key=k1),
        snn.ALIF(shape=(4,), beta=beta),
        eqx.nn.Linear(4, 2, key=k2),
        snn.LI(shape=(2,)),
    )


def test_save_load_round_trip(tmp_path, getkey):
    model = build(getkey(), beta=np.linspace(0.5, 0.9, 4))
    path = tmp_path / "model.eqx"
    snn.save(path, model)
    skeleton = build(getkey())  # different values, same structure
    loaded = snn.load(path, like=skeleton)
    for a, b in zip(jax.tree_util.tree_leaves(model), jax.tree_util.tree_leaves(loaded)):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(skeleton.layers[1].beta, loaded.layers[1].beta)
    xs = jax.random.uniform(getkey(), (5, 3))
    np.testing.assert_array_equal(snn.run(model, xs)[1], snn.run(loaded, xs)[1])


def _layers(key):
    """One of each layer type snn.save describes, inside a Sequential (same-shape chain)."""
    k1, k2, k3, k4 = jax.random.split(key, 4)
    return [
        eqx.nn.Linear(3, 4, key=k1),
        snn.LIF(
            4,
            beta=np.linspace(0.5, 0.9, 4),
            reset="subtract",
            surrogate=snn.Arctan(3.0),
            stop_reset_grad=True,
        ),
        snn.IAF(4, threshold=0.7),
        snn.CuBaLIF(4, alpha=0.7),
        snn.ALIF(4, rho=0.9),
        snn.AdLIF(4, a=0.3),
        snn.SigmaDelta(4, threshold=0.05, activation="identity"),
        snn.Scale(np.linspace(0.5, 1.5, 4)),
        snn.Residual(snn.LIF(4, surrogate="sigmoid")),
        snn.SpikeCounter(),
        eqx.nn.Dropout(0.1, inference=True),
        eqx.nn.Linear(4, 2, use_bias=False, key=k2),
        snn.LI(2),
    ], [
        eqx.nn.Conv2d(1, 2, 3, padding=1, stride=1, key=k3),
        snn.LIF((2, 4, 4)),
        snn.SpikingPool((2, 2), mode="max", threshold=0.2),
        eqx.nn.AvgPool2d(1, 1),
        snn.Flatten(),
        eqx.nn.Linear(8, 2, key=k4),
    ]


def _same(model, loaded, xs):
    assert jax.tree.structure(model) == jax.tree.structure(loaded)
    for a, b in zip(jax.tree.leaves(model), jax.tree.leaves(loaded)):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(snn.run(model, xs)[1], snn.run(loaded, xs)[1])


def test_save_load_without_skeleton_every_layer(tmp_path, getkey):
    dense, conv = _layers(getkey())
    for layers, shape in ((dense, (3,)), (conv, (1, 4, 4))):
        model = snn.Sequential(*layers)
        path = tmp_path / "model.eqx"
        snn.save(path, model)
        _same(model, snn.load(path), jax.random.uniform(getkey(), (3, *shape)))


def test_save_load_graph_without_skeleton(tmp_path, getkey):
    k1, k2, k3 = jax.random.split(getkey(), 3)
    model = snn.Graph(
        {
            "b": snn.Sequential(eqx.nn.Linear(7, 4, key=k1), snn.LIF(4)),
            "a": eqx.nn.Linear(3, 3, key=k2),
            "c": eqx.nn.Linear(4, 2, key=k3),
            "d": snn.LI(2),
        },
        edges=[("in", "a"), ("b", "c"), ("a", "b"), ("c", "d")],
        recurrent=[("b", "b")],
        merge={"b": "concat"},
        outputs=["d", "b"],
        feedback_shapes={"b": (4,)},
    )
    path = tmp_path / "graph.eqx"
    snn.save(path, model)
    loaded = snn.load(path)
    assert loaded.order == model.order and loaded.inputs == model.inputs
    xs = jax.random.uniform(getkey(), (6, 3))
    assert jax.tree.structure(model) == jax.tree.structure(loaded)
    for u, v in zip(snn.run(model, xs)[1], snn.run(loaded, xs)[1]):
        np.testing.assert_array_equal(u, v)


def test_load_rejects_other_format_version(tmp_path, getkey):
    path = tmp_path / "model.eqx"
    snn.save(path, snn.LIF(3))
    raw = path.read_bytes()
    path.write_bytes(raw.replace(b'"format_version": 1', b'"format_version": 7', 1))
    with pytest.raises(snn.SNNError, match="format version 7.*reads version 1"):
        snn.load(path)


def test_leaves_only_file_needs_a_skeleton(tmp_path, getkey):
    model = build(getkey())
    path = tmp_path / "old.eqx"
    eqx.tree_serialise_leaves(path, model)  # the format of earlier versions
    with pytest.raises(snn.SNNError, match="like="):
        snn.load(path)
    loaded = snn.load(path, like=build(getkey()))
    for a, b in zip(jax.tree.leaves(model), jax.tree.leaves(loaded)):
        np.testing.assert_array_equal(a, b)


def test_undescribable_layer_still_saves_with_skeleton(tmp_path, getkey):
    model = snn.Sequential(eqx.nn.Linear(3, 3, key=getkey()), eqx.nn.Lambda(jax.nn.relu))
    path = tmp_path / "lambda.eqx"
    snn.save(path, model)
    with pytest.raises(snn.SNNError, match="Lambda"):
        snn.load(path)
    loaded = snn.load(path, like=model)
    np.testing.assert_array_equal(loaded.layers[0].weight, model.layers[0].weight)
