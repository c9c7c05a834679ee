"""Runtime of Jacobians by vertex elimination against JAX's own modes (Paper C).

    python experiments/elimination_runtime.py                                 # quick
    python experiments/elimination_runtime.py scale.tasks=[RoeFlux_1d] scale.batch_sizes=[64]

For each task and batch size B, times ``jit(jacve(vmap(f), order))`` for the forward,
reverse and Markowitz orders against the paper's baselines ``jit(jacfwd(vmap(f)))`` and
``jit(jacrev(vmap(f)))`` (both build a dense B x B block Jacobian, as jacve does), and the
fair ``jit(vmap(jacrev(f)))``. Writes ``runtime.csv`` and ``metrics.json``.
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
from spikead.bench import compile_time, time_fn
from spikead.runs import ConfigError, start_run, typed_config

ORDERS = {"jacve_forward": "fwd", "jacve_reverse": "rev", "jacve_markowitz": "markowitz"}
BASELINES = ("jacfwd_vmap", "jacrev_vmap", "vmap_jacrev")


@dataclass
class Scale:
    tasks: list[str] = field(default_factory=list)
    batch_sizes: list[int] = field(default_factory=list)
    warmup: int = 10
    repeats: int = 100
    methods: list[str] = field(default_factory=lambda: [*ORDERS, *BASELINES])


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
    if method == "jacfwd_vmap":
        return jax.jit(jax.jacfwd(vf, argnums=argnums))
    if method == "jacrev_vmap":
        return jax.jit(jax.jacrev(vf, argnums=argnums))
    if method == "vmap_jacrev":
        return jax.jit(jax.vmap(jax.jacrev(fn, argnums=argnums)))
    raise ConfigError(f"unknown method {method!r}; known: {[*ORDERS, *BASELINES]}")


def measure(task, method: str, batch: int, scale: Scale, seed: int) -> dict:
    args = batched_args(task, batch, seed)
    fn = jacobian_fn(method, task.fn, task.argnums)
    seconds = compile_time(fn, *args)  # trace (incl. elimination) + compile, before any call
    timing = time_fn(fn, *args, warmup=scale.warmup, repeats=scale.repeats)
    return {
        "task": task.name, "batch": batch, "method": method,
        "median_ms": timing.median_ms, "p2_5_ms": timing.p2_5_ms, "p97_5_ms": timing.p97_5_ms,
        "compile_s": seconds,
    }


def summarise(frame: pd.DataFrame) -> dict:
    """Best jacve order relative to the baselines, per task, at the largest batch."""
    out = {}
    for task, rows in frame.groupby("task"):
        rows = rows[rows["batch"] == rows["batch"].max()].set_index("method")["median_ms"]
        jacve_best = rows[[m for m in ORDERS if m in rows]].min()
        out[task] = {
            "batch": int(frame[frame["task"] == task]["batch"].max()),
            "best_jacve_ms": float(jacve_best),
            **{f"best_jacve_over_{b}": float(jacve_best / rows[b]) for b in BASELINES if b in rows},
        }
    return out


def run(cfg: DictConfig, out_dir=None) -> dict:
    scale = typed_config(cfg.scale, Scale, where="scale")
    unknown = [m for m in scale.methods if m not in (*ORDERS, *BASELINES)]
    if unknown:
        raise ConfigError(f"scale.methods: unknown {unknown}; known: {[*ORDERS, *BASELINES]}")
    if not scale.batch_sizes or min(scale.batch_sizes) < 1:
        raise ConfigError(f"scale.batch_sizes must be positive integers, got {scale.batch_sizes}")
    task_objs = [tasks.load(name) for name in scale.tasks]
    run_ = start_run(cfg, "elimination_runtime", out_dir=out_dir, data_label="none (programs)")
    jobs = [(t, b, m) for t in task_objs for b in scale.batch_sizes for m in scale.methods]
    rows = []
    for task, batch, method in tqdm(jobs, desc="elimination_runtime", mininterval=5):
        rows.append(measure(task, method, batch, scale, run_.seed))
        run_.log_metrics({f"{task.name}/{method}/B{batch}_ms": rows[-1]["median_ms"]})
    frame = pd.DataFrame(rows)
    rev = frame[frame["method"] == "jacrev_vmap"].set_index(["task", "batch"])["median_ms"]
    fair = frame[frame["method"] == "vmap_jacrev"].set_index(["task", "batch"])["median_ms"]
    key = list(zip(frame["task"], frame["batch"]))
    frame["speedup_vs_jacrev_vmap"] = [rev.get(k, np.nan) for k in key] / frame["median_ms"]
    frame["speedup_vs_vmap_jacrev"] = [fair.get(k, np.nan) for k in key] / frame["median_ms"]
    run_.write_csv("runtime.csv", frame)
    return run_.finish({"summary": summarise(frame)})


@hydra.main(version_base="1.3", config_path="../configs", config_name="elimination_runtime")
def main(cfg: DictConfig) -> None:
    run(cfg)


if __name__ == "__main__":
    main()
