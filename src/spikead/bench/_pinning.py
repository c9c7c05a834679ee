"""Which cores a measurement subprocess is pinned to (``taskset``).

A peer pinned with ``cpus = k`` gets ``k`` of the cores this process may use
(``os.sched_getaffinity(0)``), not simply cores ``0..k-1``: on a shared machine core 0
is where every other pinned job lands too. The ``k`` least loaded cores are chosen from
two reads of ``/proc/stat`` 0.2 s apart (:func:`core_loads`). Loads are rounded to
tenths before comparing, and ties go to the higher-numbered core, so near-idle cores
give the same choice from run to run (the last ``k`` allowed cores) and only a clearly
busier core is avoided. Where the loads cannot be read (no ``/proc/stat``), the last
``k`` allowed cores are used.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from ._errors import BenchError

__all__ = [
    "PinningError",
    "allowed_cores",
    "check_pinning",
    "choose_cores",
    "core_loads",
    "taskset_prefix",
]

PROC_STAT = Path("/proc/stat")
LOAD_INTERVAL_S = 0.2
LOAD_RESOLUTION = 0.1  # loads closer than this count as equal (ties: higher core id wins)


class PinningError(BenchError, ValueError):
    """A core count that cannot be pinned here, or no ``taskset`` to pin with."""


def allowed_cores() -> list[int]:
    """The core ids this process may run on, ascending (all cores where the OS has no
    affinity call)."""
    if hasattr(os, "sched_getaffinity"):
        return sorted(os.sched_getaffinity(0))
    return list(range(os.cpu_count() or 1))


def _read_cpu_times(path: Path) -> dict[int, tuple[int, int]]:
    """core id -> (busy jiffies, total jiffies) from the ``cpuN`` lines of /proc/stat."""
    out = {}
    for line in path.read_text().splitlines():
        name, *fields = line.split()
        if not name.startswith("cpu") or name == "cpu":
            continue
        ticks = [int(f) for f in fields]
        idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle + iowait
        total = sum(ticks[:8])  # user..steal; guest time is already inside user/nice
        out[int(name[3:])] = (total - idle, total)
    return out


def core_loads(
    cores: Iterable[int], *, interval_s: float = LOAD_INTERVAL_S, path: Path = PROC_STAT
) -> dict[int, float] | None:
    """Busy fraction in [0, 1] of each of ``cores`` over ``interval_s`` seconds, from
    two reads of ``path`` (Linux ``/proc/stat``); ``None`` where it cannot be read."""
    try:
        before = _read_cpu_times(path)
        time.sleep(interval_s)
        after = _read_cpu_times(path)
    except (OSError, ValueError, IndexError):
        return None
    loads = {}
    for core in cores:
        if core not in before or core not in after:
            return None
        busy = after[core][0] - before[core][0]
        total = after[core][1] - before[core][1]
        loads[core] = busy / total if total > 0 else 0.0
    return loads


def choose_cores(
    allowed: Iterable[int], cpus: int, loads: Mapping[int, float] | None = None
) -> list[int]:
    """The ``cpus`` cores to pin to, ascending: the least loaded of ``allowed`` (loads
    rounded to :data:`LOAD_RESOLUTION`; ties to the higher core id), or without
    ``loads`` the last ``cpus`` of them."""
    allowed = sorted(set(allowed))
    if not 1 <= cpus <= len(allowed):
        raise PinningError(
            f"cpus={cpus} must be between 1 and the {len(allowed)} core(s) this process may "
            f"use ({allowed}); lower scale.cpus, or set it to null for no pinning."
        )
    if loads is None:
        return allowed[-cpus:]
    missing = [c for c in allowed if c not in loads]
    if missing:
        raise PinningError(f"loads has no entry for core(s) {missing}; pass one per allowed core.")
    ranked = sorted(allowed, key=lambda c: (round(loads[c] / LOAD_RESOLUTION), -c))
    return sorted(ranked[:cpus])


def check_pinning(cpus: int | None) -> list[int]:
    """The allowed cores, after checking that ``cpus`` of them can be pinned with
    ``taskset`` (raises :class:`PinningError` naming the limit or the missing command)."""
    allowed = allowed_cores()
    if cpus is None:
        return allowed
    choose_cores(allowed, cpus)  # raises when cpus is out of range
    if shutil.which("taskset") is None:
        raise PinningError(
            f"cpus={cpus} needs the `taskset` command (util-linux), which is "
            "not on PATH; install it, or set cpus to null for no pinning."
        )
    return allowed


def taskset_prefix(
    cpus: int | None,
    *,
    loads: Callable[[list[int]], Mapping[int, float] | None] = core_loads,
) -> list[str]:
    """``["taskset", "-c", "<cores>"]`` pinning a command to ``cpus`` cores chosen by
    :func:`choose_cores` (loads measured by ``loads``, skipped when every allowed core
    is taken anyway); ``[]`` for ``cpus=None`` (no pinning)."""
    if cpus is None:
        return []
    allowed = check_pinning(cpus)
    measured = loads(allowed) if cpus < len(allowed) else None
    cores = choose_cores(allowed, cpus, measured)
    return ["taskset", "-c", ",".join(str(c) for c in cores)]
