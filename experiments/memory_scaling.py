"""Memory and time per training step vs sequence length and width (Paper A, experiment 3).

    python experiments/memory_scaling.py                         # quick profile
    python experiments/memory_scaling.py profile=smoke
    python experiments/memory_scaling.py scale.methods=[sparse,bptt] scale.t_sweep=[100,1000]

Batched single-layer ALIF network (no recurrence) with a linear readout on random binary
inputs. Methods: sparse (this library), bptt, dense (per-step dense Jacobians), rtrl
(`jax.jacfwd` through the loop) and handwritten (exact e-prop derived by hand, the floor).
Memory = XLA's compiled buffers (temps + arguments + outputs; ``memory_without_inputs_bytes``
leaves out the T x B x M input arguments every method reads), cross-checked by the peak RSS
of one call in a fresh interpreter for ``rss_settings``; time = median of repeated calls
after warm-up. Settings predicted too slow / too large are rows with a "skipped" status.
The sparse method differentiates the step without the spike, which the step recomputes
from the membrane (`spikead.online.reduce_step`): it carries e-prop's traces only; its
rows' ``derived_state`` names the dropped state leaves.
``factorised_t`` / ``lif_zero_t``: extra T sweeps at N = n_for_t of two LIF variants
(`EXTRA_SWEEPS`): "T_factorised", a LIF with reset by subtraction, its gradient stopped
and one decay for all neurons (sparse and BPTT: the sparse input-weight trace is then
factorised, B x M, and its updates are matmuls), and "T_lif_zero", the paper's LIF with
reset to zero (per-neuron traces; sparse, BPTT and the hand-written e-prop).
``probe_settings`` (method, N, T) that are too slow to time at T are timed at the short
lengths ``probe_steps`` instead: the time at the longest probe is a measured lower bound of
the time at T, a line through the probes an extrapolation (columns ``time_lower_bound_ms`` /
``time_extrapolated_ms``; goal: sparse >= 10x faster than dense and RTRL at N = 128, T = 300).
The JAX peers ``peers`` (`spikead.bench.bench_online.PEERS`: brainscale D-RTRL, jax 0.9.x; BrainTrace
D-RTRL and e-prop) run in their own venvs ``scale.brainscale_venv`` / ``scale.braintrace_venv``
(defaults: the environment variables SPIKEAD_BRAINSCALE_VENV / SPIKEAD_BRAINTRACE_VENV, else
.venvs/<library> from scripts/install_peers.sh) as subprocesses at ``peer_settings`` (N, T);
without a venv their rows have status "missing: ..." with the setup command.
``metrics.json`` holds the goals of issue 18 by name under ``goals`` (`goals_from`): each
with its measured ``value``, ``limit`` and ``met`` (None: reported, no limit).
Writes ``scaling.csv``, ``rss.csv`` and ``metrics.json``.
"""

from __future__ import annotations

import hydra
import pandas as pd
from omegaconf import DictConfig

from spikead.bench import online as bench_online
from spikead.runs import progress_bar, start_run, typed_config
from spikead.runs.config import ConfigError
from spikead.runs.schemas import MemoryScalingScale as Scale

#: neuron -> (sweep name, the `Scale` field with its T values, methods): T sweeps at n_for_t
EXTRA_SWEEPS = {
    "lif_factorised": ("T_factorised", "factorised_t", ("sparse", "bptt")),
    "lif_zero": ("T_lif_zero", "lif_zero_t", ("sparse", "bptt", "handwritten")),
}
#: the goals' limits (issue 18): sparse memory T_hi / T_lo; factorised sparse / BPTT time at
#: T >= 1000; per-neuron sparse / hand-written e-prop time
MEMORY_FLAT_LIMIT, FACTORISED_TIME_LIMIT, PER_NEURON_TIME_LIMIT = 1.05, 1.0, 1.25
PER_NEURON = ("alif", "lif_zero")


def sweep_points(scale: Scale) -> list[tuple[str, int, int]]:
    """(sweep, N, T) points: the T sweep at n_for_t, then the N sweep at each t_for_n."""
    points = [("T", scale.n_for_t, t) for t in scale.t_sweep]
    points += [("N", n, t) for t in scale.t_for_n for n in scale.n_sweep]
    return points


def jobs_of(scale: Scale) -> list[tuple[str, str, int, int, str]]:
    """(sweep, neuron, N, T, method): the ALIF sweeps for every method, then the LIF T
    sweeps of `EXTRA_SWEEPS` (their methods only)."""
    jobs = [(sweep, "alif", n, t, m) for sweep, n, t in sweep_points(scale) for m in scale.methods]
    jobs += [
        (sweep, neuron, scale.n_for_t, t, m)
        for neuron, (sweep, key, methods) in EXTRA_SWEEPS.items()
        for t in getattr(scale, key)
        for m in methods
        if m in scale.methods
    ]
    return jobs


def metrics_from(frame: pd.DataFrame, scale: Scale) -> dict:
    """The ratios Paper A's claims are about (None where a setting was not measured)."""
    if "neuron" not in frame:
        return _alif_metrics(frame, scale)
    out = _factorised_metrics(frame[frame["neuron"] == "lif_factorised"])
    return {
        **_alif_metrics(frame[frame["neuron"] == "alif"], scale),
        **out,
        "goals": goals_from(frame, scale),
    }


def _goal(per_t: dict, limit: float | None, **extra) -> dict:
    """One goal: the worst (largest) ratio over ``per_t`` {"T<t>": ratio}, its limit, met."""
    value = max(per_t.values()) if per_t else None
    met = None if value is None or limit is None else bool(value <= limit)
    return {"value": value, "limit": limit, "met": met, "per_T": per_t, **extra}


def _ratio_per_t(frame: pd.DataFrame, col: str, num: str, den: str, t_min: int = 0) -> dict:
    """{"T<t>": num / den} of column ``col`` at every T >= t_min where both were measured."""
    data = frame[frame[col].notna() & (frame["T"] >= t_min)].drop_duplicates(["method", "T"])
    both = data.pivot_table(index="T", columns="method", values=col)
    if not {num, den} <= set(both.columns):
        return {}
    return {f"T{t}": float(v) for t, v in (both[num] / both[den]).dropna().items()}


def goals_from(frame: pd.DataFrame, scale: Scale) -> dict:
    """Issue 18's goals at N = n_for_t, by name, each with its measured value (`_goal`).

    memory: sparse compiled memory without the T x B x M inputs (which every method reads),
    longest over shortest T (100 -> 2000 where swept), per neuron model; the same with the
    inputs is reported beside it. factorised time: sparse / BPTT at T >= 1000 (worst T).
    per-neuron time (ALIF, LIF with reset to zero): sparse / hand-written exact e-prop at
    T >= 100 (worst T), and sparse / BPTT reported without a limit.
    """
    at = frame[(frame["N"] == scale.n_for_t) & frame["method"].isin(bench_online.SCALING_METHODS)]
    memory, handwritten, bptt = {}, {}, {}
    for neuron, rows in sorted(at.groupby("neuron")):
        sparse = rows[(rows["method"] == "sparse") & rows["memory_bytes"].notna()]
        sparse = sparse.drop_duplicates("T").set_index("T").sort_index()
        if len(sparse) >= 2:
            ts = list(sparse.index)
            lo, hi = (100 if 100 in ts else ts[0]), (2000 if 2000 in ts else ts[-1])
            ratio = float(
                sparse.loc[hi, "memory_without_inputs_bytes"]
                / sparse.loc[lo, "memory_without_inputs_bytes"]
            )
            memory[neuron] = _goal(
                {f"T{hi}_over_T{lo}": ratio},
                MEMORY_FLAT_LIMIT,
                with_inputs=float(sparse.loc[hi, "memory_bytes"] / sparse.loc[lo, "memory_bytes"]),
            )
        if neuron in PER_NEURON:
            handwritten[neuron] = _goal(
                _ratio_per_t(rows, "time_ms", "sparse", "handwritten", 100), PER_NEURON_TIME_LIMIT
            )
            bptt[neuron] = _goal(_ratio_per_t(rows, "time_ms", "sparse", "bptt", 100), None)
    factorised = at[at["neuron"] == "lif_factorised"]
    return {
        "n_hidden": scale.n_for_t,
        "batch": scale.batch,
        "sparse_memory_flat_in_T": memory,
        "factorised_sparse_over_bptt_time_T_ge_1000": _goal(
            _ratio_per_t(factorised, "time_ms", "sparse", "bptt", 1000), FACTORISED_TIME_LIMIT
        ),
        "per_neuron_sparse_over_handwritten_time": handwritten,
        "per_neuron_sparse_over_bptt_time": bptt,
    }


def _factorised_metrics(frame: pd.DataFrame) -> dict:
    """Goal (a): sparse / BPTT time and memory for the factorised-trace LIF, per T."""
    if not len(frame):
        return {}
    out = {}
    for col, key in (("time_ms", "time"), ("memory_bytes", "memory")):
        both = frame[frame[col].notna()].pivot_table(index="T", columns="method", values=col)
        if {"sparse", "bptt"} <= set(both.columns):
            r = (both["sparse"] / both["bptt"]).dropna()
            out[f"factorised_sparse_over_bptt_{key}"] = {f"T{t}": float(v) for t, v in r.items()}
    return out


def _alif_metrics(frame: pd.DataFrame, scale: Scale) -> dict:
    ok = frame[frame.memory_bytes.notna()]
    timed = frame[frame.time_ms.notna()]

    def value(df, col, method, n, t):
        sel = df[(df["method"] == method) & (df["N"] == n) & (df["T"] == t)]
        return float(sel[col].iloc[0]) if len(sel) else None

    def ratio(a, b):
        return None if a is None or b is None or b == 0 else a / b

    n0 = scale.n_for_t
    ts = sorted(set(scale.t_sweep))
    t_lo = 100 if 100 in ts else ts[0]
    t_hi = 2000 if 2000 in ts else ts[-1]
    out = {
        "t_ratio": f"T={t_hi} / T={t_lo} at N={n0}",
        "sparse_memory_ratio": ratio(
            value(ok, "memory_bytes", "sparse", n0, t_hi),
            value(ok, "memory_bytes", "sparse", n0, t_lo),
        ),
        "bptt_memory_ratio": ratio(
            value(ok, "memory_bytes", "bptt", n0, t_hi), value(ok, "memory_bytes", "bptt", n0, t_lo)
        ),
        "handwritten_memory_ratio": ratio(
            value(ok, "memory_bytes", "handwritten", n0, t_hi),
            value(ok, "memory_bytes", "handwritten", n0, t_lo),
        ),
    }
    for method in ("sparse", "bptt", "handwritten"):  # the same without the T x B x M inputs
        out[f"{method}_memory_ratio_without_inputs"] = ratio(
            value(ok, "memory_without_inputs_bytes", method, n0, t_hi),
            value(ok, "memory_without_inputs_bytes", method, n0, t_lo),
        )
    # sparse / handwritten time, median over the settings where both were timed
    both = timed.pivot_table(index=["N", "T"], columns="method", values="time_ms")
    if {"sparse", "handwritten"} <= set(both.columns):
        r = (both["sparse"] / both["handwritten"]).dropna()
        out["sparse_over_handwritten_time_median"] = float(r.median()) if len(r) else None
    for ref in ("dense", "rtrl"):
        t_ref = 300 if 300 in set(frame["T"]) else None
        key = f"{ref}_over_sparse_time_N{n0}_T300"
        out[key] = ratio(
            value(timed, "time_ms", ref, n0, t_ref), value(timed, "time_ms", "sparse", n0, t_ref)
        )
        sparse_t = value(timed, "time_ms", "sparse", n0, t_ref)
        for col in ("time_lower_bound_ms", "time_extrapolated_ms"):
            if col in frame:
                probed = frame[frame[col].notna()]
                out[f"{key}_{col[5:-3]}"] = ratio(value(probed, col, ref, n0, t_ref), sparse_t)
        if {ref, "sparse"} <= set(both.columns):
            r = (both[ref] / both["sparse"]).dropna()
            if len(r):
                n_best, t_best = max(r.index)
                out[f"{ref}_over_sparse_time_largest_common"] = {
                    "N": int(n_best),
                    "T": int(t_best),
                    "ratio": float(r.loc[(n_best, t_best)]),
                }
    long = both[both.index.get_level_values("T") >= 1000] if len(both) else both
    if len(long) and {"sparse", "bptt"} <= set(long.columns):
        r = (long["sparse"] / long["bptt"]).dropna()
        out["sparse_over_bptt_time_T_ge_1000"] = {f"N{n}_T{t}": float(v) for (n, t), v in r.items()}
        m = ok[(ok["T"] >= 1000)].pivot_table(
            index=["N", "T"], columns="method", values="memory_bytes"
        )
        if {"sparse", "bptt"} <= set(m.columns):
            out["sparse_over_bptt_memory_T_ge_1000"] = {
                f"N{n}_T{t}": float(v) for (n, t), v in (m["sparse"] / m["bptt"]).dropna().items()
            }
    out["skipped"] = int((frame.status != "ok").sum())
    return out


def _peer_metrics(frame: pd.DataFrame, method: str) -> dict | str:
    """A peer's time over sparse time (ALIF) where both ran, else the peer's status."""
    peer = frame[frame.method == method]
    timed = peer[peer.time_ms.notna()] if "time_ms" in peer else peer.iloc[0:0]
    if not len(timed):
        return str(peer.status.iloc[0]) if len(peer) else "not run"
    sparse = frame[(frame.method == "sparse") & (frame.neuron == "alif") & frame.time_ms.notna()]
    out = {}
    for _, row in timed.drop_duplicates(["N", "T"]).iterrows():
        n, t = int(row["N"]), int(row["T"])
        ref = sparse[(sparse["N"] == n) & (sparse["T"] == t)]
        out[f"N{n}_T{t}"] = {
            "time_ms": float(row["time_ms"]),
            "over_sparse": float(row["time_ms"] / ref["time_ms"].iloc[0]) if len(ref) else None,
        }
    out["status"] = str(timed.status.iloc[0])
    return out


def peer_rows(scale: Scale, log) -> list[dict]:
    """One row per (peer, sweep point) of the ALIF sweeps: run at ``peer_settings``, else
    skipped; without the peer's venv every row is "missing" and says how to make it."""
    venvs = {"brainscale": scale.brainscale_venv, "braintrace": scale.braintrace_venv}
    wanted = {(int(n), int(t)) for n, t in scale.peer_settings}
    rows = []
    for method in scale.peers:
        venv = venvs[bench_online.PEERS[method].library] or None
        done: dict[tuple[int, int], dict] = {}
        for sweep, n, t in sweep_points(scale):
            if (n, t) not in done:
                setting = bench_online.ScalingSetting(
                    "sparse", n, t, scale.batch, scale.n_in, scale.n_out
                )
                if (n, t) in wanted or venv is None:
                    done[(n, t)] = bench_online.peer_row(method, setting, venv)
                else:
                    done[(n, t)] = {
                        "method": method,
                        "N": n,
                        "T": t,
                        "batch": scale.batch,
                        "n_in": scale.n_in,
                        "neuron": "alif",
                        "status": "skipped: not in scale.peer_settings",
                    }
                log.info("%s", done[(n, t)])
            rows.append({"sweep": sweep, **done[(n, t)]})
    return rows


def run(cfg: DictConfig, out_dir=None) -> dict:
    scale = typed_config(cfg.scale, Scale, where="scale")
    unknown = sorted(set(scale.methods) - set(bench_online.SCALING_METHODS))
    if unknown:
        raise ConfigError(
            f"scale.methods: unknown {unknown}; known: {list(bench_online.SCALING_METHODS)}"
        )
    unknown = sorted(set(scale.peers) - set(bench_online.PEERS))
    if unknown:
        raise ConfigError(f"scale.peers: unknown {unknown}; known: {list(bench_online.PEERS)}")
    run_ = start_run(
        cfg, "memory_scaling", out_dir=out_dir, data_label="synthetic (random binary input spikes)"
    )
    measured: dict[tuple[str, str, int, int], dict] = {}
    rows = []
    probes = {(str(m), int(n), int(t)) for m, n, t in scale.probe_settings}
    for sweep, neuron, n, t, method in progress_bar(jobs_of(scale), desc="scaling settings"):
        key = (neuron, method, n, t)
        if key not in measured:
            setting = bench_online.ScalingSetting(
                method, n, t, scale.batch, scale.n_in, scale.n_out, neuron=neuron
            )
            probe = scale.probe_steps if neuron == "alif" and (method, n, t) in probes else ()
            measured[key] = bench_online.measure_scaling(
                setting,
                max_seconds=scale.max_seconds,
                max_bytes=scale.max_bytes,
                flops_per_s=scale.flops_per_s,
                warmup=scale.warmup,
                repeats=scale.repeats,
                probe_steps=probe,
            )
            run_.log.info(
                "%s",
                {
                    k: measured[key][k]
                    for k in (
                        "method",
                        "neuron",
                        "N",
                        "T",
                        "memory_bytes",
                        "time_ms",
                        "time_lower_bound_ms",
                        "status",
                    )
                },
            )
        rows.append({"sweep": sweep, **measured[key]})
    rows += peer_rows(scale, run_.log)
    frame = pd.DataFrame(rows)
    run_.write_csv("scaling.csv", frame)
    rss = []
    for method, n, t in progress_bar(scale.rss_settings, desc="peak RSS cross-check"):
        setting = bench_online.ScalingSetting(
            str(method), int(n), int(t), scale.batch, scale.n_in, scale.n_out
        )
        row = bench_online.rss_row(setting)
        row["compiled_bytes"] = measured.get(("alif", str(method), int(n), int(t)), {}).get(
            "memory_bytes"
        )
        rss.append(row)
    run_.write_csv("rss.csv", pd.DataFrame(rss))
    metrics = metrics_from(frame[~frame.method.isin(list(bench_online.PEERS))], scale)
    for method in scale.peers:
        metrics[method] = _peer_metrics(frame, method)
    return run_.finish(metrics)


@hydra.main(version_base="1.3", config_path="../configs", config_name="memory_scaling")
def main(cfg: DictConfig) -> None:
    run(cfg)


if __name__ == "__main__":
    main()
