"""The `Task` record and the name -> task registry.

The ten built-in tasks of the AlphaGrad paper are registered lazily (their example
arrays are made on first `load`), in the paper's order; users add their own with
`register`.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import types
from collections.abc import Callable, Mapping
from typing import Any

import jax

__all__ = ["DuplicateTaskError", "Task", "UnknownTaskError", "load", "names", "register"]


@dataclasses.dataclass(frozen=True, eq=False)
class Task:
    """One benchmark function with example inputs.

    Attributes:
        name: registry key, e.g. ``"RoeFlux_1d"``.
        fn: the function; ``fn(*args)`` returns an array or a tuple of arrays.
        args: example inputs (float32, deterministic).
        argnums: indices of ``args`` that are differentiated.
        description: one line on what ``fn`` computes and the argument shapes.
        paper: the AlphaGrad paper's reference numbers for this task (eliminable
            vertices, forward / reverse / Markowitz / AlphaGrad multiplications, gain in
            %). Reference values to print next to ours, never results.
    """

    name: str
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    argnums: tuple[int, ...]
    description: str = ""
    paper: Mapping[str, float] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.args)
        bad = [i for i in self.argnums if not 0 <= i < n]
        if bad:
            raise ValueError(
                f"Task {self.name!r}: argnums {bad} out of range for {n} args; "
                f"pass indices in 0..{n - 1}."
            )
        object.__setattr__(self, "paper", types.MappingProxyType(dict(self.paper)))

    @property
    def num_inputs(self) -> int:
        """Number of differentiated scalars (sum of sizes of ``args[argnums]``)."""
        return sum(math.prod(jax.numpy.shape(self.args[i])) for i in self.argnums)

    @property
    def num_outputs(self) -> int:
        """Number of output scalars of ``fn(*args)`` (traced, not executed)."""
        out = jax.eval_shape(self.fn, *self.args)
        return sum(math.prod(leaf.shape) for leaf in jax.tree_util.tree_leaves(out))


class UnknownTaskError(KeyError):
    """Raised by `load` for a name that is not registered."""

    def __init__(self, name: str, known: list[str]) -> None:
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.0)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        self.message = (
            f"Unknown task {name!r}. Known tasks: {', '.join(known)}.{hint} "
            "Register new tasks with spikead.tasks.register(Task(...))."
        )
        super().__init__(self.message)

    def __str__(self) -> str:  # KeyError would otherwise repr() the message
        return self.message


class DuplicateTaskError(ValueError):
    """Raised by `register` when the name is taken and ``overwrite`` is false."""


_FACTORIES: dict[str, Callable[[], Task]] = {}
_CACHE: dict[str, Task] = {}


def _register_factory(name: str, factory: Callable[[], Task]) -> None:
    """Register a built-in task lazily: ``factory()`` is called on first `load`."""
    _FACTORIES[name] = factory


def register(task: Task, *, overwrite: bool = False) -> Task:
    """Add ``task`` to the registry under ``task.name`` and return it.

    Raises `DuplicateTaskError` if the name exists, unless ``overwrite=True``.
    """
    if not isinstance(task, Task):
        raise TypeError(
            f"register expects a Task, got {type(task).__name__}; wrap it in Task(...)."
        )
    if task.name in _FACTORIES and not overwrite:
        raise DuplicateTaskError(
            f"A task named {task.name!r} is already registered; pass overwrite=True to "
            "replace it or choose another name."
        )
    _FACTORIES[task.name] = lambda: task
    _CACHE[task.name] = task
    return task


def names() -> list[str]:
    """Registered task names: the paper's ten in its order, then user tasks."""
    return list(_FACTORIES)


def load(name: str) -> Task:
    """Return the task called ``name``; raises `UnknownTaskError` if there is none."""
    if name not in _FACTORIES:
        raise UnknownTaskError(name, names())
    if name not in _CACHE:
        _CACHE[name] = _FACTORIES[name]()
    return _CACHE[name]
