"""Data parallelism with `jax.sharding`: the batch axis over a 1-D mesh of local devices.

Parameters and optimizer state are replicated; every batch array is split along its
first axis. `jax.jit` then partitions the train step (per-device forward/backward, an
all-reduce of the gradients), so one code path serves 1 or many devices.
"""

from __future__ import annotations

from typing import Any

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from ._errors import TrainConfigError

BATCH_AXIS = "batch"


class DataParallel:
    """A 1-D device mesh with the shardings of batches (split) and parameters (replicated)."""

    def __init__(self, devices: list | None = None):
        self.devices = list(devices if devices is not None else jax.local_devices())
        self.mesh = Mesh(np.array(self.devices), (BATCH_AXIS,))
        self.batch = NamedSharding(self.mesh, PartitionSpec(BATCH_AXIS))
        self.replicated = NamedSharding(self.mesh, PartitionSpec())

    @property
    def n_devices(self) -> int:
        return len(self.devices)

    def check_batch_size(self, batch_size: int, what: str = "train.batch_size") -> None:
        """Raise `TrainConfigError` unless `batch_size` splits evenly over the devices."""
        if batch_size % self.n_devices:
            raise TrainConfigError(
                f"{what}={batch_size} does not split over {self.n_devices} devices; "
                f"use a multiple of {self.n_devices}."
            )

    def put_batch(self, *arrays: np.ndarray) -> tuple[jax.Array, ...]:
        """Place host arrays (leading axis B) split over the mesh."""
        return tuple(jax.device_put(a, self.batch) for a in arrays)

    def replicate(self, tree: Any) -> Any:
        """Place every array leaf of `tree` on all devices."""
        return jax.device_put(tree, self.replicated)
