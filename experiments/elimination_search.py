"""Elimination-order search on the ten tasks: Table 1 of Paper C (AlphaGrad).

    python experiments/elimination_search.py                               # quick profile
    python experiments/elimination_search.py profile=smoke
    python experiments/elimination_search.py scale.tasks=[g] scale.methods=[anneal,alphazero]
    python experiments/elimination_search.py agent=paper scale.seeds=[0,1,2,3,4,5]
    python experiments/elimination_search.py convention=structured         # our own count

Every method (random search, simulated annealing, three beam searches, AlphaZero, PPO,
``anneal_engine``: annealing priced by the engine in Python) runs per task and seed;
``exact`` (A* with ``scale.exact_time_limit`` seconds per task, from every order found)
runs last, once per task, and adds a proven ``lower_bound`` (``proven``: optimal);
``alphazero_joint`` trains one agent on all tasks at once (graphs padded to the largest
size). Task graphs are padded by bucket (``scale.pad_scalar`` / ``scale.pad_tensor``:
round the vertex count up to a multiple; 1 = no padding) so that each search compiles
once per bucket, not once per task. Writes ``results.csv`` (one row per run),
``curves.csv`` (best cost vs evaluations), ``table1.md`` / ``table1.tex`` (per task: graph
size, forward, reverse, Markowitz, each method's best, gain vs the best baseline beside
the paper's gain, the exact method's ``lower_bound`` and ``proven``), ``dp_gap.csv`` (each
classical method vs the exact optimum on small random scalar graphs),
``orders/<task>_<method>_seed<k>.json`` (engine order format) and ``metrics.json``.
Evaluations count complete-order equivalents of environment steps.
``scale.agent_tasks`` limits the RL agents to some tasks (empty: all); compiling the
agents costs tens of seconds per task on a CPU.

Every cost (baselines, searches, the engine's check of each best order, the order files)
is counted in ``convention`` (default ``paper``: the AlphaGrad paper's count, so that the
gains sit beside the paper's on the same baselines; ``structured``: the engine's own).
``table1`` adds the paper's AlphaGrad cost, gain and best-ever cost per task and whether
our three baselines equal the paper's (``same_baselines``).
"""

from __future__ import annotations

import time

import hydra
import pandas as pd
from omegaconf import DictConfig

from spikead import ad, alphagrad, tasks
from spikead.runs import latex_table, markdown_table, progress_bar, start_run, typed_config
from spikead.runs.schemas import EliminationSearchScale as Scale


def run(cfg: DictConfig, out_dir=None) -> dict:
    scale = typed_config(cfg.scale, Scale, where="scale")
    agent = typed_config(cfg.agent, alphagrad.AgentConfig, where="agent")
    convention = ad.check_convention(cfg.convention)
    for name in scale.tasks + scale.agent_tasks:
        tasks.load(name)  # unknown names fail here, before any work
    bad = [m for m in scale.methods if m not in alphagrad.METHODS]
    if bad:
        raise alphagrad.UnknownMethodError(
            f"scale.methods: unknown {bad}; choose from {list(alphagrad.METHODS)}"
        )
    search = alphagrad.SearchConfig(
        budget=scale.budget,
        batch=scale.batch,
        expand=scale.expand,
        max_width=scale.max_width,
        anneal_from_baselines=scale.anneal_from_baselines,
        anneal_t_start=scale.anneal_t_start,
        anneal_t_end=scale.anneal_t_end,
        engine_budget=scale.engine_budget,
        engine_chains=scale.engine_chains,
        engine_t_start=scale.engine_t_start,
        engine_t_end=scale.engine_t_end,
        exact_time_limit=scale.exact_time_limit,
    )
    run_ = start_run(cfg, "elimination_search", out_dir=out_dir, data_label="none (programs)")
    start, cpu_start = time.perf_counter(), time.process_time()
    tgs = alphagrad.pad_task_graphs(
        [alphagrad.load_task_graph(name, convention) for name in scale.tasks],
        scalar_multiple=scale.pad_scalar,
        tensor_multiple=scale.pad_tensor,
    )
    vertices = {tg.name: len(tg.sym.eliminable) for tg in tgs}
    for tg in tgs:
        run_.log.info(
            "%s: %d eliminable, padded state V=%d R=%d, %d moves, %s count",
            tg.name,
            vertices[tg.name],
            tg.state.num_vertices,
            tg.state.max_rank,
            tg.moves,
            convention,
        )
    rows, curves = [], []
    bar = progress_bar(tgs, desc="tasks")
    for tg in bar:
        name = tg.name
        methods = [
            m
            for m in scale.methods
            if m not in alphagrad.JOINT
            and (m not in alphagrad.AGENTS or not scale.agent_tasks or name in scale.agent_tasks)
        ]
        r, c = alphagrad.search_task(
            tg,
            methods,
            scale.seeds,
            search=search,
            agent=agent,
            order_dir=run_.path("orders"),
            progress=bar.set_postfix_str,
        )
        rows += r
        curves += c
        run_.log.info(
            "%s: best baseline %d, best found %d; wall s per method %s",
            name,
            tg.best_baseline,
            min(x["best_cost"] for x in r),
            {x["method"]: x["wall_s"] for x in r},
        )
    if "alphazero_joint" in scale.methods:
        joint = [tg for tg in tgs if not scale.agent_tasks or tg.name in scale.agent_tasks]
        r, c = alphagrad.search_joint(
            joint,
            scale.seeds,
            agent=agent,
            order_dir=run_.path("orders"),
            progress=lambda s: run_.log.info("%s", s),
        )
        rows += r
        curves += c
    results = pd.DataFrame(rows)
    run_.write_csv("results.csv", results)
    run_.write_csv("curves.csv", pd.DataFrame(curves))
    table = alphagrad.table1(results, vertices, paper={tg.name: tg.paper for tg in tgs})
    run_.write_text("table1.md", f"Counting convention: {convention}.\n\n" + markdown_table(table))
    run_.write_text(
        "table1.tex",
        latex_table(
            table,
            caption=f"Multiplications ({convention} count) of the best order found by each "
            "method (min over seeds) beside forward, reverse and Markowitz; gain vs the best of "
            "the three, beside the paper's AlphaGrad cost and gain.",
            label="tab:elimination-search",
        ),
    )
    metrics = alphagrad.summary(table)
    metrics["convention"] = convention
    if scale.dp_graphs:
        gap = pd.DataFrame(
            alphagrad.dp_gap(
                scale.dp_graphs,
                scale.dp_vertices,
                search=search,
                seed=cfg.seed,
                convention=convention,
            )
        )
        run_.write_csv("dp_gap.csv", gap)
        metrics["dp_gap_pct_mean"] = gap.groupby("method")["gap_pct"].mean().round(2).to_dict()
    metrics["methods"] = list(scale.methods)
    metrics["seeds"] = list(scale.seeds)
    metrics["budget_evaluations"] = scale.budget
    metrics["search_wall_s"] = round(time.perf_counter() - start, 1)
    metrics["search_cpu_s"] = round(time.process_time() - cpu_start, 1)  # all threads
    # a joint run's rows each carry the whole joint training time: count it once per seed
    per_run = results.groupby(["method", "seed"])["wall_s"].agg(["sum", "max"]).reset_index()
    per_run["wall"] = per_run["max"].where(per_run["method"].isin(alphagrad.JOINT), per_run["sum"])
    metrics["wall_s_per_method"] = per_run.groupby("method")["wall"].sum().round(1).to_dict()
    return run_.finish(metrics)


@hydra.main(version_base="1.3", config_path="../configs", config_name="elimination_search")
def main(cfg: DictConfig) -> None:
    run(cfg)


if __name__ == "__main__":
    main()
