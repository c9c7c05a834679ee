"""The protocol every framework-comparison peer follows (no JAX or PyTorch imported here).

A peer is a module ``spikead.bench.peers.<name>`` run as

    python -m spikead.bench.peers.<name> --config settings.json

It loads the shared problem (weights and binary inputs from an ``.npz``), builds one
Linear(N, N) + LIF layer in its framework with the common dynamics

    v_t = beta * v_{t-1} * (1 - z_{t-1}) + W x_t,   z_t = H(v_t - threshold)

(hard reset to zero, reset term detached from the gradient, fast-sigmoid surrogate of
slope ``slope``), saves its forward spike train for the agreement check, times forward
and forward+backward (loss = sum of output spikes, gradient w.r.t. W), and writes a JSON
result. Import errors become ``status = "missing: ..."``, other errors ``"failed: ..."``,
so a peer never takes the whole comparison down.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import re
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .._capped import CappedTimings
from .._timing import Timing

__all__ = [
    "LIFProblem",
    "PeerResult",
    "PeerSettings",
    "capped_fields",
    "load_problem",
    "load_spikes",
    "peak_rss_since_reset",
    "peer_main",
    "reset_peak_rss",
    "save_spikes",
]


@dataclass(frozen=True)
class PeerSettings:
    """What the parent passes to a peer (serialised as JSON).

    Attributes:
        framework: the row label (``"spikead"``, ``"snntorch"``, ...).
        problem_path: ``.npz`` with ``weight`` (N, N) float32 (out, in) and ``inputs``
            (B, T, N) uint8 in {0, 1}.
        spikes_path: where to save the forward spike train (packed bits, see
            :func:`save_spikes`).
        result_path: where to write the JSON result.
        beta, threshold, slope: neuron constants shared by every framework.
        warmup, repeats: timing protocol (see :func:`spikead.bench.time_pair_capped`).
        time_cap_s: skip the timing (status ``"skipped: over time cap ..."``) when a
            probe predicts it to take longer than this many seconds; ``None``: no cap.
        options: framework-specific switches (e.g. ``{"hoist": true}`` for the hand scan).
    """

    framework: str
    problem_path: str
    spikes_path: str
    result_path: str
    beta: float = 0.95
    threshold: float = 1.0
    slope: float = 10.0
    warmup: int = 3
    repeats: int = 20
    time_cap_s: float | None = None
    options: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> PeerSettings:
        return cls(**json.loads(text))


@dataclass(frozen=True)
class LIFProblem:
    """Shared weights and inputs: ``weight`` (N, N) float32, ``inputs`` (B, T, N) float32."""

    weight: np.ndarray
    inputs: np.ndarray

    @property
    def n(self) -> int:
        return int(self.weight.shape[0])

    @property
    def batch(self) -> int:
        return int(self.inputs.shape[0])

    @property
    def steps(self) -> int:
        return int(self.inputs.shape[1])


@dataclass
class PeerResult:
    """What a peer measured; ``None`` where a quantity does not apply (e.g. compile time
    of an eager PyTorch model, or timings of a size skipped by the time cap; the probe
    fields then say why, see :func:`spikead.bench.time_pair_capped`)."""

    framework: str
    status: str = "ok"
    fwd: Timing | None = None
    fwdbwd: Timing | None = None
    compile_s: float | None = None
    compile_fwd_s: float | None = None
    memory_bytes: int | None = None
    probe_fwd_ms: float | None = None
    probe_fwdbwd_ms: float | None = None
    predicted_timing_s: float | None = None
    timing_s: float | None = None
    memory_kind: str | None = None
    rss_delta_bytes: int | None = None
    surrogate: str | None = None
    reset: str | None = None
    notes: str = ""
    versions: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        for key in ("fwd", "fwdbwd"):
            timing = getattr(self, key)
            out[key] = None if timing is None else dataclasses.asdict(timing)
        return out


def capped_fields(timed: CappedTimings) -> dict[str, Any]:
    """The :class:`PeerResult` fields filled from a :func:`time_pair_capped` result."""
    return {
        "status": timed.status,
        "fwd": timed.fwd,
        "fwdbwd": timed.fwdbwd,
        "probe_fwd_ms": timed.probe_fwd_ms,
        "probe_fwdbwd_ms": timed.probe_fwdbwd_ms,
        "predicted_timing_s": timed.predicted_s,
        "timing_s": timed.timing_s,
    }


def load_problem(path: str | Path) -> LIFProblem:
    """Read the shared ``.npz`` (see :class:`PeerSettings`) as float32 arrays."""
    with np.load(path) as data:
        weight = np.asarray(data["weight"], dtype=np.float32)
        inputs = np.asarray(data["inputs"], dtype=np.float32)
    return LIFProblem(weight=weight, inputs=inputs)


def save_spikes(path: str | Path, spikes: np.ndarray) -> None:
    """Save a (B, T, N) spike train of 0/1 values as packed bits plus its shape."""
    spikes = np.asarray(spikes)
    if spikes.ndim != 3:
        raise ValueError(f"save_spikes expects (B, T, N) spikes, got shape {spikes.shape}.")
    values = np.unique(spikes)
    if not np.all(np.isin(values, (0, 1))):
        raise ValueError(
            f"save_spikes expects binary spikes, found values {values[:5]}; "
            "pass the thresholded output of the neuron layer."
        )
    np.savez_compressed(path, bits=np.packbits(spikes.astype(bool)), shape=spikes.shape)


def load_spikes(path: str | Path) -> np.ndarray:
    """Inverse of :func:`save_spikes`: a (B, T, N) bool array."""
    with np.load(path) as data:
        shape = tuple(int(s) for s in data["shape"])
        bits = np.unpackbits(data["bits"], count=int(np.prod(shape)))
    return bits.reshape(shape).astype(bool)


def _status_kib(field_name: str) -> int:
    with open("/proc/self/status") as fh:
        match = re.search(rf"^{field_name}:\s+(\d+)\s+kB", fh.read(), re.MULTILINE)
    if match is None:
        raise RuntimeError(f"/proc/self/status has no {field_name} line (Linux only).")
    return int(match.group(1))


def reset_peak_rss() -> int:
    """Reset this process's VmHWM to its current RSS; returns that RSS in bytes."""
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")
    return _status_kib("VmRSS") * 1024


def peak_rss_since_reset(baseline_bytes: int) -> int:
    """VmHWM minus ``baseline_bytes`` (from :func:`reset_peak_rss`), in bytes."""
    return _status_kib("VmHWM") * 1024 - baseline_bytes


def _short(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".replace("\n", " ").replace(",", ";")
    return text[:300]


def peer_main(
    measure: Callable[[PeerSettings, LIFProblem], PeerResult], argv: list[str] | None = None
) -> int:
    """Command-line entry of a peer: ``--config settings.json``; always writes a result.

    Returns the process exit code (0 when a result file was written, whatever its status).
    """
    parser = argparse.ArgumentParser(description="Run one framework-comparison peer.")
    parser.add_argument("--config", required=True, type=Path, help="PeerSettings JSON file")
    args = parser.parse_args(argv)
    settings = PeerSettings.from_json(args.config.read_text())
    try:
        result = measure(settings, load_problem(settings.problem_path))
    except ImportError as exc:
        result = PeerResult(framework=settings.framework, status=f"missing: {_short(exc)}")
    except Exception as exc:  # noqa: BLE001 - any failure becomes a row, never a crash
        traceback.print_exc()
        result = PeerResult(framework=settings.framework, status=f"failed: {_short(exc)}")
    payload = result.to_dict()
    payload["python"] = platform.python_version()
    Path(settings.result_path).write_text(json.dumps(payload, indent=2))
    return 0


def run_as_script(measure: Callable[[PeerSettings, LIFProblem], PeerResult]) -> None:
    """``if __name__ == "__main__": run_as_script(measure)`` in every peer module."""
    sys.exit(peer_main(measure))


def dist_version(distribution: str) -> str:
    """Installed version of a distribution, or ``"?"`` when it has no metadata."""
    from importlib import metadata

    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "?"
