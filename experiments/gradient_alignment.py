"""Gradient alignment of sparse online gradients (e-prop) with BPTT (Paper A, experiment 1).

    python experiments/gradient_alignment.py                        # quick profile
    python experiments/gradient_alignment.py profile=smoke
    python experiments/gradient_alignment.py scale.n_hidden=[128] scale.seeds=5

Single hidden layer (LIF, ALIF) + linear readout on random binary inputs, with and without
recurrent weights. For every parameter leaf and seed: cosine similarity, relative L2 error
and max abs error of sparse (and dense, rtrl for N <= reference_max_n) against BPTT. The
sparse method is e-prop (``approximation="eprop"``): with recurrence it is also compared
with the e-prop reference, `jax.grad` with the recurrent spikes' gradient stopped
(``rel_l2_vs_eprop_reference``: float rounding; ``rel_l2``: e-prop's distance from BPTT).
Writes ``alignment.csv`` (one row per setting x seed x method x leaf), ``table.md`` /
``table.tex`` (mean and min over seeds; also ``summary.csv``) and ``metrics.json``.
"""

from __future__ import annotations

import itertools

import hydra
import pandas as pd
from omegaconf import DictConfig

from spikead import snn
from spikead.bench import online as bench_online
from spikead.runs import latex_table, markdown_table, progress_bar, start_run, typed_config
from spikead.runs.config import ConfigError
from spikead.runs.schemas import GradientAlignmentScale as Scale


def settings(scale: Scale) -> list[bench_online.AlignmentSetting]:
    out = []
    for neuron, rec, n, t in itertools.product(
        scale.neurons, scale.recurrent, scale.n_hidden, scale.seq_len
    ):
        methods = ("sparse", "dense", "rtrl") if n <= scale.reference_max_n else ("sparse",)
        out.append(
            bench_online.AlignmentSetting(
                neuron, rec, n, t, scale.n_in, scale.n_out, scale.rate, scale.gain, methods
            )
        )
    return out


def summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Mean and min (cosine) / max (errors) over seeds per setting, method and leaf."""
    keys = ["neuron", "recurrent", "N", "T", "method", "param"]
    agg = frame.groupby(keys).agg(
        cos_mean=("cosine", "mean"),
        cos_min=("cosine", "min"),
        rel_l2_mean=("rel_l2", "mean"),
        rel_l2_max=("rel_l2", "max"),
        max_abs=("max_abs", "max"),
        rel_l2_vs_eprop_ref_max=("rel_l2_vs_eprop_reference", "max"),
        spike_rate=("spike_rate", "mean"),
    )
    return agg.reset_index()


def formatted(table: pd.DataFrame) -> pd.DataFrame:
    """Errors in scientific notation (for the Markdown/LaTeX tables); cosines are left to the
    tables' own format, which writes one within 1e-3 of 1 as ``1 - 4.0e-13``."""
    out = table.copy()
    for col in ("rel_l2_mean", "rel_l2_max", "max_abs", "rel_l2_vs_eprop_ref_max"):
        out[col] = out[col].map(lambda v: "n/a" if pd.isna(v) else f"{v:.1e}")  # NaN: not e-prop
    out["spike_rate"] = out["spike_rate"].map(lambda v: f"{v:.3f}")
    return out


def run(cfg: DictConfig, out_dir=None) -> dict:
    scale = typed_config(cfg.scale, Scale, where="scale")
    for name in scale.neurons:
        if name.lower() not in snn.NEURONS:
            raise ConfigError(
                f"scale.neurons: unknown neuron {name!r}; known: {sorted(snn.NEURONS)}"
            )
    run_ = start_run(
        cfg,
        "gradient_alignment",
        out_dir=out_dir,
        data_label="synthetic (random binary input spikes)",
    )
    rows: list[dict] = []
    for setting in progress_bar(settings(scale), desc="alignment settings"):
        rows += bench_online.alignment_rows(setting, range(cfg.seed, cfg.seed + scale.seeds))
    frame = pd.DataFrame(rows)
    run_.write_csv("alignment.csv", frame)
    table = summary(frame)
    run_.write_csv("summary.csv", table)
    run_.write_text("table.md", markdown_table(formatted(table)))
    run_.write_text(
        "table.tex",
        latex_table(
            formatted(table),
            caption="Online gradients vs BPTT (mean / worst over seeds); "
            "sparse (e-prop) also vs the e-prop reference (worst over seeds).",
            label="tab:gradient-alignment",
        ),
    )
    sparse = frame[frame.method == "sparse"]
    exact = sparse[~sparse.recurrent]
    rec = sparse[sparse.recurrent]
    refs = frame[frame.method.isin(["dense", "rtrl"])]
    metrics = {
        "settings": len(table.groupby(["neuron", "recurrent", "N", "T"])),
        "exact_min_cosine": float(exact.cosine.min()) if len(exact) else None,
        "exact_max_rel_l2": float(exact.rel_l2.max()) if len(exact) else None,
        "recurrent_mean_cosine": (
            {n: float(g.cosine.mean()) for n, g in rec.groupby("neuron")} if len(rec) else None
        ),
        "recurrent_min_cosine": float(rec.cosine.min()) if len(rec) else None,
        "recurrent_max_rel_l2": float(rec.rel_l2.max()) if len(rec) else None,
        # e-prop (sparse) against Bellec's e-prop by jax.grad with stop_gradient: rounding
        "recurrent_max_rel_l2_vs_eprop_reference": (
            float(rec.rel_l2_vs_eprop_reference.max()) if len(rec) else None
        ),
        "reference_max_rel_l2": float(refs.rel_l2.max()) if len(refs) else None,
        "mean_spike_rate": float(frame.spike_rate.mean()),
    }
    return run_.finish(metrics)


@hydra.main(version_base="1.3", config_path="../configs", config_name="gradient_alignment")
def main(cfg: DictConfig) -> None:
    run(cfg)


if __name__ == "__main__":
    main()
