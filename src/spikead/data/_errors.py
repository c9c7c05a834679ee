"""Exceptions raised by `spikead.data`; each message names the file, the problem and the fix."""

from __future__ import annotations


class DataError(Exception):
    """Base class of every error raised by `spikead.data`."""


class DatasetNotFoundError(DataError, FileNotFoundError):
    """The dataset files are not on disk (and could not be downloaded)."""


class DatasetFormatError(DataError, ValueError):
    """A dataset file exists but is corrupt or not in the expected SHD/SSC HDF5 layout."""


class DataConfigError(DataError, ValueError):
    """A `DataConfig` / `SyntheticConfig` value is out of range or unknown."""
