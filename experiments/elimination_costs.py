"""Elimination costs of forward, reverse and Markowitz orders on the ten tasks (Paper C).

    python experiments/elimination_costs.py                      # quick profile
    python experiments/elimination_costs.py scale.tasks=[MLP,g]  # a subset

Writes ``costs.csv`` (one row per task and counting convention, column ``convention``:
``paper`` = Graphax's count as in the paper's Table 1, ``structured`` = unit partials and
index maps free), ``table.md`` / ``table.tex`` (under ``paper`` our counts beside the
paper's, then the ``structured`` counts), ``orders/<task>_<order>.json`` (the orders in
the engine's file format; they do not depend on the convention) and ``metrics.json``.
With ``scale.optimum_time_limit > 0`` (seconds per task and convention) each row also has
``optimum`` (when proven), ``lower_bound``, ``best_known``, ``optimum_gap_pct`` and
``optimum_seconds`` from :func:`spikead.alphagrad.optimum`.
"""

from __future__ import annotations

import time

import hydra
import pandas as pd
from omegaconf import DictConfig

from spikead import ad, alphagrad, tasks
from spikead.runs import latex_table, markdown_table, start_run, typed_config
from spikead.runs.schemas import EliminationCostsScale as Scale

BASELINES = ("forward", "reverse", "markowitz")
CONVENTIONS = ("paper", "structured")
"""Counting conventions written, in table order (see spikead.ad._structure)."""


def baseline_orders(graph) -> dict[str, list[int]]:
    """The three baseline orders of a graph, by name."""
    return {
        "forward": list(ad.forward_order(graph)),
        "reverse": list(ad.reverse_order(graph)),
        "markowitz": list(ad.markowitz_order(graph)),
    }


def optimum_columns(graph, convention: str, time_limit: float) -> dict:
    """``optimum`` (when proven) or ``lower_bound`` and ``best_known`` of one task and
    convention (:func:`spikead.alphagrad.optimum`, ``time_limit`` seconds)."""
    res = alphagrad.optimum(graph, convention=convention, time_limit=time_limit)
    return {
        "optimum": res.cost if res.proven else None,
        "lower_bound": res.lower_bound,
        "best_known": res.cost,
        "optimum_gap_pct": round(100.0 * res.gap, 2),
        "optimum_seconds": res.wall_s,
    }


def task_rows(name: str, run, optimum_time_limit: float = 0.0) -> list[dict]:
    """Graph size and baseline costs of one task, one row per convention; saves the orders.
    With ``optimum_time_limit > 0`` also the optimum (or lower bound and best known)."""
    task = tasks.load(name)
    start = time.perf_counter()
    graph = ad.make_graph(task.fn, *task.args, argnums=task.argnums)
    orders = baseline_orders(graph)
    size = {
        "task": name,
        "inputs": len(graph.inputs),
        "outputs": len(graph.outputs),
        "vertices": len(graph.eliminable),
        "edges": len(graph.edges),
    }
    rows = []
    for convention in CONVENTIONS:
        row = {"task": name, "convention": convention, **size}
        for label, order in orders.items():
            row[label] = int(sum(ad.apply_order(graph, order, convention=convention)))
        row["best_baseline"] = min(row[b] for b in BASELINES)
        rows.append(row)
    for label, order in orders.items():
        ad.save_order(
            run.path(f"orders/{name}_{label}.json"),
            task=name,
            graph=graph,
            order=order,
            cost=rows[CONVENTIONS.index("structured")][label],
        )
    seconds = round(time.perf_counter() - start, 3)
    for row in rows:
        row["seconds"] = seconds
        if optimum_time_limit > 0:
            row.update(optimum_columns(graph, row["convention"], optimum_time_limit))
        for key, value in task.paper.items():
            row[f"paper_{key}"] = value
        if task.paper and row["convention"] == "paper":
            row["matches_paper"] = all(row[b] == task.paper[b] for b in BASELINES)
    return rows


def tables(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Per convention, the table to print: under ``paper`` with the paper's columns."""
    cols = ["task", "vertices", "forward", "reverse", "markowitz"]
    cols += [c for c in ("optimum", "lower_bound", "best_known") if c in frame]
    paper_cols = [
        c
        for c in (
            "paper_vertices",
            "paper_forward",
            "paper_reverse",
            "paper_markowitz",
            "matches_paper",
        )
        if c in frame
    ]
    out = {}
    for convention in CONVENTIONS:
        part = frame[frame["convention"] == convention]
        out[convention] = part[cols + (paper_cols if convention == "paper" else [])]
    return out


def run(cfg: DictConfig, out_dir=None) -> dict:
    scale = typed_config(cfg.scale, Scale, where="scale")
    for name in scale.tasks:
        tasks.load(name)  # unknown names fail here, before any work
    run_ = start_run(cfg, "elimination_costs", out_dir=out_dir, data_label="none (programs)")
    rows = [row for name in scale.tasks for row in task_rows(name, run_, scale.optimum_time_limit)]
    frame = pd.DataFrame(rows)
    for col in ("optimum", "lower_bound", "best_known"):
        if col in frame:  # integers, with <NA> where no optimum is proven
            frame[col] = frame[col].astype("Int64")
    run_.write_csv("costs.csv", frame)
    parts = tables(frame)
    titles = {
        "paper": "Convention `paper` (Graphax's count, every product of two partials "
        "costs >= 1; comparable with the paper's Table 1)",
        "structured": "Convention `structured` (unit partials, signs and index maps free)",
    }
    run_.write_text(
        "table.md",
        "\n\n".join(f"### {titles[c]}\n\n{markdown_table(parts[c])}" for c in CONVENTIONS),
    )
    run_.write_text(
        "table.tex",
        "\n\n".join(
            latex_table(
                parts[c],
                caption=f"Multiplications of the baseline elimination orders, convention "
                f"{c}" + (" (ours vs paper)." if c == "paper" else "."),
                label=f"tab:elimination-costs-{c}",
            )
            for c in CONVENTIONS
        ),
    )
    return run_.finish(
        {
            "tasks": len(scale.tasks),
            "costs": {
                c: {r["task"]: {b: r[b] for b in BASELINES} for r in rows if r["convention"] == c}
                for c in CONVENTIONS
            },
            **(
                {
                    "optimum": {
                        c: {
                            r["task"]: {k: r[k] for k in ("optimum", "lower_bound", "best_known")}
                            for r in rows
                            if r["convention"] == c
                        }
                        for c in CONVENTIONS
                    }
                }
                if scale.optimum_time_limit > 0
                else {}
            ),
        }
    )


@hydra.main(version_base="1.3", config_path="../configs", config_name="elimination_costs")
def main(cfg: DictConfig) -> None:
    run(cfg)


if __name__ == "__main__":
    main()
