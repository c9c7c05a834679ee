"""count_equations / primitive_names inline nested jit and custom_jvp_call."""

import jax
import jax.numpy as jnp

from spikead import tasks


def _nested(x):
    return jax.jit(lambda y: jnp.sin(y) * 2.0)(x) + jax.nn.relu(x)


def test_nested_calls_are_inlined():
    task = tasks.Task(name="nested", fn=_nested, args=(jnp.float32(0.5),), argnums=(0,))
    outer = [e.primitive.name for e in tasks.task_jaxpr(task).jaxpr.eqns]
    assert "jit" in outer and "custom_jvp_call" in outer
    # sin, mul (from the jit), max (relu's custom_jvp body, itself a jit), add.
    assert tasks.count_equations(task) == 4
    assert tasks.primitive_names(task) == {"sin", "mul", "max", "add"}
    assert tasks.primitive_counts(task) == {"sin": 1, "mul": 1, "max": 1, "add": 1}


def test_plain_function_counts_every_equation():
    task = tasks.Task(
        name="plain", fn=lambda x: jnp.exp(x) + x * x, args=(jnp.ones(3),), argnums=(0,)
    )
    assert tasks.count_equations(task) == len(tasks.task_jaxpr(task).jaxpr.eqns) == 3
