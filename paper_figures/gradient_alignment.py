"""Paper A, gradient alignment: sparse online gradients (e-prop) vs BPTT.

Panels: cosine similarity (1 - cosine, log scale) and relative L2 error (log scale) per
setting (neuron, recurrent, N, T), one point per seed and parameter leaf, coloured by
method; copies the Markdown table (mean / worst over seeds) beside the figure.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from _style import apply_style, load_meta, parse_args, save

FLOOR = 1e-12  # exact agreement is drawn at this floor on the log axes


def main() -> None:
    args = parse_args(__doc__)
    apply_style()
    frame = pd.read_csv(args.results / "alignment.csv")
    meta = load_meta(args.results)
    frame["setting"] = (frame["neuron"] + np.where(frame["recurrent"], "+rec", "")
                        + " N=" + frame["N"].astype(str) + " T=" + frame["T"].astype(str))
    frame["one_minus_cos"] = np.maximum(1.0 - frame["cosine"], FLOOR)
    frame["rel_l2_floor"] = np.maximum(frame["rel_l2"], FLOOR)
    frame["label"] = frame["method"] + " / " + frame["param"]
    order = sorted(frame["setting"].unique(), key=lambda s: ("+rec" in s, s))
    fig, axes = plt.subplots(1, 2, figsize=(12, 0.35 * len(order) + 2.0), sharey=True)
    for ax, col, title in ((axes[0], "one_minus_cos", "1 - cosine similarity vs BPTT"),
                           (axes[1], "rel_l2_floor", "relative L2 error vs BPTT")):
        sns.stripplot(data=frame, y="setting", x=col, hue="label", order=order, ax=ax,
                      dodge=False, jitter=0.15, size=4, alpha=0.8)
        ax.set_xscale("log")
        ax.set_xlabel(f"{title} (floor {FLOOR:g} = exact)")
        ax.set_ylabel("")
        ax.legend_.remove() if ax is axes[0] else ax.legend(fontsize=7, loc="lower right")
    fig.suptitle("Online gradients vs BPTT (+rec: recurrent weights, e-prop approximation)")
    save(fig, args.out, meta)
    table = args.results / "table.md"
    if table.exists():
        args.out.with_suffix(".md").write_text(table.read_text())


if __name__ == "__main__":
    main()
