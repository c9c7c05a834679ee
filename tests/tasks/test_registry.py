"""Registry: names, load, register, errors."""

import jax.numpy as jnp
import pytest

from spikead import tasks

PAPER_ORDER = [
    "RoeFlux_1d",
    "RoeFlux_3d",
    "RobotArm_6DOF",
    "HumanHeartDipole",
    "PropaneCombustion",
    "BlackScholes_Jacobian",
    "f",
    "g",
    "MLP",
    "Encoder",
]


def test_names_in_paper_order():
    assert tasks.names()[:10] == PAPER_ORDER
    assert list(tasks.PAPER_NAMES) == PAPER_ORDER


@pytest.mark.parametrize("name", PAPER_ORDER)
def test_load_gives_consistent_task(name):
    task = tasks.load(name)
    assert task.name == name
    assert tasks.load(name) is task  # cached, deterministic
    assert all(a.dtype == jnp.float32 for a in task.args)
    assert set(task.paper) >= {
        "vertices",
        "forward",
        "reverse",
        "markowitz",
        "alphagrad",
        "gain_percent",
    }
    assert task.paper == tasks.PAPER[name]
    assert task.description


def test_paper_numbers_are_read_only():
    task = tasks.load("MLP")
    with pytest.raises(TypeError):
        task.paper["alphagrad"] = 0  # type: ignore[index]


def test_unknown_name_lists_known_and_suggests_closest():
    with pytest.raises(tasks.UnknownTaskError) as info:
        tasks.load("RoeFlux1d")
    message = str(info.value)
    assert isinstance(info.value, KeyError)
    for name in PAPER_ORDER:
        assert name in message
    assert "Did you mean 'RoeFlux_1d'?" in message


def test_register_and_duplicate():
    task = tasks.Task(name="_test_square", fn=lambda x: x * x, args=(jnp.ones(3),), argnums=(0,))
    try:
        assert tasks.register(task) is task
        assert tasks.load("_test_square") is task
        assert tasks.names()[-1] == "_test_square"
        with pytest.raises(tasks.DuplicateTaskError, match="_test_square"):
            tasks.register(task)
        other = tasks.Task(name="_test_square", fn=jnp.sin, args=(jnp.ones(2),), argnums=(0,))
        tasks.register(other, overwrite=True)
        assert tasks.load("_test_square") is other
    finally:
        from spikead.tasks import _registry

        _registry._FACTORIES.pop("_test_square", None)
        _registry._CACHE.pop("_test_square", None)


def test_register_rejects_non_task():
    with pytest.raises(TypeError, match="Task"):
        tasks.register(lambda x: x)  # type: ignore[arg-type]


def test_task_rejects_bad_argnums():
    with pytest.raises(ValueError, match="argnums"):
        tasks.Task(name="bad", fn=jnp.sin, args=(jnp.ones(2),), argnums=(1,))
