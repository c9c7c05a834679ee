"""Exceptions raised by the benchmarking utilities."""


class BenchError(RuntimeError):
    """Base class for errors raised by :mod:`spikead.bench`."""


class SubprocessMeasurementError(BenchError):
    """A measurement subprocess failed; the message carries its exit code and stderr tail."""
