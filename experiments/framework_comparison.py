"""Framework comparison (Paper B): time and memory of one Linear(N, N) + LIF layer.

    python experiments/framework_comparison.py                         # quick profile
    python experiments/framework_comparison.py profile=smoke
    python experiments/framework_comparison.py scale.frameworks=[spikead,jax_scan,snntorch]
    python experiments/framework_comparison.py scale.sizes=[256,512] scale.cpus=1
    python experiments/framework_comparison.py scale.time_cap_s=null    # no time cap
    python experiments/framework_comparison.py paired=false   # skip the paired measurement
    python experiments/framework_comparison.py parallel=false # skip the parallel-in-time rows
    python experiments/framework_comparison.py scale.parallel_T=[2000] scale.parallel_neurons=[lif]

Every framework runs in its own subprocess (``spikead.bench.peers.<name>``) on the same
weights and binary inputs (batch B, T steps, fp32) with the same dynamics
(v_t = beta v_{t-1} (1 - z_{t-1}) + W x_t, z_t = H(v_t - 1), detached hard reset,
fast-sigmoid surrogate of slope 10 or the library's closest). Writes ``timings.csv``
(one row per framework and N, missing/failed peers included), ``peers.json`` (what each
peer used: surrogate, reset, versions, memory kind) and ``metrics.json`` (spikead / hand
scan ratios, speed-ups over each peer, compile time of a 3-layer spikead network).

``scale.cpus=k`` pins each subprocess to k cores: the least loaded of the cores this process
may use, measured just before it starts (``spikead.bench.choose_cores``), not always core 0.

``scale.time_cap_s`` bounds the run: a (framework, N) is timed (``repeats`` runs, never
fewer) only if a probe run predicts the timing to fit in the cap; otherwise, and for all
larger N of that framework, its row says ``skipped: over time cap (...)``.

With ``paired=true`` spikead and the hand scan are also timed interleaved in one
subprocess per N (``spikead.bench.compare_paired``): ``paired.csv`` (n, mode fwd|fwdbwd,
medians, ratio of medians, quartiles of the per-round ratios, rounds, status) and the
metrics ``spikead_over_hand_scan_paired`` (and ``..._iqr``), next to the sequential
``spikead_over_hand_scan``. The paired timing of one N may take twice the time cap.

With ``parallel=true`` the parallel-in-time mode is measured over T
(``scale.parallel_T``, one Linear(N, N) + LIF or + LI layer, ``scale.parallel_n``,
``scale.parallel_batch``; ``spikead.bench.compare_parallel``): ``snn.run`` sequential,
``run(mode="parallel")`` (chunked) and ``run_parallel(method="associative")``, each timed
against the hand scan interleaved in one subprocess, fwd and fwd+bwd: ``parallel.csv``
and the metrics ``parallel_over_hand_scan`` / ``parallel_iterations`` /
``parallel_identical`` (neuron -> mode -> [pass ->] T). Each mode has its own time cap.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass

import hydra
import pandas as pd
from omegaconf import DictConfig

from spikead import bench
from spikead.runs import markdown_table, progress_bar, start_run, typed_config
from spikead.runs.schemas import FrameworkComparisonScale as Scale


@dataclass
class LIF:
    beta: float = 0.95
    threshold: float = 1.0
    slope: float = 10.0
    input_rate: float = 0.2
    weight_scale: float = 0.7


def comparison_settings(scale: Scale, lif: LIF, seed: int) -> bench.ComparisonSettings:
    """The problem, neuron and timing settings of both measurements, from the config."""
    return bench.ComparisonSettings(
        batch=scale.batch,
        steps=scale.T,
        seed=seed,
        input_rate=lif.input_rate,
        weight_scale=lif.weight_scale,
        beta=lif.beta,
        threshold=lif.threshold,
        slope=lif.slope,
        warmup=scale.warmup,
        repeats=scale.repeats,
        timeout=scale.timeout_s,
        cpus=scale.cpus,
        time_cap_s=scale.time_cap_s,
    )


def run(cfg: DictConfig, out_dir=None) -> dict:
    scale = typed_config(cfg.scale, Scale, where="scale")
    lif = typed_config(cfg.lif, LIF, where="lif")
    bench.check_frameworks(scale.frameworks)  # unknown names fail here, before any work
    # so do bad values (ComparisonSettingsError); the seed is the run's seed (start_run)
    settings = comparison_settings(scale, lif, int(cfg.get("seed", 0)))
    run_ = start_run(
        cfg, "framework_comparison", out_dir=out_dir, data_label="synthetic binary inputs (seeded)"
    )
    workdir = run_.path("work")
    rows, details = bench.compare_frameworks(
        scale.frameworks,
        scale.sizes,
        settings,
        workdir=workdir,
        progress=lambda jobs: progress_bar(jobs, desc="framework x N", unit="peer"),
    )
    paired_rows, paired_details = [], {}
    if cfg.get("paired", False):
        paired_rows, paired_details = bench.compare_paired(
            scale.sizes,
            settings,
            workdir=workdir,
            order_seed=settings.seed,
            progress=lambda sizes: progress_bar(sizes, desc="paired spikead/hand scan", unit="N"),
        )
    parallel_rows, parallel_details = [], {}
    if cfg.get("parallel", False) and scale.parallel_T:
        parallel_rows, parallel_details = bench.compare_parallel(
            scale.parallel_T,
            settings,
            n=scale.parallel_n,
            batch=scale.parallel_batch,
            neurons=scale.parallel_neurons,
            workdir=workdir,
            progress=lambda jobs: progress_bar(
                jobs, desc="parallel-in-time (neuron x T)", unit="T"
            ),
        )
    shutil.rmtree(workdir, ignore_errors=True)
    frame = pd.DataFrame(rows, columns=list(bench.COLUMNS))
    run_.write_csv("timings.csv", frame)
    run_.write_json("peers.json", details)
    if paired_rows:
        run_.write_csv("paired.csv", pd.DataFrame(paired_rows, columns=list(bench.PAIRED_COLUMNS)))
    if parallel_rows:
        run_.write_csv(
            "parallel.csv", pd.DataFrame(parallel_rows, columns=list(bench.PARALLEL_COLUMNS))
        )
    run_.write_text("table.md", markdown_table(frame))
    run_.log.info(
        "compiling a %d-layer spikead network (N=%d)", scale.compile_layers, scale.compile_n
    )
    compile_s = bench.spikead_network_compile_time(
        scale.compile_n,
        layers=scale.compile_layers,
        batch=scale.batch,
        steps=scale.T,
        seed=run_.seed,
    )
    metrics = bench.comparison_metrics(rows)
    if paired_rows:
        metrics.update(bench.paired_metrics(paired_rows))
        metrics["paired"] = paired_details
    if parallel_rows:
        metrics.update(bench.parallel_metrics(parallel_rows))
        metrics["parallel"] = {
            "n": scale.parallel_n,
            "batch": scale.parallel_batch,
            "runs": parallel_details,
        }
    metrics["compile_spikead_network"] = {
        "layers": scale.compile_layers,
        "n": scale.compile_n,
        "batch": scale.batch,
        "T": scale.T,
        "seconds": compile_s,
    }
    metrics["peers"] = details
    return run_.finish(metrics)


@hydra.main(version_base="1.3", config_path="../configs", config_name="framework_comparison")
def main(cfg: DictConfig) -> None:
    run(cfg)


if __name__ == "__main__":
    main()
