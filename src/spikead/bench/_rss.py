"""Peak resident memory (VmHWM) of Python code run in a fresh interpreter (Linux only)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ._errors import SubprocessMeasurementError

__all__ = ["RssMeasurement", "measure_peak_rss", "peak_rss_of"]

_STDERR_TAIL_CHARS = 3000

# Runs inside the child: setup, reset the high-water mark, code, read VmHWM.
# Writing "5" to /proc/self/clear_refs resets VmHWM to the current RSS (Linux >= 4.0).
_CHILD = r"""
import json, re, sys

def _status_kib(field):
    with open("/proc/self/status") as fh:
        match = re.search(r"^" + field + r":\s+(\d+)\s+kB", fh.read(), re.MULTILINE)
    if match is None:
        raise RuntimeError(f"/proc/self/status has no {field} line")
    return int(match.group(1))

with open(sys.argv[1]) as fh:
    _spec = json.load(fh)
_ns = {"__name__": "__main__"}
exec(compile(_spec["setup"], "<peak_rss_of setup>", "exec"), _ns)
with open("/proc/self/clear_refs", "w") as fh:
    fh.write("5")
_baseline = _status_kib("VmRSS")
exec(compile(_spec["code"], "<peak_rss_of code>", "exec"), _ns)
_peak = _status_kib("VmHWM")
with open(_spec["result"], "w") as fh:
    json.dump({"peak_kib": _peak, "baseline_kib": _baseline}, fh)
"""


@dataclass(frozen=True)
class RssMeasurement:
    """Peak resident set size of one child process, in bytes.

    ``peak_bytes`` is VmHWM after the measured code; ``baseline_bytes`` is VmRSS right
    after the high-water mark was reset (the interpreter plus whatever ``setup`` loaded);
    ``delta_bytes = peak_bytes - baseline_bytes`` is what the measured code added.
    """

    peak_bytes: int
    baseline_bytes: int

    @property
    def delta_bytes(self) -> int:
        return self.peak_bytes - self.baseline_bytes


def measure_peak_rss(
    code: str,
    *,
    setup: str = "",
    env: Mapping[str, str] | None = None,
    timeout: float = 600.0,
    cwd: str | os.PathLike[str] | None = None,
) -> RssMeasurement:
    """Run ``setup`` then ``code`` in a fresh ``sys.executable`` and measure peak RSS.

    The child runs ``setup`` (imports, input creation), resets the kernel's high-water
    mark by writing ``5`` to ``/proc/self/clear_refs``, runs ``code`` in the same
    namespace, then reads ``VmHWM`` from ``/proc/self/status``. The peak therefore
    includes the Python interpreter, every imported library (the JAX/XLA runtime is
    several hundred MB) and anything ``setup`` allocated; use ``delta_bytes`` for the
    part added by ``code`` alone.

    Args:
        code: Python source whose peak memory is wanted.
        setup: Python source run before the reset (not part of the peak's increase).
        env: extra environment variables, added on top of the current environment.
        timeout: seconds before the child is killed.
        cwd: working directory of the child (default: the current one).

    Raises:
        SubprocessMeasurementError: the child failed, timed out, or wrote no result;
            the message includes the tail of its stderr.
    """
    child_env = dict(os.environ)
    if env is not None:
        child_env.update({str(k): str(v) for k, v in env.items()})
    with tempfile.TemporaryDirectory(prefix="spikead-rss-") as tmp:
        spec_path = Path(tmp) / "spec.json"
        result_path = Path(tmp) / "result.json"
        spec_path.write_text(json.dumps({"setup": setup, "code": code, "result": str(result_path)}))
        try:
            proc = subprocess.run(
                [sys.executable, "-c", _CHILD, str(spec_path)],
                check=False,
                env=child_env,
                cwd=cwd,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired as exc:
            tail = (exc.stderr or b"")[-_STDERR_TAIL_CHARS:]
            if isinstance(tail, bytes):
                tail = tail.decode(errors="replace")
            raise SubprocessMeasurementError(
                f"peak_rss_of: the child process ran longer than timeout={timeout} s;"
                f" raise `timeout` or shrink the workload. stderr tail:\n{tail}"
            ) from exc
        if proc.returncode != 0 or not result_path.exists():
            raise SubprocessMeasurementError(
                f"peak_rss_of: the child process exited with code {proc.returncode}"
                " (expected 0 and a result file); fix the measured code."
                f" stderr tail:\n{proc.stderr[-_STDERR_TAIL_CHARS:]}"
            )
        result = json.loads(result_path.read_text())
    return RssMeasurement(
        peak_bytes=int(result["peak_kib"]) * 1024,
        baseline_bytes=int(result["baseline_kib"]) * 1024,
    )


def peak_rss_of(
    python_code: str,
    *,
    setup: str = "",
    env: Mapping[str, str] | None = None,
    timeout: float = 600.0,
    subtract_baseline: bool = False,
) -> int:
    """Peak resident memory in bytes of ``python_code`` run in a fresh interpreter.

    By default the absolute VmHWM, which includes the interpreter and the JAX runtime
    (or whatever the code imports); with ``subtract_baseline=True`` the RSS present
    right after ``setup`` is subtracted. See :func:`measure_peak_rss` for details.
    """
    m = measure_peak_rss(python_code, setup=setup, env=env, timeout=timeout)
    return m.delta_bytes if subtract_baseline else m.peak_bytes
