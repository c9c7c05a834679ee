"""Runtime of Jacobians by vertex elimination (Paper C): time vs batch size per task,
and the speed-up over the baselines at the largest batch (written beside as *_bars.png).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from _style import apply_style, load_meta, parse_args, save


def main() -> None:
    args = parse_args(__doc__)
    apply_style()
    frame = pd.read_csv(args.results / "runtime.csv")
    meta = load_meta(args.results)

    grid = sns.relplot(data=frame, x="batch", y="median_ms", hue="method", col="task",
                       col_wrap=5, kind="line", marker="o", height=2.2, facet_kws={"sharey": False})
    grid.set(xscale="log", yscale="log")
    grid.set_axis_labels("batch size", "median time [ms]")
    grid.set_titles("{col_name}")
    save(grid.figure, args.out, meta)

    largest = frame[frame["batch"] == frame.groupby("task")["batch"].transform("max")]
    fig, ax = plt.subplots(figsize=(9, 3.2))
    sns.barplot(data=largest[largest["method"].str.startswith("jacve")], x="task",
                y="speedup_vs_vmap_jacrev", hue="method", ax=ax)
    ax.axhline(1.0, color="0.3", lw=1, ls="--")
    ax.set_ylabel("speed-up over vmap(jacrev(f))")
    ax.set_xlabel("")
    ax.tick_params(axis="x", rotation=35)
    ax.set_title(f"Speed-up at the largest batch ({int(largest['batch'].max())})")
    save(fig, args.out.with_name(args.out.stem + "_bars" + args.out.suffix), meta)


if __name__ == "__main__":
    main()
