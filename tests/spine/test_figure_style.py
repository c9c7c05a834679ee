"""The shared figure style (paper_figures/_style.py, _layout.py): the layout check finds
small fonts, overlapping texts, legends over data and too wide figures, and passes a clean
figure; clipped values are marked and reported; colours are fixed per name; ratio axes
carry the 1x line; every save writes a 300-dpi PNG and a PDF."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from conftest import REPO

sys.path.insert(0, str(REPO / "paper_figures"))
import _style
import matplotlib.pyplot as plt
from _layout import layout_problems

META = {"profile": "smoke", "data": "none", "hardware": {"backend": "cpu"}}


@pytest.fixture(autouse=True)
def _style_on():
    _style.apply_style()
    yield
    plt.close("all")


def _clean_figure():
    fig, ax = plt.subplots(figsize=(_style.COLUMN_WIDTH, 2.5), layout="constrained")
    ax.plot([1, 2, 3], [1, 4, 9], label="a")
    ax.plot([1, 2, 3], [2, 3, 4], label="b")
    ax.set_xlabel("x")
    _style.legend_below(fig, *_style.figure_legend_entries(fig))
    return fig, ax


def test_clean_figure_passes_and_is_written_as_png_and_pdf(tmp_path):
    fig, _ = _clean_figure()
    _style.save(fig, tmp_path / "f.png", META, notes=["a note"], max_width=_style.COLUMN_WIDTH)
    from PIL import Image

    with Image.open(tmp_path / "f.png") as png:
        assert png.info["dpi"][0] == pytest.approx(300, abs=1)
        assert png.size[0] <= 300 * (_style.COLUMN_WIDTH + 0.1)  # the check, and a 0.02 in pad
    assert (tmp_path / "f.pdf").read_bytes().startswith(b"%PDF")
    assert (tmp_path / "f.caption.txt").read_text().splitlines()[1:] == ["a note"]


def test_small_font_is_reported():
    fig, ax = _clean_figure()
    ax.set_title("tiny", fontsize=6)
    assert [p for p in layout_problems(fig) if "'tiny' is 6 pt" in p]


def test_overlapping_texts_are_reported():
    fig, ax = _clean_figure()
    ax.text(0.5, 0.5, "first label", transform=ax.transAxes)
    ax.text(0.52, 0.5, "second label", transform=ax.transAxes)
    problems = layout_problems(fig)
    assert any("'first label' overlaps text 'second label'" in p for p in problems), problems


def test_legend_over_data_is_reported():
    fig, ax = plt.subplots(figsize=(3, 2.5))
    x = np.linspace(0, 1, 50)
    ax.plot(x, x, label="rising")
    ax.plot(x, 1 - x, label="falling")
    ax.legend(loc="center")
    assert any("legend lies over" in p for p in layout_problems(fig))
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0))  # beside the panel: passes
    assert not layout_problems(fig)


def test_too_wide_figure_is_reported_and_save_refuses(tmp_path, monkeypatch):
    fig, ax = plt.subplots(figsize=(9, 2))
    ax.plot([1, 2], [1, 2])
    assert any("in wide" in p for p in layout_problems(fig))
    with pytest.raises(ValueError, match="not publication grade"):
        _style.save(fig, tmp_path / "wide.png", META)
    assert not (tmp_path / "wide.png").exists()
    monkeypatch.setenv("SPIKEAD_FIGURE_CHECK", "warn")
    fig, ax = plt.subplots(figsize=(9, 2))
    _style.save(fig, tmp_path / "wide.png", META)
    assert (tmp_path / "wide.png").exists() and (tmp_path / "wide.pdf").exists()


def test_mark_clipped_draws_and_returns_the_clipped_values():
    _, ax = plt.subplots()
    values = [5.0, -80.0, -50.0, np.nan, -51.0]
    shown, clipped = _style.mark_clipped(ax, [0, 1, 2, 3, 4], values, low=-50.0)
    assert clipped == [1, 4]
    np.testing.assert_array_equal(shown[[0, 1, 2, 4]], [5.0, -50.0, -50.0, -50.0])
    marks = [line for line in ax.get_lines() if line.get_marker() == "<"]
    assert sorted(line.get_ydata()[0] for line in marks) == [1, 4]


def test_colours_are_fixed_per_name_and_distinct_within_a_figure():
    search = [
        "random",
        "anneal",
        "beam_markowitz",
        "beam_relative_markowitz",
        "beam_fill_in",
        "alphazero",
        "ppo",
        "alphazero_joint",
        "paper",
    ]
    frameworks = [
        "spikead",
        "jax_scan",
        "jax_scan_stepwise",
        "spyx",
        "snntorch",
        "norse",
        "spikingjelly",
        "rockpool",
    ]
    runtime = [
        "jacve_forward",
        "jacve_reverse",
        "jacve_markowitz",
        "jacve_best",
        "jacrev_vmap",
        "jacfwd_vmap",
    ]
    for names in (search, frameworks, runtime, ["sparse", "bptt", "dense", "rtrl", "handwritten"]):
        colours = _style.colors(names)
        assert len(set(colours.values())) == len(names), names
    assert _style.colors(["bptt"])["bptt"] == _style.colors(["eprop", "bptt", "rtrl"])["bptt"]
    assert (
        _style.colors(["vmap_jacve_forward"])["vmap_jacve_forward"]
        == _style.colors(["forward"])["forward"]
    )
    unknown = _style.colors(["spikead", "newcomer", "other"])
    assert len(set(unknown.values())) == 3


def test_ratio_axis_is_log_with_the_one_line_and_readable_ticks():
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0.7, 1.6], [0, 1], "o")
    _style.ratio_axis(ax, "x", goal=1 / 1.2)
    fig.canvas.draw()
    assert ax.get_xscale() == "log"
    verticals = [
        line.get_xdata()[0]
        for line in ax.get_lines()
        if line.get_xdata()[0] == line.get_xdata()[-1]
    ]
    assert 1.0 in verticals and pytest.approx(1 / 1.2) in verticals
    labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert len(labels) >= 2 and all(label.endswith("x") for label in labels)
    assert not layout_problems(fig)
