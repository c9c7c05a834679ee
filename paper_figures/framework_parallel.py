"""Framework comparison, parallel in time: `snn.run(mode="parallel")` against `snn.run`
(sequential) and the hand-written `lax.scan`, over the number of steps T.

One row of panels per neuron (LIF, LI) in ``parallel.csv``: forward and forward+backward
time per call against T (linear axes; the hand scan's time is the median over the rounds
it was paired with each mode), and the ratio mode / hand scan of the same interleaved
rounds (log axes, bars = quartiles of the per-round ratios) with the 1.0 line: below it
the mode is faster than the hand scan. The iteration counts of the parallel modes are
written beside their points; untimed modes (time cap, failures) are listed under the
figure.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from _style import apply_style, load_meta, parse_args, save

STYLE = {  # mode -> (label, color, marker)
    "hand_scan": ("hand lax.scan", "0.2", "s"),
    "sequential": ("spikead sequential", "tab:blue", "o"),
    "parallel": ("spikead parallel (chunked)", "tab:red", "^"),
    "parallel_associative": ("spikead parallel (associative)", "tab:orange", "v"),
}
PASSES = {"fwd": "forward", "fwdbwd": "forward + backward"}


def main() -> None:
    args = parse_args(__doc__)
    apply_style()
    frame = pd.read_csv(args.results / "parallel.csv")
    meta = load_meta(args.results)
    neurons = list(dict.fromkeys(frame["neuron"]))
    fig, axes = plt.subplots(len(neurons), 3, figsize=(13.5, 3.6 * len(neurons)),
                             squeeze=False)
    for row, neuron in zip(axes, neurons):
        rows = frame[frame["neuron"] == neuron]
        for ax, (kind, title) in zip(row[:2], PASSES.items()):
            _time_panel(ax, rows[rows["pass"] == kind], f"{neuron.upper()}: {title}")
        _ratio_panel(row[2], rows, neuron)
    axes[0][0].legend(fontsize=7)
    first = frame.iloc[0]
    fig.suptitle(f"Linear(N, N) + neuron, N = {first['n']}, batch {first['batch']}, fp32: "
                 "parallel in time vs sequential", y=1.0)
    lines = _not_timed(frame)
    if lines:
        fig.text(0.005, -0.04, "not timed: " + "; ".join(lines), fontsize=6, color="0.3",
                 ha="left", wrap=True)
    fig.tight_layout()
    save(fig, args.out, meta)


def _time_panel(ax, rows: pd.DataFrame, title: str) -> None:
    """Time per call against T for each mode and the hand scan (linear axes)."""
    ok = rows[rows["status"] == "ok"]
    hand = ok.groupby("T")["hand_scan_ms"].median()
    label, color, marker = STYLE["hand_scan"]
    ax.plot(hand.index, hand.values, marker=marker, color=color, label=label, linewidth=2)
    for mode, group in ok.groupby("mode", sort=False):
        label, color, marker = STYLE.get(mode, (mode, None, "o"))
        group = group.sort_values("T")
        ax.plot(group["T"], group["mode_ms"], marker=marker, color=color, label=label)
        for t, ms, k in zip(group["T"], group["mode_ms"], group["iterations_max"]):
            if np.isfinite(k):
                ax.annotate(f"{int(k)}", (t, ms), fontsize=6, color=color,
                            textcoords="offset points", xytext=(3, 3))
    ax.set_xlabel("T (steps)")
    ax.set_ylabel("time per call (ms)")
    ax.set_ylim(bottom=0)
    ax.set_title(title + " (numbers: iterations)", fontsize=9)


def _ratio_panel(ax, rows: pd.DataFrame, neuron: str) -> None:
    """mode / hand scan of the same rounds against T (log axes) with the 1.0 line."""
    ok = rows[rows["status"] == "ok"]
    for (mode, kind), group in ok.groupby(["mode", "pass"], sort=False):
        label, color, marker = STYLE.get(mode, (mode, None, "o"))
        group = group.sort_values("T")
        yerr = np.clip(np.vstack([group["ratio"] - group["ratio_q25"],
                                  group["ratio_q75"] - group["ratio"]]), 0.0, None)
        ax.errorbar(group["T"], group["ratio"], yerr=yerr, marker=marker, color=color,
                    capsize=2, linestyle="-" if kind == "fwdbwd" else ":",
                    label=f"{label}, {PASSES[kind]}")
    ax.axhline(1.0, color="0.3", linewidth=0.9)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("T (steps)")
    ax.set_ylabel("time / hand scan time")
    ax.set_title(f"{neuron.upper()}: ratio to the hand scan (< 1: faster)", fontsize=9)
    ax.legend(fontsize=5.5)


def _not_timed(frame: pd.DataFrame) -> list[str]:
    """One entry per (neuron, mode) with untimed rows: the first T and its status."""
    rest = frame[(frame["status"] != "ok") & (frame["pass"] == "fwd")].sort_values("T")
    return [f"{neuron} {mode} T>={int(group['T'].iloc[0])}: "
            f"{group['status'].iloc[0].removeprefix('skipped: ')[:70]}"
            for (neuron, mode), group in rest.groupby(["neuron", "mode"], sort=False)]


if __name__ == "__main__":
    main()
