"""Runtime of Jacobians by vertex elimination against JAX's own modes (Paper C).

    python experiments/elimination_runtime.py                                 # quick
    python experiments/elimination_runtime.py scale.tasks=[RoeFlux_1d] scale.batch_sizes=[64]

For each task and batch size B, times ``jit(jacve(vmap(f), order))`` for the forward,
reverse and Markowitz orders against the paper's baselines ``jit(jacfwd(vmap(f)))`` and
``jit(jacrev(vmap(f)))`` (both build a dense B x B block Jacobian, as jacve does), and the
fair ``jit(vmap(jacrev(f)))``, which returns only the B per-example blocks; it is matched by
``jit(ad.vmap_jacve(f, order))`` (methods ``vmap_jacve_*``: the same elimination of the graph
of ``vmap(f)``, with the per-example blocks read off the batch diagonal). Writes
``runtime.csv`` and ``metrics.json``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import hydra
import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
from omegaconf import DictConfig
from tqdm import tqdm

from spikead import ad, tasks
from spikead.bench import compile_time_and_memory, time_fn
from spikead.runs import ConfigError, start_run, typed_config

ORDERS = {"jacve_forward": "fwd", "jacve_reverse": "rev", "jacve_markowitz": "markowitz"}
# the same orders, per-example output (B, out, in) like vmap(jacrev(f)): see ad.vmap_jacve
COMPACT_ORDERS = {"vmap_jacve_forward": "fwd", "vmap_jacve_reverse": "rev", "vmap_jacve_markowitz": "markowitz"}
BASELINES = ("jacfwd_vmap", "jacrev_vmap", "vmap_jacrev")
METHODS = (*ORDERS, *COMPACT_ORDERS, *BASELINES)


@dataclass
class Scale:
    tasks: list[str] = field(default_factory=list)
    batch_sizes: list[int] = field(default_factory=list)
    warmup: int = 10
    repeats: int = 100
    methods: list[str] = field(default_factory=lambda: list(METHODS))
    # Skip a (task, method, batch) whose warm-up + timed calls are predicted, from one probe
    # call after compilation, to take longer than this (seconds); null: never skip.
    time_cap_s: float | None = None
    # Skip a job whose compiled program needs more memory than this (bytes: XLA's buffer
    # assignment, arguments + outputs + temporaries); null: never skip.
    memory_cap_bytes: float | None = None


def batched_args(task, batch: int, seed: int) -> tuple:
    """The task's example arguments repeated B times with a small seeded perturbation."""
    rng = np.random.default_rng(seed)
    out = []
    for a in task.args:
        a = jnp.asarray(a)
        noise = 0.01 * rng.standard_normal((batch, *a.shape)).astype(a.dtype)
        out.append(jnp.broadcast_to(a, (batch, *a.shape)) + noise)
    return tuple(out)


def jacobian_fn(method: str, fn, argnums):
    """The jitted Jacobian function that ``method`` names, for batched inputs."""
    vf = jax.vmap(fn)
    if method in ORDERS:
        return jax.jit(ad.jacve(vf, order=ORDERS[method], argnums=argnums))
    if method in COMPACT_ORDERS:
        return jax.jit(ad.vmap_jacve(fn, order=COMPACT_ORDERS[method], argnums=argnums))
    if method == "jacfwd_vmap":
        return jax.jit(jax.jacfwd(vf, argnums=argnums))
    if method == "jacrev_vmap":
        return jax.jit(jax.jacrev(vf, argnums=argnums))
    if method == "vmap_jacrev":
        return jax.jit(jax.vmap(jax.jacrev(fn, argnums=argnums)))
    raise ConfigError(f"unknown method {method!r}; known: {list(METHODS)}")


def measure(task, method: str, batch: int, scale: Scale, seed: int) -> dict:
    args = batched_args(task, batch, seed)
    fn = jacobian_fn(method, task.fn, task.argnums)
    # trace (incl. elimination) + compile, before any call; XLA's buffer sizes come with it
    seconds, memory = compile_time_and_memory(fn, *args)
    row = {"task": task.name, "batch": batch, "method": method, "compile_s": seconds,
           "memory_bytes": memory.total_bytes}
    nan = {"median_ms": np.nan, "p2_5_ms": np.nan, "p97_5_ms": np.nan}
    if scale.memory_cap_bytes is not None and memory.total_bytes > scale.memory_cap_bytes:
        return {**row, **nan, "status": (f"skipped: over memory cap ({memory.total_bytes / 1e9:.1f} GB"
                                         f" > {scale.memory_cap_bytes / 1e9:g} GB)")}
    if scale.time_cap_s is not None:
        # one probe call predicts the job's time; the first call can carry one-time costs,
        # so a job it puts over the cap gets a second probe before it is skipped
        probe_s = time_fn(fn, *args, warmup=0, repeats=1).median_ms / 1e3
        if probe_s * (scale.warmup + scale.repeats) > scale.time_cap_s:
            probe_s = min(probe_s, time_fn(fn, *args, warmup=0, repeats=1).median_ms / 1e3)
        predicted = probe_s * (scale.warmup + scale.repeats)
        if predicted > scale.time_cap_s:
            return {**row, **nan,
                    "status": (f"skipped: over time cap (predicted {predicted:.1f} s > "
                               f"{scale.time_cap_s:g} s; one call {probe_s * 1e3:.0f} ms)")}
    timing = time_fn(fn, *args, warmup=scale.warmup, repeats=scale.repeats)
    return {**row, "median_ms": timing.median_ms, "p2_5_ms": timing.p2_5_ms,
            "p97_5_ms": timing.p97_5_ms, "status": "ok"}


def summarise(frame: pd.DataFrame) -> dict:
    """Best jacve order relative to the baselines, per task, at the largest batch.

    ``best_jacve`` (dense ``B x B`` block output, like ``jacrev(vmap(f))``) is compared with
    the paper's baselines, ``best_vmap_jacve`` (per-example output, like ``vmap(jacrev(f))``)
    with the fair one; the issue's goals are ``best_jacve_over_jacrev_vmap <= 1`` and
    ``best_vmap_jacve_over_vmap_jacrev <= 1.2``.
    """
    out = {}
    for task, rows in frame.groupby("task"):
        rows = rows[rows["batch"] == rows["batch"].max()].set_index("method")["median_ms"].dropna()
        entry = {"batch": int(frame[frame["task"] == task]["batch"].max())}
        for name, group in (("best_jacve", ORDERS), ("best_vmap_jacve", COMPACT_ORDERS)):
            present = [m for m in group if m in rows]
            if not present:
                continue
            best = rows[present].min()
            entry[f"{name}_ms"] = float(best)
            entry[f"{name}_order"] = str(rows[present].idxmin())
            entry.update({f"{name}_over_{b}": float(best / rows[b]) for b in BASELINES if b in rows})
        out[task] = entry
    return out


def run(cfg: DictConfig, out_dir=None) -> dict:
    scale = typed_config(cfg.scale, Scale, where="scale")
    unknown = [m for m in scale.methods if m not in METHODS]
    if unknown:
        raise ConfigError(f"scale.methods: unknown {unknown}; known: {list(METHODS)}")
    if scale.memory_cap_bytes is not None and scale.memory_cap_bytes <= 0:
        raise ConfigError(f"scale.memory_cap_bytes must be positive or null, got {scale.memory_cap_bytes}")
    if scale.time_cap_s is not None and scale.time_cap_s <= 0:
        raise ConfigError(f"scale.time_cap_s must be positive seconds or null, got {scale.time_cap_s}")
    if not scale.batch_sizes or min(scale.batch_sizes) < 1:
        raise ConfigError(f"scale.batch_sizes must be positive integers, got {scale.batch_sizes}")
    task_objs = [tasks.load(name) for name in scale.tasks]
    run_ = start_run(cfg, "elimination_runtime", out_dir=out_dir, data_label="none (programs)")
    jobs = [(t, b, m) for t in task_objs for b in scale.batch_sizes for m in scale.methods]
    rows = []
    for task, batch, method in tqdm(jobs, desc="elimination_runtime", mininterval=5):
        rows.append(measure(task, method, batch, scale, run_.seed))
        run_.log_metrics({f"{task.name}/{method}/B{batch}_ms": rows[-1]["median_ms"]})
        run_.write_csv("runtime.csv", with_speedups(pd.DataFrame(rows)))  # a crash keeps these
    frame = with_speedups(pd.DataFrame(rows))
    run_.write_csv("runtime.csv", frame)
    return run_.finish({"summary": summarise(frame)})


def with_speedups(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` plus each job's speed-up over the two batched-Jacobian baselines."""
    frame = frame.copy()
    rev = frame[frame["method"] == "jacrev_vmap"].set_index(["task", "batch"])["median_ms"]
    fair = frame[frame["method"] == "vmap_jacrev"].set_index(["task", "batch"])["median_ms"]
    key = list(zip(frame["task"], frame["batch"]))
    frame["speedup_vs_jacrev_vmap"] = [rev.get(k, np.nan) for k in key] / frame["median_ms"]
    frame["speedup_vs_vmap_jacrev"] = [fair.get(k, np.nan) for k in key] / frame["median_ms"]
    return frame


@hydra.main(version_base="1.3", config_path="../configs", config_name="elimination_runtime")
def main(cfg: DictConfig) -> None:
    run(cfg)


if __name__ == "__main__":
    main()
