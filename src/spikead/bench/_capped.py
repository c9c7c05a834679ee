"""Forward and forward+backward timing under a wall-clock cap, decided by a probe run.

A benchmark size is either timed in full (``repeats`` runs each, no fewer) or skipped
with a status that says why; it is never timed with fewer runs. The decision uses one
probe call of each function after a warm-up call: if ``repeats`` more calls of both
are predicted to take longer than ``cap_s`` seconds, the size is skipped.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ._timing import Timing, synchronize, time_fn

__all__ = ["CAP_STATUS", "CappedTimings", "time_pair_capped"]

CAP_STATUS = "skipped: over time cap"  # prefix of the status of a capped size


@dataclass(frozen=True)
class CappedTimings:
    """Result of :func:`time_pair_capped`.

    ``fwd``/``fwdbwd`` are ``None`` when the size was skipped; ``probe_fwd_ms`` and
    ``probe_fwdbwd_ms`` are the single probe calls (always measured); ``predicted_s`` is
    the predicted wall time of the full timing and ``timing_s`` the measured one
    (0 when skipped).
    """

    fwd: Timing | None
    fwdbwd: Timing | None
    status: str
    probe_fwd_ms: float
    probe_fwdbwd_ms: float
    predicted_s: float
    timing_s: float


def _once_ms(fn: Callable[..., Any], *args: Any) -> float:
    start = time.perf_counter()
    synchronize(fn(*args))
    return (time.perf_counter() - start) * 1e3


def time_pair_capped(
    fwd: Callable[..., Any],
    fwdbwd: Callable[..., Any],
    *args: Any,
    warmup: int = 3,
    repeats: int = 20,
    cap_s: float | None = None,
    label: str = "",
) -> CappedTimings:
    """Time ``fwd(*args)`` and ``fwdbwd(*args)`` with :func:`time_fn`, unless over the cap.

    Each function first gets one untimed warm-up call and one probe call (both count
    towards ``warmup``; so at least two untimed calls happen). The full timing would
    take about ``predicted_s = (max(warmup - 2, 0) + repeats) * (probe_fwd + probe_fwdbwd)``;
    if ``cap_s`` is given and ``predicted_s > cap_s`` nothing more is run and the status
    is ``"skipped: over time cap (predicted P s > C s at <label>)"``, else ``"ok"``.
    """
    if cap_s is not None and cap_s <= 0:
        raise ValueError(
            f"time_pair_capped: cap_s={cap_s!r} must be > 0 seconds, or None for no cap."
        )
    if repeats < 1:
        raise ValueError(f"time_pair_capped: repeats={repeats!r} must be >= 1.")
    synchronize(fwd(*args))
    synchronize(fwdbwd(*args))
    probe_f = _once_ms(fwd, *args)
    probe_fb = _once_ms(fwdbwd, *args)
    rest = max(warmup - 2, 0)
    predicted_s = (rest + repeats) * (probe_f + probe_fb) / 1e3
    if cap_s is not None and predicted_s > cap_s:
        where = f" at {label}" if label else ""
        status = f"{CAP_STATUS} (predicted {predicted_s:.0f} s > {cap_s:g} s{where})"
        return CappedTimings(None, None, status, probe_f, probe_fb, predicted_s, 0.0)
    start = time.perf_counter()
    t_fwd = time_fn(fwd, *args, warmup=rest, repeats=repeats)
    t_fwdbwd = time_fn(fwdbwd, *args, warmup=rest, repeats=repeats)
    timing_s = time.perf_counter() - start
    return CappedTimings(t_fwd, t_fwdbwd, "ok", probe_f, probe_fb, predicted_s, timing_s)
