"""The environment counts in both conventions exactly as the engine does
(``spikead.ad._structure``: ``product_plan`` / ``paper_product_cost``)."""

from __future__ import annotations

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from spikead import ad, tasks
from spikead import alphagrad as ag
from spikead.ad._structure import (
    CONVENTIONS,
    Structure,
    dense_structure,
    identity_structure,
    product_plan,
)
from spikead.alphagrad import _count

PAPER_TASKS = list(tasks.PAPER_NAMES)  # the ten tasks as the paper defines them


def _random_orders(graph, n, seed):
    rng = np.random.default_rng(seed)
    return np.stack([rng.permutation(graph.eliminable) for _ in range(n)])


@pytest.mark.parametrize("convention", CONVENTIONS)
@pytest.mark.parametrize(
    ("maker", "kwargs"),
    [
        (ag.random_scalar_graph, {}),
        (ag.random_tensor_graph, {}),
        (ag.random_tensor_graph, {"max_rank": 3, "sizes": (1, 2, 3)}),
    ],
)
def test_random_graphs_match_reference(maker, kwargs, convention):
    """Env == plain-Python reference (the engine's product rule) on many random graphs."""
    for seed in range(10):
        graph = maker(seed, **kwargs)
        orders = _random_orders(graph, 3, seed)
        got = ag.order_costs(ag.encode(graph, convention=convention), orders).tolist()
        ref = [ag.order_cost(graph, o, convention=convention) for o in orders]
        assert got == ref, f"{graph.name} ({convention})"


N, M = 3, 4
EYE = identity_structure((N,))
DIAG = Structure((N,), (N,), (0,), (0,))  # elementwise: values on the paired label
SCALED = Structure((N,), (N,), (0,), ())  # c * I: one value
DENSE = dense_structure((M,), (N,))
SPREAD = Structure((N, M), (N,), (0,), (1,))  # paired on N, values along the extra out dim M

# (a: k -> y, b: x -> k, structured count, paper count), by hand
HAND = [
    (EYE, EYE, 0, 1),  # identity x identity: 1 under paper (Kronecker kept)
    (DENSE, EYE, 0, M * N),  # a unit partial is not free under paper
    (SCALED, SCALED, 1, 1),  # both paired, no values along k: one product
    (SCALED, DIAG, N, N),  # a single value against a diagonal: its size
    (DIAG, SCALED, N, N),
    (DIAG, EYE, 0, N),
    (DIAG, DIAG, N, N),
    (SPREAD, SCALED, M, M * N),  # no values along k, but one value against M: N products
    (SPREAD, EYE, 0, M),  # ... and against a unit partial: none
]


def _chains(pairs) -> ag.SymGraph:
    """One chain ``x_c -b-> k_c -a-> y_c`` per ``(a, b)``; the ``k_c`` are eliminable."""
    n = len(pairs)
    shapes, edges = [None] * (3 * n), {}
    for c, (a, b) in enumerate(pairs):
        x, k, y = c, n + c, 2 * n + c
        shapes[x], shapes[k], shapes[y] = b.in_shape, a.in_shape, a.out_shape
        edges[(x, k)], edges[(k, y)] = b, a
    return ag.SymGraph(
        shapes=tuple(shapes),
        edges=edges,
        inputs=tuple(range(n)),
        outputs=tuple(range(2 * n, 3 * n)),
        eliminable=tuple(range(n, 2 * n)),
    )


@pytest.mark.parametrize("convention", CONVENTIONS)
def test_hand_products(convention):
    """Each branch of the two rules on a one-product chain: by hand, by the engine's
    product rule and by the env (one step per chain)."""
    graph = _chains([(a, b) for a, b, _, _ in HAND])
    want = [case[2 + CONVENTIONS.index(convention)] for case in HAND]
    assert [product_plan(a, b).cost_in(convention) for a, b, _, _ in HAND] == want
    _, steps = ag.rollout(ag.encode(graph, convention=convention), np.asarray(graph.eliminable))
    assert _count.exact(steps).tolist() == want
    assert ag.step_costs(graph, graph.eliminable, convention=convention) == want


def test_scalar_graphs_charge_every_product_under_paper():
    """Rank-0 graphs (the scalar fast path): every existing product costs 1."""
    graph = ag.random_scalar_graph(5, p_identity=0.5)
    order = list(graph.eliminable)
    state = ag.encode(graph, convention="paper")
    assert state.max_rank == 0
    assert ag.order_costs(state, [order]).tolist() == [
        ag.order_cost(graph, order, convention="paper")
    ]
    assert ag.order_cost(graph, order, convention="paper") > ag.order_cost(graph, order)


def _check_task(name, convention, x64=False):
    """Env == engine (``ad.cost`` / ``ad.apply_order``) on a task in ``convention``:
    forward / reverse / Markowitz and random orders."""
    task = tasks.load(name)
    with jax.enable_x64(x64):
        tg = ag.load_task_graph(name, convention)
        assert tg.convention == tg.state.convention == convention
        orders = [tg.sym.position_order(tg.baselines[b]) for b in ag.BASELINES]
        orders += list(_random_orders(tg.sym, 3, 0))
        got = ag.order_costs(tg.state, orders).tolist()
        # the same mode: a task may trace to another graph with x64 on
        public = ad.cost(
            task.fn,
            tg.sym.id_order(orders[-1]),
            *task.args,
            argnums=task.argnums,
            convention=convention,
        )
    engine = [tg.engine_cost(tg.sym.id_order(o)) for o in orders]
    assert got == engine
    assert got[:3] == [tg.baseline_costs[b] for b in ag.BASELINES]
    assert got[-1] == public
    return got


def test_paper_count_of_a_paper_task():
    """PropaneCombustion, the paper's definition: the env's baselines are Table 1's."""
    got = _check_task("PropaneCombustion", "paper")
    paper = tasks.load("PropaneCombustion").paper
    assert got[:3] == [paper[b] for b in ag.BASELINES]


@pytest.mark.slow
@pytest.mark.parametrize("x64", [False, True])
@pytest.mark.parametrize("convention", CONVENTIONS)
@pytest.mark.parametrize("name", PAPER_TASKS)
def test_every_task_both_conventions(name, convention, x64):
    _check_task(name, convention, x64)


def test_states_of_two_conventions_are_not_stacked():
    graphs = [ag.random_tensor_graph(s) for s in (0, 1)]
    states = [
        ag.encode(g, num_vertices=12, max_rank=2, narrow=True, convention=c)
        for g, c in zip(graphs, CONVENTIONS)
    ]
    with pytest.raises(ag.PaddingError, match="convention"):
        ag.alphazero_joint(states, jax.random.key(0), ag.AgentConfig(), references=[1, 1])
    assert {s.convention for s in ag.pad_common(graphs, convention="paper")[0]} == {"paper"}


def test_unknown_convention_is_refused():
    graph = ag.random_scalar_graph(0)
    for call in (
        lambda: ag.encode(graph, convention="graphax"),
        lambda: ag.order_cost(graph, graph.eliminable, convention="graphax"),
        lambda: ag.exact_dp(graph, convention="graphax"),
        lambda: ag.load_task_graph("PropaneCombustion", "graphax"),
    ):
        with pytest.raises(ValueError, match="'graphax'"):
            call()


def test_exact_dp_is_the_optimum_under_paper():
    """On small scalar graphs the DP equals the brute-force minimum over all orders."""
    for seed in range(3):
        graph = ag.random_scalar_graph(seed, n_eliminable=6)
        brute = min(
            ag.order_cost(graph, o, convention="paper")
            for o in itertools.permutations(graph.eliminable)
        )
        assert ag.exact_dp(graph, convention="paper").cost == brute


def _mlp(params, x):
    """3-layer MLP, width 1024: tanh, tanh, linear."""
    for w in params[:-1]:
        x = jnp.tanh(w @ x)
    return params[-1] @ x


@pytest.mark.parametrize("x64", [False, True])
def test_wide_mlp_paper_count_is_exact(x64):
    """Beyond int32 under the paper's count too: env == ``ad.cost`` (x64 off and on)."""
    params, x = [jnp.zeros((1024, 1024))] * 3, jnp.zeros((1024,))
    with jax.enable_x64(x64):
        graph = ad.make_graph(_mlp, params, x, argnums=1)
        sym = ag.from_engine(graph)
        names = ("fwd", "rev", "markowitz")
        orders = [sym.position_order(ad.resolve_order(graph, o)) for o in names]
        got = ag.order_costs(ag.encode(sym, convention="paper"), orders).tolist()
        want = [ad.cost(_mlp, o, params, x, argnums=1, convention="paper") for o in names]
    assert got == want and min(got) > 2**31
