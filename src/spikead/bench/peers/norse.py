"""Peer ``norse``: ``torch.nn.Linear`` + ``norse.torch.LIFBoxCell`` looped over T.

Norse integrates ``v <- v + dt * tau_mem_inv * (i + v_leak - v)``; with
``dt * tau_mem_inv = 1 - beta`` and the input scaled by ``1 / (1 - beta)`` (folded into
the Linear weight) this is ``v <- beta v + W x`` up to rounding. The reset is Norse's
``reset_method`` hook with the spike detached (Norse's own ``reset_value`` is not
detached). Surrogate: ``method="super"``, ``alpha=slope`` (SuperSpike 1/(1+alpha|x|)^2).
"""

from __future__ import annotations

from ._protocol import LIFProblem, PeerResult, PeerSettings, dist_version, run_as_script

__all__ = ["measure"]


def _detached_reset(z, v, reset, threshold):
    z = z.detach()
    return (1 - z) * v + z * reset


def measure(settings: PeerSettings, problem: LIFProblem) -> PeerResult:
    import torch
    from norse.torch import LIFBoxCell, LIFBoxParameters

    from ._torch_measure import measure_torch

    leak = 1.0 - settings.beta
    params = LIFBoxParameters(
        tau_mem_inv=torch.as_tensor(leak),
        v_leak=torch.as_tensor(0.0),
        v_th=torch.as_tensor(settings.threshold),
        v_reset=torch.as_tensor(0.0),
        method="super",
        alpha=torch.as_tensor(settings.slope),
        reset_method=_detached_reset,
    )

    def build(weight: torch.Tensor):
        linear = torch.nn.Linear(problem.n, problem.n, bias=False)
        with torch.no_grad():
            linear.weight.copy_(weight / leak)
        cell = LIFBoxCell(p=params, dt=1.0)

        def forward(x):  # x (T, B, N) -> spikes (T, B, N)
            current = linear(x)
            state = None
            spikes = []
            for t in range(current.shape[0]):
                z, state = cell(current[t], state)
                spikes.append(z)
            return torch.stack(spikes)

        return linear.weight, forward

    return measure_torch(
        settings,
        problem,
        build=build,
        surrogate=f"norse SuperSpike alpha={settings.slope}",
        reset="zero, detached (custom reset_method)",
        notes="LIFBoxCell, dt=1, tau_mem_inv=1-beta, weight scaled by 1/(1-beta)",
        versions={"norse": dist_version("norse")},
    )


if __name__ == "__main__":
    run_as_script(measure)
