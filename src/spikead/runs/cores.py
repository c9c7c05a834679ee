"""Run a command on one CPU core of its own: a lease held by a file lock for its lifetime.

    python -m spikead.runs.cores [--lock-dir DIR] -- python experiments/train_snn.py ...

The workflow runs its lighter jobs (training, search, costs, alignment, framework
comparison) two at a time on a 2-core machine. Unpinned, two JAX processes spread their
XLA threads over both cores and slow each other down unevenly; leased, each job runs alone
on its core: its timings and epoch times see one core, never a time-sliced one.

A lease is an exclusive ``flock`` on ``<lock dir>/core<k>.lock`` for a core ``k`` this
process may run on (``os.sched_getaffinity``). The lock's file descriptor is inherited by
the command (``exec``), so the core is free again the moment the command exits, however it
exits. The default lock directory lies in the system's temporary directory, so that
workflows of several clones on one machine share the cores too. A command started inside
a lease (``SPIKEAD_CORE_LEASE`` set, e.g. a test suite run by a leased job) runs on its
parent's core without a lease of its own: leasing again would wait for ever on that core.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Self

__all__ = ["DEFAULT_LOCK_DIR", "LEASE_ENV", "CoreLease", "lease_core"]

DEFAULT_LOCK_DIR = Path(tempfile.gettempdir()) / f"spikead-cores-{os.getuid()}"
#: set (to the core id) in the environment of a command that runs inside a lease
LEASE_ENV = "SPIKEAD_CORE_LEASE"


class CoreLease:
    """An exclusive lease on ``core``; :meth:`release` (or process exit) frees it."""

    def __init__(self, core: int, fd: int):
        self.core, self.fd = core, fd

    def release(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)  # closing the last descriptor drops the flock
            self.fd = -1

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def lease_core(
    lock_dir: str | Path = DEFAULT_LOCK_DIR,
    cores: set[int] | None = None,
    poll_s: float = 1.0,
    timeout_s: float | None = None,
) -> CoreLease:
    """Lease the lowest free core of ``cores`` (default: this process's affinity set).

    Waits, polling every ``poll_s`` seconds, while every core is leased; raises
    ``TimeoutError`` after ``timeout_s`` seconds (None: wait for ever).
    """
    cores = sorted(os.sched_getaffinity(0) if cores is None else cores)
    if not cores:
        raise ValueError("cores is empty: no core to lease; pass at least one core id")
    lock_dir = Path(lock_dir)
    lock_dir.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    while True:
        for core in cores:
            fd = os.open(lock_dir / f"core{core}.lock", os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            return CoreLease(core, fd)
        if timeout_s is not None and time.monotonic() - start > timeout_s:
            raise TimeoutError(
                f"no free core among {cores} in {lock_dir} after {timeout_s:g} s; "
                f"another job holds every lease (ls {lock_dir}; fuser its files)"
            )
        time.sleep(poll_s)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lock-dir", default=str(DEFAULT_LOCK_DIR))
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the command to run, after '--'")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given; usage: python -m spikead.runs.cores -- CMD [ARGS...]")
    if os.environ.get(LEASE_ENV):  # already inside a lease: stay on the parent's core
        print(
            f"[spikead.runs.cores] inside the lease of core {os.environ[LEASE_ENV]}: "
            f"{' '.join(command)}",
            file=sys.stderr,
            flush=True,
        )
        os.execvp(command[0], command)
    if not hasattr(os, "sched_setaffinity"):
        parser.error(
            "pinning to a core needs Linux's sched_setaffinity, which this OS lacks; "
            "run the command without this wrapper"
        )
    lease = lease_core(args.lock_dir)
    os.set_inheritable(lease.fd, True)  # the command holds the lease until it exits
    os.sched_setaffinity(0, {lease.core})
    os.environ[LEASE_ENV] = str(lease.core)
    print(
        f"[spikead.runs.cores] core {lease.core}: {' '.join(command)}", file=sys.stderr, flush=True
    )
    os.execvp(command[0], command)


if __name__ == "__main__":
    main()
