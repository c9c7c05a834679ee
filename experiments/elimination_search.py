"""Elimination-order search on the ten tasks: Table 1 of Paper C (AlphaGrad).

    python experiments/elimination_search.py                               # quick profile
    python experiments/elimination_search.py profile=smoke
    python experiments/elimination_search.py scale.tasks=[g] scale.methods=[anneal,alphazero]
    python experiments/elimination_search.py agent=paper scale.seeds=[0,1,2,3,4,5]

Every method (random search, simulated annealing, three beam searches, AlphaZero, PPO)
runs per task and seed. Writes ``results.csv`` (one row per run), ``curves.csv`` (best
cost vs evaluations), ``table1.md`` / ``table1.tex`` (per task: graph size, forward,
reverse, Markowitz, each method's best, gain vs the best baseline beside the paper's
gain), ``dp_gap.csv`` (each classical method vs the exact optimum on small random
scalar graphs), ``orders/<task>_<method>_seed<k>.json`` (engine order format) and
``metrics.json``. Evaluations count complete-order equivalents of environment steps.
``scale.agent_tasks`` limits the RL agents to some tasks (empty: all); compiling the
agents costs tens of seconds per task on a CPU.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import hydra
import pandas as pd
from omegaconf import DictConfig
from tqdm import tqdm

from spikead import alphagrad, tasks
from spikead.runs import latex_table, markdown_table, start_run, typed_config


@dataclass
class Scale:
    tasks: list[str] = field(default_factory=list)
    methods: list[str] = field(default_factory=list)
    seeds: list[int] = field(default_factory=lambda: [0])
    budget: int = 256
    batch: int = 16
    expand: int = 4
    max_width: int = 32
    anneal_from_baselines: bool = True
    agent_tasks: list[str] = field(default_factory=list)
    dp_graphs: int = 0
    dp_vertices: int = 10


def run(cfg: DictConfig, out_dir=None) -> dict:
    scale = typed_config(cfg.scale, Scale, where="scale")
    agent = typed_config(cfg.agent, alphagrad.AgentConfig, where="agent")
    for name in scale.tasks + scale.agent_tasks:
        tasks.load(name)  # unknown names fail here, before any work
    bad = [m for m in scale.methods if m not in alphagrad.METHODS]
    if bad:
        raise alphagrad.UnknownMethodError(
            f"scale.methods: unknown {bad}; choose from {list(alphagrad.METHODS)}")
    search = alphagrad.SearchConfig(budget=scale.budget, batch=scale.batch, expand=scale.expand,
                                    max_width=scale.max_width,
                                    anneal_from_baselines=scale.anneal_from_baselines)
    run_ = start_run(cfg, "elimination_search", out_dir=out_dir, data_label="none (programs)")
    rows, curves, vertices = [], [], {}
    bar = tqdm(scale.tasks, desc="tasks")
    for name in bar:
        tg = alphagrad.load_task_graph(name)
        vertices[name] = len(tg.sym.eliminable)
        methods = [m for m in scale.methods
                   if m not in alphagrad.AGENTS or not scale.agent_tasks or name in scale.agent_tasks]
        r, c = alphagrad.search_task(tg, methods, scale.seeds, search=search, agent=agent,
                                     order_dir=run_.path("orders"), progress=bar.set_postfix_str)
        rows += r
        curves += c
        run_.log.info("%s: best baseline %d, best found %d", name, tg.best_baseline,
                      min(x["best_cost"] for x in r))
    results = pd.DataFrame(rows)
    run_.write_csv("results.csv", results)
    run_.write_csv("curves.csv", pd.DataFrame(curves))
    table = alphagrad.table1(results, vertices)
    run_.write_text("table1.md", markdown_table(table))
    run_.write_text("table1.tex", latex_table(
        table, caption="Multiplications of the best order found by each method (min over "
        "seeds) beside forward, reverse and Markowitz; gain vs the best of the three, and "
        "the paper's gain.", label="tab:elimination-search"))
    metrics = alphagrad.summary(table)
    if scale.dp_graphs:
        gap = pd.DataFrame(alphagrad.dp_gap(scale.dp_graphs, scale.dp_vertices, search=search,
                                            seed=cfg.seed))
        run_.write_csv("dp_gap.csv", gap)
        metrics["dp_gap_pct_mean"] = gap.groupby("method")["gap_pct"].mean().round(2).to_dict()
    metrics["methods"] = list(scale.methods)
    metrics["seeds"] = list(scale.seeds)
    metrics["budget_evaluations"] = scale.budget
    return run_.finish(metrics)


@hydra.main(version_base="1.3", config_path="../configs", config_name="elimination_search")
def main(cfg: DictConfig) -> None:
    run(cfg)


if __name__ == "__main__":
    main()
