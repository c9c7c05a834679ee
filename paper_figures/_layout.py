"""Layout checks every figure passes before it is written (see ``_style.save``).

A figure is publication grade here when, placed at the width it is drawn at (at most the
text width of a two-column page):
- every visible text is at least ``MIN_FONT_PT`` points;
- no two texts overlap (tick labels, axis labels, titles, legends, notes; texts rotated
  by other than a multiple of 90 degrees are not compared: their boxes are not tight);
- no legend lies over a data point of any panel (reference lines drawn in axes
  coordinates, like ``axhline``, are not data).

``layout_problems`` lists what is wrong, one sentence per problem naming the text or the
legend and the fix; an empty list means the figure passes.
"""

from __future__ import annotations

import itertools

import numpy as np
from matplotlib.axis import Axis
from matplotlib.collections import Collection, LineCollection, PolyCollection
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.text import Text

TEXT_WIDTH = 7.0  # inches: the text width of a two-column page (figure* in LaTeX)
COLUMN_WIDTH = 3.4  # inches: one column of a two-column page
MIN_FONT_PT = 8.0
_SLACK_IN = 0.05  # tolerance on the width (tight bounding boxes round)
_SHRINK_PT = 0.75  # text boxes touching by less than this do not count as overlapping


def _visible_texts(artist) -> list[Text]:
    """Every visible non-empty Text under ``artist``, with only the tick labels an axis
    draws (ticks inside its view interval), skipping invisible subtrees."""
    if not artist.get_visible():
        return []
    if isinstance(artist, Text):
        return [artist] if artist.get_text().strip() else []
    if isinstance(artist, Axis):
        lo, hi = sorted(artist.get_view_interval())
        span = (hi - lo) * 1e-9
        texts = [artist.label, artist.offsetText]
        for tick in artist.get_major_ticks() + artist.get_minor_ticks():
            if tick.get_visible() and lo - span <= tick.get_loc() <= hi + span:
                texts += [tick.label1, tick.label2]
        return [t for t in texts if t.get_visible() and t.get_text().strip()]
    return [t for child in artist.get_children() for t in _visible_texts(child)]


def _axis_aligned(text: Text) -> bool:
    return abs(text.get_rotation() % 90) < 1e-6


def _data_points(ax) -> np.ndarray:
    """Display coordinates (K, 2) of the data drawn in ``ax``, inside its frame: line
    vertices, scatter offsets, segment ends, bar corners. Lines not drawn in data
    coordinates (axhline, axvline) are reference lines and left out."""
    points = []
    for artist in ax.get_children():
        if not artist.get_visible():
            continue
        if isinstance(artist, Line2D):
            if not artist.get_transform().contains_branch(ax.transData):
                continue
            points.append(artist.get_transform().transform(artist.get_xydata()))
        elif isinstance(artist, LineCollection):
            for seg in artist.get_segments():
                points.append(artist.get_transform().transform(np.asarray(seg)))
        elif isinstance(artist, Collection) and not isinstance(artist, PolyCollection):
            offsets = artist.get_offsets()
            if len(offsets):
                points.append(artist.get_offset_transform().transform(np.asarray(offsets)))
        elif (
            isinstance(artist, Rectangle)
            and artist is not ax.patch
            and artist.get_width()
            and artist.get_height()
        ):
            box = artist.get_window_extent()
            points.append(
                np.array([[box.x0, box.y0], [box.x1, box.y1], [box.x0, box.y1], [box.x1, box.y0]])
            )
    if not points:
        return np.zeros((0, 2))
    pts = np.concatenate([p.reshape(-1, 2) for p in points])
    frame = ax.get_window_extent()
    inside = (
        (pts[:, 0] >= frame.x0)
        & (pts[:, 0] <= frame.x1)
        & (pts[:, 1] >= frame.y0)
        & (pts[:, 1] <= frame.y1)
    )
    return pts[inside & np.isfinite(pts).all(axis=1)]


def _legends(fig) -> list[Legend]:
    found = [ax.get_legend() for ax in fig.axes if ax.get_visible()] + list(fig.legends)
    return [leg for leg in found if leg is not None and leg.get_visible()]


def layout_problems(
    fig, *, max_width: float = TEXT_WIDTH, min_font: float = MIN_FONT_PT
) -> list[str]:
    """Problems of ``fig`` at print size (see the module docstring); [] when it passes.

    ``max_width``: the widest the figure may be, in inches, at its tight bounding box
    (the box ``save`` writes); wider figures would be shrunk and their fonts with them.
    """
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    problems = []
    width = fig.get_tightbbox(renderer).width
    if width > max_width + _SLACK_IN:
        problems.append(
            f"the figure is {width:.2f} in wide (tight box), more than {max_width} in: "
            f"printed at that width its fonts shrink; make it narrower (figsize, fewer "
            f"columns, shorter labels)"
        )
    texts = _visible_texts(fig)
    for text in texts:
        if text.get_fontsize() < min_font - 1e-6:
            problems.append(
                f"text {text.get_text()[:40]!r} is {text.get_fontsize():g} pt, below "
                f"{min_font:g} pt: drop its fontsize (the style's default is {min_font:g} pt)"
            )
    shrink = _SHRINK_PT * fig.dpi / 72
    boxes = [(t, t.get_window_extent(renderer)) for t in texts if _axis_aligned(t)]
    boxes = [(t, b) for t, b in boxes if b.width > 0 and b.height > 0]
    for (ta, a), (tb, b) in itertools.combinations(boxes, 2):
        if (min(a.x1, b.x1) - max(a.x0, b.x0) > shrink) and (
            min(a.y1, b.y1) - max(a.y0, b.y0) > shrink
        ):
            problems.append(
                f"text {ta.get_text()[:40]!r} overlaps text {tb.get_text()[:40]!r}: "
                f"move one, shorten it or give the figure more room"
            )
    for legend in _legends(fig):
        box = legend.get_window_extent(renderer)
        for ax in fig.axes:
            if not ax.get_visible():
                continue
            pts = _data_points(ax)
            inside = (
                (pts[:, 0] > box.x0)
                & (pts[:, 0] < box.x1)
                & (pts[:, 1] > box.y0)
                & (pts[:, 1] < box.y1)
            )
            if inside.any():
                title = ax.get_title() or ax.get_ylabel() or "a panel"
                problems.append(
                    f"a legend lies over {int(inside.sum())} data point(s) of {title!r}: "
                    f"put it beside or below the panels (_style.legend_below)"
                )
    return problems
