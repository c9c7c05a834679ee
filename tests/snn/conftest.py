import itertools
import warnings

import jax
import pytest


@pytest.fixture
def getkey():
    """A fresh PRNG key on every call (deterministic sequence per test)."""
    counter = itertools.count()
    base = jax.random.key(0)
    return lambda: jax.random.fold_in(base, next(counter))


@pytest.fixture(autouse=True)
def strict_jax():
    """Strict rank promotion; warnings raised by our own package are errors."""
    with jax.numpy_rank_promotion("raise"), warnings.catch_warnings():
        warnings.filterwarnings("error", module=r"spikead\..*")
        yield
