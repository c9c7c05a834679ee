"""Parallel-in-time rows of the framework comparison: `snn.run(mode="parallel")` against
`snn.run` (sequential) and the hand-written `lax.scan`, over the number of steps T.

:func:`compare_parallel` runs ``python -m spikead.bench.peers.parallel`` once per (neuron,
T), pinned like the other peers (``settings.cpus``), on a problem of its own (N neurons,
batch B, T steps; the weights and inputs recipe of :func:`make_problem`). Each mode is
timed against the hand scan in interleaved rounds in that one process (see the peer's
doc); a mode predicted over ``settings.time_cap_s`` at some T is skipped there and at
every larger T of that neuron.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from ._capped import CAP_STATUS
from ._comparison import _over_cap, _run_module, make_problem
from ._pinning import check_pinning
from ._settings import ComparisonSettings
from .peers._protocol import PeerSettings

__all__ = ["MODES", "NEURONS", "PARALLEL_COLUMNS", "compare_parallel", "parallel_metrics"]

MODES = ("sequential", "parallel", "parallel_associative")  # see spikead.bench.peers.parallel
NEURONS = ("lif", "li")

PARALLEL_MODULE = "spikead.bench.peers.parallel"
PARALLEL_COLUMNS = (
    "neuron",
    "n",
    "batch",
    "T",
    "mode",
    "pass",
    "mode_ms",
    "hand_scan_ms",
    "ratio",
    "ratio_q25",
    "ratio_q75",
    "rounds",
    "iterations_max",
    "identical",
    "max_abs_diff",
    "grad_rel_err",
    "status",
)
PASSES = ("fwd", "fwdbwd")


def compare_parallel(
    steps: Iterable[int],
    settings: ComparisonSettings,
    *,
    n: int,
    batch: int,
    workdir: str | Path,
    neurons: Iterable[str] = ("lif",),
    modes: Iterable[str] = MODES,
    progress: Callable[[Iterable], Iterable] | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Time every mode against the hand scan for every neuron and T (ascending).

    ``settings`` gives the neuron constants, input statistics, seed and timing protocol
    (its ``batch`` and ``steps`` are replaced by ``batch`` and each T). Returns ``(rows,
    details)``: one row per (neuron, T, mode, pass) with the keys :data:`PARALLEL_COLUMNS`
    (``ratio`` = median mode time / median hand-scan time of the same rounds), and per
    ``"<neuron> T=<T>"`` the peer's status, mean output and versions.
    """
    neurons, modes = list(neurons), list(modes)
    bad = [x for x in neurons if x not in NEURONS] + [m for m in modes if m not in MODES]
    if bad:
        raise ValueError(f"unknown neuron(s)/mode(s) {bad}; neurons: {NEURONS}, modes: {MODES}.")
    check_pinning(settings.cpus)
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    jobs = [(neuron, t) for neuron in neurons for t in sorted(steps)]
    rows: list[dict[str, Any]] = []
    details: dict[str, Any] = {}
    capped: dict[tuple[str, str], str] = {}  # (neuron, mode) -> why it is skipped
    for neuron, t in progress(jobs) if progress else jobs:
        live = [m for m in modes if (neuron, m) not in capped]
        result = {"status": f"{CAP_STATUS} (every mode)", "modes": {}}
        if live:
            peer = _settings(settings, neuron, n, batch, t, workdir, live)
            result = _run_module(
                PARALLEL_MODULE, "parallel", peer, timeout=settings.timeout, cpus=settings.cpus
            )
        details[f"{neuron} T={t}"] = {
            k: result.get(k) for k in ("status", "output_mean", "versions")
        }
        for mode in modes:
            got = (result.get("modes") or {}).get(mode)
            if (neuron, mode) in capped:
                got = {"status": f"{CAP_STATUS} ({capped[(neuron, mode)]})"}
            elif got is None:
                got = {"status": result.get("status", "failed: no status")}
            else:
                over = _over_cap(got, settings.time_cap_s, t)
                if over is not None:
                    capped[(neuron, mode)] = over.replace("n=", "T=")
            rows += _rows(neuron, n, batch, t, mode, got)
    return rows, details


def _settings(
    settings: ComparisonSettings,
    neuron: str,
    n: int,
    batch: int,
    t: int,
    workdir: Path,
    modes: list[str],
) -> PeerSettings:
    stem = f"parallel_{neuron}_n{n}_b{batch}_T{t}"
    problem = workdir / f"problem_{stem}.npz"
    if not problem.exists():
        make_problem(
            problem,
            n,
            batch,
            t,
            seed=settings.seed,
            input_rate=settings.input_rate,
            weight_scale=settings.weight_scale,
        )
    return PeerSettings(
        framework="parallel",
        problem_path=str(problem),
        spikes_path=str(workdir / f"spikes_{stem}.npz"),
        result_path=str(workdir / f"result_{stem}.json"),
        beta=settings.beta,
        threshold=settings.threshold,
        slope=settings.slope,
        warmup=settings.warmup,
        repeats=settings.repeats,
        time_cap_s=settings.time_cap_s,
        options={"neuron": neuron, "modes": modes, "seed": settings.seed},
    )


def _rows(
    neuron: str, n: int, batch: int, t: int, mode: str, got: dict[str, Any]
) -> list[dict[str, Any]]:
    iterations = got.get("iterations")
    rows = []
    for kind in PASSES:
        timing = got.get(kind) or {}
        a, b = timing.get("a") or {}, timing.get("b") or {}
        rows.append(
            {
                "neuron": neuron,
                "n": n,
                "batch": batch,
                "T": t,
                "mode": mode,
                "pass": kind,
                "mode_ms": a.get("median_ms", math.nan),
                "hand_scan_ms": b.get("median_ms", math.nan),
                "ratio": timing.get("ratio", math.nan),
                "ratio_q25": timing.get("ratio_q25", math.nan),
                "ratio_q75": timing.get("ratio_q75", math.nan),
                "rounds": timing.get("rounds", 0),
                "iterations_max": max(iterations) if iterations else math.nan,
                "identical": got.get("identical"),
                "max_abs_diff": _nan(got.get("max_abs_diff")),
                "grad_rel_err": _nan(got.get("grad_rel_err")),
                "status": got.get("status", "failed: no status"),
            }
        )
    return rows


def _nan(value) -> float:
    return math.nan if value is None else float(value)


def _finite(value) -> float | None:
    return float(value) if value is not None and np.isfinite(value) else None


def parallel_metrics(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """From :func:`compare_parallel` rows, keyed neuron -> mode -> (pass ->) str(T):
    ``parallel_over_hand_scan`` (ratio of medians, ``None`` where not timed),
    ``parallel_iterations`` (most `run_parallel` iterations over the batch) and
    ``parallel_identical`` (outputs identical to the hand scan's, see the peer)."""
    ratio: dict[str, Any] = {}
    iterations: dict[str, Any] = {}
    identical: dict[str, Any] = {}
    for row in sorted(rows, key=lambda r: r["T"]):
        neuron, mode, t = row["neuron"], row["mode"], str(row["T"])
        ok = row["status"] == "ok"
        by_pass = ratio.setdefault(neuron, {}).setdefault(mode, {})
        by_pass.setdefault(row["pass"], {})[t] = _finite(row["ratio"]) if ok else None
        if row["pass"] == "fwd":
            if mode != "sequential":
                iterations.setdefault(neuron, {}).setdefault(mode, {})[t] = (
                    None if not np.isfinite(row["iterations_max"]) else int(row["iterations_max"])
                )
            identical.setdefault(neuron, {}).setdefault(mode, {})[t] = (
                None if row["identical"] is None else bool(row["identical"])
            )
    return {
        "parallel_over_hand_scan": ratio,
        "parallel_iterations": iterations,
        "parallel_identical": identical,
    }
