"""Search methods: each beats random orders, none beats the exact optimum."""

from __future__ import annotations

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from spikead import alphagrad as ag
from spikead.alphagrad import _search as ag_search

AGENT = ag.AgentConfig(
    dim=8,
    heads=2,
    layers=1,
    games=8,
    iterations=2,
    simulations=4,
    considered=3,
    updates=2,
    batch=32,
    buffer=2,
    ppo_epochs=1,
)
SEARCH = ag.SearchConfig(budget=96, batch=8, expand=3, max_width=16)


@pytest.fixture(scope="module")
def small():
    graph = ag.random_scalar_graph(7, n_inputs=3, n_eliminable=10, n_outputs=3, max_fan_in=3)
    state = ag.encode(graph)
    rng = np.random.default_rng(0)
    orders = np.stack([rng.permutation(graph.eliminable) for _ in range(32)])
    random_costs = np.asarray(ag.order_costs(state, jnp.asarray(orders)))
    return graph, state, ag.exact_dp(graph), random_costs


def test_exact_dp_is_the_brute_force_optimum():
    graph = ag.random_scalar_graph(3, n_inputs=2, n_eliminable=6, n_outputs=2, max_fan_in=3)
    brute = min(ag.order_cost(graph, p) for p in itertools.permutations(graph.eliminable))
    res = ag.exact_dp(graph)
    assert res.cost == brute
    assert ag.order_cost(graph, res.order) == res.cost


def test_exact_dp_refuses_large_graphs():
    with pytest.raises(ag.TooLargeError, match="max_vertices"):
        ag.exact_dp(ag.random_scalar_graph(0, n_eliminable=20), max_vertices=16)


@pytest.mark.parametrize(
    "method",
    [
        pytest.param(m, marks=pytest.mark.slow) if m in ag.AGENTS else m
        for m in ag.CLASSICAL + ag.AGENTS
    ],
)
def test_method_beats_random_and_not_the_optimum(small, method):
    graph, state, optimum, random_costs = small
    res = ag.run_method(
        method,
        state,
        jax.random.key(1),
        search=SEARCH,
        agent=AGENT,
        reference=float(random_costs.min()),
    )
    assert sorted(res.order) == sorted(graph.eliminable)
    assert ag.order_cost(graph, res.order) == res.cost  # reported cost is the true cost
    assert res.cost >= optimum.cost  # nothing beats the optimum
    assert res.cost < random_costs.mean()  # better than a typical random order
    evals = [e for e, _ in res.curve]
    assert evals == sorted(evals) and res.evaluations > 0
    bests = [c for _, c in res.curve]
    assert bests == sorted(bests, reverse=True) and bests[-1] == res.cost
    if method in ag.AGENTS:  # one mean episode cost per iteration, never below the best
        assert len(res.info["mean_costs"]) == AGENT.iterations
        assert min(res.info["mean_costs"]) >= res.cost


def test_annealing_never_worse_than_its_starts(small):
    graph, state, _, _ = small
    start = list(graph.eliminable)[::-1]
    res = ag.simulated_annealing(state, 64, jax.random.key(0), chains=8, starts=[start])
    assert res.cost <= ag.order_cost(graph, start)


def test_safe_prefix_matches_engine():
    from spikead import ad

    tg = ag.load_task_graph("PropaneCombustion")
    _, prefix = ag.safe_prefix(tg.state)
    assert tg.sym.id_order(prefix) == list(ad.safe_preelimination(tg.graph))


def test_unknown_method():
    with pytest.raises(ag.UnknownMethodError, match="choose from"):
        ag.run_method("genetic", None, None, search=SEARCH, agent=AGENT)
    with pytest.raises(ag.UnknownMethodError, match="alphazero_joint"):
        ag.run_method("alphazero_joint", None, None, search=SEARCH, agent=AGENT)


def test_merge_keeps_the_cheapest_child_per_set():
    rng = np.random.default_rng(3)
    sets = rng.random((6, 9)) < 0.5
    pick = rng.integers(0, 6, 40)
    costs = rng.integers(0, 50, 40).astype(np.float32)
    merged = np.asarray(ag_search._merge_same_sets(jnp.asarray(sets[pick]), jnp.asarray(costs)))
    for s in np.unique(pick):
        group = np.flatnonzero(pick == s)
        kept = group[np.isfinite(merged[group])]
        assert len(kept) == 1 and costs[kept[0]] == costs[group].min()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_merged_beam_as_wide_as_every_subset_is_the_exact_optimum(seed):
    """With one entry per eliminated set and every child expanded, the beam is the
    dynamic program over subsets, so it must find the optimum; without merging the
    same width can fall short (seeds 0 and 2 here)."""
    graph = ag.random_scalar_graph(seed, n_inputs=3, n_eliminable=9, n_outputs=3, max_fan_in=3)
    state = ag.encode(graph)
    optimum = ag.exact_dp(graph).cost
    # every vertex expanded, width 128 >= C(9, 4) = 126 sets
    res = ag.beam_search(
        state, 10**6, kind="markowitz", expand=9, max_width=128, safe=False, merge=True
    )
    assert res.cost == optimum == ag.order_cost(graph, res.order)
    assert res.info["width"] == 128


@pytest.mark.parametrize("agent", ["alphazero", pytest.param("ppo", marks=pytest.mark.slow)])
def test_learning_rate_decays_over_the_steps_taken(small, agent, monkeypatch):
    """The cosine schedule spans exactly the Adam steps a run takes: AlphaZero does not
    multiply by ppo_epochs (it used to, so its rate barely decayed), PPO does."""
    from spikead.alphagrad import _alphazero, _ppo

    cfg = ag.AgentConfig(
        dim=8,
        heads=2,
        layers=1,
        games=4,
        iterations=2,
        simulations=2,
        considered=2,
        updates=2,
        batch=8,
        buffer=1,
        ppo_epochs=3,
    )
    module, name = (_alphazero, "_az_update") if agent == "alphazero" else (_ppo, "_ppo_update")
    calls, lengths = [], set()

    def fake_update(net, opt_state, *args):  # records the schedule length it is given
        calls.append(1)
        lengths.add(args[-1])
        return net, opt_state, jnp.float32(0.0)

    monkeypatch.setattr(module, name, fake_update)
    _, state, _, _ = small
    getattr(ag, agent)(state, jax.random.key(0), cfg, reference=1.0)
    epochs = cfg.ppo_epochs if agent == "ppo" else 1
    assert lengths == {len(calls)} == {cfg.iterations * cfg.updates * epochs}
    assert ag.optimizer_steps(cfg, agent) == len(calls)
