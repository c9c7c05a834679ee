"""Padding graphs to one size: same costs, shared compilations, and the joint agent."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from spikead import alphagrad as ag

AGENT = ag.AgentConfig(
    dim=8,
    heads=2,
    layers=1,
    games=8,
    iterations=3,
    simulations=4,
    considered=3,
    updates=2,
    batch=32,
    buffer=2,
    ppo_epochs=1,
)
SEARCH = ag.SearchConfig(budget=64, batch=8, expand=3, max_width=8)


def _graphs():
    return [
        ag.random_scalar_graph(11, n_inputs=3, n_eliminable=9, n_outputs=2, max_fan_in=3),
        ag.random_scalar_graph(12, n_inputs=2, n_eliminable=6, n_outputs=3, max_fan_in=3),
    ]


def _random_mean(graph, n=32, seed=0):
    rng = np.random.default_rng(seed)
    return np.mean([ag.order_cost(graph, rng.permutation(graph.eliminable)) for _ in range(n)])


def test_padded_orders_cost_the_same():
    """Padding vertices and trailing no-op moves change no cost (scalar and tensor)."""
    for graph in (_graphs()[0], ag.random_tensor_graph(5, n_eliminable=7)):
        rng = np.random.default_rng(1)
        orders = np.stack([rng.permutation(graph.eliminable) for _ in range(4)])
        plain = np.asarray(ag.order_costs(ag.encode(graph), jnp.asarray(orders)))
        v = graph.num_vertices + 5
        padded = ag.encode(graph, num_vertices=v, max_rank=3)
        noop = np.full((4, 3), v - 1)  # padding vertex: never legal
        got = np.asarray(ag.order_costs(padded, jnp.asarray(np.concatenate([orders, noop], 1))))
        assert got.tolist() == plain.tolist() == [ag.order_cost(graph, o) for o in orders]


def test_action_mask_offers_one_noop_when_done():
    graph = _graphs()[1]
    state = ag.encode(graph, num_vertices=graph.num_vertices + 2)
    assert (
        np.asarray(ag.action_mask(state)).tolist() == np.asarray(ag.legal_actions(state)).tolist()
    )
    state, _ = ag.rollout(state, jnp.asarray(graph.eliminable))
    mask = np.asarray(ag.action_mask(state))
    assert mask.sum() == 1 and mask[0]
    assert ag.effective_order([5, 0, 5, 4, 3, 0], state.eliminable) == [
        k for k in [5, 4, 3] if k in graph.eliminable
    ]


def test_pad_groups_buckets_by_size_and_rank():
    small, tiny = _graphs()
    tensor = ag.random_tensor_graph(5, n_eliminable=7)
    padded = ag.pad_groups([small, tiny, tensor], scalar_multiple=32, tensor_multiple=16)
    (s0, m0), (s1, m1), (s2, m2) = padded
    assert (s0.num_vertices, s0.max_rank) == (s1.num_vertices, s1.max_rank) == (32, 0)
    assert m0 == m1 == len(small.eliminable)  # the bucket's largest graph
    assert s2.num_vertices == 16 and m2 == len(tensor.eliminable)
    with pytest.raises(ValueError, match="positive"):
        ag.padded_size(small, 0)


@pytest.mark.parametrize("method", ag.CLASSICAL)
def test_padded_classical_search_matches_its_true_cost(method):
    graph = _graphs()[0]
    state = ag.encode(graph, num_vertices=graph.num_vertices + 4)
    res = ag.run_method(
        method,
        state,
        jax.random.key(0),
        search=SEARCH,
        agent=AGENT,
        moves=len(graph.eliminable) + 3,
    )
    assert sorted(res.order) == sorted(graph.eliminable)
    assert ag.order_cost(graph, res.order) == res.cost
    assert res.cost < _random_mean(graph)


@pytest.mark.slow
def test_joint_agent_improves_on_two_graphs():
    graphs = _graphs()
    states, moves = ag.pad_common(graphs)
    assert moves == max(len(g.eliminable) for g in graphs)
    refs = [_random_mean(g) for g in graphs]
    results = ag.alphazero_joint(states, jax.random.key(0), AGENT, references=refs)
    assert len(results) == 2
    for graph, res, ref in zip(graphs, results, refs):
        assert sorted(res.order) == sorted(graph.eliminable)
        assert ag.order_cost(graph, res.order) == res.cost
        assert res.cost < ref  # better than a typical random order
        assert res.cost >= ag.exact_dp(graph).cost  # and never below the optimum
        assert res.evaluations > 0 and res.info["episodes"] == AGENT.iterations * 4


def test_joint_agent_needs_one_padded_size():
    states = [ag.encode(g) for g in _graphs()]
    with pytest.raises(ag.PaddingError, match="pad_common"):
        ag.alphazero_joint(states, jax.random.key(0), AGENT, references=[1.0, 1.0])
