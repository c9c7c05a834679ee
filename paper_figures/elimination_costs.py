"""Table 1 baselines (Paper C): cost of forward / reverse / Markowitz per task.

Renders a bar chart of each baseline's cost relative to the best baseline, one panel
per counting convention (``paper``: Graphax's count as in the paper's Table 1;
``structured``: unit partials and index maps free), and copies the Markdown table beside it.
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
    if "convention" not in frame:  # results written before conventions existed
        frame["convention"] = "structured"
    conventions = list(dict.fromkeys(frame["convention"]))
    fig, axes = plt.subplots(len(conventions), 1, figsize=(8, 3.2 * len(conventions)),
                             squeeze=False)
    for ax, convention in zip(axes[:, 0], conventions):
        part = frame[frame["convention"] == convention]
        long = part.melt(id_vars="task", value_vars=["forward", "reverse", "markowitz"],
                         var_name="order", value_name="multiplications")
        best = part.set_index("task")["best_baseline"]
        long["relative"] = long["multiplications"] / long["task"].map(best)
        sns.barplot(data=long, x="task", y="relative", hue="order", ax=ax)
        ax.set_yscale("log")
        ax.set_ylabel("cost / best baseline")
        ax.set_xlabel("")
        ax.tick_params(axis="x", rotation=35)
        ax.set_title(f"Elimination cost of the baseline orders (convention {convention})")
    fig.tight_layout()
    save(fig, args.out, meta)
    args.out.with_suffix(".md").write_text((args.results / "table.md").read_text())


if __name__ == "__main__":
    main()
