import equinox as eqx
import jax
import numpy as np

from spikead import snn


def build(key, beta=0.9):
    k1, k2 = jax.random.split(key)
    return snn.Sequential(eqx.nn.Linear(3, 4, key=k1), snn.ALIF(shape=(4,), beta=beta),
                          eqx.nn.Linear(4, 2, key=k2), snn.LI(shape=(2,)))


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
