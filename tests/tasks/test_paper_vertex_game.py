"""The reconstruction of the AlphaGrad paper's vertex game (tasks/paper/_vertex_game.py)
against Table 1, and the per-equation breakdown of a remaining difference."""

import jax
import jax.numpy as jnp
import pytest

from spikead import tasks
from spikead.tasks.paper import _causes
from spikead.tasks.paper import _vertex_game as vg

# Tasks on which the reconstructed game gives Table 1's vertices, forward, reverse and
# Markowitz exactly (the same five on which convention "paper" of ad.cost does).
REPRODUCED = ("RoeFlux_1d", "HumanHeartDipole", "PropaneCombustion", "RobotArm_6DOF", "g")


@pytest.mark.parametrize("name", REPRODUCED)
def test_game_reproduces_table_1(name):
    paper = tasks.load(name).paper
    want = tuple(paper[k] for k in ("vertices", "forward", "reverse", "markowitz"))
    assert _causes.game_totals(name) == want


def test_game_rules_on_a_small_tensor_program():
    # sum(tanh(W @ x)), W (3, 2), x (2,) (a (2, 1) column). Edge codes: W -> dot -2
    # (Kronecker over the rows), x -> dot 1 (dense), dot -> tanh 2 (column diagonal),
    # tanh -> sum 1. Forward, by hand from the tables: eliminating dot costs 6 per
    # in-edge (W: o1 3 x i-p2 2; x: o1 3 x i-p1 2), eliminating tanh 6 per in-edge.
    def fn(w, x):
        return jnp.sum(jnp.tanh(w @ x))

    closed = jax.make_jaxpr(fn)(jnp.ones((3, 2)), jnp.ones(2))
    game = vg.build(closed)
    codes = {(r, c + 1): int(game.edges[0, r, c]) for r, c in zip(*game.edges[0].nonzero())}
    assert codes == {(1, 1): -2, (2, 1): 1, (3, 2): 2, (4, 3): 1}
    assert game.n_eliminable == 2
    assert vg.forward(game) == [(1, 12), (2, 12)]
    assert vg.markowitz_order(game)[:2] == [2, 1]


def test_breakdown_attributes_every_multiplication():
    rows = _causes.breakdown("RoeFlux_3d", "forward")
    assert sum(r.ours or 0 for r in rows) == 1800  # tests/tasks/test_paper_tasks.py
    assert sum(r.game or 0 for r in rows) == 1468
    by_prim = _causes.summary(rows)
    # the three concatenates: 60 multiplications here, none in the game (code 0: no edge)
    assert by_prim["concatenate"] == (3, 60, 0)


def test_unknown_rank_is_an_error():
    closed = jax.make_jaxpr(jnp.sin)(jnp.ones((2, 2, 2)))
    with pytest.raises(ValueError, match="rank-3 shape"):
        vg.build(closed)
