"""Framework comparison, parallel in time: `snn.run(mode="parallel")` against `snn.run`
(sequential) and the hand-written `lax.scan`, over the number of steps T.

One row of panels per neuron (LIF, LI) in ``parallel.csv``: forward and forward+backward
time per call against T (linear axes; the hand scan's time is the median over the rounds
it was paired with each mode), and the ratio mode / hand scan of the same interleaved
rounds (log axes, bars = quartiles of the per-round ratios; dotted: forward, solid:
forward + backward) with the 1x line: below it the mode is faster than the hand scan.
The iteration counts of the parallel modes and the untimed modes (time cap, failures)
are written under the figure and in its caption file.
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
    ratio_axis,
    save,
)
from matplotlib.lines import Line2D
from matplotlib.ticker import NullLocator

#: mode in parallel.csv -> (its name in _style.STYLES, legend label)
MODES = {
    "hand_scan": ("jax_scan", "hand lax.scan"),
    "sequential": ("spikead", "spikead sequential"),
    "parallel": ("spikead_parallel", "spikead parallel (chunked)"),
    "parallel_associative": ("spikead_parallel_associative", "spikead parallel (associative)"),
}
#: pass -> (title, line style and T shift of its ratio curve: fwd/fwdbwd bars side by side)
PASSES = {"fwd": ("forward", ":", 0.97), "fwdbwd": ("forward + backward", "-", 1.03)}


def main() -> None:
    args = parse_args(__doc__)
    apply_style()
    frame = pd.read_csv(args.results / "parallel.csv")
    meta = load_meta(args.results)
    unknown = sorted(set(frame["mode"]) - set(MODES))
    if unknown:
        raise ValueError(
            f"parallel.csv: modes {unknown} have no style; expected some of "
            f"{sorted(MODES)}: add them to MODES in {__file__}"
        )
    styles = _styles()
    neurons = list(dict.fromkeys(frame["neuron"]))
    fig, axes = plt.subplots(
        len(neurons),
        3,
        figsize=(TEXT_WIDTH, 2.2 * len(neurons) + 1.1),
        squeeze=False,
        layout="constrained",
    )
    for row, neuron in zip(axes, neurons):
        rows = frame[frame["neuron"] == neuron]
        for ax, (kind, (title, *_)) in zip(row[:2], PASSES.items()):
            _time_panel(ax, rows[rows["pass"] == kind], styles)
            ax.set_title(f"{neuron.upper()}: {title}")
        _ratio_panel(row[2], rows, styles)
        row[2].set_title(f"{neuron.upper()}: vs hand scan")
    for ax in axes[:, 1:].flat:
        ax.set_ylabel("")
    handles, labels = figure_legend_entries(fig)
    for title, ls, _ in PASSES.values():  # the line styles of the ratio panels
        handles.append(Line2D([], [], color="0.3", ls=ls))
        labels.append(f"ratio, {title}")
    legend_below(fig, handles, labels, ncol=3)
    first = frame.iloc[0]
    fig.suptitle(
        f"Linear(N, N) + neuron, N = {first['n']}, batch {first['batch']}, fp32: "
        "parallel in time vs sequential"
    )
    notes = _iteration_notes(frame)
    lines = _not_timed(frame)
    if lines:
        notes.append("not timed: " + "; ".join(lines))
    save(fig, args.out, meta, notes=notes, notes_in_figure=True)


def _styles() -> dict[str, tuple]:
    """mode -> (label, colour, marker) from the shared palette (_style.STYLES)."""
    names = [name for name, _ in MODES.values()]
    colour, marker = colors(names), markers(names)
    return {mode: (label, colour[name], marker[name]) for mode, (name, label) in MODES.items()}


def _time_panel(ax, rows: pd.DataFrame, styles: dict) -> None:
    """Time per call against T for each mode and the hand scan (linear axes)."""
    ok = rows[rows["status"] == "ok"]
    hand = ok.groupby("T")["hand_scan_ms"].median()
    label, color, marker = styles["hand_scan"]
    ax.plot(hand.index, hand.values, marker=marker, color=color, label=label, linewidth=2)
    for mode, group in ok.groupby("mode", sort=False):
        label, color, marker = styles[mode]
        group = group.sort_values("T")
        ax.plot(group["T"], group["mode_ms"], marker=marker, color=color, label=label)
    ax.set_xlabel("T (steps)")
    ax.set_ylabel("time per call (ms)")
    ax.set_ylim(bottom=0)


def _ratio_panel(ax, rows: pd.DataFrame, styles: dict) -> None:
    """mode / hand scan of the same rounds against T (log axes) with the 1x line; the line
    style tells the pass (PASSES), the legend entries are added by ``main``."""
    ok = rows[rows["status"] == "ok"]
    for (mode, kind), group in ok.groupby(["mode", "pass"], sort=False):
        _, color, marker = styles[mode]
        group = group.sort_values("T")
        # the ratio of medians need not lie between the quartiles of the per-round ratios
        yerr = np.clip(
            np.vstack([group["ratio"] - group["ratio_q25"], group["ratio_q75"] - group["ratio"]]),
            0.0,
            None,
        )
        _, linestyle, shift = PASSES[kind]
        ax.errorbar(
            group["T"] * shift,
            group["ratio"],
            yerr=yerr,
            marker=marker,
            color=color,
            capsize=2,
            linestyle=linestyle,
            label="_ratio",
        )
    ax.set_xscale("log")
    steps = sorted(rows["T"].unique())  # ticks at the measured T, written plainly
    ax.set_xticks(steps, [str(int(t)) for t in steps])
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xlim(steps[0] / 1.25, steps[-1] * 1.25)
    ratio_axis(ax, "y")
    ax.set_xlabel("T (steps)")
    ax.set_ylabel("time / hand scan time")


def _iteration_notes(frame: pd.DataFrame) -> list[str]:
    """One note listing the iteration counts (max over the batch) of the parallel modes:
    "LIF chunked at T = 500, 1000: 3, 4; ..." (the same for fwd and fwd+bwd)."""
    ok = frame[(frame["status"] == "ok") & frame["iterations_max"].notna()]
    counts = ok.groupby(["neuron", "mode", "T"], sort=False)["iterations_max"].max()
    entries = []
    for (neuron, mode), per_t in counts.groupby(level=[0, 1], sort=False):
        name = MODES[mode][1].removeprefix("spikead parallel ").strip("()")
        per_t = per_t.sort_index()
        steps = ", ".join(str(int(t)) for _, _, t in per_t.index)
        entries.append(
            f"{neuron.upper()} {name} at T = {steps}: "
            + ", ".join(str(int(k)) for k in per_t.values)
        )
    return (
        ["iterations of the parallel modes (max over the batch): " + "; ".join(entries)]
        if entries
        else []
    )


def _not_timed(frame: pd.DataFrame) -> list[str]:
    """One entry per (neuron, mode) with untimed rows: the first T and its status."""
    rest = frame[(frame["status"] != "ok") & (frame["pass"] == "fwd")].sort_values("T")
    return [
        f"{neuron.upper()} {MODES[mode][1]} T>={int(group['T'].iloc[0])}: "
        f"{group['status'].iloc[0].removeprefix('skipped: ')[:70]}"
        for (neuron, mode), group in rest.groupby(["neuron", "mode"], sort=False)
    ]


if __name__ == "__main__":
    main()
