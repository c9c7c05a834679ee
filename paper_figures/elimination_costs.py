"""Table 1 baselines (Paper C): cost of forward / reverse / Markowitz per task.

Renders a bar chart of each baseline's cost relative to the best baseline, one panel
per counting convention (``paper``: Graphax's count as in the paper's Table 1;
``structured``: unit partials and index maps free), and copies the Markdown table beside it.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from _style import (
    COLUMN_WIDTH,
    TEXT_WIDTH,
    apply_style,
    colors,
    figure_legend_entries,
    legend_below,
    load_meta,
    parse_args,
    ratio_axis,
    save,
)


def main() -> None:
    args = parse_args(__doc__)
    apply_style()
    frame = pd.read_csv(args.results / "costs.csv")
    meta = load_meta(args.results)
    if "convention" not in frame:  # results written before conventions existed
        frame["convention"] = "structured"
    conventions = list(dict.fromkeys(frame["convention"]))
    width = COLUMN_WIDTH if len(conventions) == 1 else TEXT_WIDTH
    fig, axes = plt.subplots(
        1,
        len(conventions),
        squeeze=False,
        sharey=True,
        layout="constrained",
        figsize=(width, 1.0 + 0.3 * frame["task"].nunique()),
    )
    orders = ["forward", "reverse", "markowitz"]
    for ax, convention in zip(axes[0], conventions):
        part = frame[frame["convention"] == convention]
        long = part.melt(
            id_vars="task", value_vars=orders, var_name="order", value_name="multiplications"
        )
        best = part.set_index("task")["best_baseline"]
        long["relative"] = long["multiplications"] / long["task"].map(best)
        sns.stripplot(
            data=long,
            y="task",
            x="relative",
            hue="order",
            ax=ax,
            jitter=False,
            dodge=True,
            palette=colors(orders),
            size=5,
            linewidth=0.5,
            edgecolor="0.2",
        )
        ratio_axis(ax, "x")
        ax.set_xlabel("cost / best baseline (log)")
        ax.set_ylabel("")
        ax.set_title(f"{convention} count")
        ax.get_legend().remove()
    fig.suptitle("Elimination cost of the baseline orders")
    legend_below(fig, *figure_legend_entries(fig), ncol=3)
    save(fig, args.out, meta, max_width=width)
    args.out.with_suffix(".md").write_text((args.results / "table.md").read_text())


if __name__ == "__main__":
    main()
