"""Exceptions of `spikead.online`."""

from __future__ import annotations


class OnlineError(Exception):
    """Base class of errors raised by `spikead.online`."""


class UnsupportedStepError(OnlineError):
    """The step function's state Jacobian cannot be expressed in the sparse form.

    Raised (never a silent wrong gradient) when a state-to-state block is neither
    neuron-local (paired) nor a cross-neuron synaptic sum that e-prop may drop.
    """


class UnknownMethodError(OnlineError, ValueError):
    """`method=` names no online-gradient method."""
