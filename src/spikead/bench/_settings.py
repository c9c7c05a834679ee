"""The settings shared by every measurement of the framework comparison."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ._errors import BenchError

__all__ = ["ComparisonSettings", "ComparisonSettingsError"]


class ComparisonSettingsError(BenchError, ValueError):
    """A :class:`ComparisonSettings` value out of its range."""


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_real(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True)
class ComparisonSettings:
    """Problem, neuron and timing settings of :func:`compare_frameworks` and
    :func:`compare_paired` (the same for every framework and size).

    Problem (:func:`make_problem`): ``batch`` B and ``steps`` T of the (B, T, N) binary
    inputs, ``seed``, ``input_rate`` (Bernoulli rate, in (0, 1]) and ``weight_scale``.
    Neuron: ``beta`` (membrane decay, in [0, 1]), ``threshold`` (> 0) and the surrogate
    ``slope`` (> 0). Timing: ``warmup`` untimed calls (>= 0), ``repeats`` timed calls
    (>= 1), ``timeout`` seconds per subprocess, ``cpus`` cores per subprocess (``None``:
    not pinned) and ``time_cap_s`` per (framework, N) timing (``None``: no cap).
    """

    batch: int
    steps: int
    seed: int = 0
    input_rate: float = 0.2
    weight_scale: float = 0.7
    beta: float = 0.95
    threshold: float = 1.0
    slope: float = 10.0
    warmup: int = 3
    repeats: int = 20
    timeout: float = 1800.0
    cpus: int | None = None
    time_cap_s: float | None = None

    def __post_init__(self) -> None:
        problems = []

        def need(ok: bool, name: str, expected: str, fix: str) -> None:
            if not ok:
                problems.append(f"{name}={getattr(self, name)!r} must be {expected}; {fix}")

        need(
            _is_int(self.batch) and self.batch >= 1,
            "batch",
            "an integer >= 1",
            "set the batch size (scale.batch) to 1 or more",
        )
        need(
            _is_int(self.steps) and self.steps >= 1,
            "steps",
            "an integer >= 1",
            "set the number of time steps (scale.T) to 1 or more",
        )
        need(_is_int(self.seed), "seed", "an integer", "pass an integer seed")
        need(
            _is_real(self.input_rate) and 0.0 < self.input_rate <= 1.0,
            "input_rate",
            "in (0, 1]",
            "use a Bernoulli spike rate such as 0.2 (lif.input_rate)",
        )
        need(
            _is_real(self.weight_scale) and self.weight_scale > 0.0,
            "weight_scale",
            "> 0",
            "use a positive weight scale such as 0.7 (lif.weight_scale)",
        )
        need(
            _is_real(self.beta) and 0.0 <= self.beta <= 1.0,
            "beta",
            "in [0, 1]",
            "use a membrane decay such as 0.95 (lif.beta)",
        )
        need(
            _is_real(self.threshold) and self.threshold > 0.0,
            "threshold",
            "> 0",
            "use a positive firing threshold such as 1.0 (lif.threshold)",
        )
        need(
            _is_real(self.slope) and self.slope > 0.0,
            "slope",
            "> 0",
            "use a positive surrogate slope such as 10 (lif.slope)",
        )
        need(
            _is_int(self.warmup) and self.warmup >= 0,
            "warmup",
            "an integer >= 0",
            "use 0 or more warm-up calls (scale.warmup)",
        )
        need(
            _is_int(self.repeats) and self.repeats >= 1,
            "repeats",
            "an integer >= 1",
            "use 1 or more timed calls (scale.repeats; the protocol asks for 20)",
        )
        need(
            _is_real(self.timeout) and self.timeout > 0.0,
            "timeout",
            "> 0 seconds",
            "give each subprocess a positive time limit (scale.timeout_s)",
        )
        need(
            self.cpus is None or (_is_int(self.cpus) and self.cpus >= 1),
            "cpus",
            "None or an integer >= 1",
            "set scale.cpus to a core count, or null for no pinning",
        )
        need(
            self.time_cap_s is None or (_is_real(self.time_cap_s) and self.time_cap_s > 0.0),
            "time_cap_s",
            "None or > 0 seconds",
            "set scale.time_cap_s to a positive number of seconds, or null for no cap",
        )
        if problems:
            raise ComparisonSettingsError(
                "invalid ComparisonSettings: " + "; ".join(problems) + "."
            )
