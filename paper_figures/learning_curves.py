"""Paper A experiment 2: learning curves of e-prop vs BPTT per dataset and neuron model.

Reads every run folder under --results (the train_snn result folder, one sub-folder per
run with history.csv and metrics.json) and plots test accuracy (solid) and train accuracy
(dashed) against the epoch, one panel per dataset x model. With several seeds the lines are
the means over seeds and a band spans the lowest to the highest test accuracy. Synthetic
stand-ins are labelled in the panel titles and the provenance line.
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from _style import (
    COLUMN_WIDTH,
    TEXT_WIDTH,
    apply_style,
    colors,
    figure_legend_entries,
    legend_below,
    load_meta,
    parse_args,
    save,
)

COLORS = colors(("eprop", "bptt"))


def load_runs(results: Path, *, grid_only: bool = True) -> pd.DataFrame:
    """All runs' histories in one long frame with dataset/model/algorithm columns."""
    frames = []
    for folder in sorted(p for p in results.iterdir() if (p / "metrics.json").is_file()):
        metrics = json.loads((folder / "metrics.json").read_text())
        if grid_only and metrics.get("depth", 1) != 1:
            continue
        history = pd.read_csv(folder / "history.csv")
        for key in ("model", "algorithm", "synthetic", "chance_acc"):
            history[key] = metrics[key]
        history["dataset"] = metrics.get("dataset_label", metrics["dataset"])
        history["data_meta"] = metrics["meta"]["data"]
        history["run"] = folder.name
        frames.append(history)
    if not frames:
        raise SystemExit(
            f"no finished runs (metrics.json) under {results}: run the train_snn rules first"
        )
    return pd.concat(frames, ignore_index=True)


def main() -> None:
    args = parse_args(__doc__)
    apply_style()
    runs = load_runs(args.results)
    meta = {
        **load_meta(args.results / runs["run"].iloc[0]),
        "data": "; ".join(sorted(runs["data_meta"].unique())),
    }
    datasets, models = sorted(runs["dataset"].unique()), sorted(runs["model"].unique())
    fig_width = TEXT_WIDTH if len(models) > 1 else COLUMN_WIDTH
    fig, axes = plt.subplots(
        len(datasets),
        len(models),
        figsize=(fig_width, 2.0 * len(datasets) + 1.0),
        squeeze=False,
        sharex=True,
        sharey=True,
        layout="constrained",
    )
    for i, ds in enumerate(datasets):
        for j, model in enumerate(models):
            ax = axes[i][j]
            sub = runs[(runs["dataset"] == ds) & (runs["model"] == model)]
            if sub.empty:
                ax.set_visible(False)
                continue
            for algorithm, width in (("bptt", 3.0), ("eprop", 1.2)):  # e-prop drawn on top
                runs_alg = sub[sub["algorithm"] == algorithm]
                curve = runs_alg.groupby("epoch")[["test_acc", "train_acc"]]
                mean, low, high = curve.mean(), curve.min(), curve.max()
                color = COLORS[algorithm]
                seeds = runs_alg["run"].nunique()
                label = f"{algorithm} test" + (f" (mean of {seeds} seeds)" if seeds > 1 else "")
                ax.plot(
                    mean.index,
                    mean["test_acc"],
                    color=color,
                    lw=width,
                    marker="o",
                    ms=3,
                    label=label,
                )
                if seeds > 1:
                    ax.fill_between(
                        mean.index, low["test_acc"], high["test_acc"], color=color, alpha=0.2, lw=0
                    )
                ax.plot(
                    mean.index,
                    mean["train_acc"],
                    color=color,
                    lw=width,
                    ls="--",
                    alpha=0.6,
                    label=f"{algorithm} train",
                )
            ax.axhline(sub["chance_acc"].iloc[0], color="0.5", lw=0.8, ls=":")
            label = f"{ds} (synthetic)" if bool(sub["synthetic"].iloc[0]) else ds
            ax.set_title(f"{label}, {model}")
            ax.set_ylabel("accuracy" if j == 0 else "")
            ax.set_xlabel("epoch" if i == len(datasets) - 1 else "")
            ax.xaxis.get_major_locator().set_params(integer=True)
            ax.set_ylim(0, 1)
    legend_below(fig, *figure_legend_entries(fig), ncol=2)
    fig.suptitle("e-prop vs BPTT (solid: test, dashed: train, dotted: chance)")
    save(fig, args.out, meta, max_width=fig_width)


if __name__ == "__main__":
    main()
