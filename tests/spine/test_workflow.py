"""The Snakemake workflow: full DAG per profile, and the smoke profile end to end."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, SMOKE_GROUP, SNAKEMAKE, _snakemake_cmd
from conftest import sandbox as _sandbox
from conftest import snakemake as _snakemake


def _planned_jobs(dry_run_output: str) -> dict[str, int]:
    """Job counts from the 'Job stats' table of a dry run."""
    table = dry_run_output.split("Job stats:")[-1]
    return {
        m[1]: int(m[2])
        for m in re.finditer(r"^(\w+)\s+(\d+)$", table, re.MULTILINE)
        if m[1] != "total"
    }


@pytest.mark.parametrize("profile", ["smoke", "quick", "paper"])
def test_dry_run_builds_the_full_dag(tmp_path, profile):
    out = _snakemake(_sandbox(tmp_path), "-n", "--cores", "8", profile=profile)
    assert out.returncode == 0, out.stderr[-3000:]
    jobs = _planned_jobs(out.stdout)
    assert jobs.get("all") == 1 and len(jobs) > 1, out.stdout[-2000:]


def test_bad_workflow_config_fails_with_the_key(tmp_path):
    out = _snakemake(_sandbox(tmp_path), "-n", profile="huge")
    assert out.returncode != 0 and "huge" in out.stdout + out.stderr


@pytest.mark.parametrize("seeds", ["[-1]", "[zero]"])
def test_bad_train_seeds_fail_with_the_key(tmp_path, seeds):
    out = _snakemake(_sandbox(tmp_path), "-n", profile="smoke", config=(f"train_seeds={seeds}",))
    message = out.stdout + out.stderr
    assert out.returncode != 0 and "is not valid" in message and "train_seeds" in message, message[
        -2000:
    ]


def test_train_seeds_name_one_run_folder_per_seed(tmp_path):
    out = _snakemake(_sandbox(tmp_path), "-n", "-p", profile="smoke", config=("train_seeds=[0,2]",))
    assert out.returncode == 0, out.stderr[-3000:]
    assert "train_snn/synthetic_shd_lif_eprop profile=smoke data=" in out.stdout
    assert re.search(
        r"train_snn/synthetic_shd_lif_eprop_seed2 profile=smoke data=\S+ model=\S+ "
        r"algorithm=\S+ seed=2 ",
        out.stdout,
    ), out.stdout[-3000:]
    # the grid trains Paper A's adLIF-like neuron, not Bellec's ALIF (model=alif)
    assert re.search(
        r"train_snn/synthetic_shd_paper_a_alif_bptt profile=smoke data=\S+ "
        r"model=paper_a_alif ",
        out.stdout,
    ), out.stdout[-3000:]
    assert "model=alif " not in out.stdout


def _leased(dry_run_output: str) -> dict[str, bool]:
    """Per experiment of a dry run's printed shell commands: runs on a leased core?"""
    commands = re.findall(
        r"(\S*python\S* (?:-m spikead\.runs\.cores -- \S+ )?experiments/(\w+)\.py)", dry_run_output
    )
    return {name: "spikead.runs.cores" in command for command, name in commands}


def test_shared_jobs_run_on_a_leased_core_locally(tmp_path):
    out = _snakemake(_sandbox(tmp_path), "-n", "-p", "--cores", "8", profile="quick")
    assert out.returncode == 0, out.stderr[-3000:]
    leased = _leased(out.stdout)
    shared = {
        "train_snn",
        "elimination_search",
        "elimination_costs",
        "gradient_alignment",
        "framework_comparison",
    }
    assert {name for name, on_core in leased.items() if on_core} == shared, leased
    assert not leased["memory_scaling"] and not leased["elimination_runtime"]  # ALONE: both cores
    # a leased job declares one thread (the dry run prints "threads:" only above 1), so
    # `--cores 2` runs two of them side by side
    jobs = out.stdout.split("\nrule ")[1:]
    assert jobs and all("threads:" not in job for job in jobs if "spikead.runs.cores" in job)


def test_slurm_profile_dry_run(tmp_path):
    work = _sandbox(tmp_path)
    out = _snakemake(
        work,
        "-n",
        "-p",
        "--workflow-profile",
        str(REPO / "workflow/profiles/slurm"),
        profile="paper",
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert not any(_leased(out.stdout).values())  # cluster jobs own their nodes: no leases


@pytest.mark.slow
@pytest.mark.xdist_group(SMOKE_GROUP)
def test_smoke_profile_end_to_end(smoke_workflow, tmp_path):
    """`snakemake --config profile=smoke` built every figure from an empty folder (the
    session fixture ran it; tests/experiments check each experiment's outputs)."""
    work = smoke_workflow.work
    figures = sorted(smoke_workflow.figures.glob("*.png"))
    assert figures, "no figure rendered"
    assert smoke_workflow.process.returncode == 0  # `rule all` needs every figure and result
    for png in figures:
        assert png.with_suffix(".caption.txt").read_text().startswith("profile: smoke")
        assert png.with_suffix(".pdf").read_bytes().startswith(b"%PDF"), f"no PDF beside {png.name}"
    # A second run has nothing to do.
    again = _snakemake(work, "-n", "--cores", "8", profile="smoke")
    assert "Nothing to be done" in again.stdout + again.stderr
    # Deleting one result reruns only what depends on it (then the file is put back).
    costs = smoke_workflow.results / "elimination_costs/costs.csv"
    kept = shutil.copy2(costs, tmp_path / "costs.csv")
    costs.unlink()
    try:
        partial = _snakemake(work, "-n", "--cores", "8", profile="smoke")
    finally:
        shutil.copy2(kept, costs)
    jobs = _planned_jobs(partial.stdout)
    assert set(jobs) == {
        "elimination_costs",
        "figure_elimination_costs",
        "results_report",
        "all",
    }, jobs


# --- reruns from content, overrides, scale-out -------------------------------------------


def _copied_sandbox(folder: Path) -> Path:
    """A work folder like `sandbox`, with its own copies of configs/ and paper_figures/ (which
    a test may edit); workflow/ and experiments/ are links to the repository's."""
    for name in ("workflow", "experiments"):
        (folder / name).symlink_to(REPO / name)
    for name in ("configs", "paper_figures"):
        shutil.copytree(REPO / name, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
    return folder


def _touched_run(work: Path, profile: str) -> None:
    """Mark every output of the workflow as made, as a finished run would (Snakemake records
    each job's params and inputs), without running a job."""
    summary = _snakemake(work, "--summary", profile=profile)
    assert summary.returncode == 0, summary.stderr[-3000:]
    for line in summary.stdout.splitlines()[1:]:
        path = work / line.split("\t")[0]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
    # every job "runs" (in order, so that each output is newer than its inputs) and is recorded
    touched = _snakemake(work, "--touch", "--forceall", "--cores", "1", profile=profile)
    assert touched.returncode == 0, touched.stderr[-3000:]


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} not once in {path}"
    path.write_text(text.replace(old, new))


def test_a_changed_config_value_or_script_reruns_exactly_what_depends_on_it(tmp_path):
    work = _copied_sandbox(tmp_path)
    _touched_run(work, "smoke")

    def planned() -> set[str]:
        out = _snakemake(work, "-n", "--cores", "8", profile="smoke")
        assert out.returncode == 0, out.stderr[-3000:]
        return set(_planned_jobs(out.stdout))

    costs = work / "configs/scale/elimination_costs/smoke.yaml"
    _edit(costs, "tasks:", "# a comment changes no value\ntasks:")
    assert planned() == set()  # configs are compared by content, not by date
    _edit(costs, "RoeFlux_1d, ", "")  # one value changed
    assert planned() == {"elimination_costs", "figure_elimination_costs", "results_report", "all"}
    _touched_run(work, "smoke")
    # a figure script: only its figure
    _edit(work / "paper_figures/elimination_search.py", "from __future__", "#\nfrom __future__")
    assert planned() == {"figure_elimination_search", "results_report", "all"}


def test_overrides_make_a_variant_beside_the_default_runs(tmp_path):
    override = "scale.budget=16"
    out = _snakemake(
        _sandbox(tmp_path),
        "-n",
        "-p",
        "--cores",
        "8",
        profile="smoke",
        config=(f'overrides={{"elimination_search": ["{override}"]}}',),
    )
    assert out.returncode == 0, out.stderr[-3000:]
    search = re.search(
        r"experiments/elimination_search\.py hydra\.run\.dir=(\S+) (.*) >", out.stdout
    )
    assert search and search[2].split() == ["profile=smoke", override], out.stdout[-3000:]
    variant = re.fullmatch(r"results/smoke/elimination_search(@[0-9a-f]{8})", search[1])
    assert variant, search[1]
    # elimination_runtime reads the variant's orders: it is a variant too, keyed by the same
    # overrides (its own and those of the experiments it reads)
    runtime = re.search(
        r"experiments/elimination_runtime\.py hydra\.run\.dir=(\S+) (.*) >", out.stdout
    )
    assert runtime and runtime[1] == f"results/smoke/elimination_runtime{variant[1]}", out.stdout[
        -3000:
    ]
    assert f"orders_dir=results/smoke/elimination_search{variant[1]}/orders" in runtime[2]
    assert f"figures/smoke/table1_search{variant[1]}.png" in out.stdout
    assert "figures/smoke/table1_search.png" not in out.stdout  # the default is left alone
    # experiments without overrides keep their default folders
    assert "hydra.run.dir=results/smoke/elimination_costs profile=smoke >" in out.stdout


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ('{"train_snn": ["model=adlif"]}', "model"),  # a key the rules set per run
        ('{"train_snn": ["optimizer.nope=1"]}', "optimizer.nope"),  # not in the config
        ('{"nope": ["scale.epochs=1"]}', "nope"),  # no such entry point
    ],
)
def test_bad_overrides_fail_before_anything_runs(tmp_path, overrides, named):
    out = _snakemake(_sandbox(tmp_path), "-n", profile="smoke", config=(f"overrides={overrides}",))
    message = out.stdout + out.stderr
    assert out.returncode != 0 and named in message and "overrides" in message, message[-3000:]


# Runs Snakemake as if this machine had N cores (the first argument).
_ON_CORES = """
import os, sys
cores = int(sys.argv.pop(1))
os.sched_getaffinity = lambda pid: set(range(cores))
from snakemake.cli import main
sys.argv[0] = "snakemake"
main()
"""


def _rounds(work: Path, machine_cores: int, cores: int) -> list[list[str]]:
    """The experiment jobs Snakemake starts together, round by round, in a `--touch` run (the
    scheduler applies threads and resources; a dry run does not) on a machine with
    ``machine_cores`` cores."""
    cmd = _snakemake_cmd(work, "--touch", "--cores", str(cores), profile="smoke")
    out = subprocess.run(
        [sys.executable, "-c", _ON_CORES, str(machine_cores), *cmd[len(SNAKEMAKE) :]],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    chunks = re.split(r"^Execute \d+ jobs\.\.\.$", out.stdout + out.stderr, flags=re.MULTILINE)[1:]
    rounds = [
        [
            name
            for name in re.findall(r"^(?:local)?rule (\w+):", chunk, re.MULTILINE)
            if not name.startswith("figure_") and name not in ("all", "results_report")
        ]
        for chunk in chunks
    ]
    return [names for names in rounds if names]


ALONE_RULES = {"memory_scaling", "elimination_runtime"}  # they measure time or memory


@pytest.mark.parametrize(("machine_cores", "cores"), [(64, 64), (2, 8)])
def test_concurrency_follows_the_cores(tmp_path, machine_cores, cores):
    rounds = _rounds(_sandbox(tmp_path), machine_cores, cores)
    assert sorted(name for names in rounds for name in names) == sorted(
        [
            "elimination_costs",
            "elimination_search",
            "elimination_runtime",
            "framework_comparison",
            "gradient_alignment",
            "memory_scaling",
            *["train_snn"] * 4,
            "train_snn_randman",
        ]
    ), rounds
    for names in rounds:  # the measuring jobs run alone
        assert len(names) == 1 or not ALONE_RULES & set(names), rounds
    if machine_cores == 64:  # every other job at once
        assert max(map(len, rounds)) == 9, rounds
    else:  # never more jobs than cores
        assert max(map(len, rounds)) == 2, rounds


def test_manual_runs_get_figures_beside_the_workflow_ones(tmp_path):
    work = _sandbox(tmp_path)
    for run in (
        "train_snn/2025-01-01_10-00-00",
        "elimination_costs/2025-01-02_10-00-00",
        "elimination_costs/2025-01-03_10-00-00",
    ):  # the last one unfinished
        (work / "results/manual" / run).mkdir(parents=True)
    for run in ("train_snn/2025-01-01_10-00-00", "elimination_costs/2025-01-02_10-00-00"):
        (work / "results/manual" / run / "metrics.json").write_text("{}")
    out = _snakemake(work, "-n", "-p", "manual", profile="smoke")
    assert out.returncode == 0, out.stderr[-3000:]
    assert _planned_jobs(out.stdout) == {"manual_figure": 3, "manual": 1}, out.stdout[-3000:]
    assert (
        'elimination_costs.py --results "$results" --out '
        "figures/manual/elimination_costs/2025-01-02_10-00-00/table1_baselines.png"
    ) in out.stdout
    # a training run is shown to the figure scripts alone, in a folder of its own
    assert 'results=results/manual/train_snn/2025-01-01_10-00-00; if [ -n "yes" ]' in out.stdout
    assert "figures/manual/train_snn/2025-01-01_10-00-00/train_accuracy_table.md" in out.stdout
