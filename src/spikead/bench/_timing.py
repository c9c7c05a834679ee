"""Wall-clock timing of a callable with warm-up, synchronisation and robust statistics."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["PairedTiming", "Timing", "synchronize", "time_alternating", "time_fn"]


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


def time_fn(fn: Callable[..., Any], *args: Any, warmup: int = 3, repeats: int = 20) -> Timing:
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


@dataclass(frozen=True)
class PairedTiming:
    """Result of :func:`time_alternating`: two callables timed in the same rounds.

    ``a``/``b`` summarise each callable's ``rounds`` runs (ms); ``ratio`` is
    ``a.median_ms / b.median_ms`` (ratio of medians); ``ratio_q25``/``ratio_q75`` are the
    quartiles of the per-round ratios ``a_i / b_i``, the spread of the comparison with the
    drift common to both removed. ``a_first[i]`` says whether ``a`` ran first in round i.
    """

    a: Timing
    b: Timing
    ratio: float
    ratio_q25: float
    ratio_q75: float
    rounds: int
    a_first: tuple[bool, ...]

    @property
    def round_ratios(self) -> tuple[float, ...]:
        """Per-round ratios ``a_i / b_i`` (length ``rounds``)."""
        return tuple(x / y for x, y in zip(self.a.samples_ms, self.b.samples_ms, strict=True))


def _call_ms(fn: Callable[..., Any], args: tuple[Any, ...]) -> float:
    start = time.perf_counter()
    synchronize(fn(*args))
    return (time.perf_counter() - start) * 1e3


def time_alternating(
    fn_a: Callable[..., Any],
    fn_b: Callable[..., Any],
    *args: Any,
    warmup: int = 3,
    repeats: int = 20,
    order: str = "random",
    seed: int = 0,
) -> PairedTiming:
    """Time ``fn_a(*args)`` against ``fn_b(*args)`` in interleaved rounds, in one process.

    Both get ``warmup`` untimed calls (interleaved, a then b), then ``repeats`` rounds in
    which each is called and timed once (as in :func:`time_fn`: ``perf_counter`` around the
    call and the synchronisation of its output). Slow drift of the machine (other load,
    clock frequency) then hits both alike, so the ratio is fairer than one of two separate
    :func:`time_fn` runs.

    Args:
        fn_a, fn_b: the two callables (e.g. jitted functions) called with the same ``args``.
        warmup: untimed calls of each before measuring (>= 0).
        repeats: timed rounds (>= 1).
        order: ``"random"``: which one runs first in a round is drawn with
            ``numpy.random.default_rng(seed)`` (no systematic first/second bias);
            ``"alternate"``: a first in even rounds, b first in odd ones.
        seed: seed of the random order.

    Returns:
        A :class:`PairedTiming` (``a``, ``b``, ratio of medians, quartiles of the per-round
        ratios).
    """
    if warmup < 0:
        raise ValueError(f"time_alternating: warmup={warmup!r} must be >= 0; pass 0 to skip it.")
    if repeats < 1:
        raise ValueError(f"time_alternating: repeats={repeats!r} must be >= 1; pass 20 or more.")
    if order == "random":
        a_first = tuple(bool(x) for x in np.random.default_rng(seed).integers(0, 2, repeats))
    elif order == "alternate":
        a_first = tuple(i % 2 == 0 for i in range(repeats))
    else:
        raise ValueError(
            f"time_alternating: order={order!r} is unknown; pass 'random' or 'alternate'."
        )
    for _ in range(warmup):
        synchronize(fn_a(*args))
        synchronize(fn_b(*args))
    samples_a, samples_b = [], []
    for first_a in a_first:
        if first_a:
            samples_a.append(_call_ms(fn_a, args))
            samples_b.append(_call_ms(fn_b, args))
        else:
            samples_b.append(_call_ms(fn_b, args))
            samples_a.append(_call_ms(fn_a, args))
    t_a, t_b = Timing.from_samples(samples_a), Timing.from_samples(samples_b)
    per_round = np.asarray(samples_a) / np.asarray(samples_b)
    q25, q75 = np.percentile(per_round, [25.0, 75.0])
    return PairedTiming(
        a=t_a,
        b=t_b,
        ratio=t_a.median_ms / t_b.median_ms,
        ratio_q25=float(q25),
        ratio_q75=float(q75),
        rounds=repeats,
        a_first=a_first,
    )
