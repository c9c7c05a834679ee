"""Shared plotting style and the provenance stamp every figure carries."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
from _layout import COLUMN_WIDTH, MIN_FONT_PT, TEXT_WIDTH, layout_problems
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, Locator, NullFormatter, NullLocator

__all__ = [
    "COLUMN_WIDTH",
    "TEXT_WIDTH",
    "apply_style",
    "colors",
    "legend_below",
    "log_axis",
    "mark_clipped",
    "markers",
    "ratio_axis",
    "save",
]

PALETTE = "colorblind"
_COLORS = sns.color_palette(PALETTE)  # 0 blue, 1 orange, 2 green, 3 vermillion, 4 purple,
# 5 brown, 6 pink, 7 grey, 8 yellow, 9 sky blue; "k": black

#: One colour and marker per method / framework / order, the same in every figure. Names of
#: one figure never share a colour (orange and vermillion, close to each other, are not
#: used together). Names not listed here get the colours left over in their figure.
STYLES = {
    # Paper A: online gradients (sparse = e-prop) vs BPTT and the references
    "sparse": (0, "o"),
    "eprop": (0, "o"),
    "bptt": (1, "s"),
    "dense": (2, "^"),
    "rtrl": (4, "D"),
    "handwritten": (5, "v"),
    "brainscale_drtrl": ("k", "x"),
    "braintrace_drtrl": (7, "P"),
    "braintrace_eprop": (6, "*"),
    # Paper B: frameworks
    "spikead": (0, "o"),
    "jax_scan": (2, "s"),
    "jax_scan_stepwise": (9, "^"),
    "spyx": (4, "D"),
    "snntorch": (1, "v"),
    "norse": (5, "P"),
    "spikingjelly": (6, "X"),
    "rockpool": (7, "*"),
    # ... and spikead's parallel-in-time modes (beside "spikead" = sequential, "jax_scan")
    "spikead_parallel": (3, "^"),
    "spikead_parallel_associative": (4, "v"),
    # Paper C: elimination orders (jacve_X and vmap_jacve_X share the colour of X) ...
    "forward": (0, "o"),
    "reverse": (1, "s"),
    "markowitz": (2, "^"),
    "best": ("k", "*"),
    "jacrev_vmap": (7, "D"),
    "vmap_jacrev": (7, "d"),
    "jacfwd_vmap": (5, "v"),
    # ... and search methods
    "random": (7, "o"),
    "anneal": (5, "s"),
    "beam_markowitz": (2, "^"),
    "beam_relative_markowitz": (9, "v"),
    "beam_fill_in": (8, "D"),
    "alphazero": (3, "P"),
    "alphazero_joint": (6, "X"),
    "ppo": (4, "*"),
    "paper": ("k", "_"),
}


def _key(name: str) -> str:
    """The STYLES entry of ``name``: jacve_<order> and vmap_jacve_<order> map to <order>."""
    for prefix in ("vmap_jacve_", "jacve_"):
        if name.startswith(prefix):
            return name.removeprefix(prefix)
    return name


def _colour(spec):
    return (0.0, 0.0, 0.0) if spec == "k" else tuple(_COLORS[spec])


def colors(names) -> dict[str, tuple]:
    """Colour of each name (method, framework, order) for one figure: its fixed colour
    from STYLES, or one not used by the other names of the figure."""
    names = list(dict.fromkeys(names))
    fixed = {n: STYLES[_key(n)][0] for n in names if _key(n) in STYLES}
    free = [i for i in range(len(_COLORS)) if i not in set(fixed.values())]
    unknown = sorted({_key(n) for n in names} - set(STYLES))
    if len(unknown) > len(free):
        raise ValueError(
            f"{len(unknown)} names without a colour in _style.STYLES ({unknown}) but "
            f"only {len(free)} colours left: add them to STYLES"
        )
    fixed.update({n: free[unknown.index(_key(n))] for n in names if _key(n) in unknown})
    return {n: _colour(fixed[n]) for n in names}


def markers(names) -> dict[str, str]:
    """Marker of each name (from STYLES; "o" for names not listed)."""
    return {n: STYLES.get(_key(n), (None, "o"))[1] for n in names}


def apply_style() -> None:
    """Seaborn paper style with the repository palette, every font at >= 8 pt: figures are
    drawn at the size they print at (``TEXT_WIDTH`` or ``COLUMN_WIDTH`` wide)."""
    size = MIN_FONT_PT
    sns.set_theme(
        context="paper",
        style="whitegrid",
        palette=PALETTE,
        rc={
            "font.size": size,
            "axes.labelsize": size,
            "axes.titlesize": size + 1,
            "xtick.labelsize": size,
            "ytick.labelsize": size,
            "legend.fontsize": size,
            "legend.title_fontsize": size,
            "figure.titlesize": size + 1,
            "lines.linewidth": 1.2,
            "lines.markersize": 4,
            "legend.frameon": False,
        },
    )


class RatioLocator(Locator):
    """Ticks of a log ratio axis at round ratios: 1, 2, 5 per decade, finer steps (1.1, 1.2,
    ..., 0.8, 0.9) while that still gives at most ``max_ticks`` (fewer on short axes)."""

    _COARSE = (1.0, 2.0, 5.0)
    _FINE = (1.0, 1.1, 1.2, 1.5, 2.0, 3.0, 5.0, 7.0, 8.0, 9.0)
    _FINER = (
        1.0,
        1.05,
        1.1,
        1.15,
        1.2,
        1.3,
        1.5,
        1.7,
        2.0,
        2.5,
        3.0,
        4.0,
        5.0,
        6.0,
        7.0,
        8.0,
        9.0,
        9.5,
    )

    def __init__(self, max_ticks: int = 7):
        self.max_ticks = max_ticks

    def __call__(self):
        lo, hi = sorted(self.axis.get_view_interval())
        # labels like "1.15x" take about 3 font sizes of width: fewer ticks on short x axes
        room = self.axis.get_tick_space() * (0.6 if self.axis.axis_name == "x" else 1.0)
        return self.tick_values(lo, hi, max_ticks=max(2, min(self.max_ticks, int(room))))

    def tick_values(self, vmin, vmax, max_ticks: int | None = None):
        max_ticks = max_ticks or self.max_ticks
        vmin, vmax = max(min(vmin, vmax), 1e-300), max(vmin, vmax, 1e-300)
        decades = range(int(np.floor(np.log10(vmin))) - 1, int(np.ceil(np.log10(vmax))) + 1)

        def ticks(subs):
            return [
                t
                for t in (round(s * 10.0**d, 12) for d in decades for s in subs)
                if vmin <= t <= vmax
            ]

        for subs in (self._FINER, self._FINE, self._COARSE, (1.0,)):
            if 2 <= len(ticks(subs)) <= max_ticks:
                return ticks(subs)
        whole = ticks((1.0,))  # a wide range on a short axis: every k-th decade
        if len(whole) >= 2:
            return whole[:: -(-len(whole) // max_ticks)]
        finest = ticks(self._FINE)  # a narrow range on a short axis: every k-th of the fine ticks
        if len(finest) >= 2:
            return finest[:: -(-len(finest) // max_ticks)]
        return finest or whole  # one labelled tick beats none on a very narrow axis


def log_axis(ax, axis: str = "y", *, suffix: str = "") -> None:
    """Log scale on ``axis`` ("x" or "y") with round ticks that fit the axis (1, 2, 5,
    1.5, ... as room allows, :class:`RatioLocator`) written as plain numbers plus
    ``suffix``, and no minor tick labels (which overlap on short axes)."""
    (ax.set_xscale if axis == "x" else ax.set_yscale)("log")
    target = ax.xaxis if axis == "x" else ax.yaxis
    target.set_major_locator(RatioLocator())
    target.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}{suffix}"))
    target.set_minor_locator(NullLocator())
    target.set_minor_formatter(NullFormatter())


def ratio_axis(
    ax, axis: str = "y", *, goal: float | None = None, goal_label: str | None = None
) -> None:
    """Log scale for a ratio on ``axis`` ("x" or "y") with ticks at round ratios written as
    0.5x, 1x, 1.2x, a solid 1.0 line and, with ``goal``, a dotted line at it (labelled
    ``goal_label`` in the legend)."""
    log_axis(ax, axis, suffix="x")
    line = ax.axvline if axis == "x" else ax.axhline
    line(1.0, color="0.2", lw=0.9, zorder=1.5)
    if goal is not None:
        line(goal, color="0.2", lw=0.9, ls=":", zorder=1.5, label=goal_label)


def mark_clipped(
    ax,
    positions,
    values,
    *,
    low: float | None = None,
    high: float | None = None,
    axis: str = "x",
    color="0.2",
) -> tuple[np.ndarray, list[int]]:
    """Clip ``values`` to [low, high] for drawing along ``axis`` and mark each clipped one
    with a triangle pointing out of the range at the limit (``positions`` on the other
    axis). Returns the clipped values and the indices that were clipped (name them in a
    caption: the marks say "beyond", not how far)."""
    values = np.asarray(values, dtype=float)
    shown = np.clip(values, -np.inf if low is None else low, np.inf if high is None else high)
    clipped = [i for i in range(len(values)) if np.isfinite(values[i]) and shown[i] != values[i]]
    for i in clipped:
        below = low is not None and values[i] < low
        marker = ("<" if below else ">") if axis == "x" else ("v" if below else "^")
        xy = (shown[i], positions[i]) if axis == "x" else (positions[i], shown[i])
        ax.plot(*xy, marker=marker, color=color, ms=6, ls="none", zorder=4, clip_on=False)
    return shown, clipped


def clipped_handle(low: float, unit: str = "") -> Line2D:
    """Legend entry for the marks of ``mark_clipped`` (a value below ``low``)."""
    return Line2D(
        [],
        [],
        marker="<",
        color="0.2",
        ls="none",
        ms=6,
        label=f"beyond {low:g}{unit} (value in the caption)",
    )


def legend_below(
    fig, handles, labels, *, ncol: int | None = None, title: str | None = None
) -> None:
    """One legend for the whole figure, centred under its panels (off the data); ``fig``
    uses the constrained layout (``plt.subplots(..., layout="constrained")``), which makes
    room for it."""
    if fig.get_layout_engine() is None:
        raise ValueError(
            "legend_below needs a figure with layout='constrained': pass it to plt.subplots"
        )
    fig.legend(
        handles,
        labels,
        loc="outside lower center",
        ncol=ncol or min(len(labels), 4),
        title=title,
        frameon=False,
        columnspacing=1.2,
        handletextpad=0.4,
    )


def figure_legend_entries(fig) -> tuple[list, list[str]]:
    """Handles and labels of every panel of ``fig``, each label once (first panel wins)."""
    seen: dict = {}
    for ax in fig.axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            if not label.startswith("_"):
                seen.setdefault(label, handle)
    return list(seen.values()), list(seen)


def parse_args(description: str) -> argparse.Namespace:
    """The common command line of figure scripts: --results DIR --out FILE --profile P."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--results", required=True, type=Path, help="result folder of the experiment"
    )
    parser.add_argument("--out", required=True, type=Path, help="figure or table file to write")
    parser.add_argument("--profile", default="quick", help="profile the results came from")
    args = parser.parse_args()
    if not args.results.exists():
        parser.error(f"--results {args.results} does not exist: run the experiment first")
    return args


def load_meta(results: Path) -> dict:
    """The ``meta`` block of a run's metrics.json (profile, data, hardware)."""
    with open(results / "metrics.json") as fh:
        return json.load(fh)["meta"]


def provenance(meta: dict) -> str:
    """One line naming profile, data and hardware of a result."""
    hw = meta.get("hardware", {})
    hardware = f"{hw.get('backend', '?')} {hw.get('devices', '')}; {hw.get('cpu', '')}".strip()
    if "cpu_cores" in hw:
        used = hw.get("cpu_cores_used", hw["cpu_cores"])
        hardware += (
            f", {used} of {hw['cpu_cores']} cores" if used < hw["cpu_cores"] else f", {used} cores"
        )
    return f"profile: {meta.get('profile', '?')} | data: {meta.get('data', 'none')} | {hardware}"


def freeze(fig) -> None:
    """Run the layout engine of ``fig`` once and keep its result: the figure legends stay
    where it put them (``savefig(bbox_inches="tight")`` would otherwise re-anchor them to the
    tight box, onto the provenance line)."""
    fig.canvas.draw()
    if fig.get_layout_engine() is None:
        return
    for legend in fig.legends:
        box = legend.get_window_extent().transformed(fig.transFigure.inverted())
        legend.set_bbox_to_anchor(box, transform=fig.transFigure)
        legend.set_loc("center")
    fig.set_layout_engine("none")


def stamp(fig, meta: dict, notes=()) -> None:
    """Write ``notes`` (one paragraph each) and the provenance line under the bottom-left
    corner of everything drawn in ``fig`` (tick labels and legends may reach under the
    figure's own bottom edge), wrapped at the figure's width."""
    fig.canvas.draw()  # run the layout engine first: the stamp goes under its result
    lowest = fig.get_tightbbox(fig.canvas.get_renderer()).y0 / fig.get_figheight()
    fig.text(
        0.005,
        lowest - 0.01,
        "\n".join([*notes, provenance(meta)]),
        fontsize=MIN_FONT_PT,
        color="0.4",
        ha="left",
        va="top",
        wrap=True,
    )


def check_layout(fig, out: Path, *, max_width: float = TEXT_WIDTH) -> None:
    """Print the layout problems of ``fig`` (``_layout``) as a warning in the job's log, so
    a long run still gets its figure; with SPIKEAD_FIGURE_CHECK=strict (the tests' smoke
    workflow) raise ValueError listing them instead."""
    problems = layout_problems(fig, max_width=max_width)
    if not problems:
        return
    message = (
        f"{out.name}: not publication grade:\n- "
        + "\n- ".join(problems)
        + "\n(fix the figure script; SPIKEAD_FIGURE_CHECK=warn writes it anyway)"
    )
    if os.environ.get("SPIKEAD_FIGURE_CHECK", "warn") == "warn":
        print(f"warning: {message}", file=sys.stderr)
    else:
        plt.close(fig)
        raise ValueError(message)


def save(
    fig,
    out: Path,
    meta: dict,
    *,
    notes: list[str] = (),
    notes_in_figure: bool = False,
    max_width: float = TEXT_WIDTH,
) -> None:
    """Stamp ``fig``, check its layout (at most ``max_width`` inches wide, see ``_layout``)
    and save it as ``out`` (PNG at 300 dpi) and as a PDF beside it, atomically, and write a
    caption file next to them: the provenance line, then ``notes`` (one per line; also
    printed above the provenance line with ``notes_in_figure``)."""
    freeze(fig)
    stamp(fig, meta, notes if notes_in_figure else ())
    check_layout(fig, out, max_width=max_width)
    out.parent.mkdir(parents=True, exist_ok=True)
    for path in (out, out.with_suffix(".pdf")):
        tmp = path.with_name(f".{path.stem}.tmp{path.suffix}")
        fig.savefig(tmp, dpi=300, bbox_inches="tight", pad_inches=0.02)
        tmp.replace(path)
    out.with_suffix(".caption.txt").write_text("\n".join([provenance(meta), *notes]) + "\n")
    plt.close(fig)
