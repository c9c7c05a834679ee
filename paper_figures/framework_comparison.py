"""Framework comparison (Paper B): time of Linear(N, N) + LIF per framework.

Left and middle: forward and forward+backward time against N (log-log, median with
inter-quartile band) for every framework that ran; right: forward+backward as bars at the
largest N where spikead was timed (the largest N overall if it never was). Sizes that were
not timed (missing or failed peers, sizes skipped by the time cap) are listed under the
figure with their status. When the run wrote ``paired.csv`` (spikead and the hand scan
timed interleaved in one process), a fourth panel shows that paired ratio spikead / hand
scan against N (fwd and fwd+bwd, bars = quartiles of the per-round ratios) with the 1.10x
goal line and, as crosses, the ratio of the sequential runs. Also copies the Markdown
table beside the figure.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from _style import (
    TEXT_WIDTH,
    apply_style,
    figure_legend_entries,
    legend_below,
    load_meta,
    log_axis,
    parse_args,
    save,
)
from _style import colors as framework_colors


def main() -> None:
    args = parse_args(__doc__)
    apply_style()
    frame = pd.read_csv(args.results / "timings.csv")
    meta = load_meta(args.results)
    ok = frame[frame["status"] == "ok"].sort_values(["framework", "n"])
    frameworks = sorted(ok["framework"].unique(), key=lambda f: (f != "spikead", f))
    colors = framework_colors(frameworks)
    paired_path = args.results / "paired.csv"
    paired = pd.read_csv(paired_path) if paired_path.exists() else None
    widths = [1, 1, 1.1] + ([0.9] if paired is not None else [])
    fig, axes = plt.subplots(
        1,
        len(widths),
        figsize=(TEXT_WIDTH, 3.0),
        gridspec_kw={"width_ratios": widths},
        layout="constrained",
    )
    for ax, kind, title in ((axes[0], "fwd", "forward"), (axes[1], "fwdbwd", "forward + backward")):
        for fw in frameworks:
            rows = ok[ok["framework"] == fw]
            ax.plot(
                rows["n"],
                rows[f"{kind}_ms"],
                marker="o",
                label=fw,
                color=colors[fw],
                linewidth=2.2 if fw == "spikead" else 1.3,
            )
            ax.fill_between(
                rows["n"],
                rows[f"{kind}_q25_ms"],
                rows[f"{kind}_q75_ms"],
                color=colors[fw],
                alpha=0.2,
                linewidth=0,
            )
        ax.set_xscale("log", base=2)
        log_axis(ax, "y")
        ax.set_xlabel("N (neurons = inputs)")
        ax.set_ylabel("time per call (ms)")
        ax.set_title(title)
    if not ok.empty:
        ref_sizes = ok.loc[ok["framework"] == "spikead", "n"]
        bar_n = ref_sizes.max() if not ref_sizes.empty else ok["n"].max()
        largest = ok[ok["n"] == bar_n].sort_values("fwdbwd_ms")
        for i, row in enumerate(largest.itertuples()):  # points, not bars: the axis is log
            axes[2].errorbar(
                row.fwdbwd_ms,
                i,
                xerr=[[row.fwdbwd_ms - row.fwdbwd_q25_ms], [row.fwdbwd_q75_ms - row.fwdbwd_ms]],
                fmt="o",
                color=colors[row.framework],
                capsize=3,
            )
        axes[2].set_yticks(range(len(largest)), largest["framework"])
        axes[2].set_ylim(len(largest) - 0.5, -0.5)
        log_axis(axes[2], "x")
        axes[2].set_xlim(left=0.5 * float(largest["fwdbwd_q25_ms"].min()))
        axes[2].set_xlabel("forward + backward (ms)")
        axes[2].set_title(f"N = {int(largest['n'].iloc[0])}")
    if paired is not None:
        _paired_panel(axes[3], paired, ok)
    legend_below(fig, *figure_legend_entries(fig), ncol=4)
    batch, steps = int(frame["batch"].iloc[0]), int(frame["T"].iloc[0])
    fig.suptitle(f"Linear(N, N) + LIF, batch {batch}, T = {steps}, fp32")
    lines = _not_timed(frame)
    if paired is not None:
        lines += _not_timed(
            paired.assign(framework="paired spikead/hand scan").drop_duplicates("n")
        )
    save(
        fig,
        args.out,
        meta,
        notes=["not timed: " + "; ".join(lines)] if lines else [],
        notes_in_figure=True,
    )
    table = args.results / "table.md"
    if table.exists():
        args.out.with_suffix(".md").write_text(table.read_text())


def _paired_panel(ax, paired: pd.DataFrame, ok: pd.DataFrame) -> None:
    """spikead / hand scan per N: paired (interleaved, one process) with the quartiles of
    the per-round ratios, and the sequential runs' ratio of medians as crosses."""
    timed = paired[paired["status"] == "ok"]
    styles = {"fwd": ("forward", "C0", 0.96), "fwdbwd": ("fwd + bwd", "C3", 1.04)}
    for mode, (label, color, shift) in styles.items():  # shift: fwd/fwdbwd bars side by side
        rows = timed[timed["mode"] == mode].sort_values("n")
        # the ratio of medians need not lie between the quartiles of the per-round ratios
        # (few rounds, skewed rounds): the bar then ends at the marker
        yerr = np.clip(
            np.vstack([rows["ratio"] - rows["ratio_q25"], rows["ratio_q75"] - rows["ratio"]]),
            0.0,
            None,
        )
        ax.errorbar(
            rows["n"] * shift,
            rows["ratio"],
            yerr=yerr,
            marker="o",
            capsize=3,
            color=color,
            label=f"paired {label}",
        )
        seq = ok.pivot_table(index="n", columns="framework", values=f"{mode}_ms")
        if {"spikead", "jax_scan"} <= set(seq.columns):
            ratio = (seq["spikead"] / seq["jax_scan"]).dropna()
            ax.scatter(
                ratio.index,
                ratio.values,
                marker="x",
                color=color,
                alpha=0.5,
                label=f"sequential {label}",
            )
    ax.axhline(1.0, color="0.5", linewidth=0.8)
    ax.axhline(1.10, color="0.3", linestyle="--", linewidth=0.8, label="goal 1.10x")
    ax.set_xscale("log", base=2)
    if not paired.empty:  # a margin around the sizes (a single size would zoom in far)
        ax.set_xlim(paired["n"].min() / 1.5, paired["n"].max() * 1.5)
    ax.set_xlabel("N (neurons = inputs)")
    ax.set_ylabel("spikead / hand scan (time)")
    ax.set_title("vs hand lax.scan")


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
