"""Runtime of Jacobians by vertex elimination (Paper C): time vs batch size per task,
and the speed-up over the baselines at the largest batch (written beside as *_bars.png).
The search's best order (jacve_best / vmap_jacve_best) is drawn in red; tasks where the
search found nothing cheaper than forward/reverse/Markowitz are listed under the figures.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from _style import apply_style, load_meta, parse_args, save

BEST = ("jacve_best", "vmap_jacve_best")


def method_palette(methods) -> tuple[list[str], dict[str, tuple]]:
    """Method order and colours: the search's orders in red, the rest from the palette."""
    others = [m for m in methods if m not in BEST]
    base = sns.color_palette("colorblind", 10)
    base = base[:3] + base[4:] + base[3:4]  # vermillion last: it is too close to the reds
    colours = dict(zip(others, sns.color_palette(base, len(others))))
    colours.update({"jacve_best": (0.84, 0.15, 0.16), "vmap_jacve_best": (0.55, 0.0, 0.0)})
    return others + [m for m in BEST if m in methods], colours


def search_notes(frame: pd.DataFrame) -> str:
    """One line per reason the search's order was not timed, naming the tasks."""
    status = frame["status"].astype(str) if "status" in frame else pd.Series(dtype=str)
    rows = frame[frame["method"].isin(BEST) & status.str.startswith("not timed")]
    notes = []
    for reason, group in rows.groupby(rows["status"].str.split("(").str[0].str.strip()):
        notes.append(f"{reason.removeprefix('not timed: ')}: {', '.join(sorted(set(group['task'])))}")
    return "; ".join(notes)


def main() -> None:
    args = parse_args(__doc__)
    apply_style()
    frame = pd.read_csv(args.results / "runtime.csv")
    meta = load_meta(args.results)

    timed = frame.dropna(subset=["median_ms"])
    if timed.empty:
        raise SystemExit(f"{args.results / 'runtime.csv'}: no job was timed (all over the time cap); "
                         "raise scale.time_cap_s and rerun the experiment")
    hue_order, palette = method_palette(list(dict.fromkeys(frame["method"])))
    present = [m for m in hue_order if m in set(timed["method"])]
    grid = sns.relplot(data=timed, x="batch", y="median_ms", hue="method", col="task",
                       col_wrap=5, kind="line", marker="o", height=2.2, facet_kws={"sharey": False},
                       hue_order=present, palette=palette,
                       size="method", sizes={m: 2.2 if m in BEST else 1.0 for m in present})
    grid.set(xscale="log", yscale="log")
    grid.set_axis_labels("batch size", "median time [ms]")
    grid.set_titles("{col_name}")
    skipped = frame[frame["status"].astype(str).str.startswith("skipped")] if "status" in frame else frame[:0]
    lines = []
    if not skipped.empty:  # never drop a measurement silently: say which jobs the cap skipped
        lines.append("not timed (over a cap): "
                     + "; ".join(f"{r.task} {r.method} B={r.batch}" for r in skipped.itertuples()))
    notes = search_notes(frame)
    if notes:
        lines.append(f"search order (red) not timed: {notes}")
    if lines:
        grid.figure.text(0.01, -0.02, "\n".join(lines), fontsize=6, wrap=True, va="top")
    save(grid.figure, args.out, meta)

    largest = frame[frame["batch"] == frame.groupby("task")["batch"].transform("max")]
    panels = [  # (methods, baseline column, label, goal: speed-up at least)
        ("jacve_", "speedup_vs_jacrev_vmap", "over jacrev(vmap(f))\n(dense B x B output)", 1.0),
        ("vmap_jacve_", "speedup_vs_vmap_jacrev", "over vmap(jacrev(f))\n(per-example output)", 1 / 1.2),
    ]
    fig, axes = plt.subplots(1, 2, figsize=(14, 3.6), sharey=False, gridspec_kw={"wspace": 0.6})
    for ax, (prefix, column, label, goal) in zip(axes, panels):
        sel = largest[largest["method"].str.startswith(prefix)]
        if not sel.empty:
            sns.barplot(data=sel, x="task", y=column, hue="method", ax=ax, palette=palette,
                        hue_order=[m for m in hue_order if m in set(sel["method"])])
        ax.axhline(1.0, color="0.3", lw=1, ls="--")
        if goal != 1.0:
            ax.axhline(goal, color="C3", lw=1, ls=":")
        ax.set_yscale("log")
        ax.set_ylabel("speed-up " + label)
        ax.set_xlabel("")
        # rotated task names end under their own bars
        plt.setp(ax.get_xticklabels(), rotation=35, ha="right", rotation_mode="anchor")
        if ax.get_legend() is not None:  # beside the panel, not over its bars
            sns.move_legend(ax, "upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7, title_fontsize=7)
    fig.suptitle(f"Speed-up at the largest batch ({int(largest['batch'].max())}); dotted: the 1.2x goal;"
                 " red: the search's best order")
    if notes:
        fig.text(0.01, -0.3, f"search order not timed: {notes}", fontsize=7, wrap=True, va="top")
    save(fig, args.out.with_name(args.out.stem + "_bars" + args.out.suffix), meta)


if __name__ == "__main__":
    main()
