"""Table 1 baselines (Paper C): cost of forward / reverse / Markowitz per task.

Renders a bar chart of each baseline's cost relative to the best baseline, and copies
the Markdown table beside it.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from _style import (
    COLUMN_WIDTH,
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
    long = frame.melt(id_vars="task", value_vars=["forward", "reverse", "markowitz"],
                      var_name="order", value_name="multiplications")
    best = frame.set_index("task")["best_baseline"]
    long["relative"] = long["multiplications"] / long["task"].map(best)
    fig, ax = plt.subplots(figsize=(COLUMN_WIDTH, 1.0 + 0.3 * long["task"].nunique()), layout="constrained")
    orders = list(dict.fromkeys(long["order"]))
    sns.stripplot(data=long, y="task", x="relative", hue="order", ax=ax, jitter=False, dodge=True,
                  palette=colors(orders), size=5, linewidth=0.5, edgecolor="0.2")
    ratio_axis(ax, "x")
    ax.set_xlabel("cost / best baseline (log)")
    ax.set_ylabel("")
    fig.suptitle("Elimination cost of the baseline orders")
    ax.get_legend().remove()
    legend_below(fig, *figure_legend_entries(fig), ncol=3)
    save(fig, args.out, meta, max_width=COLUMN_WIDTH)
    args.out.with_suffix(".md").write_text((args.results / "table.md").read_text())


if __name__ == "__main__":
    main()
