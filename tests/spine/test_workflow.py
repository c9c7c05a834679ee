"""The Snakemake workflow: full DAG per profile, and the smoke profile end to end."""

from __future__ import annotations

import re
import shutil

import pytest
from conftest import REPO, SMOKE_GROUP
from conftest import sandbox as _sandbox
from conftest import snakemake as _snakemake


def _planned_jobs(dry_run_output: str) -> dict[str, int]:
    """Job counts from the 'Job stats' table of a dry run."""
    table = dry_run_output.split("Job stats:")[-1]
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", table, re.MULTILINE) if m[1] != "total"}


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
    assert out.returncode != 0 and "is not valid" in message and "train_seeds" in message, message[-2000:]


def test_train_seeds_name_one_run_folder_per_seed(tmp_path):
    out = _snakemake(_sandbox(tmp_path), "-n", "-p", profile="smoke", config=("train_seeds=[0,2]",))
    assert out.returncode == 0, out.stderr[-3000:]
    assert "train_snn/synthetic_shd_lif_eprop profile=smoke data=" in out.stdout
    assert re.search(r"train_snn/synthetic_shd_lif_eprop_seed2 profile=smoke data=\S+ model=\S+ "
                     r"algorithm=\S+ seed=2 ", out.stdout), out.stdout[-3000:]


def _leased(dry_run_output: str) -> dict[str, bool]:
    """Per experiment of a dry run's printed shell commands: runs on a leased core?"""
    commands = re.findall(r"(\S*python\S* (?:-m spikead\.runs\.cores -- \S+ )?experiments/(\w+)\.py)",
                          dry_run_output)
    return {name: "spikead.runs.cores" in command for command, name in commands}


def test_shared_jobs_run_on_a_leased_core_locally(tmp_path):
    out = _snakemake(_sandbox(tmp_path), "-n", "-p", "--cores", "8", profile="quick")
    assert out.returncode == 0, out.stderr[-3000:]
    leased = _leased(out.stdout)
    shared = {"train_snn", "elimination_search", "elimination_costs", "gradient_alignment",
              "framework_comparison"}
    assert {name for name, on_core in leased.items() if on_core} == shared, leased
    assert not leased["memory_scaling"] and not leased["elimination_runtime"]  # ALONE: both cores
    # a leased job declares one thread (the dry run prints "threads:" only above 1), so
    # `--cores 2` runs two of them side by side
    jobs = out.stdout.split("\nrule ")[1:]
    assert jobs and all("threads:" not in job for job in jobs if "spikead.runs.cores" in job)


def test_slurm_profile_dry_run(tmp_path):
    work = _sandbox(tmp_path)
    out = _snakemake(work, "-n", "-p", "--workflow-profile", str(REPO / "workflow/profiles/slurm"),
                     profile="paper")
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
    assert set(jobs) == {"elimination_costs", "figure_elimination_costs", "all"}, jobs
