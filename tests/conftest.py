"""Shared pytest fixtures."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# Weights & Biases never starts from the test suite.
os.environ.setdefault("WANDB_MODE", "disabled")


@pytest.fixture
def getkey():
    """A function returning a fresh PRNG key on every call (seeded per test)."""
    import jax

    counter = itertools.count()
    return lambda: jax.random.key(next(counter))


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO
