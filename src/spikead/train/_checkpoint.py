"""Atomic training checkpoints: parameters, optimizer state, data-order state, history.

File layout (one file, written to a temporary name and renamed, so a crash leaves the
previous checkpoint intact): the magic `SPIKEAD-CKPT-1\\n`, an 8-byte little-endian header
length, a JSON header (epoch, seed, fingerprint, history), then the array leaves of
`(params, opt_state)` serialised with `equinox.tree_serialise_leaves`.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import equinox as eqx

from spikead.runs import atomic_write_bytes

from ._errors import CheckpointError

MAGIC = b"SPIKEAD-CKPT-1\n"
CHECKPOINT_NAME = "checkpoint.eqx"


@dataclass
class Checkpoint:
    """A loaded checkpoint.

    Attributes:
        params, opt_state: the trained leaves (same structure as the skeleton given to `load`).
        epoch: number of completed epochs (the next epoch to run).
        seed: the data-order seed (the order of epoch e is a function of (seed, e)).
        fingerprint: `fingerprint(...)` of the run settings that produced it.
        history: one dict per completed epoch.
    """

    params: Any
    opt_state: Any
    epoch: int
    seed: int
    fingerprint: str
    history: list[dict[str, Any]]


def fingerprint(settings: dict[str, Any]) -> str:
    """A short hash of the settings that must match for a resume to be exact."""
    text = json.dumps(settings, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def save_checkpoint(
    path: str | os.PathLike,
    params,
    opt_state,
    *,
    epoch: int,
    seed: int,
    fingerprint: str,
    history: list[dict[str, Any]],
) -> Path:
    """Write a checkpoint atomically (temporary file + rename)."""
    header = json.dumps(
        {"epoch": epoch, "seed": seed, "fingerprint": fingerprint, "history": history}
    ).encode()
    buf = io.BytesIO()
    eqx.tree_serialise_leaves(buf, (params, opt_state))
    return atomic_write_bytes(
        path, MAGIC + struct.pack("<Q", len(header)) + header + buf.getvalue()
    )


def load_checkpoint(
    path: str | os.PathLike, params_like, opt_state_like, *, expected_fingerprint: str | None = None
) -> Checkpoint:
    """Read a checkpoint into skeletons of the same structure as the saved trees.

    Raises:
        CheckpointError: the file is not a checkpoint, is truncated, or was written by a
            run with different settings (fingerprint mismatch).
    """
    data = Path(path).read_bytes()
    if not data.startswith(MAGIC) or len(data) < len(MAGIC) + 8:
        raise CheckpointError(
            f"{path} is not a spikead training checkpoint (bad magic); delete it to start over."
        )
    (n,) = struct.unpack("<Q", data[len(MAGIC) : len(MAGIC) + 8])
    start = len(MAGIC) + 8
    try:
        header = json.loads(data[start : start + n])
    except (ValueError, UnicodeDecodeError) as err:
        raise CheckpointError(
            f"{path}: unreadable header ({err}); delete it to start over."
        ) from None
    if expected_fingerprint is not None and header["fingerprint"] != expected_fingerprint:
        raise CheckpointError(
            f"{path} was written by a run with different settings (fingerprint {header['fingerprint']}, "
            f"expected {expected_fingerprint}: model, data, optimizer, algorithm, epochs, batch size or "
            "seed changed). Resuming would not reproduce an uninterrupted run: delete the checkpoint "
            "or write to another output folder."
        )
    try:
        params, opt_state = eqx.tree_deserialise_leaves(
            io.BytesIO(data[start + n :]), (params_like, opt_state_like)
        )
    except (
        ValueError,
        TypeError,
        EOFError,
        OSError,
        RuntimeError,
    ) as err:  # truncated or mismatched
        raise CheckpointError(
            f"{path}: cannot read the arrays ({type(err).__name__}: {err}); "
            "delete it to start over."
        ) from None
    return Checkpoint(
        params,
        opt_state,
        int(header["epoch"]),
        int(header["seed"]),
        header["fingerprint"],
        list(header["history"]),
    )
