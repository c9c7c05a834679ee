"""``ad.optimize``: an order no worse than the baselines, that jacve runs exactly."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from spikead import ad, tasks


def _check(task, res):
    assert res.cost <= min(res.baselines.values())
    assert res.cost == ad.cost(task.fn, res.order, *task.args, argnums=task.argnums)
    assert res.baselines["reverse"] == ad.cost(task.fn, "rev", *task.args, argnums=task.argnums)
    with jax.enable_x64(True):
        args = jax.tree.map(lambda a: jnp.asarray(a, jnp.float64), task.args)
        got = ad.jacve(task.fn, order=res.order, argnums=task.argnums)(*args)
        want = jax.jacrev(task.fn, argnums=task.argnums)(*args)
    for g, w in zip(jax.tree.leaves(got), jax.tree.leaves(want), strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("PropaneCombustion", "beam_markowitz"),
        ("RobotArm_6DOF", "anneal_engine"),
        ("MLP", "anneal_engine"),
        pytest.param("PropaneCombustion", "anneal", marks=pytest.mark.slow),
    ],
)
def test_optimize_beats_baselines_and_runs(name, method):
    task = tasks.load(name)
    res = ad.optimize(task.fn, *task.args, method=method, budget=64, argnums=task.argnums)
    assert res.method == method and res.evaluations > 0
    assert sorted(res.order) == sorted(
        ad.make_graph(task.fn, *task.args, argnums=task.argnums).eliminable
    )
    _check(task, res)


def test_exact_dp_on_a_small_function():
    fn = lambda x: jnp.sin(jnp.exp(x[0]) * x[1]) + jnp.cos(x[0] * x[1]) * x[2]
    x = jnp.asarray([0.3, -0.7, 1.1])
    res = ad.optimize(fn, x, method="exact_dp")
    exact = min(ad.cost(fn, o, x) for o in ("fwd", "rev", "markowitz"))
    assert (
        res.cost <= exact
        and res.method == "exact_dp"
        and res.found_by in ("exact_dp", "forward", "reverse", "markowitz")
    )
    np.testing.assert_allclose(ad.jacve(fn, order=res.order)(x), jax.jacrev(fn)(x), rtol=1e-6)


def test_bad_method_and_budget_name_the_choices():
    fn, x = jnp.sin, jnp.ones(3)
    with pytest.raises(ValueError, match="unknown method 'beam'.*beam_markowitz.*exact_dp"):
        ad.optimize(fn, x, method="beam")
    for budget in (0, -3, 2.5, True):
        with pytest.raises(ValueError, match="positive int"):
            ad.optimize(fn, x, budget=budget)
