"""The jitted training step: e-prop's plan inside it, one pass per batch, labels checked,
no host sync per batch."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import pytest
from train_helpers import small_model, toy_splits

from spikead import train
from spikead.online import _sparse
from spikead.train import _loop

EPROP = train.AlgorithmConfig(name="eprop", online_method="sparse")
DETACHED = {"beta": 0.95, "threshold": 1.0, "reset": "subtract", "stop_reset_grad": True}


def _plans_in_train_step(monkeypatch, model):
    """The sparse plans built while tracing `fit`'s training step (params are jit arguments)."""
    plans = []

    def spy(*args):
        plans.append(_sparse_make_plan(*args))
        return plans[-1]

    monkeypatch.setattr(_sparse, "make_plan", spy)
    params, frozen = train.split_model(model)
    tx = train.make_optimizer(train.OptimizerConfig(), 1, 1)
    step = _loop.make_train_step(EPROP, tx, frozen)
    x = jnp.zeros((2, 3, model.n_inputs))
    step.lower(params, tx.init(params), x, jnp.zeros(2, jnp.int32), jnp.ones(2))
    return plans


_sparse_make_plan = _sparse.make_plan


@pytest.mark.parametrize(
    "neuron_params,factorised",
    [(DETACHED, True), ({"reset": "zero"}, False)],
    ids=["detached-subtract", "reset-to-zero"],
)
def test_training_step_takes_the_factorised_trace_when_the_structure_allows(
    monkeypatch, neuron_params, factorised
):
    model = small_model(width=8, neuron_params=neuron_params)
    plans = _plans_in_train_step(monkeypatch, model)
    assert len(plans) == 1 and plans[0].exact
    # detached subtractive reset, one decay: M values per trace; reset to zero multiplies the
    # decay by each neuron's (1 - z): per-neuron traces (N x M), whatever way params arrive
    assert plans[0].factorised is factorised, plans[0].describe()


def test_training_step_carries_no_trace_of_the_spike(monkeypatch):
    """The spike z_t = H(v_t - thr) is recomputed from the membrane (`online.derived_state`):
    the plan's state is (v, ysum), its only traces are the membrane's (N x M)."""
    model = small_model(width=8, neuron_params={"reset": "zero"})
    (plan,) = _plans_in_train_step(monkeypatch, model)
    assert len(plan.state_shapes) == 2, plan.describe()  # v and the prediction counter
    assert {s for s, _ in plan.trace} == {0}, plan.describe()
    assert plan.trace_values() == 8 * model.n_inputs, plan.describe()


def test_several_recurrent_layers_keep_the_spike_in_the_state(monkeypatch):
    """Not reduced (on the reduced step the spike reads the previous membrane densely, through
    V @ H(v), and e-prop's cut of the next layer's input is not placed): the training step
    still builds, with every layer's spike a state leaf."""
    model = small_model(width=5, depth=2, recurrent=True)
    plan = _plans_in_train_step(monkeypatch, model)[-1]  # the e-prop plan (built last)
    assert plan.cuts and len(plan.state_shapes) == 5, (
        plan.describe()
    )  # (v, z) per layer, the counter


def test_a_spiking_initial_state_keeps_the_spike_in_the_state(monkeypatch):
    """Threshold below 0: H(0 - thr) = 1 differs from the initial spike 0, so the spike cannot
    be recomputed at t = 0; it stays a state leaf and e-prop still equals BPTT."""
    model = small_model(width=6, neuron_params={"reset": "zero", "threshold": -0.2})
    (plan,) = _plans_in_train_step(monkeypatch, model)
    assert len(plan.state_shapes) == 3, plan.describe()
    params, frozen = train.split_model(model)
    x = (jax.random.uniform(jax.random.key(0), (2, 5, model.n_inputs)) < 0.3).astype(jnp.float32)
    labels, weights = jnp.array([0, 2]), jnp.ones(2)
    (got, g_got), (want, g_want) = (
        jax.jit(train.make_value_and_grad(alg))(params, frozen, x, labels, weights)
        for alg in (EPROP, train.AlgorithmConfig("bptt"))
    )
    assert jnp.allclose(got.loss, want.loss, rtol=1e-6)
    for a, b in zip(jax.tree.leaves(g_got), jax.tree.leaves(g_want)):
        assert jnp.allclose(a, b, rtol=1e-4, atol=1e-6 * float(jnp.max(jnp.abs(b)))), (a, b)


def test_eprop_step_runs_one_pass_over_time():
    model = small_model(width=6)
    params, frozen = train.split_model(model)
    x = jnp.zeros((2, 4, model.n_inputs))
    jaxpr = jax.make_jaxpr(train.make_value_and_grad(EPROP))(
        params, frozen, x, jnp.zeros(2, jnp.int32), jnp.ones(2)
    )
    scans = [e for e in jaxpr.jaxpr.eqns if e.primitive.name == "scan"]
    assert len(scans) == 1  # the online method's scan; accuracy comes out of it (no forward pass)


def test_labels_outside_n_classes_are_refused():
    splits = toy_splits(n_train=16, n_test=8, n_steps=4)
    x, y = splits["test"]
    y = y.copy()
    y[5] = 3
    splits["test"] = (x, y)
    cfg = train.TrainConfig(epochs=1, batch_size=8, progress=False)
    with pytest.raises(train.TrainConfigError, match=r"'test'.*label 3 \(sample 5.*n_classes=3"):
        train.fit(
            small_model(),
            splits,
            train=cfg,
            optimizer=train.OptimizerConfig(),
            algorithm=train.AlgorithmConfig("bptt"),
        )


def test_batch_loop_does_not_sync_with_the_host(monkeypatch):
    """No device array is read on the host while an epoch's batches are being consumed
    (watched in epoch 2: compiling the step in epoch 1 reads the closed-over constants)."""
    # every host read (float, np.asarray, .item) goes through ArrayImpl._value
    from jax._src.array import ArrayImpl

    reads, active, passes = [], [], []
    real_value, real_batches = ArrayImpl._value, _loop._padded_batches

    def value(self):
        if active:
            reads.append(self.shape)
        return real_value.fget(self)

    def batches(x, y, batch_size, order, limit=0):
        passes.append(len(order) == len(splits["train"][0]))
        if passes.count(True) == 2 and passes[-1]:  # epoch 2's training pass
            active.append(True)
        yield from real_batches(x, y, batch_size, order, limit)
        active.clear()

    splits = toy_splits(n_train=48, n_test=8, n_steps=4)
    monkeypatch.setattr(ArrayImpl, "_value", property(value))
    monkeypatch.setattr(_loop, "_padded_batches", batches)
    cfg = train.TrainConfig(epochs=2, batch_size=8, progress=False)
    result = train.fit(
        small_model(),
        {"train": splits["train"], "test": splits["test"]},
        train=cfg,
        optimizer=train.OptimizerConfig(),
        algorithm=train.AlgorithmConfig("bptt"),
    )
    assert reads == [] and len(result.history) == 2 and passes.count(True) == 2
