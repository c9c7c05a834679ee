"""Table 1 search (Paper C): best cost vs evaluations per method, and gain per task.

Left: for each task (one panel), the best cost found against evaluations for every
method (median over seeds), with the best of forward / reverse / Markowitz as a dashed
line. Second figure (``<out>_gain.png``): best gain over the best baseline (%) per task and
method, the paper's AlphaGrad gain as black bars; gains below -50 % are drawn at -50 % as
triangles and listed in its caption file. Copies ``table1.md`` beside it.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from _style import (
    TEXT_WIDTH,
    apply_style,
    clipped_handle,
    colors,
    figure_legend_entries,
    legend_below,
    load_meta,
    mark_clipped,
    markers,
    parse_args,
    save,
)

CLIP_PCT = -50.0  # gains below this are drawn at it, marked, and listed in the caption


def curves_figure(curves: pd.DataFrame, results: pd.DataFrame):
    tasks = list(dict.fromkeys(results["task"]))
    cols = min(4, len(tasks))
    rows = math.ceil(len(tasks) / cols)
    fig, axes = plt.subplots(
        rows, cols, figsize=(TEXT_WIDTH, 1.7 * rows + 1.0), squeeze=False, layout="constrained"
    )
    colour = colors(dict.fromkeys(results["method"]))
    for ax, task in zip(axes.flat, tasks):
        sub = curves[curves["task"] == task]
        for method, grp in sub.groupby("method", sort=False):
            med = grp.groupby("evaluations")["best_cost"].median()
            ax.step(med.index, med.values, where="post", label=method, color=colour[method])
            if len(med) == 1:
                ax.plot(med.index, med.values, "o", color=colour[method], ms=3)
        best = (
            results.loc[results["task"] == task, ["forward", "reverse", "markowitz"]]
            .min(axis=1)
            .iloc[0]
        )
        ax.axhline(best, ls="--", color="0.3", lw=1, label="best baseline")
        ax.set_xscale("symlog", linthresh=10)
        ax.set_xlim(left=0)  # evaluations are counts: no negative ticks
        ax.set_title(task)
        ax.set_xlabel("evaluations")
        ax.set_ylabel("multiplications" if ax in axes[:, 0] else "")
    for ax in list(axes.flat)[len(tasks) :]:
        ax.axis("off")
    handles, labels = figure_legend_entries(fig)  # methods can be missing on some tasks
    legend_below(fig, handles, labels, ncol=min(5, len(labels)))
    return fig


def gain_figure(results: pd.DataFrame):
    """Best gain over seeds per task (rows) and method (dodged within a row), the paper's
    gain as a black bar; gains below CLIP_PCT sit at it as triangles. Returns the figure
    and the caption lines naming the clipped gains."""
    best = (
        results.groupby(["task", "method"], sort=False)["gain_vs_best_baseline_pct"]
        .max()
        .reset_index()
    )
    best = best.dropna()
    tasks, methods = list(dict.fromkeys(results["task"])), list(dict.fromkeys(best["method"]))
    colour, marker = colors(methods), markers(methods)
    fig, ax = plt.subplots(figsize=(TEXT_WIDTH, 0.45 * len(tasks) + 1.4), layout="constrained")
    step = 0.7 / max(len(methods), 1)
    offset = {m: (i - (len(methods) - 1) / 2) * step for i, m in enumerate(methods)}
    y = best["task"].map({t: i for i, t in enumerate(tasks)}) + best["method"].map(offset)
    shown, clipped = mark_clipped(ax, y.to_numpy(), best["gain_vs_best_baseline_pct"], low=CLIP_PCT)
    for method in methods:
        sel = (best["method"] == method).to_numpy()
        keep = sel & ~np.isin(np.arange(len(best)), clipped)
        ax.scatter(
            shown[keep],
            y[keep],
            color=colour[method],
            marker=marker[method],
            s=22,
            edgecolors="0.2",
            linewidths=0.4,
            label=method,
            zorder=3,
        )
    paper = results.groupby("task", sort=False)["paper_gain_pct"].first()
    ax.scatter(
        paper.values,
        [tasks.index(t) for t in paper.index],
        marker="|",
        s=200,
        color="k",
        linewidths=2,
        label="paper (AlphaGrad)",
        zorder=2,
    )
    ax.axvline(0, color="0.3", lw=0.8)
    ax.set_yticks(range(len(tasks)), tasks)
    ax.set_ylim(len(tasks) - 0.5, -0.5)
    ax.set_xlim(left=CLIP_PCT - 4)
    ax.set_xlabel("gain vs best baseline (%)")
    handles, labels = figure_legend_entries(fig)
    if clipped:
        handles.append(clipped_handle(CLIP_PCT, " %"))
        labels.append(handles[-1].get_label())
    legend_below(fig, handles, labels, ncol=min(4, len(labels)))
    notes = (
        [
            f"clipped at {CLIP_PCT:g} %: "
            + "; ".join(
                f"{r.task} {r.method} {r.gain_vs_best_baseline_pct:.1f} %"
                for r in best.iloc[clipped].itertuples()
            )
        ]
        if clipped
        else []
    )
    return fig, notes


def main() -> None:
    args = parse_args(__doc__)
    apply_style()
    results = pd.read_csv(args.results / "results.csv")
    curves = pd.read_csv(args.results / "curves.csv")
    meta = load_meta(args.results)
    save(curves_figure(curves, results), args.out, meta)
    gain, notes = gain_figure(results)
    save(gain, args.out.with_name(args.out.stem + "_gain" + args.out.suffix), meta, notes=notes)
    args.out.with_suffix(".md").write_text((args.results / "table1.md").read_text())


if __name__ == "__main__":
    main()
