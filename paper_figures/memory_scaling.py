"""Paper A, memory and time scaling: memory and time per training step vs T and vs N.

Four log-log panels (memory vs T, memory vs N, time vs T, time vs N) for every method
that was measured; skipped settings are left out and listed in the caption file. The vs-T
panels also show the LIF sweeps (`LIF_SWEEPS`: the factorised-trace LIF, dash-dot, sparse
and BPTT; the paper's LIF with reset to zero, dash-dot-dot, sparse, BPTT and hand-written
e-prop) and the JAX peers where they ran (brainscale, BrainTrace: markers, time only).
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
    markers,
    parse_args,
    save,
)
from matplotlib.lines import Line2D
from matplotlib.ticker import NullFormatter

#: sweep -> (line style, label suffix) of the LIF T sweeps drawn on the vs-T panels
LIF_SWEEPS = {
    "T_factorised": ("-.", "factorised LIF"),
    "T_lif_zero": ((0, (4, 1, 1, 1, 1, 1)), "LIF reset to zero"),
}
#: peer method in scaling.csv -> legend label
PEER_LABELS = {
    "brainscale_drtrl": "brainscale D-RTRL",
    "braintrace_drtrl": "BrainTrace D-RTRL",
    "braintrace_eprop": "BrainTrace e-prop",
}


def spread_out(ticks, min_decades: float = 0.35) -> set:
    """The ticks to label on a log axis: each at least ``min_decades`` from the last one
    labelled (300 and 500, 1000 and 2000 overlap at half the text width)."""
    shown, last = set(), None
    for t in sorted(ticks):
        if last is None or np.log10(t) - np.log10(last) >= min_decades:
            shown.add(t)
            last = t
    return shown


def main() -> None:
    args = parse_args(__doc__)
    apply_style()
    frame = pd.read_csv(args.results / "scaling.csv")
    meta = load_meta(args.results)
    is_peer = frame["method"].isin(list(PEER_LABELS))
    peers = frame[is_peer & frame["time_ms"].notna()]
    frame = frame[~is_peer].copy()
    frame["memory_MB"] = frame["memory_bytes"] / 1e6
    frame["memory_wo_inputs_MB"] = frame["memory_without_inputs_bytes"] / 1e6
    fig, axes = plt.subplots(2, 2, figsize=(TEXT_WIDTH, 6.0), layout="constrained")
    methods = sorted(frame["method"].unique())
    palette = colors([*methods, *sorted(peers["method"].unique())])
    panels = (
        ("memory_MB", "memory per step [MB] (compiled)"),
        ("time_ms", "time per training step [ms]"),
    )
    for row, (col, label) in enumerate(panels):
        for c, (sweep, x) in enumerate((("T", "T"), ("N", "N"))):
            ax = axes[row, c]
            data = frame[(frame["sweep"] == sweep) & frame[col].notna()]
            for (method, t_fixed), grp in data.groupby(["method", "T" if sweep == "N" else "N"]):
                grp = grp.sort_values(x)
                style = "-" if sweep == "T" or t_fixed == data["T"].min() else ":"
                ax.plot(
                    grp[x],
                    grp[col],
                    style,
                    marker=markers([method])[method],
                    ms=3,
                    color=palette[method],
                    label=method,
                )
                if col == "memory_MB":  # dashed: the same without the T x B x M inputs
                    ax.plot(grp[x], grp["memory_wo_inputs_MB"], "--", color=palette[method], lw=0.8)
            if sweep == "T":
                for lif_sweep, (ls, suffix) in LIF_SWEEPS.items():
                    lif = frame[(frame["sweep"] == lif_sweep) & frame[col].notna()]
                    for method, grp in lif.groupby("method"):
                        grp = grp.sort_values("T")
                        ax.plot(
                            grp["T"],
                            grp[col],
                            ls=ls,
                            marker=markers([method])[method],
                            ms=3,
                            color=palette[method],
                            label=f"{method} ({suffix})",
                        )
                if col == "time_ms":
                    for method, grp in peers.drop_duplicates(["method", "N", "T"]).groupby(
                        "method"
                    ):
                        ax.plot(
                            grp["T"],
                            grp["time_ms"],
                            ls="none",
                            marker=markers([method])[method],
                            color=palette[method],
                            ms=6,
                            label=f"{PEER_LABELS[method]} (brainpy ALIF)",
                        )
            n_fixed = int(data["N"].iloc[0]) if sweep == "T" and len(data) else None
            ax.set(
                xscale="log",
                yscale="log",
                ylabel=label,
                xlabel="sequence length T" if sweep == "T" else "hidden neurons N",
                title=f"vs T (N = {n_fixed})" if sweep == "T" else "vs N",
            )
            ticks = sorted(data[x].unique())
            shown = spread_out(ticks)
            ax.set_xticks(ticks, [str(int(t)) if t in shown else "" for t in ticks])
            ax.xaxis.set_minor_formatter(NullFormatter())
    handles, labels = figure_legend_entries(fig)
    t_for_n = sorted(frame.loc[frame["sweep"] == "N", "T"].unique())
    styles = [("--", "memory without the input arguments")]
    if len(t_for_n) > 1:
        styles += [("-", f"vs N: T = {int(t_for_n[0])}"), (":", f"vs N: T = {int(t_for_n[1])}")]
    for ls, text in styles:
        handles.append(Line2D([], [], color="0.3", ls=ls, lw=1.0))
        labels.append(text)
    legend_below(fig, handles, labels, ncol=3)
    fig.suptitle(
        f"Sparse online gradients vs BPTT / dense / RTRL (ALIF unless marked, batch "
        f"{int(frame['batch'].iloc[0])}, {int(frame['n_in'].iloc[0])} inputs)"
    )
    save(fig, args.out, meta)
    skipped = frame[frame["status"] != "ok"][["method", "N", "T", "status"]].drop_duplicates()
    if len(skipped):
        with open(args.out.with_suffix(".caption.txt"), "a") as fh:
            fh.write("not measured:\n" + skipped.to_string(index=False) + "\n")


if __name__ == "__main__":
    main()
