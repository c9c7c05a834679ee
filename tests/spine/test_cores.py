"""Core leases (spikead.runs.cores): one job per core, freed when the holder exits."""

import os
import subprocess
import sys
import time

import pytest

from spikead.runs.cores import lease_core


def test_leases_distinct_cores_then_waits(tmp_path):
    first = lease_core(tmp_path, cores={3, 5})
    second = lease_core(tmp_path, cores={3, 5})
    assert (first.core, second.core) == (3, 5)
    with pytest.raises(TimeoutError, match=r"no free core among \[3, 5\]"):
        lease_core(tmp_path, cores={3, 5}, poll_s=0.01, timeout_s=0.05)
    first.release()
    with lease_core(tmp_path, cores={3, 5}, timeout_s=1) as third:
        assert third.core == 3
    second.release()


def test_empty_core_set_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="no core to lease"):
        lease_core(tmp_path, cores=set())


def _run(lock_dir, code):
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "spikead.runs.cores",
            "--lock-dir",
            str(lock_dir),
            "--",
            sys.executable,
            "-c",
            code,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_command_runs_pinned_and_holds_its_core_until_it_exits(tmp_path):
    allowed = sorted(os.sched_getaffinity(0))
    print_affinity = "import os; print(sorted(os.sched_getaffinity(0)))"
    holder = _run(tmp_path, "import time; time.sleep(3)")
    deadline = time.monotonic() + 20
    while not (tmp_path / f"core{allowed[0]}.lock").exists():  # the holder has leased
        assert time.monotonic() < deadline, "the lease was never taken"
        time.sleep(0.05)
    time.sleep(0.3)
    if len(allowed) > 1:
        out, err = _run(tmp_path, print_affinity).communicate(timeout=30)
        assert out.strip() == str([allowed[1]]), err
    holder.wait(timeout=30)
    out, err = _run(tmp_path, print_affinity).communicate(timeout=30)
    assert out.strip() == str([allowed[0]]), err  # free again after the holder exited
    assert f"core {allowed[0]}" in err


def test_missing_command_is_an_error(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "spikead.runs.cores", "--lock-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0 and "no command given" in result.stderr


def test_a_lease_inside_a_lease_runs_on_the_parents_core(tmp_path):
    """A leased command that calls the wrapper again (e.g. a test suite running the
    workflow) must not wait for its own core."""
    inner = (
        "import subprocess, sys; subprocess.run([sys.executable, '-m', 'spikead.runs.cores', "
        f"'--lock-dir', {str(tmp_path)!r}, '--', sys.executable, '-c', "
        "'import os; print(sorted(os.sched_getaffinity(0)), os.environ[\"SPIKEAD_CORE_LEASE\"])'], "
        "check=True, timeout=60)"
    )
    out, err = _run(tmp_path, inner).communicate(timeout=90)
    core = min(os.sched_getaffinity(0))
    assert out.strip() == f"[{core}] {core}", err
    assert "inside the lease of core" in err
