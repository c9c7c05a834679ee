import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax

from spikead import snn


def test_trainable_filter_freezes_named_fields(getkey):
    model = snn.Sequential(
        eqx.nn.Linear(2, 3, key=getkey()), snn.LIF(shape=(3,), surrogate=snn.Sigmoid(slope=3.0))
    )
    spec = snn.trainable_filter(model, freeze=("beta", "threshold"))
    assert spec.layers[0].weight and spec.layers[0].bias
    assert not spec.layers[1].beta and not spec.layers[1].threshold
    params, static = eqx.partition(model, spec)

    def loss(p):
        _, ys = snn.run(eqx.combine(p, static), jnp.ones((4, 2)) * 2.0)
        return jnp.sum(ys)

    opt = optax.sgd(0.5)
    grads = jax.grad(loss)(params)
    updates, _ = opt.update(grads, opt.init(params))
    new = eqx.combine(eqx.apply_updates(params, updates), static)
    np.testing.assert_array_equal(new.layers[1].beta, model.layers[1].beta)
    assert not np.array_equal(new.layers[0].weight, model.layers[0].weight)


def test_default_filter_trains_everything(getkey):
    lif = snn.LIF(shape=(3,))
    spec = snn.trainable_filter(lif)
    assert spec.beta and spec.threshold
