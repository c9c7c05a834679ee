"""Exceptions raised by `spikead.snn`; each message names the bad value, what was expected
and how to fix it."""


class SNNError(ValueError):
    """Base class of every error raised by `spikead.snn`."""


class ShapeError(SNNError):
    """An input, parameter or state has a shape the layer cannot use."""


class CycleError(SNNError):
    """A `Graph` has a cycle made only of same-step edges (it could never be evaluated)."""


class GraphError(SNNError):
    """A `Graph` is malformed: unknown node name, node without input, bad merge mode."""


class ParameterError(SNNError):
    """A neuron or layer hyperparameter has an invalid value (e.g. an unknown reset mode)."""


class UnknownNameError(SNNError):
    """A neuron or surrogate name is not in the registry."""


def unknown_name(kind: str, name: str, known) -> UnknownNameError:
    """Build the error for an unknown registry `name` of `kind`, listing the `known` names."""
    listed = ", ".join(sorted(known))
    return UnknownNameError(
        f"unknown {kind} name {name!r}; known {kind} names are: {listed}. "
        f"Use one of them (or construct the class directly)."
    )
