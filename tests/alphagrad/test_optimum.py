"""Proven optima and lower bounds (alphagrad.optimum) against brute force on small graphs."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from spikead import ad
from spikead import alphagrad as ag
from spikead.alphagrad import _optimum

CONVENTIONS = ("paper", "structured")
MAKERS = {
    "scalar": ag.random_scalar_graph,
    "tensor": ag.random_tensor_graph,
    # tensor graphs whose pairs are often index maps (slices, pads): free under structured
    "mapped": lambda seed, **kw: ag.random_tensor_graph(seed, p_map=0.5, **kw),
}


def _small(kind: str, seed: int, n: int = 5):
    return MAKERS[kind](seed, n_inputs=2, n_eliminable=n, n_outputs=2, max_fan_in=3)


def _after(graph, prefix, convention="structured"):
    g = graph.copy()
    for k in prefix:
        ad.eliminate_vertex(g, k, check=True, convention=convention)
    return g


def _min_vertex_cut(nbrs, sources, target, vertices) -> int:
    """Smallest set of vertices (not ``target``) meeting every source-to-target path."""
    others = [v for v in vertices if v != target]
    for size in range(len(others) + 1):
        for cut in itertools.combinations(others, size):
            blocked = set(cut)
            seen, stack = set(), [s for s in sources if s not in blocked and s != target]
            while stack:
                v = stack.pop()
                if v not in seen:
                    seen.add(v)
                    stack += [w for w in nbrs.get(v, ()) if w not in blocked]
            if target not in seen:
                return size
    raise AssertionError("unreachable")


@pytest.mark.parametrize("seed", range(12))
def test_disjoint_paths_is_the_min_vertex_cut(seed):
    graph, _ = _optimum.as_graph(
        ag.random_scalar_graph(seed, n_inputs=3, n_eliminable=6, n_outputs=2, max_fan_in=3)
    )
    vertices = [v.id for v in graph.vertices]
    for k in graph.eliminable:
        assert _optimum._disjoint_paths(graph.succs, graph.inputs, k) == _min_vertex_cut(
            graph.succs, graph.inputs, k, vertices
        )
        assert _optimum._disjoint_paths(graph.preds, graph.outputs, k) == _min_vertex_cut(
            graph.preds, graph.outputs, k, vertices
        )


@pytest.mark.parametrize("convention", CONVENTIONS)
@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_optimum_is_the_brute_force_optimum(kind, convention):
    for seed in range(8):
        sym = _small(kind, seed)
        graph, _ = _optimum.as_graph(sym)
        costs = {
            p: sum(ad.apply_order(graph, list(p), convention=convention))
            for p in itertools.permutations(graph.eliminable)
        }
        brute = min(costs.values())
        for use_bound in (True, False):
            res = ag.optimum(sym, convention=convention, use_bound=use_bound, time_limit=60)
            assert (res.cost, res.lower_bound, res.proven, res.gap) == (brute, brute, True, 0.0), (
                seed,
                use_bound,
                res,
            )
            assert costs[tuple(res.order)] == res.cost


@pytest.mark.parametrize("convention", CONVENTIONS)
@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_vertex_lower_bounds_hold_in_every_completion(kind, convention):
    """After random prefixes, each vertex's bound <= its cost in every order of the rest."""
    rng = np.random.default_rng(0)
    tight = 0
    for seed in range(6):
        sym = _small(kind, 100 + seed, n=6)
        graph, _ = _optimum.as_graph(sym)
        for cut in range(4):
            prefix = [int(k) for k in rng.permutation(graph.eliminable)[:cut]]
            state = _after(graph.priced(convention), prefix, convention)
            bounds = ag.vertex_lower_bounds(state, convention)
            rest = [k for k in graph.eliminable if k not in prefix]
            worst_slack = {k: np.inf for k in bounds}
            for perm in itertools.permutations(rest):
                steps = ad.apply_order(graph, prefix + list(perm), convention=convention)
                for k, c in zip(perm, steps[cut:]):
                    if k in bounds:
                        assert bounds[k] <= c, (seed, prefix, perm, k, bounds[k], c)
                        worst_slack[k] = min(worst_slack[k], c - bounds[k])
            tight += sum(s == 0 for s in worst_slack.values())
    assert tight > 0  # the bound is attained somewhere: it is not trivially 0


@pytest.mark.parametrize("convention", CONVENTIONS)
def test_time_limited_result_is_a_valid_bound(convention):
    sym = ag.random_scalar_graph(4, n_inputs=3, n_eliminable=9, n_outputs=3, max_fan_in=3)
    graph, _ = _optimum.as_graph(sym)
    exact = ag.optimum(sym, convention=convention, use_bound=False, time_limit=120)
    assert exact.proven
    cut = ag.optimum(sym, convention=convention, time_limit=0, dive_every=10**9)
    assert cut.lower_bound <= exact.cost <= cut.cost
    assert cut.proven == (cut.lower_bound == cut.cost)
    assert cut.gap == pytest.approx((cut.cost - cut.lower_bound) / cut.cost, abs=1e-6)
    assert sum(ad.apply_order(graph, cut.order, convention=convention)) == cut.cost
    ad.validate_order(graph, cut.order)


def test_start_orders_and_errors():
    sym = _small("scalar", 3)
    graph, _ = _optimum.as_graph(sym)
    worst = max(
        itertools.permutations(graph.eliminable), key=lambda p: sum(ad.apply_order(graph, list(p)))
    )
    res = ag.optimum(sym, orders={"worst": worst})
    assert res.proven and res.cost == min(
        sum(ad.apply_order(graph, list(p))) for p in itertools.permutations(graph.eliminable)
    )
    with pytest.raises(ValueError, match="convention"):
        ag.optimum(sym, convention="graphax")
    with pytest.raises(TypeError, match="task name"):
        ag.optimum(3)
    with pytest.raises(ad.InvalidOrderError):
        ag.optimum(sym, orders={"bad": [0, 1]})


def test_propane_combustion_optimum_is_the_papers_alphagrad_cost():
    """PropaneCombustion under Graphax's count: the bound meets an order at 88, the
    AlphaGrad paper's best (deterministic: limited by states, not time)."""
    res = ag.optimum(
        "PropaneCombustion", convention="paper", time_limit=float("inf"), max_states=20000
    )
    assert (res.cost, res.lower_bound, res.proven) == (88, 88, True)
    graph, _ = _optimum.as_graph("PropaneCombustion")
    assert sum(ad.apply_order(graph, res.order, convention="paper")) == 88
