"""Neuron registry: build a neuron layer from a name (for configs)."""

from __future__ import annotations

from ._adaptive import ALIF, AdLIF
from ._errors import unknown_name
from ._lif import IAF, LI, LIF, CuBaLIF
from ._neuron_base import AbstractNeuron
from ._sigma_delta import SigmaDelta

NEURONS: dict[str, type[AbstractNeuron]] = {
    "li": LI,
    "lif": LIF,
    "iaf": IAF,
    "cuba_lif": CuBaLIF,
    "alif": ALIF,
    "adlif": AdLIF,
    "sigma_delta": SigmaDelta,
}


def neuron_from_name(name: str, **kwargs) -> AbstractNeuron:
    """Build a neuron by registry name, e.g. `neuron_from_name("lif", shape=(N,), beta=0.9)`.

    Raises `UnknownNameError` (listing the known names) for an unknown `name`.
    """
    try:
        cls = NEURONS[name.lower()]
    except KeyError:
        raise unknown_name("neuron", name, NEURONS) from None
    return cls(**kwargs)
