"""Compile time and XLA's static memory analysis of JAX functions."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["Memory", "compile_time", "compile_time_and_memory", "compiled_memory"]


@dataclass(frozen=True)
class Memory:
    """XLA's buffer assignment for one compiled function, in bytes.

    ``total_bytes = temp_bytes + argument_bytes + output_bytes - alias_bytes`` (aliased
    outputs reuse argument buffers). On CPU ``temp_bytes`` holds every intermediate
    buffer, e.g. the residuals a ``lax.scan`` keeps for its backward pass, so it grows
    linearly with the number of time steps ``T`` for BPTT.
    """

    temp_bytes: int
    argument_bytes: int
    output_bytes: int
    alias_bytes: int
    total_bytes: int


def _as_jitted(fn: Callable[..., Any]) -> Any:
    import jax  # imported lazily: PyTorch-only peer processes import this package too

    return fn if hasattr(fn, "lower") else jax.jit(fn)


def compile_time(jitted: Callable[..., Any], *args: Any) -> float:
    """Seconds spent tracing, lowering and compiling ``jitted`` for ``args`` (no execution).

    ``jitted`` is a ``jax.jit``-wrapped function (a plain callable is wrapped); ``args``
    may be arrays or ``jax.ShapeDtypeStruct`` placeholders. JAX caches compiled
    executables per function object, so the first call after this one still pays the
    dispatch cost but not the XLA compile.
    """
    jitted = _as_jitted(jitted)
    start = time.perf_counter()
    jitted.lower(*args).compile()
    return time.perf_counter() - start


def compiled_memory(fn: Callable[..., Any], *args: Any) -> Memory:
    """XLA's static memory analysis of ``jax.jit(fn)`` compiled for ``args``.

    Uses ``jax.jit(fn).lower(*args).compile().memory_analysis()`` (``fn`` may already be
    jitted). The numbers are what the compiled program allocates, without the Python
    interpreter or the JAX runtime; see :func:`spikead.bench.peak_rss_of` for the
    process-level peak.
    """
    return _memory(_as_jitted(fn).lower(*args).compile())


def compile_time_and_memory(jitted: Callable[..., Any], *args: Any) -> tuple[float, Memory]:
    """:func:`compile_time` and :func:`compiled_memory` from ONE compilation."""
    jitted = _as_jitted(jitted)
    start = time.perf_counter()
    compiled = jitted.lower(*args).compile()
    return time.perf_counter() - start, _memory(compiled)


def _memory(compiled: Any) -> Memory:
    import jax

    stats = compiled.memory_analysis()
    if stats is None:
        raise RuntimeError(
            f"compiled_memory: backend {jax.default_backend()!r} returned no memory analysis;"
            " use spikead.bench.peak_rss_of for a process-level measurement instead."
        )
    temp = int(stats.temp_size_in_bytes)
    arg = int(stats.argument_size_in_bytes)
    out = int(stats.output_size_in_bytes)
    alias = int(stats.alias_size_in_bytes)
    return Memory(
        temp_bytes=temp,
        argument_bytes=arg,
        output_bytes=out,
        alias_bytes=alias,
        total_bytes=temp + arg + out - alias,
    )
