"""Table 1 baselines (Paper C): cost of forward / reverse / Markowitz per task.

Renders a bar chart of each baseline's cost relative to the best baseline, and copies
the Markdown table beside it.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from _style import apply_style, load_meta, parse_args, save


def main() -> None:
    args = parse_args(__doc__)
    apply_style()
    frame = pd.read_csv(args.results / "costs.csv")
    meta = load_meta(args.results)
    long = frame.melt(id_vars="task", value_vars=["forward", "reverse", "markowitz"],
                      var_name="order", value_name="multiplications")
    best = frame.set_index("task")["best_baseline"]
    long["relative"] = long["multiplications"] / long["task"].map(best)
    fig, ax = plt.subplots(figsize=(8, 3.2))
    sns.barplot(data=long, x="task", y="relative", hue="order", ax=ax)
    ax.set_yscale("log")
    ax.set_ylabel("cost / best baseline")
    ax.set_xlabel("")
    ax.tick_params(axis="x", rotation=35)
    ax.set_title("Elimination cost of the baseline orders")
    save(fig, args.out, meta)
    args.out.with_suffix(".md").write_text((args.results / "table.md").read_text())


if __name__ == "__main__":
    main()
