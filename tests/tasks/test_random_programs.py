"""f, g and the seeded program generator behind them (spikead.tasks._program_generator)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from spikead import tasks
from spikead.tasks import random_programs
from spikead.tasks._program_generator import (
    FAMILIES,
    OPS,
    SCALAR_OPS,
    TENSOR_OPS,
    GeneratorError,
    ProgramArgumentError,
    UnknownOpError,
    generate_program,
)

F_SHAPES = (random_programs.F_INPUT_SHAPES, random_programs.F_OUTPUT_SHAPES)
G_SHAPES = (random_programs.G_INPUT_SHAPES, random_programs.G_OUTPUT_SHAPES)


def _uniform(seed, shapes, low=-1.0, high=1.0):
    rng = np.random.default_rng(seed)
    return [jnp.asarray(rng.uniform(low, high, s).astype(np.float32)) for s in shapes]


def _jaxpr_text(program):
    return str(jax.make_jaxpr(program)(*_uniform(0, program.input_shapes)))


# ------------------------------------------------------------------------- the tasks


def test_f_output_shapes():
    task = tasks.load("f_v0")
    out = jax.eval_shape(task.fn, *task.args)
    assert [o.shape for o in out] == [(4, 4), (2, 3), (2,)]
    assert [a.shape for a in task.args] == [(4,), (2, 3), (4, 4), (4, 1)]
    assert task.argnums == (0, 1, 2, 3)


def test_g_output_shapes():
    task = tasks.load("g_v0")
    out = jax.eval_shape(task.fn, *task.args)
    assert len(out) == 20 and all(o.shape == (1, 1) for o in out)
    assert len(task.args) == 15 and all(a.shape == (1, 1) for a in task.args)
    assert task.argnums == tuple(range(15))


def test_args_are_deterministic():
    a, b = random_programs.f_task(), random_programs.f_task()
    assert all((x == y).all() for x, y in zip(a.args, b.args))


@pytest.mark.parametrize(
    "program, shapes, seed, n_ops, ops",
    [
        (
            random_programs.F_PROGRAM,
            F_SHAPES,
            random_programs.F_SEED,
            random_programs.F_N_OPS,
            TENSOR_OPS,
        ),
        (
            random_programs.G_PROGRAM,
            G_SHAPES,
            random_programs.G_SEED,
            random_programs.G_N_OPS,
            SCALAR_OPS,
        ),
    ],
    ids=["f", "g"],
)
def test_tasks_are_the_generators_output(program, shapes, seed, n_ops, ops):
    again = generate_program(seed, *shapes, n_ops, ops)
    assert again == program
    assert _jaxpr_text(again) == _jaxpr_text(program)


@pytest.mark.parametrize("name", ["f_v0", "g_v0"])
def test_value_and_jacobian_finite_and_every_input_matters(name):
    task = tasks.load(name)

    def value_and_jac(*args):  # jac[output][input]
        return task.fn(*args), jax.jacrev(task.fn, argnums=task.argnums)(*args)

    # the tensor program runs faster compiled, the scalar one op by op
    out, jac = (jax.jit(value_and_jac) if name == "f_v0" else value_and_jac)(*task.args)
    assert all(bool(jnp.all(jnp.isfinite(o))) for o in out)
    assert all(bool(jnp.all(jnp.isfinite(x))) for x in jax.tree_util.tree_leaves(jac))
    for i in range(len(task.argnums)):
        block = max(float(jnp.max(jnp.abs(jac[o][i]))) for o in range(len(out)))
        assert block > 0, f"input {i} of {name} does not influence any output"


@pytest.mark.parametrize("name", ["f_v0", "g_v0"])
def test_equation_count_matches_paper(name):
    task = tasks.load(name)
    paper = task.paper["vertices"]
    assert abs(tasks.count_equations(task) - paper) <= 0.05 * paper


def test_character_of_f_and_g():
    f_prims = tasks.primitive_names(tasks.load("f_v0"))
    assert {"dot_general", "reshape", "transpose", "reduce_sum", "reduce_max"} <= f_prims
    assert len(f_prims & {"sin", "cos", "tanh", "logistic", "exp", "log"}) >= 3
    assert random_programs.F_PROGRAM.families() == FAMILIES
    g_prims = tasks.primitive_names(tasks.load("g_v0"))
    assert {"atan2", "pow"} <= g_prims
    assert len(g_prims & {"sin", "cos", "tanh", "exp", "log", "sqrt"}) >= 3
    assert random_programs.G_PROGRAM.families() == ("unary", "binary")


@pytest.mark.parametrize("name", ["f_v0", "g_v0"])
def test_no_dead_equations(name):
    jaxpr = tasks.task_jaxpr(tasks.load(name)).jaxpr
    used = {id(v) for eqn in jaxpr.eqns for v in eqn.invars} | {id(v) for v in jaxpr.outvars}
    dead = [eqn for eqn in jaxpr.eqns if not any(id(v) in used for v in eqn.outvars)]
    assert not dead


# --------------------------------------------------------------------- the generator


def test_same_seed_same_program_different_seed_different_program():
    a = generate_program(3, *F_SHAPES, 20, TENSOR_OPS)
    b = generate_program(3, *F_SHAPES, 20, TENSOR_OPS)
    c = generate_program(4, *F_SHAPES, 20, TENSOR_OPS)
    assert _jaxpr_text(a) == _jaxpr_text(b)
    assert str(a) == str(b)
    assert _jaxpr_text(a) != _jaxpr_text(c)


@pytest.mark.parametrize(
    "seed", [0, 1, pytest.param(2, marks=pytest.mark.slow), pytest.param(3, marks=pytest.mark.slow)]
)
def test_generated_programs_are_safe(seed):
    """Every value stays within its recorded bound (drawn ones within value_cap) for
    inputs in [-1, 1], the Jacobian is finite, and the output shapes are as requested."""
    ins, outs = ((3,), (2, 3), (3, 3)), ((3, 3), (2,))
    drawn = 25
    program = generate_program(seed, ins, outs, drawn)
    assert all(step.bound <= 100.0 for step in program.steps[:drawn])  # the default value_cap
    run = jax.jit(lambda *xs: (program.values(*xs), jax.jacrev(program, argnums=(0, 1, 2))(*xs)))
    for xs in (_uniform(seed, ins), [jnp.ones(s) for s in ins], [-jnp.ones(s) for s in ins]):
        values, jac = run(*xs)
        for step, value in zip(program.steps, values[len(ins) :]):
            assert float(jnp.max(jnp.abs(value))) <= step.bound * (1 + 1e-5) + 1e-6, step
        assert [values[i].shape for i in program.outputs] == list(outs)
        assert all(bool(jnp.all(jnp.isfinite(x))) for x in jax.tree_util.tree_leaves(jac))


def test_every_input_reaches_an_output_structurally():
    ins, outs = ((2,), (3,), (2, 2), (1, 1)), ((3,),)
    for seed in range(5):
        program = generate_program(seed, ins, outs, 6)
        deps = [{i} for i in range(len(ins))]
        for step in program.steps:
            deps.append(set().union(*(deps[i] for i in step.operands)))
        assert set().union(*(deps[i] for i in program.outputs)) == set(range(len(ins)))
        assert len(set(program.outputs)) == len(outs)


def test_generator_uses_several_families():
    program = generate_program(0, *F_SHAPES, 40, TENSOR_OPS)
    assert program.families() == FAMILIES
    counts = program.op_counts()
    assert len(counts) >= 8 and sum(counts.values()) == len(program.steps)


def test_ops_restrict_what_is_drawn():
    ops = ("sin", "mul")
    program = generate_program(1, ((1, 1),) * 3, ((1, 1),) * 2, 12, ops)
    drawn = program.steps[:12]
    assert {step.op for step in drawn} <= set(ops)
    assert all(OPS[step.op].family in ("unary", "binary") for step in program.steps)


def test_errors_name_the_problem():
    with pytest.raises(UnknownOpError, match="softplus"):
        generate_program(0, ((2,),), ((2,),), 3, ("sin", "softplus"))
    with pytest.raises(GeneratorError, match="dot_general"):
        generate_program(0, ((2,), (3,)), ((2,),), 3, ("dot_general",))
    program = generate_program(0, ((2,), (3,)), ((2,),), 3)
    with pytest.raises(ProgramArgumentError, match=r"expected \(3,\)"):
        program(jnp.ones(2), jnp.ones(4))
    with pytest.raises(ProgramArgumentError, match="takes 2 arrays"):
        program(jnp.ones(2))


def test_printed_program_lists_every_step():
    text = str(random_programs.G_PROGRAM)
    assert text.count("\n") == len(random_programs.G_PROGRAM.steps) + 1
    assert "atan2(" in text and text.splitlines()[-1].startswith("    return ")
