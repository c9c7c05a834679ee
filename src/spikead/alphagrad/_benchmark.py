"""The Table 1 benchmark: every method on every task, checked against the engine.

:func:`load_task_graph` builds a task's graph with the engine and its baseline orders;
:func:`search_task` runs methods x seeds, re-checks every best order's cost with the
engine (:func:`spikead.ad.apply_order`), saves it in the engine's order format and
returns result rows and curves; :func:`table1` and :func:`summary` aggregate them;
:func:`dp_gap` measures each classical method's gap to the exact optimum on small random
scalar graphs.

Everything counts in one convention per task graph (``load_task_graph(name,
convention=...)``, :mod:`spikead.ad._structure`): ``"paper"`` is the count of the
AlphaGrad paper's Table 1, so baselines, search results and gains stand beside the
paper's numbers on the same footing; ``"structured"`` is the engine's default.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path

import jax
import numpy as np
import pandas as pd

from spikead import ad, tasks
from spikead.ad._structure import check_convention

from ._alphazero import AgentConfig
from ._env import EnvState, encode
from ._exact import exact_search
from ._graph import SymGraph, from_engine, random_scalar_graph
from ._joint import alphazero_joint, pad_common, pad_groups
from ._local import engine_annealing
from ._methods import CLASSICAL, EXACT, METHODS, SearchConfig, UnknownMethodError, run_method
from ._search import exact_dp

BASELINES = ("forward", "reverse", "markowitz")
EXACT_COLUMNS = ("lower_bound", "proven")  # extra columns of the exact method's row


class CostMismatchError(AssertionError):
    """The search environment and the engine disagree on an order's cost."""


@dataclasses.dataclass
class TaskGraph:
    """A task's engine graph, its search view and its baselines (orders in engine ids).

    ``state`` may be padded (:func:`pad_task_graphs`); ``moves`` is then the episode
    length shared by its padding bucket (``None``: the eliminable count). Baseline costs
    and the state count in one convention (:attr:`convention`).
    """

    name: str
    graph: ad.Graph
    sym: SymGraph
    state: EnvState
    baselines: dict[str, tuple[int, ...]]
    baseline_costs: dict[str, int]
    paper: dict
    moves: int | None = None

    @property
    def best_baseline(self) -> int:
        return min(self.baseline_costs.values())

    @property
    def convention(self) -> str:
        """The counting convention of the state and the baseline costs."""
        return self.state.convention

    def engine_cost(self, order_ids) -> int:
        """Multiplications of ``order_ids`` (engine vertex ids) by the engine, in this
        graph's convention."""
        return int(sum(ad.apply_order(self.graph, order_ids, convention=self.convention)))


def load_task_graph(name: str, convention: str = "structured") -> TaskGraph:
    """Graph, environment state and forward / reverse / Markowitz orders of a task, with
    costs counted in ``convention`` (``"structured"`` or ``"paper"``)."""
    check_convention(convention)
    task = tasks.load(name)
    graph = ad.make_graph(task.fn, *task.args, argnums=task.argnums)
    sym = from_engine(graph, name)
    orders = {
        "forward": ad.forward_order(graph),
        "reverse": ad.reverse_order(graph),
        "markowitz": ad.markowitz_order(graph),
    }
    costs = {
        k: int(sum(ad.apply_order(graph, o, convention=convention))) for k, o in orders.items()
    }
    return TaskGraph(
        name, graph, sym, encode(sym, convention=convention), orders, costs, dict(task.paper)
    )


def common_convention(tgs: Sequence[TaskGraph]) -> str:
    """The one convention of ``tgs``; raises ``ValueError`` naming each task's if they differ."""
    found = {tg.convention for tg in tgs}
    if len(found) != 1:
        raise ValueError(
            "task graphs searched together must count in one convention, got "
            f"{ {tg.name: tg.convention for tg in tgs} }; load them all with "
            "load_task_graph(name, convention=...)"
        )
    return found.pop()


def pad_task_graphs(
    tgs: Sequence[TaskGraph], *, scalar_multiple: int = 64, tensor_multiple: int = 64
) -> list[TaskGraph]:
    """The same tasks with states padded by bucket (:func:`pad_groups`), so that every
    search compiles once per bucket instead of once per task (all in one convention)."""
    if not tgs:
        return []
    padded = pad_groups(
        [tg.sym for tg in tgs],
        scalar_multiple=scalar_multiple,
        tensor_multiple=tensor_multiple,
        convention=common_convention(tgs),
    )
    return [
        dataclasses.replace(tg, state=state, moves=moves) for tg, (state, moves) in zip(tgs, padded)
    ]


def method_key(seed: int, method: str):
    """PRNG key of one (seed, method) run: independent across methods."""
    return jax.random.fold_in(jax.random.key(seed), METHODS.index(method))


def search_task(
    tg: TaskGraph,
    methods: Sequence[str],
    seeds: Sequence[int],
    *,
    search: SearchConfig,
    agent: AgentConfig,
    order_dir: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[list[dict], list[dict]]:
    """Run ``methods`` x ``seeds`` on one task.

    Returns ``(rows, curve_rows)``: one row per run (task, convention, method, seed,
    best_cost, evaluations, wall_s, baselines, gain in % over the best baseline, the
    paper's AlphaGrad cost and gain) and one row per curve point. Raises
    :class:`CostMismatchError` if the engine prices a best order differently from the
    search environment.

    ``"anneal_engine"`` starts its chains from the baselines, cheapest first
    (:func:`~spikead.alphagrad.engine_annealing`). ``"exact"`` runs once (as seed ``seeds[0]``; it has no randomness) after the other
    methods, from all their best orders (:func:`~spikead.alphagrad.exact_search`, A* for
    ``search.exact_time_limit`` seconds); its row adds ``lower_bound`` and ``proven``.
    """
    bad = [m for m in methods if m not in METHODS]
    if bad:
        raise UnknownMethodError(f"unknown methods {bad}; choose from {list(METHODS)}")
    starts = [tg.sym.position_order(tg.baselines[b]) for b in BASELINES]
    cheapest_first = [
        tg.sym.position_order(tg.baselines[b]) for b in sorted(BASELINES, key=tg.baseline_costs.get)
    ]
    rows, curves, found = [], [], {}
    for method in [m for m in methods if m not in EXACT]:
        for seed in seeds:
            if progress:
                progress(f"{tg.name}/{method}/seed{seed}")
            if method == "anneal_engine":
                res = engine_annealing(
                    tg.graph,
                    tg.sym,
                    search.engine_budget,
                    method_key(seed, method),
                    convention=tg.convention,
                    starts=cheapest_first,
                    chains=search.engine_chains,
                    t_start=search.engine_t_start,
                    t_end=search.engine_t_end,
                )
            else:
                res = run_method(
                    method,
                    tg.state,
                    method_key(seed, method),
                    search=search,
                    agent=agent,
                    starts=starts,
                    reference=tg.best_baseline,
                    moves=tg.moves,
                )
            row, curve = _record(tg, method, seed, res, order_dir)
            rows.append(row)
            curves += curve
            found[f"{method}_seed{seed}"] = res.order
    if "exact" in methods and seeds:  # deterministic: once, from every order found above
        if progress:
            progress(f"{tg.name}/exact")
        res = exact_search(
            tg.graph,
            tg.sym,
            convention=tg.convention,
            time_limit=search.exact_time_limit,
            orders=found,
        )
        row, curve = _record(tg, "exact", seeds[0], res, order_dir)
        rows.append(row | {k: res.info[k] for k in EXACT_COLUMNS})
        curves += curve
    return rows, curves


def _record(tg: TaskGraph, method: str, seed: int, res, order_dir: Path | None):
    """Check a result's order with the engine, save it, and build its row and curve."""
    ids = tg.sym.id_order(res.order)
    if sorted(res.order) != sorted(tg.sym.eliminable):
        raise CostMismatchError(
            f"{tg.name}/{method}: the best order does not eliminate every "
            f"intermediate once ({len(res.order)} of {len(tg.sym.eliminable)})"
        )
    engine_cost = tg.engine_cost(ids)
    if engine_cost != res.cost:
        raise CostMismatchError(
            f"{tg.name}/{method}: the search environment says {res.cost} "
            f"multiplications ({tg.convention} count), the engine {engine_cost}, for the "
            "same order"
        )
    if order_dir is not None:
        ad.save_order(
            Path(order_dir) / f"{tg.name}_{method}_seed{seed}.json",
            task=tg.name,
            graph=tg.graph,
            order=ids,
            cost=res.cost,
            convention=tg.convention,
        )
    best = tg.best_baseline
    row = {
        "task": tg.name,
        "convention": tg.convention,
        "method": method,
        "seed": seed,
        "best_cost": res.cost,
        "evaluations": res.evaluations,
        "wall_s": res.wall_s,
        **{b: tg.baseline_costs[b] for b in BASELINES},
        "gain_vs_best_baseline_pct": round(100.0 * (best - res.cost) / best, 2),
        "paper_alphagrad": tg.paper.get("alphagrad", np.nan),
        "paper_gain_pct": tg.paper.get("gain_percent", np.nan),
    }
    curve = [
        {"task": tg.name, "method": method, "seed": seed, "evaluations": e, "best_cost": c}
        for e, c in res.curve
    ]
    return row, curve


def search_joint(
    tgs: Sequence[TaskGraph],
    seeds: Sequence[int],
    *,
    agent: AgentConfig,
    order_dir: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[list[dict], list[dict]]:
    """Train one AlphaZero agent on all ``tgs`` at once per seed (states padded to the
    largest ``V`` and ``R``); rows and curves as :func:`search_task`, method
    ``alphazero_joint``. ``wall_s`` of each row is the whole joint training's."""
    states, moves = pad_common([tg.sym for tg in tgs], convention=common_convention(tgs))
    rows, curves = [], []
    for seed in seeds:
        if progress:
            progress(f"alphazero_joint/seed{seed} on {len(tgs)} tasks")
        results = alphazero_joint(
            states,
            method_key(seed, "alphazero_joint"),
            agent,
            references=[tg.best_baseline for tg in tgs],
            moves=moves,
        )
        for tg, res in zip(tgs, results):
            row, curve = _record(tg, "alphazero_joint", seed, res, order_dir)
            rows.append(row)
            curves += curve
    return rows, curves


def table1(
    results: pd.DataFrame, vertices: dict[str, int], paper: dict[str, dict] | None = None
) -> pd.DataFrame:
    """Table 1: per task the graph size, baselines, best cost of each method (over seeds),
    the overall best and its gain over the best baseline (%), beside the paper's
    AlphaGrad cost and gain.

    Where the ``exact`` method ran, ``lower_bound`` is its proven lower bound on every
    order's cost and ``proven`` whether its cost (then ``best``) is the optimum.

    ``paper`` (task -> the task's ``paper`` numbers, as :attr:`TaskGraph.paper`) adds the
    paper's best-ever cost (``paper_best_seen``, where recorded) and ``same_baselines``:
    whether our forward / reverse / Markowitz equal the paper's (the gains then compare
    the same graphs under the same count).
    """
    best = results.pivot_table(index="task", columns="method", values="best_cost", aggfunc="min")
    # a method skipped on a task (agents limited to some tasks) shows as an empty cell
    methods = [m for m in METHODS if m in best.columns]
    base = results.groupby("task")[list(BASELINES)].first()
    order = list(dict.fromkeys(results["task"]))
    table = pd.DataFrame({"task": order})
    table["vertices"] = table["task"].map(vertices)
    for b in BASELINES:
        table[b] = table["task"].map(base[b])
    for m in methods:
        table[m] = table["task"].map(best[m]).astype("Int64")
    table["best"] = table[methods].min(axis=1)
    best_base = table[list(BASELINES)].min(axis=1)
    table["gain_pct"] = (100.0 * (best_base - table["best"]) / best_base).round(1)
    first = results.groupby("task")[["paper_alphagrad", "paper_gain_pct"]].first()
    table["paper_alphagrad"] = table["task"].map(first["paper_alphagrad"])
    table["paper_gain_pct"] = table["task"].map(first["paper_gain_pct"])
    if "lower_bound" in results.columns:  # the exact method ran: its proven bound
        exact = results[results["method"] == "exact"].groupby("task")
        table["lower_bound"] = table["task"].map(exact["lower_bound"].max()).astype("Int64")
        table["proven"] = table["task"].map(exact["proven"].any()).astype("boolean")
    if paper is not None:
        table["paper_best_seen"] = [paper.get(t, {}).get("best_seen", np.nan) for t in order]
        table["same_baselines"] = [
            all(paper.get(t, {}).get(b) == row[b] for b in BASELINES) if paper.get(t) else np.nan
            for t, (_, row) in zip(order, table.iterrows())
        ]
    return table


def summary(table: pd.DataFrame) -> dict:
    """Tasks where the best search result matches / beats the best baseline, where its
    gain is at least the paper's (``paper_gain_pct``) and where it is proven optimal."""
    best_base = table[list(BASELINES)].min(axis=1)
    at = table.loc[table["best"] <= best_base, "task"].tolist()
    beat = table.loc[table["best"] < best_base, "task"].tolist()
    meets = table.loc[table["gain_pct"] >= table["paper_gain_pct"], "task"].tolist()
    proven = table.loc[table["proven"].fillna(False), "task"].tolist() if "proven" in table else []
    return {
        "tasks": len(table),
        "tasks_at_or_below_best_baseline": at,
        "tasks_beating_best_baseline": beat,
        "n_at_or_below": len(at),
        "n_beating": len(beat),
        "gain_pct": dict(zip(table["task"], table["gain_pct"].astype(float))),
        "tasks_meeting_paper_gain": meets,
        "n_meeting_paper_gain": len(meets),
        "tasks_proven_optimal": proven,
    }


def dp_gap(
    n_graphs: int,
    n_eliminable: int,
    *,
    search: SearchConfig,
    seed: int = 0,
    methods: Sequence[str] = CLASSICAL,
    convention: str = "structured",
) -> list[dict]:
    """Gap (%) of each classical method to the exact optimum on small random scalar graphs,
    counted in ``convention``.

    All graphs have the same size, so every method compiles once.
    """
    rows = []
    for g in range(n_graphs):
        sym = random_scalar_graph(
            1000 + g, n_inputs=3, n_eliminable=n_eliminable, n_outputs=3, max_fan_in=3
        )
        opt = exact_dp(sym, convention=convention)
        state = encode(sym, convention=convention)
        for method in methods:
            res = run_method(
                method, state, method_key(seed + g, method), search=search, agent=AgentConfig()
            )
            rows.append(
                {
                    "graph": g,
                    "vertices": n_eliminable,
                    "method": method,
                    "cost": res.cost,
                    "optimum": opt.cost,
                    "gap_pct": round(100.0 * (res.cost - opt.cost) / max(opt.cost, 1), 2),
                }
            )
    return rows
