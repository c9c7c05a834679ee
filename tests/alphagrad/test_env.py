"""The jitted environment against the plain-Python reference and the engine."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from spikead import ad
from spikead import alphagrad as ag
from spikead.alphagrad import _count
from spikead.alphagrad._env import index_maps
from spikead.alphagrad._reference import eliminate

SMALL_TASKS = ("PropaneCombustion", "MLP")  # one scalar and one tensor graph; the rest: slow
TASKS = (
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
)


def _random_orders(graph, n, seed):
    rng = np.random.default_rng(seed)
    return np.stack([rng.permutation(graph.eliminable) for _ in range(n)])


@pytest.mark.parametrize("p_map", [0.0, 0.5])
@pytest.mark.parametrize("seed", range(6))
def test_step_matches_reference_structures(seed, p_map):
    """After every step the env's edges equal the reference's structures and costs
    (``p_map``: pairs through index maps, composed, summed and masked)."""
    graph = ag.random_tensor_graph(seed, n_eliminable=7, max_rank=2, p_map=p_map)
    state = ag.encode(graph)
    if state.max_rank == 0:
        pytest.skip("unit graph")
    maps = index_maps(graph)
    assert (len(maps) > 1) == (p_map > 0)
    order = _random_orders(graph, 1, seed)[0]
    edges = dict(graph.edges)
    jstep = jax.jit(ag.step)
    for k in order:
        out = jstep(state, int(k))
        expected = eliminate(edges, int(k))
        assert -float(out.reward) == expected
        state = out.state
        assert ag.decode(state, graph.shapes, maps) == edges
    assert bool(out.done)


@pytest.mark.parametrize("convention", ["structured", "paper"])
def test_index_map_graphs_cost_as_the_reference_and_pad_together(convention):
    """Graphs with index maps: env == reference in both conventions (``paper``: maps
    densified), also when padded to a common size and table of maps with other graphs."""
    graphs = [
        ag.random_tensor_graph(seed, n_eliminable=6, max_rank=3, p_map=0.5) for seed in range(6)
    ]
    graphs.append(ag.random_tensor_graph(99, n_eliminable=6))  # no index map
    states, _ = ag.pad_common(graphs, convention=convention)
    assert len({s.num_maps for s in states}) == 1
    for graph, padded in zip(graphs, states):
        orders = _random_orders(graph, 4, 1)
        ref = [ag.order_cost(graph, o, convention=convention) for o in orders]
        alone = ag.order_costs(ag.encode(graph, convention=convention), jnp.asarray(orders))
        assert alone.tolist() == ref == ag.order_costs(padded, jnp.asarray(orders)).tolist()


@pytest.mark.parametrize("maker", [ag.random_scalar_graph, ag.random_tensor_graph])
def test_order_costs_match_reference_on_random_graphs(maker):
    for seed in range(8):
        graph = maker(seed)
        orders = _random_orders(graph, 3, seed)
        got = np.asarray(ag.order_costs(ag.encode(graph), jnp.asarray(orders)))
        ref = [ag.order_cost(graph, o) for o in orders]
        assert got.tolist() == ref, f"graph seed {seed}"


def _check_task(name):
    """Env == engine on a task: forward / reverse / Markowitz and random orders' costs,
    every vertex's Markowitz degree, and the safe pre-elimination prefix."""
    tg = ag.load_task_graph(name)
    orders = [tg.sym.position_order(tg.baselines[b]) for b in ag.BASELINES]
    orders += list(_random_orders(tg.sym, 3, 0))
    got = ag.order_costs(tg.state, jnp.asarray(orders)).tolist()
    engine = [int(sum(ad.apply_order(tg.graph, tg.sym.id_order(o)))) for o in orders]
    assert got == engine
    assert got[:3] == [tg.baseline_costs[b] for b in ag.BASELINES]
    degrees = _count.exact(jax.jit(ag.markowitz_degrees)(tg.state))
    for pos in tg.sym.eliminable:
        assert degrees[pos] == ad.markowitz_degree(tg.graph, tg.sym.ids[pos]), pos
    _, prefix = ag.safe_prefix(tg.state)
    assert tuple(tg.sym.id_order(prefix)) == ad.safe_preelimination(tg.graph)


@pytest.mark.parametrize("name", SMALL_TASKS)
def test_env_cost_equals_engine_cost_small_tasks(name):
    _check_task(name)


@pytest.mark.slow
@pytest.mark.parametrize("name", [t for t in TASKS if t not in SMALL_TASKS])
def test_env_cost_equals_engine_cost_all_tasks(name):
    _check_task(name)


def test_engine_cost_function_agrees_on_a_task():
    """``spikead.ad.cost`` (the public API) prices the env's orders the same."""
    from spikead import tasks

    task = tasks.load("PropaneCombustion")
    tg = ag.load_task_graph("PropaneCombustion")
    order = _random_orders(tg.sym, 1, 3)[0]
    env = int(ag.order_costs(tg.state, jnp.asarray(order)[None])[0])
    assert env == ad.cost(task.fn, tg.sym.id_order(order), *task.args, argnums=task.argnums)


def test_vmap_and_jit_agree_with_single_steps():
    graph = ag.random_tensor_graph(11, n_eliminable=6)
    state = ag.encode(graph)
    elim = list(graph.eliminable)
    batch = jax.tree.map(lambda x: jnp.broadcast_to(x, (len(elim),) + x.shape), state)
    out = jax.jit(jax.vmap(ag.step))(batch, jnp.asarray(elim))
    jstep = jax.jit(ag.step)
    for b, k in enumerate(elim):
        single = jstep(state, k)
        assert float(out.reward[b]) == float(single.reward)
        assert np.array_equal(np.asarray(out.state.exists[b]), np.asarray(single.state.exists))


def test_illegal_action_is_a_no_op():
    graph = ag.random_scalar_graph(2)
    state = ag.encode(graph)
    step = jax.jit(ag.step)
    for k in (graph.inputs[0], graph.outputs[0]):
        out = step(state, k)
        assert float(out.reward) == 0.0
        assert np.array_equal(np.asarray(out.state.exists), np.asarray(state.exists))
    k = graph.eliminable[0]
    once = step(state, k).state
    twice = step(once, k)
    assert float(twice.reward) == 0.0 and ag.cost_of(twice.state) == ag.cost_of(once)
    assert bool(jnp.all(ag.legal_actions(state)[jnp.asarray(graph.eliminable)]))


def test_scalar_hand_case():
    """sin(exp(s) * s): 2 multiplications forward, 3 reverse (engine-notes hand case)."""
    fn = lambda s: jnp.sin(jnp.exp(s) * s)
    graph = ad.make_graph(fn, jnp.float32(0.3))
    sym = ag.from_engine(graph)
    state = ag.encode(sym)
    fwd = sym.position_order(ad.forward_order(graph))
    rev = sym.position_order(ad.reverse_order(graph))
    assert ag.order_costs(state, jnp.asarray([fwd, rev])).tolist() == [2, 3]


def test_degrees_match_engine_markowitz():
    tg = ag.load_task_graph("MLP")
    mk = np.asarray(ag.score(tg.state, "markowitz"))
    for pos in tg.sym.eliminable:
        assert mk[pos] == ad.markowitz_degree(tg.graph, tg.sym.ids[pos])


def _mlp(params, x):
    """3-layer MLP, width 1024: tanh, tanh, linear."""
    for w in params[:-1]:
        x = jnp.tanh(w @ x)
    return params[-1] @ x


@pytest.mark.parametrize(("x64", "which"), [(False, (1, 0)), (True, (1,))])
def test_wide_mlp_costs_are_exact(x64, which):
    """Costs beyond int32 (2 149 580 800 wrt x; about 1.1e12 wrt the weights, forward) equal
    ``ad.cost`` exactly, with jax_enable_x64 off and on (the env used to wrap in int32
    and not to run at all under x64)."""
    width = 1024
    params = [jnp.zeros((width, width))] * 3
    x = jnp.zeros((width,))
    with jax.enable_x64(x64):
        for argnums in which:
            graph = ad.make_graph(_mlp, params, x, argnums=argnums)
            sym = ag.from_engine(graph)
            state = ag.encode(sym)
            assert state.narrow == (argnums == 1)  # 1024 x 1024 weights: the limb products
            names = ("fwd", "rev", "markowitz")
            orders = [sym.position_order(ad.resolve_order(graph, o)) for o in names]
            got = ag.order_costs(state, orders).tolist()
            assert got == [ad.cost(_mlp, o, params, x, argnums=argnums) for o in names]
            if argnums == 1:
                assert got == [2_149_580_800] * 3
            else:
                assert max(got) > 2**40  # forward, wrt the weights
            assert state.cost.dtype == jnp.uint32 and ag.cost_of(state) == 0


def test_x64_costs_equal_x32():
    """A tensor task and a scalar graph give the same exact costs with x64 on."""
    tg = ag.load_task_graph("MLP")
    scalar = ag.random_scalar_graph(3)
    cases = [
        (tg.sym, [tg.sym.position_order(tg.baselines[b]) for b in ag.BASELINES]),
        (scalar, list(_random_orders(scalar, 3, 1))),
    ]
    for graph, orders in cases:
        x32 = ag.order_costs(ag.encode(graph), orders).tolist()
        with jax.enable_x64(True):
            x64 = ag.order_costs(ag.encode(graph), orders).tolist()
        assert x64 == x32 == [ag.order_cost(graph, o) for o in orders]


@pytest.mark.parametrize("seed", range(4))
def test_narrow_and_limb_products_agree(seed):
    """The uint32 fast path (narrow) and the limb products give the same costs."""
    graph = ag.random_tensor_graph(seed, n_eliminable=7, max_rank=3, sizes=(2, 3, 5))
    assert ag.narrow_products(graph)
    orders = jnp.asarray(_random_orders(graph, 4, seed))
    narrow = ag.order_costs(ag.encode(graph), orders).tolist()
    limbs = ag.order_costs(ag.encode(graph, narrow=False), orders).tolist()
    assert narrow == limbs == [ag.order_cost(graph, o) for o in orders]


def test_narrow_refused_where_inexact():
    graph = ag.random_tensor_graph(0, n_eliminable=3, max_rank=2, sizes=(1700,))
    assert not ag.narrow_products(graph)
    with pytest.raises(ValueError, match="narrow=True"):
        ag.encode(graph, narrow=True)


def test_too_many_index_maps_is_refused(monkeypatch):
    graph = ag.random_tensor_graph(1, n_eliminable=6, max_rank=3, p_map=0.5)
    assert len(index_maps(graph)) > 2
    monkeypatch.setattr("spikead.alphagrad._env.MAX_INDEX_MAPS", 2)
    with pytest.raises(ValueError, match="distinct index maps.*convention='paper'"):
        ag.encode(graph)
    assert ag.encode(graph, convention="paper").num_maps == 1  # densified: no map left
