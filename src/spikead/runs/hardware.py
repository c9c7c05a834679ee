"""A one-line description of the machine a result came from (stamped on every output)."""

from __future__ import annotations

import os
import platform


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _cores_used() -> int:
    """Cores this process may run on: fewer than the machine's when pinned (runs.cores)."""
    if hasattr(os, "sched_getaffinity"):  # Linux; macOS has no affinity call
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 0


def hardware_summary() -> dict[str, str | int]:
    """Return backend, device kinds, CPU model, core count and library versions."""
    import jax

    devices = jax.devices()
    kinds = sorted({d.device_kind for d in devices})
    return {
        "backend": jax.default_backend(),
        "devices": f"{len(devices)} x {', '.join(kinds)}",
        "cpu": _cpu_model(),
        "cpu_cores": os.cpu_count() or 0,
        "cpu_cores_used": _cores_used(),
        "jax": jax.__version__,
        "python": platform.python_version(),
    }


def hardware_line() -> str:
    """Short human-readable version of :func:`hardware_summary`."""
    hw = hardware_summary()
    cores = f"{hw['cpu_cores']} cores"
    if hw["cpu_cores_used"] < hw["cpu_cores"]:
        cores = f"{hw['cpu_cores_used']} of {cores}"
    return f"{hw['backend']} ({hw['devices']}); {hw['cpu']}, {cores}; jax {hw['jax']}"
