"""The benchmark's methods on the engine graph (``anneal_engine``, ``exact``: A* with a
time limit) and the jitted annealing of the environment."""

from __future__ import annotations

import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest

from spikead import ad
from spikead import alphagrad as ag
from spikead.alphagrad import _local, _optimum

CONVENTIONS = ("paper", "structured")


def _program(x, y):
    """A small program with 6 eliminable vertices, reused intermediates, two outputs."""
    a = jnp.sin(x) * y
    b = a + jnp.exp(y)
    c = jnp.tanh(a * b)
    return c - b, c * a


@pytest.mark.parametrize("convention", CONVENTIONS)
def test_exact_is_the_brute_force_optimum_and_ad_cost_agrees(convention):
    x, y = jnp.float32(0.3), jnp.float32(-0.7)
    graph = ad.make_graph(_program, x, y, argnums=(0, 1))
    sym = ag.from_engine(graph, "program")
    assert 5 <= len(graph.eliminable) <= 7
    brute = min(
        sum(ad.apply_order(graph, list(p), convention=convention))
        for p in itertools.permutations(graph.eliminable)
    )
    res = ag.exact_search(graph, sym, convention=convention, time_limit=60)
    assert (res.method, res.cost, res.info["lower_bound"], res.info["proven"]) == (
        "exact",
        brute,
        brute,
        True,
    )
    assert sorted(res.order) == sorted(sym.eliminable)  # positions, like every method
    ids = sym.id_order(res.order)
    assert ad.cost(_program, ids, x, y, argnums=(0, 1), convention=convention) == res.cost
    assert res.curve == [(res.evaluations, res.cost)] and res.evaluations >= 1


@pytest.mark.parametrize("kind", ["scalar", "tensor"])
def test_exact_on_random_graphs_and_from_start_orders(kind):
    """Optimal on small random graphs (positions != ids); a start order that is the
    optimum is kept; with no time the result is a valid bound at most the starts."""
    make = {"scalar": ag.random_scalar_graph, "tensor": ag.random_tensor_graph}[kind]
    for seed in range(4):
        sym = make(seed, n_inputs=2, n_eliminable=6, n_outputs=2, max_fan_in=3)
        graph, _ = _optimum.as_graph(sym)
        costs = {
            p: sum(ad.apply_order(graph, list(p), convention="paper"))
            for p in itertools.permutations(graph.eliminable)
        }
        best = min(costs, key=costs.get)
        res = ag.exact_search(graph, sym, convention="paper", time_limit=60)
        assert res.cost == costs[best] == costs[tuple(res.order)] and res.info["proven"]
        worst = max(costs, key=costs.get)
        quick = ag.exact_search(
            graph, sym, convention="paper", time_limit=0, orders={"w": list(worst)}
        )
        assert quick.info["lower_bound"] <= costs[best] <= quick.cost
        assert quick.cost == costs[tuple(quick.order)] <= costs[worst]
        assert quick.info["proven"] == (quick.info["lower_bound"] == quick.cost)


@pytest.mark.parametrize("convention", CONVENTIONS)
def test_engine_annealing_is_exact_and_reaches_the_optimum(convention):
    """Reported cost = the engine's count of the order; never above its start, never below
    the brute-force optimum, which it reaches on these small graphs."""
    for seed in range(3):
        sym = ag.random_tensor_graph(seed, n_inputs=2, n_eliminable=6, n_outputs=2, max_fan_in=3)
        graph, _ = _optimum.as_graph(sym)
        costs = {
            p: sum(ad.apply_order(graph, list(p), convention=convention))
            for p in itertools.permutations(graph.eliminable)
        }
        worst = max(costs, key=costs.get)
        res = ag.engine_annealing(
            graph,
            sym,
            300,
            jax.random.key(seed),
            convention=convention,
            starts=[list(worst)],
            chains=2,
            checkpoint=2,
        )
        assert res.method == "anneal_engine" and sorted(res.order) == sorted(sym.eliminable)
        assert costs[tuple(res.order)] == res.cost == min(costs.values()) < costs[worst]
        assert res.curve[-1][1] == res.cost and 300 <= res.evaluations < 300 + 2
        bests = [c for _, c in res.curve]
        assert bests == sorted(bests, reverse=True)
    with pytest.raises(ValueError, match="chains"):
        ag.engine_annealing(graph, sym, 10, jax.random.key(0), convention="paper", chains=0)


@pytest.mark.parametrize("every", [1, 3, 50])
def test_engine_chain_replays_from_checkpoints_and_stops_early_exactly(every):
    """The two savings of anneal_engine: pricing a move from the last checkpoint before
    it equals the full count, and a candidate is dropped (None) iff its cost passes the
    limit; adopting it leaves the same step costs as a full replay."""
    sym = ag.random_tensor_graph(4, n_inputs=3, n_eliminable=12, n_outputs=3, max_fan_in=3)
    graph, _ = _optimum.as_graph(sym)
    rng = np.random.default_rng(every)
    full = lambda o: ad.apply_order(graph, o, convention="paper")
    chain = _local._Chain(
        graph, [int(k) for k in rng.permutation(graph.eliminable)], "paper", every
    )
    for _ in range(30):
        cand, start = _local._move(rng, chain.order)
        assert cand[:start] == chain.order[:start]
        true = sum(full(cand))
        assert chain.price(cand, start, math.inf)[0] == true
        assert chain.price(cand, start, true)[0] == true
        assert chain.price(cand, start, true - 0.5)[0] is None
        chain.rebuild(cand, start)
        assert chain.steps == full(cand) and chain.cost == true and chain.order == cand


def test_search_task_runs_engine_methods_and_exact_last_with_bound_columns():
    tg = ag.load_task_graph("PropaneCombustion", "paper")
    search = ag.SearchConfig(budget=16, batch=4, engine_budget=32, exact_time_limit=60)
    rows, _ = ag.search_task(
        tg, ["exact", "anneal_engine", "random"], [3], search=search, agent=ag.AgentConfig()
    )
    assert [r["method"] for r in rows] == ["anneal_engine", "random", "exact"]
    assert rows[0]["best_cost"] <= tg.best_baseline  # it starts from the baselines
    exact = rows[-1]
    assert (exact["best_cost"], exact["lower_bound"], exact["proven"], exact["seed"]) == (
        88,
        88,
        True,
        3,
    )  # the proven optimum of this graph under the paper's count (test_optimum.py)
    assert exact["best_cost"] <= min(r["best_cost"] for r in rows)
    table = ag.table1(pd.DataFrame(rows), {"PropaneCombustion": 51})
    assert table.loc[0, "lower_bound"] == 88 and bool(table.loc[0, "proven"])
    assert ag.summary(table)["tasks_proven_optimal"] == ["PropaneCombustion"]
    for method in ag.ENGINE:
        with pytest.raises(ag.UnknownMethodError, match="search_task"):
            ag.run_method(method, tg.state, None, search=search, agent=ag.AgentConfig())


def test_annealing_blocks_do_not_change_the_run():
    """The last block is padded with inactive steps: any block size gives the same run,
    and the curve has one point per step ending at the reported cost."""
    sym = ag.random_scalar_graph(5, n_inputs=3, n_eliminable=8, n_outputs=3, max_fan_in=3)
    state = ag.encode(sym, convention="paper")
    runs = [
        ag.simulated_annealing(state, 120, jax.random.key(2), chains=4, block=b) for b in (7, 32)
    ]
    a, b = runs
    assert (a.cost, a.order, a.curve) == (b.cost, b.order, b.curve)
    assert len(a.curve) == 1 + a.info["steps"] and a.curve[-1][1] == a.cost
    assert ag.order_cost(sym, a.order, convention="paper") == a.cost
    assert np.all(np.diff([c for _, c in a.curve]) <= 0)
    # every chain from one start (cycled): the first point is that start's cost
    start = list(sym.eliminable)[::-1]
    c = ag.simulated_annealing(
        state, 8, jax.random.key(0), chains=4, starts=[start], start_chains=4, block=32
    )
    assert c.curve[0][1] == ag.order_cost(sym, start, convention="paper") >= c.cost
    with pytest.raises(ValueError, match="start_chains"):
        ag.simulated_annealing(
            state, 8, jax.random.key(0), chains=4, starts=[start], start_chains=5
        )
