"""Framework comparison: one Linear(N, N) + LIF layer timed in several SNN libraries.

Each framework runs in its own subprocess (``python -m spikead.bench.peers.<module>``) on
the same weights and binary inputs, so a missing or crashing library becomes a row with
``status = "missing: ..."`` / ``"failed: ..."`` instead of ending the run. The forward
spike train of every framework is compared with spikead's (``agreement`` = fraction of
equal entries of the (B, T, N) spike train).

The problem, neuron and timing settings shared by every framework and size are one
:class:`spikead.bench.ComparisonSettings`, passed to :func:`compare_frameworks` and
:func:`compare_paired` alike.

Time cap: with ``time_cap_s`` a peer times a size only if a probe run predicts the
timing to fit in the cap (see :func:`spikead.bench.time_pair_capped`); once a framework
is over the cap at some N (predicted by the probe, or measured), its larger sizes are not
run and get the row status ``"skipped: over time cap (X s at n=N)"``.

Paired measurement (:func:`compare_paired`): spikead and the hand scan timed in the same
subprocess in interleaved rounds (:func:`spikead.bench.time_alternating`), so the ratio
spikead / hand scan is not blurred by drift between two sequential subprocesses.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ._capped import CAP_STATUS
from ._errors import BenchError
from ._pinning import check_pinning, taskset_prefix
from ._settings import ComparisonSettings
from .peers._protocol import PeerSettings, load_spikes

__all__ = [
    "COLUMNS",
    "FRAMEWORKS",
    "PAIRED_COLUMNS",
    "PAIRED_ORDERS",
    "REFERENCE",
    "Framework",
    "UnknownFrameworkError",
    "agreement",
    "check_frameworks",
    "compare_frameworks",
    "compare_paired",
    "comparison_metrics",
    "make_problem",
    "paired_metrics",
    "run_peer",
    "spikead_network_compile_time",
]

COLUMNS = (
    "framework",
    "n",
    "batch",
    "T",
    "fwd_ms",
    "fwd_q25_ms",
    "fwd_q75_ms",
    "fwdbwd_ms",
    "fwdbwd_q25_ms",
    "fwdbwd_q75_ms",
    "compile_s",
    "memory_bytes",
    "agreement",
    "status",
)
PAIRED_COLUMNS = (
    "n",
    "batch",
    "T",
    "mode",
    "spikead_ms",
    "hand_scan_ms",
    "ratio",
    "ratio_q25",
    "ratio_q75",
    "rounds",
    "status",
)
PAIRED_MODULE = "spikead.bench.peers.paired"
PAIRED_ORDERS = ("random", "alternate")  # see spikead.bench.time_alternating
REFERENCE = "spikead"
HAND_SCAN = "jax_scan"
_STDERR_TAIL = 400


@dataclass(frozen=True)
class Framework:
    """A row label, the peer module that measures it and that module's options."""

    name: str
    module: str
    options: dict[str, Any] = field(default_factory=dict)


FRAMEWORKS: dict[str, Framework] = {
    f.name: f
    for f in (
        Framework("spikead", "spikead.bench.peers.spikead"),
        Framework("jax_scan", "spikead.bench.peers.jax_scan", {"hoist": True}),
        Framework("jax_scan_stepwise", "spikead.bench.peers.jax_scan", {"hoist": False}),
        Framework("spyx", "spikead.bench.peers.spyx"),
        Framework("spyx_native", "spikead.bench.peers.spyx", {"native": True}),
        Framework("snntorch", "spikead.bench.peers.snntorch"),
        Framework("norse", "spikead.bench.peers.norse"),
        Framework("spikingjelly", "spikead.bench.peers.spikingjelly"),
        Framework("rockpool", "spikead.bench.peers.rockpool"),
    )
}


class UnknownFrameworkError(BenchError, ValueError):
    """A framework name that has no peer module."""


def check_frameworks(names: Iterable[str]) -> list[str]:
    """Return ``names`` as a list, raising for names without a peer."""
    names = list(names)
    unknown = [n for n in names if n not in FRAMEWORKS]
    if unknown:
        raise UnknownFrameworkError(
            f"unknown framework(s) {unknown}; choose from {sorted(FRAMEWORKS)}."
        )
    return names


def make_problem(
    path: str | Path,
    n: int,
    batch: int,
    steps: int,
    *,
    seed: int = 0,
    input_rate: float = 0.2,
    weight_scale: float = 0.7,
) -> Path:
    """Write the shared weights and inputs of one size to ``path`` (``.npz``).

    ``weight`` (N, N) float32 ~ Normal(0, weight_scale / sqrt(N * input_rate)) rounded to
    multiples of 2^-14, so every sum of weights is exact in float32 and the input current
    ``W x_t`` is bit-identical in every framework whatever its summation order;
    ``inputs`` (B, T, N) uint8 Bernoulli(input_rate) spikes. With the defaults about 10 %
    of the LIF outputs spike.
    """
    if not 0.0 < input_rate <= 1.0:
        raise ValueError(f"input_rate={input_rate} must be in (0, 1].")
    rng = np.random.default_rng(seed)
    sigma = weight_scale / math.sqrt(n * input_rate)
    grid = 2.0**14
    weight = (np.round(rng.normal(0.0, sigma, (n, n)) * grid) / grid).astype(np.float32)
    inputs = (rng.random((batch, steps, n)) < input_rate).astype(np.uint8)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, weight=weight, inputs=inputs)
    return path


def agreement(spikes: np.ndarray, reference: np.ndarray) -> float:
    """Fraction of equal entries of two (B, T, N) spike trains (binarised at > 0)."""
    if spikes.shape != reference.shape:
        raise ValueError(f"spike trains differ in shape: {spikes.shape} vs {reference.shape}.")
    return float(np.mean((spikes > 0) == (reference > 0)))


def run_peer(
    framework: str,
    settings: PeerSettings,
    *,
    timeout: float,
    env: dict[str, str] | None = None,
    cpus: int | None = None,
) -> dict[str, Any]:
    """Run one peer in a fresh interpreter and return its JSON result.

    ``cpus`` pins the peer to ``cpus`` cores with ``taskset`` (the same limit for XLA's
    and PyTorch's thread pools): the least loaded of the cores this process may use,
    see :mod:`spikead.bench._pinning`; ``None`` leaves every core to it. A crash, a
    timeout or a missing result file yields ``{"status": "failed: ..."}``.
    """
    return _run_module(
        FRAMEWORKS[framework].module, framework, settings, timeout=timeout, env=env, cpus=cpus
    )


def _run_module(
    module: str,
    label: str,
    settings: PeerSettings,
    *,
    timeout: float,
    env: dict[str, str] | None = None,
    cpus: int | None = None,
) -> dict[str, Any]:
    """``python -m module --config <settings>`` in a fresh interpreter (see :func:`run_peer`)."""
    config = Path(settings.result_path).with_suffix(".settings.json")
    config.write_text(settings.to_json())
    Path(settings.result_path).unlink(missing_ok=True)
    child_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    try:
        proc = subprocess.run(
            taskset_prefix(cpus) + [sys.executable, "-m", module, "--config", str(config)],
            check=False,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=child_env,
        )
    except subprocess.TimeoutExpired:
        return {"framework": label, "status": f"failed: timeout after {timeout:g} s"}
    result_path = Path(settings.result_path)
    if proc.returncode != 0 or not result_path.exists():
        tail = " ".join(proc.stderr.strip().splitlines()[-3:])[-_STDERR_TAIL:]
        return {
            "framework": label,
            "status": f"failed: exit code {proc.returncode}: {tail}".replace(",", ";"),
        }
    return json.loads(result_path.read_text())


def _problem_file(workdir: Path, n: int, settings: ComparisonSettings) -> Path:
    """The shared problem of size ``n`` in ``workdir``, written on first use."""
    problem = workdir / f"problem_n{n}.npz"
    if not problem.exists():
        make_problem(
            problem,
            n,
            settings.batch,
            settings.steps,
            seed=settings.seed,
            input_rate=settings.input_rate,
            weight_scale=settings.weight_scale,
        )
    return problem


def _peer_settings(
    settings: ComparisonSettings,
    label: str,
    n: int,
    workdir: Path,
    *,
    time_cap_s: float | None,
    options: dict[str, Any],
) -> PeerSettings:
    """What the subprocess measuring ``label`` at size ``n`` is given (its files in
    ``workdir``: ``spikes_<label>_n<n>.npz``, ``result_<label>_n<n>.json``)."""
    return PeerSettings(
        framework=label,
        problem_path=str(_problem_file(workdir, n, settings)),
        spikes_path=str(workdir / f"spikes_{label}_n{n}.npz"),
        result_path=str(workdir / f"result_{label}_n{n}.json"),
        beta=settings.beta,
        threshold=settings.threshold,
        slope=settings.slope,
        warmup=settings.warmup,
        repeats=settings.repeats,
        time_cap_s=time_cap_s,
        options=options,
    )


def _row(
    framework: str, n: int, batch: int, steps: int, result: dict[str, Any], agree: float | None
) -> dict[str, Any]:
    fwd, fwdbwd = result.get("fwd") or {}, result.get("fwdbwd") or {}
    return {
        "framework": framework,
        "n": n,
        "batch": batch,
        "T": steps,
        "fwd_ms": fwd.get("median_ms", math.nan),
        "fwd_q25_ms": fwd.get("q25_ms", math.nan),
        "fwd_q75_ms": fwd.get("q75_ms", math.nan),
        "fwdbwd_ms": fwdbwd.get("median_ms", math.nan),
        "fwdbwd_q25_ms": fwdbwd.get("q25_ms", math.nan),
        "fwdbwd_q75_ms": fwdbwd.get("q75_ms", math.nan),
        "compile_s": math.nan if result.get("compile_s") is None else result["compile_s"],
        "memory_bytes": math.nan if result.get("memory_bytes") is None else result["memory_bytes"],
        "agreement": math.nan if agree is None else agree,
        "status": result.get("status", "failed: no status"),
    }


def compare_frameworks(
    frameworks: Iterable[str],
    sizes: Iterable[int],
    settings: ComparisonSettings,
    *,
    workdir: str | Path,
    keep_spikes: bool = False,
    progress: Callable[[Iterable], Iterable] | None = None,
) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """Measure every framework at every size; returns ``(rows, details)``.

    ``settings`` holds the problem, neuron and timing settings (the same for every
    framework); the problem files, subprocess settings and results go to ``workdir``.
    ``rows`` has one dict per (framework, n) with the keys :data:`COLUMNS`; ``details``
    maps each framework to what its peer reported besides timings (surrogate, reset,
    notes, versions, memory kind, RSS delta, forward compile time, probe times) at the
    last size it ran (key ``n``). Sizes run in ascending order, so the time cap (see the
    module doc) skips the larger ones; the reference framework (``spikead``, else
    ``jax_scan``) runs first at each size.
    """
    names = check_frameworks(frameworks)
    check_pinning(settings.cpus)  # before any work
    batch, steps, cap = settings.batch, settings.steps, settings.time_cap_s
    reference = REFERENCE if REFERENCE in names else HAND_SCAN if HAND_SCAN in names else None
    ordered = ([reference] if reference else []) + [f for f in names if f != reference]
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    jobs = [(n, f) for n in sorted(sizes) for f in ordered]
    rows, details = [], {}
    ref_spikes: dict[int, np.ndarray] = {}
    capped: dict[str, str] = {}  # framework -> "X s at n=N" where it went over the cap
    for n, framework in progress(jobs) if progress else jobs:
        if framework in capped:
            rows.append(
                _row(
                    framework,
                    n,
                    batch,
                    steps,
                    {"status": f"{CAP_STATUS} ({capped[framework]})"},
                    None,
                )
            )
            continue
        peer = _peer_settings(
            settings,
            framework,
            n,
            workdir,
            time_cap_s=cap,
            options=dict(FRAMEWORKS[framework].options),
        )
        result = run_peer(framework, peer, timeout=settings.timeout, cpus=settings.cpus)
        over = _over_cap(result, cap, n)
        if over is not None:
            capped[framework] = over
        agree = None
        ran = str(result.get("status", "")).startswith(("ok", CAP_STATUS))
        spikes_path = Path(peer.spikes_path)
        if ran and spikes_path.exists():
            spikes = load_spikes(spikes_path)
            if framework == reference:
                ref_spikes[n] = spikes
            if n in ref_spikes:
                agree = agreement(spikes, ref_spikes[n])
            if not keep_spikes:
                spikes_path.unlink()
        rows.append(_row(framework, n, batch, steps, result, agree))
        details[framework] = {
            k: result.get(k)
            for k in (
                "surrogate",
                "reset",
                "notes",
                "versions",
                "memory_kind",
                "rss_delta_bytes",
                "compile_fwd_s",
                "probe_fwd_ms",
                "probe_fwdbwd_ms",
                "predicted_timing_s",
                "timing_s",
                "status",
            )
        }
        details[framework]["n"] = n
    return rows, details


def _over_cap(result: dict[str, Any], time_cap_s: float | None, n: int) -> str | None:
    """``"X s at n=N"`` when this result was over the cap (skipped by the peer's probe,
    or timed but slower than the cap), else ``None``."""
    if time_cap_s is None:
        return None
    status = str(result.get("status", ""))
    if status.startswith(CAP_STATUS):
        return f"predicted {result.get('predicted_timing_s') or math.nan:.0f} s at n={n}"
    timing_s = result.get("timing_s")
    if status == "ok" and timing_s is not None and timing_s > time_cap_s:
        return f"{timing_s:.0f} s at n={n}"
    return None


def _ratio(num: float, den: float) -> float | None:
    if num is None or den is None or not np.isfinite(num) or not np.isfinite(den) or den <= 0:
        return None
    return float(num / den)


def comparison_metrics(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Ratios named by the issue, per n (keys are str(n)); ``None`` where undefined.

    - ``spikead_over_hand_scan``: spikead time / hand ``lax.scan`` time (fwd, fwdbwd);
      also against the per-step scan (``..._stepwise``).
    - ``speedup_over_peers``: peer time / spikead time, per peer (``> 1``: spikead faster).
    - ``speedup_over_snntorch``: the same for snnTorch alone.
    """
    table: dict[tuple[str, int], dict[str, Any]] = {(r["framework"], r["n"]): r for r in rows}
    sizes = sorted({r["n"] for r in rows})
    frameworks = sorted({r["framework"] for r in rows})

    def ratio_block(num_fw: str, den_fw: str) -> dict[str, dict[str, float | None]]:
        out: dict[str, dict[str, float | None]] = {"fwd": {}, "fwdbwd": {}}
        for n in sizes:
            a, b = table.get((num_fw, n)), table.get((den_fw, n))
            for kind in ("fwd", "fwdbwd"):
                out[kind][str(n)] = (
                    None if a is None or b is None else _ratio(a[f"{kind}_ms"], b[f"{kind}_ms"])
                )
        return out

    metrics: dict[str, Any] = {
        "sizes": sizes,
        "spikead_over_hand_scan": ratio_block(REFERENCE, HAND_SCAN),
        "spikead_over_hand_scan_stepwise": ratio_block(REFERENCE, "jax_scan_stepwise"),
        "speedup_over_peers": {
            fw: ratio_block(fw, REFERENCE) for fw in frameworks if fw != REFERENCE
        },
        "status": {
            fw: {str(n): table[(fw, n)]["status"] for n in sizes if (fw, n) in table}
            for fw in frameworks
        },
        "agreement": {
            fw: {
                str(n): (
                    None
                    if not np.isfinite(table[(fw, n)]["agreement"])
                    else table[(fw, n)]["agreement"]
                )
                for n in sizes
                if (fw, n) in table
            }
            for fw in frameworks
        },
    }
    metrics["speedup_over_snntorch"] = metrics["speedup_over_peers"].get("snntorch")
    return metrics


def compare_paired(
    sizes: Iterable[int],
    settings: ComparisonSettings,
    *,
    workdir: str | Path,
    order: str = "random",
    order_seed: int = 0,
    progress: Callable[[Iterable], Iterable] | None = None,
) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """spikead against the hand scan, interleaved in one subprocess per size.

    Each size runs ``python -m spikead.bench.peers.paired`` (pinned like the peers with
    ``settings.cpus``) on the same problem file as :func:`compare_frameworks` (reused
    from ``workdir`` when present), in rounds whose order is ``order`` (one of
    :data:`PAIRED_ORDERS`, seeded by ``order_seed``). Returns ``(rows, details)``: two
    rows per size (``mode`` ``"fwd"`` and ``"fwdbwd"``) with the keys
    :data:`PAIRED_COLUMNS` (``ratio`` = ratio of the medians spikead / hand scan,
    ``ratio_q25``/``ratio_q75`` = quartiles of the per-round ratios), and per size (key
    ``str(n)``) the probe times, predicted and measured timing seconds and spike
    agreement.

    Time cap: the paired timing of a size covers two frameworks, so it may take up to
    ``2 * settings.time_cap_s`` (the budget the two sequential peers get); a size
    predicted over that, or measured over it, and every larger size get ``status``
    ``"skipped: over time cap (...)"``.
    """
    if order not in PAIRED_ORDERS:
        raise ValueError(f"order={order!r} must be one of {PAIRED_ORDERS}.")
    check_pinning(settings.cpus)
    batch, steps = settings.batch, settings.steps
    cap = None if settings.time_cap_s is None else 2.0 * settings.time_cap_s
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    details: dict[str, dict[str, Any]] = {}
    capped: str | None = None
    ordered = sorted(sizes)
    for n in progress(ordered) if progress else ordered:
        if capped is not None:
            rows += _paired_rows(n, batch, steps, {"status": f"{CAP_STATUS} ({capped})"})
            continue
        peer = _peer_settings(
            settings,
            "paired",
            n,
            workdir,
            time_cap_s=cap,
            options={"order": order, "seed": order_seed},
        )
        result = _run_module(
            PAIRED_MODULE, "paired", peer, timeout=settings.timeout, cpus=settings.cpus
        )
        Path(peer.spikes_path).unlink(missing_ok=True)
        capped = _over_cap(result, cap, n)
        rows += _paired_rows(n, batch, steps, result)
        details[str(n)] = {
            k: result.get(k)
            for k in (
                "status",
                "agreement",
                "probe_ms",
                "predicted_timing_s",
                "timing_s",
                "order",
                "versions",
            )
        }
    return rows, details


def _paired_rows(n: int, batch: int, steps: int, result: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for mode in ("fwd", "fwdbwd"):
        timing = result.get(mode) or {}
        a, b = timing.get("a") or {}, timing.get("b") or {}
        rows.append(
            {
                "n": n,
                "batch": batch,
                "T": steps,
                "mode": mode,
                "spikead_ms": a.get("median_ms", math.nan),
                "hand_scan_ms": b.get("median_ms", math.nan),
                "ratio": timing.get("ratio", math.nan),
                "ratio_q25": timing.get("ratio_q25", math.nan),
                "ratio_q75": timing.get("ratio_q75", math.nan),
                "rounds": timing.get("rounds", 0),
                "status": result.get("status", "failed: no status"),
            }
        )
    return rows


def paired_metrics(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """From :func:`compare_paired` rows: ``spikead_over_hand_scan_paired`` {fwd, fwdbwd}:
    {str(n): ratio of medians or ``None``} and ``..._paired_iqr`` {fwd, fwdbwd}:
    {str(n): [q25, q75] of the per-round ratios or ``None``}."""
    ratio: dict[str, dict[str, float | None]] = {"fwd": {}, "fwdbwd": {}}
    iqr: dict[str, dict[str, list[float] | None]] = {"fwd": {}, "fwdbwd": {}}
    for row in sorted(rows, key=lambda r: r["n"]):
        ok = row["status"] == "ok" and np.isfinite(row["ratio"])
        ratio[row["mode"]][str(row["n"])] = float(row["ratio"]) if ok else None
        iqr[row["mode"]][str(row["n"])] = (
            [float(row["ratio_q25"]), float(row["ratio_q75"])] if ok else None
        )
    return {"spikead_over_hand_scan_paired": ratio, "spikead_over_hand_scan_paired_iqr": iqr}


def spikead_network_compile_time(
    n: int, *, layers: int = 3, batch: int = 16, steps: int = 500, seed: int = 0
) -> float:
    """Seconds to compile forward+backward (grad of the spike sum w.r.t. all Linear
    weights) of ``layers`` x (Linear(n, n) + LIF) in spikead, for (B, T, N) inputs."""
    import equinox as eqx
    import jax
    import jax.numpy as jnp

    from spikead import snn

    from ._compiled import compile_time
    from .peers.spikead import make_model

    model = make_model(
        n, beta=0.95, threshold=1.0, slope=10.0, key=jax.random.key(seed), layers=layers
    )
    params, static = eqx.partition(model, lambda leaf: eqx.is_array(leaf) and leaf.ndim == 2)

    def loss(params, x):
        return jnp.sum(snn.run_batched(eqx.combine(params, static), x)[1])

    x = jax.ShapeDtypeStruct((batch, steps, n), jnp.float32)
    return compile_time(jax.jit(jax.grad(loss)), params, x)
