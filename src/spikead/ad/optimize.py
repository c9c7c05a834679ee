"""``optimize``: search an elimination order for a function, in one call.

    >>> res = ad.optimize(f, x, method="beam_markowitz", budget=256)
    >>> res.cost, res.baselines          # multiplications: found vs forward/reverse/Markowitz
    >>> jac = ad.jacve(f, order=res.order)(x)

The search runs in :mod:`spikead.alphagrad` (imported when called: ``alphagrad`` builds
on this package). The returned order is never worse than the best of forward, reverse and
Markowitz (a baseline is returned when the search finds nothing cheaper), and its cost is
re-counted by the engine (:func:`spikead.ad.apply_order`) before it is returned.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from ._trace import ArgNums
from .api import make_graph
from .elimination import apply_order
from .orders import forward_order, markowitz_order, reverse_order

EXACT = "exact_dp"
ANNEAL_ENGINE = "anneal_engine"
DEFAULT_METHOD = "beam_markowitz"


def methods() -> tuple[str, ...]:
    """Names :func:`optimize` accepts: the AlphaGrad searches, ``anneal_engine`` and
    ``exact_dp``."""
    from spikead import alphagrad

    return (*alphagrad.CLASSICAL, *alphagrad.AGENTS, ANNEAL_ENGINE, EXACT)


@dataclasses.dataclass(frozen=True)
class OptimizeResult:
    """An elimination order found by :func:`optimize`.

    Attributes:
        order: vertex ids of ``make_graph(f, *args)``; pass to ``jacve(f, order=...)``.
        cost: its multiplications (counted by the engine).
        baselines: ``{"forward", "reverse", "markowitz"}`` -> multiplications.
        method: the search method run.
        found_by: ``method``, or the baseline whose order was cheaper than the search's.
        evaluations: complete-order equivalents of environment steps the search used.
        search_cost: the cost of the search's own best order.
    """

    order: tuple[int, ...]
    cost: int
    baselines: dict[str, int]
    method: str
    found_by: str
    evaluations: float
    search_cost: int

    @property
    def gain_pct(self) -> float:
        """Saving over the best baseline, in percent."""
        best = min(self.baselines.values())
        return 100.0 * (best - self.cost) / best if best else 0.0


def _check(method: str, budget: int) -> None:
    choices = methods()
    if method not in choices:
        raise ValueError(
            f"unknown method {method!r}; choose one of {list(choices)} (default {DEFAULT_METHOD!r})"
        )
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < 1:
        raise ValueError(
            f"budget={budget!r}: expected a positive int, the number of "
            "complete-order evaluations the search may spend (e.g. 256)"
        )


def _run(method: str, graph, sym, budget: int, seed: int, starts, reference: float, agent) -> Any:
    """The alphagrad search ``method`` on ``sym`` (``graph``'s symbolic form) with ``budget``
    evaluations; the environment encoding is built only for the methods that play in it."""
    import jax

    from spikead import alphagrad

    key = jax.random.key(seed)
    if method == EXACT:
        return alphagrad.exact_dp(sym)
    if method == ANNEAL_ENGINE:
        return alphagrad.engine_annealing(
            graph, sym, budget, key, convention="structured", starts=starts
        )
    cfg = agent if agent is not None else alphagrad.AgentConfig()
    if method == "alphazero":  # every played move runs simulations + 1 environment steps
        per_iteration = cfg.games * (cfg.simulations + 1)
        cfg = dataclasses.replace(cfg, iterations=max(1, budget // per_iteration))
    elif method == "ppo":
        cfg = dataclasses.replace(cfg, iterations=max(1, budget // cfg.games))
    search = alphagrad.SearchConfig(budget=budget)
    return alphagrad.run_method(
        method,
        alphagrad.encode(sym),
        key,
        search=search,
        agent=cfg,
        starts=starts,
        reference=reference,
    )


def optimize(
    f: Callable,
    *example_args: Any,
    method: str = DEFAULT_METHOD,
    budget: int = 256,
    argnums: ArgNums = 0,
    seed: int = 0,
    agent=None,
) -> OptimizeResult:
    """Search a cheap elimination order for the Jacobian of ``f`` at ``example_args``' shapes.

    Args:
        f, example_args: the function and example arguments (only shapes and dtypes
            matter; ``f`` is traced abstractly).
        method: one of :func:`methods`: ``"beam_markowitz"`` (default: merged beam search
            guided by the Markowitz degree, after safe pre-elimination; fast and good),
            ``"beam_relative_markowitz"``, ``"beam_fill_in"``, ``"anneal"`` (simulated
            annealing from the baselines), ``"anneal_engine"`` (annealing with every order
            priced exactly by the engine, structured convention), ``"random"``,
            ``"alphazero"``, ``"ppo"`` (RL agents; slow to compile) or ``"exact_dp"``
            (dynamic programming over eliminated sets: the optimum for scalar graphs of at
            most 16 eliminable vertices; ``budget`` unused).
        budget: complete-order evaluations the search may spend (for the agents it sets
            the training iterations).
        argnums: which arguments to differentiate (as in :func:`jacve`).
        seed: PRNG seed of the search.
        agent: an :class:`spikead.alphagrad.AgentConfig` for the RL agents (sizes).

    Returns:
        An :class:`OptimizeResult`; ``jacve(f, order=result.order, argnums=argnums)``
        computes the Jacobian with it.
    """
    _check(method, budget)
    from spikead import alphagrad

    graph = make_graph(f, *example_args, argnums=argnums)
    orders = {
        "forward": forward_order(graph),
        "reverse": reverse_order(graph),
        "markowitz": markowitz_order(graph),
    }
    baselines = {k: int(sum(apply_order(graph, o))) for k, o in orders.items()}
    sym = alphagrad.from_engine(graph, getattr(f, "__name__", "f"))
    if not sym.eliminable:
        return OptimizeResult((), 0, baselines, method, "forward", 0.0, 0)
    starts = [sym.position_order(o) for o in orders.values()]
    reference = float(min(baselines.values()))
    res = _run(method, graph, sym, budget, seed, starts, reference, agent)
    order = tuple(sym.id_order(res.order))
    cost = int(sum(apply_order(graph, order)))
    if cost != res.cost:
        raise alphagrad.CostMismatchError(
            f"optimize({method!r}): the search priced its order at {res.cost} "
            f"multiplications, the engine at {cost}; please report this graph"
        )
    best = min(baselines, key=baselines.get)
    if baselines[best] < cost:
        return OptimizeResult(
            tuple(orders[best]), baselines[best], baselines, method, best, res.evaluations, cost
        )
    return OptimizeResult(order, cost, baselines, method, method, res.evaluations, cost)
