"""transfer_order: orders of make_graph(f) carried to the graph of jax.vmap(f)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from spikead import ad, tasks

from .helpers import assert_tree_close, random_orders

B = 3


def _batched(args, batch=B, seed=0):
    rng = np.random.default_rng(seed)
    return tuple(
        jnp.asarray(a) + 0.01 * rng.standard_normal((batch, *np.shape(a))).astype(np.float32)
        for a in args
    )


def _batch_diagonal(jac, out_shapes, n_args: int, batch=B):
    """Per-example blocks of a batched Jacobian: a leaf (B, *o, B, *i) -> (B, *o, *i)."""
    out_leaves, out_tree = jax.tree_util.tree_flatten(out_shapes)
    per_output = out_tree.flatten_up_to(jac)  # one tuple over the n_args argnums per output leaf
    idx = np.arange(batch)
    blocks = []
    for out, row in zip(out_leaves, per_output):
        assert len(row) == n_args
        o = out.shape[1:]
        blocks.append(
            tuple(
                np.asarray(j)
                .reshape(batch, int(np.prod(o)), batch, -1)[idx, :, idx, :]
                .reshape(batch, *o, *np.shape(j)[2 + len(o) :])
                for j in row
            )
        )
    return out_tree.unflatten(blocks)


def _graphs(task, batch=B):
    g = ad.make_graph(task.fn, *task.args, argnums=task.argnums)
    gv = ad.make_graph(jax.vmap(task.fn), *_batched(task.args, batch), argnums=task.argnums)
    return g, gv


def test_same_graph_is_the_identity():
    f = lambda x, w: jnp.sum(jnp.sin(jnp.tanh(w @ x)))
    g = ad.make_graph(f, jnp.ones(3), jnp.ones((4, 3)), argnums=(0, 1))
    for order in [ad.reverse_order(g), *random_orders(g, 3)]:
        assert ad.transfer_order(g, g, order) == tuple(order)


def test_hand_case_costs_batch_times_more():
    # tanh(W @ x) in x, W 4x8: 4 * 8 products either way; vmapped over B examples: B times that
    f = lambda w, x: jnp.tanh(w @ x)
    w, x = jnp.ones((4, 8)), jnp.ones(8)
    g = ad.make_graph(f, w, x, argnums=1)
    gv = ad.make_graph(jax.vmap(f), jnp.ones((B, 4, 8)), jnp.ones((B, 8)), argnums=1)
    for order in (ad.forward_order(g), ad.reverse_order(g)):
        mapped = ad.transfer_order(g, gv, order)
        assert sum(ad.apply_order(g, order)) == 32
        assert sum(ad.apply_order(gv, mapped)) == B * 32


@pytest.mark.parametrize(
    "name",
    [
        "PropaneCombustion",
        "HumanHeartDipole",
        pytest.param("RobotArm_6DOF_v0", marks=pytest.mark.slow),
    ],
)
def test_mapped_order_computes_the_vmapped_jacobian(name):
    task = tasks.load(name)
    g, gv = _graphs(task)
    orders = [ad.markowitz_order(g), *random_orders(g, 1, seed=1)]
    mapped = [ad.transfer_order(g, gv, o, name=name) for o in orders]
    args = _batched(task.args)
    vf = jax.vmap(task.fn)

    def all_jacobians(*args):  # eager: compiling these scalar programs costs more than running them
        ref = jax.jacrev(vf, argnums=task.argnums)(*args)
        dense = [ad.jacve(vf, m, argnums=task.argnums)(*args) for m in mapped]
        compact = [ad.vmap_jacve(task.fn, m, argnums=task.argnums)(*args) for m in mapped]
        return ref, dense, compact

    ref, dense, compact = all_jacobians(*args)
    # vmap(jacrev(f)): the per-example blocks on the batch diagonal of jacrev(vmap(f)) (the
    # examples are independent), read off `ref` instead of a second eager jacrev
    fair = _batch_diagonal(ref, jax.eval_shape(vf, *args), len(task.argnums))
    for d, c in zip(dense, compact):
        assert_tree_close(d, ref, rtol=1e-4, atol=1e-5, what=f"{name} jacve(vmap f)")
        assert_tree_close(c, fair, rtol=1e-4, atol=1e-5, what=f"{name} vmap_jacve")
    executed = ad.executed_costs(vf, mapped, *args, argnums=task.argnums)
    for order, m, count in zip(orders, mapped, executed):
        vmapped_cost = sum(ad.apply_order(gv, m))
        assert vmapped_cost == count  # the reported cost is what the executor performs
        assert 0 < vmapped_cost <= B * sum(ad.apply_order(g, order))


def test_free_relabellings_come_first_at_no_cost():
    # vmap of RobotArm_v0's stack of batched rows adds transposes the unbatched graph lacks
    g, gv = _graphs(tasks.load("RobotArm_6DOF_v0"))
    extra = len(gv.vertices) - len(g.vertices)
    assert extra > 0
    mapped = ad.transfer_order(g, gv, ad.forward_order(g))
    assert [gv.vertices[k].primitive for k in mapped[:extra]] == ["transpose"] * extra
    assert ad.apply_order(gv, mapped)[:extra] == [0] * extra
    corr = ad.vertex_correspondence(g, gv)
    assert len(corr) == len(g.vertices) and len(set(corr.values())) == len(g.vertices)
    assert all(g.vertices[a].primitive == gv.vertices[b].primitive for a, b in corr.items())


# The paper's f, MLP and Encoder: under vmap a scalar operand of a binary op becomes a
# batched (B,) array that vmap expands with a broadcast_in_dim vertex (B, 1, 1) or (B, 1)
# the unbatched graph has no counterpart of: a free index map, eliminated first at no cost.
PAPER_BROADCASTS = {"f": 5, "MLP": 2, "Encoder": 4}  # extra broadcast_in_dim vertices


def _step_costs(g, gv, order, mapped, convention="structured"):
    """Per-step costs: of ``order`` on ``g``; of ``mapped``'s free prefix and the rest on ``gv``."""
    n_free = len(mapped) - len(order)
    target = ad.apply_order(gv, mapped, convention=convention)
    return ad.apply_order(g, order, convention=convention), target[:n_free], target[n_free:]


def _check_transferred_costs(g, gv, order, mapped, batch, what):
    """The cost relation transfer_order documents (see its docstring)."""
    source, free, rest = _step_costs(g, gv, order, mapped)
    assert free == [0] * len(free), f"{what}: free prefix costs {free}"
    if batch == 1:
        assert rest == source, f"{what}: B=1 steps differ from the source's"
        _, _, paper_rest = _step_costs(g, gv, order, mapped, "paper")
        assert paper_rest == ad.apply_order(g, order, convention="paper"), what
    else:
        assert all(b <= batch * a for a, b in zip(source, rest)), what
        assert sum(source) <= sum(rest), what


@pytest.mark.parametrize("batch", [1, 3])
@pytest.mark.parametrize("name", sorted(PAPER_BROADCASTS))
def test_paper_broadcasts_transfer(x64, name, batch):
    task = tasks.load(name)
    args64 = tuple(jnp.asarray(a, jnp.float64) for a in task.args)
    g = ad.make_graph(task.fn, *args64, argnums=task.argnums)
    args = _batched(args64, batch, seed=batch)
    vf = jax.vmap(task.fn)
    gv = ad.make_graph(vf, *args, argnums=task.argnums)
    orders = [ad.markowitz_order(g), *random_orders(g, 1, seed=batch)]
    mapped = [ad.transfer_order(g, gv, o, name=name) for o in orders]
    n_free = PAPER_BROADCASTS[name]
    for m in mapped:
        assert len(m) == len(orders[0]) + n_free
        assert {gv.vertices[k].primitive for k in m[:n_free]} == {"broadcast_in_dim"}
        assert {gv.vertices[k].shape for k in m[:n_free]} <= {(batch, 1, 1), (batch, 1)}
    for order, m in zip(orders, mapped):
        _check_transferred_costs(g, gv, order, m, batch, f"{name} B={batch}")
        assert ad.cost(vf, m, *args, argnums=task.argnums) == sum(ad.apply_order(gv, m))
    # the transferred Markowitz order, in one jitted call: running these programs op by op
    # costs more than compiling them
    m = mapped[0]
    both = jax.jit(
        lambda *a: (
            jax.jacrev(vf, argnums=task.argnums)(*a),
            ad.jacve(vf, m, argnums=task.argnums)(*a),
        )
    )
    ref, got = both(*args)
    assert_tree_close(got, ref, rtol=1e-6, atol=1e-9, what=f"{name} B={batch}")


@pytest.mark.slow
def test_every_task_corresponds():
    for name in tasks.names():
        task = tasks.load(name)
        g = ad.make_graph(task.fn, *task.args, argnums=task.argnums)
        order = ad.reverse_order(g)
        for batch in (1, B):
            vf = jax.vmap(task.fn)
            gv = ad.make_graph(vf, *_batched(task.args, batch), argnums=task.argnums)
            corr = ad.vertex_correspondence(g, gv, name=name)
            assert sorted(corr) == [v.id for v in g.vertices], name
            mapped = ad.transfer_order(g, gv, order, name=name)
            assert sorted(mapped) == sorted(gv.eliminable), name
            _check_transferred_costs(g, gv, order, mapped, batch, f"{name} B={batch}")


def test_costly_extra_broadcast_is_refused():
    # the target broadcasts x (3,) to (3, 4) and its successor sums over the 4 copies (a
    # factor 4 the source lacks): a free index map whose elimination costs 3 products
    S = ad.Structure
    x = ad.Vertex(0, (3,), "float32", "input", "input")
    g = ad.Graph(
        [x, ad.Vertex(1, (3,), "float32", "sin", "output")],
        {(0, 1): S((3,), (3,), (0,), (0,))},
    )
    gv = ad.Graph(
        [
            x,
            ad.Vertex(1, (3, 4), "float32", "broadcast_in_dim", "intermediate"),
            ad.Vertex(2, (3,), "float32", "sin", "output"),
        ],
        {(0, 1): S((3, 4), (3,), (0,), None), (1, 2): S((3,), (3, 4), (0, None), (0,))},
    )
    assert ad.apply_order(gv, [1]) == [3]
    with pytest.raises(
        ad.OrderTransferError, match=r"toy: .*vertex 1 \(intermediate broadcast_in_dim .*costs 3"
    ):
        ad.transfer_order(g, gv, [], name="toy")


def test_extra_summation_is_refused():
    # a reduce_sum has one in-edge without values, but sums: not a free index map
    x = jnp.ones(4)
    g = ad.make_graph(lambda x: jnp.exp(jnp.sin(x)), x)
    summed = ad.make_graph(lambda x: jnp.exp(jnp.sum(jnp.sin(x))), x)
    with pytest.raises(ad.OrderTransferError, match=r"exp .*reduce_sum .*free index map"):
        ad.vertex_correspondence(g, summed)


def test_different_programs_name_the_first_mismatch():
    x = jnp.ones(4)
    g = ad.make_graph(lambda x: jnp.exp(jnp.sin(x) * x), x)
    other = ad.make_graph(lambda x: jnp.exp(jnp.cos(x) * x), x)
    with pytest.raises(ad.OrderTransferError, match=r"toy: .*vertex 1 \(intermediate sin .*cos"):
        ad.transfer_order(g, other, ad.forward_order(g), name="toy")


def test_target_with_an_extra_costly_vertex_is_refused():
    x = jnp.ones(4)
    g = ad.make_graph(lambda x: jnp.exp(jnp.sin(x)), x)
    longer = ad.make_graph(lambda x: jnp.exp(jnp.tanh(jnp.sin(x))), x)
    with pytest.raises(ad.OrderTransferError, match="tanh"):
        ad.vertex_correspondence(g, longer)
    shorter = ad.make_graph(lambda x: jnp.exp(x), x)
    with pytest.raises(
        ad.OrderTransferError, match=r"vertex 1 \(intermediate sin .*vertex 1 \(output exp"
    ):
        ad.vertex_correspondence(g, shorter)


def test_rewired_program_is_refused():
    # the same primitives in the same order, but cos reads sin(x) instead of x
    x = jnp.ones(4)

    def rewired_fn(x):
        s = jnp.sin(x)
        return jnp.exp(s * jnp.cos(s))

    g = ad.make_graph(lambda x: jnp.exp(jnp.sin(x) * jnp.cos(x)), x)
    rewired = ad.make_graph(rewired_fn, x)
    assert [v.primitive for v in g.vertices] == [v.primitive for v in rewired.vertices]
    with pytest.raises(ad.OrderTransferError, match=r"vertex 2 .*cos.* predecessors \[0\]"):
        ad.vertex_correspondence(g, rewired)


def test_incomplete_order_is_refused():
    g = ad.make_graph(lambda x: jnp.exp(jnp.sin(x)), jnp.ones(4))
    with pytest.raises(ad.InvalidOrderError, match="misses"):
        ad.transfer_order(g, g, [])
