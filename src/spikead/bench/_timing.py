"""Wall-clock timing of a callable with warm-up, synchronisation and robust statistics."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Timing", "synchronize", "time_fn"]


@dataclass(frozen=True)
class Timing:
    """Summary of repeated wall-clock measurements, all in milliseconds.

    ``samples_ms`` keeps every measured run (length ``repeats``) so that other
    statistics can be computed later; the quantiles use numpy's linear interpolation.
    """

    median_ms: float
    q25_ms: float
    q75_ms: float
    p2_5_ms: float
    p97_5_ms: float
    repeats: int
    samples_ms: tuple[float, ...]

    @property
    def iqr_ms(self) -> float:
        """Inter-quartile range ``q75_ms - q25_ms``."""
        return self.q75_ms - self.q25_ms

    @classmethod
    def from_samples(cls, samples_ms: list[float] | tuple[float, ...]) -> Timing:
        """Build the summary from raw per-run times in milliseconds."""
        if len(samples_ms) == 0:
            raise ValueError("Timing.from_samples got no samples; pass at least one run time.")
        arr = np.asarray(samples_ms, dtype=np.float64)
        q = np.percentile(arr, [50.0, 25.0, 75.0, 2.5, 97.5])
        return cls(
            median_ms=float(q[0]),
            q25_ms=float(q[1]),
            q75_ms=float(q[2]),
            p2_5_ms=float(q[3]),
            p97_5_ms=float(q[4]),
            repeats=int(arr.size),
            samples_ms=tuple(float(x) for x in arr),
        )


def synchronize(out: Any) -> Any:
    """Wait until ``out`` is computed and return it.

    JAX dispatches asynchronously, so JAX outputs (any pytree) go through
    ``jax.block_until_ready``. JAX is only consulted when it is already imported, so a
    PyTorch-only process (a benchmark peer) does not pay for importing it; PyTorch on the
    CPU is synchronous, and on CUDA the current device is synchronised.
    """
    if "jax" in sys.modules:
        import jax

        out = jax.block_until_ready(out)
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available() and torch.cuda.is_initialized():
        torch.cuda.synchronize()
    return out


def time_fn(
    fn: Callable[..., Any], *args: Any, warmup: int = 3, repeats: int = 20
) -> Timing:
    """Time ``fn(*args)``: ``warmup`` untimed calls, then ``repeats`` timed calls.

    Each timed call is measured with :func:`time.perf_counter` around the call and the
    synchronisation of its output (see :func:`synchronize`), so asynchronous dispatch is
    not mistaken for speed. For a jitted function the warm-up calls absorb compilation;
    use :func:`spikead.bench.compile_time` to measure it on its own.

    Args:
        fn: the callable to time; its output is synchronised and discarded.
        *args: positional arguments passed unchanged on every call.
        warmup: untimed calls before measuring (>= 0).
        repeats: timed calls (>= 1).

    Returns:
        A :class:`Timing` with the median, quartiles and 2.5/97.5 percentiles in ms.
    """
    if warmup < 0:
        raise ValueError(f"time_fn: warmup={warmup!r} must be >= 0; pass warmup=0 to skip it.")
    if repeats < 1:
        raise ValueError(f"time_fn: repeats={repeats!r} must be >= 1; pass repeats=20 or more.")
    for _ in range(warmup):
        synchronize(fn(*args))
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        synchronize(fn(*args))
        samples.append((time.perf_counter() - start) * 1e3)
    return Timing.from_samples(samples)
