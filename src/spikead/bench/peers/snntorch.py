"""Peer ``snntorch``: ``torch.nn.Linear`` (all steps at once) + ``snntorch.Leaky`` looped over T.

``Leaky(reset_mechanism="zero")`` with the default ``reset_delay=True`` computes the
detached reset from the previous membrane, then ``beta * v + x`` and the spike: exactly
the common dynamics. Surrogate ``snntorch.surrogate.fast_sigmoid(slope)``.
"""

from __future__ import annotations

from ._protocol import LIFProblem, PeerResult, PeerSettings, run_as_script

__all__ = ["measure"]


def measure(settings: PeerSettings, problem: LIFProblem) -> PeerResult:
    import snntorch
    import torch
    from snntorch import surrogate

    from ._torch_measure import measure_torch

    def build(weight: torch.Tensor):
        linear = torch.nn.Linear(problem.n, problem.n, bias=False)
        with torch.no_grad():
            linear.weight.copy_(weight)
        lif = snntorch.Leaky(
            beta=settings.beta,
            threshold=settings.threshold,
            spike_grad=surrogate.fast_sigmoid(slope=settings.slope),
            reset_mechanism="zero",
        )

        def forward(x):  # x (T, B, N) -> spikes (T, B, N)
            current = linear(x)
            mem = torch.zeros_like(current[0])
            spikes = []
            for t in range(current.shape[0]):
                spk, mem = lif(current[t], mem)
                spikes.append(spk)
            return torch.stack(spikes)

        return linear.weight, forward

    return measure_torch(
        settings,
        problem,
        build=build,
        surrogate=f"snntorch.surrogate.fast_sigmoid(slope={settings.slope})",
        reset="zero (snntorch detaches the reset)",
        notes="Linear over all steps at once; Leaky stepped in a Python loop",
        versions={"snntorch": snntorch.__version__},
    )


if __name__ == "__main__":
    run_as_script(measure)
