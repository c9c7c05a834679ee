"""Peer ``rockpool``: ``rockpool.nn.modules.LinearTorch`` + ``LIFTorch`` (Rockpool's torch LIF).

Rockpool's LIF is current-based with a subtractive reset only:
``isyn <- (isyn + x) * b; v <- alpha v + isyn; s = floor(v / thr) [v >= thr]; v <- v - s thr``.
With ``alpha = beta``, a synaptic decay ``b = 2^-20`` and the weight scaled by ``2^20`` the
input reaches the membrane in the same step (up to a 2^-20 leak of the previous input),
and ``max_spikes_per_dt = 1`` keeps spikes binary. The reset stays subtractive and not
detached, and the surrogate is Rockpool's default ``StepPWL`` (it has no fast sigmoid),
so ``agreement`` is below 1: recorded, not hidden.
"""

from __future__ import annotations

from ._protocol import LIFProblem, PeerResult, PeerSettings, dist_version, run_as_script

__all__ = ["measure"]

_SYN_DECAY = 2.0**-20


def measure(settings: PeerSettings, problem: LIFProblem) -> PeerResult:
    import torch
    from rockpool.nn.modules import LIFTorch, LinearTorch

    from ._torch_measure import measure_torch

    def build(weight: torch.Tensor):
        n = problem.n
        linear = LinearTorch((n, n), has_bias=False)
        with torch.no_grad():
            linear.weight.data = (weight.T / _SYN_DECAY).contiguous()  # rockpool: (in, out)
        linear.weight.requires_grad_(True)
        lif = LIFTorch(
            n,
            leak_mode="decays",
            alpha=settings.beta,
            beta=_SYN_DECAY,
            threshold=settings.threshold,
            max_spikes_per_dt=1.0,
        )

        def forward(x):  # x (T, B, N) -> spikes (T, B, N)
            lif.reset_state()
            out, _, _ = lif(linear(x.transpose(0, 1))[0])
            return out.transpose(0, 1)

        return linear.weight, forward

    return measure_torch(
        settings,
        problem,
        build=build,
        surrogate="rockpool StepPWL (default; no fast sigmoid available)",
        reset="subtract, not detached (Rockpool's only reset)",
        notes="LIFTorch leak_mode=decays, syn decay 2^-20 with weight x 2^20, max 1 spike/step",
        versions={"rockpool": dist_version("rockpool")},
    )


if __name__ == "__main__":
    run_as_script(measure)
