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

The best order the search found (``orders_dir``: the ``orders/`` folder of the
elimination_search experiment, one engine order file per task, method and seed) is timed
as ``jacve_best`` / ``vmap_jacve_best``: per task the cheapest order over all its files
(each loaded with ``ad.load_order``; a refused or unreadable file is listed in
metrics.json), carried from the graph of ``f`` to that of ``vmap(f)`` with
``ad.transfer_order``. If it is not cheaper than forward, reverse and Markowitz, it is
not timed again: its rows say so in ``status``. ``order_cost`` is the multiplication count
of the eliminated order on the graph of ``vmap(f)`` at that batch.

The goals' two ratios are also timed interleaved (``spikead.bench.time_alternating``, one
process, ``scale.paired_rounds`` rounds) at the largest batch: the fastest dense order
against ``jacrev_vmap`` and the fastest per-example order against ``vmap_jacrev``. Timed one
after the other, the dense Jacobians (memory-bound writes of B x B blocks) drift by up to 2x
between runs; interleaved, drift hits both alike. Written to ``paired.csv`` and the summary
(``*_paired``, with the quartiles of the per-round ratios).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import hydra
import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
from omegaconf import DictConfig

from spikead import ad, tasks
from spikead.bench import compile_time_and_memory, time_alternating, time_fn
from spikead.runs import ConfigError, progress_bar, start_run, typed_config
from spikead.runs.schemas import EliminationRuntimeScale as Scale

ORDERS = {"jacve_forward": "fwd", "jacve_reverse": "rev", "jacve_markowitz": "markowitz"}
# the same orders, per-example output (B, out, in) like vmap(jacrev(f)): see ad.vmap_jacve
COMPACT_ORDERS = {
    "vmap_jacve_forward": "fwd",
    "vmap_jacve_reverse": "rev",
    "vmap_jacve_markowitz": "markowitz",
}
# the cheapest order found by the search (issue #7), dense and per-example output
SEARCH_ORDERS = {"jacve_best": ORDERS, "vmap_jacve_best": COMPACT_ORDERS}
BASELINES = ("jacfwd_vmap", "jacrev_vmap", "vmap_jacrev")
METHODS = (*ORDERS, *COMPACT_ORDERS, *SEARCH_ORDERS, *BASELINES)
NAMED_ORDERS = {"forward": "fwd", "reverse": "rev", "markowitz": "markowitz"}


def batched_args(task, batch: int, seed: int) -> tuple:
    """The task's example arguments repeated B times with a small seeded perturbation."""
    rng = np.random.default_rng(seed)
    out = []
    for a in task.args:
        a = jnp.asarray(a)
        noise = 0.01 * rng.standard_normal((batch, *a.shape)).astype(a.dtype)
        out.append(jnp.broadcast_to(a, (batch, *a.shape)) + noise)
    return tuple(out)


def jacobian_fn(method: str, fn, argnums, order=None):
    """The jitted Jacobian function that ``method`` names, for batched inputs.

    ``order``: for the ``*_best`` methods, the explicit order (vertex ids of the graph of
    ``jax.vmap(fn)``) to eliminate.
    """
    vf = jax.vmap(fn)
    if method in SEARCH_ORDERS:
        if order is None:
            raise ConfigError(
                f"method {method!r} needs an explicit order (vertex ids of vmap(f)'s graph)"
            )
        form = (
            ad.jacve(vf, order=order, argnums=argnums)
            if method == "jacve_best"
            else ad.vmap_jacve(fn, order=order, argnums=argnums)
        )
        return jax.jit(form)
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


def best_search_order(task, orders_dir: str | Path) -> dict:
    """The cheapest search order of ``task`` in ``orders_dir`` against forward/reverse/Markowitz.

    Reads every ``<task>_<method>_seed<k>.json`` there with ``ad.load_order`` against
    ``make_graph(task.fn, *task.args)``; a file that is unreadable, refused (fingerprint
    mismatch, invalid order) or whose recorded cost differs from its cost on the graph (in
    the file's counting ``convention``; files without one are ``"structured"``) is listed
    under ``refused`` with the reason. Orders are ranked, and compared with the baselines,
    by the executed count (convention ``"structured"``), whatever count the search used. Returns a JSON-able dict: ``status``
    (``"cheaper"``, ``"not cheaper"`` or ``"none"``), ``order`` (ids of the unbatched graph,
    or None), ``cost``, ``method``, ``seed``, ``file``, ``baseline_costs``,
    ``best_baseline``, ``files`` (how many were read) and ``refused``.
    """
    graph = ad.make_graph(task.fn, *task.args, argnums=task.argnums)
    baseline_costs = {
        name: int(sum(ad.apply_order(graph, ad.resolve_order(graph, spec))))
        for name, spec in NAMED_ORDERS.items()
    }
    best_baseline = min(baseline_costs, key=baseline_costs.get)
    out = {
        "status": "none",
        "order": None,
        "cost": None,
        "method": None,
        "seed": None,
        "file": None,
        "baseline_costs": baseline_costs,
        "best_baseline": best_baseline,
        "files": 0,
        "refused": [],
    }
    for path in task_order_files(orders_dir, task.name):
        out["files"] += 1
        try:
            record = ad.load_order(path, graph)
            convention = record.get("convention", "structured")
            counted = int(sum(ad.apply_order(graph, record["order"], convention=convention)))
            if int(record.get("cost", counted)) != counted:
                raise ad.InvalidOrderError(
                    f"the file records cost {record['cost']} ({convention} "
                    f"count), but the order costs {counted} on this graph"
                )
            cost = (
                counted
                if convention == "structured"
                else int(sum(ad.apply_order(graph, record["order"])))
            )
        except (OSError, ValueError, KeyError, TypeError) as err:  # JSON, mismatch, invalid order
            out["refused"].append({"file": str(path), "reason": f"{type(err).__name__}: {err}"})
            continue
        if out["cost"] is None or cost < out["cost"]:
            method, seed = _method_and_seed(path.stem[len(task.name) + 1 :])
            out.update(
                order=list(record["order"]), cost=cost, method=method, seed=seed, file=str(path)
            )
    if out["cost"] is not None:
        out["status"] = "cheaper" if out["cost"] < baseline_costs[best_baseline] else "not cheaper"
    return out


def task_order_files(orders_dir: str | Path, task: str) -> list[Path]:
    """Files ``<task>_*.json`` of ``orders_dir`` that belong to ``task`` (not to a task whose
    name extends it), sorted; empty if the folder does not exist."""
    folder = Path(orders_dir)
    if not folder.is_dir():
        return []
    longer = [n for n in tasks.names() if n != task and n.startswith(task + "_")]
    return sorted(
        p
        for p in folder.glob(f"{task}_*.json")
        if not any(p.name.startswith(n + "_") for n in longer)
    )


def _method_and_seed(rest: str) -> tuple[str, int | None]:
    match = re.fullmatch(r"(.+)_seed(\d+)", rest)
    return (match.group(1), int(match.group(2))) if match else (rest, None)


def search_note(best: dict, orders_dir) -> str:
    """Why a task's search order is not timed ('' if it is)."""
    if best["status"] == "cheaper":
        return ""
    if best["status"] == "none":
        return (
            f"not timed: no usable search order in {orders_dir} "
            f"({best['files']} files, {len(best['refused'])} refused)"
        )
    base = best["best_baseline"]
    return (
        f"not timed: the search found nothing cheaper ({best['method']} costs {best['cost']}, "
        f"{base} {best['baseline_costs'][base]})"
    )


def order_plan(task, batch: int, seed: int, methods, best: dict | None) -> dict[str, tuple]:
    """Per elimination method: ``(order, cost on vmap(f)'s graph at this batch)``.

    The named orders are resolved on the graph of ``vmap(f)`` (as ``jacve`` does); the search
    order is carried there from the graph of ``f`` with ``ad.transfer_order`` (if that fails,
    the plan has ``"transfer_error"``: the status of the search's rows).
    """
    wanted = [m for m in methods if m in ORDERS or m in COMPACT_ORDERS or m in SEARCH_ORDERS]
    if not wanted:
        return {}
    args = batched_args(task, batch, seed)
    graph_v = ad.make_graph(jax.vmap(task.fn), *args, argnums=task.argnums)
    explicit, plan = {}, {}
    if best is not None and best["status"] == "cheaper":
        graph = ad.make_graph(task.fn, *task.args, argnums=task.argnums)
        try:
            explicit["best"] = ad.transfer_order(graph, graph_v, best["order"], name=task.name)
        except ad.OrderTransferError as err:  # recorded in the rows, not a crash
            plan["transfer_error"] = f"not timed: the order does not transfer to vmap(f): {err}"
    for m in wanted:
        spec = explicit.get("best") if m in SEARCH_ORDERS else {**ORDERS, **COMPACT_ORDERS}[m]
        if spec is None:
            plan[m] = (None, np.nan)
            continue
        plan[m] = (spec, int(sum(ad.apply_order(graph_v, ad.resolve_order(graph_v, spec)))))
    return plan


def measure(task, method: str, batch: int, scale: Scale, seed: int, order=None, keep=None) -> dict:
    """One job's row; ``keep`` (a dict), if given, gets the jitted function under ``method``."""
    args = batched_args(task, batch, seed)
    fn = jacobian_fn(method, task.fn, task.argnums, order)
    if keep is not None:
        keep[method] = fn
    # trace (incl. elimination) + compile, before any call; XLA's buffer sizes come with it
    seconds, memory = compile_time_and_memory(fn, *args)
    row = {
        "task": task.name,
        "batch": batch,
        "method": method,
        "compile_s": seconds,
        "memory_bytes": memory.total_bytes,
    }
    nan = {"median_ms": np.nan, "p2_5_ms": np.nan, "p97_5_ms": np.nan}
    if scale.memory_cap_bytes is not None and memory.total_bytes > scale.memory_cap_bytes:
        return {
            **row,
            **nan,
            "status": (
                f"skipped: over memory cap ({memory.total_bytes / 1e9:.1f} GB"
                f" > {scale.memory_cap_bytes / 1e9:g} GB)"
            ),
        }
    if scale.time_cap_s is not None:
        # one probe call predicts the job's time; the first call can carry one-time costs,
        # so a job it puts over the cap gets a second probe before it is skipped
        probe_s = time_fn(fn, *args, warmup=0, repeats=1).median_ms / 1e3
        if probe_s * (scale.warmup + scale.repeats) > scale.time_cap_s:
            probe_s = min(probe_s, time_fn(fn, *args, warmup=0, repeats=1).median_ms / 1e3)
        predicted = probe_s * (scale.warmup + scale.repeats)
        if predicted > scale.time_cap_s:
            return {
                **row,
                **nan,
                "status": (
                    f"skipped: over time cap (predicted {predicted:.1f} s > "
                    f"{scale.time_cap_s:g} s; one call {probe_s * 1e3:.0f} ms)"
                ),
            }
    timing = time_fn(fn, *args, warmup=scale.warmup, repeats=scale.repeats)
    return {
        **row,
        "median_ms": timing.median_ms,
        "p2_5_ms": timing.p2_5_ms,
        "p97_5_ms": timing.p97_5_ms,
        "status": "ok",
    }


# the goals' comparisons, timed interleaved: (name, candidate methods, baseline, summary key)
PAIRED_COMPARISONS = (
    ("dense", ORDERS, "jacrev_vmap", "best_jacve_over_jacrev_vmap_paired"),
    ("per_example", COMPACT_ORDERS, "vmap_jacrev", "best_vmap_jacve_over_vmap_jacrev_paired"),
)
PAIRED_COLUMNS = (
    "task",
    "batch",
    "comparison",
    "method",
    "baseline",
    "method_ms",
    "baseline_ms",
    "ratio",
    "ratio_q25",
    "ratio_q75",
    "rounds",
    "status",
)


def time_paired(task, rows: pd.DataFrame, fns: dict, scale: Scale, seed: int) -> list[dict]:
    """Rows of ``paired.csv`` for ``task``: at its largest batch in ``rows`` (its runtime
    rows), the fastest method of each comparison in `PAIRED_COMPARISONS` timed interleaved
    with its baseline (``fns``: the jitted functions of that batch, by method).

    A comparison whose sides were not both timed, or whose rounds are predicted (from the
    medians) to take over twice ``scale.time_cap_s``, gets a row with the reason in ``status``.
    """
    batch = int(rows["batch"].max())
    timed = rows[(rows["batch"] == batch) & (rows["status"] == "ok")].set_index("method")[
        "median_ms"
    ]
    args = batched_args(task, batch, seed)
    out = []
    for comparison, group, baseline, _ in PAIRED_COMPARISONS:
        row = dict.fromkeys(PAIRED_COLUMNS, np.nan) | {
            "task": task.name,
            "batch": batch,
            "comparison": comparison,
            "baseline": baseline,
            "method": "",
            "rounds": 0,
        }
        present = [m for m in group if m in timed.index]
        if not present or baseline not in timed.index:
            missing = f"none of {', '.join(group)} was" if not present else f"{baseline} was not"
            out.append(row | {"status": f"not timed: {missing} timed at B = {batch}"})
            continue
        best = str(timed[present].idxmin())
        predicted = (timed[best] + timed[baseline]) * (scale.warmup + scale.paired_rounds) / 1e3
        if scale.time_cap_s is not None and predicted > 2 * scale.time_cap_s:
            out.append(
                row
                | {
                    "method": best,
                    "status": (
                        f"skipped: over time cap (predicted "
                        f"{predicted:.1f} s > 2 x {scale.time_cap_s:g} s)"
                    ),
                }
            )
            continue
        pair = time_alternating(
            fns[best],
            fns[baseline],
            *args,
            warmup=scale.warmup,
            repeats=scale.paired_rounds,
            seed=seed,
        )
        out.append(
            row
            | {
                "method": best,
                "method_ms": pair.a.median_ms,
                "baseline_ms": pair.b.median_ms,
                "ratio": pair.ratio,
                "ratio_q25": pair.ratio_q25,
                "ratio_q75": pair.ratio_q75,
                "rounds": pair.rounds,
                "status": "ok",
            }
        )
    return out


def summarise(
    frame: pd.DataFrame, search: dict | None = None, paired: pd.DataFrame | None = None
) -> dict:
    """Best jacve order relative to the baselines, per task, at the largest batch.

    ``best_jacve`` (dense ``B x B`` block output, like ``jacrev(vmap(f))``; the best of
    forward, reverse and Markowitz) is compared with the paper's baselines,
    ``best_vmap_jacve`` (per-example output, like ``vmap(jacrev(f))``) with the fair one;
    the issue's goals are ``best_jacve_over_jacrev_vmap <= 1`` and
    ``best_vmap_jacve_over_vmap_jacrev <= 1.2``. Beside them, ``search_jacve_*`` /
    ``search_vmap_jacve_*`` give the search's order (``jacve_best`` / ``vmap_jacve_best``)
    against the same baselines and against the best of the three orders; ``search`` (from
    :func:`best_search_order`, per task) adds ``search_status`` / ``search_note``; ``paired``
    (rows of :func:`time_paired`) adds the interleaved ratios of the two goals
    (``best_jacve_over_jacrev_vmap_paired``, ``best_vmap_jacve_over_vmap_jacrev_paired``,
    each with ``_iqr`` and ``_method``).
    """
    out = {}
    for task, rows in frame.groupby("task"):
        largest = rows[rows["batch"] == rows["batch"].max()]
        times = largest.set_index("method")["median_ms"].dropna()
        entry = {"batch": int(largest["batch"].iloc[0])}
        for name, group in (
            ("best_jacve", ORDERS),
            ("best_vmap_jacve", COMPACT_ORDERS),
            ("search_jacve", ("jacve_best",)),
            ("search_vmap_jacve", ("vmap_jacve_best",)),
        ):
            present = [m for m in group if m in times]
            if not present:
                continue
            best = times[present].min()
            entry[f"{name}_ms"] = float(best)
            if name.startswith("best"):
                entry[f"{name}_order"] = str(times[present].idxmin())
            entry.update(
                {f"{name}_over_{b}": float(best / times[b]) for b in BASELINES if b in times}
            )
            if name.startswith("search") and f"best_{name[7:]}_ms" in entry:
                entry[f"{name}_over_best_{name[7:]}"] = float(best / entry[f"best_{name[7:]}_ms"])
        costs = largest.set_index("method").get("order_cost")
        if costs is not None:
            entry.update({f"{m}_cost": int(c) for m, c in costs.dropna().items()})
        if search and task in search:
            info = search[task]
            entry["search_status"] = info["status"]
            entry["search_cost_unbatched"] = info["cost"]
            entry["best_baseline_cost_unbatched"] = info["baseline_costs"][info["best_baseline"]]
            if info["status"] != "cheaper":
                entry["search_note"] = (
                    "the search found nothing cheaper"
                    if info["status"] == "not cheaper"
                    else "no usable search order"
                )
        if paired is not None:
            for comparison, _, _, key in PAIRED_COMPARISONS:
                hit = paired[
                    (paired["task"] == task)
                    & (paired["comparison"] == comparison)
                    & (paired["status"] == "ok")
                ]
                if len(hit):
                    entry[key] = float(hit["ratio"].iloc[0])
                    entry[f"{key}_iqr"] = [
                        float(hit["ratio_q25"].iloc[0]),
                        float(hit["ratio_q75"].iloc[0]),
                    ]
                    entry[f"{key}_method"] = str(hit["method"].iloc[0])
        out[task] = entry
    return out


def run(cfg: DictConfig, out_dir=None) -> dict:
    scale = typed_config(cfg.scale, Scale, where="scale")
    if scale.methods is None:  # null (the default): every method
        scale.methods = list(METHODS)
    unknown = [m for m in scale.methods if m not in METHODS]
    if unknown:
        raise ConfigError(f"scale.methods: unknown {unknown}; known: {list(METHODS)}")
    if scale.memory_cap_bytes is not None and scale.memory_cap_bytes <= 0:
        raise ConfigError(
            f"scale.memory_cap_bytes must be positive or null, got {scale.memory_cap_bytes}"
        )
    if scale.time_cap_s is not None and scale.time_cap_s <= 0:
        raise ConfigError(
            f"scale.time_cap_s must be positive seconds or null, got {scale.time_cap_s}"
        )
    if not scale.batch_sizes or min(scale.batch_sizes) < 1:
        raise ConfigError(f"scale.batch_sizes must be positive integers, got {scale.batch_sizes}")
    if scale.paired_rounds < 0:
        raise ConfigError(
            f"scale.paired_rounds must be >= 0 (0: no interleaved timing), "
            f"got {scale.paired_rounds}"
        )
    task_objs = [tasks.load(name) for name in scale.tasks]
    run_ = start_run(cfg, "elimination_runtime", out_dir=out_dir, data_label="none (programs)")
    orders_dir = str(cfg.get("orders_dir") or "")
    best = {}
    if any(m in SEARCH_ORDERS for m in scale.methods):
        for task in task_objs:
            best[task.name] = best_search_order(task, orders_dir)
            for bad in best[task.name]["refused"]:
                run_.log.warning("%s: order file refused: %s", task.name, bad["reason"])
            run_.log.info(
                "%s: search order %s (cost %s, baselines %s)",
                task.name,
                best[task.name]["status"],
                best[task.name]["cost"],
                best[task.name]["baseline_costs"],
            )
    jobs = [(t, b, m) for t in task_objs for b in scale.batch_sizes for m in scale.methods]
    rows, plans, paired_rows, fns = [], {}, [], {}
    largest = max(scale.batch_sizes)
    for i, (task, batch, method) in enumerate(
        progress_bar(jobs, desc="elimination_runtime", mininterval=5)
    ):
        if (task.name, batch) not in plans:
            plans[(task.name, batch)] = order_plan(
                task, batch, run_.seed, scale.methods, best.get(task.name)
            )
        order, order_cost = plans[(task.name, batch)].get(method, (None, np.nan))
        note = ""
        if method in SEARCH_ORDERS:
            note = search_note(best[task.name], orders_dir) or plans[(task.name, batch)].get(
                "transfer_error", ""
            )
        if note:
            row = {
                "task": task.name,
                "batch": batch,
                "method": method,
                "compile_s": np.nan,
                "memory_bytes": np.nan,
                "median_ms": np.nan,
                "p2_5_ms": np.nan,
                "p97_5_ms": np.nan,
                "status": note,
            }
        else:
            row = measure(
                task, method, batch, scale, run_.seed, order, keep=fns if batch == largest else None
            )
        row["order_cost"] = order_cost
        if method in SEARCH_ORDERS:
            row["order_source"] = f"{best[task.name]['method']} seed {best[task.name]['seed']}"
        rows.append(row)
        run_.log_metrics({f"{task.name}/{method}/B{batch}_ms": rows[-1]["median_ms"]})
        run_.write_csv("runtime.csv", with_speedups(pd.DataFrame(rows)))  # a crash keeps these
        if scale.paired_rounds and (i + 1 == len(jobs) or jobs[i + 1][0] is not task):
            frame = pd.DataFrame(rows)
            paired_rows += time_paired(
                task, frame[frame["task"] == task.name], fns, scale, run_.seed
            )
            run_.write_csv("paired.csv", pd.DataFrame(paired_rows, columns=list(PAIRED_COLUMNS)))
            fns.clear()  # the task's compiled functions are not needed again
    frame = with_speedups(pd.DataFrame(rows))
    run_.write_csv("runtime.csv", frame)
    paired = pd.DataFrame(paired_rows, columns=list(PAIRED_COLUMNS))
    run_.write_csv("paired.csv", paired)
    metrics = {"summary": summarise(frame, best, paired)}
    if best:
        metrics["orders_dir"] = orders_dir
        metrics["search_orders"] = {
            name: {k: v for k, v in b.items() if k != "order"} for name, b in best.items()
        }
    return run_.finish(json.loads(json.dumps(metrics, default=_plain)))


def _plain(value):
    """JSON for numpy scalars."""
    return value.item() if hasattr(value, "item") else str(value)


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
