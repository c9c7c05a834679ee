"""Shared pytest fixtures, and the smoke workflow run once per test session."""

from __future__ import annotations

import itertools
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake"]
# Tests that read the shared smoke workflow carry this xdist group, so that under
# `pytest -n 2 --dist loadgroup` one worker runs them all and the workflow runs once.
SMOKE_GROUP = "smoke_workflow"

# Weights & Biases never starts from the test suite.
os.environ.setdefault("WANDB_MODE", "disabled")


def pytest_configure(config):
    # registered here too, so that --strict-markers accepts it when xdist is not installed
    config.addinivalue_line("markers", "xdist_group(name): tests pytest-xdist runs on one worker")


@pytest.fixture
def getkey():
    """A function returning a fresh PRNG key on every call (seeded per test)."""
    import jax

    counter = itertools.count()
    return lambda: jax.random.key(next(counter))


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


def sandbox(folder: Path) -> Path:
    """A work folder that sees the repository's workflow, configs, experiments, figures code."""
    for name in ("workflow", "configs", "experiments", "paper_figures"):
        (folder / name).symlink_to(REPO / name)
    return folder


def _snakemake_cmd(workdir: Path, *args: str, profile: str) -> list[str]:
    return [*SNAKEMAKE, "-d", str(workdir), "-s", str(workdir / "workflow" / "Snakefile"), *args,
            "--config", f"profile={profile}", "results_dir=results", "figures_dir=figures",
            f"python={sys.executable}"]


def snakemake(workdir: Path, *args: str, profile: str,
              timeout: int = 2400) -> subprocess.CompletedProcess:
    """Run Snakemake on the repository's workflow in `workdir` (results/, figures/ there)."""
    return subprocess.run(_snakemake_cmd(workdir, *args, profile=profile), capture_output=True,
                          text=True, timeout=timeout, check=False)


@dataclass(frozen=True)
class SmokeWorkflow:
    """One finished `snakemake --cores 8 --config profile=smoke` run from an empty folder."""

    work: Path      # the sandbox Snakemake ran in
    results: Path   # work/results/smoke: one folder per experiment
    figures: Path   # work/figures/smoke
    process: subprocess.CompletedProcess


class _Background:
    """The session's smoke workflow as a background process (one per test process)."""

    def __init__(self):
        self.folder = Path(tempfile.mkdtemp(prefix="spikead-smoke-workflow-"))
        self.work = self.folder / "work"
        self.work.mkdir()
        sandbox(self.work)
        # closed in close(), at the end of the session
        self.out, self.err = (open(self.folder / name, "w+") for name in ("stdout", "stderr"))  # noqa: SIM115
        self.proc = subprocess.Popen(_snakemake_cmd(self.work, "--cores", "8", profile="smoke"),
                                     stdout=self.out, stderr=self.err, text=True,
                                     start_new_session=True)

    def wait(self, timeout: float = 2400) -> subprocess.CompletedProcess:
        code = self.proc.wait(timeout=timeout)
        self.out.seek(0)
        self.err.seek(0)
        return subprocess.CompletedProcess(self.proc.args, code, self.out.read(), self.err.read())

    def close(self) -> None:
        if self.proc.poll() is None:  # the session ended first (-x, Ctrl-C): stop our workflow
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.out.close()
        self.err.close()
        shutil.rmtree(self.folder, ignore_errors=True)


_BACKGROUND: list[_Background] = []


def _smoke_background() -> _Background:
    if not _BACKGROUND:
        _BACKGROUND.append(_Background())
    return _BACKGROUND[0]


def _uses_smoke_workflow(item) -> bool:
    return "smoke_workflow" in getattr(item, "fixturenames", ())


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session, config, items):
    # Tests reading the smoke workflow run last, so that the workflow (started in the
    # background when collection ends) overlaps with every other test.
    items.sort(key=_uses_smoke_workflow)


def pytest_collection_finish(session):
    config = session.config
    if config.option.collectonly or hasattr(config, "workerinput"):
        return  # under xdist each worker would start one: there the fixture starts it lazily
    if any(_uses_smoke_workflow(item) for item in session.items):
        _smoke_background()


def pytest_sessionfinish(session):
    while _BACKGROUND:
        _BACKGROUND.pop().close()


@pytest.fixture(scope="session")
def smoke_workflow() -> SmokeWorkflow:
    """The smoke workflow, run once per session (started in the background when collection
    ends); experiment tests assert on its outputs.

    Tests may read its files; a test that changes one must put it back before it ends.
    """
    run = _smoke_background()
    out = run.wait()
    results = run.work / "results" / "smoke"
    if out.returncode != 0:
        failed = re.findall(r"Error in rule (\w+)", out.stderr)
        logs = sorted((results / "logs").glob("*.log"))
        tails = {p.name: p.read_text()[-1500:] for p in logs if p.stem.startswith(tuple(failed))}
        pytest.fail(f"the smoke workflow failed (exit {out.returncode}):\n{out.stderr[-5000:]}\n"
                    f"rule logs: {tails}", pytrace=False)
    return SmokeWorkflow(run.work, results, run.work / "figures" / "smoke", out)
