"""The Snakemake workflow: full DAG per profile, and the smoke profile end to end."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO

SNAKEMAKE = [sys.executable, "-m", "snakemake"]


def _sandbox(tmp_path: Path) -> Path:
    """A work folder that sees the repository's workflow, configs, experiments, figures code."""
    for name in ("workflow", "configs", "experiments", "paper_figures"):
        (tmp_path / name).symlink_to(REPO / name)
    return tmp_path


def _snakemake(workdir: Path, *args: str, profile: str, timeout: int = 2400) -> subprocess.CompletedProcess:
    cmd = [*SNAKEMAKE, "-d", str(workdir), "-s", str(workdir / "workflow" / "Snakefile"), *args,
           "--config", f"profile={profile}", "results_dir=results", "figures_dir=figures",
           f"python={sys.executable}"]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def _planned_jobs(dry_run_output: str) -> dict[str, int]:
    """Job counts from the 'Job stats' table of a dry run."""
    table = dry_run_output.split("Job stats:")[-1]
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", table, re.M) if m[1] != "total"}


@pytest.mark.parametrize("profile", ["smoke", "quick", "paper"])
def test_dry_run_builds_the_full_dag(tmp_path, profile):
    out = _snakemake(_sandbox(tmp_path), "-n", "--cores", "8", profile=profile)
    assert out.returncode == 0, out.stderr[-3000:]
    jobs = _planned_jobs(out.stdout)
    assert jobs.get("all") == 1 and len(jobs) > 1, out.stdout[-2000:]


def test_bad_workflow_config_fails_with_the_key(tmp_path):
    out = _snakemake(_sandbox(tmp_path), "-n", profile="huge")
    assert out.returncode != 0 and "huge" in out.stdout + out.stderr


def test_slurm_profile_dry_run(tmp_path):
    work = _sandbox(tmp_path)
    out = _snakemake(work, "-n", "--workflow-profile", str(REPO / "workflow/profiles/slurm"),
                     profile="paper")
    assert out.returncode == 0, out.stderr[-3000:]


@pytest.mark.slow
def test_smoke_profile_end_to_end(tmp_path):
    work = _sandbox(tmp_path)
    out = _snakemake(work, "--cores", "8", profile="smoke")
    assert out.returncode == 0, (out.stdout[-3000:], out.stderr[-5000:])
    figures = sorted((work / "figures" / "smoke").glob("*.png"))
    assert figures, "no figure rendered"
    for png in figures:
        assert png.with_suffix(".caption.txt").read_text().startswith("profile: smoke")
    # A second run has nothing to do.
    again = _snakemake(work, "-n", "--cores", "8", profile="smoke")
    assert "Nothing to be done" in again.stdout + again.stderr
    # Deleting one result reruns only what depends on it.
    (work / "results/smoke/elimination_costs/costs.csv").unlink()
    partial = _snakemake(work, "-n", "--cores", "8", profile="smoke")
    jobs = _planned_jobs(partial.stdout)
    assert set(jobs) == {"elimination_costs", "figure_elimination_costs", "all"}, jobs
