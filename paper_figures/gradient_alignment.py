"""Paper A, gradient alignment: sparse online gradients (e-prop) vs BPTT.

Panels: cosine similarity (1 - cosine, log scale) and relative L2 error (log scale) per
setting (neuron, recurrent, N, T), one point per seed and parameter leaf, coloured by
method, marker by parameter; copies the Markdown table (mean / worst over seeds) beside the figure.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from _style import (
    TEXT_WIDTH,
    apply_style,
    colors,
    figure_legend_entries,
    legend_below,
    load_meta,
    parse_args,
    save,
)

FLOOR = 1e-12  # exact agreement is drawn at this floor on the log axes


def main() -> None:
    args = parse_args(__doc__)
    apply_style()
    frame = pd.read_csv(args.results / "alignment.csv")
    meta = load_meta(args.results)
    frame["setting"] = (
        frame["neuron"]
        + np.where(frame["recurrent"], "+rec", "")
        + " N="
        + frame["N"].astype(str)
        + " T="
        + frame["T"].astype(str)
    )
    frame["one_minus_cos"] = np.maximum(1.0 - frame["cosine"], FLOOR)
    frame["rel_l2_floor"] = np.maximum(frame["rel_l2"], FLOOR)
    order = sorted(frame["setting"].unique(), key=lambda s: ("+rec" in s, s))
    row = {setting: i for i, setting in enumerate(order)}
    methods, params = list(dict.fromkeys(frame["method"])), sorted(frame["param"].unique())
    colour = colors(methods)
    marker = dict(zip(params, ("o", "s", "^", "D", "v", "P", "X")))
    jitter = np.random.default_rng(0).uniform(-0.2, 0.2, len(frame))  # fixed: same figure every run
    fig, axes = plt.subplots(
        1, 2, figsize=(TEXT_WIDTH, 0.17 * len(order) + 1.6), sharey=True, layout="constrained"
    )
    for ax, col, title in (
        (axes[0], "one_minus_cos", "1 - cosine similarity vs BPTT"),
        (axes[1], "rel_l2_floor", "relative L2 error vs BPTT"),
    ):
        for (method, param), grp in frame.groupby(["method", "param"], sort=False):
            ax.scatter(
                grp[col],
                grp["setting"].map(row) + jitter[grp.index],
                s=14,
                alpha=0.8,
                color=colour[method],
                marker=marker[param],
                linewidths=0,
                label=f"{method} / {param}",
            )
        ax.set_xscale("log")
        ax.set_xlabel(f"{title}\n(log; floor {FLOOR:g} = exact)")
        ax.set_yticks(range(len(order)), order)
        ax.set_ylim(len(order) - 0.5, -0.5)
    handles, labels = figure_legend_entries(fig)
    legend_below(fig, handles, labels, ncol=min(len(labels), 4))
    fig.suptitle("Online gradients vs BPTT (+rec: recurrent weights, e-prop approximation)")
    save(fig, args.out, meta)
    table = args.results / "table.md"
    if table.exists():
        args.out.with_suffix(".md").write_text(table.read_text())


if __name__ == "__main__":
    main()
