"""Exceptions of the training loop."""

from __future__ import annotations


class TrainError(Exception):
    """Base class of every error raised by `spikead.train`."""


class TrainConfigError(TrainError, ValueError):
    """A training, model, optimizer or algorithm setting is invalid."""


class TrainingDivergedError(TrainError, FloatingPointError):
    """The training loss became NaN or infinite; the last good checkpoint is kept."""


class CheckpointError(TrainError):
    """A checkpoint is unreadable or belongs to a different run configuration."""
