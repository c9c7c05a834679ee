"""f and g: output structure."""

import jax

from spikead import tasks


def test_f_output_shapes():
    task = tasks.load("f")
    out = jax.eval_shape(task.fn, *task.args)
    assert [o.shape for o in out] == [(4, 4), (2, 3), (2,)]
    assert [a.shape for a in task.args] == [(4,), (2, 3), (4, 4), (4, 1)]


def test_g_output_shapes():
    task = tasks.load("g")
    out = jax.eval_shape(task.fn, *task.args)
    assert len(out) == 20 and all(o.shape == (1, 1) for o in out)
    assert len(task.args) == 15 and all(a.shape == (1, 1) for a in task.args)


def test_args_are_deterministic():
    from spikead.tasks.random_programs import f_task

    a, b = f_task(), f_task()
    assert all((x == y).all() for x, y in zip(a.args, b.args))
