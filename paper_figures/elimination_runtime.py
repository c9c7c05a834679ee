"""Runtime of Jacobians by vertex elimination (Paper C): time vs batch size per task,
and the speed-up over the baselines at the largest batch (written beside as *_bars.png).
The search's best order (jacve_best / vmap_jacve_best) is drawn in black (bold); the
vmap_jacve_* variants dashed, in the colour of their order; tasks where the search found
nothing cheaper than forward/reverse/Markowitz are listed under the figures.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
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

BEST = ("jacve_best", "vmap_jacve_best")


def search_notes(frame: pd.DataFrame) -> str:
    """One line per reason the search's order was not timed, naming the tasks."""
    status = frame["status"].astype(str) if "status" in frame else pd.Series(dtype=str)
    rows = frame[frame["method"].isin(BEST) & status.str.startswith("not timed")]
    notes = []
    for reason, group in rows.groupby(rows["status"].str.split("(").str[0].str.strip()):
        notes.append(
            f"{reason.removeprefix('not timed: ')}: {', '.join(sorted(set(group['task'])))}"
        )
    return "; ".join(notes)


def main() -> None:
    args = parse_args(__doc__)
    apply_style()
    frame = pd.read_csv(args.results / "runtime.csv")
    meta = load_meta(args.results)

    timed = frame.dropna(subset=["median_ms"])
    if timed.empty:
        raise SystemExit(
            f"{args.results / 'runtime.csv'}: no job was timed (all over the time cap); "
            "raise scale.time_cap_s and rerun the experiment"
        )
    methods = list(dict.fromkeys(frame["method"]))
    colour = colors(methods)
    tasks = list(dict.fromkeys(timed["task"]))
    cols = min(4, len(tasks))
    rows = -(-len(tasks) // cols)
    fig, axes = plt.subplots(
        rows, cols, figsize=(TEXT_WIDTH, 1.8 * rows + 1.2), squeeze=False, layout="constrained"
    )
    for ax, task in zip(axes.flat, tasks):
        for method in methods:
            rows_m = timed[(timed["task"] == task) & (timed["method"] == method)].sort_values(
                "batch"
            )
            if rows_m.empty:
                continue
            ax.plot(
                rows_m["batch"],
                rows_m["median_ms"],
                color=colour[method],
                label=method,
                ls="--" if method.startswith("vmap_") else "-",
                marker=markers([method])[method],
                lw=2.0 if method in BEST else 1.0,
                ms=3,
            )
        ax.set(
            xscale="log",
            yscale="log",
            title=task,
            xlabel="batch size",
            ylabel="median time [ms]" if ax in axes[:, 0] else "",
        )
    for ax in list(axes.flat)[len(tasks) :]:
        ax.axis("off")
    legend_below(fig, *figure_legend_entries(fig), ncol=4)
    skipped = (
        frame[frame["status"].astype(str).str.startswith("skipped")]
        if "status" in frame
        else frame[:0]
    )
    lines = []
    if not skipped.empty:  # never drop a measurement silently: say which jobs the cap skipped
        lines.append(
            "not timed (over a cap): "
            + "; ".join(f"{r.task} {r.method} B={r.batch}" for r in skipped.itertuples())
        )
    notes = search_notes(frame)
    if notes:
        lines.append(f"search order (black) not timed: {notes}")
    save(fig, args.out, meta, notes=lines, notes_in_figure=True)

    largest = frame[frame["batch"] == frame.groupby("task")["batch"].transform("max")]
    panels = [  # (methods, baseline column, label, goal: speed-up at least)
        ("jacve_", "speedup_vs_jacrev_vmap", "over jacrev(vmap(f))\n(dense B x B output)", None),
        (
            "vmap_jacve_",
            "speedup_vs_vmap_jacrev",
            "over vmap(jacrev(f))\n(per-example output)",
            1 / 1.2,
        ),
    ]
    bar_tasks = list(dict.fromkeys(largest["task"]))
    fig, axes = plt.subplots(
        1, 2, figsize=(TEXT_WIDTH, 0.4 * len(bar_tasks) + 1.8), sharey=True, layout="constrained"
    )
    for ax, (prefix, column, label, goal) in zip(axes, panels):
        sel = largest[largest["method"].str.startswith(prefix)].dropna(subset=[column])
        names = list(dict.fromkeys(sel["method"]))
        step = 0.6 / max(len(names), 1)
        for i, method in enumerate(names):
            rows_m = sel[sel["method"] == method]
            y = (
                rows_m["task"].map({t: k for k, t in enumerate(bar_tasks)})
                + (i - (len(names) - 1) / 2) * step
            )
            ax.scatter(
                rows_m[column],
                y,
                color=colour[method],
                marker=markers([method])[method],
                s=22,
                edgecolors="0.2",
                linewidths=0.4,
                label=method.removeprefix("vmap_"),
                zorder=3,
            )
        ratio_axis(
            ax, "x", goal=goal, goal_label=None if goal is None else "goal: at most 1.2x slower"
        )
        ax.set_yticks(range(len(bar_tasks)), bar_tasks)
        ax.set_ylim(len(bar_tasks) - 0.5, -0.5)
        ax.set_xlabel("speed-up " + label)
    legend_below(fig, *figure_legend_entries(fig), ncol=4)
    fig.suptitle(
        f"Speed-up at the largest batch ({int(largest['batch'].max())}) (log);"
        " black: the search's best order"
    )
    save(
        fig,
        args.out.with_name(args.out.stem + "_bars" + args.out.suffix),
        meta,
        notes=[f"search order not timed: {notes}"] if notes else [],
        notes_in_figure=True,
    )


if __name__ == "__main__":
    main()
