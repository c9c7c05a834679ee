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
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

# registers the typed schema of every experiment's `scale` group with Hydra, which tests
# that compose a config (hydra.compose) need
import spikead.runs  # noqa: F401

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake"]
# Tests that read the shared smoke workflow carry this xdist group (one worker for them all
# under `--dist loadgroup`, where xdist groups). The workflow runs once either way: under
# xdist the controller starts it and every worker waits for that run (see below).
SMOKE_GROUP = "smoke_workflow"

# Weights & Biases never starts from the test suite.
os.environ.setdefault("WANDB_MODE", "disabled")
# figures with layout problems (small fonts, overlaps, legends on data) fail the smoke workflow
os.environ.setdefault("SPIKEAD_FIGURE_CHECK", "strict")


def pytest_configure(config):
    # registered here too, so that --strict-markers accepts it when xdist is not installed
    config.addinivalue_line("markers", "xdist_group(name): tests pytest-xdist runs on one worker")
    if hasattr(config, "workerinput"):
        _WORKERINPUT.append(config.workerinput)


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


def _snakemake_cmd(
    workdir: Path, *args: str, profile: str, config: tuple[str, ...] = ()
) -> list[str]:
    return [
        *SNAKEMAKE,
        "-d",
        str(workdir),
        "-s",
        str(workdir / "workflow" / "Snakefile"),
        *args,
        "--config",
        f"profile={profile}",
        "results_dir=results",
        "figures_dir=figures",
        f"python={sys.executable}",
        "slow_tests=false",  # the tests' own workflow never runs the tests
        *config,
    ]


def snakemake(
    workdir: Path, *args: str, profile: str, config: tuple[str, ...] = (), timeout: int = 2400
) -> subprocess.CompletedProcess:
    """Run Snakemake on the repository's workflow in `workdir` (results/, figures/ there);
    ``config``: more ``key=value`` workflow settings."""
    return subprocess.run(
        _snakemake_cmd(workdir, *args, profile=profile, config=config),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@dataclass(frozen=True)
class SmokeWorkflow:
    """One finished `snakemake --cores 8 --config profile=smoke` run from an empty folder."""

    work: Path  # the sandbox Snakemake ran in
    results: Path  # work/results/smoke: one folder per experiment
    figures: Path  # work/figures/smoke
    process: subprocess.CompletedProcess


# Runs a command with its output in FOLDER/stdout and FOLDER/stderr, then writes its exit
# code to FOLDER/returncode (atomically), so that other processes (xdist workers) can wait for it.
_RECORD = """
import os, subprocess, sys
folder = sys.argv[1]
with open(os.path.join(folder, "stdout"), "w") as out, open(os.path.join(folder, "stderr"), "w") as err:
    code = subprocess.call(sys.argv[2:], stdout=out, stderr=err)
with open(os.path.join(folder, "returncode.tmp"), "w") as f:
    f.write(str(code))
os.replace(os.path.join(folder, "returncode.tmp"), os.path.join(folder, "returncode"))
"""
STARTED = "started"  # written once the workflow has been launched in a folder


class _Background:
    """The session's smoke workflow as a background process, started in `folder` (a new
    temporary folder by default). The process that starts it owns it and removes the folder."""

    def __init__(self, folder: Path | None = None):
        self.folder = folder or Path(tempfile.mkdtemp(prefix="spikead-smoke-workflow-"))
        self.work = self.folder / "work"
        self.work.mkdir()
        sandbox(self.work)
        self.cmd = _snakemake_cmd(self.work, "--cores", "8", profile="smoke")
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _RECORD, str(self.folder), *self.cmd],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        (self.folder / STARTED).touch()

    def wait(self, timeout: float = 2400) -> subprocess.CompletedProcess:
        self.proc.wait(timeout=timeout)
        return _finished(self.folder, self.cmd, timeout)

    def close(self) -> None:
        if self.proc.poll() is None:  # the session ended first (-x, Ctrl-C): stop our workflow
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


class _Elsewhere:
    """The smoke workflow another process (the xdist controller) started in `folder`."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.work = folder / "work"
        self.cmd = _snakemake_cmd(self.work, "--cores", "8", profile="smoke")

    def wait(self, timeout: float = 2400) -> subprocess.CompletedProcess:
        return _finished(self.folder, self.cmd, timeout)


def _finished(folder: Path, cmd: list[str], timeout: float) -> subprocess.CompletedProcess:
    """The recorded result of the workflow in `folder`, once its exit code is written."""
    deadline = time.monotonic() + timeout
    code_file = folder / "returncode"
    while not code_file.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"the smoke workflow in {folder} did not finish within {timeout} s")
        time.sleep(0.5)
    return subprocess.CompletedProcess(
        cmd,
        int(code_file.read_text()),
        (folder / "stdout").read_text(),
        (folder / "stderr").read_text(),
    )


_BACKGROUND: list[_Background] = []
# xdist: the folder the controller names for the workflow, passed to every worker
_SHARED_KEY = "spikead_smoke_workflow_dir"
_SHARED: list[Path] = []
_WORKERINPUT: list[dict] = []  # in an xdist worker: its workerinput (set in pytest_configure)


def _smoke_background() -> _Background | _Elsewhere:
    if not _BACKGROUND:
        shared = _shared_folder_from_controller()
        if shared is not None:
            return _Elsewhere(shared)
        _BACKGROUND.append(_Background())
    return _BACKGROUND[0]


def _shared_folder_from_controller() -> Path | None:
    """In an xdist worker: the folder where the controller started the workflow, if it did."""
    if not _WORKERINPUT:
        return None
    folder = _WORKERINPUT[0].get(_SHARED_KEY)
    return Path(folder) if folder and (Path(folder) / STARTED).exists() else None


def _uses_smoke_workflow(item) -> bool:
    return "smoke_workflow" in getattr(item, "fixturenames", ())


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session, config, items):
    # Tests reading the smoke workflow run last, so that the workflow (started in the
    # background when collection ends) overlaps with every other test.
    items.sort(key=_uses_smoke_workflow)


WANTED = "wanted"  # written by an xdist worker whose collection reads the smoke workflow


# tryfirst: in a worker, the `wanted` file exists before xdist reports the collection
@pytest.hookimpl(tryfirst=True)
def pytest_collection_finish(session):
    config = session.config
    if config.option.collectonly:
        return
    wanted = any(_uses_smoke_workflow(item) for item in session.items)
    if not hasattr(config, "workerinput"):
        if wanted:
            _smoke_background()
    elif wanted and config.workerinput.get(_SHARED_KEY):
        (Path(config.workerinput[_SHARED_KEY]) / WANTED).touch()


# Under xdist (`pytest -n N`) the controller starts the workflow once, as soon as a worker
# reports a collection that reads it (before any test runs), in a folder it named to every
# worker; each worker's fixture waits for that run. (Workers cannot share one run through the
# `xdist_group` mark alone: under pytest 9.2, pytest-xdist 3.8's loadgroup does not group.)
@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    if not _SHARED:
        _SHARED.append(Path(tempfile.mkdtemp(prefix="spikead-smoke-workflow-")))
    node.workerinput[_SHARED_KEY] = str(_SHARED[0])


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node, ids):
    if _SHARED and not _BACKGROUND and (_SHARED[0] / WANTED).exists():
        _BACKGROUND.append(_Background(_SHARED[0]))


def pytest_sessionfinish(session):
    while _BACKGROUND:
        _BACKGROUND.pop().close()
    if not hasattr(session.config, "workerinput"):
        while _SHARED:
            shutil.rmtree(_SHARED.pop(), ignore_errors=True)


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
        pytest.fail(
            f"the smoke workflow failed (exit {out.returncode}):\n{out.stderr[-5000:]}\n"
            f"rule logs: {tails}",
            pytrace=False,
        )
    return SmokeWorkflow(run.work, results, run.work / "figures" / "smoke", out)
