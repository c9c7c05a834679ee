"""Elimination costs of forward, reverse and Markowitz orders on the ten tasks (Paper C).

    python experiments/elimination_costs.py                      # quick profile
    python experiments/elimination_costs.py scale.tasks=[MLP,g]  # a subset

Writes ``costs.csv`` (one row per task), ``table.md`` / ``table.tex`` (our counts beside
the paper's), ``orders/<task>_<order>.json`` (the orders in the engine's file format)
and ``metrics.json``.
"""

from __future__ import annotations

import time

import hydra
import pandas as pd
from omegaconf import DictConfig

from spikead import ad, tasks
from spikead.runs import latex_table, markdown_table, start_run, typed_config
from spikead.runs.schemas import EliminationCostsScale as Scale

BASELINES = ("forward", "reverse", "markowitz")


def baseline_orders(graph) -> dict[str, list[int]]:
    """The three baseline orders of a graph, by name."""
    return {
        "forward": list(ad.forward_order(graph)),
        "reverse": list(ad.reverse_order(graph)),
        "markowitz": list(ad.markowitz_order(graph)),
    }


def task_row(name: str, run) -> dict:
    """Graph size and baseline costs of one task; saves the baseline orders."""
    task = tasks.load(name)
    start = time.perf_counter()
    graph = ad.make_graph(task.fn, *task.args, argnums=task.argnums)
    row = {
        "task": name,
        "inputs": len(graph.inputs),
        "outputs": len(graph.outputs),
        "vertices": len(graph.eliminable),
        "edges": len(graph.edges),
    }
    for label, order in baseline_orders(graph).items():
        row[label] = ad.cost(task.fn, order, *task.args, argnums=task.argnums)
        ad.save_order(run.path(f"orders/{name}_{label}.json"), task=name, graph=graph,
                      order=order, cost=row[label])
    row["best_baseline"] = min(row[b] for b in BASELINES)
    row["seconds"] = round(time.perf_counter() - start, 3)
    for key, value in task.paper.items():
        row[f"paper_{key}"] = value
    return row


def run(cfg: DictConfig, out_dir=None) -> dict:
    scale = typed_config(cfg.scale, Scale, where="scale")
    for name in scale.tasks:
        tasks.load(name)  # unknown names fail here, before any work
    run_ = start_run(cfg, "elimination_costs", out_dir=out_dir, data_label="none (programs)")
    rows = [task_row(name, run_) for name in scale.tasks]
    frame = pd.DataFrame(rows)
    run_.write_csv("costs.csv", frame)
    cols = ["task", "vertices", "forward", "reverse", "markowitz"]
    paper_cols = [c for c in ("paper_vertices", "paper_forward", "paper_reverse", "paper_markowitz")
                  if c in frame]
    table = frame[cols + paper_cols]
    run_.write_text("table.md", markdown_table(table))
    run_.write_text("table.tex", latex_table(
        table, caption="Multiplications of the baseline elimination orders (ours vs paper).",
        label="tab:elimination-costs"))
    return run_.finish({
        "tasks": len(rows),
        "costs": {r["task"]: {b: r[b] for b in BASELINES} for r in rows},
    })


@hydra.main(version_base="1.3", config_path="../configs", config_name="elimination_costs")
def main(cfg: DictConfig) -> None:
    run(cfg)


if __name__ == "__main__":
    main()
