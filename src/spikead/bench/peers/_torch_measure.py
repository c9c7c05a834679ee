"""Measurement of a PyTorch peer: timings (eager), spikes, peak RSS of forward+backward."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from .._capped import time_pair_capped
from .._pinning import allowed_cores
from ._protocol import (
    LIFProblem,
    PeerResult,
    PeerSettings,
    capped_fields,
    peak_rss_since_reset,
    reset_peak_rss,
    save_spikes,
)

__all__ = ["match_threads_to_cores", "measure_torch", "torch_superspike"]


class _SuperSpike(torch.autograd.Function):
    """Heaviside ``x > 0`` with derivative ``1 / (1 + slope |x|)^2`` (hand scan in torch)."""

    @staticmethod
    def forward(ctx, x, slope):
        ctx.save_for_backward(x)
        ctx.slope = slope
        return (x > 0).to(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / (1.0 + ctx.slope * x.abs()) ** 2, None


def torch_superspike(x: torch.Tensor, slope: float = 10.0) -> torch.Tensor:
    return _SuperSpike.apply(x, slope)


def match_threads_to_cores() -> int:
    """Set PyTorch's intra-op threads to the cores this process may run on; returns them.

    PyTorch sizes its pool from the machine's cores, not from the affinity mask, so a peer
    pinned to one core (``taskset``) would otherwise time-slice two threads on it, while
    XLA sizes its pool from the mask.
    """
    cores = len(allowed_cores())
    if torch.get_num_threads() != cores:
        torch.set_num_threads(cores)
    return cores


def measure_torch(
    settings: PeerSettings,
    problem: LIFProblem,
    *,
    build: Callable[
        [torch.Tensor], tuple[torch.nn.Parameter, Callable[[torch.Tensor], torch.Tensor]]
    ],
    surrogate: str,
    reset: str,
    notes: str = "",
    versions: dict[str, str] | None = None,
) -> PeerResult:
    """Measure an eager PyTorch implementation.

    Args:
        build: ``weight (N, N) -> (parameter, forward)`` where ``forward`` maps
            time-major inputs (T, B, N) to spikes (T, B, N) and the returned parameter is
            the Linear weight the gradient is taken for.

    ``memory_bytes`` is the rise of the process's peak RSS during the first
    forward+backward (inputs and weights already allocated); PyTorch peers have no
    compile step, so ``compile_s`` stays ``None``. They run on the CPU, with one intra-op
    thread per core this process may use (:func:`match_threads_to_cores`).
    """
    match_threads_to_cores()
    torch.manual_seed(0)
    weight, forward = build(torch.from_numpy(problem.weight.copy()))
    inputs = torch.from_numpy(np.ascontiguousarray(problem.inputs.transpose(1, 0, 2)))

    def fwd(x):
        with torch.no_grad():
            return forward(x)

    def fwdbwd(x):
        weight.grad = None
        forward(x).sum().backward()
        return weight.grad

    # Memory first, on the first forward+backward: later calls reuse heap pages that
    # malloc kept from earlier calls, so their high-water mark would barely move.
    baseline = reset_peak_rss()
    fwdbwd(inputs)
    rss = peak_rss_since_reset(baseline)
    spikes = fwd(inputs).numpy().transpose(1, 0, 2)
    save_spikes(settings.spikes_path, spikes)
    timed = time_pair_capped(
        fwd,
        fwdbwd,
        inputs,
        warmup=settings.warmup,
        repeats=settings.repeats,
        cap_s=settings.time_cap_s,
        label=f"n={problem.n}",
    )
    return PeerResult(
        framework=settings.framework,
        **capped_fields(timed),
        memory_bytes=rss,
        memory_kind="peak_rss_delta_first_fwdbwd",
        rss_delta_bytes=rss,
        surrogate=surrogate,
        reset=reset,
        notes=notes,
        versions={
            "torch": torch.__version__,
            "threads": str(torch.get_num_threads()),
            **(versions or {}),
        },
    )
