"""Every reproduced number of one profile beside the papers' (RESULTS.md) and the README headline.

Reads the experiments' ``metrics.json`` files under ``--results`` (``results/<profile>``) and
the tables the figure scripts wrote under ``--figures`` (``paper_figures/<profile>``), and
writes ``--out`` (``paper_figures/<profile>/RESULTS.md``): a headline table (our number, the
paper's number or the goal, what is measured), then each experiment's own table, each with
the date, commit, machine and wall time of the run that made it. Nothing here is typed by
hand: an experiment that has not run is listed as such.

With ``--readme README.md`` the block between ``<!-- headline -->`` and
``<!-- /headline -->`` in the README is replaced by the headline table.

    python paper_figures/results_report.py --results results/quick \
        --figures paper_figures/quick --profile quick --out paper_figures/quick/RESULTS.md
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from spikead.runs import atomic_write_text, format_number, source_commit, utc_now
from spikead.tasks import PAPER

README_BEGIN, README_END = "<!-- headline -->", "<!-- /headline -->"


@dataclass(frozen=True)
class Row:
    """One headline number: ours beside the paper's (or the goal), and what it measures."""

    paper: str
    result: str
    ours: str
    reference: str
    measure: str
    in_readme: bool = True


def fmt(x: float | None, digits: int = 3) -> str:
    """A headline number (:func:`spikead.runs.format_number` with ``digits`` significant
    digits; a missing value is a dash)."""
    return "-" if x is None else format_number(x, digits)


def load_metrics(folder: Path) -> dict | None:
    """``folder/metrics.json``, or None when the run has not finished."""
    path = folder / "metrics.json"
    return json.loads(path.read_text()) if path.is_file() else None


# --- one extractor per experiment: metrics.json -> headline rows --------------------------


def costs_rows(m: dict) -> list[Row]:
    rows = []
    costs = m.get("costs", {})  # {convention: {task: {forward, reverse, markowitz}}}
    by_convention = costs if set(costs) <= {"paper", "structured"} else {"structured": costs}
    for convention, per_task in by_convention.items():
        equal = [
            t
            for t, c in per_task.items()
            if t in PAPER
            and all(c.get(k) == PAPER[t][k] for k in ("forward", "reverse", "markowitz"))
        ]
        rows.append(
            Row(
                "C",
                f"Table 1 baselines ({convention} count)",
                f"{len(equal)} of {len(per_task)} tasks equal",
                "paper's forward / reverse / Markowitz",
                "tasks whose three baseline costs equal the paper's",
            )
        )
    for convention, per_task in (m.get("optimum") or {}).items():
        proven = {t: o["optimum"] for t, o in per_task.items() if o.get("optimum") is not None}
        paper = ", ".join(
            f"{t} {v} (AlphaGrad {PAPER[t]['alphagrad']})"
            for t, v in proven.items()
            if convention == "paper" and t in PAPER
        )
        rows.append(
            Row(
                "C",
                f"Proven optimal orders ({convention} count)",
                f"{len(proven)} of {len(per_task)} tasks",
                "no published optimum",
                paper or "others: a valid lower bound and the gap, in the table below",
            )
        )
    return rows


def search_rows(m: dict) -> list[Row]:
    gains = m.get("gain_pct", {})
    meets = [
        t
        for t, g in gains.items()
        if t in PAPER and g is not None and g >= PAPER[t]["gain_percent"]
    ]
    detail = ", ".join(
        f"{t} {fmt(g)} ({fmt(PAPER[t]['gain_percent'])})" for t, g in gains.items() if t in PAPER
    )
    return [
        Row(
            "C",
            "Search beats the best baseline",
            f"{m.get('n_beating', '-')} of {m.get('tasks', '-')} tasks",
            "10 of 10 (AlphaGrad)",
            f"{m.get('budget_evaluations', '-')} evaluations per method",
        ),
        Row(
            "C",
            "Search gain at least the paper's",
            f"{len(meets)} of {len(gains)} tasks",
            "-",
            f"gain % vs best baseline ({m.get('convention', 'structured')} count), "
            f"ours (paper's): {detail}",
        ),
    ]


def runtime_rows(m: dict) -> list[Row]:
    summary = m.get("summary", {})

    def worst(key: str) -> tuple[str, float | None]:
        values = {t: s[key] for t, s in summary.items() if s.get(key) is not None}
        if not values:
            return "-", None
        task = max(values, key=values.get)
        return task, values[task]

    task_pe, per_example = worst("best_vmap_jacve_over_vmap_jacrev_paired")
    task_d, dense = worst("best_jacve_over_jacrev_vmap_paired")
    return [
        Row(
            "C",
            "Per-example Jacobian: vmap(jacve) / vmap(jacrev), worst task",
            f"{fmt(per_example)} ({task_pe})",
            "goal <= 1.2",
            "ratio of medians, interleaved, largest batch",
        ),
        Row(
            "C",
            "Dense Jacobian: jacve(vmap f) / jacrev(vmap f), worst task",
            f"{fmt(dense)} ({task_d})",
            "goal <= 1.0 (paper: speed-ups on CPU)",
            "ratio of medians, interleaved, largest batch",
            in_readme=False,
        ),
    ]


def alignment_rows(m: dict) -> list[Row]:
    rec = m.get("recurrent_mean_cosine") or {}
    return [
        Row(
            "A",
            "Online gradient vs BPTT, no recurrence: min cosine",
            fmt(m.get("exact_min_cosine")),
            "exact (goal >= 1 - 1e-5)",
            f"{m.get('settings', '-')} settings",
        ),
        Row(
            "A",
            "Online gradient vs BPTT, no recurrence: max relative L2",
            fmt(m.get("exact_max_rel_l2")),
            "goal <= 1e-4",
            "every weight matrix",
            in_readme=False,
        ),
        Row(
            "A",
            "With recurrence: e-prop vs its reference (jax.grad with stop_gradient), max relative L2",
            fmt(m.get("recurrent_max_rel_l2_vs_eprop_reference")),
            "exact (Bellec et al.'s e-prop)",
            f"e-prop vs BPTT: {fmt(m.get('recurrent_max_rel_l2'))}",
        ),
        Row(
            "A",
            "With recurrence (e-prop's approximation): mean cosine",
            ", ".join(f"{k} {fmt(v)}" for k, v in rec.items()) or "-",
            "approximate by design",
            "vs BPTT",
            in_readme=False,
        ),
    ]


def memory_rows(m: dict) -> list[Row]:
    goals = m.get("goals") or {}
    n = f"N {goals.get('n_hidden', '?')}, B {goals.get('batch', '?')}"

    def per(name):  # "alif 1.02, lif_zero 1.10" of a goal given per neuron model
        return (
            ", ".join(f"{k} {fmt(g.get('value'))}" for k, g in (goals.get(name) or {}).items())
            or "-"
        )

    fact = goals.get("factorised_sparse_over_bptt_time_T_ge_1000") or {}
    return [
        Row(
            "A",
            "Sparse online memory, longest / shortest T (per neuron model)",
            per("sparse_memory_flat_in_T")
            if goals
            else fmt(m.get("sparse_memory_ratio_without_inputs")),
            "flat (goal <= 1.05)",
            f"temporaries without the inputs, {m.get('t_ratio', '')}",
        ),
        Row(
            "A",
            "BPTT memory, longest / shortest T",
            fmt(m.get("bptt_memory_ratio_without_inputs")),
            "linear in T",
            f"{m.get('t_ratio', '')}",
            in_readme=False,
        ),
        Row(
            "A",
            "Sparse / hand-written exact e-prop time (per-neuron models)",
            per("per_neuron_sparse_over_handwritten_time")
            if goals
            else fmt(m.get("sparse_over_handwritten_time_median")),
            "goal <= 1.25",
            f"worst T >= 100, {n}",
        ),
        Row(
            "A",
            "Sparse / standard BPTT time (per-neuron models)",
            per("per_neuron_sparse_over_bptt_time"),
            "reported",
            f"worst T >= 100, {n}",
        ),
        Row(
            "A",
            "Factorised-trace LIF: sparse / standard BPTT time",
            fmt(fact.get("value")),
            "goal <= 1.0 at T >= 1000",
            f"worst T >= 1000, {n}, params as jit arguments",
        ),
    ]


def framework_rows(m: dict) -> list[Row]:
    paired = (m.get("spikead_over_hand_scan_paired") or {}).get("fwdbwd", {})
    peers = m.get("speedup_over_peers") or {}
    speed = ", ".join(
        f"{p} {fmt(v['fwdbwd'][min(v['fwdbwd'], key=int)])}x"
        for p, v in peers.items()
        if p != "jax_scan" and v.get("fwdbwd") and v["fwdbwd"][min(v["fwdbwd"], key=int)]
    )
    parallel = (
        (m.get("parallel_over_hand_scan") or {})
        .get("lif", {})
        .get("parallel", {})
        .get("fwdbwd", {})
    )
    identical = (m.get("parallel_identical") or {}).get("lif", {}).get("parallel", {})
    return [
        Row(
            "B",
            "Parallel-in-time LIF / hand-written lax.scan, fwd+bwd",
            ", ".join(f"T={t}: {fmt(v)}" for t, v in parallel.items()) or "-",
            "goal <= 1/3 at T >= 2000",
            f"spikes identical: {'yes' if identical and all(identical.values()) else 'no' if identical else '-'}",
        ),
        Row(
            "B",
            "spikead / hand-written lax.scan, fwd+bwd",
            ", ".join(f"n={n}: {fmt(v)}" for n, v in paired.items()) or "-",
            "goal <= 1.10",
            "interleaved in one process",
        ),
        Row(
            "B",
            "Speed-up over the peers at the smallest n, fwd+bwd",
            speed or "-",
            "paper: faster than the PyTorch frameworks",
            "same dynamics and inputs",
        ),
    ]


def training_rows(runs: dict[str, dict]) -> list[Row]:
    """One row per data x model: mean test accuracy per algorithm over the seeds' runs."""
    grouped: dict[tuple[str, str], dict[str, list[float]]] = {}
    for m in runs.values():
        data = f"{m.get('dataset_label', m.get('dataset'))}{' (synthetic)' if m.get('synthetic') else ''}"
        grouped.setdefault((data, m.get("model")), {}).setdefault(m.get("algorithm"), []).append(
            100 * m["test_acc_at_best_valid"]
        )
    return [
        Row(
            "A",
            f"Test accuracy %, {data}, {model}",
            " / ".join(f"{alg} {fmt(sum(v) / len(v))}" for alg, v in sorted(algs.items())),
            "e-prop comparable to BPTT",
            f"at the best validation epoch, mean of {max(map(len, algs.values()))} seed(s)",
        )
        for (data, model), algs in grouped.items()
    ]


#: experiment folder -> (extractor of its metrics, the figure scripts' tables to include)
SECTIONS: dict[str, tuple[Callable[[dict], list[Row]] | None, tuple[str, ...]]] = {
    "elimination_costs": (costs_rows, ("table1_baselines.md",)),
    "elimination_search": (search_rows, ("table1_search.md",)),
    "elimination_runtime": (runtime_rows, ()),
    "gradient_alignment": (alignment_rows, ("paper_a_gradient_alignment.md",)),
    "memory_scaling": (memory_rows, ()),
    "framework_comparison": (framework_rows, ("framework_comparison.md",)),
    "train_snn": (None, ("train_accuracy_table.md",)),
}


def run_line(m: dict) -> str:
    """Date, commit, machine and wall time of one run, from its ``meta``."""
    meta = m.get("meta", {})
    hw = meta.get("hardware", {})
    machine = f"{hw.get('backend', '?')}, {hw.get('cpu', '?')}, {hw.get('cpu_cores_used', '?')} of {hw.get('cpu_cores', '?')} cores"
    return (
        f"run {meta.get('started', 'date not recorded')}, commit {meta.get('commit', 'not recorded')}, "
        f"{machine}, jax {hw.get('jax', '?')}, data: {meta.get('data', '?')}, "
        f"wall time {fmt(meta.get('wall_time_s'))} s"
    )


def table(rows: list[Row]) -> str:
    lines = ["| paper | result | ours | paper / goal | measure |", "|---|---|---|---|---|"]
    lines += [f"| {r.paper} | {r.result} | {r.ours} | {r.reference} | {r.measure} |" for r in rows]
    return "\n".join(lines) + "\n"


def collect(
    results: Path, figures: Path, runs: dict[str, Path] | None = None
) -> tuple[list[Row], list[str]]:
    """Headline rows and the per-experiment sections (Markdown) of one profile; ``runs``
    names another folder for some experiments (a variant run with overrides)."""
    headline, sections = [], []
    runs = runs or {}
    for name, (extract, tables) in SECTIONS.items():
        folder = runs.get(name, results / name)
        body = [f"## {name}\n"]
        if name == "train_snn":
            runs = (
                {p.name: load_metrics(p) for p in sorted(folder.glob("*"))}
                if folder.is_dir()
                else {}
            )
            runs = {run: m for run, m in runs.items() if m}
            rows = training_rows(runs)
            body += [f"- `{run}`: {run_line(m)}" for run, m in runs.items()]
        else:
            m = load_metrics(folder)
            rows = extract(m) if m else []
            if m:
                body.append(run_line(m))
        if not rows:
            body.append("not run for this profile (no metrics.json).")
        headline += rows
        suffix = folder.name[len(name) :]  # "@<digest>" of a variant, whose tables carry it too
        for t in (f"{Path(t).stem}{suffix}.md" for t in tables):
            if (figures / t).is_file():
                body += ["", f"From `{t}`:", "", (figures / t).read_text().strip()]
        sections.append("\n".join(body) + "\n")
    return headline, sections


def workflow_time(benchmarks: Path) -> str:
    """Wall time and peak memory per job from Snakemake's benchmark files (``<rule>.tsv``)."""
    files = sorted(benchmarks.glob("*.tsv")) if benchmarks.is_dir() else []
    if not files:
        return "No benchmark files (`results/<profile>/benchmarks/`): the workflow has not run this profile.\n"
    lines = ["| job | wall time (min) | peak RSS (MB) |", "|---|---|---|"]
    total = 0.0
    for path in files:
        header, *rows = (ln.split("\t") for ln in path.read_text().splitlines() if ln.strip())
        last = dict(zip(header, rows[-1]))
        seconds = float(last["s"])
        total += seconds
        lines.append(f"| {path.stem} | {seconds / 60:.1f} | {float(last['max_rss']):.0f} |")
    lines.append(f"| all jobs, one after the other | {total / 60:.1f} | - |")
    return (
        "\n".join(lines)
        + "\n\nJobs run side by side where the cores allow, so the workflow's wall time is shorter than the sum.\n"
    )


def report(
    results: Path, figures: Path, profile: str, runs: dict[str, Path] | None = None
) -> tuple[str, str]:
    """(RESULTS.md text, README headline block) of one profile."""
    headline, sections = collect(results, figures, runs)
    stamp = f"profile `{profile}`, generated {utc_now()} from commit {source_commit()}"
    text = "\n".join(
        [
            f"# Results: `{profile}` profile\n",
            (
                f"Generated by `paper_figures/results_report.py` ({stamp}) from `{results}` and `{figures}`; "
                "do not edit by hand. Every number comes from a run's `metrics.json` or a figure script's table; "
                "each section names the run's date, commit and machine.\n"
            ),
            "## Headline\n",
            table(headline),
            *sections,
            "## Workflow time\n",
            workflow_time(results / "benchmarks"),
        ]
    )
    short = [r for r in headline if r.in_readme]
    block = f"{README_BEGIN}\n_{stamp}; all numbers: [RESULTS.md]({figures}/RESULTS.md)_\n\n{table(short)}{README_END}"
    return text, block


def refresh_readme(readme: Path, block: str) -> None:
    """Replace the marked headline block of ``readme`` (the markers must exist once)."""
    text = readme.read_text()
    if text.count(README_BEGIN) != 1 or text.count(README_END) != 1:
        raise SystemExit(
            f"{readme} needs exactly one {README_BEGIN} ... {README_END} block to refresh"
        )
    before, rest = text.split(README_BEGIN)
    after = rest.split(README_END)[1]
    atomic_write_text(readme, before + block + after)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", required=True, type=Path, help="results/<profile>")
    parser.add_argument("--figures", required=True, type=Path, help="paper_figures/<profile>")
    parser.add_argument("--profile", required=True)
    parser.add_argument("--out", required=True, type=Path, help="RESULTS.md to write")
    parser.add_argument("--readme", type=Path, help="README whose headline block to refresh")
    parser.add_argument(
        "--run",
        action="append",
        default=[],
        metavar="EXPERIMENT=FOLDER",
        help="read EXPERIMENT from FOLDER instead of --results/EXPERIMENT (a variant)",
    )
    args = parser.parse_args()
    runs = {}
    for item in args.run:
        name, sep, folder = item.partition("=")
        if not sep or name not in SECTIONS:
            parser.error(
                f"--run {item!r}: expected EXPERIMENT=FOLDER with EXPERIMENT one of {sorted(SECTIONS)}"
            )
        runs[name] = Path(folder)
    if not args.results.is_dir():
        parser.error(
            f"--results {args.results} does not exist: run the workflow for profile {args.profile} first"
        )
    text, block = report(args.results, args.figures, args.profile, runs)
    atomic_write_text(args.out, text)
    if args.readme:
        refresh_readme(args.readme, block)


if __name__ == "__main__":
    main()
