"""Shared plotting style and the provenance stamp every figure carries."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import seaborn as sns

PALETTE = "colorblind"


def apply_style() -> None:
    """Seaborn paper style with the repository palette."""
    sns.set_theme(context="paper", style="whitegrid", palette=PALETTE, font_scale=1.1)


def parse_args(description: str) -> argparse.Namespace:
    """The common command line of figure scripts: --results DIR --out FILE --profile P."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--results", required=True, type=Path, help="result folder of the experiment")
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
        hardware += f", {used} of {hw['cpu_cores']} cores" if used < hw["cpu_cores"] else f", {used} cores"
    return f"profile: {meta.get('profile', '?')} | data: {meta.get('data', 'none')} | {hardware}"


def stamp(fig, meta: dict) -> None:
    """Write the provenance line in the bottom-left corner of ``fig``, below everything drawn
    (rotated tick labels and notes may reach under the figure's own bottom edge)."""
    lowest = fig.get_tightbbox(fig.canvas.get_renderer()).y0 / fig.get_figheight()
    fig.text(0.005, min(0.005, lowest - 0.01), provenance(meta), fontsize=8, color="0.4",
             ha="left", va="top" if lowest < 0.02 else "bottom")


def save(fig, out: Path, meta: dict) -> None:
    """Stamp and save ``fig`` as ``out`` (PNG at 300 dpi) and as a PDF beside it, atomically,
    and write a caption file next to them."""
    stamp(fig, meta)
    out.parent.mkdir(parents=True, exist_ok=True)
    for path in (out, out.with_suffix(".pdf")):
        tmp = path.with_name(f".{path.stem}.tmp{path.suffix}")
        fig.savefig(tmp, dpi=300, bbox_inches="tight")
        tmp.replace(path)
    out.with_suffix(".caption.txt").write_text(provenance(meta) + "\n")
    plt.close(fig)
