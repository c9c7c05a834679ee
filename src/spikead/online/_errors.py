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


class ApproximationRequiredError(OnlineError):
    """The sparse method would return an approximate gradient and no approximation was allowed.

    Raised when the step's previous state reaches other neurons (a synaptic or lateral sum
    over neurons such as ``W_rec @ z_{t-1}`` or ``L @ relu(v_{t-1})``): the exact trace
    would be N x N x M, and the sparse method can only drop those paths (e-prop). The
    message names the coupling equations and the opt-in ``approximation="eprop"``.
    """
