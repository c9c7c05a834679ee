"""Public entry points: ``jacve``, ``vmap_jacve``, ``structured_jacobian``, ``cost``, ``make_graph``.

``jacve(f, order)`` traces ``f`` to a graph of structured partials, eliminates the
intermediate vertices in the given order and returns the Jacobian with the calling
convention and output pytree of ``jax.jacrev(f, argnums, has_aux)``. Everything about
structure (tracing the jaxpr, choosing the order, planning products) is trace-time Python;
under ``jax.jit`` the compiled code is only the arithmetic on values.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax

from ._graph import Graph
from ._mulcount import ELIMINATION_SCOPE, MulCount, count_multiplications
from ._stensor import STensor, batch_diagonal, to_dense, zeros
from ._structure import check_convention
from ._trace import ArgNums, Traced, split_args, trace
from .elimination import OrderSpec, apply_order, eliminate_vertex
from .orders import resolve_order


def _eliminate(
    fun: Callable, args: Sequence[Any], argnums: ArgNums, has_aux: bool, order: OrderSpec
):
    """Trace ``fun`` (primal and partials), then eliminate ``order`` under :data:`ELIMINATION_SCOPE`.

    Returns the traced function, the eliminated graph and the symbolic count of the order.
    """
    traced = trace(fun, args, argnums, has_aux)
    graph, count = _eliminate_traced(traced.graph, order, ELIMINATION_SCOPE)
    return traced, graph, count


def _eliminate_traced(graph: Graph, order: OrderSpec, scope: str) -> tuple[Graph, int]:
    """Eliminate ``order`` in place on ``graph`` (values), under ``jax.named_scope(scope)``."""
    ids = resolve_order(graph, order)
    count = 0
    with jax.named_scope(scope):
        for k in ids:
            count += eliminate_vertex(graph, k, check=True)
    return graph, count


def _assemble(traced: Traced, argnums: ArgNums, block: Callable[[int, int], Any]) -> Any:
    per_out = []
    for o in range(len(traced.out_ids)):
        inner = [block(o, i) for i in range(len(traced.in_ids))]
        rebuilt = jax.tree_util.tree_unflatten(traced.in_tree, inner)
        per_out.append(rebuilt[0] if isinstance(argnums, int) else tuple(rebuilt))
    return jax.tree_util.tree_unflatten(traced.out_tree, per_out)


def _structured_blocks(traced: Traced, graph: Graph) -> Callable[[int, int], STensor]:
    def block(o: int, i: int) -> STensor:
        src, dst = traced.in_ids[i], traced.out_ids[o]
        edge = graph.edges.get((src, dst))
        if edge is None:
            return zeros(
                traced.out_avals[o].shape, traced.in_avals[i].shape, traced.in_avals[i].dtype
            )
        return edge

    return block


def jacve(
    fun: Callable, order: OrderSpec = "rev", argnums: ArgNums = 0, has_aux: bool = False
) -> Callable:
    """Jacobian of ``fun`` by vertex elimination; same convention as ``jax.jacrev``.

    Args:
        fun: function of arrays / pytrees of arrays.
        order: ``"fwd"`` (eliminate in increasing vertex id), ``"rev"`` (decreasing),
            ``"markowitz"``, or an explicit sequence of vertex ids of ``make_graph(fun, *args)``
            that eliminates every eliminable vertex exactly once.
        argnums: which positional argument(s) to differentiate.
        has_aux: ``fun`` returns ``(output, aux)``; aux is returned unchanged.

    Returns:
        ``jac(*args)`` returning the Jacobian pytree (and aux if ``has_aux``). Each block
        has shape ``output.shape + input.shape``.
    """

    return _jacobian_with(fun, order, argnums, has_aux, to_dense)


def vmap_jacve(
    fun: Callable, order: OrderSpec = "rev", argnums: ArgNums = 0, has_aux: bool = False
) -> Callable:
    """Per-example Jacobians by eliminating the graph of ``jax.vmap(fun)``.

    Same calling convention and output as ``jax.vmap(jax.jacrev(fun, argnums, has_aux))``
    with every positional argument batched along a leading axis B: each block has shape
    ``(B, *output.shape, *input.shape)``. The graph of ``vmap(fun)`` is eliminated once
    (``order`` names its vertices, as in ``make_graph(jax.vmap(fun), *batched_args)``);
    its batch dim stays a Kronecker pair, so only the diagonal ``B`` blocks are stored and
    the ``B x B`` block Jacobian that ``jacve(jax.vmap(fun))`` returns is never built.
    """
    return _jacobian_with(jax.vmap(fun), order, argnums, has_aux, batch_diagonal)


def _jacobian_with(
    fun: Callable,
    order: OrderSpec,
    argnums: ArgNums,
    has_aux: bool,
    read_block: Callable[[STensor], Any],
) -> Callable:
    """``jac(*args)``: eliminate ``fun``'s graph, read every block with ``read_block``."""

    def jac(*args):
        traced, graph, _ = _eliminate(fun, args, argnums, has_aux, order)
        blocks = _structured_blocks(traced, graph)

        def block(o: int, i: int):
            return read_block(blocks(o, i)).astype(traced.in_avals[i].dtype)

        with jax.named_scope(ELIMINATION_SCOPE):
            out = _assemble(traced, argnums, block)
        return (out, traced.aux) if has_aux else out

    return jac


def structured_jacobian(
    fun: Callable,
    *args: Any,
    argnums: ArgNums = 0,
    order: OrderSpec = "rev",
    has_aux: bool = False,
    return_count: bool = False,
) -> Any:
    """Jacobian blocks of ``fun(*args)`` as :class:`STensor` (not densified), nested like jacrev.

    With ``return_count=True`` returns ``(blocks, multiplications performed)``; with
    ``has_aux`` the aux value is appended to the returned tuple.
    """
    traced, graph, count = _eliminate(fun, args, argnums, has_aux, order)
    out = _assemble(traced, argnums, _structured_blocks(traced, graph))
    result = (out,)
    if return_count:
        result += (count,)
    if has_aux:
        result += (traced.aux,)
    return result if len(result) > 1 else out


def _rebuild_args(args: Sequence[Any], nums: tuple[int, ...], in_tree, leaves) -> list:
    new_args = list(args)
    for a, x in zip(nums, jax.tree_util.tree_unflatten(in_tree, list(leaves))):
        new_args[a] = x
    return new_args


def make_graph(fun: Callable, *args: Any, argnums: ArgNums = 0, has_aux: bool = False) -> Graph:
    """The value-free computational graph of ``fun(*args)`` (edges are :class:`Structure`).

    Traced abstractly (``jax.eval_shape``): no arithmetic runs.
    """
    nums, leaves, in_tree = split_args(args, argnums)
    holder: dict[str, Graph] = {}

    def run(*diff_leaves):
        traced = trace(fun, _rebuild_args(args, nums, in_tree, diff_leaves), argnums, has_aux)
        holder["graph"] = traced.graph.structures()

    jax.eval_shape(run, *leaves)
    return holder["graph"]


def cost(
    fun: Callable,
    order: OrderSpec,
    *args: Any,
    argnums: ArgNums = 0,
    has_aux: bool = False,
    convention: str = "structured",
) -> int:
    """Multiplications of eliminating ``fun``'s graph in ``order`` (from structure only).

    ``convention``: ``"structured"`` (identities, signs and index maps are free) or
    ``"paper"`` (Graphax's count, used by the AlphaGrad paper's Table 1: every product of
    two partials costs at least one multiplication); see :mod:`spikead.ad._structure`.
    The order (also ``"markowitz"``) does not depend on the convention.
    """
    check_convention(convention)
    graph = make_graph(fun, *args, argnums=argnums, has_aux=has_aux)
    return int(sum(apply_order(graph, resolve_order(graph, order), convention=convention)))


def executed_count(
    fun: Callable, order: OrderSpec, *args: Any, argnums: ArgNums = 0, has_aux: bool = False
) -> MulCount:
    """Multiplications in the program that ``jacve(fun, order)`` emits, measured from its jaxpr.

    Counts the ``mul`` and ``dot_general`` equations of
    ``jax.make_jaxpr(jacve(fun, order, argnums, has_aux))(*args)`` that compute the
    Jacobian from the partials (the elimination and the read-out of the blocks), not the
    primal or the partials themselves; see :func:`~spikead.ad._mulcount.count_multiplications`
    for what counts. Traced abstractly: no arithmetic runs. Under the ``"structured"``
    convention ``.total`` equals :func:`cost` (tested on every task).
    """
    jaxpr = jax.make_jaxpr(jacve(fun, order, argnums=argnums, has_aux=has_aux))(*args)
    return count_multiplications(jaxpr, scope=ELIMINATION_SCOPE)


def executed_cost(
    fun: Callable, order: OrderSpec, *args: Any, argnums: ArgNums = 0, has_aux: bool = False
) -> int:
    """``executed_count(...).total``: the multiplications ``jacve`` performs for ``order``."""
    return executed_count(fun, order, *args, argnums=argnums, has_aux=has_aux).total


def executed_costs(
    fun: Callable,
    orders: Sequence[OrderSpec],
    *args: Any,
    argnums: ArgNums = 0,
    has_aux: bool = False,
) -> list[int]:
    """:func:`executed_cost` for each of ``orders``, from one trace of ``fun``.

    ``fun`` is traced once; each order is eliminated on a copy of the graph under its own
    named scope (the same elimination code ``jacve`` runs) and counted from that scope.
    """
    nums, leaves, in_tree = split_args(args, argnums)
    scopes = [f"{ELIMINATION_SCOPE}_{n}" for n in range(len(orders))]

    def run(*diff_leaves):
        traced = trace(fun, _rebuild_args(args, nums, in_tree, diff_leaves), argnums, has_aux)
        out = []
        for order, scope in zip(orders, scopes):
            graph, _ = _eliminate_traced(traced.graph.copy(), order, scope)
            blocks = _structured_blocks(traced, graph)
            with jax.named_scope(scope):
                out.append(
                    _assemble(traced, argnums, lambda o, i, blocks=blocks: to_dense(blocks(o, i)))
                )
        return out

    jaxpr = jax.make_jaxpr(run)(*leaves)
    return [count_multiplications(jaxpr, scope=scope).total for scope in scopes]
