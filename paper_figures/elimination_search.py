"""Table 1 search (Paper C): best cost vs evaluations per method, and gain per task.

Left: for each task (one panel), the best cost found against evaluations for every
method (median over seeds), with the best of forward / reverse / Markowitz as a dashed
line. Right figure (``<out>_gain.png``): gain over the best baseline (%) per task and
method, the paper's AlphaGrad gain as black markers. Copies ``table1.md`` beside it.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from _style import apply_style, load_meta, parse_args, save


def curves_figure(curves: pd.DataFrame, results: pd.DataFrame):
    tasks = list(dict.fromkeys(results["task"]))
    cols = min(5, len(tasks))
    rows = math.ceil(len(tasks) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.0 * cols, 2.5 * rows), squeeze=False)
    methods = list(dict.fromkeys(results["method"]))
    palette = dict(zip(methods, sns.color_palette(n_colors=len(methods))))
    for ax, task in zip(axes.flat, tasks):
        sub = curves[curves["task"] == task]
        for method, grp in sub.groupby("method", sort=False):
            med = grp.groupby("evaluations")["best_cost"].median()
            ax.step(med.index, med.values, where="post", label=method, color=palette[method])
            if len(med) == 1:
                ax.plot(med.index, med.values, "o", color=palette[method], ms=3)
        best = results.loc[results["task"] == task, ["forward", "reverse", "markowitz"]].min(axis=1).iloc[0]
        ax.axhline(best, ls="--", color="0.3", lw=1, label="best baseline")
        ax.set_xscale("symlog", linthresh=10)
        ax.set_title(task, fontsize=9)
        ax.set_xlabel("evaluations")
        ax.set_ylabel("multiplications")
    for ax in list(axes.flat)[len(tasks):]:
        ax.axis("off")
    seen: dict = {}
    for ax in axes.flat:  # methods can be missing on some tasks: collect every label
        for handle, label in zip(*ax.get_legend_handles_labels()):
            seen.setdefault(label, handle)
    handles, labels = list(seen.values()), list(seen)
    fig.legend(handles, labels, loc="upper center", ncol=min(8, len(labels)), fontsize=7,
               bbox_to_anchor=(0.5, 1.04))
    fig.tight_layout()
    return fig


def gain_figure(results: pd.DataFrame):
    best = results.groupby(["task", "method"], sort=False)["gain_vs_best_baseline_pct"].max().reset_index()
    fig, ax = plt.subplots(figsize=(9, 3.2))
    sns.barplot(data=best, x="task", y="gain_vs_best_baseline_pct", hue="method", ax=ax)
    paper = results.groupby("task", sort=False)["paper_gain_pct"].first()
    ax.plot(range(len(paper)), paper.values, "k_", ms=14, mew=2, label="paper (AlphaGrad)")
    ax.axhline(0, color="0.3", lw=0.8)
    ax.set_ylabel("gain vs best baseline (%)")
    ax.set_xlabel("")
    # anchor rotated labels at their right end so each sits under its own bar group
    plt.setp(ax.get_xticklabels(), rotation=35, ha="right", rotation_mode="anchor")
    ax.legend(fontsize=7, ncol=4)
    ax.set_ylim(bottom=max(-50, ax.get_ylim()[0]))
    return fig


def main() -> None:
    args = parse_args(__doc__)
    apply_style()
    results = pd.read_csv(args.results / "results.csv")
    curves = pd.read_csv(args.results / "curves.csv")
    meta = load_meta(args.results)
    save(curves_figure(curves, results), args.out, meta)
    save(gain_figure(results), args.out.with_name(args.out.stem + "_gain" + args.out.suffix), meta)
    args.out.with_suffix(".md").write_text((args.results / "table1.md").read_text())


if __name__ == "__main__":
    main()
