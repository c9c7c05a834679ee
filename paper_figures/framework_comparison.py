"""Framework comparison (Paper B): time of Linear(N, N) + LIF per framework.

Left and middle: forward and forward+backward time against N (log-log, median with
inter-quartile band) for every framework that ran; right: forward+backward as bars at the
largest N where spikead was timed (the largest N overall if it never was). Sizes that were
not timed (missing or failed peers, sizes skipped by the time cap) are listed under the
figure with their status. Also copies the Markdown table beside the figure.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from _style import apply_style, load_meta, parse_args, save


def main() -> None:
    args = parse_args(__doc__)
    apply_style()
    frame = pd.read_csv(args.results / "timings.csv")
    meta = load_meta(args.results)
    ok = frame[frame["status"] == "ok"].sort_values(["framework", "n"])
    frameworks = sorted(ok["framework"].unique(), key=lambda f: (f != "spikead", f))
    colors = dict(zip(frameworks, sns.color_palette(n_colors=max(len(frameworks), 1))))
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8), gridspec_kw={"width_ratios": [1, 1, 1.1]})
    for ax, kind, title in ((axes[0], "fwd", "forward"), (axes[1], "fwdbwd", "forward + backward")):
        for fw in frameworks:
            rows = ok[ok["framework"] == fw]
            ax.plot(rows["n"], rows[f"{kind}_ms"], marker="o", label=fw, color=colors[fw],
                    linewidth=2.2 if fw == "spikead" else 1.3)
            ax.fill_between(rows["n"], rows[f"{kind}_q25_ms"], rows[f"{kind}_q75_ms"],
                            color=colors[fw], alpha=0.2, linewidth=0)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("N (neurons = inputs)")
        ax.set_ylabel("time per call (ms)")
        ax.set_title(title)
    axes[0].legend(fontsize=7, ncol=1)
    if not ok.empty:
        ref_sizes = ok.loc[ok["framework"] == "spikead", "n"]
        bar_n = ref_sizes.max() if not ref_sizes.empty else ok["n"].max()
        largest = ok[ok["n"] == bar_n].sort_values("fwdbwd_ms")
        axes[2].barh(largest["framework"], largest["fwdbwd_ms"],
                     xerr=np.vstack([largest["fwdbwd_ms"] - largest["fwdbwd_q25_ms"],
                                     largest["fwdbwd_q75_ms"] - largest["fwdbwd_ms"]]),
                     color=[colors[f] for f in largest["framework"]])
        axes[2].set_xscale("log")
        axes[2].set_xlim(left=0.5 * float(largest["fwdbwd_q25_ms"].min()))
        axes[2].set_xlabel("forward + backward (ms)")
        axes[2].set_title(f"N = {int(largest['n'].iloc[0])}")
    batch, steps = int(frame["batch"].iloc[0]), int(frame["T"].iloc[0])
    fig.suptitle(f"Linear(N, N) + LIF, batch {batch}, T = {steps}, fp32", y=1.02)
    lines = _not_timed(frame)
    if lines:
        fig.text(0.005, -0.10, "not timed: " + "; ".join(lines), fontsize=6, color="0.3",
                 ha="left", wrap=True)
    fig.tight_layout()
    save(fig, args.out, meta)
    table = args.results / "table.md"
    if table.exists():
        args.out.with_suffix(".md").write_text(table.read_text())


def _not_timed(frame: pd.DataFrame) -> list[str]:
    """One entry per framework and kind of status for the rows that were not timed:
    "fw N>=n0: status of the first such row" (the status says why)."""
    lines = []
    rest = frame[frame["status"] != "ok"].sort_values("n").copy()
    rest["kind"] = rest["status"].str.split("(").str[0].str.strip()
    for (fw, _), group in rest.groupby(["framework", "kind"], sort=False):
        status = group["status"].iloc[0].removeprefix("skipped: ")
        lines.append(f"{fw} N>={int(group['n'].iloc[0])}: {status[:60]}")
    return lines


if __name__ == "__main__":
    main()
