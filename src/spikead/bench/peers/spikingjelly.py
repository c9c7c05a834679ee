"""Peer ``spikingjelly``: ``torch.nn.Linear`` + multi-step ``LIFNode`` (torch backend).

``LIFNode(tau=1/(1-beta), decay_input=False, v_reset=0, detach_reset=True)`` gives
``v <- v - (v - 0)/tau + x`` = ``beta v + x`` up to rounding. SpikingJelly has no
fast-sigmoid of slope k; ``surrogate.SoftSign(alpha=slope)`` has derivative
``slope / (2 (1 + slope|x|)^2)``, i.e. half of it (same shape). Its Heaviside is
``x >= 0`` (ours ``x > 0``), which only matters at exact equality.
"""

from __future__ import annotations

from ._protocol import LIFProblem, PeerResult, PeerSettings, dist_version, run_as_script

__all__ = ["measure"]


def measure(settings: PeerSettings, problem: LIFProblem) -> PeerResult:
    import torch
    from spikingjelly.activation_based import functional, neuron, surrogate

    from ._torch_measure import measure_torch

    def build(weight: torch.Tensor):
        linear = torch.nn.Linear(problem.n, problem.n, bias=False)
        with torch.no_grad():
            linear.weight.copy_(weight)
        lif = neuron.LIFNode(
            tau=1.0 / (1.0 - settings.beta),
            decay_input=False,
            v_threshold=settings.threshold,
            v_reset=0.0,
            surrogate_function=surrogate.SoftSign(alpha=settings.slope),
            detach_reset=True,
            step_mode="m",
        )

        def forward(x):  # x (T, B, N) -> spikes (T, B, N)
            functional.reset_net(lif)
            return lif(linear(x))

        return linear.weight, forward

    return measure_torch(
        settings,
        problem,
        build=build,
        surrogate=f"spikingjelly SoftSign(alpha={settings.slope}) = 0.5 x fast sigmoid",
        reset="zero, detach_reset=True",
        notes="LIFNode step_mode='m', decay_input=False, tau=1/(1-beta)",
        versions={"spikingjelly": dist_version("spikingjelly")},
    )


if __name__ == "__main__":
    run_as_script(measure)
